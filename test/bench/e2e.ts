// npm run bench:e2e — the whole mesh as real processes (the four adapters, the
// exchange, the audit service) on a real broker, fed through the adapters' HTTP
// doors:
//  - sustained events/s at saturation, an event counting only once every
//    subscriber's decision record is visible read-committed on the audit topic and
//    every delivery those decisions announce is visible on its subscriber's topic;
//  - publish (HTTP request sent) → deliver (visible to a read-committed consumer of
//    the subscriber's topic) latency p50/p99 at a fixed offered load;
// and, in the same run on the same broker, the raw kafkajs pipe — the same encoded
// events from four idempotent acks=all producers, one record per send, to a
// read-committed consumer — as the ratios' denominator; peak RSS per service.
// The adapters' HTTP doors are mutual TLS: each is fed by its agency's publisher
// certificate on keep-alive connections (a handshake per connection, not per request).
// Median of BENCH_ROUNDS rounds. Every run has its own agency and audit topics,
// consumer groups and transactional id, so nothing earlier counts.
// `--brokers 3` runs it all on the local three-node cluster (replication 3,
// min.insync.replicas 2), and adds a failover phase: at a steady offered load,
// the leader of an intel partition is SIGKILLed, and the report gives the time
// from the kill to the first delivery after it, to every partition delivering
// again, and the publishes the adapters answered 503 meanwhile (retried as a
// client would, after Retry-After).
import { mkdirSync, writeFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { claimsTopicFor, eventHeaders, ingest, seededRandom, type AgencyAdapter } from "@takitini/adapter-kit";
import { environmentFor, loadAclSubscribers, loadTopicDeclarations, partitionLeader, waitForClusterHealthy, type TopicDeclaration } from "@takitini/infra";
import { DecisionRecord, IntelligenceEvent } from "@takitini/proto";
import { continueTrace, decisionIdFor, HEADERS, headerValue, kafkaSecurityOptions, silenceKafkajsTimerWarning } from "@takitini/runtime";
import { Kafka, logLevel, type Consumer, type IHeaders, type Producer } from "kafkajs";
import { customsAdapter } from "../../services/customs-adapter/dist/adapter.js";
import { mbieAdapter } from "../../services/mbie-adapter/dist/adapter.js";
import { msdAdapter } from "../../services/msd-adapter/dist/adapter.js";
import { policeAdapter } from "../../services/police-adapter/dist/adapter.js";
import type { Agent } from "node:https";
import { adapterDoors, adapterRateLimitEnv, AUDIT_POLL_MS, auditAppended, auditBenchEnv, fmt, kafkaForBench, median, percentile, pool, postgresForBench, postJson, ROOT, startProcess, vmHwm, type AdapterDoors, type Proc } from "./lib.ts";

const { values: args } = parseArgs({ options: { brokers: { type: "string", default: "1" } }, strict: true });
/** Kafka nodes: 1 (a laptop's broker) or 3 (the local cluster, with the failover phase). */
const BROKERS = Number(args.brokers);
if (!Number.isInteger(BROKERS) || BROKERS < 1) throw new Error(`--brokers must be a whole number ≥ 1, got ${args.brokers}`);
const positive = (name: string, fallback: number): number => {
  const v = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number, got ${process.env[name]}`);
  return v;
};
/** Events per round in the throughput phase, across the four adapters. */
const EVENTS = Math.floor(positive("BENCH_EVENTS", 2000));
const ROUNDS = Math.floor(positive("BENCH_ROUNDS", 3));
/** Requests in flight per adapter at saturation (and sends in flight per raw producer). */
const CONCURRENCY = Math.floor(positive("BENCH_CONCURRENCY", 16));
/**
 * Offered load of the latency phase, events/s across the four adapters. Keep it
 * under the mesh's sustained rate, or the latency measures a growing queue (the
 * report says so when it is not).
 */
const RATE = positive("BENCH_RATE", 100);
const LATENCY_SECONDS = positive("BENCH_LATENCY_SECONDS", 8);
/** Events through the mesh (and the raw pipe) before round 1, not measured. */
const WARMUP = Math.floor(positive("BENCH_WARMUP", 200));
const DRAIN_TIMEOUT_MS = positive("BENCH_DRAIN_TIMEOUT_MS", 120_000);
/** The failover phase (`--brokers 3`): its length at BENCH_RATE, and when in it the leader is killed. */
const FAILOVER_SECONDS = positive("BENCH_FAILOVER_SECONDS", 20);
const FAILOVER_KILL_AFTER_MS = positive("BENCH_FAILOVER_KILL_AFTER_MS", 3000);
/**
 * The watching consumer's fetch max wait: the observer re-polls at least this often.
 * The broker answers a parked fetch when data arrives, but a read-committed one can
 * be answered early and empty by a transaction's records and then wait for the next;
 * kafkajs's 5 s default added a few ms (commit → consumed p50 8.7 ms against 3.2 ms
 * at 50 ms, local broker).
 */
const WATCH_MAX_WAIT_MS = positive("BENCH_WATCH_MAX_WAIT_MS", 50);
const ADAPTERS: AgencyAdapter[] = [policeAdapter, customsAdapter, mbieAdapter, msdAdapter];
const LATENCY_EVENTS = Math.max(ADAPTERS.length, Math.round(RATE * LATENCY_SECONDS));

silenceKafkajsTimerWarning();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- this run's own topics and groups -------------------------------------------------
const RUN = randomUUID().slice(0, 8);
const declared = loadTopicDeclarations(undefined, process.env, environmentFor(BROKERS));
const like = (template: string, name: string, description: string): TopicDeclaration => {
  const t = declared.find((d) => d.name === template);
  if (!t) throw new Error(`infra/kafka/topics.json declares no ${template}`);
  // Bench topics are deleted at the end on an existing cluster; never kept forever.
  return { ...t, name, description, retention_ms: 86_400_000 };
};
const intelTopic = (a: AgencyAdapter) => `takitini.bench.${RUN}.intel.${a.agency.toLowerCase()}.v1`;
const rawTopic = (a: AgencyAdapter) => `takitini.bench.${RUN}.raw.${a.agency.toLowerCase()}.v1`;
const AUDIT_TOPIC = `takitini.bench.${RUN}.audit.decisions.v1`;
const benchTopics: TopicDeclaration[] = [
  ...ADAPTERS.map((a) => like(a.topic, intelTopic(a), `bench:e2e run ${RUN}: ${a.agency} events`)),
  ...ADAPTERS.map((a) => like(claimsTopicFor(a.topic), claimsTopicFor(intelTopic(a)), `bench:e2e run ${RUN}: ${a.agency} adapter claims`)),
  ...ADAPTERS.map((a) => like(a.topic, rawTopic(a), `bench:e2e run ${RUN}: raw kafkajs pipe`)),
  like("takitini.audit.decisions.v1", AUDIT_TOPIC, `bench:e2e run ${RUN}: decision records`),
];

// ---- synthetic events -----------------------------------------------------------------
interface Item {
  adapter: AgencyAdapter;
  httpPath: string;
  body: string;
  eventId: string;
  /** The event as the adapter would publish it: the raw pipe's payload. */
  message: { key: string; value: Buffer; headers: Record<string, string> };
}
// Native ids are new on every phase (and, on a shared cluster, on every run).
/** The adapters' doors (their certificates, the run's event-id key, the publishers' clients): set once the broker's PKI is there. */
let doors: AdapterDoors;
let nextIndex = (Math.floor(Date.now() / 1000) % 100_000) * 10_000;

/** `n` events, round-robin over the adapters and, within one, over its record kinds. */
function items(n: number): Item[] {
  const rngs = new Map(ADAPTERS.map((a) => [a, seededRandom(`bench-e2e/${a.service}/${nextIndex}`)]));
  return Array.from({ length: n }, (_v, i) => {
    const adapter = ADAPTERS[i % ADAPTERS.length]!;
    const kind = adapter.kinds[Math.floor(i / ADAPTERS.length) % adapter.kinds.length]!;
    const record = kind.synthesize(rngs.get(adapter)!, nextIndex++);
    const x = ingest(adapter, kind.recordType, record, new Date(), { eventIdKey: doors.eventIdKey });
    if (!x.ok) throw new Error(`${adapter.service}: synthetic ${kind.recordType} invalid: ${JSON.stringify(x.issues)}`);
    // As the adapter publishes it: the keyed id, the publishing system's id.
    const event = { ...x.event, publisher: doors.publisherUri(adapter.service) };
    const message = { key: event.id, value: Buffer.from(IntelligenceEvent.encode(event).finish()), headers: eventHeaders(event, continueTrace({})) };
    return { adapter, httpPath: kind.httpPath, body: JSON.stringify(record), eventId: x.event.id, message };
  });
}

// ---- what the watcher sees ------------------------------------------------------------
interface Track {
  sentAt: number;
  /** Subscribers whose decision record is visible (a repeat counts in `duplicates`). */
  decided: Set<string>;
  /** Delivery topics the decisions announce. */
  expected: Set<string>;
  /** Delivery topic → ms from publish to visible. */
  delivered: Map<string, number>;
  decidedAt?: number;
  /** Raw pipe: consumed. */
  consumedAt?: number;
  /** Where the time goes (performance.now() timeline): the intel record's CreateTime (the adapter's send), the 202's arrival, the first decision record's CreateTime (the exchange's send). */
  intelCreatedAt?: number;
  answeredAt?: number;
  decisionCreatedAt?: number;
}
const tracks = new Map<string, Track>();
/** Decision id → its event's track: deliveries carry their decision's id (aggregate views are keyed by it, not the event id). */
const byDecision = new Map<string, Track>();
/**
 * A community output's random delivery id → its event's track, learnt from the decision record
 * that names it; and community outputs read before their decision record (same transaction, other topic).
 */
const byDelivery = new Map<string, Track>();
const earlyDeliveries = new Map<string, { topic: string; at: number }>();
let subscriberIds: string[] = [];
let duplicates = 0;
/**
 * Records the watcher read again at an offset it had already read (its consumer restarted from
 * its last committed offset, as after a node's death): not the mesh's duplicates, so counted apart.
 */
let rereads = 0;
const readOffsets = new Set<string>();
let unannounced = 0;
let subscriberCount = 0;
let deliveryTopics = new Set<string>();
const rawTopics = new Set(ADAPTERS.map(rawTopic));
const intelTopics = new Set(ADAPTERS.map(intelTopic));

function track(list: Item[]): Track[] {
  return list.map((it) => {
    const t: Track = { sentAt: NaN, decided: new Set(), expected: new Set(), delivered: new Map() };
    tracks.set(it.eventId, t);
    for (const s of subscriberIds) byDecision.set(decisionIdFor(it.eventId, s), t);
    return t;
  });
}

const meshDone = (t: Track) => t.decided.size >= subscriberCount && t.delivered.size >= t.expected.size;
/** When the event was fully processed: every decision and every delivery visible. */
const meshDoneAt = (t: Track) => Math.max(t.decidedAt!, ...[...t.delivered.values()].map((ms) => t.sentAt + ms));

function delivered(t: Track, topic: string, at: number): void {
  if (t.delivered.has(topic)) duplicates++;
  else t.delivered.set(topic, at - t.sentAt);
}

/** A record's CreateTime (epoch ms, the producer's clock: this machine's) on the performance.now() timeline. */
const created = (timestamp: string | undefined) => Number(timestamp) - performance.timeOrigin;

function onBatch(topic: string, partition: number, all: { offset: string; key: Buffer | null; value: Buffer | null; headers?: IHeaders; timestamp?: string }[]): void {
  const now = performance.now();
  const messages = all.filter((m) => {
    const at = `${topic}/${partition}/${m.offset}`;
    if (readOffsets.has(at)) {
      rereads++;
      return false;
    }
    readOffsets.add(at);
    return true;
  });
  if (intelTopics.has(topic)) {
    for (const m of messages) {
      const t = m.key ? tracks.get(m.key.toString()) : undefined;
      if (t && t.intelCreatedAt === undefined) t.intelCreatedAt = created(m.timestamp);
    }
    return;
  }
  for (const m of messages) {
    const deliveryId = deliveryTopics.has(topic) ? headerValue(m.headers, HEADERS.DELIVERY_ID) : undefined;
    if (deliveryId !== undefined) {
      const t = byDelivery.get(deliveryId);
      if (t) delivered(t, topic, now);
      else earlyDeliveries.set(deliveryId, { topic, at: now });
      continue;
    }
    const decisionId = deliveryTopics.has(topic) ? headerValue(m.headers, HEADERS.DECISION_ID) : undefined;
    const t = (decisionId !== undefined ? byDecision.get(decisionId) : undefined) ?? (m.key ? tracks.get(m.key.toString()) : undefined);
    if (!t) continue; // another run's or phase's record
    if (topic === AUDIT_TOPIC) {
      const d = DecisionRecord.decode(m.value!);
      if (t.decided.has(d.subscriberId)) {
        duplicates++;
        continue;
      }
      t.decided.add(d.subscriberId);
      t.decisionCreatedAt = Math.min(t.decisionCreatedAt ?? Infinity, created(m.timestamp));
      if (d.deliveryTopic !== "") t.expected.add(d.deliveryTopic);
      if (d.deliveryId !== "") {
        byDelivery.set(d.deliveryId, t);
        const early = earlyDeliveries.get(d.deliveryId);
        if (early) {
          earlyDeliveries.delete(d.deliveryId);
          delivered(t, early.topic, early.at);
        }
      }
      if (t.decided.size === subscriberCount) t.decidedAt = now;
    } else if (deliveryTopics.has(topic)) {
      delivered(t, topic, now);
    } else if (rawTopics.has(topic)) {
      if (t.consumedAt !== undefined) duplicates++;
      else t.consumedAt = now;
    }
  }
}

// ---- the run ---------------------------------------------------------------------------
const kafka = await kafkaForBench(benchTopics, BROKERS);
doors = adapterDoors(kafka);
const postgres = await postgresForBench();
// The raw pipe and the watcher run as the operator, on the same secured listener as the mesh.
const client = new Kafka({ clientId: `bench-e2e-${RUN}`, brokers: kafka.brokers, logLevel: logLevel.ERROR, ...kafkaSecurityOptions(kafka.operator.security) });
console.error(`[bench] Kafka security: ${kafka.security === "mtls" ? "mutual TLS on both sides (mesh principals and the raw pipe's operator)" : "PLAINTEXT (TAKITINI_INSECURE_KAFKA=true)"}`);
// This run's agency and decision topics get the ACLs the shipped generator derives for them.
await kafka.grant(
  [...benchTopics.filter((t) => !rawTopics.has(t.name)), ...declared.filter((d) => d.role === "delivery")],
  loadAclSubscribers(),
);
const procs = new Map<string, Proc>();
/** Each adapter's publisher client: keep-alive HTTPS with its agency system's certificate. */
const agents = new Map<string, Agent>(ADAPTERS.map((a) => [a.service, doors.agent(a.service)]));
const reap = () => procs.forEach((p) => p.child.kill("SIGKILL"));
process.once("exit", reap);
let watcher: Consumer | undefined;
const producers: Producer[] = [];
const rss = new Map<string, number>();

async function startServices(): Promise<void> {
  const brokers = kafka.brokers.join(",");
  const start = async (name: string, env: Record<string, string>) => {
    // Each service as its own Kafka principal (the service's name).
    const p = await startProcess(`services/${name}/dist/main.js`, { ...kafka.envOf(name), KAFKA_BROKERS: brokers, DEMO_RECORDS_PER_MINUTE: "0", ...env });
    procs.set(name, p);
  };
  // The audit ledger (PostgreSQL) records every decision and every publish of the run.
  await start("audit", { AUDIT_TOPIC, INTEL_TOPICS: ADAPTERS.map(intelTopic).join(","), GROUP_ID: `takitini-audit-bench-${RUN}`, ACCESS_TOPICS: "", ...auditBenchEnv(postgres.url, RUN) });
  // The exchange's gRPC DeliveryService is not under test: a free port, plaintext (it then refuses every Subscribe).
  await start("exchange", { AUDIT_TOPIC, INTEL_TOPICS: ADAPTERS.map(intelTopic).join(","), GROUP_ID: `takitini-exchange-bench-${RUN}`, INSTANCE_ID: `bench-${RUN}`, GRPC_PORT: "0", GRPC_INSECURE: "true" });
  // Every HTTP request of the run to one adapter, warm-up included: the rate limits stay at their defaults unless that could exceed them.
  const perAdapter = Math.ceil((WARMUP + ROUNDS * (EVENTS + LATENCY_EVENTS)) / ADAPTERS.length);
  await Promise.all(ADAPTERS.map((a) => start(a.service, { TOPIC: intelTopic(a), GRPC_PORT: "0", ...doors.env(a.service), ...adapterRateLimitEnv(perAdapter) })));
}

function assertAlive(): void {
  for (const [name, p] of procs) if (p.child.exitCode !== null || p.child.signalCode !== null) throw new Error(`${name} exited (${p.child.exitCode ?? p.child.signalCode}) during the run`);
}

/** Wait until `done` holds for every track, or fail saying what is missing. */
async function drain(list: Track[], done: (t: Track) => boolean, what: string): Promise<void> {
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (;;) {
    const missing = list.filter((t) => !done(t));
    if (missing.length === 0) return;
    assertAlive();
    if (Date.now() > deadline) {
      const undecided = missing.filter((t) => t.decided.size === 0).length;
      const partly = missing.filter((t) => t.decided.size > 0 && t.decided.size < subscriberCount).length;
      const exchange = await fetch(`${procs.get("exchange")!.adminUrl}/metrics`).then((r) => r.text(), (err: Error) => err.message);
      const counters = exchange.split("\n").filter((l) => /^exchange_(events_in_total|transaction_aborts_total|consumer_lag|dead_letters_total)/.test(l));
      throw new Error(
        `${what}: ${missing.length} of ${list.length} events not complete after ${DRAIN_TIMEOUT_MS} ms ` +
          `(${undecided} without any decision, ${partly} with some, ${missing.length - undecided - partly} awaiting deliveries); the exchange's counters:\n${counters.join("\n")}`,
      );
    }
    await sleep(5);
  }
}

