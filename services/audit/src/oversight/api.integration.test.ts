/**
 * The oversight API on the real PostgreSQL server from the global setup: the
 * records come in through the same ingest functions the Kafka shell uses, each
 * test in its own schema.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { AccessAction, AccessRecord, Agency, IntelligenceEvent, PoliceDistrict } from "@takitini/proto";
import { createLogger, createMetricsRegistry, decisionIdFor } from "@takitini/runtime";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { buildApp } from "../app.js";
import { appendRecords, ingestRecord } from "../ingest.js";
import { Ledger, pgDatabase } from "../ledger/index.js";
import { createSigner } from "../merkle/index.js";
import { fromAccess, fromDecision, revisionsOf, type Appendable } from "./records.js";
import { gateWithTokens } from "./accounts.fixture.js";
import { LedgerRefusals } from "./refusals.js";
import { trustKeys, checkHeadSignature, verifyInclusion } from "../verify/index.js";
import { decision } from "./decisions.fixture.js";
import { CUSTOMS_SIDE, LINKAGE_TOPIC, linkAlert, POLICE_SIDE } from "./links.fixture.js";
import { checkStoredIndex, checkStoredKeys } from "../indexcheck/index.js";
import { destroyKeys, refsOfSubject } from "../subjects/purge.js";

const url = inject("databaseUrl");
const admin = new pg.Pool({ connectionString: url, max: 2 });
const pools: pg.Pool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await admin.end();
});

const TOKEN = "oversight-test-token-4f1c";
const signer = createSigner(generateKeyPairSync("ed25519").privateKey);

async function service() {
  const schema = `oversight_${randomBytes(6).toString("hex")}`;
  await admin.query(`create schema ${schema}`);
  const pool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
  pools.push(pool);
  const db = pgDatabase(pool);
  const ledger = await Ledger.open(db, { signer });
  // Refusals for a credential: counted in a window the tests flush themselves.
  const refusals = new LedgerRefusals(ledger, { windowMs: 3_600_000, logger: createLogger("t", "silent") });
  const { app } = await buildApp({
    logger: createLogger("t", "silent"),
    metrics: createMetricsRegistry("t"),
    db,
    ledger,
    // An administrator: these tests sign heads (a reviewer's refusal is in roles.test.ts).
    gate: gateWithTokens({ [TOKEN]: "Officer Aroha" }, { roles: { "Officer Aroha": "administrator" } }),
    readiness: [],
    refusals,
  });
  const get = async (path: string, token: string | null = TOKEN) => {
    const res = await app.inject({ url: path, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.statusCode, body: res.json() as any };
  };
  return { db, ledger, app, get, pool, refusals };
}

const TOPICS = { auditTopic: "takitini.audit.decisions.v1", accessTopics: ["takitini.audit.briefing-access.v1"] };

const EVENT_A = randomUUID();
const EVENT_B = randomUUID();

async function seed(ledger: Ledger) {
  const decisions = [
    decision(EVENT_A, "customs", true),
    decision(EVENT_A, "mbie", true, { redactedPaths: ["subjects[0].person.full_name"] }),
    decision(EVENT_A, "public", false),
    decision(EVENT_B, "customs", true, { subjectIds: ["police/person/P2"], decidedAt: new Date("2026-11-21T01:00:00Z"), eventType: "police.firearms_seizure", legalBasis: "Customs and Excise Act 2018, s 7 (50% off)" }),
  ];
  const at = new Date();
  const records: Appendable[] = [...decisions.map((d) => fromDecision(d, at)), ...revisionsOf(decisions, at)];
  records.push(
    fromAccess(
      AccessRecord.fromPartial({ id: randomUUID(), action: AccessAction.ACCESS_ACTION_DELIVERED, subscriberId: "customs", channel: "grpc.subscribe", sessionId: "s", eventId: EVENT_A, decisionId: decisions[0]!.id, occurredAt: at }),
      at,
    ),
  );
  const event = IntelligenceEvent.fromPartial({ id: EVENT_A, sourceAgency: Agency.AGENCY_POLICE, eventType: "police.organised_crime_noting", region: PoliceDistrict.POLICE_DISTRICT_EASTERN, subjects: [{ entity: { $case: "person", value: { subjectId: "police/person/P1", fullName: "Hēmi Tāwhiri" } } }] });
  const published = ingestRecord("takitini.intel.police.v1", 0, { value: Buffer.from(IntelligenceEvent.encode(event).finish()), headers: {}, offset: "7" }, TOPICS, at);
  if (!published.ok) throw new Error(published.reason);
  records.push(...published.records);
  await appendRecords(ledger, records);
  return decisions;
}

describe("the oversight API", () => {
  it("refuses every /v1 route without an oversight credential, and counts the attempts into a window's refusal summaries, not a row each", async () => {
    const { get, ledger, refusals } = await service();
    await seed(ledger);
    const paths = ["/v1/records", "/v1/subjects/police%2Fperson%2FP1/disclosures", "/v1/tree/head", "/v1/stats/disclosures"];
    for (const path of paths) {
      expect((await get(path, null)).status).toBe(401);
      expect((await get(path, "wrong-token")).body.error.code).toBe("OVERSIGHT_CREDENTIAL_REQUIRED");
    }
    expect((await get("/v1/records?kind=oversight_query&limit=500")).body.records).toEqual([]);
    expect(await refusals.flush()).toBe(4);
    const summaries = (await get("/v1/records?kind=refusal_summary&limit=500")).body.records as { id: string }[];
    const details = await Promise.all(summaries.map(async (s) => (await get(`/v1/records/${encodeURIComponent(s.id)}`)).body.record.detail));
    expect(details.map((d: { route: string; count: number; code: string }) => [d.route, d.count, d.code]).sort()).toEqual(
      ["/v1/records", "/v1/stats/disclosures", "/v1/subjects/:subjectId/disclosures", "/v1/tree/head"].map((r) => [r, 2, "OVERSIGHT_CREDENTIAL_REQUIRED"]),
    );
  });

  it("searches by every filter, newest first, paged without gaps or repeats", async () => {
    const { get, ledger } = await service();
    await seed(ledger);
    const ids = (b: { records: { id: string }[] }) => b.records.map((r) => r.id);
    expect(ids((await get("/v1/records?kind=decision&subscriber_id=customs")).body)).toEqual([decisionIdFor(EVENT_B, "customs"), decisionIdFor(EVENT_A, "customs")]);
    expect(ids((await get("/v1/records?kind=decision&outcome=deny")).body)).toEqual([decisionIdFor(EVENT_A, "public")]);
    expect(ids((await get("/v1/records?event_type=police.firearms_seizure")).body)).toEqual([decisionIdFor(EVENT_B, "customs")]);
    expect(ids((await get("/v1/records?kind=decision&subject_id=police/person/P2")).body)).toEqual([decisionIdFor(EVENT_B, "customs")]);
    // A legal-basis search takes % and _ literally.
    expect(ids((await get("/v1/records?legal_basis=50%25%20off")).body)).toEqual([decisionIdFor(EVENT_B, "customs")]);
    expect(ids((await get("/v1/records?legal_basis=%25")).body)).toEqual([decisionIdFor(EVENT_B, "customs")]);
    expect((await get("/v1/records?kind=decision&from=2026-11-21T00:00:00Z")).body.records).toHaveLength(1);
    expect((await get("/v1/records?kind=publish&agency=police&region=eastern")).body.records[0]).toMatchObject({ kind: "publish", event_id: EVENT_A, subject_ids: ["police/person/P1"] });
    expect((await get("/v1/records?kind=policy_revision")).body.records.map((r: { policy_revision: string }) => r.policy_revision)).toEqual(["rev-1"]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { records: { id: string }[]; next_cursor: string | null } = (await get(`/v1/records?kind=decision&limit=1${cursor ? `&cursor=${cursor}` : ""}`)).body;
      seen.push(...ids(page));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
  });

  it.each([
    ["kind=gossip", "kind"],
    ["limit=0", "limit"],
    ["limit=501", "limit"],
    ["region=Eastern!", "region"],
    ["from=yesterday", "from"],
    ["from=2026-11-21T00:00:00Z&to=2026-11-20T00:00:00Z", "to"],
    ["event_id=nope", "event_id"],
    ["colour=blue", "colour"],
    ["cursor=bm9wZQ", "cursor"],
  ])("answers %s with 400 and the field path", async (qs, path) => {
    const { get } = await service();
    const { status, body } = await get(`/v1/records?${qs}`);
    expect(status).toBe(400);
    expect(body.error.code).toBe("INVALID_QUERY");
    expect(body.error.issues.map((i: { path: string }) => i.path)).toContain(path);
  });

  it("answers who has seen information about a person, with the legal basis of each disclosure", async () => {
    const { get, ledger } = await service();
    await seed(ledger);
    const { body } = await get(`/v1/subjects/${encodeURIComponent("police/person/P1")}/disclosures`);
    expect(body.disclosures.map((d: { subscriber_id: string }) => d.subscriber_id).sort()).toEqual(["customs", "mbie"]);
    expect(body.disclosures[0].legal_basis).toMatch(/IPP 11/);
    expect(body.denied).toBe(1);
    expect((await get("/v1/subjects/police%2Fperson%2FNOBODY/disclosures")).body).toMatchObject({ disclosures: [], denied: 0 });
  });

  it("gives a record with its reasons and an inclusion proof that verifies against a signed head", async () => {
    const { get, ledger, app } = await service();
    const decisions = await seed(ledger);
    const id = decisions[1]!.id;
    const before = (await get(`/v1/records/${id}`)).body;
    expect(before.record).toMatchObject({ kind: "decision", subscriber_id: "mbie", reasons: ["sharing.customs_police_drug_supply"], redacted_paths: ["subjects[0].person.full_name"], policy_revision: "rev-1" });
    expect(before.proof).toBeNull(); // no signed head covers it yet
    const signed = await app.inject({ method: "POST", url: "/v1/tree/heads", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(signed.statusCode).toBe(201);
    const { body } = await get(`/v1/records/${id}`);
    const proof = body.proof;
    const root = Buffer.from(proof.root_hash, "hex");
    const result = verifyInclusion(Buffer.from(body.ledger.leaf_hash, "hex"), body.ledger.index, proof.tree_size, proof.inclusion.map((h: string) => Buffer.from(h, "hex")), root);
    expect(result.ok).toBe(true);
    const head = proof.head;
    const verdict = checkHeadSignature(
      { treeSize: head.tree_size, timestampMs: Date.parse(head.issued_at), rootHash: root, keyId: Buffer.from(head.key_id, "hex"), signature: Buffer.from(head.signature, "base64") },
      trustKeys([head.public_key]),
    );
    expect(verdict).toBe("ok");
    expect((await get(`/v1/records/${randomUUID()}`)).status).toBe(404);
  });

  it("counts disclosures per partner over time and flags a partner far above its own baseline", async () => {
    const { get, ledger } = await service();
    await seed(ledger);
    const stats = (await get("/v1/stats/disclosures?bucket=day")).body;
    expect(stats.totals).toEqual([
      { subscriber_id: "customs", allow: 2, deny: 0 },
      { subscriber_id: "mbie", allow: 1, deny: 0 },
      { subscriber_id: "public", allow: 0, deny: 1 },
    ]);
    expect(stats.buckets.find((b: { subscriber_id: string; start: string }) => b.subscriber_id === "customs" && b.start === "2026-11-20T00:00:00.000Z")).toMatchObject({ allow: 1 });

    // mbie: about 2 decisions a day for two weeks, then 40 in one day.
    const at = new Date("2026-12-15T12:00:00Z");
    const records: Appendable[] = [];
    for (let day = 1; day <= 14; day++) for (let k = 0; k < 2; k++) records.push(fromDecision(decision(randomUUID(), "mbie", true, { decidedAt: new Date(at.getTime() - day * 86_400_000 - 3_600_000) }), at));
    for (let k = 0; k < 40; k++) records.push(fromDecision(decision(randomUUID(), "mbie", true, { decidedAt: new Date(at.getTime() - 3_600_000) }), at));
    for (let day = 0; day <= 14; day++) records.push(fromDecision(decision(randomUUID(), "customs", true, { decidedAt: new Date(at.getTime() - day * 86_400_000 - 3_600_000) }), at));
    await appendRecords(ledger, records);
    const { anomalies } = (await get(`/v1/anomalies?at=${at.toISOString()}`)).body;
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({ subscriber_id: "mbie", metric: "allow", count: 40, baseline_mean: 2 });
  });

  it("records each oversight query in the ledger: who asked, what, and how many records the answer held", async () => {
    const { get, ledger } = await service();
    await seed(ledger);
    await get("/v1/records?kind=decision&subscriber_id=customs");
    const queries = (await get("/v1/records?kind=oversight_query")).body.records;
    const mine = queries.find((q: { action: string }) => q.action === "GET /v1/records");
    const detail = (await get(`/v1/records/${mine.id}`)).body.record.detail;
    expect(detail).toMatchObject({ officer: "Officer Aroha", channel: "http", status: 200, result_count: 2, parameters: { kind: "decision", subscriber_id: "customs" } });
  });

  it("lets the console log in with a token for an HttpOnly session cookie", async () => {
    const { app } = await service();
    const bad = await app.inject({ method: "POST", url: "/console/login", payload: "token=nope", headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(bad.statusCode).toBe(303);
    expect(bad.headers["set-cookie"]).toBeUndefined();
    const ok = await app.inject({ method: "POST", url: "/console/login", payload: `token=${TOKEN}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    const set = String(ok.headers["set-cookie"]);
    expect(set).toMatch(/^takitini_oversight=[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict/);
    const session = set.split(";")[0]!;
    expect((await app.inject({ url: "/v1/records", headers: { cookie: session } })).statusCode).toBe(200);
    await app.inject({ method: "POST", url: "/console/logout", headers: { cookie: session } });
    expect((await app.inject({ url: "/v1/records", headers: { cookie: session } })).statusCode).toBe(401);
  });
});

/** An event published on `topic`, through the ingest the Kafka shell uses. */
function published(topic: string, event: IntelligenceEvent, offset: string, at: Date): Appendable[] {
  const r = ingestRecord(topic, 0, { value: Buffer.from(IntelligenceEvent.encode(event).finish()), headers: {}, offset }, TOPICS, at);
  if (!r.ok) throw new Error(r.reason);
  return r.records;
}

