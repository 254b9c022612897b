import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { communitySubscriberId, districtOfLocality, loadRegions, loadSharingPolicy } from "@takitini/policies";
import { AggregateView, DecisionRecord, Outcome, PoliceDistrict, SupportNotice } from "@takitini/proto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { client, createRunTopics, header, readTopic, registryWith, type Seen } from "./kafka.js";
import { publish, publisherOf } from "./publishers.js";
import { ROOT, startService, type RunningService } from "./stack.js";

/**
 * Every region's community leaders on the real broker: Police records from three
 * districts (Northland, Bay of Plenty — Ōpōtiki — and Southern) go in at the Police
 * adapter's door, the real exchange decides them for all twelve districts' leaders
 * (the registry generated from policies/data/regions.json), and each district's
 * support notice and aggregate view reach that district's community topic — and
 * no other district's. The run has its own intel, community, public and decision
 * topics, so what they hold is exactly what it sent.
 */

const brokers = inject("brokers");
const kafka = client(brokers);
const run = randomUUID().slice(0, 8);
const REGIONS = loadRegions();
const T = {
  police: `takitini.e2e.${run}.intel.police.v1`,
  public: `takitini.e2e.${run}.deliver.public.v1`,
  decisions: `takitini.e2e.${run}.audit.v1`,
  community: (slug: string) => `takitini.e2e.${run}.deliver.community-${slug}.v1`,
};
const COMMUNITY_TOPICS = REGIONS.regions.map((r) => T.community(r.slug));

/** The three districts, each with a town the locality table puts there. */
const SENT = [
  { district: "Northland", code: "NORTHLAND", slug: "northland", town: "Kaikohe" },
  { district: "Bay of Plenty", code: "BAY_OF_PLENTY", slug: "bay-of-plenty", town: "Ōpōtiki" },
  { district: "Southern", code: "SOUTHERN", slug: "southern", town: "Mātaura" },
] as const;

let services: RunningService[] = [];
let police: RunningService;

const operationUpdate = (s: (typeof SENT)[number]) => ({
  update_id: `NOCG-E2E-${run}-${s.slug}`,
  recorded_at: "2026-11-18T16:30:00+13:00",
  effective_at: "2026-11-18T05:00:00+13:00",
  code_name: `Operation E2E ${s.slug}`,
  phase: "resolution",
  clear_hold_build: "clear",
  target_group: "Mongrel Mob Barbarians",
  district: s.district,
  localities: [s.town],
  arrests: 9,
  charges: 31,
  families_affected: 7,
  children_affected: 15,
  support_needed: ["whanau_navigation"],
  summary: `Arrests in ${s.town}.`,
  grading: { source: "B", information: 2 },
});

const wastewater = (s: (typeof SENT)[number]) => ({
  sample_id: `NDIB-E2E-${run}-${s.slug}`,
  site: s.town,
  district: s.district,
  drug: "methamphetamine",
  sample_week: "2026-W46",
  estimated_weekly_grams: 20.5,
  population_served: 5000,
});

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "takitini-e2e-regions-"));
  // The registry as generated, each district's leaders (and the public) delivered to this run's topics.
  const registryFile = registryWith(dir, (id, topic) => (id === "public" ? T.public : id.startsWith("community-") ? T.community(id.slice("community-".length)) : topic), ROOT);
  await createRunTopics(
    [
      { name: T.police, role: "intel" },
      { name: T.public, role: "delivery" },
      { name: T.decisions, role: "decisions" },
      ...COMMUNITY_TOPICS.map((name) => ({ name, role: "delivery" as const })),
    ],
    registryFile,
  );
  const common = { KAFKA_BROKERS: brokers.join(","), AUDIT_TOPIC: T.decisions };
  const start = async (name: string, env: Record<string, string>) => {
    const s = await startService(name, env);
    services.push(s);
    return s;
  };
  await start("exchange", {
    ...common,
    INTEL_TOPICS: T.police,
    GROUP_ID: `takitini-exchange-e2e-regions-${run}`,
    INSTANCE_ID: `e2e-regions-${run}`,
    POLICY_WASM: join(ROOT, "policies/build/policy.wasm"),
    POLICY_DATA_DIR: dir,
  });
  police = await start("police-adapter", { ...common, TOPIC: T.police, GRPC_PORT: "0", DEMO_RECORDS_PER_MINUTE: "0" });
});

