import { Agency, IntelligenceEvent, PoliceDistrict, PublishRecord } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { ingestRecord, type IngestTopics } from "../ingest.js";
import { flagAnomalies } from "./anomaly.js";
import { AccountsFileError, parseAccounts, tokenHash } from "@takitini/runtime";
import { accountsFile, readConfig } from "../config.js";
import { OVERSIGHT_ROLES, oversightAccounts } from "./credentials.js";
import { decodeCursor, encodeCursor, recordsQuery } from "./query.js";

describe("anomaly flags", () => {
  const series = (counts: number[], metric: "allow" | "deny" | "access" = "allow") => ({ subscriberId: "mbie", metric, counts });

  it("flag a window far above the subscriber's own baseline", () => {
    expect(flagAnomalies([series([2, 3, 2, 1, 2, 40])])).toEqual([{ subscriber_id: "mbie", metric: "allow", count: 40, baseline_mean: 2, baseline_sd: 0.63, ratio: 20 }]);
  });

  it("do not flag steady volume, small numbers, or busy subscribers at their usual level", () => {
    expect(flagAnomalies([series([100, 120, 90, 110, 130])])).toEqual([]);
    expect(flagAnomalies([series([0, 0, 0, 0, 4])])).toEqual([]); // under the minimum count
    expect(flagAnomalies([series([5, 30, 2, 40, 35])])).toEqual([]); // volatile: within 3 sd
    expect(flagAnomalies([series([])])).toEqual([]);
  });

  it("judge a newcomer against a baseline of nothing, and rank by ratio", () => {
    const out = flagAnomalies([series([0, 0, 0, 12], "deny"), { subscriberId: "customs", metric: "access", counts: [1, 1, 1, 50] }]);
    expect(out.map((a) => [a.subscriber_id, a.metric])).toEqual([["customs", "access"], ["mbie", "deny"]]);
  });
});

