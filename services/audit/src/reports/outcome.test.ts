import {
  ClearHoldBuildPhase,
  Commodity,
  Industry,
  IntelligenceEvent,
  OperationPhase,
  OrganisedCrimeActivity,
  PoliceDistrict,
  SupportService,
  type OutcomeMeasure,
} from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { fromPublish, publishRecord } from "../oversight/records.js";
import { OUTCOME_MEASURES, outcomeOf } from "./outcome.js";

const event = (payload: NonNullable<IntelligenceEvent["payload"]>, extra: Partial<IntelligenceEvent> = {}) =>
  IntelligenceEvent.fromPartial({ id: "e-1", region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY, operationRef: "Operation Highwater", payload, ...extra });

const sum = (ms: OutcomeMeasure[], measure: string, category?: string) =>
  ms.filter((x) => x.measure === measure && (category === undefined || x.category === category)).reduce((a, x) => a + x.value, 0);

/** Every string the events below carry in a free-text, name, reference or place field. */
const SECRETS = ["Operation Highwater", "Mongrel Mob Barbarians", "Ōpōtiki", "Hēmi", "REF-99", "Te Whānau Provider", "Whakaahuru", "P-88121", "2026-W30", "Mātaura WWTP"];

const highwater = event({
  $case: "policeOperationUpdate",
  value: {
    codeName: "Whakaahuru",
    phase: OperationPhase.OPERATION_PHASE_RESOLUTION,
    clearHoldBuild: ClearHoldBuildPhase.CLEAR_HOLD_BUILD_PHASE_CLEAR,
    targetGroup: "Mongrel Mob Barbarians",
    arrests: 20,
    charges: 85,
    familiesAffected: 11,
    childrenAffected: 47,
    supportNeeded: [SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, SupportService.SUPPORT_SERVICE_ADDICTION_TREATMENT, SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION],
    summary: "Hēmi and others arrested in Ōpōtiki",
    localities: ["Ōpōtiki"],
  },
});