/** Records the audit service has appended to its ledger, of these kinds (lib.ts auditAppended). */
const auditStored = (kinds: readonly string[] = ["decision"]) => auditAppended(procs.get("audit")!.adminUrl, kinds);

/** Publishes the adapters answered 503 PUBLISH_FAILED (past their deadline: a leader being elected, a saturated broker) and that were sent again. */
let retriedPublishes = 0;
/**
 * A publish as a client makes one through a failover: a 503 (or a dropped
 * connection) is sent again after its Retry-After. The latency counts from the
 * first attempt: what the publishing agency waits.
 */
async function postRetrying(it: Item, t: Track): Promise<void> {
  const url = `${procs.get(it.adapter.service)!.url}${it.httpPath}`;
  t.sentAt = performance.now();
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  for (let attempt = 0; ; attempt++) {
    const res = await postJson(agents.get(it.adapter.service)!, url, it.body).catch((err: Error) => ({ status: 0, text: err.message, retryAfter: "1" }));
    // A 503 is given when the deadline passed, not when the write surely failed: the first
    // attempt may have landed, and then the retry is the idempotent `200 duplicate: true`.
    if (res.status === 202 || (res.status === 200 && attempt > 0)) {
      t.answeredAt = performance.now();
      const body = JSON.parse(res.text) as { event_id?: string; duplicate?: boolean };
      if (body.event_id !== it.eventId) throw new Error(`${it.adapter.service} returned event ${body.event_id}, expected ${it.eventId}`);
      if (res.status === 200 && body.duplicate !== true) throw new Error(`${it.adapter.service} answered 200 without duplicate: true: ${res.text}`);
      return;
    }
    if ((res.status !== 503 && res.status !== 0) || Date.now() > deadline) throw new Error(`${it.adapter.service} answered ${res.status}: ${res.text}`);
    retriedPublishes++;
    await sleep(1000 * Math.min(5, Number(res.retryAfter ?? 1) || 1));
  }
}

