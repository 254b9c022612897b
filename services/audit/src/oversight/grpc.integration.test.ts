/**
 * The oversight gRPC service on the real PostgreSQL server from the global
 * setup, next to the HTTP API over the same ledger (each test in its own
 * schema): the same answers, the same refusals, every call recorded.
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import {
  AccessAction,
  AccessRecord,
  Agency,
  AnomaliesRequest,
  AnomalyWindow,
  DisclosureStatsRequest,
  GetRecordRequest,
  GetRecordVersionsRequest,
  GetSignedHeadRequest,
  IntelligenceEvent,
  LinkRule,
  SearchRecordsRequest,
  SignHeadRequest,
  WhoHasSeenRequest,
  Outcome,
  OversightServiceClient,
  PoliceDistrict,
  RecordKind,
  StatsBucket,
  VersionKind,
  View,
  WithdrawalReason,
} from "@takitini/proto";
import { createLogger, createMetricsRegistry, decisionIdFor } from "@takitini/runtime";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { buildApp } from "../app.js";
import { appendRecords } from "../ingest.js";
import { Ledger, pgDatabase } from "../ledger/index.js";
import { createSigner } from "../merkle/index.js";
import { checkHeadSignature, trustKeys, verifyInclusion } from "../verify/index.js";
import { gateWithTokens } from "./accounts.fixture.js";
import { LedgerRefusals } from "./refusals.js";
import { closeOversightGrpc, createOversightGrpcServer, GRPC_ERROR_CODE_KEY, issuesOf, listenOversightGrpc, SERVICE_PATH } from "./grpc.js";
import { fromAccess, fromDecision, fromPublish, publishRecord, revisionsOf, type Appendable } from "./records.js";
import { decision } from "./decisions.fixture.js";
import { CUSTOMS_SIDE, LINKAGE_TOPIC, linkAlert, POLICE_SIDE } from "./links.fixture.js";
import { DELIVERY, IDS, seedHistory } from "./revisions.fixture.js";
import { openDocs } from "../subjects/open.js";

const url = inject("databaseUrl");
const admin = new pg.Pool({ connectionString: url, max: 2 });
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
  await admin.end();
});

const TOKEN = "oversight-grpc-token-77ad";
const OFFICER = "Officer Mere";
const signer = createSigner(generateKeyPairSync("ed25519").privateKey);

type Rpc = "searchRecords" | "getRecord" | "getRecordVersions" | "whoHasSeen" | "disclosureStats" | "anomalies" | "getSignedHead" | "signHead";
/** Each RPC's request type, to build a whole message from the fields a test gives. */
const REQUESTS: Record<Rpc, { fromPartial(o: any): object }> = {
  searchRecords: SearchRecordsRequest,
  getRecord: GetRecordRequest,
  getRecordVersions: GetRecordVersionsRequest,
  whoHasSeen: WhoHasSeenRequest,
  disclosureStats: DisclosureStatsRequest,
  anomalies: AnomaliesRequest,
  getSignedHead: GetSignedHeadRequest,
  signHead: SignHeadRequest,
};
type Outcome_<T> = { ok: true; value: T } | { ok: false; error: grpc.ServiceError };

