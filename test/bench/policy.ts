/**
 * `npm run bench:policy` — the sharing policy evaluated in-process (the compiled
 * wasm, as the exchange runs it) against the same policy served by
 * `opa run --server` over loopback REST: the same inputs, in the same run.
 *
 * Inputs: a deterministic stream of synthetic events of every type (seeded PRNG),
 * shaped the way the adapters mark them, projected for every registered
 * subscriber by the exchange's own projection. Every variant must return the same
 * decision for every input, or the bench fails.
 *
 * Variants, each run --rounds times (the median is reported):
 *   wasm            in-process, one evaluation per decision (memo off)
 *   wasm+memo       in-process, one evaluation per distinct policy-relevant
 *                   projection (memo on, starting cold each round) — what the exchange runs
 *   rest            POST /v1/data/takitini/sharing/decision, one at a time (keep-alive)
 *   rest×C          the same with C requests in flight (throughput under load)
 *
 * Options: --events N (default 1000), --rounds R (default 5), --concurrency C
 * (default 16), --seed S, --json. Needs the OPA CLI (infra/opa/install.sh).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadPolicy } from "@open-policy-agent/opa-wasm";
import { DEFAULT_DATA_DIR, DEFAULT_WASM_PATH, ENTRYPOINT, REDACTION_CATEGORIES_ENTRYPOINT, loadSharingPolicy, type Decision, type DecisionInput, type SharingPolicy } from "@takitini/policies";
import {
  Agency,
  Classification,
  Commodity,
  HandlingCaveat,
  IntelligenceEvent,
  OperationPhase,
  OrganisedCrimeActivity,
  PoliceDistrict,
  SubjectRole,
  type Subject,
} from "@takitini/proto";
import { policyInput } from "../../services/exchange/dist/projection.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const POLICIES = join(ROOT, "policies");

const { values } = parseArgs({
  options: {
    events: { type: "string", default: "1000" },
    rounds: { type: "string", default: "5" },
    concurrency: { type: "string", default: "16" },
    seed: { type: "string", default: "20261120" },
    json: { type: "boolean", default: false },
  },
});
const EVENTS = Number(values.events);
const ROUNDS = Number(values.rounds);
const CONCURRENCY = Number(values.concurrency);

// --- A deterministic stream of events --------------------------------------------

let state = Number(values.seed) >>> 0;
/** mulberry32: small, seeded, good enough to pick from lists. */
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const chance = (p: number) => random() < p;

const person = (role: SubjectRole, isMinor = false): Subject => ({
  entity: { $case: "person", value: { subjectId: `p-${Math.floor(random() * 1e6)}`, fullName: "Synthetic Person", aliases: [], dateOfBirth: "1990-01-01", address: "1 Main Street", phoneNumbers: ["021 000 0000"], documents: [], role, isMinor } },
});
const organisation = (): Subject => ({ entity: { $case: "organisation", value: { subjectId: `o-${Math.floor(random() * 1e6)}`, name: "Synthetic Ltd", kind: "ORGANISATION_KIND_COMPANY" as never, registrationNumber: "" } } });
const vehicle = (): Subject => ({ entity: { $case: "vehicle", value: { subjectId: `v-${Math.floor(random() * 1e6)}`, plate: "ABC123", make: "Toyota", model: "Hilux", colour: "white" } } });

const DISTRICTS = Object.values(PoliceDistrict).filter((d) => d !== PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED);
const LE_ONLY = [HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY];
const POI = SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST;