async function send(producer: Producer, it: Item, t: Track): Promise<void> {
  t.sentAt = performance.now();
  await producer.send({ topic: rawTopic(it.adapter), acks: -1, messages: [it.message] });
}

/** Saturation: each adapter (each raw producer) gets its share with CONCURRENCY in flight. */
async function saturate(list: Item[], fire: (it: Item, t: Track, a: number) => Promise<void>): Promise<{ t0: number; tracks: Track[]; acceptSecs: number }> {
  const ts = track(list);
  const t0 = performance.now();
  const perAdapter = ADAPTERS.map((_a, ai) => list.map((it, i) => ({ it, t: ts[i]! })).filter((_x, i) => i % ADAPTERS.length === ai));
  const acceptSecs = Math.max(...(await Promise.all(perAdapter.map((xs, ai) => pool(xs.length, CONCURRENCY, (i) => fire(xs[i]!.it, xs[i]!.t, ai))))));
  return { t0, tracks: ts, acceptSecs };
}

/** Fixed offered load, open loop: event i is sent at t0 + i/RATE whatever the earlier ones are doing. */
async function offer(list: Item[], fire: (it: Item, t: Track, a: number) => Promise<void>): Promise<{ tracks: Track[]; offeredRate: number }> {
  const ts = track(list);
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  for (let i = 0; i < list.length; i++) {
    const wait = t0 + (i * 1000) / RATE - performance.now();
    if (wait >= 1) await sleep(wait);
    const sent = fire(list[i]!, ts[i]!, i % ADAPTERS.length);
    sent.catch(() => undefined); // reported by Promise.all below, not as an unhandled rejection meanwhile
    inFlight.push(sent);
  }
  const offeredRate = list.length / ((performance.now() - t0) / 1000);
  await Promise.all(inFlight);
  return { tracks: ts, offeredRate };
}