async function service(tls?: { cert: Buffer; key: Buffer }, rateLimit?: { perAddressPerMinute: number; perPrincipalPerMinute: number }) {
  const schema = `oversight_grpc_${randomBytes(6).toString("hex")}`;
  await admin.query(`create schema ${schema}`);
  const pool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
  const db = pgDatabase(pool);
  const ledger = await Ledger.open(db, { signer });
  // An administrator: these tests sign heads (a reviewer's refusal is in roles.test.ts).
  const gate = gateWithTokens({ [TOKEN]: OFFICER }, { roles: { [OFFICER]: "administrator" } });
  const logger = createLogger("t", "silent");
  // Calls refused for their credential (either door) are counted in one window the tests flush themselves.
  const refusals = new LedgerRefusals(ledger, { windowMs: 3_600_000, logger });
  const { app } = await buildApp({ logger, metrics: createMetricsRegistry("t"), db, ledger, gate, readiness: [], refusals });
  const server = createOversightGrpcServer({ logger, db, ledger, gate, refusals, ...(rateLimit ? { rateLimit } : {}) });
  const port = await listenOversightGrpc(server, { host: "127.0.0.1", port: 0, tls });
  const client = new OversightServiceClient(
    `127.0.0.1:${port}`,
    tls ? grpc.credentials.createSsl(tls.cert) : grpc.credentials.createInsecure(),
    tls ? { "grpc.ssl_target_name_override": "localhost" } : {},
  );
  cleanups.push(async () => {
    client.close();
    await closeOversightGrpc(server, 1000);
    await app.close();
    await pool.end();
  });

  /** One call with `authorization: Bearer <token>` (or none), its answer or its error. */
  const call = <T>(rpc: Rpc, request: object, token: string | null = TOKEN): Promise<Outcome_<T>> => {
    const metadata = new grpc.Metadata();
    if (token !== null) metadata.set("authorization", `Bearer ${token}`);
    return new Promise((resolve) => {
      const method = (client as unknown as Record<Rpc, (req: object, md: grpc.Metadata, opts: Partial<grpc.CallOptions>, cb: (err: grpc.ServiceError | null, res: T) => void) => void>)[rpc];
      method.call(client, REQUESTS[rpc].fromPartial(request), metadata, { deadline: Date.now() + 10_000 }, (err, res) => resolve(err ? { ok: false, error: err } : { ok: true, value: res }));
    });
  };
  const answer = async <T>(rpc: Rpc, request: object): Promise<T> => {
    const out = await call<T>(rpc, request);
    if (!out.ok) throw new Error(`${rpc} failed: ${out.error.details}`);
    return out.value;
  };
  const http = async (path: string, method: "GET" | "POST" = "GET") => {
    const res = await app.inject({ method, url: path, headers: { authorization: `Bearer ${TOKEN}` } });
    return { status: res.statusCode, body: res.json() as any };
  };
  /** The oversight queries in the ledger, oldest first, with their API form (a subject parameter opened, as the API answers it). */
  const queries = async () => {
    const { rows } = await db.query<{ record_id: string; doc: Record<string, any> }>("select record_id, doc from audit_records where kind = 'oversight_query' order by idx");
    const docs = await openDocs(db, rows.map((r) => r.doc));
    return rows.map((r, i): Record<string, any> => ({ id: r.record_id, ...docs[i] }));
  };
  /** The refusal summaries in the ledger, oldest first, with their API form. */
  const summaries = async () => {
    const { rows } = await db.query<{ record_id: string; doc: Record<string, any> }>("select record_id, doc from audit_records where kind = 'refusal_summary' order by idx");
    return rows.map((r): Record<string, any> => ({ ...r.doc, record_id: r.record_id }));
  };
  return { db, pool, ledger, app, call, answer, http, queries, summaries, refusals, schema };
}

const EVENT_A = randomUUID();
const EVENT_B = randomUUID();

async function seed(ledger: Ledger) {
  const decisions = [
    decision(EVENT_A, "customs", true),
    decision(EVENT_A, "mbie", true, { redactedPaths: ["subjects[0].person.full_name"] }),
    decision(EVENT_A, "public", false),
    decision(EVENT_B, "customs", true, { subjectIds: ["police/person/P2", "police/person/P1"], decidedAt: new Date("2026-11-21T01:00:00Z"), eventType: "police.firearms_seizure", legalBasis: "Customs and Excise Act 2018, s 7" }),
    decision(EVENT_B, "msd", true, { region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY, decidedAt: new Date("2026-11-21T02:00:00Z") }),
  ];
  const at = new Date();
  const records: Appendable[] = [...decisions.map((d) => fromDecision(d, at)), ...revisionsOf(decisions, at)];
  records.push(
    fromAccess(
      AccessRecord.fromPartial({ id: randomUUID(), action: AccessAction.ACCESS_ACTION_DELIVERED, subscriberId: "customs", channel: "grpc.subscribe", sessionId: "s", eventId: EVENT_A, decisionId: decisions[0]!.id, occurredAt: at }),
      at,
    ),
  );
  await appendRecords(ledger, records);
  return decisions;
}

interface SearchAnswer {
  records: { id: string; index: string; kind: RecordKind }[];
  nextCursor: string;
}

