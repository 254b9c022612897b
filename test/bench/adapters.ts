// npm run bench:adapters — accepted records/s per adapter over HTTP and over bulk
// import against a real broker, and, in the same run, the raw kafkajs produce rate
// of the same events (the ratio's denominator). Median of ROUNDS rounds.
// The HTTP door is mutual TLS: the agency's publisher certificate on keep-alive
// connections (one handshake per connection); the import presents it too.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ingest, seededRandom, type AgencyAdapter } from "@takitini/adapter-kit";
import { IntelligenceEvent } from "@takitini/proto";
import { Kafka, logLevel } from "kafkajs";
import { customsAdapter } from "../../services/customs-adapter/dist/adapter.js";
import { mbieAdapter } from "../../services/mbie-adapter/dist/adapter.js";
import { msdAdapter } from "../../services/msd-adapter/dist/adapter.js";
import { policeAdapter } from "../../services/police-adapter/dist/adapter.js";
import { kafkaSecurityOptions, silenceKafkajsTimerWarning } from "@takitini/runtime";
import { adapterDoors, adapterRateLimitEnv, fmt, kafkaForBench, median, pool, postJson, ROOT, startProcess } from "./lib.ts";

const N = Number(process.env.BENCH_RECORDS ?? 2000);
// Issue 17's row: the bulk import of a 100,000-row file (one file, one record type: importRows).
const IMPORT_N = Number(process.env.BENCH_IMPORT_RECORDS ?? 100_000);
// Which doors to measure (both by default): BENCH_DOORS=bulk or http, to look at one.
const DOORS = new Set((process.env.BENCH_DOORS ?? "http,bulk").split(","));
const PROF_DIR = process.env.BENCH_CPU_PROF;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const BATCH = 500;
const ONLY = process.env.BENCH_ADAPTERS?.split(",");
const ADAPTERS: AgencyAdapter[] = [policeAdapter, customsAdapter, mbieAdapter, msdAdapter].filter((a) => !ONLY || ONLY.includes(a.service));

silenceKafkajsTimerWarning();
const kafka = await kafkaForBench();
// The doors' certificates from the broker's PKI, the run's event-id key, the publishers' clients.
const doors = adapterDoors(kafka);
// The raw pipe as each adapter's own principal, on the same secured listener as the adapters.
const rawClient = (principal: string) => new Kafka({ clientId: "bench-raw", brokers: kafka.brokers, logLevel: logLevel.ERROR, ...kafkaSecurityOptions(kafka.securityOf(principal)) });

const rows: string[][] = [];
// Native ids must be new on each round (and on a shared cluster); keep indices well inside what generators take.
let seq = Math.floor(Date.now() / 1000) % 100_000;

/**
 * IMPORT_N records of the adapter's first record type whose synthesiser gives that many
 * distinct records (ids) from `base` on — MBIE's complaints repeat their ids after a
 * year's worth (COMPLAINTS_PER_YEAR), so its next type is taken.
 */
function importRows(adapter: AgencyAdapter, seed: string, base: number): { kind: AgencyAdapter["kinds"][number]; rows: unknown[] } {
  for (const kind of adapter.kinds) {
    const rng = seededRandom(seed);
    const rows = Array.from({ length: IMPORT_N }, (_v, i) => kind.synthesize(rng, base + i));
    const ids = new Set<string>();
    for (const r of rows) {
      const x = ingest(adapter, kind.recordType, r, new Date(), { eventIdKey: doors.eventIdKey });
      if (!x.ok) throw new Error(`${adapter.service}: a synthetic ${kind.recordType} is invalid`);
      ids.add(x.event.id);
    }
    if (ids.size === IMPORT_N) return { kind, rows };
  }
  throw new Error(`${adapter.service}: no record type synthesises ${IMPORT_N} distinct records`);
}

function records(adapter: AgencyAdapter, n: number): { recordType: string; httpPath: string; record: unknown }[] {
  const rng = seededRandom(`bench/${adapter.service}/${seq}`);
  return Array.from({ length: n }, (_v, i) => {
    const kind = adapter.kinds[i % adapter.kinds.length]!;
    return { recordType: kind.recordType, httpPath: kind.httpPath, record: kind.synthesize(rng, seq * 10_000 + i) };
  });
}