const forget = (list: Item[]) =>
  list.forEach((it) => {
    tracks.delete(it.eventId);
    for (const s of subscriberIds) byDecision.delete(decisionIdFor(it.eventId, s));
  });
/** Deliveries no decision record announced (there should be none). */
const countUnannounced = (ts: Track[]) => ts.forEach((t) => t.delivered.forEach((_ms, topic) => (unannounced += t.expected.has(topic) ? 0 : 1)));
const fireMesh = (it: Item, t: Track) => postRetrying(it, t);
const fireRaw = (it: Item, t: Track, a: number) => send(producers[a]!, it, t);

interface Round {
  mesh: { eventsPerSec: number; acceptedPerSec: number; auditProjectedPerSec: number; deliveries: number; decisions: number; latency: { offeredRate: number; events: number; deliveries: number; p50Ms: number; p99Ms: number; maxMs: number; decisionsP99Ms: number; stages: Stages } };
  raw: { eventsPerSec: number; acceptedPerSec: number; latency: { offeredRate: number; events: number; p50Ms: number; p99Ms: number; maxMs: number } };
}

async function meshThroughput(): Promise<Omit<Round["mesh"], "latency">> {
  const list = items(EVENTS);
  const storedBefore = await auditStored();
  const { t0, tracks: ts, acceptSecs } = await saturate(list, fireMesh);
  await drain(ts, meshDone, "mesh throughput");
  countUnannounced(ts);
  const end = Math.max(...ts.map(meshDoneAt));
  // The audit service's projection of the same decisions (it reads the audit topic too).
  const want = storedBefore + EVENTS * subscriberCount;
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  while ((await auditStored()) < want) {
    assertAlive();
    if (Date.now() > deadline) throw new Error(`audit service did not project ${EVENTS * subscriberCount} decisions`);
    await sleep(AUDIT_POLL_MS);
  }
  const projected = performance.now();
  const deliveries = ts.reduce((n, t) => n + t.delivered.size, 0);
  forget(list);
  return {
    eventsPerSec: EVENTS / ((end - t0) / 1000),
    acceptedPerSec: EVENTS / acceptSecs,
    auditProjectedPerSec: EVENTS / ((projected - t0) / 1000),
    deliveries,
    decisions: EVENTS * subscriberCount,
  };
}

