/**
 * The fault suite's reconciliation, after each case, on the mesh's own (shared)
 * topics and ledger:
 * - every acknowledged event is on its agency's topic exactly once (the adapters
 *   publish each native id once, whatever failed or how many instances ran);
 * - every event the case put on the agency topics — acknowledged or not, since a
 *   publish whose answer was lost may still have landed — is decided exactly once
 *   for every subscriber, in agreement with the policy, and every allowed view is
 *   delivered exactly once (test/e2e/eos.ts, scoped to the case's events);
 * - the audit ledger holds each of those decisions exactly once, and the
 *   independent verifier (npm run audit:verify) finds no tampering.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { IntelligenceEvent } from "@takitini/proto";
import type { Kafka } from "kafkajs";
import pg from "pg";
import { reconcile, type Reconciliation, type RunTopics } from "../e2e/eos.js";
import { readTopic } from "../e2e/kafka.js";
import { ROOT } from "../e2e/stack.js";
import type { LoadResult } from "./load.js";

/** The shipped topics the mesh runs on (infra/kafka/topics.json, policies/data/subscribers.json). */
export function shippedTopics(): RunTopics {
  const registry = JSON.parse(readFileSync(join(ROOT, "policies/data/subscribers.json"), "utf8")) as Record<string, { delivery_topic: string }>;
  return {
    intel: { POLICE: "takitini.intel.police.v1", CUSTOMS: "takitini.intel.customs.v1", MBIE: "takitini.intel.mbie.v1", MSD: "takitini.intel.msd.v1" },
    audit: "takitini.audit.decisions.v1",
    deadLetter: "takitini.deadletter.v1",
    deliver: Object.fromEntries(Object.entries(registry).map(([id, s]) => [id, s.delivery_topic])),
    dataDir: join(ROOT, "policies/data"),
  };
}

export interface CaseReconciliation extends Reconciliation {
  /** Events the case put on the agency topics. */
  events: number;
  acknowledged: number;
  /** How long the ledger took to hold every decision of the case after the load stopped and the mesh was ready. */
  drainedMs: number;
}

/**
 * Reconcile one case. `before` is every event id already on the agency topics
 * before the case (earlier cases'): what is new since is the case's.
 */
export async function reconcileCase(
  kafka: Kafka,
  load: LoadResult,
  before: Set<string>,
  ledger: { databaseUrl: string; schema: string; publicKeyFile: string },
): Promise<CaseReconciliation> {
  const topics = shippedTopics();
  const problems: string[] = [];
  const note = (p: string) => problems.length < 50 && problems.push(p);

  const events = new Map<string, IntelligenceEvent>();
  const copies = new Map<string, number>();
  // The agency topics read with one consumer: one group join, one idle wait.
  const read = await readTopic(kafka, Object.values(topics.intel), { idleMs: 3000, timeoutMs: 120_000 });
  for (const { message } of read) {
    const event = IntelligenceEvent.decode(message.value!);
    copies.set(event.id, (copies.get(event.id) ?? 0) + 1);
    if (!before.has(event.id)) events.set(event.id, event);
  }
  for (const id of load.acknowledged.keys()) {
    const n = copies.get(id) ?? 0;
    if (n !== 1) note(`acknowledged event ${id} is on its agency topic ${n} times`);
  }
  for (const [id, n] of copies) if (n > 1 && events.has(id)) note(`event ${id} is on its agency topic ${n} times`);
  for (const id of events.keys()) before.add(id);

  // The ledger is the last stop: once it holds a decision for every (event, subscriber)
  // the exchange has decided them all, and the topics can be read to their end.
  const drained = await ledgerDrained(ledger, [...events.keys()], events.size * subscriberCount(topics), 180_000);
  const r = await reconcile(kafka, topics, { events, garbage: new Set() }, { scoped: true });
  problems.push(...r.problems);

  // The ledger: one decision record per (event, subscriber), no more.
  const client = new pg.Client({ connectionString: ledger.databaseUrl });
  await client.connect();
  try {
    const ids = [...events.keys()];
    const { rows } = await client.query<{ event_id: string; subscriber_id: string; n: string }>(
      `select event_id, subscriber_id, count(*) as n from ${pgIdent(ledger.schema)}.audit_records where kind = 'decision' and event_id = any($1) group by 1, 2`,
      [ids],
    );
    const inLedger = rows.reduce((sum, row) => sum + Number(row.n), 0);
    for (const row of rows) if (Number(row.n) !== 1) note(`the ledger holds ${row.n} decisions for ${row.event_id}|${row.subscriber_id}`);
    if (rows.length !== r.pairs) note(`the ledger holds decisions for ${rows.length} (event, subscriber) pairs of the case, the decisions topic ${r.pairs}`);
    if (inLedger !== rows.length) note(`the ledger holds ${inLedger} decision records for ${rows.length} pairs`);
  } finally {
    await client.end();
  }
  const verdict = await verifyLedger(ledger);
  if (verdict !== "") note(verdict);
  return { ...r, problems, events: events.size, acknowledged: load.acknowledged.size, drainedMs: drained };
}

const subscriberCount = (topics: RunTopics) => Object.keys(topics.deliver).length;

/** Poll the ledger until it holds `want` decisions of `ids` (or `timeoutMs` passes); how long that took. */
async function ledgerDrained(ledger: { databaseUrl: string; schema: string }, ids: string[], want: number, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < timeoutMs) {
    const client = new pg.Client({ connectionString: ledger.databaseUrl });
    try {
      await client.connect();
      const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from ${pgIdent(ledger.schema)}.audit_records where kind = 'decision' and event_id = any($1)`, [ids]);
      if (rows[0]!.n >= want) return Date.now() - t0;
    } catch {
      /* the database restarting: try again */
    } finally {
      await client.end().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 1000));
  }
  return Date.now() - t0;
}

const pgIdent = (name: string) => {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
  return name;
};

/** Run the oversight body's verifier on the ledger: "" when it finds no tampering, else what it said. */
export async function verifyLedger(ledger: { databaseUrl: string; schema: string; publicKeyFile: string }): Promise<string> {
  try {
    await promisify(execFile)(process.execPath, [join(ROOT, "services/audit/dist/tools/verify.js"), "--database-url", ledger.databaseUrl, "--schema", ledger.schema, "--trusted-key", ledger.publicKeyFile]);
    return "";
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return `audit:verify exited ${e.code}: ${e.stdout ?? ""}${e.stderr ?? ""}`.slice(0, 2000);
  }
}
