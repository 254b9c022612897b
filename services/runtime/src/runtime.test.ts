import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  baseConfig,
  commonErrors,
  ConfigError,
  continueTrace,
  createHttpServer,
  createLogger,
  createMetricsRegistry,
  decisionIdFor,
  deterministicId,
  eventIdFor,
  agencyOfEventId,
  correctionIdFor,
  withdrawalIdFor,
  isEventId,
  EventIdKey,
  readEventIdKey,
  formatPath,
  loadConfig,
  MAX_TEXT_CHARS,
  text,
  zodIssues,
} from "./index.js";

describe("config", () => {
  it("parses defaults and broker lists", () => {
    const cfg = loadConfig(baseConfig, { KAFKA_BROKERS: "127.0.0.1:9092, 127.0.0.1:9192", TAKITINI_INSECURE_KAFKA: "true" });
    expect(cfg.KAFKA_BROKERS).toEqual(["127.0.0.1:9092", "127.0.0.1:9192"]);
    expect(cfg.LOG_LEVEL).toBe("info");
  });
  it("names every invalid variable", () => {
    try {
      loadConfig(baseConfig, { KAFKA_BROKERS: "nonsense", LOG_LEVEL: "loud" });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const paths = (err as ConfigError).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(["KAFKA_BROKERS.0", "LOG_LEVEL"]));
    }
  });
});

describe("validation", () => {
  const schema = z.strictObject({ name: text(20, { min: 1 }), items: z.array(z.strictObject({ n: z.number() })) });
  it("reports unknown keys and nested paths", () => {
    const r = schema.safeParse({ name: "x", extra: 1, items: [{ n: "1" }] });
    expect(r.success).toBe(false);
    const issues = zodIssues(r.error!);
    expect(issues.map((i) => i.path).sort()).toEqual(["extra", "items[0].n"]);
    expect(issues.find((i) => i.path === "extra")?.code).toBe("unrecognized_key");
  });
  it("keeps macrons and rejects control characters", () => {
    expect(text(50).parse("  Ōpōtiki whānau ")).toBe("Ōpōtiki whānau");
    expect(text(50).safeParse("bad\u0007bell").success).toBe(false);
    expect(text(50).safeParse("two\nlines").success).toBe(false);
    expect(text(50, { multiline: true }).safeParse("two\nlines").success).toBe(true);
  });
  it("declares no text field longer than MAX_TEXT_CHARS, the bound hostile-body tests exceed", () => {
    expect(text(MAX_TEXT_CHARS).safeParse("a".repeat(MAX_TEXT_CHARS)).success).toBe(true);
    expect(text(MAX_TEXT_CHARS).safeParse("a".repeat(MAX_TEXT_CHARS + 1)).success).toBe(false);
    expect(() => text(MAX_TEXT_CHARS + 1)).toThrow(RangeError);
  });
  it("formats paths", () => {
    expect(formatPath(["persons", 0, "dob"])).toBe("persons[0].dob");
    expect(formatPath([])).toBe("");
  });
});

