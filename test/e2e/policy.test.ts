import { randomUUID } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Agency,
  Classification,
  ClearHoldBuildPhase,
  CountBand,
  HandlingCaveat,
  IntelligenceEvent,
  INTEL_SCHEMA_VERSION,
  OperationPhase,
  OrganisedCrimeActivity,
  PoliceDistrict,
  SubjectRole,
  SupportNotice,
  SupportService,
  type Subject,
} from "@takitini/proto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { client, header, readTopic } from "./kafka.js";
import { auditEnv, oversightHeaders, startService, type RunningService } from "./stack.js";

/**
 * The sharing policy on real traffic: Police events produced to the agency topic
 * as protobuf bytes, decided by the real exchange process (the compiled wasm,
 * in-process), delivered on real subscriber topics and recorded in the audit.
 * Proves the operational embargo, the de-identified support notice at resolution,
 * redactions, and hot reload of the policy without a restart.
 */

const POLICIES = fileURLToPath(new URL("../../policies/", import.meta.url));
const POLICE_TOPIC = "takitini.intel.police.v1";

interface ApiDecision {
  id: string;
  subscriber_id: string;
  outcome: string;
  view: string;
  redacted_paths: string[];
  reasons: string[];
  legal_basis: string;
  policy_revision: string;
  delivery_topic: string;
  /** A community output's random delivery id. */
  delivery_id?: string;
}

const brokers = inject("brokers");
const kafka = client(brokers);
const run = randomUUID().slice(0, 8);
let audit: RunningService;
let exchange: RunningService;
let policyDir: string;

const person = (subjectId: string, fullName: string, role: SubjectRole): Subject => ({
  entity: {
    $case: "person",
    value: { subjectId, fullName, aliases: [], dateOfBirth: "1991-03-14", address: "12 Church Street, Ōpōtiki", phoneNumbers: ["021 555 0147"], documents: [{ kind: "IDENTITY_DOCUMENT_KIND_DRIVER_LICENCE" as never, number: "DL123456", issuingCountry: "NZ" }], role, isMinor: false },
  },
});
const PERSONAL = ["Hēmi Tāwhiri", "12 Church Street", "021 555 0147", "DL123456", "QZX482"];

/** Police's default markings: RESTRICTED, law-enforcement only. */
const policeEvent = (fields: Partial<IntelligenceEvent>): IntelligenceEvent =>
  IntelligenceEvent.fromPartial({
    id: randomUUID(),
    sourceAgency: Agency.AGENCY_POLICE,
    occurredAt: new Date(),
    publishedAt: new Date(),
    region: PoliceDistrict.POLICE_DISTRICT_EASTERN,
    classification: Classification.CLASSIFICATION_RESTRICTED,
    handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY], releasableTo: [], releasableToCountries: [] },
    sourceRecordId: `E2E-${run}-${randomUUID().slice(0, 6)}`,
    ...fields,
  });

function operationUpdate(phase: OperationPhase, fields: Partial<IntelligenceEvent> = {}): IntelligenceEvent {
  const payload: IntelligenceEvent["payload"] = {
    $case: "policeOperationUpdate",
    value: {
      codeName: "Operation Highwater",
      phase,
      clearHoldBuild: ClearHoldBuildPhase.CLEAR_HOLD_BUILD_PHASE_CLEAR,
      targetGroup: "Mongrel Mob Barbarians",
      arrests: 39,
      charges: 205,
      familiesAffected: 12,
      childrenAffected: 47,
      supportNeeded: [SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING],
      summary: "Hēmi Tāwhiri among those arrested in Wairoa.",
      localities: ["Wairoa"],
    },
  };
  return policeEvent({
    eventType: "police.operation_update",
    operationRef: "Operation Highwater",
    subjects: [person("police/person/P-88121", "Hēmi Tāwhiri", SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST)],
    payload,
    ...fields,
  });
}

async function publish(...events: IntelligenceEvent[]): Promise<void> {
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  await producer.send({
    topic: POLICE_TOPIC,
    acks: -1,
    messages: events.map((e) => ({
      key: e.id,
      value: Buffer.from(IntelligenceEvent.encode(e).finish()),
      headers: { "event-type": e.eventType, "schema-version": INTEL_SCHEMA_VERSION },
    })),
  });
  await producer.disconnect();
}

async function subscriberIds(): Promise<string[]> {
  return ((await (await fetch(`${exchange.url}/v1/policy`)).json()) as { subscribers: { id: string }[] }).subscribers.map((s) => s.id);
}