/**
 * The audit's ingest capacity against the rate the mesh makes decision records: the
 * audit service is stopped (SIGSTOP) while BENCH_EVENTS events go through the mesh at
 * saturation — every decision record made and committed, `produced` of them a second —
 * then continued (SIGCONT), and the rate it appends that backlog to its ledger (each
 * event's publish record and its decision records) is its capacity. The ratio is the
 * headroom: above 1 the audit is never what the mesh waits for. The mesh is idle while
 * the audit drains, so the audit has the machine to itself then: an upper bound on a
 * machine it shares.
 */
interface AuditCapacity {
  decisionRecords: number;
  producedPerSec: number;
  ledgerRecords: number;
  ingestPerSec: number;
  ratio: number;
}

async function auditCapacity(): Promise<AuditCapacity> {
  const audit = procs.get("audit")!;
  const list = items(EVENTS);
  const kinds = ["decision", "publish"];
  const storedBefore = await auditStored(kinds);
  audit.child.kill("SIGSTOP");
  let produced: number;
  try {
    const { t0, tracks: ts } = await saturate(list, fireMesh);
    await drain(ts, meshDone, "audit capacity (the mesh, with the audit stopped)");
    produced = (EVENTS * subscriberCount) / ((Math.max(...ts.map(meshDoneAt)) - t0) / 1000);
  } finally {
    audit.child.kill("SIGCONT");
  }
  const continued = performance.now();
  // Its ledger takes each event's publish record and its decision records.
  const want = storedBefore + EVENTS * (subscriberCount + 1);
  const deadline = Date.now() + DRAIN_TIMEOUT_MS;
  let stored = await auditStored(kinds);
  while (stored < want) {
    assertAlive();
    if (Date.now() > deadline) throw new Error(`audit capacity: the audit stored ${stored - storedBefore} of ${want - storedBefore} records`);
    await sleep(AUDIT_POLL_MS);
    stored = await auditStored(kinds);
  }
  const ingest = (stored - storedBefore) / ((performance.now() - continued) / 1000);
  forget(list);
  return { decisionRecords: EVENTS * subscriberCount, producedPerSec: produced, ledgerRecords: stored - storedBefore, ingestPerSec: ingest, ratio: ingest / produced };
}

/**
 * Where a publish's time goes in the latency phase, each stage's median over the events (ms):
 * the HTTP request sent → the adapter's send of the intel record (its CreateTime: the door,
 * validation, mapping, the claim writer's queue); → the 202 arriving (the adapter's transaction:
 * claims, commit); → the exchange's send of the event's first decision record (its consumer
 * seeing the committed record, the plan, the policy); → all the event's decision records
 * visible read-committed (the exchange's transaction and commit, the watcher's fetch); → its
 * last delivery visible. The stages' medians need not add up to the total's.
 */
export interface Stages { adapterToSend: number; adapterCommit: number; exchangeRead: number; exchangeCommit: number; deliveries: number; total: number }
function stagesOf(ts: Track[]): Stages {
  const p50 = (f: (t: Track) => number) => percentile(ts.map(f).filter(Number.isFinite).sort((a, b) => a - b), 50);
  const lastDelivery = (t: Track) => Math.max(t.decidedAt!, ...[...t.delivered.values()].map((ms) => t.sentAt + ms));
  return {
    adapterToSend: p50((t) => t.intelCreatedAt! - t.sentAt),
    adapterCommit: p50((t) => t.answeredAt! - t.intelCreatedAt!),
    exchangeRead: p50((t) => t.decisionCreatedAt! - t.answeredAt!),
    exchangeCommit: p50((t) => t.decidedAt! - t.decisionCreatedAt!),
    deliveries: p50((t) => lastDelivery(t) - t.decidedAt!),
    total: p50((t) => lastDelivery(t) - t.sentAt),
  };
}

async function meshLatency(): Promise<Round["mesh"]["latency"]> {
  const list = items(LATENCY_EVENTS);
  const { tracks: ts, offeredRate } = await offer(list, fireMesh);
  await drain(ts, meshDone, "mesh latency");
  countUnannounced(ts);
  const deliver = ts.flatMap((t) => [...t.delivered.values()]).sort((a, b) => a - b);
  const decided = ts.map((t) => t.decidedAt! - t.sentAt).sort((a, b) => a - b);
  const stages = stagesOf(ts);
  forget(list);
  return { offeredRate, events: ts.length, deliveries: deliver.length, p50Ms: percentile(deliver, 50), p99Ms: percentile(deliver, 99), maxMs: deliver.at(-1)!, decisionsP99Ms: percentile(decided, 99), stages };
}

