import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import {
  Agency,
  AnomaliesRequest,
  AnomalyWindow,
  DisclosureStatsRequest,
  OversightQueryRecord,
  Outcome,
  PoliceDistrict,
  RecordKind,
  SearchRecordsRequest,
  StatsBucket,
  View,
  WhoHasSeenRequest,
} from "@takitini/proto";
import { commonErrors, ServiceError } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { auditErrors } from "../app.js";
import { readConfig } from "../config.js";
import {
  grpcBinding,
  grpcError,
  GRPC_ERROR_CODE_KEY,
  issuesOf,
  accountOf,
  peerAddress,
  searchParameters,
  summaryMessage,
  toAnomaliesQuery,
  toRecordRequest,
  toRecordsQuery,
  toStatsQuery,
  toVersionsRequest,
  toWhoHasSeenQuery,
} from "./grpc.js";
import { SignInThrottledError } from "@takitini/runtime";
import { gateWithTokens } from "./accounts.fixture.js";
import { recordsQuery } from "./query.js";
import { oversightQueryRecord, queryParameters } from "./recording.js";

const EVENT = "5b0c1f7e-2d4a-4c3e-9f1a-0b2c3d4e5f60";

/** The field paths a refused request names. */
function paths(f: () => unknown): string[] {
  try {
    f();
  } catch (err) {
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).code).toBe("INVALID_QUERY");
    return (err as ServiceError).issues.map((i) => i.path);
  }
  throw new Error("expected the request to be refused");
}