describe("who has seen this person, across agencies", () => {
  const P1 = POLICE_SIDE.subjectId;
  const C9 = CUSTOMS_SIDE.subjectId;
  const LINK = randomUUID();

  /** A Police decision about P1, Customs decisions about C9 (two allowed, one refused), and a link alert naming both. */
  async function seedLinked(ledger: Ledger) {
    const at = new Date();
    const police = decision(POLICE_SIDE.eventId, "customs", true, { subjectIds: [P1] });
    const customs = [
      decision(CUSTOMS_SIDE.eventId, "police", true, { subjectIds: [C9], sourceAgency: Agency.AGENCY_CUSTOMS, eventType: CUSTOMS_SIDE.eventType, legalBasis: "Customs and Excise Act 2018, s 316", decidedAt: new Date("2026-12-05T01:00:00Z") }),
      decision(CUSTOMS_SIDE.eventId, "mbie", true, { subjectIds: [C9], sourceAgency: Agency.AGENCY_CUSTOMS, eventType: CUSTOMS_SIDE.eventType, decidedAt: new Date("2026-12-05T02:00:00Z") }),
      decision(CUSTOMS_SIDE.eventId, "public", false, { subjectIds: [C9], sourceAgency: Agency.AGENCY_CUSTOMS, eventType: CUSTOMS_SIDE.eventType }),
    ];
    const other = decision(randomUUID(), "customs", true, { subjectIds: ["police/person/P2"] });
    const records: Appendable[] = [police, ...customs, other].map((d) => fromDecision(d, at));
    records.push(...revisionsOf([police], at), ...published(LINKAGE_TOPIC, linkAlert(LINK, POLICE_SIDE, CUSTOMS_SIDE, { confidence: 0.99 }), "3", at));
    // The same alert claimed on the Police topic (as a Police system could publish it): recorded as published, never a link.
    records.push(...published("takitini.intel.police.v1", linkAlert(randomUUID(), POLICE_SIDE, { ...CUSTOMS_SIDE, subjectId: "customs/person/C8" }), "4", at));
    await appendRecords(ledger, records);
  }

  it("answers the Police subject's links: the Customs subject's disclosures, each with the record it came from, and the link's rule and confidence", async () => {
    const { get, ledger, db } = await service();
    await seedLinked(ledger);
    const { status, body } = await get(`/v1/subjects/${encodeURIComponent(P1)}/disclosures`);
    expect(status).toBe(200);
    // What existing clients read is as it was.
    expect(body).toMatchObject({ subject_id: P1, denied: 0, next_cursor: null });
    expect(body.disclosures.map((d: { subscriber_id: string; event_id: string }) => [d.subscriber_id, d.event_id])).toEqual([["customs", POLICE_SIDE.eventId]]);
    expect(body.links).toHaveLength(1);
    const [link] = body.links;
    expect(link).toMatchObject({
      link_id: LINK,
      rule: "identity_document",
      confidence: 0.99,
      record: { event_id: POLICE_SIDE.eventId, agency: "police", event_type: POLICE_SIDE.eventType },
      linked_record: { event_id: CUSTOMS_SIDE.eventId, agency: "customs", event_type: CUSTOMS_SIDE.eventType },
      linked_subject_id: C9,
      denied: 1,
      more: false,
    });
    expect(link.disclosures.map((d: { subscriber_id: string; event_id: string; agency: string; legal_basis: string }) => [d.subscriber_id, d.event_id, d.agency])).toEqual([
      ["mbie", CUSTOMS_SIDE.eventId, "customs"],
      ["police", CUSTOMS_SIDE.eventId, "customs"],
    ]);
    expect(link.disclosures[1].legal_basis).toBe("Customs and Excise Act 2018, s 316");
    // And from the other side: the Customs subject's link names the Police subject. One hop: C9's link is to P1 only.
    const customs = (await get(`/v1/subjects/${encodeURIComponent(C9)}/disclosures`)).body;
    expect(customs.links.map((l: { linked_subject_id: string; record: { agency: string } }) => [l.linked_subject_id, l.record.agency])).toEqual([[P1, "customs"]]);
    expect(customs.links[0].disclosures.map((d: { event_id: string }) => d.event_id)).toEqual([POLICE_SIDE.eventId]);
    // The forged alert on the Police topic links nobody.
    expect((await get(`/v1/subjects/${encodeURIComponent("customs/person/C8")}/disclosures`)).body.links).toEqual([]);
    // Derived from the leaves: the verifier recomputes the same index.
    expect(await db.transaction((tx) => checkStoredIndex(tx))).toMatchObject({ ok: true, problemCount: 0 });
  });

  it("answers an empty list for a subject with no links, and links on the first page only", async () => {
    const { get, ledger } = await service();
    await seedLinked(ledger);
    expect((await get(`/v1/subjects/${encodeURIComponent("police/person/P2")}/disclosures`)).body).toMatchObject({ disclosures: [{ subscriber_id: "customs" }], links: [] });
    const first = (await get(`/v1/subjects/${encodeURIComponent(C9)}/disclosures?limit=1`)).body;
    expect(first.links).toHaveLength(1);
    const next = (await get(`/v1/subjects/${encodeURIComponent(C9)}/disclosures?limit=1&cursor=${first.next_cursor}`)).body;
    expect(next).toMatchObject({ disclosures: [{ subscriber_id: "police" }], links: [] });
  });

  it("finds nothing through a link to a subject whose key was destroyed (erased)", async () => {
    const { get, ledger, db } = await service();
    await seedLinked(ledger);
    const refs = await refsOfSubject(db, C9);
    expect(refs).toHaveLength(1);
    await destroyKeys(db, ledger, { reason: "erasure", refs, authority: "Privacy Act 2020, IPP 7 request upheld", requestedBy: "test", at: new Date() });
    const { body } = await get(`/v1/subjects/${encodeURIComponent(P1)}/disclosures`);
    expect(body.disclosures).toHaveLength(1);
    expect(body.links).toEqual([]);
    expect(JSON.stringify(body)).not.toContain(C9);
    expect((await get(`/v1/subjects/${encodeURIComponent(C9)}/disclosures`)).body).toMatchObject({ disclosures: [], denied: 0, links: [] });
    const index = await db.transaction((tx) => checkStoredIndex(tx));
    expect(index.problemCount).toBe(0);
    expect(await db.transaction((tx) => checkStoredKeys(tx, { leafCount: index.leaves, keysRead: true }))).toMatchObject({ problemCount: 0 });
  });

  it("records the query in the ledger, counting the linked subject's disclosures among the records the answer held", async () => {
    const { get, ledger } = await service();
    await seedLinked(ledger);
    await get(`/v1/subjects/${encodeURIComponent(P1)}/disclosures`);
    const queries = (await get("/v1/records?kind=oversight_query&limit=500")).body.records as { id: string; action: string }[];
    const mine = queries.filter((q) => q.action === "GET /v1/subjects/:subjectId/disclosures");
    expect(mine).toHaveLength(1);
    const detail = (await get(`/v1/records/${mine[0]!.id}`)).body.record;
    expect(detail.detail).toMatchObject({ officer: "Officer Aroha", channel: "http", status: 200, result_count: 3 });
    // The subject it asked about is sealed in the record, opened by the server.
    expect(detail.subject_ids).toEqual([P1]);
  });
});