describe("outcomeOf", () => {
  it("an operation's resolution: resolved, arrests, charges, families, children, one support notice and each service once", () => {
    const o = outcomeOf(highwater);
    expect(sum(o, "operations_resolved")).toBe(1);
    expect(sum(o, "operations_concluded")).toBe(0);
    expect(sum(o, "arrests")).toBe(20);
    expect(sum(o, "charges")).toBe(85);
    expect(sum(o, "families_affected")).toBe(11);
    expect(sum(o, "children_affected")).toBe(47);
    expect(sum(o, "support_notices")).toBe(1);
    expect(o.filter((x) => x.measure === "support_needed").map((x) => x.category).sort()).toEqual(["addiction_treatment", "whanau_navigation"]);
  });

  it("an active operation is neither resolved nor a support notice", () => {
    const o = outcomeOf(event({ $case: "policeOperationUpdate", value: { ...(highwater.payload as { value: never }).value, phase: OperationPhase.OPERATION_PHASE_ACTIVE } }));
    expect(sum(o, "operations_resolved")).toBe(0);
    expect(sum(o, "support_notices")).toBe(0);
    expect(sum(o, "operation_updates")).toBe(1);
  });

  it("wastewater: a sample and its grams under the drug", () => {
    const o = outcomeOf(event({ $case: "policeWastewaterIndicator", value: { site: "Mātaura WWTP", drug: Commodity.COMMODITY_METHAMPHETAMINE, sampleWeek: "2026-W30", estimatedWeeklyGrams: 212.5, populationServed: 1740 } }));
    expect(o).toEqual([
      { measure: "wastewater_samples", category: "methamphetamine", value: 1 },
      { measure: "wastewater_grams", category: "methamphetamine", value: 212.5 },
    ]);
  });

  it("an exploitation complaint: one complaint and its workers under the industry", () => {
    const o = outcomeOf(event({ $case: "mbieExploitationComplaint", value: { complaintRef: "REF-99", industry: Industry.INDUSTRY_HORTICULTURE, indicators: [], jobFeeLocation: 0 as never, jobFeeNzd: 4000, workersAffected: 7, employerSubjectId: "P-88121", locality: "Ōpōtiki" } }));
    expect(o).toEqual([
      { measure: "exploitation_complaints", category: "horticulture", value: 1 },
      { measure: "workers_affected", category: "horticulture", value: 7 },
    ]);
  });

  it("a community resilience report: funding (an int64 as its string) and people served per service", () => {
    const o = outcomeOf(
      event({
        $case: "msdCommunityResilienceReport",
        value: {
          programme: "Whakaahuru",
          provider: "Te Whānau Provider",
          periodStart: "2026-07-01",
          periodEnd: "2026-09-30",
          fundingCents: "278000000",
          services: [
            { service: SupportService.SUPPORT_SERVICE_ADDICTION_TREATMENT, peopleServed: 120, sessions: 480 },
            { service: SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING, peopleServed: 35, sessions: 70 },
          ],
        },
      }),
    );
    expect(sum(o, "funding_cents")).toBe(278_000_000);
    expect(sum(o, "people_served")).toBe(155);
    expect(sum(o, "people_served", "rangatahi_mentoring")).toBe(35);
    expect(sum(o, "sessions")).toBe(550);
  });

  it("a referral: one referral, its whānau and children under the service", () => {
    const o = outcomeOf(event({ $case: "msdWhanauSupportReferral", value: { referralBatchRef: "REF-99", service: SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, whanauCount: 4, childrenCount: 9, referralWeek: "2026-W30", provider: "Te Whānau Provider" } }));
    expect(sum(o, "referrals", "whanau_navigation")).toBe(1);
    expect(sum(o, "referred_whanau")).toBe(4);
    expect(sum(o, "referred_children")).toBe(9);
  });

  it("negative and non-finite quantities count as 0", () => {
    const o = outcomeOf(event({ $case: "policeWastewaterIndicator", value: { site: "", drug: Commodity.COMMODITY_MDMA, sampleWeek: "", estimatedWeeklyGrams: Number.NaN, populationServed: 0 } }));
    expect(sum(o, "wastewater_grams")).toBe(0);
    expect(sum(outcomeOf(event({ $case: "policeFirearmsSeizure", value: { firearmsCount: -3, firearmTypes: [], ammunitionRounds: 0, locality: "", linkedGroup: "", underWarrant: false } })), "firearms")).toBe(0);
  });

  it("a noting, or an event without a payload, contributes nothing", () => {
    expect(outcomeOf(event({ $case: "policeNoting", value: { groupName: "Mongrel Mob Barbarians", activity: 1 as never, commodities: [], summary: "Hēmi", reportingUnit: "", locality: "Ōpōtiki" } }))).toEqual([]);
    expect(outcomeOf(IntelligenceEvent.fromPartial({ id: "x" }))).toEqual([]);
  });

  it("never carries a name, reference, place or free text: only listed measures, lower-case codes and numbers", () => {
    const events = [
      highwater,
      event({ $case: "mbieExploitationComplaint", value: { complaintRef: "REF-99", industry: Industry.INDUSTRY_HORTICULTURE, indicators: [], jobFeeLocation: 0 as never, jobFeeNzd: 4000, workersAffected: 7, employerSubjectId: "P-88121", locality: "Ōpōtiki" } }),
      event({ $case: "msdWhanauSupportReferral", value: { referralBatchRef: "REF-99", service: SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, whanauCount: 4, childrenCount: 9, referralWeek: "2026-W30", provider: "Te Whānau Provider" } }),
      event({ $case: "msdCommunityResilienceReport", value: { programme: "Whakaahuru", provider: "Te Whānau Provider", periodStart: "2026-W30", periodEnd: "", fundingCents: "100", services: [{ service: SupportService.SUPPORT_SERVICE_HARM_REDUCTION, peopleServed: 3, sessions: 4 }] } }),
      event({ $case: "policeWastewaterIndicator", value: { site: "Mātaura WWTP", drug: Commodity.COMMODITY_COCAINE, sampleWeek: "2026-W30", estimatedWeeklyGrams: 1, populationServed: 1740 } }),
      event({ $case: "policeFirearmsSeizure", value: { firearmsCount: 2, firearmTypes: [], ammunitionRounds: 10, locality: "Ōpōtiki", linkedGroup: "Mongrel Mob Barbarians", underWarrant: true } }),
    ];
    const all = events.map(outcomeOf).flat();
    expect(all.length).toBeGreaterThan(15);
    for (const x of all) {
      expect(OUTCOME_MEASURES).toContain(x.measure);
      expect(x.category).toMatch(/^[a-z_]*$/);
      expect(Number.isFinite(x.value)).toBe(true);
    }
    const text = JSON.stringify(all);
    for (const s of SECRETS) expect(text).not.toContain(s);
  });

  it("is kept in the publish record and its API form; a record without one keeps the form it had before outcomes existed", () => {
    const src = { topic: "takitini.intel.police.v1", partition: 0, offset: "1" };
    const withOutcome = fromPublish(publishRecord(highwater, IntelligenceEvent.encode(highwater).finish(), src), new Date());
    expect(withOutcome.index.doc["outcome"]).toEqual(outcomeOf(highwater));
    const noting = IntelligenceEvent.fromPartial({ id: "e-2", payload: { $case: "policeNoting", value: { groupName: "x", activity: OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY, commodities: [], summary: "", reportingUnit: "", locality: "" } } });
    const without = fromPublish(publishRecord(noting, IntelligenceEvent.encode(noting).finish(), src), new Date());
    // An existing ledger's publish rows (indexed before this field) are derived unchanged from their leaves.
    expect(Object.keys(without.index.doc)).not.toContain("outcome");
  });
});
