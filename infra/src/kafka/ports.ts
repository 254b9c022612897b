import { createServer } from "node:net";

/**
 * Where free ports are picked: below the kernel's ephemeral range
 * (net.ipv4.ip_local_port_range, 32768–60999 by default). A port the OS hands
 * out for bind(0) is one it also hands to outgoing connections, so a server
 * restarted on "its" port — a Kafka node after a SIGKILL, a service under the
 * supervisor — could find it taken by some client's socket (EADDRINUSE).
 */
export const PORT_RANGE = { from: 20_000, to: 32_767 } as const;
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