async function decisionsFor(eventId: string): Promise<Map<string, ApiDecision>> {
  const expected = (await subscriberIds()).length;
  const deadline = Date.now() + 60_000;
  let got: ApiDecision[] = [];
  while (Date.now() < deadline) {
    const res = await fetch(`${audit.url}/v1/decisions?event_id=${eventId}&limit=500`, { headers: oversightHeaders });
    got = ((await res.json()) as { decisions: ApiDecision[] }).decisions;
    if (got.length >= expected) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return new Map(got.map((d) => [d.subscriber_id, d]));
}

/** The event as a subscriber topic holds it (read-committed), or undefined. */
async function delivered(topic: string, eventId: string, opts: { expectNone?: boolean } = {}) {
  const seen = await readTopic(kafka, topic, opts.expectNone ? { idleMs: 2500 } : { until: (s) => s.message.key?.toString() === eventId });
  const mine = seen.filter((s) => s.message.key?.toString() === eventId);
  return mine.map((s) => ({ event: IntelligenceEvent.decode(s.message.value!), view: header(s.message, "view"), revision: header(s.message, "policy-revision") }));
}

const text = (e: IntelligenceEvent) => JSON.stringify(IntelligenceEvent.toJSON(e));

/** A community tier's notice, found by the delivery id its decision record names (never by the event id), with its raw record. */
async function noticeDelivered(topic: string, deliveryId: string) {
  const seen = await readTopic(kafka, topic, { until: (s) => s.message.key?.toString() === deliveryId });
  return seen
    .filter((s) => s.message.key?.toString() === deliveryId)
    .map((s) => ({ notice: SupportNotice.decode(s.message.value!), bytes: s.message.value!, headers: Object.fromEntries(Object.entries(s.message.headers ?? {}).map(([k, v]) => [k, String(v)])) }));
}

/**
 * Police are a subscriber (Customs' seizures, MBIE's trafficking intelligence), so
 * their delivery topic must exist before an exchange consumes the other agencies'
 * topics. Until infra/kafka/topics.json declares takitini.deliver.police.v1, create
 * it here, as the launcher would.
 */
async function ensurePoliceDeliveryTopic(): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes("takitini.deliver.police.v1")) {
      await admin.createTopics({ waitForLeaders: true, topics: [{ topic: "takitini.deliver.police.v1", numPartitions: 3, replicationFactor: 1, configEntries: [{ name: "retention.ms", value: "604800000" }] }] });
    }
  } finally {
    await admin.disconnect();
  }
}

beforeAll(async () => {
  await ensurePoliceDeliveryTopic();
  // The exchange reads its policy from a folder of its own, so the test can change it under it.
  policyDir = mkdtempSync(join(tmpdir(), "takitini-e2e-policy-"));
  copyFileSync(join(POLICIES, "build/policy.wasm"), join(policyDir, "policy.wasm"));
  copyFileSync(join(POLICIES, "data/subscribers.json"), join(policyDir, "subscribers.json"));
  const common = { KAFKA_BROKERS: brokers.join(",") };
  audit = await startService("audit", { ...common, ...auditEnv(inject("databaseUrl"), run), GROUP_ID: `takitini-audit-e2e-policy-${run}` });
  exchange = await startService("exchange", {
    ...common,
    GROUP_ID: `takitini-exchange-e2e-policy-${run}`,
    INSTANCE_ID: `e2e-policy-${run}`,
    POLICY_WASM: join(policyDir, "policy.wasm"),
    POLICY_DATA_DIR: policyDir,
  });
});

afterAll(async () => {
  const codes = await Promise.all([exchange, audit].filter(Boolean).map((s) => s.stop("SIGTERM")));
  expect(codes.every((c) => c === 0)).toBe(true);
});

