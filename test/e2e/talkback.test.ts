import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AccessAction, AccessRecord, DecisionRecord, IntelligenceEvent, Outcome } from "@takitini/proto";
import { createAccount } from "@takitini/runtime";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { client, createRunTopics, header, readTopic, registryWith, type Seen } from "./kafka.js";
import { auditEnv, oversightHeaders, ROOT, startService, type RunningService } from "./stack.js";

/**
 * Leaders talk back, on the real broker, exchange, audit and briefing: a
 * signed-in Eastern leader's observation goes in at the briefing's door, is
 * published in one transaction with its note and access record, decided by the
 * real exchange with the shipped policy, delivered to Police (and, for
 * exploitation, to MBIE) — never to any community topic — with each decision's
 * legal basis in the audit's ledger; the leader sees it shared, by whom. A
 * region outside their scope is 403 and audited; a leader past their quota is
 * 429. The run has its own topics.
 */

const brokers = inject("brokers");
const kafka = client(brokers);
const run = randomUUID().slice(0, 8);
const T = {
  community: `takitini.e2e.${run}.intel.community.v1`,
  receipts: `takitini.e2e.${run}.community-receipts.v1`,
  notes: `takitini.e2e.${run}.briefing-submissions.v1`,
  decisions: `takitini.e2e.${run}.audit.v1`,
  access: `takitini.e2e.${run}.audit.briefing-access.v1`,
  digest: `takitini.e2e.${run}.briefings.v1`,
  deliver: (id: string) => `takitini.e2e.${run}.deliver.${id}.v1`,
};
const { token: AROHA, entry: AROHA_ACCOUNT } = await createAccount({ name: "e2e Eastern leader Aroha", role: "leader", extra: { subscriber: "community-eastern" }, days: 1 });
const { token: HEMI, entry: HEMI_ACCOUNT } = await createAccount({ name: "e2e Eastern leader Hemi", role: "leader", extra: { subscriber: "community-eastern" }, days: 1 });
const QUOTA = 4;

let dir: string;
let subscribers: string[] = [];
const services: RunningService[] = [];
let briefing: RunningService;
let audit: RunningService;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "takitini-e2e-talkback-"));
  const registryFile = registryWith(dir, (id) => T.deliver(id), ROOT);
  subscribers = Object.keys(JSON.parse(readFileSync(registryFile, "utf8")) as Record<string, unknown>);
  await createRunTopics(
    [
      { name: T.community, role: "submissions" },
      { name: T.receipts, role: "receipts" },
      { name: T.notes, role: "briefings" },
      { name: T.decisions, role: "decisions" },
      { name: T.access, role: "briefing-access" },
      { name: T.digest, role: "briefings" },
      ...subscribers.map((id) => ({ name: T.deliver(id), role: "delivery" as const })),
    ],
    registryFile,
  );
  writeFileSync(join(dir, "secret"), randomUUID() + randomUUID());
  writeFileSync(join(dir, "leader-accounts.json"), JSON.stringify({ accounts: [AROHA_ACCOUNT, HEMI_ACCOUNT] }), { mode: 0o600 });
  const common = { KAFKA_BROKERS: brokers.join(",") };
  const start = async (name: string, env: Record<string, string>) => {
    const s = await startService(name, env);
    services.push(s);
    return s;
  };
  audit = await start("audit", { ...common, ...auditEnv(inject("databaseUrl"), run), GROUP_ID: `takitini-audit-e2e-talkback-${run}`, AUDIT_TOPIC: T.decisions, ACCESS_TOPICS: T.access, INTEL_TOPICS: T.community });
  await start("exchange", {
    ...common,
    INTEL_TOPICS: T.community,
    AUDIT_TOPIC: T.decisions,
    RECEIPTS_TOPIC: T.receipts,
    GROUP_ID: `takitini-exchange-e2e-talkback-${run}`,
    INSTANCE_ID: `e2e-talkback-${run}`,
    POLICY_WASM: join(ROOT, "policies/build/policy.wasm"),
    POLICY_DATA_DIR: dir,
  });
  briefing = await start("briefing", {
    ...common,
    ACCESS_TOPIC: T.access,
    DIGEST_TOPIC: T.digest,
    SUBMISSIONS_TOPIC: T.community,
    BRIEFING_SUBMISSIONS_TOPIC: T.notes,
    RECEIPTS_TOPIC: T.receipts,
    GROUP_ID: `takitini-briefing-e2e-talkback-${run}`,
    INSTANCE_ID: `e2e-talkback-${run}`,
    POLICY_DATA_DIR: dir,
    BRIEFING_ROUNDING_SECRET_FILE: join(dir, "secret"),
    BRIEFING_LEADER_ACCOUNTS_FILE: join(dir, "leader-accounts.json"),
    BRIEFING_SUBMISSIONS_PER_WINDOW: String(QUOTA),
  });
}, 180_000);