/** One event as its agency's adapter would mark it, with some variety. */
function syntheticEvent(n: number): IntelligenceEvent {
  const kind = pick(["noting", "noting", "noting", "operation", "firearms", "wastewater", "seizure", "consignment", "complaint", "trafficking", "referral", "report"] as const);
  const base = {
    id: `00000000-0000-5000-8000-${String(n).padStart(12, "0")}`,
    region: pick(DISTRICTS),
    occurredAt: new Date(Date.UTC(2026, 10, 1) + n * 60_000),
    sourceRecordId: `REC-${n}`,
  };
  const police = { ...base, sourceAgency: Agency.AGENCY_POLICE, classification: chance(0.85) ? Classification.CLASSIFICATION_RESTRICTED : Classification.CLASSIFICATION_IN_CONFIDENCE, handling: { caveats: chance(0.9) ? LE_ONLY : [], releasableTo: [], releasableToCountries: [] } };
  switch (kind) {
    case "noting":
      return IntelligenceEvent.fromPartial({
        ...police,
        eventType: "police.organised_crime_noting",
        operationRef: chance(0.3) ? pick(["Operation Highwater", "Operation Pakari", "Operation Cobalt"]) : "",
        subjects: pick([[person(POI), organisation()], [person(POI), organisation(), vehicle()], [person(POI), person(SubjectRole.SUBJECT_ROLE_ASSOCIATE)]]),
        payload: { $case: "policeNoting", value: { groupName: "g", activity: pick([OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY, OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_FIREARMS, OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_MONEY_LAUNDERING, OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_VIOLENCE_STANDOVER]), commodities: [], summary: "s", reportingUnit: "NOCG", locality: "Ōpōtiki" } },
      });
    case "operation":
      return IntelligenceEvent.fromPartial({
        ...police,
        eventType: "police.operation_update",
        operationRef: "Operation Highwater",
        subjects: chance(0.5) ? [person(POI)] : [],
        payload: { $case: "policeOperationUpdate", value: { codeName: "Operation Highwater", phase: pick([OperationPhase.OPERATION_PHASE_PLANNING, OperationPhase.OPERATION_PHASE_ACTIVE, OperationPhase.OPERATION_PHASE_RESOLUTION, OperationPhase.OPERATION_PHASE_CONCLUDED]), familiesAffected: 12, childrenAffected: 47, summary: "s" } },
      });
    case "firearms":
      return IntelligenceEvent.fromPartial({ ...police, eventType: "police.firearms_seizure", subjects: [person(POI)], payload: { $case: "policeFirearmsSeizure", value: { firearmsCount: 3, locality: "Mātaura" } } });
    case "wastewater":
      return IntelligenceEvent.fromPartial({ ...base, sourceAgency: Agency.AGENCY_POLICE, classification: Classification.CLASSIFICATION_UNCLASSIFIED, eventType: "police.wastewater_indicator", payload: { $case: "policeWastewaterIndicator", value: { site: "Ōpōtiki", drug: pick([Commodity.COMMODITY_METHAMPHETAMINE, Commodity.COMMODITY_COCAINE, Commodity.COMMODITY_MDMA]), estimatedWeeklyGrams: 40 } } });
    case "seizure":
      return IntelligenceEvent.fromPartial({ ...base, sourceAgency: Agency.AGENCY_CUSTOMS, classification: Classification.CLASSIFICATION_RESTRICTED, handling: { caveats: LE_ONLY, releasableTo: [], releasableToCountries: [] }, eventType: "customs.border_seizure", subjects: [person(POI)], payload: { $case: "customsBorderSeizure", value: { commodity: pick([Commodity.COMMODITY_METHAMPHETAMINE, Commodity.COMMODITY_COCAINE, Commodity.COMMODITY_FIREARMS]), weightGrams: 1000 } } });
    case "consignment":
      return IntelligenceEvent.fromPartial({ ...base, sourceAgency: Agency.AGENCY_CUSTOMS, classification: Classification.CLASSIFICATION_RESTRICTED, handling: { caveats: LE_ONLY, releasableTo: [], releasableToCountries: [] }, eventType: "customs.suspicious_consignment", subjects: [organisation()], payload: { $case: "customsSuspiciousConsignment", value: { consignmentRef: "c", suspectedCommodity: pick([Commodity.COMMODITY_PRECURSORS, Commodity.COMMODITY_UNSPECIFIED]) } } });
    case "complaint":
      return IntelligenceEvent.fromPartial({ ...base, sourceAgency: Agency.AGENCY_MBIE, classification: Classification.CLASSIFICATION_IN_CONFIDENCE, handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_ORIGINATOR_CONTROL], releasableTo: [], releasableToCountries: [] }, eventType: "mbie.exploitation_complaint", subjects: pick([[organisation(), person(SubjectRole.SUBJECT_ROLE_EXPLOITED_WORKER)], [organisation(), person(SubjectRole.SUBJECT_ROLE_EXPLOITED_WORKER), person(SubjectRole.SUBJECT_ROLE_EXPLOITED_WORKER, true)]]), payload: { $case: "mbieExploitationComplaint", value: { complaintRef: "c", workersAffected: 2 } } });
    case "trafficking":
      return IntelligenceEvent.fromPartial({ ...base, sourceAgency: Agency.AGENCY_MBIE, classification: Classification.CLASSIFICATION_SENSITIVE, handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_ORIGINATOR_CONTROL], releasableTo: [], releasableToCountries: [] }, eventType: "mbie.trafficking_indicator", subjects: [person(POI), person(SubjectRole.SUBJECT_ROLE_VICTIM)], payload: { $case: "mbieTraffickingIndicator", value: { caseRef: "c", personsAffected: 3 } } });
    case "referral":
      return IntelligenceEvent.fromPartial({ ...base, sourceAgency: Agency.AGENCY_MSD, classification: Classification.CLASSIFICATION_IN_CONFIDENCE, eventType: "msd.whanau_support_referral", payload: { $case: "msdWhanauSupportReferral", value: { whanauCount: 12, childrenCount: 47 } } });
    case "report":
      return IntelligenceEvent.fromPartial({ ...base, sourceAgency: Agency.AGENCY_MSD, classification: Classification.CLASSIFICATION_UNCLASSIFIED, eventType: "msd.community_resilience_report", payload: { $case: "msdCommunityResilienceReport", value: { programme: "ROCC", fundingCents: "100" } } });
  }
}

