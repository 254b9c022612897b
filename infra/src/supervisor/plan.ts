/**
 * What a supervisor runs: its services (command, environment, log file,
 * readiness URL), the backoff policy, the grace period at stop, and where it
 * reports. The mesh's own plan is made by `meshPlan` (mesh.ts); a test or a fault
 * suite writes one as JSON and runs `takitini-supervisor run --plan <file>`.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { DEFAULT_BACKOFF } from "./backoff.js";

export const serviceSpecSchema = z.object({
  /** Unique in the plan: `exchange`, `police-adapter`. */
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lowercase letters, digits and dashes"),
  command: z.string().min(1),
  args: z.array(z.string()).default([]),
  /** Added to the supervisor's own environment (these win). */
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().optional(),
  /** stdout and stderr are appended here. */
  log: z.string().min(1),
  /** Polled after every start until it answers 2xx: the service is then `ready`. */
  readyUrl: z.url().optional(),
});
export type ServiceSpec = z.output<typeof serviceSpecSchema>;

export const backoffSchema = z.object({
  initialMs: z.number().int().positive().default(DEFAULT_BACKOFF.initialMs),
  factor: z.number().min(1).default(DEFAULT_BACKOFF.factor),
  maxMs: z.number().int().positive().default(DEFAULT_BACKOFF.maxMs),
  stableMs: z.number().int().nonnegative().default(DEFAULT_BACKOFF.stableMs),
  restart: z.enum(["on-failure", "always"]).default(DEFAULT_BACKOFF.restart),
});

export const planSchema = z
  .object({
    services: z.array(serviceSpecSchema).min(1),
    backoff: backoffSchema.prefault({}),
    /** At stop: SIGTERM, then SIGKILL after this long. */
    stopGraceMs: z.number().int().positive().default(10_000),
    /** The status file (JSON), rewritten at every change. */
    statusFile: z.string().min(1),
    /** Prometheus /metrics on 127.0.0.1:<port> (0: any free port, written to the status file); absent: none. */
    metricsPort: z.number().int().min(0).max(65535).optional(),
    /** The supervisor's own log lines are appended here too (they always go to stdout). */
    logFile: z.string().optional(),
  })
  .superRefine((plan, ctx) => {
    const seen = new Set<string>();
    plan.services.forEach((s, i) => {
      if (seen.has(s.name)) ctx.addIssue({ code: "custom", path: ["services", i, "name"], message: `duplicate service ${s.name}` });
      seen.add(s.name);
    });
  });
export type SupervisorPlan = z.output<typeof planSchema>;
export type SupervisorPlanInput = z.input<typeof planSchema>;

export class PlanError extends Error {
  readonly code = "PLAN_INVALID";
  constructor(readonly issues: { path: string; message: string }[]) {
    super(`invalid supervisor plan: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
    this.name = "PlanError";
  }
}

export function parsePlan(input: unknown): SupervisorPlan {
  const r = planSchema.safeParse(input);
  if (!r.success) throw new PlanError(r.error.issues.map((i) => ({ path: i.path.join("."), message: i.message })));
  return r.data;
}

export function readPlan(file: string): SupervisorPlan {
  return parsePlan(JSON.parse(readFileSync(file, "utf8")));
}
