// npm run bench:audit-drain — the audit service, as the real process (its V8 flags, its
// Kafka principal, least-privilege PostgreSQL roles, durable settings), draining a
// backlog of decision records from a real broker: the numerator of issue 17's audit row
// (bench:e2e's "audit ingest ÷ decision records made") measured on its own, so a change
// to the ingest can be judged in a minute rather than in a whole mesh's run.
//
// Each round: the audit is started on an empty decisions topic of its own and is ready,
// then stopped (SIGSTOP) as in bench:e2e; BENCH_DRAIN_RECORDS decision records (default
// 44,000: a bench:e2e backlog of 2,000 events × 22 subscribers) are produced to the topic
// as the exchange's principal, 500 to a send, keyed by event; then the audit is
// continued (SIGCONT), and the rate is the records appended to the ledger
// (audit_records_appended_total{kind="decision"}, polled every BENCH_DRAIN_POLL_MS,
// default AUDIT_POLL_MS, lib.ts) over the
// time from SIGCONT to the last of them. Median of BENCH_ROUNDS rounds (default 3); the
// audit's peak RSS across them.
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { environmentFor, loadAclSubscribers, loadTopicDeclarations, type TopicDeclaration } from "@takitini/infra";
import { DecisionRecord } from "@takitini/proto";
import { kafkaSecurityOptions, silenceKafkajsTimerWarning } from "@takitini/runtime";
import { Kafka, logLevel } from "kafkajs";
import { decision } from "./decisions.ts";
import { AUDIT_POLL_MS, auditAppended, auditBenchEnv, fmt, kafkaForBench, median, postgresForBench, startProcess } from "./lib.ts";

const RECORDS = Number(process.env.BENCH_DRAIN_RECORDS ?? 44_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const POLL_MS = Number(process.env.BENCH_DRAIN_POLL_MS ?? AUDIT_POLL_MS);
const DRAIN_TIMEOUT_MS = 300_000;
const BATCH = 500;

silenceKafkajsTimerWarning();
const RUN = randomUUID().slice(0, 8);
const declared = loadTopicDeclarations(undefined, process.env, environmentFor(1));
const template = declared.find((d) => d.name === "takitini.audit.decisions.v1");
if (!template) throw new Error("infra/kafka/topics.json declares no takitini.audit.decisions.v1");
const topicOf = (round: number) => `takitini.bench.${RUN}${round}.audit.decisions.v1`;
const topics: TopicDeclaration[] = Array.from({ length: ROUNDS }, (_, r) => ({ ...template, name: topicOf(r), description: `bench:audit-drain run ${RUN} round ${r}`, retention_ms: 86_400_000 }));

const kafka = await kafkaForBench(topics);
// The run's decision topics get the ACLs the shipped generator derives for them (the exchange writes, the audit reads).
await kafka.grant([...topics, ...declared.filter((d) => d.role === "delivery")], loadAclSubscribers());
const postgres = await postgresForBench();
const client = new Kafka({ clientId: "bench-audit-drain", brokers: kafka.brokers, logLevel: logLevel.ERROR, ...kafkaSecurityOptions(kafka.securityOf("exchange")) });
const producer = client.producer({ idempotent: true, maxInFlightRequests: 1 });
await producer.connect();

const rates: number[] = [];
let peakRssKb = 0;
try {
  for (let round = 0; round < ROUNDS; round++) {
    const topic = topicOf(round);
    const audit = await startProcess("services/audit/dist/main.js", {
      ...kafka.envOf("audit"),
      KAFKA_BROKERS: kafka.brokers.join(","),
      AUDIT_TOPIC: topic,
      ACCESS_TOPICS: "",
      // The agency topics, empty here (the publish records of bench:e2e's backlog are not in this one).
      INTEL_TOPICS: "takitini.intel.police.v1,takitini.intel.customs.v1,takitini.intel.mbie.v1,takitini.intel.msd.v1",
      GROUP_ID: `takitini-audit-bench-drain-${RUN}-${round}`,
      ...auditBenchEnv(postgres.url, `${RUN}_${round}`),
    });
    try {
      audit.child.kill("SIGSTOP");
      const messages = Array.from({ length: RECORDS }, (_, i) => {
        const d = decision(`${RUN}-${round}`, i, Math.max(100, Math.floor(RECORDS / 20)));
        return { key: d.eventId, value: Buffer.from(DecisionRecord.encode(d).finish()) };
      });
      for (let i = 0; i < messages.length; i += BATCH) await producer.send({ topic, acks: -1, messages: messages.slice(i, i + BATCH) });
      const continued = performance.now();
      audit.child.kill("SIGCONT");
      const deadline = Date.now() + DRAIN_TIMEOUT_MS;
      let stored = await auditAppended(audit.adminUrl);
      while (stored < RECORDS) {
        if (audit.child.exitCode !== null) throw new Error(`the audit exited (${audit.child.exitCode}) while draining`);
        if (Date.now() > deadline) throw new Error(`the audit appended ${stored} of ${RECORDS} records in ${DRAIN_TIMEOUT_MS} ms`);
        await sleep(POLL_MS);
        stored = await auditAppended(audit.adminUrl);
      }
      const seconds = (performance.now() - continued) / 1000;
      rates.push(stored / seconds);
      console.error(`[bench] round ${round + 1}/${ROUNDS}: ${fmt(stored)} decision records appended in ${fmt(seconds, 1)} s (${fmt(stored / seconds)} records/s)`);
    } finally {
      peakRssKb = Math.max(peakRssKb, audit.peakRssKb());
      await audit.stop();
    }
  }
} finally {
  await producer.disconnect();
  await postgres.stop();
  await kafka.stop();
}

console.log(`\nbench:audit-drain — the audit service draining ${fmt(RECORDS)} decision records from the broker into durable PostgreSQL, median of ${ROUNDS} rounds\n`);
console.log("| figure | value |");
console.log("|---|---|");
console.log(`| ledger records/s draining a backlog (rounds: ${rates.map((r) => fmt(r)).join(", ")}) | ${fmt(median(rates))} |`);
console.log(`| audit peak RSS | ${fmt(peakRssKb / 1024)} MiB |`);
