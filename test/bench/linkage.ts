// npm run bench:linkage — the linkage core (services/linkage/src/core) on a synthetic
// population across the four agencies, in process (no broker: the core is pure):
//   1. records linked per second: every record of the population added to an empty
//      LinkIndex in arrival order (normalise, keyed tokens, look-up, insert, link ids),
//      median of ROUNDS rounds; wall-clock and per CPU-second (the machines are shared);
//   2. where the time goes, in one more pass: tokenising (normalisation and HMACs)
//      against indexing the tokens (what a rebuild from the index topic does);
//   3. memory once everything is indexed: RSS, V8 heap and array buffers after a full
//      GC, against the same before indexing, and the index's own typed arrays;
//   4. precision and recall of the links found against the generator's known true
//      links, the near misses that linked (should be none), and the same-entity pairs
//      no deterministic rule can find (reported, not counted as misses).
// The population is generated chunk by chunk (BENCH_LINKAGE_CHUNK people each), each
// chunk's records shuffled, and every record encoded and decoded as the service reads
// it from Kafka; generation and decoding are outside the timings. The match key
// is 32 random bytes per run. Benchmarks measure; they assert nothing. Quote figures
// from one run: these machines are shared and noisy.
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { LinkIndex, MatchKey, pairKey, syntheticPopulation, tokeniseRecord, type Link, type PopulationChunk } from "@takitini/linkage";
import { IntelligenceEvent, type LinkRule } from "@takitini/proto";
import { fmt, median, ROOT } from "./lib.ts";

const PEOPLE = Number(process.env.BENCH_LINKAGE_PEOPLE ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SEED = Number(process.env.BENCH_LINKAGE_SEED ?? 1);
const CHUNK = Number(process.env.BENCH_LINKAGE_CHUNK ?? 10_000);

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const key = new MatchKey(randomBytes(32));
const MiB = 2 ** 20;

interface Memory {
  rss: number;
  heapUsed: number;
  arrayBuffers: number;
}
function memory(): Memory {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers };
}
function peakRss(): number {
  return Number(/VmHWM:\s+(\d+)/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) * 1024;
}

interface Tally {
  records: number;
  subjects: number;
  people: number;
  organisations: number;
  vehicles: number;
  truth: number;
  found: number;
  truePositives: number;
  wrongRule: number;
  nearMisses: number;
  nearMissesLinked: number;
  unlinkable: number;
  byRule: Map<LinkRule, number>;
}

/** Compare a chunk's links with its truth (links never cross chunks: an entity's records are all in one). */
function score(t: Tally, links: Link[], chunk: PopulationChunk): void {
  const truth = new Map(chunk.trueLinks.map((l) => [pairKey(l.a, l.b), l.rule]));
  const near = new Set(chunk.nearMisses.map((n) => pairKey(n.a, n.b)));
  for (const l of links) {
    const k = pairKey(l.records[0], l.records[1]);
    const rule = truth.get(k);
    if (rule !== undefined) {
      t.truePositives += 1;
      if (rule !== l.rule) t.wrongRule += 1;
    }
    if (near.has(k)) t.nearMissesLinked += 1;
    t.byRule.set(l.rule, (t.byRule.get(l.rule) ?? 0) + 1);
  }
  t.found += links.length;
  t.truth += truth.size;
  t.nearMisses += near.size;
  t.unlinkable += chunk.unlinkable;
}

function emptyTally(): Tally {
  return { records: 0, subjects: 0, people: 0, organisations: 0, vehicles: 0, truth: 0, found: 0, truePositives: 0, wrongRule: 0, nearMisses: 0, nearMissesLinked: 0, unlinkable: 0, byRule: new Map() };
}

/**
 * The population's chunks, each record encoded and decoded as the service reads it
 * from Kafka (outside the timings): the decoded strings are what the index keeps.
 */
function* population(): Generator<PopulationChunk> {
  for (const chunk of syntheticPopulation({ seed: SEED, people: PEOPLE, chunkPeople: CHUNK })) {
    yield { ...chunk, events: chunk.events.map((e) => IntelligenceEvent.decode(IntelligenceEvent.encode(e).finish())) };
  }
}

/** One round: a fresh index, every record added in arrival order; only add() is timed. */
function round(n: number) {
  const before = memory();
  const index = new LinkIndex(key);
  const tally = emptyTally();
  let ns = 0n;
  let cpuMicros = 0;
  const started = Date.now();
  for (const chunk of population()) {
    const links: Link[] = [];
    const cpu = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (const e of chunk.events) for (const l of index.add(e)) links.push(l);
    ns += process.hrtime.bigint() - t0;
    const used = process.cpuUsage(cpu);
    cpuMicros += used.user + used.system;
    tally.records += chunk.events.length;
    tally.subjects += chunk.events.reduce((s, e) => s + e.subjects.length, 0);
    tally.people += chunk.people;
    tally.organisations += chunk.organisations;
    tally.vehicles += chunk.vehicles;
    score(tally, links, chunk);
  }
  const seconds = Number(ns) / 1e9;
  // Read while the index is still in use (stats() below), so it is counted.
  const after = memory();
  const stats = index.stats();
  console.error(`[bench] round ${n}: ${fmt(tally.records)} records in ${fmt(seconds, 1)} s indexing (${fmt(tally.records / seconds)}/s; ${fmt((Date.now() - started) / 1000, 0)} s with generation)`);
  return { seconds, cpuSeconds: cpuMicros / 1e6, tally, before, after, stats };
}

