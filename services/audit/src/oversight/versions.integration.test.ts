/**
 * A record's history on the real PostgreSQL server from the global setup
 * (GET /v1/records/:id/versions): a Police record's first version, two
 * corrections and its withdrawal come in through the ingest the Kafka shell
 * uses, with the exchange's decisions on each; each test in its own schema.
 */
import { generateKeyPairSync, randomBytes, randomUUID } from "node:crypto";
import { createLogger, createMetricsRegistry } from "@takitini/runtime";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { buildApp } from "../app.js";
import { checkStoredIndex } from "../indexcheck/index.js";
import { Ledger, pgDatabase } from "../ledger/index.js";
import { createSigner } from "../merkle/index.js";
import { gateWithTokens } from "./accounts.fixture.js";
import { LedgerRefusals } from "./refusals.js";
import { DELIVERY, FOREIGN, IDS, MISPLACED, seedHistory as seed } from "./revisions.fixture.js";

const url = inject("databaseUrl");
const admin = new pg.Pool({ connectionString: url, max: 2 });
const pools: pg.Pool[] = [];
afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  await admin.end();
});

const TOKEN = "oversight-versions-token-7a2e";
const signer = createSigner(generateKeyPairSync("ed25519").privateKey);

async function service() {
  const schema = `versions_${randomBytes(6).toString("hex")}`;
  await admin.query(`create schema ${schema}`);
  const pool = new pg.Pool({ connectionString: url, max: 4, options: `-c search_path=${schema}` });
  pools.push(pool);
  const db = pgDatabase(pool);
  const ledger = await Ledger.open(db, { signer });
  const refusals = new LedgerRefusals(ledger, { windowMs: 3_600_000, logger: createLogger("t", "silent") });
  const { app } = await buildApp({
    logger: createLogger("t", "silent"),
    metrics: createMetricsRegistry("t"),
    db,
    ledger,
    gate: gateWithTokens({ [TOKEN]: "Officer Rāwiri" }, { roles: { "Officer Rāwiri": "reviewer" } }),
    readiness: [],
    refusals,
  });
  const get = async (path: string, token: string | null = TOKEN) => {
    const res = await app.inject({ url: path, headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.statusCode, body: res.json() as any };
  };
  return { db, ledger, get, refusals };
}

describe("a record's history: GET /v1/records/:id/versions", () => {
  it("lists every version from any version's id: the first, the corrections in order, the withdrawal, each with its publish record and decisions", async () => {
    const { get, ledger, db } = await service();
    await seed(ledger);
    const answers = await Promise.all([IDS.first, IDS.second, IDS.third, IDS.withdrawal].map((id) => get(`/v1/records/${id}/versions`)));
    for (const [i, a] of answers.entries()) {
      expect(a.status).toBe(200);
      expect(a.body.event_id).toBe([IDS.first, IDS.second, IDS.third, IDS.withdrawal][i]);
      expect({ ...a.body, event_id: "" }).toEqual({ ...answers[0]!.body, event_id: "" });
    }
    const { body } = answers[0]!;
    expect(body).toMatchObject({ original_event_id: IDS.first, withdrawn: true, more_versions: false });
    expect(body.versions.map((v: { event_id: string; version: string }) => [v.event_id, v.version])).toEqual([
      [IDS.first, "first"],
      [IDS.second, "correction"],
      [IDS.third, "correction"],
      [IDS.withdrawal, "withdrawal"],
    ]);
    const [first, second, third, gone] = body.versions;
    expect(first).not.toHaveProperty("supersedes_event_id");
    expect(second.supersedes_event_id).toBe(IDS.first);
    expect(third.supersedes_event_id).toBe(IDS.second);
    expect(gone).toMatchObject({ withdrawn_event_id: IDS.third, reason: "not_substantiated" });
    expect(JSON.stringify(body)).not.toContain("vehicle was not involved");
    // Each version's publish record, opened like any record (its subjects opened by the server), and its decisions in ledger order.
    expect(first.record).toMatchObject({ id: `publish:${IDS.first}`, kind: "publish", agency: "police", event_id: IDS.first, subject_ids: ["police/person/P77"] });
    expect(gone.record).toMatchObject({ id: `publish:${IDS.withdrawal}`, event_type: "record.withdrawal", region: "unspecified" });
    expect(first.decisions.map((x: { subscriber_id: string; outcome: string; view: string }) => [x.subscriber_id, x.outcome, x.view])).toEqual([
      ["customs", "allow", "redacted"],
      ["public", "allow", "aggregate_only"],
      ["mbie", "deny", "none"],
    ]);
    expect(first.decisions[0]).toMatchObject({ delivery_topic: "takitini.deliver.customs.v1", legal_basis: expect.stringContaining("IPP 11"), policy_revision: "rev-1" });
    expect(first.decisions[0]).not.toHaveProperty("delivery_id");
    expect(first.decisions[1].delivery_id).toBe(DELIVERY);
    expect(third.decisions).toEqual([expect.objectContaining({ subscriber_id: "customs", outcome: "deny" })]);
    expect(gone.decisions).toEqual([expect.objectContaining({ subscriber_id: "customs", outcome: "allow" })]);
    expect(body.versions.every((v: { more_decisions: boolean }) => v.more_decisions === false)).toBe(true);
    // The index the answer came from is the one the verifier recomputes from the leaves.
    expect(await db.transaction((tx) => checkStoredIndex(tx))).toMatchObject({ ok: true, problemCount: 0 });
  });

  it("links no version of another agency, nor a revision read off its agency's own topic: each is listed alone", async () => {
    const { get, ledger } = await service();
    await seed(ledger);
    const police = (await get(`/v1/records/${IDS.second}/versions`)).body;
    expect(police.versions.map((v: { event_id: string }) => v.event_id)).not.toContain(FOREIGN);
    expect(police.versions.map((v: { event_id: string }) => v.event_id)).not.toContain(MISPLACED);
    const foreign = (await get(`/v1/records/${FOREIGN}/versions`)).body;
    expect(foreign).toMatchObject({ original_event_id: FOREIGN, withdrawn: false, versions: [{ event_id: FOREIGN, version: "correction", supersedes_event_id: IDS.second, record: { agency: "customs" } }] });
    const misplaced = (await get(`/v1/records/${MISPLACED}/versions`)).body;
    expect(misplaced).toMatchObject({ original_event_id: MISPLACED, versions: [{ event_id: MISPLACED, version: "first", record: { agency: "police" } }] });
    expect(misplaced.versions[0].record).toMatchObject({ event_id: MISPLACED });
  });

  it("answers 404 for an id the ledger holds no version of, 400 for one that is no event id, and 401 without a credential", async () => {
    const { get, ledger, refusals } = await service();
    await seed(ledger);
    expect(await get(`/v1/records/${randomUUID()}/versions`)).toMatchObject({ status: 404, body: { error: { code: "RECORD_NOT_FOUND" } } });
    const bad = await get("/v1/records/not-an-event-id/versions");
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: "INVALID_QUERY", issues: [{ path: "id", code: "invalid_format" }] });
    expect((await get(`/v1/records/${IDS.first}/versions`, null)).status).toBe(401);
    expect(await refusals.flush()).toBe(1);
    // The record route beside it still answers a record by its id.
    expect((await get(`/v1/records/${encodeURIComponent(`publish:${IDS.first}`)}`)).body.record).toMatchObject({ kind: "publish", event_id: IDS.first });
  });

  it("records each query in the ledger like every /v1 query: who asked, the route, the id, the status and how many versions it held", async () => {
    const { get, ledger } = await service();
    await seed(ledger);
    const unknown = randomUUID();
    await get(`/v1/records/${IDS.third}/versions`);
    await get(`/v1/records/${unknown}/versions`);
    await get("/v1/records/nope/versions");
    const queries = (await get("/v1/records?kind=oversight_query&limit=500")).body.records as { id: string; action: string }[];
    const mine = queries.filter((q) => q.action === "GET /v1/records/:id/versions");
    expect(mine).toHaveLength(3);
    const details = await Promise.all(mine.map(async (q) => (await get(`/v1/records/${encodeURIComponent(q.id)}`)).body.record.detail));
    expect(details.map((x: { parameters: { id: string }; status: number; result_count: number; officer: string }) => [x.parameters.id, x.status, x.result_count, x.officer])).toEqual([
      ["nope", 400, 0, "Officer Rāwiri"],
      [unknown, 404, 0, "Officer Rāwiri"],
      [IDS.third, 200, 4, "Officer Rāwiri"],
    ]);
  });
});