afterAll(async () => {
  const codes = await Promise.all(services.map((s) => s.stop("SIGTERM")));
  expect(codes.every((c) => c === 0)).toBe(true);
});

const submit = (token: string, body: unknown) =>
  fetch(`${briefing.url}/v1/submissions`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify(body) });

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const countTo = (n: number) => {
  let seen = 0;
  return () => ++seen >= n;
};

describe("leaders talk back, on the real broker", () => {
  const words = "Cars at the house on Church Street in Wairoa every night; Tane Pomare seen there. <script>alert(1)</script>";
  let observation: { reference: string };
  let eventId: string;

  it("an observation reaches Police's delivery topic, decided with its legal basis in the ledger, and the leader sees it shared", async () => {
    const res = await submit(AROHA, { region: "eastern", kind: "observation", topic: "drug_supply", text: words, locality: "Wairoa" });
    expect(res.status, await res.clone().text()).toBe(201);
    observation = (await res.json()) as { reference: string };
    expect(observation.reference).toMatch(/^TK-[0-9A-Z]{4}-[0-9A-Z]{4}$/);

    // On Police's topic: the event, the leader's words cleaned, their organisation, the reference.
    const [delivered] = await readTopic(kafka, T.deliver("police"), { until: () => true, timeoutMs: 60_000 });
    const event = IntelligenceEvent.decode(delivered!.message.value!);
    eventId = event.id;
    expect(event).toMatchObject({ sourceAgency: "AGENCY_COMMUNITY", eventType: "community.observation", region: "POLICE_DISTRICT_EASTERN", sourceRecordId: observation.reference });
    expect(event.payload?.$case === "communitySubmission" && [event.payload.value.text, event.payload.value.reference]).toEqual([
      "Cars at the house on Church Street in Wairoa every night; Tane Pomare seen there.",
      observation.reference,
    ]);

    // One decision per subscriber; Police allowed under the leader's authority, every community tier denied.
    const decisions = (await readTopic(kafka, T.decisions, { until: countTo(subscribers.length), timeoutMs: 60_000 })).map((s) => DecisionRecord.decode(s.message.value!));
    const allowed = decisions.filter((d) => d.eventId === eventId && d.outcome === Outcome.OUTCOME_ALLOW).map((d) => d.subscriberId);
    expect(allowed).toEqual(["police"]);
    expect(decisions.find((d) => d.subscriberId === "police")!.legalBasis).toMatch(/Privacy Act 2020/);

    // In the ledger: the oversight API shows the decision with its legal basis.
    const ledger = await until("the ledger's decisions", async () => {
      const r = await fetch(`${audit.url}/v1/decisions?event_id=${eventId}&limit=500`, { headers: oversightHeaders });
      const body = (await r.json()) as { decisions: { subscriber_id: string; outcome: string; legal_basis?: string }[] };
      return body.decisions.length >= subscribers.length ? body.decisions : undefined;
    });
    expect(ledger.find((d) => d.subscriber_id === "police")).toMatchObject({ outcome: "allow", legal_basis: expect.stringMatching(/Privacy Act 2020/) });

    // The leader's status: shared with Police, once the exchange's receipt is in.
    const status = await until("the status shared", async () => {
      const r = await fetch(`${briefing.url}/v1/submissions/${observation.reference}`, { headers: { authorization: `Bearer ${AROHA}` } });
      const s = (await r.json()) as { status: string; shared_with: string[] };
      return s.status === "shared" ? s : undefined;
    });
    expect(status.shared_with).toEqual(["POLICE"]);
    // The other Eastern leader does not see it.
    expect((await fetch(`${briefing.url}/v1/submissions/${observation.reference}`, { headers: { authorization: `Bearer ${HEMI}` } })).status).toBe(404);

    // The access record of the submission names the event, and the ledger has the publish.
    const access = (await readTopic(kafka, T.access, { until: (s) => AccessRecord.decode(s.message.value!).action === AccessAction.ACCESS_ACTION_SUBMISSION_RECEIVED, timeoutMs: 30_000 })).map((s) => AccessRecord.decode(s.message.value!));
    expect(access.find((a) => a.action === AccessAction.ACCESS_ACTION_SUBMISSION_RECEIVED)).toMatchObject({ eventId, subscriberId: "community-eastern", accountName: "e2e Eastern leader Aroha", regions: ["EASTERN"] });
  }, 180_000);

  it("exploitation goes to MBIE too, a support need to MSD; no community topic ever holds a submission", async () => {
    const exploitation = (await (await submit(AROHA, { region: "eastern", kind: "observation", topic: "exploitation", text: "Workers sleeping in the packhouse on the orchard road." })).json()) as { reference: string };
    const support = (await (await submit(HEMI, { region: "eastern", kind: "support_need", text: "A kaupapa Māori addiction service for rangatahi." })).json()) as { reference: string };
    const shared = async (token: string, reference: string) =>
      until(`${reference} shared`, async () => {
        const s = (await (await fetch(`${briefing.url}/v1/submissions/${reference}`, { headers: { authorization: `Bearer ${token}` } })).json()) as { status: string; shared_with: string[] };
        return s.status === "shared" ? s.shared_with : undefined;
      });
    expect(await shared(AROHA, exploitation.reference)).toEqual(["MBIE", "POLICE"]);
    expect(await shared(HEMI, support.reference)).toEqual(["MSD"]);
    const mbie = (await readTopic(kafka, T.deliver("mbie"), { until: () => true, timeoutMs: 30_000 })).map((s) => IntelligenceEvent.decode(s.message.value!).sourceRecordId);
    expect(mbie).toContain(exploitation.reference);
    const community = subscribers.filter((id) => id.startsWith("community-") || id === "public").map(T.deliver);
    const held: Seen[] = await readTopic(kafka, community, { idleMs: 3000 });
    expect(held).toEqual([]);
    const list = (await (await fetch(`${briefing.url}/v1/submissions`, { headers: { authorization: `Bearer ${AROHA}` } })).json()) as { submissions: { reference: string }[] };
    expect(list.submissions.map((s) => s.reference).sort()).toEqual([observation.reference, exploitation.reference].sort());
  }, 120_000);

  it("refuses another region (403, audited, nothing published), bad input (400 by field) and a leader past their quota (429)", async () => {
    const before = (await readTopic(kafka, T.community, { idleMs: 2000 })).length;
    const other = await submit(AROHA, { region: "northland", kind: "support_need", text: "Help" });
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe("REGION_OUT_OF_SCOPE");
    const denied = await readTopic(kafka, T.access, { until: (s) => header(s.message, "event-type") === "audit.access" && AccessRecord.decode(s.message.value!).action === AccessAction.ACCESS_ACTION_SUBMISSION_DENIED, timeoutMs: 30_000 });
    // The topic has three partitions: the refusal is found among what was read, not assumed to be the last record.
    const refusal = denied.map((s) => AccessRecord.decode(s.message.value!)).find((r) => r.action === AccessAction.ACCESS_ACTION_SUBMISSION_DENIED);
    expect(refusal).toMatchObject({ reason: "REGION_OUT_OF_SCOPE", regions: ["NORTHLAND"], accountName: "e2e Eastern leader Aroha" });

    const bad = await submit(AROHA, { region: "eastern", kind: "observation", text: "\u0000", extra: true });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string; issues: { path: string }[] } }).error).toMatchObject({ code: "INVALID_SUBMISSION", issues: [{ path: "extra" }] });
    expect((await fetch(`${briefing.url}/v1/submissions`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } })).status).toBe(401);

    // Aroha has made two; the quota is four.
    const codes: number[] = [];
    for (let i = 0; i < QUOTA - 1; i++) codes.push((await submit(AROHA, { region: "eastern", kind: "briefing_feedback", text: `Feedback ${i}`, week: "2026-W40" })).status);
    expect(codes).toEqual([201, 201, 429]);
    const after = (await readTopic(kafka, T.community, { idleMs: 2000 })).length;
    expect(after - before).toBe(2);
  }, 120_000);
});
