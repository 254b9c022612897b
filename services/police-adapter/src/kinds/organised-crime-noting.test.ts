import { seededRandom } from "@takitini/adapter-kit";
import { Agency, Commodity, IntelligenceEvent, OrganisedCrimeActivity } from "@takitini/proto";
import { zodIssues } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { organisedCrimeNoting } from "./organised-crime-noting.js";

const kind = organisedCrimeNoting;
const at = new Date("2026-11-20T00:00:00Z");
const issuePaths = (r: unknown) => {
  const result = kind.schema.safeParse(r);
  return result.success ? [] : zodIssues(result.error).map((i) => i.path);
};

describe("organised_crime_noting", () => {
  it("validates and maps the example", () => {
    expect(issuePaths(kind.example)).toEqual([]);
    const event = kind.map(kind.schema.parse(kind.example), at);
    expect(event).toMatchObject({
      id: "", // the intake derives it, keyed (ingest.ts)
      publisher: "",
      supersedes: "", // a first version: a correction sets both (revision.proto)
      originalEventId: "",
      sourceAgency: Agency.AGENCY_POLICE,
      eventType: "police.organised_crime_noting",
      operationRef: "Operation Highwater",
      sourceRecordId: "NIC-2026-004217",
      payload: { $case: "policeNoting", value: { activity: OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY, commodities: [Commodity.COMMODITY_METHAMPHETAMINE], locality: "Ōpōtiki" } },
    });
    expect(IntelligenceEvent.decode(IntelligenceEvent.encode(event).finish())).toEqual(event);
  });

  it("validates, maps and round-trips 500 synthetic records, the same for the same seed", () => {
    const synth = (seed: string) => {
      const rng = seededRandom(seed);
      return Array.from({ length: 500 }, (_v, i) => kind.synthesize(rng, i));
    };
    const records = synth("takitini");
    for (const r of records) {
      expect(issuePaths(r)).toEqual([]);
      const event = kind.map(kind.schema.parse(r), at);
      expect(IntelligenceEvent.decode(IntelligenceEvent.encode(event).finish())).toEqual(event);
    }
    expect(synth("takitini")).toEqual(records);
    expect(synth("other")).not.toEqual(records);
  });
});
