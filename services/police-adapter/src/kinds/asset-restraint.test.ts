import { MarkingBelowFloor } from "@takitini/adapter-kit";
import { checkSyntheticRecords } from "@takitini/adapter-kit/testing";
import { AssetClass, AssetRestraintStage, Classification, HandlingCaveat, IntelligenceEvent, PoliceDistrict } from "@takitini/proto";
import { zodIssues } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { ASSET_CLASSES, assetRestraint } from "./asset-restraint.js";

const kind = assetRestraint;
const at = new Date("2026-11-20T00:00:00Z");
const example = kind.example as Record<string, unknown>;
const record = (patch: Record<string, unknown> = {}) => Object.fromEntries(Object.entries({ ...example, ...patch }).filter(([, v]) => v !== undefined));
const issuePaths = (r: unknown) => {
  const result = kind.schema.safeParse(r);
  return result.success ? [] : zodIssues(result.error).map((i) => i.path);
};
const mapped = (patch: Record<string, unknown> = {}) => kind.map(kind.schema.parse(record(patch)), at);

describe("asset_restraint: the example", () => {
  it("validates", () => {
    expect(issuePaths(example)).toEqual([]);
  });

  it("maps the envelope and every payload field, values as whole dollars", () => {
    const e = mapped();
    expect(e).toMatchObject({
      eventType: "police.asset_restraint",
      occurredAt: new Date("2026-09-24T02:00:00Z"),
      region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
      classification: Classification.CLASSIFICATION_IN_CONFIDENCE,
      handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_ORIGINATOR_CONTROL], releasableTo: [], releasableToCountries: [] },
      legalBasis: { instrument: "Criminal Proceeds (Recovery) Act 2009" },
      sourceRecordId: "ARU-2026-0193",
    });
    expect(e.payload).toEqual({
      $case: "policeAssetRestraint",
      value: {
        stage: AssetRestraintStage.ASSET_RESTRAINT_STAGE_RESTRAINING_ORDER,
        assets: [
          { assetClass: AssetClass.ASSET_CLASS_REAL_PROPERTY, valueNzd: "640000" },
          { assetClass: AssetClass.ASSET_CLASS_VEHICLE, valueNzd: "58500" },
          { assetClass: AssetClass.ASSET_CLASS_CASH, valueNzd: "112300" },
        ],
        courtFileRef: "CIV-2026-470-000812",
      },
    });
    expect(e.subjects.map((s) => s.entity?.$case)).toEqual(["person", "organisation", "vehicle"]);
  });

  it("maps every asset class and stage to its own enum value, and the operation to the envelope", () => {
    const classes = ASSET_CLASSES.map((c) => (mapped({ assets: [{ asset_class: c, value_nzd: 1 }] }).payload as { value: { assets: { assetClass: string }[] } }).value.assets[0]!.assetClass);
    expect(new Set(classes).size).toBe(ASSET_CLASSES.length);
    expect(classes).not.toContain(AssetClass.ASSET_CLASS_UNSPECIFIED);
    expect(mapped({ stage: "forfeiture_order" }).payload).toMatchObject({ value: { stage: AssetRestraintStage.ASSET_RESTRAINT_STAGE_FORFEITURE_ORDER } });
    expect(mapped({ stage: "released" }).payload).toMatchObject({ value: { stage: AssetRestraintStage.ASSET_RESTRAINT_STAGE_RELEASED } });
    expect(mapped({ operation: "Operation Highwater" }).operationRef).toBe("Operation Highwater");
  });

  it("round-trips through protobuf bytes, a billion dollars exactly", () => {
    const event = mapped({ assets: [{ asset_class: "business", value_nzd: 1_000_000_000 }] });
    expect(IntelligenceEvent.decode(IntelligenceEvent.encode(event).finish())).toEqual(event);
  });
});

describe("asset_restraint: validation", () => {
  it.each([
    ["a missing order id", { order_id: undefined }, "order_id"],
    ["an unknown stage", { stage: "seized" }, "stage"],
    ["no assets", { assets: [] }, "assets"],
    ["an unknown asset class", { assets: [{ asset_class: "art", value_nzd: 10 }] }, "assets[0].asset_class"],
    ["a negative value", { assets: [{ asset_class: "cash", value_nzd: -1 }] }, "assets[0].value_nzd"],
    ["cents", { assets: [{ asset_class: "cash", value_nzd: 10.5 }] }, "assets[0].value_nzd"],
    ["a value as text", { assets: [{ asset_class: "cash", value_nzd: "10000" }] }, "assets[0].value_nzd"],
    ["an implausible value", { assets: [{ asset_class: "cash", value_nzd: 1_000_000_001 }] }, "assets[0].value_nzd"],
    ["a description of the asset", { assets: [{ asset_class: "vehicle", value_nzd: 10, description: "Ford Ranger NKT482" }] }, "assets[0].description"],
    ["a malformed court file", { court_file_ref: "2026/812" }, "court_file_ref"],
    ["a missing court file", { court_file_ref: undefined }, "court_file_ref"],
  ])("rejects %s", (_name, patch, path) => {
    expect(issuePaths(record(patch))).toContain(path);
  });
});

describe("asset_restraint: markings", () => {
  it("may be raised, never lowered", () => {
    expect(mapped({ classification: "RESTRICTED", caveats: ["ORIGINATOR CONTROL", "LAW ENFORCEMENT ONLY"] }).handling?.caveats).toContain(HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY);
    expect(() => mapped({ classification: "UNCLASSIFIED" })).toThrow(MarkingBelowFloor);
    expect(() => mapped({ caveats: ["LAW ENFORCEMENT ONLY"] })).toThrow(MarkingBelowFloor);
  });
});

describe("asset_restraint: synthetic records", () => {
  const records = checkSyntheticRecords(kind, at);

  it("are mostly restraining orders, property worth more than cash, unique ids", () => {
    const parsed = records.map((r) => kind.schema.parse(r));
    expect(parsed.filter((r) => r.stage === "restraining_order").length / parsed.length).toBeGreaterThan(0.4);
    const values = (c: string) => parsed.flatMap((r) => r.assets.filter((a) => a.asset_class === c).map((a) => a.value_nzd));
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    expect(median(values("real_property"))).toBeGreaterThan(median(values("cash")));
    expect(new Set(parsed.map((r) => r.order_id)).size).toBe(records.length);
  });
});
