import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { freePort, freePorts, PORT_RANGE } from "./ports.js";

describe("freePort", () => {
  it("picks below the kernel's ephemeral range, so no outgoing connection can hold a server's port", async () => {
    const [low] = (await import("node:fs")).readFileSync("/proc/sys/net/ipv4/ip_local_port_range", "utf8").trim().split(/\s+/).map(Number);
    expect(PORT_RANGE.to).toBeLessThan(low!);
    for (const port of await freePorts(20)) {
      expect(port).toBeGreaterThanOrEqual(PORT_RANGE.from);
      expect(port).toBeLessThanOrEqual(PORT_RANGE.to);
    }
  });

  it("never hands out the same port twice, even when the same one is drawn", async () => {
    const fixed = () => 0.5;
    const first = await freePort("127.0.0.1", fixed);
    await expect(freePort("127.0.0.1", fixed)).rejects.toThrow(/could not pick a free port/);
    expect(first).toBe(PORT_RANGE.from + Math.floor(0.5 * (PORT_RANGE.to - PORT_RANGE.from + 1)));
  });

  it("skips a port something listens on", async () => {
    const taken = await freePort();
    const srv = createServer();
    await new Promise<void>((resolve) => srv.listen(taken + 1, "127.0.0.1", resolve));
    try {
      let draws = 0;
      // First the port in use, then one that is not.
      const random = () => (draws++ === 0 ? (taken + 1 - PORT_RANGE.from) / (PORT_RANGE.to - PORT_RANGE.from + 1) : (taken + 3 - PORT_RANGE.from + 0.5) / (PORT_RANGE.to - PORT_RANGE.from + 1));
      const port = await freePort("127.0.0.1", random);
      expect(port).not.toBe(taken + 1);
      expect(draws).toBeGreaterThanOrEqual(2);
    } finally {
      srv.close();
    }
  });
});