// --- Measuring -------------------------------------------------------------------

interface Result {
  variant: string;
  decisions: number;
  decisions_per_s: number;
  p50_us: number;
  p99_us: number;
}

const quantile = (sorted: Float64Array, q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function summarise(variant: string, latenciesNs: Float64Array, wallNs: number): Result {
  const sorted = latenciesNs.slice().sort();
  return { variant, decisions: latenciesNs.length, decisions_per_s: latenciesNs.length / (wallNs / 1e9), p50_us: quantile(sorted, 0.5) / 1e3, p99_us: quantile(sorted, 0.99) / 1e3 };
}

function inProcess(variant: string, policy: SharingPolicy, inputs: DecisionInput[]): Result {
  const lat = new Float64Array(inputs.length);
  const start = process.hrtime.bigint();
  for (let i = 0; i < inputs.length; i++) {
    const t0 = process.hrtime.bigint();
    policy.decide(inputs[i]!);
    lat[i] = Number(process.hrtime.bigint() - t0);
  }
  return summarise(variant, lat, Number(process.hrtime.bigint() - start));
}

type Answer = Omit<Decision, "policy_revision">;

async function restDecide(url: string, input: DecisionInput): Promise<Answer> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input }) });
  if (!res.ok) throw new Error(`OPA answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { result: Answer }).result;
}

async function overRest(variant: string, url: string, inputs: DecisionInput[], concurrency: number): Promise<Result> {
  const lat = new Float64Array(inputs.length);
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < inputs.length; i = next++) {
        const t0 = process.hrtime.bigint();
        await restDecide(url, inputs[i]!);
        lat[i] = Number(process.hrtime.bigint() - t0);
      }
    }),
  );
  return summarise(variant, lat, Number(process.hrtime.bigint() - start));
}

// --- The OPA server ----------------------------------------------------------------

async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  const { port } = srv.address() as { port: number };
  srv.close();
  return port;
}

async function startOpa(): Promise<{ url: string; child: ChildProcess; version: string }> {
  const opa = execFileSync("bash", [join(ROOT, "infra/opa/install.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim().split("\n").at(-1)!;
  const version = execFileSync(opa, ["version"], { encoding: "utf8" }).split("\n")[0]!.replace("Version: ", "");
  const port = await freePort();
  // The same Rego the wasm is compiled from, and the same registry at the same path.
  const child = spawn(opa, ["run", "--server", "--addr", `127.0.0.1:${port}`, "--log-level", "error", "--skip-version-check", "sharing/decision.rego", "sharing/vocabulary.rego", "takitini.subscribers:data/subscribers.json"], {
    cwd: POLICIES,
    stdio: ["ignore", "ignore", "inherit"],
  });
  const stop = () => child.kill("SIGKILL");
  process.once("exit", stop);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`opa run exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${base}/health`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error("opa run --server did not become healthy");
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `${base}/v1/data/takitini/sharing/decision`, child, version };
}

// --- Where the time goes -------------------------------------------------------------

const medianOf = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/**
 * Per call, in µs (medians over every input, measured interleaved so drift hits
 * each part alike): serialising the input, the wasm runtime's fixed cost (a
 * constant entrypoint), the policy itself, the loader's output check, and what a
 * memo hit costs instead (its key).
 */
async function wasmBreakdown(inputs: DecisionInput[], plainPolicy: SharingPolicy) {
  const raw = await loadPolicy(readFileSync(DEFAULT_WASM_PATH));
  raw.setData({ takitini: { subscribers: JSON.parse(readFileSync(join(DEFAULT_DATA_DIR, "subscribers.json"), "utf8")) } });
  const time = (f: () => unknown) => {
    const t0 = process.hrtime.bigint();
    f();
    return Number(process.hrtime.bigint() - t0) / 1e3;
  };
  const parts = { serialise: [] as number[], fixed: [] as number[], evaluate: [] as number[], decide: [] as number[], key: [] as number[] };
  for (const i of inputs) raw.evaluate(i, ENTRYPOINT); // warm
  for (const i of inputs) {
    parts.serialise.push(time(() => new TextEncoder().encode(JSON.stringify(i))));
    parts.fixed.push(time(() => raw.evaluate(null, REDACTION_CATEGORIES_ENTRYPOINT)));
    parts.evaluate.push(time(() => raw.evaluate(i, ENTRYPOINT)));
    parts.decide.push(time(() => plainPolicy.decide(i)));
    parts.key.push(time(() => JSON.stringify({ ...i, event: { ...i.event, id: "" } })));
  }
  const [serialise, fixed, evaluate, decide, key] = [parts.serialise, parts.fixed, parts.evaluate, parts.decide, parts.key].map(medianOf) as [number, number, number, number, number];
  return { decide_us: decide, evaluate_us: evaluate, serialise_us: serialise, runtime_fixed_us: fixed, policy_us: Math.max(0, evaluate - fixed - serialise), output_check_us: Math.max(0, decide - evaluate), memo_key_us: key };
}

/** OPA's own timers for the same inputs (?metrics=true), µs medians, and what is left for HTTP and the client. */
async function restBreakdown(url: string, inputs: DecisionInput[], restP50: number) {
  const eval_: number[] = [];
  const parse: number[] = [];
  const handler: number[] = [];
  for (const input of inputs.slice(0, 1000)) {
    const res = await fetch(`${url}?metrics=true`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ input }) });
    const m = ((await res.json()) as { metrics: Record<string, number> }).metrics;
    eval_.push((m.timer_rego_query_eval_ns ?? 0) / 1e3);
    parse.push((m.timer_rego_input_parse_ns ?? 0) / 1e3);
    handler.push((m.timer_server_handler_ns ?? 0) / 1e3);
  }
  const h = medianOf(handler);
  return { topdown_eval_us: medianOf(eval_), input_parse_us: medianOf(parse), server_handler_us: h, http_and_client_us: Math.max(0, restP50 - h) };
}

// --- Run ---------------------------------------------------------------------------

const plain = await loadSharingPolicy({ memo: 0 });
const subscribers = plain.subscribers().map((s) => s.id);
const events = Array.from({ length: EVENTS }, (_, n) => syntheticEvent(n));
const inputs = events.flatMap((e) => subscribers.map((s) => policyInput(e, s)));
const distinct = new Set(inputs.map((i) => JSON.stringify({ ...i, event: { ...i.event, id: "" } }))).size;

const opa = await startOpa();
try {
  // Identical decisions, or no figures: every input through every variant.
  const memoised = await loadSharingPolicy();
  const strip = ({ policy_revision: _r, ...d }: Decision): Answer => d;
  let mismatches = 0;
  for (const input of inputs) {
    const want = JSON.stringify(strip(plain.decide(input)));
    const viaMemo = JSON.stringify(strip(memoised.decide(input)));
    const viaRest = await restDecide(opa.url, input);
    const rest = JSON.stringify({ allow: viaRest.allow, view: viaRest.view, redact: viaRest.redact, reasons: viaRest.reasons, legal_basis: viaRest.legal_basis });
    if (viaMemo !== want || rest !== want) {
      mismatches++;
      if (mismatches <= 3) console.error(`decisions differ for ${JSON.stringify(input)}:\n  wasm ${want}\n  memo ${viaMemo}\n  rest ${rest}`);
    }
  }
  if (mismatches > 0) throw new Error(`${mismatches} of ${inputs.length} inputs were decided differently`);

  const rounds: Record<string, Result[]> = {};
  const record = (r: Result) => (rounds[r.variant] ??= []).push(r);
  for (let round = 0; round < ROUNDS; round++) {
    record(inProcess("wasm", plain, inputs));
    record(inProcess("wasm+memo", await loadSharingPolicy(), inputs));
    record(await overRest("rest", opa.url, inputs, 1));
    record(await overRest(`rest×${CONCURRENCY}`, opa.url, inputs, CONCURRENCY));
  }
  const results = Object.entries(rounds).map(([variant, rs]) => ({
    variant,
    decisions: rs[0]!.decisions,
    decisions_per_s: median(rs.map((r) => r.decisions_per_s)),
    p50_us: median(rs.map((r) => r.p50_us)),
    p99_us: median(rs.map((r) => r.p99_us)),
  }));
  const by = (v: string) => results.find((r) => r.variant === v)!;
  const ratio = (a: string, b: string) => ({
    decisions_per_s: by(a).decisions_per_s / by(b).decisions_per_s,
    p50: by(b).p50_us / by(a).p50_us,
    p99: by(b).p99_us / by(a).p99_us,
  });
  const ratios = {
    "wasm vs rest": ratio("wasm", "rest"),
    [`wasm vs rest×${CONCURRENCY}`]: ratio("wasm", `rest×${CONCURRENCY}`),
    "wasm+memo vs rest": ratio("wasm+memo", "rest"),
    "wasm+memo vs wasm": ratio("wasm+memo", "wasm"),
  };

  const breakdown = { wasm: await wasmBreakdown(inputs, plain), rest: await restBreakdown(opa.url, inputs, by("rest").p50_us) };
  const memoStats = (await (async () => {
    const p = await loadSharingPolicy();
    for (const i of inputs) p.decide(i);
    return p.memoStats();
  })());

  if (values.json) {
    console.log(JSON.stringify({ events: EVENTS, subscribers: subscribers.length, inputs: inputs.length, distinct_projections: distinct, memo: memoStats, rounds: ROUNDS, opa: opa.version, node: process.version, results, ratios, breakdown }, null, 2));
  } else {
    const fmt = (n: number, d = 1) => n.toLocaleString("en-NZ", { maximumFractionDigits: d, minimumFractionDigits: d });
    console.log(`Sharing policy: ${EVENTS} events × ${subscribers.length} subscribers = ${inputs.length} decisions per round (${distinct} distinct projections), median of ${ROUNDS} rounds.`);
    console.log(`Every decision identical across wasm, wasm+memo and opa run --server (OPA ${opa.version}, Node ${process.version}).\n`);
    console.log(`${"variant".padEnd(12)} ${"decisions/s".padStart(12)} ${"p50 µs".padStart(9)} ${"p99 µs".padStart(9)}`);
    for (const r of results) console.log(`${r.variant.padEnd(12)} ${fmt(r.decisions_per_s, 0).padStart(12)} ${fmt(r.p50_us).padStart(9)} ${fmt(r.p99_us).padStart(9)}`);
    console.log(`\n${"ratio (× better)".padEnd(22)} ${"decisions/s".padStart(12)} ${"p50".padStart(8)} ${"p99".padStart(8)}`);
    for (const [name, r] of Object.entries(ratios)) console.log(`${name.padEnd(22)} ${fmt(r.decisions_per_s).padStart(12)} ${fmt(r.p50).padStart(8)} ${fmt(r.p99).padStart(8)}`);
    const w = breakdown.wasm;
    const r = breakdown.rest;
    console.log(`\nWhere a decision's time goes (medians, µs):`);
    console.log(`  wasm  ${fmt(w.decide_us)} = input serialisation ${fmt(w.serialise_us)} + runtime per call ${fmt(w.runtime_fixed_us)} + policy ${fmt(w.policy_us)} + output check ${fmt(w.output_check_us)}; a memo hit costs its key, ${fmt(w.memo_key_us)}`);
    console.log(`  rest  ${fmt(by("rest").p50_us)} = OPA handler ${fmt(r.server_handler_us)} (topdown evaluation ${fmt(r.topdown_eval_us)}, input parse ${fmt(r.input_parse_us)}) + HTTP and client ${fmt(r.http_and_client_us)}`);
    console.log(`  memo  ${memoStats.hits} hits, ${memoStats.misses} misses over one round (${fmt((100 * memoStats.hits) / (memoStats.hits + memoStats.misses))}% of decisions skip evaluation)`);
  }
} finally {
  opa.child.kill("SIGTERM");
  await once(opa.child, "exit");
}
