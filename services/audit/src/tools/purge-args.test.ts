import { describe, expect, it } from "vitest";
import { describeIssues, eraseOptions, purgeOptions } from "./purge-args.js";

const URL_ = "postgres://owner:pw@127.0.0.1:5432/takitini";
const erase = ["--database-url", URL_, "--subject", "police/person/P-20931", "--reason", "erasure", "--authority", "Privacy Act 2020, IPP 7 request upheld", "--by", "Aroha (privacy officer)"];
const without = (args: string[], flag: string) => {
  const i = args.indexOf(flag);
  return [...args.slice(0, i), ...args.slice(i + 2)];
};
const replaced = (args: string[], flag: string, value: string) => args.map((a, i) => (args[i - 1] === flag ? value : a));
const issues = (p: ReturnType<typeof eraseOptions> | ReturnType<typeof purgeOptions>) => (p.ok === false ? p.issues.map((i) => `${i.code} ${i.argument}`) : []);

describe("audit:erase arguments", () => {
  it("takes a complete request", () => {
    const p = eraseOptions(erase, {});
    expect(p).toMatchObject({ ok: true, options: { subject: "police/person/P-20931", reason: "erasure", schema: "public", "database-url": URL_ } });
  });

  it.each(["--database-url", "--subject", "--reason", "--authority", "--by"])("refuses a request without %s (ARGUMENT_MISSING)", (flag) => {
    expect(issues(eraseOptions(without(erase, flag), {}))).toEqual([`ARGUMENT_MISSING ${flag}`]);
  });

  it.each([
    ["--subject", "police person; drop table"],
    ["--reason", "retention"],
    ["--authority", " "],
    ["--database-url", "mysql://x"],
  ])("refuses %s %j (ARGUMENT_INVALID)", (flag, value) => {
    expect(issues(eraseOptions(replaced(erase, flag, value), {}))).toEqual([`ARGUMENT_INVALID ${flag}`]);
  });

  it("refuses an unknown flag and a stray positional; takes the owner's URL and schema from the environment", () => {
    expect(issues(eraseOptions([...erase, "--force"], {}))[0]).toMatch(/^ARGUMENT_INVALID/);
    expect(issues(eraseOptions([...erase, "extra"], {}))[0]).toMatch(/^ARGUMENT_INVALID/);
    expect(eraseOptions(without(erase, "--database-url"), { AUDIT_MIGRATION_DATABASE_URL: URL_, DATABASE_SCHEMA: "audit" })).toMatchObject({ ok: true, options: { schema: "audit" } });
    expect(eraseOptions(["--help"], {})).toEqual({ ok: "help" });
  });

  it("describes issues one per line with their stable code", () => {
    const p = eraseOptions(without(without(erase, "--by"), "--subject"), {});
    expect(p.ok).toBe(false);
    if (p.ok === false) expect(describeIssues(p.issues).split("\n").sort()).toEqual(["ARGUMENT_MISSING --by: is required", "ARGUMENT_MISSING --subject: is required"]);
  });
});

describe("audit:purge arguments", () => {
  const now = () => new Date("2026-12-05T00:00:00Z");
  it("defaults: now, the shipped policy, by audit:purge, no dry run", () => {
    expect(purgeOptions(["--database-url", URL_], {}, now)).toEqual({ ok: true, options: { "database-url": URL_, schema: "public", now: now(), by: "audit:purge", "dry-run": false } });
  });

  it("takes --now as an ISO time and refuses anything else", () => {
    expect(purgeOptions(["--database-url", URL_, "--now", "2034-01-01T00:00:00Z", "--dry-run"], {}, now)).toMatchObject({ ok: true, options: { now: new Date("2034-01-01T00:00:00Z"), "dry-run": true } });
    expect(issues(purgeOptions(["--database-url", URL_, "--now", "next year"], {}, now))).toEqual(["ARGUMENT_INVALID --now"]);
    expect(issues(purgeOptions([], {}, now))).toEqual(["ARGUMENT_MISSING --database-url"]);
  });
});