async function rawThroughput(): Promise<Pick<Round["raw"], "eventsPerSec" | "acceptedPerSec">> {
  const list = items(EVENTS);
  const { t0, tracks: ts, acceptSecs } = await saturate(list, fireRaw);
  await drain(ts, (t) => t.consumedAt !== undefined, "raw throughput");
  const end = Math.max(...ts.map((t) => t.consumedAt!));
  forget(list);
  return { eventsPerSec: EVENTS / ((end - t0) / 1000), acceptedPerSec: EVENTS / acceptSecs };
}

async function rawLatency(): Promise<Round["raw"]["latency"]> {
  const list = items(LATENCY_EVENTS);
  const { tracks: ts, offeredRate } = await offer(list, fireRaw);
  await drain(ts, (t) => t.consumedAt !== undefined, "raw latency");
  const lat = ts.map((t) => t.consumedAt! - t.sentAt).sort((a, b) => a - b);
  forget(list);
  return { offeredRate, events: ts.length, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99), maxMs: lat.at(-1)! };
}

interface Failover {
  /** The killed node, and the intel partition it led. */
  node: number;
  partition: string;
  events: number;
  /** Kill → the first delivery (of an event sent after the kill) visible read-committed. */
  firstDeliveryMs: number;
  /** Kill → every event sent in the second after it fully delivered: each partition led again and written. */
  allPartitionsMs: number;
  /** Publish → deliver over the phase, the kill included. */
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  retriedPublishes: number;
  /** The killed node started again → the cluster whole (every replica in sync). */
  rejoinMs: number;
}

/**
 * At BENCH_RATE for BENCH_FAILOVER_SECONDS, SIGKILL the leader of partition 0 of
 * the Police intel topic after BENCH_FAILOVER_KILL_AFTER_MS; every event must
 * still be decided and delivered exactly once (the watcher counts duplicates).
 */
async function failoverPhase(): Promise<Failover> {
  const cluster = kafka.cluster!;
  const topic = intelTopic(ADAPTERS[0]!);
  const leader = await partitionLeader(kafka.operator, topic, 0);
  const node = cluster.nodes.find((n) => n.id === leader);
  if (!node) throw new Error(`${topic}[0] is led by node ${leader}, not one of this cluster's`);
  const retriedBefore = retriedPublishes;
  const list = items(Math.round(RATE * FAILOVER_SECONDS));
  let killedAt = Number.NaN;
  const killing = sleep(FAILOVER_KILL_AFTER_MS).then(async () => {
    killedAt = performance.now();
    await node.kill("SIGKILL");
    console.error(`[bench] failover: node ${node.id} (leader of ${topic}[0]) SIGKILLed`);
  });
  const { tracks: ts } = await offer(list, fireMesh);
  await killing;
  await drain(ts, meshDone, "failover");
  countUnannounced(ts);
  const after = ts.filter((t) => t.sentAt >= killedAt);
  const deliveredAt = (t: Track) => [...t.delivered.values()].map((ms) => t.sentAt + ms);
  const firstDeliveryMs = Math.min(...after.flatMap(deliveredAt)) - killedAt;
  const allPartitionsMs = Math.max(...after.filter((t) => t.sentAt < killedAt + 1000).map(meshDoneAt)) - killedAt;
  const lat = ts.flatMap((t) => [...t.delivered.values()]).sort((a, b) => a - b);
  forget(list);
  const rejoinStart = performance.now();
  await node.start();
  await waitForClusterHealthy(kafka.operator, { brokers: cluster.nodes.length, timeoutMs: DRAIN_TIMEOUT_MS });
  return {
    node: node.id,
    partition: `${topic}[0]`,
    events: ts.length,
    firstDeliveryMs,
    allPartitionsMs,
    p50Ms: percentile(lat, 50),
    p99Ms: percentile(lat, 99),
    maxMs: lat.at(-1)!,
    retriedPublishes: retriedPublishes - retriedBefore,
    rejoinMs: performance.now() - rejoinStart,
  };
}