describe("gRPC requests map onto the HTTP API's queries", () => {
  it("gives a search request every filter in the HTTP query's form, and the same query object", () => {
    const req = SearchRecordsRequest.fromPartial({
      kind: RecordKind.RECORD_KIND_OVERSIGHT_QUERY,
      agency: Agency.AGENCY_CUSTOMS,
      subscriberId: "mbie",
      eventType: "customs.border_seizure",
      region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
      subjectId: "police/person/P1",
      eventId: EVENT,
      outcome: Outcome.OUTCOME_DENY,
      legalBasis: "IPP 11",
      from: new Date("2026-11-20T00:00:00Z"),
      to: new Date("2026-11-21T00:00:00.250Z"),
      limit: 7,
      cursor: "aTo1",
    });
    const http = {
      kind: "oversight_query",
      agency: "customs",
      subscriber_id: "mbie",
      event_type: "customs.border_seizure",
      region: "bay_of_plenty",
      subject_id: "police/person/P1",
      event_id: EVENT,
      outcome: "deny",
      legal_basis: "IPP 11",
      from: "2026-11-20T00:00:00.000Z",
      to: "2026-11-21T00:00:00.250Z",
      limit: "7",
      cursor: "aTo1",
    };
    expect(searchParameters(req)).toEqual(http);
    expect(toRecordsQuery(req)).toEqual(recordsQuery.parse(http));
  });

  it("leaves unspecified enums, empty strings and unset limits out, so the defaults apply", () => {
    const empty = SearchRecordsRequest.fromPartial({});
    expect(searchParameters(empty)).toEqual({});
    expect(toRecordsQuery(empty)).toEqual({ limit: 100 });
    expect(toStatsQuery(DisclosureStatsRequest.fromPartial({}))).toEqual({ bucket: "day" });
    expect(toStatsQuery(DisclosureStatsRequest.fromPartial({ bucket: StatsBucket.STATS_BUCKET_WEEK }))).toEqual({ bucket: "week" });
    expect(toAnomaliesQuery(AnomaliesRequest.fromPartial({}))).toEqual({ window: "day", baseline: 14 });
    expect(toAnomaliesQuery(AnomaliesRequest.fromPartial({ window: AnomalyWindow.ANOMALY_WINDOW_HOUR, baseline: 30, at: new Date("2026-12-01T00:00:00Z") }))).toEqual({
      window: "hour",
      baseline: 30,
      at: new Date("2026-12-01T00:00:00Z"),
    });
    expect(toWhoHasSeenQuery(WhoHasSeenRequest.fromPartial({ subjectId: "police/person/P1", limit: 5 }))).toEqual({ subject_id: "police/person/P1", limit: 5 });
  });

  it.each<[string, Partial<SearchRecordsRequest>, string]>([
    ["a limit of 0", { limit: 0 }, "limit"],
    ["a limit above 500", { limit: 501 }, "limit"],
    ["a negative limit", { limit: -3 }, "limit"],
    ["a bad subscriber id", { subscriberId: "no spaces!" }, "subscriber_id"],
    ["a bad event type", { eventType: "Seizure" }, "event_type"],
    ["an event id that is no UUID", { eventId: "nope" }, "event_id"],
    ["`to` before `from`", { from: new Date("2026-11-21T00:00:00Z"), to: new Date("2026-11-20T00:00:00Z") }, "to"],
    ["a timestamp no Date can hold", { from: new Date(Number.NaN) }, "from"],
    ["an over-long cursor", { cursor: "c".repeat(101) }, "cursor"],
    ["an over-long legal basis", { legalBasis: "x".repeat(301) }, "legal_basis"],
  ])("refuses %s with INVALID_QUERY naming the field", (_what, partial, path) => {
    expect(paths(() => toRecordsQuery(SearchRecordsRequest.fromPartial(partial)))).toContain(path);
  });

  it("names the request's own fields for the queries whose HTTP form has path parameters", () => {
    expect(paths(() => toRecordRequest({ id: "" }))).toEqual(["id"]);
    expect(paths(() => toVersionsRequest({ eventId: "" }))).toEqual(["event_id"]);
    expect(paths(() => toVersionsRequest({ eventId: "publish:9a0c5e10-0000-4000-8000-000000000001" }))).toEqual(["event_id"]);
    expect(toVersionsRequest({ eventId: "9a0c5e10-0000-4000-8000-000000000001" })).toEqual({ event_id: "9a0c5e10-0000-4000-8000-000000000001" });
    expect(paths(() => toWhoHasSeenQuery(WhoHasSeenRequest.fromPartial({ subjectId: "" })))).toEqual(["subject_id"]);
    expect(paths(() => toWhoHasSeenQuery(WhoHasSeenRequest.fromPartial({ subjectId: "a b", limit: 900 }))).sort()).toEqual(["limit", "subject_id"]);
    expect(paths(() => toAnomaliesQuery(AnomaliesRequest.fromPartial({ baseline: 2 })))).toEqual(["baseline"]);
    expect(paths(() => toStatsQuery(DisclosureStatsRequest.fromPartial({ from: new Date("2026-02-02T00:00:00Z"), to: new Date("2026-02-01T00:00:00Z") })))).toEqual(["to"]);
  });
});