/** One more pass, split: tokenising each record, then indexing its tokens. */
function split() {
  const index = new LinkIndex(key);
  let tokenNs = 0n;
  let indexNs = 0n;
  let records = 0;
  for (const chunk of population()) {
    const t0 = process.hrtime.bigint();
    const tokens = chunk.events.map((e) => tokeniseRecord(e, key, "2026-06-01").record);
    const t1 = process.hrtime.bigint();
    for (const r of tokens) index.addRecord(r);
    const t2 = process.hrtime.bigint();
    tokenNs += t1 - t0;
    indexNs += t2 - t1;
    records += chunk.events.length;
  }
  return { records, tokenSeconds: Number(tokenNs) / 1e9, indexSeconds: Number(indexNs) / 1e9 };
}

console.error(`[bench] linkage: ${fmt(PEOPLE)} people (seed ${SEED}, chunks of ${fmt(CHUNK)}), ${ROUNDS} round(s)`);
const rounds: ReturnType<typeof round>[] = [];
for (let r = 1; r <= ROUNDS; r++) rounds.push(round(r));
const last = rounds[rounds.length - 1]!;
const rates = rounds.map((r) => r.tally.records / r.seconds);
const cpuRates = rounds.map((r) => r.tally.records / r.cpuSeconds);
const t = last.tally;
const precision = t.found === 0 ? 1 : t.truePositives / t.found;
const recall = t.truth === 0 ? 1 : t.truePositives / t.truth;
const indexBytes = { heap: last.after.heapUsed - last.before.heapUsed, arrayBuffers: last.after.arrayBuffers - last.before.arrayBuffers, rss: last.after.rss - last.before.rss };
const peak = peakRss();
console.error("[bench] splitting the time: tokenise, then index");
const parts = split();

console.log(`\nbench:linkage — ${fmt(t.people)} people, ${fmt(t.organisations)} companies and trusts, ${fmt(t.vehicles)} vehicles across Police, Customs, MBIE and MSD: ${fmt(t.records)} records naming ${fmt(t.subjects)} subjects (Node ${process.version}, one thread)\n`);
console.log("| measure | value |");
console.log("|---|---|");
console.log(`| records linked/s, add() into an index growing to ${fmt(t.records)} records (median of ${ROUNDS}) | ${fmt(median(rates))} (rounds: ${rates.map((x) => fmt(x)).join(", ")}) |`);
console.log(`| records linked per CPU-second, all threads (GC runs beside the main thread) (median) | ${fmt(median(cpuRates))} |`);
console.log(`| of which tokenising (normalise + HMAC-SHA-256) / indexing tokens (look-up, insert, link ids) | ${fmt((parts.tokenSeconds / parts.records) * 1e6, 1)} µs / ${fmt((parts.indexSeconds / parts.records) * 1e6, 1)} µs per record (a rebuild from the index topic does only the second: ${fmt(parts.records / parts.indexSeconds)} records/s) |`);
console.log(`| index: records, subjects, distinct tokens, postings | ${fmt(last.stats.records)}, ${fmt(last.stats.subjects)}, ${fmt(last.stats.tokens)}, ${fmt(last.stats.postings)} |`);
console.log(`| memory after indexing (full GC): RSS / V8 heap used / array buffers | ${fmt(last.after.rss / MiB)} / ${fmt(last.after.heapUsed / MiB)} / ${fmt(last.after.arrayBuffers / MiB)} MiB |`);
console.log(`| of which the index (after − before): heap / array buffers / RSS | ${fmt(indexBytes.heap / MiB)} / ${fmt(indexBytes.arrayBuffers / MiB)} / ${fmt(indexBytes.rss / MiB)} MiB (${fmt((indexBytes.heap + indexBytes.arrayBuffers) / t.people)} bytes per person; its typed arrays ${fmt(last.stats.arrayBytes / MiB)} MiB allocated) |`);
console.log(`| peak RSS of the run (generation included) | ${fmt(peak / MiB)} MiB |`);
console.log(`| links found / true links (same entity, different agencies, sharing what a rule reads) | ${fmt(t.found)} / ${fmt(t.truth)} |`);
console.log(`| precision / recall | ${precision.toFixed(6)} / ${recall.toFixed(6)} (${fmt(t.wrongRule)} true links found by another rule than expected) |`);
console.log(`| near misses linked | ${fmt(t.nearMissesLinked)} of ${fmt(t.nearMisses)} |`);
console.log(`| same-entity pairs with nothing a rule reads in common (not counted in recall) | ${fmt(t.unlinkable)} |`);
console.log(`| links by rule | ${[...t.byRule].map(([rule, n]) => `${rule.replace("LINK_RULE_", "")} ${fmt(n)}`).join(", ")} |`);

const out = process.env.BENCH_OUT ?? `${ROOT}test/bench/results/linkage-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
mkdirSync(dirname(out), { recursive: true });
writeFileSync(
  out,
  `${JSON.stringify(
    {
      bench: "linkage",
      at: new Date().toISOString(),
      node: process.version,
      people: PEOPLE,
      seed: SEED,
      rounds: rounds.map((r) => ({ seconds: r.seconds, cpuSeconds: r.cpuSeconds, recordsPerSecond: r.tally.records / r.seconds })),
      recordsPerSecond: median(rates),
      recordsPerCpuSecond: median(cpuRates),
      split: parts,
      population: { people: t.people, organisations: t.organisations, vehicles: t.vehicles, records: t.records, subjects: t.subjects },
      index: last.stats,
      memory: { before: last.before, after: last.after, index: indexBytes, peakRss: peak },
      quality: { found: t.found, truth: t.truth, truePositives: t.truePositives, precision, recall, wrongRule: t.wrongRule, nearMisses: t.nearMisses, nearMissesLinked: t.nearMissesLinked, unlinkable: t.unlinkable, byRule: Object.fromEntries(t.byRule) },
    },
    null,
    2,
  )}\n`,
);
console.error(`[bench] results written to ${out}`);