describe("ids", () => {
  const key = new EventIdKey(Buffer.alloc(32, 7));
  const other = new EventIdKey(Buffer.alloc(32, 8));
  it("are deterministic per native record and per pair", () => {
    expect(eventIdFor(key, "POLICE", "N-1")).toBe(eventIdFor(key, "POLICE", "N-1"));
    expect(eventIdFor(key, "POLICE", "N-1")).not.toBe(eventIdFor(key, "CUSTOMS", "N-1"));
    expect(decisionIdFor("e", "customs")).not.toBe(decisionIdFor("e", "msd"));
    // An RFC 9562 UUID, version 8, variant 10.
    expect(eventIdFor(key, "POLICE", "N-1")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
  it("cannot be computed without the key: another key, or the unkeyed derivation, gives another id", () => {
    fc.assert(
      fc.property(fc.constantFrom("POLICE", "CUSTOMS", "MBIE", "MSD"), fc.string({ minLength: 1, maxLength: 40 }), (agency, native) => {
        const id = eventIdFor(key, agency, native);
        expect(id).not.toBe(eventIdFor(other, agency, native));
        expect(id).not.toBe(deterministicId("event", agency, native));
      }),
    );
  });
  it("carry their agency in the last hex digit (the proto Agency number)", () => {
    expect(eventIdFor(key, "POLICE", "N-1").at(-1)).toBe("1");
    expect(eventIdFor(key, "CUSTOMS", "N-1").at(-1)).toBe("2");
    expect(eventIdFor(key, "MBIE", "N-1").at(-1)).toBe("3");
    expect(eventIdFor(key, "MSD", "N-1").at(-1)).toBe("4");
    expect(() => eventIdFor(key, "COMMUNITY", "N-1")).toThrow(/no event ids/);
    expect(agencyOfEventId("not-a-uuid")).toBeUndefined();
    expect(agencyOfEventId(deterministicId("x"))).toBeUndefined(); // a v5 UUID is not an event id
    expect(agencyOfEventId(eventIdFor(key, "MSD", "N-1").toUpperCase())).toBeUndefined();
    expect(agencyOfEventId(eventIdFor(key, "MSD", "N-1").slice(0, -1) + "0")).toBeUndefined();
    expect(agencyOfEventId(eventIdFor(key, "MSD", "N-1").slice(0, -1) + "f")).toBeUndefined();
  });
  it("derive corrections and withdrawals with their own labels, keyed, in the agency's digit", () => {
    const agencies = fc.constantFrom("POLICE", "CUSTOMS", "MBIE", "MSD");
    fc.assert(
      fc.property(agencies, agencies, fc.string({ minLength: 1, maxLength: 40 }), (agency, otherAgency, native) => {
        const id = eventIdFor(key, agency, native);
        const correction = correctionIdFor(key, agency, id);
        const withdrawal = withdrawalIdFor(key, agency, id);
        for (const x of [id, correction, withdrawal]) {
          expect(isEventId(x)).toBe(true);
          expect(agencyOfEventId(x)).toBe(agency);
        }
        expect(new Set([id, correction, withdrawal, correctionIdFor(key, agency, correction)]).size).toBe(4);
        expect(correctionIdFor(key, agency, id)).toBe(correction);
        expect(withdrawalIdFor(key, agency, id)).toBe(withdrawal);
        expect(correction).not.toBe(correctionIdFor(other, agency, id));
        expect(withdrawal).not.toBe(withdrawalIdFor(other, agency, id));
        // The label separates the kinds: the same input never gives the same id across them.
        expect(correction).not.toBe(eventIdFor(key, agency, id));
        expect(withdrawal).not.toBe(eventIdFor(key, agency, id));
        if (otherAgency !== agency) expect(agencyOfEventId(eventIdFor(key, otherAgency, native))).not.toBe(agency);
      }),
    );
  });
  it("reads a key file only when it is private and long enough", () => {
    const dir = mkdtempSync(join(tmpdir(), "takitini-key-"));
    const file = join(dir, "event-id.key");
    writeFileSync(file, randomBytes(32).toString("hex") + "\n", { mode: 0o600 });
    const read = readEventIdKey(file);
    expect(eventIdFor(read, "POLICE", "N-1")).toBe(eventIdFor(read, "POLICE", "N-1"));
    expect(JSON.stringify({ read })).not.toMatch(/[0-9a-f]{64}/);
    chmodSync(file, 0o644);
    expect(() => readEventIdKey(file)).toThrow(/chmod 600/);
    writeFileSync(join(dir, "short.key"), "abcd", { mode: 0o600 });
    expect(() => readEventIdKey(join(dir, "short.key"))).toThrow(/at least 32 bytes/);
  });
});

describe("trace", () => {
  it("continues an incoming trace with a new span", () => {
    const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    const t = continueTrace({ traceparent: parent });
    expect(t.traceId).toBe("4bf92f3577b34da6a3ce929d0e0e4736");
    expect(t.spanId).not.toBe("00f067aa0ba902b7");
    expect(t.traceparent).toBe(`00-${t.traceId}-${t.spanId}-01`);
  });
  it("starts a new trace for a missing or invalid parent", () => {
    expect(continueTrace({}).traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(continueTrace({ traceparent: "garbage" }).traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe("logger", () => {
  it("redacts personal information", () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _e, cb) { lines.push(String(chunk)); cb(); } });
    const log = createLogger("t", "info", sink);
    log.info({ record: { full_name: "Aroha Ngata" }, event: { subjects: [{ fullName: "Aroha Ngata" }] }, x: { phones: ["021 555 0101"], plate: "ABC123" } }, "hello");
    const out = lines.join("");
    expect(out).toContain("hello");
    expect(out).not.toContain("Aroha");
    expect(out).not.toContain("0101");
    expect(out).not.toContain("ABC123");
  });
});

describe("http shell", () => {
  const make = (ready: boolean) => {
    const app = createHttpServer({
      service: "t",
      logger: createLogger("t", "silent"),
      metrics: createMetricsRegistry("t"),
      readiness: [{ name: "dep", check: () => ready }],
      bodyLimit: 64,
    });
    app.post("/echo", async (req) => req.body);
    app.get("/boom", async () => {
      throw commonErrors.INVALID_QUERY([{ path: "limit", code: "too_big", message: "too big" }]);
    });
    return app;
  };
  it("serves health, readiness and metrics", async () => {
    const app = make(false);
    expect((await app.inject({ url: "/healthz" })).statusCode).toBe(200);
    expect((await app.inject({ url: "/readyz" })).statusCode).toBe(503);
    expect((await make(true).inject({ url: "/readyz" })).statusCode).toBe(200);
    const m = await app.inject({ url: "/metrics" });
    expect(m.body).toContain("process_cpu_user_seconds_total");
  });
  it.each([
    ["{not json", "application/json", 400, "MALFORMED_JSON"],
    ['{"__proto__":{"x":1}}', "application/json", 400, "FORBIDDEN_KEY"],
    ["x".repeat(200), "application/json", 413, "BODY_TOO_LARGE"],
    ["a=b", "text/plain", 415, "UNSUPPORTED_MEDIA_TYPE"],
  ])("maps bad bodies to stable codes (%#)", async (payload, type, status, code) => {
    const res = await make(true).inject({ method: "POST", url: "/echo", payload, headers: { "content-type": type } });
    expect(res.statusCode).toBe(status);
    expect(res.json().error.code).toBe(code);
  });
  it("renders catalogue errors with field paths, and unknown routes as NOT_FOUND", async () => {
    const app = make(true);
    const res = await app.inject({ url: "/boom" });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: { code: "INVALID_QUERY", message: "query parameters are invalid", issues: [{ path: "limit", code: "too_big", message: "too big" }] } });
    expect((await app.inject({ url: "/nope" })).json().error.code).toBe("NOT_FOUND");
  });
});

describe("HTTP deadlines", () => {
  it("cut off a request that does not arrive whole within 30 s by default, or as configured", async () => {
    const { httpDeadlines, createHttpServer, createLogger, createMetricsRegistry } = await import("./index.js");
    expect(httpDeadlines({})).toEqual({ requestTimeout: 30_000 });
    expect(httpDeadlines({ requestTimeoutMs: 5_000 })).toEqual({ requestTimeout: 5_000 });
    const app = createHttpServer({ service: "t", logger: createLogger("t", "silent"), metrics: createMetricsRegistry("t"), readiness: [], requestTimeoutMs: 1234 });
    expect(app.initialConfig.requestTimeout).toBe(1234);
    await app.close();
  });
});