describe("oversight accounts", () => {
  const credential = `scrypt$32768$8$1$${Buffer.alloc(16, 1).toString("base64")}$${Buffer.alloc(32, 2).toString("base64")}`;
  const entry = { name: "Aroha Ngata", role: "reviewer", credential, expires_at: "2027-06-30T00:00:00Z" };

  it("name a person, a role (reviewer or administrator), a scrypt credential and an expiry", () => {
    const parsed = parseAccounts(JSON.stringify({ accounts: [entry, { ...entry, name: "Hemi", role: "administrator", credential: credential.replace("AQEB", "AQEC"), disabled: true }] }), "accounts.json", oversightAccounts);
    expect(parsed.legacy).toBe(false);
    expect(parsed.accounts).toEqual([
      { name: "Aroha Ngata", role: "reviewer", credential, expiresAt: new Date("2027-06-30T00:00:00Z"), disabled: false, legacy: false },
      expect.objectContaining({ name: "Hemi", role: "administrator", disabled: true }),
    ]);
    expect(OVERSIGHT_ROLES).toEqual(["reviewer", "administrator"]);
  });

  it("refuse a bad file naming each field", () => {
    const bad = () => parseAccounts(JSON.stringify({ accounts: [{ ...entry, role: "auditor" }, { ...entry, name: "Hemi", credential: tokenHash("t"), expires_at: "2027-06-30" }] }), "accounts.json", oversightAccounts);
    expect(bad).toThrow(AccountsFileError);
    expect(bad).toThrow(/accounts\[0\]\.role: .*accounts\[1\]\.credential: expected scrypt.*accounts\[1\]\.expires_at: expected an ISO 8601 date-time/);
  });

  it("still read the old tokens file: each entry a reviewer named by its value, without expiry", () => {
    const parsed = parseAccounts(JSON.stringify({ [tokenHash("s3cret-token")]: "Officer Aroha" }), "tokens.json", oversightAccounts);
    expect(parsed).toEqual({ legacy: true, accounts: [{ name: "Officer Aroha", role: "reviewer", credential: `sha256$${tokenHash("s3cret-token")}`, expiresAt: undefined, disabled: false, legacy: true }] });
    expect(() => parseAccounts(JSON.stringify({ "s3cret-token": "Officer" }), "t.json", oversightAccounts)).toThrow(/SHA-256 hex/);
    expect(() => parseAccounts(JSON.stringify({ [tokenHash("t")]: "" }), "t.json", oversightAccounts)).toThrow(/expected the officer's name/);
    expect(() => parseAccounts("{", "t.json", oversightAccounts)).toThrow(/not JSON/);
  });
});

describe("the audit's sign-in configuration", () => {
  const base = { DATABASE_URL: "postgres://x@127.0.0.1/db", TAKITINI_INSECURE_KAFKA: "true" };

  it("takes the accounts file, or (deprecated) the tokens file, not both and not neither", () => {
    expect(accountsFile(readConfig({ ...base, AUDIT_OVERSIGHT_ACCOUNTS_FILE: "/a.json" }))).toEqual({ path: "/a.json", variable: "AUDIT_OVERSIGHT_ACCOUNTS_FILE" });
    expect(accountsFile(readConfig({ ...base, AUDIT_OVERSIGHT_TOKENS_FILE: "/t.json" }))).toEqual({ path: "/t.json", variable: "AUDIT_OVERSIGHT_TOKENS_FILE" });
    expect(() => readConfig(base)).toThrow(/AUDIT_OVERSIGHT_ACCOUNTS_FILE: required/);
    expect(() => readConfig({ ...base, AUDIT_OVERSIGHT_ACCOUNTS_FILE: "/a.json", AUDIT_OVERSIGHT_TOKENS_FILE: "/t.json" })).toThrow(/AUDIT_OVERSIGHT_TOKENS_FILE: set AUDIT_OVERSIGHT_ACCOUNTS_FILE or/);
  });

  it("has defaults for sessions, throttling, the poll and the cache, and checks them", () => {
    expect(readConfig({ ...base, AUDIT_OVERSIGHT_ACCOUNTS_FILE: "/a.json" })).toMatchObject({
      SESSION_TTL_MS: 8 * 3_600_000,
      SESSION_IDLE_MS: 30 * 60_000,
      SESSION_SWEEP_MS: 60_000,
      SIGN_IN_FREE_FAILURES: 5,
      SIGN_IN_BACKOFF_BASE_MS: 1000,
      SIGN_IN_BACKOFF_MAX_MS: 900_000,
      ACCOUNTS_POLL_MS: 2000,
      CREDENTIAL_CACHE_TTL_MS: 60_000,
    });
    const env = { ...base, AUDIT_OVERSIGHT_ACCOUNTS_FILE: "/a.json" };
    expect(() => readConfig({ ...env, SESSION_IDLE_MS: String(9 * 3_600_000) })).toThrow(/SESSION_IDLE_MS: must be at most SESSION_TTL_MS/);
    expect(() => readConfig({ ...env, SIGN_IN_BACKOFF_BASE_MS: "5000", SIGN_IN_BACKOFF_MAX_MS: "2000" })).toThrow(/SIGN_IN_BACKOFF_MAX_MS/);
    expect(() => readConfig({ ...env, CREDENTIAL_CACHE_TTL_MS: "-1" })).toThrow(/CREDENTIAL_CACHE_TTL_MS/);
  });

  it("handles 8 partitions' batches at once by default, 1 to 64, in transactions of 500 records", () => {
    const env = { ...base, AUDIT_OVERSIGHT_ACCOUNTS_FILE: "/a.json" };
    expect(readConfig(env)).toMatchObject({ AUDIT_INGEST_PARTITIONS_CONCURRENTLY: 8, MAX_RECORDS_PER_TRANSACTION: 500 });
    expect(readConfig({ ...env, AUDIT_INGEST_PARTITIONS_CONCURRENTLY: "1" }).AUDIT_INGEST_PARTITIONS_CONCURRENTLY).toBe(1);
    for (const bad of ["0", "65", "2.5", "eight"]) expect(() => readConfig({ ...env, AUDIT_INGEST_PARTITIONS_CONCURRENTLY: bad }), bad).toThrow(/AUDIT_INGEST_PARTITIONS_CONCURRENTLY/);
  });
});

describe("query parameters", () => {
  it("parse every filter and keep cursors opaque", () => {
    const q = recordsQuery.parse({ kind: "decision", subscriber_id: "customs", from: "2026-11-20T00:00:00+13:00", limit: "20" });
    expect(q).toMatchObject({ kind: "decision", subscriber_id: "customs", limit: 20 });
    expect(q.from?.toISOString()).toBe("2026-11-19T11:00:00.000Z");
    expect(decodeCursor(encodeCursor(12345))).toBe(12345);
    expect(decodeCursor("bm9wZQ")).toBeNull();
  });
});

const TOPICS: IngestTopics = { auditTopic: "takitini.audit.decisions.v1", accessTopics: ["takitini.audit.briefing-access.v1"] };

describe("publish records", () => {
  it("hold metadata, subject ids and a hash of the bytes — never the event's content", () => {
    const event = IntelligenceEvent.fromPartial({
      id: "0b8a4f4e-6f0e-5c1a-9d0e-1f2a3b4c5d6e",
      sourceAgency: Agency.AGENCY_POLICE,
      eventType: "police.organised_crime_noting",
      region: PoliceDistrict.POLICE_DISTRICT_EASTERN,
      subjects: [{ entity: { $case: "person", value: { subjectId: "police/person/P1", fullName: "Hēmi Tāwhiri", phoneNumbers: ["021 555 0147"] } } }],
      payload: { $case: "policeNoting", value: { groupName: "Barbarians", summary: "seen at 12 Church Street" } },
    });
    const bytes = Buffer.from(IntelligenceEvent.encode(event).finish());
    const r = ingestRecord("takitini.intel.police.v1", 3, { value: bytes, headers: {}, offset: "41" }, TOPICS, new Date());
    if (!r.ok) throw new Error(r.reason);
    const leaf = Buffer.from(r.records[0]!.ledger.payload);
    for (const secret of ["Hēmi", "021 555", "Barbarians", "Church Street"]) expect(leaf.toString("utf8")).not.toContain(secret);
    const decoded = PublishRecord.decode(leaf);
    expect(decoded).toMatchObject({ eventId: event.id, subjectIds: ["police/person/P1"], sourcePartition: 3, sourceOffset: "41" });
    expect(decoded.contentSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.records[0]!.ledger.recordId).toBe(`publish:${event.id}`);
  });

  it("dead-letter what cannot be read", () => {
    expect(ingestRecord("takitini.intel.police.v1", 0, { value: Buffer.from([0xff, 0x01]), headers: {}, offset: "1" }, { auditTopic: "a", accessTopics: [] }, new Date())).toMatchObject({ ok: false, reason: expect.stringMatching(/^DECODE_FAILED/) });
    expect(ingestRecord("takitini.intel.police.v1", 0, { value: null, headers: {}, offset: "1" }, { auditTopic: "a", accessTopics: [] }, new Date())).toEqual({ ok: false, reason: "EMPTY_VALUE" });
    expect(ingestRecord("a", 0, { value: Buffer.from([1]), headers: { "event-type": "audit.gossip" }, offset: "1" }, { auditTopic: "a", accessTopics: [] }, new Date())).toMatchObject({ ok: false, reason: "UNKNOWN_RECORD_TYPE: audit.gossip" });
  });
});
