import { describe, expect, it } from "vitest";
import { addPeriod, dueAt, dueRefs, GRACE_MS, loadRetentionPolicy, parseRetentionPolicy, periodOf, RetentionPolicyError, type RetentionPolicy, type SubjectRecords } from "./retention.js";

const policy: RetentionPolicy = {
  default: { period: "P7Y", reference: "Public Records Act 2005 s 17" },
  kinds: { oversight_query: { period: "P2Y", reference: "Privacy Act 2020 IPP 9" }, decision: { period: "P90D", reference: "test" } },
};
const t = (iso: string) => new Date(iso);
const subject = (ref: string, created: string, latest: [string, string][]): SubjectRecords => ({ ref, keyCreatedAt: t(created), latest: latest.map(([kind, at]) => ({ kind, occurredAt: t(at) })) });

describe("retention periods", () => {
  it("adds ISO-8601 years, months, weeks and days in UTC", () => {
    expect(addPeriod(t("2026-01-15T10:00:00Z"), "P7Y")).toEqual(t("2033-01-15T10:00:00Z"));
    expect(addPeriod(t("2026-01-15T10:00:00Z"), "P18M")).toEqual(t("2027-07-15T10:00:00Z"));
    expect(addPeriod(t("2026-01-15T10:00:00Z"), "P2W3D")).toEqual(t("2026-02-01T10:00:00Z"));
    expect(addPeriod(t("2026-12-31T00:00:00Z"), "P90D")).toEqual(t("2027-03-31T00:00:00Z"));
  });

  it("a kind without a period of its own has the default", () => {
    expect(periodOf(policy, "decision")).toBe("P90D");
    expect(periodOf(policy, "publish")).toBe("P7Y");
  });
});

describe("which subjects are due (fixed clock)", () => {
  it("is due when every record naming the subject is past its kind's period", () => {
    const s = subject("s_a", "2026-01-01T00:00:00Z", [["decision", "2026-01-10T00:00:00Z"], ["oversight_query", "2026-02-01T00:00:00Z"]]);
    expect(dueAt(s, policy)).toEqual(t("2028-02-01T00:00:00Z"));
    expect(dueRefs([s], policy, t("2028-01-31T23:59:59Z"))).toEqual([]);
    expect(dueRefs([s], policy, t("2028-02-01T00:00:00Z"))).toEqual(["s_a"]);
  });

  it("one recent record keeps the subject; old ones do not", () => {
    const old = subject("s_old", "2026-01-01T00:00:00Z", [["decision", "2026-01-02T00:00:00Z"]]);
    const recent = subject("s_recent", "2026-01-01T00:00:00Z", [["decision", "2026-01-02T00:00:00Z"], ["publish", "2026-06-01T00:00:00Z"]]);
    expect(dueRefs([recent, old], policy, t("2027-01-01T00:00:00Z"))).toEqual(["s_old"]);
  });

  it("a key naming no record is due after the default period from its making; no key younger than the grace is due", () => {
    const bare = subject("s_bare", "2026-01-01T00:00:00Z", []);
    expect(dueAt(bare, policy)).toEqual(t("2033-01-01T00:00:00Z"));
    const fresh = subject("s_fresh", "2026-05-01T00:00:00Z", [["decision", "2020-01-01T00:00:00Z"]]);
    expect(dueAt(fresh, policy).getTime()).toBe(t("2026-05-01T00:00:00Z").getTime() + GRACE_MS);
    expect(dueRefs([fresh], policy, t("2026-05-01T12:00:00Z"))).toEqual([]);
  });
});

describe("the retention policy file", () => {
  it("the shipped retention.json is valid, with a reference for every period", () => {
    const { policy: p, sha256 } = loadRetentionPolicy();
    expect(sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(p.default.reference.length).toBeGreaterThan(10);
    for (const rule of Object.values(p.kinds)) expect(rule!.reference.length).toBeGreaterThan(3);
  });

  it.each([
    ["not JSON", "{", ""],
    ["a bad period", JSON.stringify({ default: { period: "7 years", reference: "x" }, kinds: {} }), "default.period"],
    ["an empty period", JSON.stringify({ default: { period: "P", reference: "x" }, kinds: {} }), "default.period"],
    ["an unknown kind", JSON.stringify({ default: { period: "P1Y", reference: "x" }, kinds: { gossip: { period: "P1Y", reference: "x" } } }), "kinds"],
    ["no reference", JSON.stringify({ default: { period: "P1Y", reference: " " }, kinds: {} }), "default.reference"],
    ["an unknown field", JSON.stringify({ default: { period: "P1Y", reference: "x" }, kinds: {}, forever: true }), ""],
  ])("refuses %s (RETENTION_POLICY_INVALID, with the path)", (_name, text, path) => {
    let err: unknown;
    try {
      parseRetentionPolicy(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RetentionPolicyError);
    expect((err as RetentionPolicyError).code).toBe("RETENTION_POLICY_INVALID");
    if (path) expect((err as RetentionPolicyError).issues.map((i) => i.path)).toContain(path);
  });
});