describe("the oversight gRPC service's rate limits", () => {
  it("holds an account to its rate (RESOURCE_EXHAUSTED RATE_LIMITED, retry-after, recorded), and an address to its rate before any credential (counted, not recorded)", async () => {
    const byAccount = await service(undefined, { perAddressPerMinute: 0, perPrincipalPerMinute: 2 });
    const outcomes = [];
    for (let i = 0; i < 3; i++) outcomes.push(await byAccount.call("getSignedHead", {}));
    const over = outcomes[2]!;
    expect(over.ok).toBe(false);
    if (over.ok) return;
    expect([over.error.code, over.error.metadata.get(GRPC_ERROR_CODE_KEY)[0]]).toEqual([grpc.status.RESOURCE_EXHAUSTED, "RATE_LIMITED"]);
    expect(Number(over.error.metadata.get("retry-after")[0])).toBeGreaterThan(0);
    expect((await byAccount.queries()).map((q) => q.status)).toEqual([outcomes[0]!.ok ? 0 : (outcomes[0] as any).error.code, outcomes[1]!.ok ? 0 : (outcomes[1] as any).error.code, grpc.status.RESOURCE_EXHAUSTED]);

    const byAddress = await service(undefined, { perAddressPerMinute: 1, perPrincipalPerMinute: 0 });
    await byAddress.call("getSignedHead", {});
    const cut = await byAddress.call("getSignedHead", {}, null);
    expect(!cut.ok && cut.error.metadata.get(GRPC_ERROR_CODE_KEY)[0]).toBe("RATE_LIMITED");
    await byAddress.refusals.flush();
    expect((await byAddress.summaries()).map((s) => [s.code, s.count])).toEqual([["RATE_LIMITED", 1]]);
    expect(await byAddress.queries()).toHaveLength(1);
  });
});

