#!/usr/bin/env node
/**
 * `npm run policy:impact -- --last 1000 --candidate <wasm> [--candidate-data <dir>]`
 *
 * Replays the last N events on the agency topics against the current policy and a
 * candidate, and prints per subscriber what would newly be shared or withheld and
 * which views, redactions and legal bases would change. Reads read-committed with
 * a throwaway consumer group (no offsets are committed anywhere); decides in
 * process; writes nothing to Kafka. The comparison itself is src/policy/impact.ts.
 *
 * Options:
 *   --last N               events to replay, the most recent across all partitions (default 1000)
 *   --candidate PATH       candidate wasm (build one with: bash policies/scripts/policy.sh build PATH)
 *   --candidate-data DIR   candidate's data dir (default: the current data dir)
 *   --current PATH         current wasm (default POLICY_WASM or the committed one)
 *   --current-data DIR     current data dir (default POLICY_DATA_DIR or the committed one)
 *   --topics a,b           agency topics (default INTEL_TOPICS or takitini.intel.police.v1)
 *   --examples N           examples listed per kind of change (default 5)
 *   --json                 the whole report as JSON instead of text
 * Environment: KAFKA_BROKERS (default 127.0.0.1:9092).
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { DEFAULT_DATA_DIR, DEFAULT_WASM_PATH, loadSharingPolicy, type SharingPolicy } from "@takitini/policies";
import type { IntelligenceEvent } from "@takitini/proto";
import { assertKafkajsPatched, brokerList, kafkaSecurityOptions, silenceKafkajsTimerWarning } from "@takitini/runtime";
import { Kafka, logLevel, type KafkaMessage } from "kafkajs";
import { admitEvent } from "../plan.js";
import { compareDecisions, renderImpact } from "../policy/impact.js";
import { operatorSecurity } from "./local.js";

const { values } = parseArgs({
  options: {
    last: { type: "string", default: "1000" },
    candidate: { type: "string" },
    "candidate-data": { type: "string" },
    current: { type: "string" },
    "current-data": { type: "string" },
    topics: { type: "string" },
    examples: { type: "string", default: "5" },
    json: { type: "boolean", default: false },
    help: { type: "boolean", default: false },
  },
});

const usage = "usage: npm run policy:impact -- --last N --candidate <wasm> [--candidate-data <dir>] [--current <wasm>] [--current-data <dir>] [--topics a,b] [--json]";
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const last = Number(values.last);
if (!values.candidate || !Number.isInteger(last) || last < 1) {
  console.error(usage);
  process.exit(2);
}

const currentWasm = values.current ?? process.env.POLICY_WASM ?? DEFAULT_WASM_PATH;
const currentData = values["current-data"] ?? process.env.POLICY_DATA_DIR ?? DEFAULT_DATA_DIR;
const topics = (values.topics ?? process.env.INTEL_TOPICS ?? "takitini.intel.police.v1").split(",").map((t) => t.trim()).filter((t) => t !== "");

let current: SharingPolicy;
let candidate: SharingPolicy;
try {
  // Memo off: every event is decided afresh by each policy.
  current = await loadSharingPolicy({ wasmPath: currentWasm, dataDir: currentData, memo: 0 });
} catch (err) {
  console.error(`the current policy cannot be loaded: ${(err as Error).message}`);
  process.exit(2);
}
try {
  candidate = await loadSharingPolicy({ wasmPath: values.candidate, dataDir: values["candidate-data"] ?? currentData, memo: 0 });
} catch (err) {
  console.error(`the candidate policy cannot be loaded: ${(err as Error).message}`);
  process.exit(2);
}

silenceKafkajsTimerWarning();
const brokers = brokerList.parse(process.env.KAFKA_BROKERS ?? "127.0.0.1:9092");
// Reading the agency topics' raw events is an operator's act: the operator principal.
const security = operatorSecurity("npm run policy:impact");
assertKafkajsPatched();
const kafka = new Kafka({ clientId: "takitini-policy-impact", brokers, logLevel: logLevel.ERROR, ...kafkaSecurityOptions(security) });

interface Read {
  topic: string;
  partition: number;
  message: KafkaMessage;
}

/** The last `n` records of each partition, then the `n` most recent of those by timestamp. */
async function readLast(n: number): Promise<Read[]> {
  const admin = kafka.admin();
  await admin.connect();
  const starts = new Map<string, bigint>();
  const ends = new Map<string, bigint>();
  try {
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        const high = BigInt(p.high);
        const low = BigInt(p.low);
        if (high <= low) continue;
        const start = high - BigInt(n) > low ? high - BigInt(n) : low;
        starts.set(`${topic}/${p.partition}`, start);
        ends.set(`${topic}/${p.partition}`, high);
      }
    }
  } finally {
    await admin.disconnect();
  }
  if (starts.size === 0) return [];

  const consumer = kafka.consumer({ groupId: `takitini-policy-impact-${randomUUID()}`, readUncommitted: false });
  const read: Read[] = [];
  const pending = new Set(starts.keys());
  let lastActivity = Date.now();
  await consumer.connect();
  await consumer.subscribe({ topics, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      lastActivity = Date.now();
      const key = `${batch.topic}/${batch.partition}`;
      const start = starts.get(key);
      if (start === undefined) return;
      for (const message of batch.messages) {
        if (BigInt(message.offset) >= start) read.push({ topic: batch.topic, partition: batch.partition, message });
      }
      // Caught up to where the partition ended when we looked (transaction markers
      // take offsets too, so "caught up" is the batch's own lag, not the last offset).
      const lastOffset = batch.messages.at(-1)?.offset;
      if (batch.offsetLag() === "0" || (lastOffset !== undefined && BigInt(lastOffset) + 1n >= (ends.get(key) ?? 0n))) pending.delete(key);
    },
  });
  for (const [key, start] of starts) {
    const at = key.lastIndexOf("/");
    consumer.seek({ topic: key.slice(0, at), partition: Number(key.slice(at + 1)), offset: start.toString() });
  }
  const deadline = Date.now() + 120_000;
  while (pending.size > 0 && Date.now() < deadline && Date.now() - lastActivity < 10_000) await new Promise((r) => setTimeout(r, 100));
  await consumer.disconnect();
  if (pending.size > 0) console.error(`warning: stopped before the end of ${[...pending].join(", ")}`);

  return read
    .sort((a, b) => Number(a.message.timestamp) - Number(b.message.timestamp) || (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0) || a.partition - b.partition || Number(BigInt(a.message.offset) - BigInt(b.message.offset)))
    .slice(-n);
}

const records = await readLast(last);
const events: IntelligenceEvent[] = [];
// What the exchange would decide: not what it dead-letters (unreadable, or on another agency's topic).
let unreadable = 0;
for (const r of records) {
  const decoded = admitEvent({ topic: r.topic, partition: r.partition, offset: r.message.offset, key: r.message.key, value: r.message.value, headers: r.message.headers });
  if (decoded.ok) events.push(decoded.event);
  else unreadable++;
}

const report = compareDecisions(events, current, candidate);
if (values.json) {
  console.log(JSON.stringify({ topics, records: records.length, unreadable, ...report }, null, 2));
} else {
  console.log(`Topics ${topics.join(", ")}: ${records.length} record(s) read${unreadable > 0 ? `, ${unreadable} dead-lettered by the exchange (unreadable, or on another agency's topic)` : ""}.`);
  console.log(renderImpact(report, Number(values.examples)));
}