describe("the operational embargo on real traffic", () => {
  const active = operationUpdate(OperationPhase.OPERATION_PHASE_ACTIVE);
  const resolution = operationUpdate(OperationPhase.OPERATION_PHASE_RESOLUTION);
  const southern = operationUpdate(OperationPhase.OPERATION_PHASE_RESOLUTION, { region: PoliceDistrict.POLICE_DISTRICT_SOUTHERN });

  beforeAll(async () => {
    await publish(active, resolution, southern);
  });

  it("keeps an active operation inside law enforcement, with the reason recorded", async () => {
    const decisions = await decisionsFor(active.id);
    for (const id of ["msd", "mbie", "community-eastern", "public"]) {
      expect(decisions.get(id)).toMatchObject({ outcome: "deny", view: "none", delivery_topic: "" });
      expect(decisions.get(id)!.reasons).toContain("sharing.operational_embargo");
    }
    expect([...decisions.values()].every((d) => d.outcome === "deny")).toBe(true);
    expect(await delivered("takitini.deliver.msd.v1", active.id, { expectNone: true })).toEqual([]);
    expect(await delivered("takitini.deliver.community-eastern.v1", active.id, { expectNone: true })).toEqual([]);
  });

  it("at resolution delivers MSD a de-identified support notice", async () => {
    const [notice] = await delivered("takitini.deliver.msd.v1", resolution.id);
    expect(notice).toBeDefined();
    expect(notice!.view).toBe("redacted");
    for (const pi of [...PERSONAL, "Operation Highwater", "Mongrel Mob", "Wairoa"]) expect(text(notice!.event)).not.toContain(pi);
    expect(notice!.event.subjects).toEqual([]);
    expect(notice!.event.region).toBe(PoliceDistrict.POLICE_DISTRICT_EASTERN);
    expect(notice!.event.payload?.$case === "policeOperationUpdate" && notice!.event.payload.value).toMatchObject({
      phase: OperationPhase.OPERATION_PHASE_RESOLUTION,
      familiesAffected: 12,
      childrenAffected: 47,
      supportNeeded: [SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING],
      arrests: 0,
      codeName: "",
    });
    const decision = (await decisionsFor(resolution.id)).get("msd")!;
    expect(decision).toMatchObject({ outcome: "allow", view: "redacted", reasons: ["sharing.msd_police_operation_support_notice"], delivery_topic: "takitini.deliver.msd.v1" });
    expect(decision.legal_basis).toMatch(/^Oranga Tamariki Act 1989/);
    expect(decision.redacted_paths).toEqual(expect.arrayContaining(["subjects", "operation_ref", "police_operation_update.summary", "police_operation_update.code_name"]));
    expect(notice!.revision).toBe(decision.policy_revision);
  });

  it("at resolution delivers the region's community leaders a SupportNotice built by allow-list, linked to its decision by a random delivery id, and no other region's", async () => {
    const decision = (await decisionsFor(resolution.id)).get("community-eastern")!;
    expect(decision).toMatchObject({ outcome: "allow", view: "redacted", reasons: ["sharing.community_police_operation_support_notice"], delivery_topic: "takitini.deliver.community-eastern.v1" });
    expect(decision.delivery_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const [got, again] = await noticeDelivered("takitini.deliver.community-eastern.v1", decision.delivery_id!);
    expect(again).toBeUndefined();
    expect(got!.notice).toMatchObject({
      deliveryId: decision.delivery_id,
      eventType: "police.operation_update",
      region: PoliceDistrict.POLICE_DISTRICT_EASTERN,
      phase: OperationPhase.OPERATION_PHASE_RESOLUTION,
      familiesAffected: CountBand.COUNT_BAND_10_TO_19,
      childrenAffected: CountBand.COUNT_BAND_20_TO_49,
      supportNeeded: [SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING],
      agreementId: "community-eastern-police-support-notice",
    });
    expect(got!.notice.week).toMatch(/^\d{4}-W\d{2}$/);
    expect(got!.headers).toMatchObject({ "event-type": "support.notice", view: "redacted", "delivery-id": decision.delivery_id, "policy-revision": decision.policy_revision });
    expect(Object.keys(got!.headers)).not.toContain("decision-id");
    expect(Object.keys(got!.headers)).not.toContain("traceparent");
    // Nothing in the record links it back: no personal information, no event, native record or decision id.
    for (const s of [...PERSONAL, "Operation Highwater", "Mongrel Mob", "Ōpōtiki", resolution.id, resolution.sourceRecordId, decision.id]) {
      expect(got!.bytes.includes(Buffer.from(s))).toBe(false);
    }
    expect(await delivered("takitini.deliver.community-eastern.v1", resolution.id, { expectNone: true })).toEqual([]);
    expect((await decisionsFor(southern.id)).get("community-eastern")).toMatchObject({ outcome: "deny", reasons: ["sharing.outside_subscriber_regions"] });
    expect(await delivered("takitini.deliver.community-eastern.v1", southern.id, { expectNone: true })).toEqual([]);
    expect(await delivered("takitini.deliver.msd.v1", southern.id)).toHaveLength(1);
  });

  it("never gives the public tier an operation update", async () => {
    expect((await decisionsFor(resolution.id)).get("public")).toMatchObject({ outcome: "deny", delivery_topic: "" });
    expect(await delivered("takitini.deliver.public.v1", resolution.id, { expectNone: true })).toEqual([]);
  });
});

describe("redactions on real traffic", () => {
  // Police release a money-laundering noting to MBIE (IN-CONFIDENCE, releasable to MBIE).
  const noting = policeEvent({
    eventType: "police.organised_crime_noting",
    region: PoliceDistrict.POLICE_DISTRICT_COUNTIES_MANUKAU,
    classification: Classification.CLASSIFICATION_IN_CONFIDENCE,
    handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_RELEASABLE_TO], releasableTo: ["MBIE"], releasableToCountries: [] },
    subjects: [
      person("police/person/P-88121", "Hēmi Tāwhiri", SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST),
      { entity: { $case: "organisation", value: { subjectId: "police/org/C-1", name: "Kiwi Build Subcontracting Ltd", kind: "ORGANISATION_KIND_COMPANY" as never, registrationNumber: "9429041234567" } } },
      { entity: { $case: "vehicle", value: { subjectId: "police/vehicle/V-551", plate: "QZX482", make: "Toyota", model: "Hilux", colour: "silver" } } },
    ],
    payload: {
      $case: "policeNoting",
      value: { groupName: "Shell network", activity: OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_MONEY_LAUNDERING, commodities: [], summary: "Hēmi Tāwhiri pays cash wages through the subcontractor.", reportingUnit: "Financial Intelligence Unit", locality: "Manukau" },
    },
  });

  beforeAll(async () => {
    await publish(noting);
  });

  it("delivers MBIE the noting without the people, the plate or the narrative", async () => {
    const [view] = await delivered("takitini.deliver.mbie.v1", noting.id);
    expect(view?.view).toBe("redacted");
    for (const pi of PERSONAL) expect(text(view!.event)).not.toContain(pi);
    expect(text(view!.event)).toContain("Kiwi Build Subcontracting Ltd");
    expect(view!.event.payload?.$case === "policeNoting" && view!.event.payload.value).toMatchObject({ summary: "", groupName: "Shell network" });
    const [p] = view!.event.subjects;
    expect(p?.entity?.$case === "person" && p.entity.value).toMatchObject({ subjectId: "police/person/P-88121", fullName: "", phoneNumbers: [], documents: [] });
    const decision = (await decisionsFor(noting.id)).get("mbie")!;
    expect(decision).toMatchObject({ outcome: "allow", view: "redacted", reasons: ["sharing.mbie_police_money_laundering"] });
    expect(decision.redacted_paths).toEqual(expect.arrayContaining(["subjects[*].person.full_name", "subjects[*].vehicle.plate", "police_noting.summary"]));
  });

  it("denies everyone the noting was not released to, saying why", async () => {
    const decisions = await decisionsFor(noting.id);
    expect(decisions.get("customs")!.reasons).toContain("sharing.not_releasable_to_subscriber");
    expect(decisions.get("msd")!.reasons).toContain("sharing.not_releasable_to_subscriber");
  });
});