let failover: Failover | undefined;
const rounds: Round[] = [];
let auditCap: AuditCapacity | undefined;
let subscribers: { id: string; delivery_topic: string }[] = [];
try {
  await startServices();
  subscribers = ((await (await fetch(`${procs.get("exchange")!.url}/v1/policy`)).json()) as { subscribers: { id: string; delivery_topic: string }[] }).subscribers;
  subscriberCount = subscribers.length;
  subscriberIds = subscribers.map((s) => s.id);
  deliveryTopics = new Set(subscribers.map((s) => s.delivery_topic));
  console.error(`[bench] run ${RUN}: mesh up (${[...procs.keys()].join(", ")}); ${subscriberCount} subscribers: ${subscribers.map((s) => s.id).join(", ")}`);

  // The watcher: one read-committed consumer for the audit topic, every delivery topic
  // (from their current end: earlier deliveries never count) and the raw topics.
  const groupId = `takitini-bench-watch-${RUN}`;
  const admin = client.admin();
  await admin.connect();
  try {
    for (const topic of deliveryTopics) await admin.setOffsets({ groupId, topic, partitions: (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, offset: p.high })) });
  } finally {
    await admin.disconnect();
  }
  watcher = client.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: WATCH_MAX_WAIT_MS });
  await watcher.connect();
  // The agency topics too, for the records' CreateTime: where a publish's time goes (the latency phase's stages).
  await watcher.subscribe({ topics: [AUDIT_TOPIC, ...deliveryTopics, ...rawTopics, ...intelTopics], fromBeginning: true });
  await watcher.run({ eachBatch: async ({ batch }) => onBatch(batch.topic, batch.partition, batch.messages) });
  for (const _a of ADAPTERS) {
    const p = client.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    await p.connect();
    producers.push(p);
  }

  // Warm-up: group joins, transactions, JIT — and a check that the whole path works.
  {
    const list = items(WARMUP);
    const ts = (await saturate(list, fireMesh)).tracks;
    await drain(ts, meshDone, "warm-up (mesh)");
    forget(list);
    const raw = items(WARMUP);
    const rs = (await saturate(raw, fireRaw)).tracks;
    await drain(rs, (t) => t.consumedAt !== undefined, "warm-up (raw)");
    forget(raw);
  }

  for (let r = 0; r < ROUNDS; r++) {
    const mesh = await meshThroughput();
    const raw = await rawThroughput();
    const meshLat = await meshLatency();
    const rawLat = await rawLatency();
    rounds.push({ mesh: { ...mesh, latency: meshLat }, raw: { ...raw, latency: rawLat } });
    console.error(
      `[bench] round ${r + 1}/${ROUNDS}: mesh ${fmt(mesh.eventsPerSec)} ev/s (accepted ${fmt(mesh.acceptedPerSec)}/s), raw ${fmt(raw.eventsPerSec)} ev/s; ` +
        `at ${fmt(meshLat.offeredRate)} ev/s mesh p50/p99 ${fmt(meshLat.p50Ms, 1)}/${fmt(meshLat.p99Ms, 1)} ms, raw ${fmt(rawLat.p50Ms, 1)}/${fmt(rawLat.p99Ms, 1)} ms`,
    );
  }
  auditCap = await auditCapacity();
  console.error(`[bench] audit capacity: ${fmt(auditCap.ingestPerSec)} ledger records/s against ${fmt(auditCap.producedPerSec)} decision records/s made (${fmt(auditCap.ratio, 2)})`);
  if (kafka.cluster) {
    failover = await failoverPhase();
    console.error(`[bench] failover: first delivery ${fmt(failover.firstDeliveryMs)} ms after the kill, every partition delivering after ${fmt(failover.allPartitionsMs)} ms; node rejoined in ${fmt(failover.rejoinMs)} ms`);
  } else if (BROKERS > 1) {
    console.error("[bench] failover phase skipped: the cluster is not this run's own (KAFKA_BROKERS), so no node of it is killed");
  }
  for (const [name, p] of procs) rss.set(name, p.peakRssKb());
  if (kafka.pid !== undefined) rss.set("Kafka broker (JVM)", vmHwm(kafka.pid));
  for (const n of kafka.cluster?.nodes ?? []) {
    const pid = n.pid();
    if (pid !== undefined) rss.set(`Kafka node ${n.id} (JVM)`, vmHwm(pid));
  }
} finally {
  await watcher?.disconnect().catch(() => undefined);
  await Promise.all(producers.map((p) => p.disconnect().catch(() => undefined)));
  agents.forEach((a) => a.destroy());
  await Promise.all([...procs.values()].map((p) => p.stop()));
  if (kafka.mode === "external") {
    const admin = client.admin();
    await admin.connect();
    await admin.deleteTopics({ topics: benchTopics.map((t) => t.name) }).catch((err: Error) => console.error(`[bench] could not delete this run's topics: ${err.message}`));
    await admin.disconnect();
  }
  await kafka.stop();
  await postgres.stop();
}

// ---- report ------------------------------------------------------------------------------
const med = (f: (r: Round) => number) => median(rounds.map(f));
const m = {
  meshEventsPerSec: med((r) => r.mesh.eventsPerSec),
  rawEventsPerSec: med((r) => r.raw.eventsPerSec),
  meshAcceptedPerSec: med((r) => r.mesh.acceptedPerSec),
  auditProjectedPerSec: med((r) => r.mesh.auditProjectedPerSec),
  meshDeliveriesPerEvent: med((r) => r.mesh.deliveries / EVENTS),
  meshOfferedRate: med((r) => r.mesh.latency.offeredRate),
  rawOfferedRate: med((r) => r.raw.latency.offeredRate),
  meshP50Ms: med((r) => r.mesh.latency.p50Ms),
  meshP99Ms: med((r) => r.mesh.latency.p99Ms),
  meshDecisionsP99Ms: med((r) => r.mesh.latency.decisionsP99Ms),
  rawP50Ms: med((r) => r.raw.latency.p50Ms),
  rawP99Ms: med((r) => r.raw.latency.p99Ms),
};
const ratios = { throughput: m.meshEventsPerSec / m.rawEventsPerSec, p50: m.meshP50Ms / m.rawP50Ms, p99: m.meshP99Ms / m.rawP99Ms };
/** An offered load this close to the sustained rate queues: its latency grows with the phase's length. */
const overCapacity = m.meshOfferedRate > 0.8 * m.meshEventsPerSec;