describe("the oversight gRPC service", () => {
  it("refuses a call without the credential, or with a wrong one, as UNAUTHENTICATED, and counts the attempts into a window's refusal summaries, not a row each", async () => {
    const { call, queries, summaries, refusals, ledger } = await service();
    await seed(ledger);
    const rpcs: [Rpc, object][] = [
      ["searchRecords", { kind: RecordKind.RECORD_KIND_DECISION }],
      ["getRecord", { id: "x" }],
      ["whoHasSeen", { subjectId: "police/person/P1" }],
      ["signHead", {}],
    ];
    for (const [rpc, req] of rpcs) {
      for (const token of [null, "wrong-token"]) {
        const out = await call(rpc, req, token);
        expect(out.ok, `${rpc} ${token}`).toBe(false);
        if (out.ok) continue;
        expect(out.error.code).toBe(grpc.status.UNAUTHENTICATED);
        expect(out.error.metadata.get(GRPC_ERROR_CODE_KEY)).toEqual(["OVERSIGHT_CREDENTIAL_REQUIRED"]);
      }
    }
    // Refused: nothing was signed.
    expect(await ledger.latestHead()).toBeUndefined();
    expect(await queries()).toEqual([]);
    expect(await refusals.flush()).toBe(4);
    const counted = await summaries();
    for (const s of counted) expect(s).toMatchObject({ service: "audit", door: "grpc", code: "OVERSIGHT_CREDENTIAL_REQUIRED", count: 2, distinct_addresses: 1 });
    expect(counted.map((s) => s["route"]).sort()).toEqual(["GetRecord", "SearchRecords", "SignHead", "WhoHasSeen"].map((m) => `${SERVICE_PATH}/${m}`));
    expect(counted.every((s) => s["record_id"] === `refusal-summary:${s["id"]}`)).toBe(true);
  });

  it("searches with the HTTP API's filters and paging, answering the same records", async () => {
    const { answer, http, ledger } = await service();
    await seed(ledger);
    const cases: [Partial<SearchRecordsRequest>, string][] = [
      [{ kind: RecordKind.RECORD_KIND_DECISION, subscriberId: "customs" }, "kind=decision&subscriber_id=customs"],
      [{ kind: RecordKind.RECORD_KIND_DECISION, outcome: Outcome.OUTCOME_DENY }, "kind=decision&outcome=deny"],
      [{ eventType: "police.firearms_seizure" }, "event_type=police.firearms_seizure"],
      [{ kind: RecordKind.RECORD_KIND_DECISION, subjectId: "police/person/P2" }, "kind=decision&subject_id=police/person/P2"],
      [{ region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY }, "region=bay_of_plenty"],
      [{ agency: Agency.AGENCY_POLICE, eventId: EVENT_B }, `agency=police&event_id=${EVENT_B}`],
      [{ legalBasis: "s 7" }, "legal_basis=s%207"],
      [{ kind: RecordKind.RECORD_KIND_DECISION, from: new Date("2026-11-21T00:00:00Z") }, "kind=decision&from=2026-11-21T00:00:00.000Z"],
      [{ kind: RecordKind.RECORD_KIND_DECISION, to: new Date("2026-11-20T12:00:00Z") }, "kind=decision&to=2026-11-20T12:00:00.000Z"],
      [{ kind: RecordKind.RECORD_KIND_POLICY_REVISION }, "kind=policy_revision"],
      [{ kind: RecordKind.RECORD_KIND_ACCESS }, "kind=access"],
    ];
    for (const [req, qs] of cases) {
      const viaGrpc = await answer<SearchAnswer>("searchRecords", req);
      const viaHttp = (await http(`/v1/records?${qs}`)).body as { records: { id: string; index: number }[] };
      expect(viaHttp.records.length, qs).toBeGreaterThan(0);
      expect(viaGrpc.records.map((r) => r.id), qs).toEqual(viaHttp.records.map((r) => r.id));
      expect(viaGrpc.records.map((r) => Number(r.index)), qs).toEqual(viaHttp.records.map((r) => r.index));
    }
    const first = await answer<SearchAnswer & { records: { kind: RecordKind; subjectIds: string[]; occurredAt: Date }[] }>("searchRecords", { kind: RecordKind.RECORD_KIND_DECISION, subscriberId: "customs" });
    expect(first.records[0]).toMatchObject({ id: decisionIdFor(EVENT_B, "customs"), kind: RecordKind.RECORD_KIND_DECISION, subjectIds: ["police/person/P2", "police/person/P1"], occurredAt: new Date("2026-11-21T01:00:00Z") });

    // Paging, one record a page: the same records and the same cursors as over HTTP, no gaps or repeats.
    const grpcPages: string[][] = [];
    const httpPages: string[][] = [];
    let cursor = "";
    do {
      const page: SearchAnswer = await answer<SearchAnswer>("searchRecords", { kind: RecordKind.RECORD_KIND_DECISION, limit: 2, cursor });
      const twin = (await http(`/v1/records?kind=decision&limit=2${cursor ? `&cursor=${cursor}` : ""}`)).body as { records: { id: string }[]; next_cursor: string | null };
      grpcPages.push(page.records.map((r) => r.id));
      httpPages.push(twin.records.map((r) => r.id));
      expect(page.nextCursor).toBe(twin.next_cursor ?? "");
      cursor = page.nextCursor;
    } while (cursor !== "");
    expect(grpcPages).toEqual(httpPages);
    expect(grpcPages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(new Set(grpcPages.flat()).size).toBe(5);
  });

  it("refuses a bad filter with INVALID_ARGUMENT naming the fields, as the HTTP API does", async () => {
    const { call, http, queries } = await service();
    const cases: [Partial<SearchRecordsRequest>, string, string][] = [
      [{ eventId: "nope" }, "event_id=nope", "event_id"],
      [{ limit: 501 }, "limit=501", "limit"],
      [{ limit: 0 }, "limit=0", "limit"],
      [{ subscriberId: "Bad Id!" }, "subscriber_id=Bad%20Id!", "subscriber_id"],
      [{ from: new Date("2026-11-21T00:00:00Z"), to: new Date("2026-11-20T00:00:00Z") }, "from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z", "to"],
      [{ cursor: "bm9wZQ" }, "cursor=bm9wZQ", "cursor"],
    ];
    for (const [req, qs, path] of cases) {
      const out = await call("searchRecords", req);
      expect(out.ok, qs).toBe(false);
      if (out.ok) continue;
      expect(out.error.code, qs).toBe(grpc.status.INVALID_ARGUMENT);
      expect(out.error.metadata.get(GRPC_ERROR_CODE_KEY)).toEqual(["INVALID_QUERY"]);
      const issues = issuesOf(out.error.metadata);
      expect(issues.map((i) => i.path), qs).toContain(path);
      const twin = await http(`/v1/records?${qs}`);
      expect(twin.status).toBe(400);
      expect(issues, qs).toEqual(twin.body.error.issues);
    }
    const bad = await call("whoHasSeen", { subjectId: "not a subject", limit: 0 });
    expect(!bad.ok && issuesOf(bad.error.metadata).map((i) => i.path).sort()).toEqual(["limit", "subject_id"]);
    const grpcRefusals = (await queries()).filter((q) => q["channel"] === "grpc");
    expect(grpcRefusals).toHaveLength(cases.length + 1);
    for (const q of grpcRefusals) expect(q).toMatchObject({ officer: OFFICER, status: grpc.status.INVALID_ARGUMENT, result_count: 0 });
  });

  it("gives a record with its reasons, legal basis, leaf and an inclusion proof that verifies against the signed head", async () => {
    const { answer, call, ledger, http } = await service();
    const decisions = await seed(ledger);
    const id = decisions[1]!.id;
    const before = await answer<any>("getRecord", { id });
    expect(before.proof).toBeUndefined(); // no signed head covers it yet
    expect(before.record).toMatchObject({
      summary: { id, kind: RecordKind.RECORD_KIND_DECISION, subscriberId: "mbie", legalBasis: "Privacy Act 2020, IPP 11(e)(i): maintenance of the law", policyRevision: "rev-1", view: View.VIEW_REDACTED, outcome: Outcome.OUTCOME_ALLOW },
      reasons: ["sharing.customs_police_drug_supply"],
      redactedPaths: ["subjects[0].person.full_name"],
      deliveryTopic: "takitini.deliver.mbie.v1",
    });
    expect(before.record.detail).toMatchObject({ id, subscriber_id: "mbie", legal_basis: "Privacy Act 2020, IPP 11(e)(i): maintenance of the law" });
    expect((await call("getSignedHead", {})).ok).toBe(false);

    const signed = await answer<any>("signHead", {});
    // Signed over the whole ledger; the SignHead call itself was recorded just after.
    expect(Number(signed.head.treeSize)).toBe((await ledger.state()).treeSize - 1);
    const { record, leaf, proof } = await answer<any>("getRecord", { id });
    expect(record.summary.id).toBe(id);
    expect(Number(proof.treeSize)).toBe(Number(signed.head.treeSize));
    expect(verifyInclusion(leaf.leafHash, Number(leaf.index), Number(proof.treeSize), proof.hashes, proof.rootHash)).toEqual({ ok: true });
    const head = proof.head;
    expect(Buffer.compare(head.rootHash, proof.rootHash)).toBe(0);
    expect(checkHeadSignature({ treeSize: Number(head.treeSize), timestampMs: head.issuedAt.getTime(), rootHash: head.rootHash, keyId: head.keyId, signature: head.signature }, trustKeys([head.publicKey]))).toBe("ok");
    // A tampered proof does not verify.
    const bent = proof.hashes.map((h: Buffer, i: number) => (i === 0 ? Buffer.from(h.map((b) => b ^ 1)) : h));
    expect(verifyInclusion(leaf.leafHash, Number(leaf.index), Number(proof.treeSize), bent, proof.rootHash).ok).toBe(false);
    // The same as the HTTP API says.
    const twin = (await http(`/v1/records/${id}`)).body;
    expect(leaf.leafHash.toString("hex")).toBe(twin.ledger.leaf_hash);
    expect(proof.hashes.map((h: Buffer) => h.toString("hex"))).toEqual(twin.proof.inclusion);
    expect((await answer<any>("getSignedHead", {})).head).toEqual(signed.head);

    const missing = await call("getRecord", { id: randomUUID() });
    expect(!missing.ok && missing.error.code).toBe(grpc.status.NOT_FOUND);
  });

  it("answers who has seen information about a person, paged, with the legal basis of each disclosure", async () => {
    const { answer, http, ledger } = await service();
    await seed(ledger);
    const all = await answer<any>("whoHasSeen", { subjectId: "police/person/P1" });
    expect(all.disclosures.map((d: { subscriberId: string }) => d.subscriberId).sort()).toEqual(["customs", "customs", "mbie", "msd"]);
    expect(all.denied).toBe(1);
    expect(all.disclosures[0]).toMatchObject({ eventId: EVENT_B, agency: Agency.AGENCY_POLICE, view: View.VIEW_REDACTED, legalBasis: expect.stringMatching(/IPP 11|Customs/) });
    const twin = (await http(`/v1/subjects/${encodeURIComponent("police/person/P1")}/disclosures`)).body;
    expect(all.disclosures.map((d: { decisionId: string }) => d.decisionId)).toEqual(twin.disclosures.map((d: { decision_id: string }) => d.decision_id));
    const seen: string[] = [];
    let cursor = "";
    do {
      const page: any = await answer<any>("whoHasSeen", { subjectId: "police/person/P1", limit: 3, cursor });
      seen.push(...page.disclosures.map((d: { decisionId: string }) => d.decisionId));
      cursor = page.nextCursor;
    } while (cursor !== "");
    expect(seen).toEqual(twin.disclosures.map((d: { decision_id: string }) => d.decision_id));
    expect(await answer<any>("whoHasSeen", { subjectId: "police/person/NOBODY" })).toMatchObject({ disclosures: [], denied: 0, nextCursor: "" });
  });

  it("answers a person's links across agencies as the HTTP API does: the linked subject's disclosures, the rule and the confidence", async () => {
    const { answer, http, ledger } = await service();
    const at = new Date();
    const alert = linkAlert(randomUUID(), POLICE_SIDE, CUSTOMS_SIDE, { confidence: 0.95 });
    await appendRecords(ledger, [
      fromDecision(decision(POLICE_SIDE.eventId, "customs", true, { subjectIds: [POLICE_SIDE.subjectId] }), at),
      fromDecision(decision(CUSTOMS_SIDE.eventId, "police", true, { subjectIds: [CUSTOMS_SIDE.subjectId], sourceAgency: Agency.AGENCY_CUSTOMS, eventType: CUSTOMS_SIDE.eventType }), at),
      fromPublish(publishRecord(alert, IntelligenceEvent.encode(alert).finish(), { topic: LINKAGE_TOPIC, partition: 0, offset: "1" }), at),
    ]);
    const out = await answer<any>("whoHasSeen", { subjectId: POLICE_SIDE.subjectId });
    expect(out.links).toHaveLength(1);
    expect(out.links[0]).toMatchObject({
      linkId: alert.id,
      rule: LinkRule.LINK_RULE_IDENTITY_DOCUMENT,
      confidence: 0.95,
      record: { eventId: POLICE_SIDE.eventId, agency: Agency.AGENCY_POLICE, eventType: POLICE_SIDE.eventType },
      linkedRecord: { eventId: CUSTOMS_SIDE.eventId, agency: Agency.AGENCY_CUSTOMS, eventType: CUSTOMS_SIDE.eventType },
      linkedSubjectId: CUSTOMS_SIDE.subjectId,
      denied: 0,
      more: false,
    });
    expect(out.links[0].disclosures.map((d: { subscriberId: string; eventId: string; agency: Agency }) => [d.subscriberId, d.eventId, d.agency])).toEqual([["police", CUSTOMS_SIDE.eventId, Agency.AGENCY_CUSTOMS]]);
    const twin = (await http(`/v1/subjects/${encodeURIComponent(POLICE_SIDE.subjectId)}/disclosures`)).body;
    expect(out.links[0].linkedAt.toISOString()).toBe(twin.links[0].linked_at);
    expect(out.links[0].disclosures.map((d: { decisionId: string }) => d.decisionId)).toEqual(twin.links[0].disclosures.map((d: { decision_id: string }) => d.decision_id));
    expect((await answer<any>("whoHasSeen", { subjectId: "police/person/NOBODY" })).links).toEqual([]);
  });

  it("answers a record's history as the HTTP API does, from any version's id; refuses a malformed id naming event_id and an unknown one NOT_FOUND, each recorded", async () => {
    const { answer, call, http, ledger, queries } = await service();
    await seedHistory(ledger);
    const twin = (await http(`/v1/records/${IDS.first}/versions`)).body;
    for (const id of [IDS.first, IDS.third, IDS.withdrawal]) {
      const out = await answer<any>("getRecordVersions", { eventId: id });
      expect(out).toMatchObject({ eventId: id, originalEventId: IDS.first, withdrawn: true, moreVersions: false });
      expect(out.versions.map((v: { eventId: string; version: VersionKind }) => [v.eventId, v.version])).toEqual([
        [IDS.first, VersionKind.VERSION_KIND_FIRST],
        [IDS.second, VersionKind.VERSION_KIND_CORRECTION],
        [IDS.third, VersionKind.VERSION_KIND_CORRECTION],
        [IDS.withdrawal, VersionKind.VERSION_KIND_WITHDRAWAL],
      ]);
      expect(out.versions.map((v: { record: { id: string } }) => v.record.id)).toEqual(twin.versions.map((v: { record: { id: string } }) => v.record.id));
      expect(out.versions.map((v: { decisions: { decisionId: string }[] }) => v.decisions.map((d) => d.decisionId))).toEqual(twin.versions.map((v: { decisions: { decision_id: string }[] }) => v.decisions.map((d) => d.decision_id)));
      expect(out.versions[2]).toMatchObject({ supersedesEventId: IDS.second, withdrawnEventId: "", reason: WithdrawalReason.WITHDRAWAL_REASON_UNSPECIFIED });
      expect(out.versions[3]).toMatchObject({ supersedesEventId: "", withdrawnEventId: IDS.third, reason: WithdrawalReason.WITHDRAWAL_REASON_NOT_SUBSTANTIATED });
      expect(out.versions[0].decisions[1]).toMatchObject({ subscriberId: "public", outcome: Outcome.OUTCOME_ALLOW, view: View.VIEW_AGGREGATE_ONLY, deliveryId: DELIVERY });
    }
    const bad = await call("getRecordVersions", { eventId: "nope" });
    expect(!bad.ok && bad.error.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(!bad.ok && issuesOf(bad.error.metadata).map((i) => i.path)).toEqual(["event_id"]);
    const unknown = await call("getRecordVersions", { eventId: randomUUID() });
    expect(!unknown.ok && unknown.error.metadata.get(GRPC_ERROR_CODE_KEY)).toEqual(["RECORD_NOT_FOUND"]);
    expect(!unknown.ok && unknown.error.code).toBe(grpc.status.NOT_FOUND);
    const recorded = (await queries()).filter((q) => q["method"] === "GetRecordVersions");
    expect(recorded.map((q) => [q["parameters"]["event_id"] === "nope" ? "nope" : "uuid", q["status"], q["result_count"]])).toEqual([
      ["uuid", grpc.status.OK, 4],
      ["uuid", grpc.status.OK, 4],
      ["uuid", grpc.status.OK, 4],
      ["nope", grpc.status.INVALID_ARGUMENT, 0],
      ["uuid", grpc.status.NOT_FOUND, 0],
    ]);
    expect(recorded[0]).toMatchObject({ officer: OFFICER, channel: "grpc", route: `${SERVICE_PATH}/GetRecordVersions` });
  });

  it("counts disclosures and flags anomalies as the HTTP API does", async () => {
    const { answer, http, ledger } = await service();
    await seed(ledger);
    const stats = await answer<any>("disclosureStats", { bucket: StatsBucket.STATS_BUCKET_DAY });
    const twin = (await http("/v1/stats/disclosures?bucket=day")).body;
    expect(stats.totals.map((t: any) => ({ subscriber_id: t.subscriberId, allow: t.allow, deny: t.deny }))).toEqual(twin.totals);
    expect(stats.buckets.map((b: any) => ({ start: b.start.toISOString(), subscriber_id: b.subscriberId, allow: b.allow, deny: b.deny }))).toEqual(twin.buckets);

    const at = new Date("2026-12-15T12:00:00Z");
    const records: Appendable[] = [];
    for (let day = 1; day <= 14; day++) for (let k = 0; k < 2; k++) records.push(fromDecision(decision(randomUUID(), "mbie", true, { decidedAt: new Date(at.getTime() - day * 86_400_000 - 3_600_000) }), at));
    for (let k = 0; k < 40; k++) records.push(fromDecision(decision(randomUUID(), "mbie", true, { decidedAt: new Date(at.getTime() - 3_600_000) }), at));
    await appendRecords(ledger, records);
    const { anomalies } = await answer<any>("anomalies", { at });
    expect(anomalies).toEqual([expect.objectContaining({ subscriberId: "mbie", metric: "ANOMALY_METRIC_ALLOW", count: 40, baselineMean: 2, windowStart: new Date(at.getTime() - 86_400_000) })]);
    expect((await http(`/v1/anomalies?at=${at.toISOString()}`)).body.anomalies).toHaveLength(1);
  });

  it("records every call in the ledger — channel grpc, the RPC's name, its parameters, status and count — as HTTP records its twin", async () => {
    const { answer, call, http, ledger, queries } = await service();
    await seed(ledger);
    await answer("searchRecords", { kind: RecordKind.RECORD_KIND_DECISION, subscriberId: "customs" });
    // In the ledger by the time the answer arrived.
    expect((await queries()).map((q) => q["method"])).toEqual(["SearchRecords"]);
    await http("/v1/records?kind=decision&subscriber_id=customs");
    await answer("whoHasSeen", { subjectId: "police/person/P1", limit: 10 });
    await answer("disclosureStats", {});
    await answer("anomalies", { window: AnomalyWindow.ANOMALY_WINDOW_HOUR });
    await answer("signHead", {});
    await answer("getSignedHead", {});
    await call("getRecord", { id: "no-such-record" });
    const recorded = await queries();
    const grpcCalls = recorded.filter((q) => q["channel"] === "grpc");
    expect(grpcCalls.map((q) => [q["method"], q["status"], q["result_count"]])).toEqual([
      ["SearchRecords", 0, 2],
      ["WhoHasSeen", 0, 4],
      ["DisclosureStats", 0, 5],
      ["Anomalies", 0, 0],
      ["SignHead", 0, 1],
      ["GetSignedHead", 0, 1],
      ["GetRecord", grpc.status.NOT_FOUND, 0],
    ]);
    for (const q of grpcCalls) expect(q).toMatchObject({ officer: OFFICER, route: `${SERVICE_PATH}/${q["method"]}` });
    expect(grpcCalls[1]!["parameters"]).toEqual({ subject_id: "police/person/P1", limit: "10" });
    expect(grpcCalls[3]!["parameters"]).toEqual({ window: "hour" });
    expect(grpcCalls[6]!["parameters"]).toEqual({ id: "no-such-record" });
    // The same question over either door is recorded with the same parameters.
    const viaHttp = recorded.find((q) => q["channel"] === "http")!;
    expect(viaHttp).toMatchObject({ method: "GET", route: "/v1/records", status: 200, result_count: 2 });
    expect(grpcCalls[0]!["parameters"]).toEqual(viaHttp["parameters"]);
  });

  it("withholds the answer when the query cannot be recorded", async () => {
    const { call, pool, ledger, schema } = await service();
    await seed(ledger);
    await pool.query(
      `create function ${schema}.refuse_queries() returns trigger language plpgsql as $$ begin raise exception 'oversight queries refused for this test'; end $$;
       create trigger refuse_queries before insert on ${schema}.audit_records for each row when (new.kind = 'oversight_query') execute function ${schema}.refuse_queries();`,
    );
    const out = await call<SearchAnswer>("searchRecords", { kind: RecordKind.RECORD_KIND_DECISION });
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.error.code).toBe(grpc.status.INTERNAL);
      expect(out.error.details).toMatch(/could not be recorded/);
    }
  });

  it("serves TLS when given a certificate and key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "audit-grpc-tls-"));
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1", "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost", "-keyout", join(dir, "k.pem"), "-out", join(dir, "c.pem")],
      { stdio: "ignore" },
    );
    const { answer, ledger } = await service({ cert: readFileSync(join(dir, "c.pem")), key: readFileSync(join(dir, "k.pem")) });
    await seed(ledger);
    const page = await answer<SearchAnswer>("searchRecords", { kind: RecordKind.RECORD_KIND_DECISION, outcome: Outcome.OUTCOME_DENY });
    expect(page.records.map((r) => r.id)).toEqual([decisionIdFor(EVENT_A, "public")]);
  });
});