describe("hot reload on a running exchange", () => {
  it("picks up a changed registry without a restart; later decisions record the new revision", async () => {
    const before = ((await (await fetch(`${exchange.url}/v1/policy`)).json()) as { revision: string }).revision;
    // Withdraw MSD's support-notice agreement, written as a build would (rename over).
    const registry = JSON.parse(readFileSync(join(policyDir, "subscribers.json"), "utf8")) as Record<string, { agreements: { id: string }[] }>;
    registry.msd!.agreements = registry.msd!.agreements.filter((a) => a.id !== "msd-police-support-notice");
    writeFileSync(join(policyDir, "subscribers.json.partial"), JSON.stringify(registry, null, 2));
    renameSync(join(policyDir, "subscribers.json.partial"), join(policyDir, "subscribers.json"));

    let after = before;
    const deadline = Date.now() + 30_000;
    while (after === before && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      after = ((await (await fetch(`${exchange.url}/v1/policy`)).json()) as { revision: string }).revision;
    }
    expect(after).not.toBe(before);
    expect(exchange.child.exitCode).toBeNull();
    expect(exchange.output()).toContain("policy reloaded");

    const resolution = operationUpdate(OperationPhase.OPERATION_PHASE_RESOLUTION);
    await publish(resolution);
    const decisions = await decisionsFor(resolution.id);
    expect(decisions.get("msd")).toMatchObject({ outcome: "deny", policy_revision: after });
    expect(decisions.get("community-eastern")).toMatchObject({ outcome: "allow", view: "redacted", policy_revision: after });
    expect(await delivered("takitini.deliver.msd.v1", resolution.id, { expectNone: true })).toEqual([]);
  });

  it("rejects a bad build and keeps deciding with the running policy", async () => {
    const running = ((await (await fetch(`${exchange.url}/v1/policy`)).json()) as { revision: string }).revision;
    writeFileSync(join(policyDir, "policy.wasm.partial"), "not a policy");
    renameSync(join(policyDir, "policy.wasm.partial"), join(policyDir, "policy.wasm"));
    const deadline = Date.now() + 30_000;
    while (!exchange.output().includes("new policy rejected") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(exchange.output()).toContain("new policy rejected; keeping the running one");

    const active = operationUpdate(OperationPhase.OPERATION_PHASE_ACTIVE);
    await publish(active);
    const decisions = await decisionsFor(active.id);
    expect(decisions.size).toBe((await subscriberIds()).length);
    expect([...decisions.values()].every((d) => d.policy_revision === running)).toBe(true);
  });
});
