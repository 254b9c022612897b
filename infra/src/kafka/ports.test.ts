import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { DEFAULT_PORT_RANGE, freePort, freePorts, parsePortRange, PORT_RANGE } from "./ports.js";

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

describe("TAKITINI_PORT_RANGE", () => {
  it("is the default range when unset or empty", () => {
    expect(parsePortRange(undefined)).toEqual(DEFAULT_PORT_RANGE);
    expect(parsePortRange("")).toEqual(DEFAULT_PORT_RANGE);
  });

  it("takes FROM-TO", () => {
    expect(parsePortRange("20000-26383")).toEqual({ from: 20_000, to: 26_383 });
    expect(parsePortRange("26384-26384")).toEqual({ from: 26_384, to: 26_384 });
  });

  it.each(["20000", "20000-", "a-b", "26383-20000", "80-1000", "60000-70000", " 20000-26383", "20000-26383-1"])("refuses %j, naming the variable", (bad) => {
    expect(() => parsePortRange(bad)).toThrow(/^TAKITINI_PORT_RANGE=/);
  });

  it("is where a child process started with it picks its ports", async () => {
    const { execFileSync } = await import("node:child_process");
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", `const { freePorts } = await import(${JSON.stringify(new URL("../../dist/kafka/ports.js", import.meta.url).href)}); console.log((await freePorts(20)).join(" "));`], {
      env: { ...process.env, TAKITINI_PORT_RANGE: "26384-26500" },
      encoding: "utf8",
    });
    for (const port of out.trim().split(" ").map(Number)) {
      expect(port).toBeGreaterThanOrEqual(26_384);
      expect(port).toBeLessThanOrEqual(26_500);
    }
  });
});
