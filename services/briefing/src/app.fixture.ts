import type { AccessRecord } from "@takitini/proto";
import { createLogger, createMetricsRegistry, type Logger, type RefusalNote } from "@takitini/runtime";
import { buildApp, type AppDeps } from "./app.js";
import type { LeaderGate } from "./auth.js";
import { AUDIENCES, SECRET, seizures } from "./briefing.fixture.js";
import { AggregateStore } from "./store.js";

/** The moment the tests' briefings are asked for: week 2026-W47 is complete. */
export const NOW = new Date("2026-11-25T00:00:00Z");

/**
 * The briefing's HTTP door over in-memory stores (Eastern holding seven
 * methamphetamine seizures in 2026-W47), with the given gate; access records
 * go to `records` (or `recordAccess` fails, for tests of an audit outage), and
 * refusals for a credential are counted in `refusals` (the RefusalReporter's window).
 */
export function briefingAppForTests(o: { gate: LeaderGate; logger?: Logger; auditFails?: boolean; deps?: Partial<AppDeps> }) {
  const records: AccessRecord[] = [];
  const refusals: RefusalNote[] = [];
  const stores = new Map([
    ["community-eastern", new AggregateStore()],
    ["public", new AggregateStore()],
  ]);
  for (const i of seizures("2026-W47", "methamphetamine", 7)) stores.get("community-eastern")!.apply(i);
  const { app, admin, limitPrincipal } = buildApp({
    logger: o.logger ?? createLogger("briefing", "silent"),
    metrics: createMetricsRegistry("briefing"),
    readiness: [],
    audiences: AUDIENCES,
    store: (id) => stores.get(id)!,
    caughtUp: () => true,
    secret: SECRET,
    gate: o.gate,
    cookieSecure: false,
    recordAccess: async (r) => {
      if (o.auditFails) throw new Error("broker down");
      records.push(r);
    },
    now: () => NOW,
    refusals: { unauthenticated: (n) => void refusals.push(n) },
    ...o.deps,
  });
  return { app, admin, limitPrincipal, records, refusals };
}
