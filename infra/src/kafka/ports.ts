import { createServer } from "node:net";
import { z } from "zod";

/**
 * Where free ports are picked: below the kernel's ephemeral range
 * (net.ipv4.ip_local_port_range, 32768–60999 by default). A port the OS hands
 * out for bind(0) is one it also hands to outgoing connections, so a server
 * restarted on "its" port — a Kafka node after a SIGKILL, a service under the
 * supervisor — could find it taken by some client's socket (EADDRINUSE).
 */
export const DEFAULT_PORT_RANGE = { from: 20_000, to: 32_767 } as const;

export interface PortRange {
  from: number;
  to: number;
}

const rangeSchema = z
  .string()
  .regex(/^\d+-\d+$/, "expected FROM-TO, e.g. 20000-26383")
  .transform((v) => {
    const [from, to] = v.split("-").map(Number) as [number, number];
    return { from, to };
  })
  .refine((r) => r.from >= 1024 && r.to <= 65_535 && r.from <= r.to, "expected 1024 ≤ FROM ≤ TO ≤ 65535");

/**
 * TAKITINI_PORT_RANGE ("FROM-TO"), else DEFAULT_PORT_RANGE. Two test runs on one
 * machine at once (the end-to-end and fault suites) each pick from a range of their
 * own, so neither can take a port the other picked and has not bound yet, or one a
 * killed Kafka node of the other's is about to bind again. Processes started by a
 * run inherit its range.
 */
export function parsePortRange(value: string | undefined): PortRange {
  if (value === undefined || value === "") return { ...DEFAULT_PORT_RANGE };
  const parsed = rangeSchema.safeParse(value);
  if (!parsed.success) throw new Error(`TAKITINI_PORT_RANGE=${JSON.stringify(value)}: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  return parsed.data;
}

export const PORT_RANGE: Readonly<PortRange> = Object.freeze(parsePortRange(process.env.TAKITINI_PORT_RANGE));
const handedOut = new Set<number>();

/**
 * An unused TCP port on `host` in PORT_RANGE, checked by binding it, and never
 * one this process handed out before (two callers picking at once get two).
 */
export async function freePort(host = "127.0.0.1", random: () => number = Math.random): Promise<number> {
  const span = PORT_RANGE.to - PORT_RANGE.from + 1;
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = PORT_RANGE.from + Math.floor(random() * span);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    if (await isPortFree(port, host)) return port;
  }
  throw new Error(`could not pick a free port in ${PORT_RANGE.from}–${PORT_RANGE.to}`);
}

/** `count` distinct unused ports. */
export async function freePorts(count: number, host = "127.0.0.1"): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort(host));
  return [...ports];
}

/** Whether nothing listens on `port` of `host` (we can bind it). */
export function isPortFree(port: number, host = "127.0.0.1"): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}