describe("gRPC answers and refusals", () => {
  it("turns a record summary's API codes back into the contract's enums", () => {
    const base = { index: 41, id: "d1", occurred_at: "2026-11-20T01:00:00.000Z", subscriber_id: "customs", event_type: "police.x", legal_basis: "IPP 11", policy_revision: "rev-1", event_id: EVENT, action: "", subject_ids: ["police/person/P1"] };
    expect(summaryMessage({ ...base, kind: "decision", agency: "police", region: "bay_of_plenty", outcome: "allow", view: "redacted" })).toEqual({
      index: "41",
      id: "d1",
      kind: RecordKind.RECORD_KIND_DECISION,
      occurredAt: new Date("2026-11-20T01:00:00Z"),
      agency: Agency.AGENCY_POLICE,
      subscriberId: "customs",
      eventType: "police.x",
      region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
      outcome: Outcome.OUTCOME_ALLOW,
      view: View.VIEW_REDACTED,
      legalBasis: "IPP 11",
      policyRevision: "rev-1",
      eventId: EVENT,
      action: "",
      subjectIds: ["police/person/P1"],
    });
    const access = summaryMessage({ ...base, kind: "access", agency: "", region: "", outcome: "", view: "", action: "delivered" });
    expect(access).toMatchObject({ kind: RecordKind.RECORD_KIND_ACCESS, agency: Agency.AGENCY_UNSPECIFIED, region: PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED, outcome: Outcome.OUTCOME_UNSPECIFIED, view: View.VIEW_UNSPECIFIED });
    expect(summaryMessage({ ...base, kind: "policy_revision", agency: "", region: "atlantis", outcome: "", view: "" }).region).toBe(PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED);
  });

  it("answers a refused query with INVALID_ARGUMENT and its field issues in trailing metadata", () => {
    const err = grpcError(commonErrors.INVALID_QUERY([{ path: "event_id", code: "invalid_format", message: "Invalid UUID" }]));
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toBe("INVALID_QUERY: event_id: Invalid UUID");
    expect(err.metadata.get(GRPC_ERROR_CODE_KEY)).toEqual(["INVALID_QUERY"]);
    expect(issuesOf(err.metadata)).toEqual([{ path: "event_id", code: "invalid_format", message: "Invalid UUID" }]);
    expect(grpcError(auditErrors.OVERSIGHT_CREDENTIAL_REQUIRED()).code).toBe(grpc.status.UNAUTHENTICATED);
    expect(grpcError(auditErrors.RECORD_NOT_FOUND()).code).toBe(grpc.status.NOT_FOUND);
    expect(grpcError(auditErrors.NO_SIGNED_HEAD()).code).toBe(grpc.status.NOT_FOUND);
    expect(grpcError(commonErrors.INTERNAL()).code).toBe(grpc.status.INTERNAL);
    const throttled = grpcError(new SignInThrottledError(4));
    expect(throttled.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(throttled.metadata.get(GRPC_ERROR_CODE_KEY)).toEqual(["SIGN_IN_THROTTLED"]);
    expect(throttled.metadata.get("retry-after")).toEqual(["4"]);
  });

  it("takes the credential from `authorization: Bearer <token>` metadata only, throttling failures by the peer's address", async () => {
    const gate = gateWithTokens({ "s3cret-token": "Officer Aroha" });
    const md = (value?: string) => {
      const m = new grpc.Metadata();
      if (value !== undefined) m.set("authorization", value);
      return m;
    };
    const peer = "ipv4:10.1.2.3:50123";
    expect(await accountOf(gate, md("Bearer s3cret-token"), peer)).toMatchObject({ ok: true, account: { name: "Officer Aroha", role: "reviewer" } });
    expect(await accountOf(gate, md(), peer)).toEqual({ ok: false, code: "CREDENTIAL_INVALID" });
    expect(await accountOf(gate, md("s3cret-token"), peer)).toEqual({ ok: false, code: "CREDENTIAL_INVALID" });
    expect(await accountOf(gate, md("Basic s3cret-token"), peer)).toEqual({ ok: false, code: "CREDENTIAL_INVALID" });
    for (let i = 0; i < 5; i++) expect(await accountOf(gate, md(`Bearer wrong-${i}`), peer)).toEqual({ ok: false, code: "CREDENTIAL_INVALID" });
    expect(await accountOf(gate, md("Bearer wrong-5"), "10.1.2.3:40000")).toMatchObject({ ok: false, code: "SIGN_IN_THROTTLED", retryAfterSeconds: 1 });
    expect(await accountOf(gate, md("Bearer wrong-5"), "ipv4:10.1.2.4:40000")).toEqual({ ok: false, code: "CREDENTIAL_INVALID" });
  });

  it("reads the client address of a gRPC peer", () => {
    expect(peerAddress("ipv4:10.0.0.1:5000")).toBe("10.0.0.1");
    expect(peerAddress("10.0.0.1:5000")).toBe("10.0.0.1");
    expect(peerAddress("ipv6:[2001:db8::1]:5000")).toBe("2001:db8::1");
    expect(peerAddress("[::1]:5000")).toBe("::1");
    expect(peerAddress("unix:/tmp/sock")).toBe("unix:/tmp/sock");
  });
});

describe("recording an oversight query", () => {
  it("keeps parameters bounded, stringified and sorted, leaving absent ones out", () => {
    expect(queryParameters({ z: "1", a: 2, at: new Date("2026-01-01T00:00:00Z"), gone: undefined, nil: null, long: "x".repeat(600), ["n".repeat(120)]: "v" })).toEqual([
      { name: "a", value: "2" },
      { name: "at", value: "2026-01-01T00:00:00.000Z" },
      { name: "long", value: "x".repeat(500) },
      { name: "n".repeat(100), value: "v" },
      { name: "z", value: "1" },
    ]);
  });

  it("builds the record the ledger holds for either door", () => {
    const at = new Date("2026-11-22T03:04:05.678Z");
    const r = oversightQueryRecord({ officer: "Officer Aroha", role: "reviewer", channel: "grpc", method: "SearchRecords", route: "/takitini.audit.v1.OversightService/SearchRecords", parameters: { kind: "decision" }, status: 3, resultCount: 0 }, "q-1", at);
    expect(OversightQueryRecord.decode(OversightQueryRecord.encode(r).finish())).toEqual({
      id: "q-1",
      officer: "Officer Aroha",
      channel: "grpc",
      method: "SearchRecords",
      route: "/takitini.audit.v1.OversightService/SearchRecords",
      parameters: [{ name: "kind", value: "decision" }],
      status: 3,
      resultCount: 0,
      occurredAt: at,
      officerRole: "reviewer",
      // Sealed by appendRecords (subjects/), not here.
      sealedSubjects: [],
    });
  });
});

describe("gRPC configuration", () => {
  const base = { DATABASE_URL: "postgres://x@127.0.0.1/db", AUDIT_OVERSIGHT_TOKENS_FILE: "/t.json", TAKITINI_INSECURE_KAFKA: "true" };

  it("defaults to port 9083 and takes 0 for any free port", () => {
    expect(readConfig(base)).toMatchObject({ GRPC_PORT: 9083 });
    expect(readConfig({ ...base, GRPC_PORT: "0" })).toMatchObject({ GRPC_PORT: 0 });
    expect(() => readConfig({ ...base, GRPC_PORT: "70000" })).toThrow(/GRPC_PORT/);
  });

  it("wants the TLS certificate and key together", () => {
    expect(readConfig({ ...base, GRPC_TLS_CERT: "/c.pem", GRPC_TLS_KEY: "/k.pem" })).toMatchObject({ GRPC_TLS_CERT: "/c.pem", GRPC_TLS_KEY: "/k.pem" });
    expect(() => readConfig({ ...base, GRPC_TLS_CERT: "/c.pem" })).toThrow(/GRPC_TLS_KEY: GRPC_TLS_CERT and GRPC_TLS_KEY are set together/);
    expect(() => readConfig({ ...base, GRPC_TLS_KEY: "/k.pem" })).toThrow(/GRPC_TLS_CERT: /);
  });

  it("serves plaintext on 127.0.0.1 only, and TLS on the configured host", () => {
    expect(grpcBinding({ host: "0.0.0.0", port: 9083 })).toMatchObject({ address: "127.0.0.1:9083", tls: false });
    const dir = mkdtempSync(join(tmpdir(), "audit-grpc-tls-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem")], { stdio: "ignore" });
    const tls = { cert: readFileSync(join(dir, "c.pem")), key: readFileSync(join(dir, "k.pem")) };
    expect(grpcBinding({ host: "0.0.0.0", port: 9083, tls })).toMatchObject({ address: "0.0.0.0:9083", tls: true });
  });
});