afterAll(async () => {
  const codes = await Promise.all(services.map((s) => s.stop("SIGTERM")));
  expect(codes.every((c) => c === 0)).toBe(true);
});

/** What a community topic holds, as (kind, district) pairs. */
function contents(seen: Seen[]): Map<string, string[]> {
  const out = new Map<string, string[]>(COMMUNITY_TOPICS.map((t) => [t, []]));
  for (const s of seen) {
    // A community topic holds aggregate views and support notices only (never an event).
    const aggregate = header(s.message, "event-type") === "aggregate.view";
    const region = aggregate ? AggregateView.decode(s.message.value!).region : SupportNotice.decode(s.message.value!).region;
    out.get(s.topic)!.push(`${aggregate ? "aggregate" : header(s.message, "event-type")} ${String(region).replace(/^POLICE_DISTRICT_/, "")}`);
  }
  for (const list of out.values()) list.sort();
  return out;
}

describe("every region's community leaders, on the real broker", () => {
  it("the towns sent lie in the districts they are filed under (the locality table)", () => {
    for (const s of SENT) expect(districtOfLocality(REGIONS, s.town), s.town).toBe(s.code);
  });

  it("events in three districts reach those three districts' community topics and no other", async () => {
    const ids: string[] = [];
    for (const s of SENT) {
      for (const [path, body] of [
        ["/v1/operation-updates", operationUpdate(s)],
        ["/v1/wastewater-indicators", wastewater(s)],
      ] as const) {
        const res = await publish(`${police.url}${path}`, body, { publisher: publisherOf("police-adapter") });
        expect(res.status, `${path} ${res.text}`).toBe(202);
        ids.push(res.json().event_id as string);
      }
    }

    // Every event is decided for every subscriber: twelve districts' leaders each, one allowed.
    const expected = ids.length * (await loadSharingPolicy()).subscribers().length;
    const decisions = (await readTopic(kafka, T.decisions, { until: countTo(expected), timeoutMs: 90_000 }))
      .map((s) => DecisionRecord.decode(s.message.value!))
      .filter((d) => ids.includes(d.eventId));
    for (const id of ids) {
      const leaders = decisions.filter((d) => d.eventId === id && d.subscriberId.startsWith("community-"));
      expect(leaders, id).toHaveLength(12);
      const allowed = leaders.filter((d) => d.outcome === Outcome.OUTCOME_ALLOW);
      expect(allowed, id).toHaveLength(1);
      for (const d of leaders.filter((d) => d !== allowed[0])) expect(d.reasons, `${id} ${d.subscriberId}`).toContain("sharing.outside_subscriber_regions");
    }

    // The run's community topics: wait for the six deliveries, then read them all again once the exchange has gone quiet.
    await readTopic(kafka, COMMUNITY_TOPICS, { until: countTo(ids.length), timeoutMs: 90_000 });
    const held = contents(await readTopic(kafka, COMMUNITY_TOPICS, { idleMs: 3000 }));
    for (const r of REGIONS.regions) {
      const sent = SENT.find((s) => s.code === r.code);
      const want = sent ? ["aggregate " + r.code, "support.notice " + r.code] : [];
      expect(held.get(T.community(r.slug)), `${communitySubscriberId(r)}'s topic`).toEqual(want);
    }
    // A notice names its district and nothing of the operation: no town, no code name.
    const notices = await readTopic(kafka, T.community("bay-of-plenty"), { idleMs: 1000 });
    const notice = notices.map((s) => s.message).find((m) => header(m, "event-type") === "support.notice")!;
    const decoded = SupportNotice.decode(notice.value!);
    expect(decoded.region).toBe(PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY);
    const text = JSON.stringify(SupportNotice.toJSON(decoded));
    for (const secret of ["Ōpōtiki", "Operation E2E", "Mongrel Mob"]) expect(text).not.toContain(secret);
  });
});

/** An `until` that is satisfied once `n` messages have been seen. */
function countTo(n: number): (s: Seen) => boolean {
  let seen = 0;
  return () => ++seen >= n;
}