const head = ["", `mesh (4 adapters → exchange → audit + ${subscriberCount} subscribers)`, "raw kafkajs produce → consume", "mesh ÷ raw"];
console.log(
  `\nbench:e2e — ${fmt(EVENTS)} events per round at saturation (HTTP concurrency ${CONCURRENCY} per adapter, mutual TLS, keep-alive), ${fmt(LATENCY_EVENTS)} at ${fmt(RATE)} events/s offered; ` +
    `median of ${ROUNDS} rounds; ${subscriberCount} subscribers, audit on; acks=all, idempotent producers; read-committed consumers\n`,
);
console.log(`| ${head.join(" | ")} |`);
console.log(`|${head.map(() => "---").join("|")}|`);
console.log(`| sustained events/s | ${fmt(m.meshEventsPerSec)} | ${fmt(m.rawEventsPerSec)} | ${fmt(ratios.throughput, 2)} |`);
console.log(`| p50 publish → deliver at ${fmt(RATE)}/s | ${fmt(m.meshP50Ms, 1)} ms | ${fmt(m.rawP50Ms, 1)} ms | ${fmt(ratios.p50, 1)} |`);
console.log(`| p99 publish → deliver at ${fmt(RATE)}/s | ${fmt(m.meshP99Ms, 1)} ms | ${fmt(m.rawP99Ms, 1)} ms | ${fmt(ratios.p99, 1)} |`);
if (auditCap) console.log(`| audit ingest ÷ decision records made (ledger records/s, draining a backlog ÷ decision records/s at saturation) | ${fmt(auditCap.ingestPerSec)} | ${fmt(auditCap.producedPerSec)} | ${fmt(auditCap.ratio, 2)} |`);
console.log(`\n| service | peak RSS |\n|---|---|`);
for (const [name, kb] of rss) console.log(`| ${name} | ${fmt(kb / 1024)} MiB |`);
console.log(
  `\nMesh events count once all ${subscriberCount} decision records and every delivery they announce are visible read-committed ` +
    `(${fmt(m.meshDeliveriesPerEvent, 2)} deliveries per event); adapters accepted ${fmt(m.meshAcceptedPerSec)}/s and the audit service projected ` +
    `${fmt(m.auditProjectedPerSec)} events/s. Latency is per delivery, HTTP request sent → visible on the subscriber's topic ` +
    `(p99 to all decisions visible: ${fmt(m.meshDecisionsP99Ms, 1)} ms); raw is send → consumed. Duplicates seen (a decision or delivery again at another offset): ${duplicates}${rereads > 0 ? ` (and ${rereads} records the watcher read again at the same offset after its consumer restarted, not counted)` : ""}; deliveries without a decision: ${unannounced}. ` +
    `Publishes answered 503 PUBLISH_FAILED and sent again after Retry-After (counted from the first attempt): ${retriedPublishes}.`,
);

const stage = (f: (x: Stages) => number) => med((r) => f(r.mesh.latency.stages));
console.log(
  `\nWhere a publish's time goes at ${fmt(m.meshOfferedRate)} events/s (each stage's p50 over the events, median of rounds; Kafka CreateTimes are this machine's clock):\n\n| stage | p50 |\n|---|---|\n` +
    `| request sent → adapter sends the event (door, validation, mapping, claim writer queue) | ${fmt(stage((x) => x.adapterToSend), 1)} ms |\n` +
    `| → 202 received (the adapter's transaction: event and claims, commit) | ${fmt(stage((x) => x.adapterCommit), 1)} ms |\n` +
    `| → the exchange sends the first decision (fetch of the committed event, plan, policy) | ${fmt(stage((x) => x.exchangeRead), 1)} ms |\n` +
    `| → every decision visible read-committed (the exchange's transaction, the watcher's fetch) | ${fmt(stage((x) => x.exchangeCommit), 1)} ms |\n` +
    `| → the last delivery visible | ${fmt(stage((x) => x.deliveries), 1)} ms |\n` +
    `| request sent → the event's last delivery visible | ${fmt(stage((x) => x.total), 1)} ms |`,
);

if (overCapacity) {
  console.log(
    `\n**Offered load ${fmt(m.meshOfferedRate)} events/s is over 80 % of the mesh's sustained ${fmt(m.meshEventsPerSec)} events/s: the latency above may be mostly queueing. Lower BENCH_RATE (or, if the saturation phase was short, raise BENCH_EVENTS).**`,
  );
}

if (failover) {
  console.log(
    `\n**Failover** (${fmt(kafka.brokers.length)} brokers, replication 3, min.insync.replicas 2): at ${fmt(RATE)} events/s for ${fmt(FAILOVER_SECONDS)} s, node ${failover.node}, ` +
      `leader of ${failover.partition}, SIGKILLed after ${fmt(FAILOVER_KILL_AFTER_MS / 1000)} s.\n\n| figure | value |\n|---|---|\n` +
      `| kill → first delivery after it | ${fmt(failover.firstDeliveryMs)} ms |\n` +
      `| kill → every partition delivering again (events sent in the second after the kill all delivered) | ${fmt(failover.allPartitionsMs)} ms |\n` +
      `| publish → deliver over the phase p50 / p99 / max | ${fmt(failover.p50Ms, 1)} / ${fmt(failover.p99Ms)} / ${fmt(failover.maxMs)} ms |\n` +
      `| publishes answered 503 and sent again | ${fmt(failover.retriedPublishes)} |\n` +
      `| killed node started → cluster whole again | ${fmt(failover.rejoinMs)} ms |`,
  );
}

const out = process.env.BENCH_OUT ?? `${ROOT}test/bench/results/e2e-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  JSON.stringify(
    {
      bench: "e2e",
      at: new Date().toISOString(),
      run: RUN,
      kafka: { mode: kafka.mode, brokers: kafka.brokers, security: kafka.security },
      failover,
      auditCapacity: auditCap,
      config: { adapterDoor: "HTTPS, mutual TLS (publisher certificate), keep-alive", watchMaxWaitMs: WATCH_MAX_WAIT_MS, events: EVENTS, rounds: ROUNDS, concurrencyPerAdapter: CONCURRENCY, rate: RATE, latencyEvents: LATENCY_EVENTS, warmup: WARMUP },
      subscribers: subscribers.map((s) => s.id),
      median: { ...m, ratios, overCapacity },
      peakRssKb: Object.fromEntries(rss),
      duplicates,
      rereads,
      unannounced,
      retriedPublishes,
      rounds,
    },
    null,
    2,
  ) + "\n",
);
console.error(`[bench] results written to ${out}`);