try {
  for (const adapter of ADAPTERS) {
    const svc = await startProcess(`services/${adapter.service}/dist/main.js`, { ...kafka.envOf(adapter.service), ...doors.env(adapter.service), ...adapterRateLimitEnv(N * ROUNDS), GRPC_PORT: "0" });
    const agent = doors.agent(adapter.service);
    const producer = rawClient(adapter.service).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const httpRates: number[] = [];
    const bulkRates: number[] = [];
    const rawSingleRates: number[] = [];
    const rawBatchRates: number[] = [];
    let rss = 0;
    try {
      for (let round = 0; round < ROUNDS; round++) {
        seq++;
        // HTTP door: N records, CONCURRENCY in flight.
        if (DOORS.has("http")) {
          const httpRecs = records(adapter, N);
          const statuses = new Map<number, number>();
          const httpSecs = await pool(N, CONCURRENCY, async (i) => {
            const r = httpRecs[i]!;
            const res = await postJson(agent, `${svc.url}${r.httpPath}`, JSON.stringify(r.record));
            statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          });
          if (statuses.get(202) !== N) throw new Error(`${adapter.service}: not every HTTP submission was accepted: ${JSON.stringify([...statuses])}`);
          httpRates.push(N / httpSecs);
        }

        // Bulk import door: one NDJSON file of IMPORT_N rows of one record type (importRows), the import CLI as its own process.
        if (DOORS.has("bulk")) {
          seq++;
          const { kind, rows } = importRows(adapter, `bench/${adapter.service}/import/${seq}`, seq * 1_000_000);
          const dir = mkdtempSync(join(tmpdir(), "takitini-bench-"));
          const file = join(dir, `${kind.recordType}.ndjson`);
          writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
          const profile = PROF_DIR ? ["--cpu-prof", `--cpu-prof-dir=${PROF_DIR}`, `--cpu-prof-name=import.${adapter.service}.${Date.now()}.cpuprofile`] : [];
          const t0 = process.hrtime.bigint();
          const run = spawnSync(process.execPath, [...profile, `${ROOT}services/${adapter.service}/dist/import.js`, file, "--type", kind.recordType, ...doors.importArgs(adapter.service), "--quiet"], {
            env: { ...process.env, ...kafka.envOf(adapter.service), ...doors.env(adapter.service) },
            encoding: "utf8",
            maxBuffer: 64 * 1024 * 1024,
          });
          const bulkSecs = Number(process.hrtime.bigint() - t0) / 1e9;
          if (run.status !== 0) throw new Error(`import failed (${run.status}): ${run.stdout}${run.stderr}`);
          const accepted = Number(/^\s*accepted\s+(\d+)/m.exec(run.stdout)?.[1]);
          if (accepted !== IMPORT_N) throw new Error(`${adapter.service}: the import accepted ${accepted} of ${IMPORT_N} rows: ${run.stdout}`);
          rmSync(dir, { recursive: true, force: true });
          bulkRates.push(IMPORT_N / bulkSecs);
        }

        // Raw kafkajs: the same kinds of events, mapped in-process (same keyed ids, same publisher), produced straight to the topic.
        const encoded = (recs: { recordType: string; record: unknown }[]) =>
          recs.map((r) => {
            const x = ingest(adapter, r.recordType, r.record, new Date(), { eventIdKey: doors.eventIdKey });
            if (!x.ok) throw new Error("synthetic record invalid");
            return { key: x.event.id, value: Buffer.from(IntelligenceEvent.encode({ ...x.event, publisher: doors.publisherUri(adapter.service) }).finish()) };
          });
        if (DOORS.has("http")) {
          seq++;
          const events = encoded(records(adapter, N));
          const singleSecs = await pool(N, CONCURRENCY, async (i) => {
            await producer.send({ topic: adapter.topic, acks: -1, messages: [events[i]!] });
          });
          rawSingleRates.push(N / singleSecs);
        }
        if (DOORS.has("bulk")) {
          // As many events of the import's record type as the import's file holds, 500 to a send.
          seq++;
          const { kind, rows } = importRows(adapter, `bench/${adapter.service}/raw/${seq}`, seq * 1_000_000);
          const events = encoded(rows.map((record) => ({ recordType: kind.recordType, record })));
          const t0 = process.hrtime.bigint();
          for (let i = 0; i < events.length; i += BATCH) await producer.send({ topic: adapter.topic, acks: -1, messages: events.slice(i, i + BATCH) });
          rawBatchRates.push(IMPORT_N / (Number(process.hrtime.bigint() - t0) / 1e9));
        }
      }
    } finally {
      rss = svc.peakRssKb();
      agent.destroy();
      await producer.disconnect();
      await svc.stop();
    }
    // A door not measured (BENCH_DOORS) prints a dash.
    const m = (xs: number[]) => (xs.length > 0 ? median(xs) : Number.NaN);
    const f = (n: number, digits = 0) => (Number.isFinite(n) ? fmt(n, digits) : "—");
    const [h, b, rs, rb] = [m(httpRates), m(bulkRates), m(rawSingleRates), m(rawBatchRates)];
    rows.push([adapter.service, f(h), f(rs), f(h / rs, 2), f(b), f(rb), f(b / rb, 2), `${fmt(rss / 1024)} MiB`]);
    console.error(`[bench] ${adapter.service}: http ${f(h)}/s, bulk ${f(b)}/s, raw single ${f(rs)}/s, raw batch ${f(rb)}/s`);
  }
} finally {
  await kafka.stop();
}

const head = ["adapter", "HTTP rec/s", "raw kafkajs rec/s (1 per send, same concurrency)", "HTTP ÷ raw", "bulk import rec/s", "raw kafkajs rec/s (500 per send)", "bulk ÷ raw", "adapter peak RSS"];
console.log(
  `\nbench:adapters — HTTP: ${N} records per round; bulk import: one file of ${IMPORT_N} rows per round; median of ${ROUNDS} rounds, HTTP concurrency ${CONCURRENCY} over mutual TLS (keep-alive, publisher certificate), acks=all, idempotent producer; Kafka ${kafka.security === "mtls" ? "mutual TLS" : "PLAINTEXT"}\n`,
);
console.log(`| ${head.join(" | ")} |`);
console.log(`|${head.map(() => "---").join("|")}|`);
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
console.log("\nBulk import time includes starting the import process (Node, Kafka connect, publisher certificate check, idempotency index load).");
