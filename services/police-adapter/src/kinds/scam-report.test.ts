import { checkSyntheticRecords } from "@takitini/adapter-kit/testing";
import { AgeBand, Classification, IntelligenceEvent, PoliceDistrict, ScamCategory, ScamContactChannel } from "@takitini/proto";
import { zodIssues } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { AGE_BANDS, CONTACT_CHANNELS, SCAM_CATEGORIES, scamReport } from "./scam-report.js";

const kind = scamReport;
const at = new Date("2026-11-20T00:00:00Z");
const example = kind.example as Record<string, unknown>;
const record = (patch: Record<string, unknown> = {}) => Object.fromEntries(Object.entries({ ...example, ...patch }).filter(([, v]) => v !== undefined));
const issuePaths = (r: unknown) => {
  const result = kind.schema.safeParse(r);
  return result.success ? [] : zodIssues(result.error).map((i) => i.path);
};
const mapped = (patch: Record<string, unknown> = {}) => kind.map(kind.schema.parse(record(patch)), at);
const payload = (patch: Record<string, unknown> = {}) => (mapped(patch).payload as { $case: "policeScamReport"; value: Record<string, unknown> }).value;

describe("scam_report: the example", () => {
  it("validates", () => {
    expect(issuePaths(example)).toEqual([]);
  });

  it("maps the envelope and every payload field, on the Policing Act", () => {
    const e = mapped();
    expect(e).toMatchObject({
      eventType: "police.scam_report",
      occurredAt: new Date("2026-11-03T06:42:00Z"),
      region: PoliceDistrict.POLICE_DISTRICT_SOUTHERN,
      classification: Classification.CLASSIFICATION_IN_CONFIDENCE,
      handling: { caveats: [], releasableTo: [], releasableToCountries: [] },
      legalBasis: { instrument: "Policing Act 2008" },
      operationRef: "",
      sourceRecordId: "SCAM-2026-118204",
    });
    expect(e.payload).toEqual({
      $case: "policeScamReport",
      value: {
        category: ScamCategory.SCAM_CATEGORY_IMPERSONATION,
        channel: ScamContactChannel.SCAM_CONTACT_CHANNEL_PHONE_CALL,
        reportedLossNzd: "8400",
        victimAgeBand: AgeBand.AGE_BAND_75_AND_OVER,
        locality: "Mātaura",
      },
    });
  });

  it("the only subject is the scammer's identity as given; the person reporting has none", () => {
    const subjects = mapped().subjects;
    expect(subjects).toHaveLength(1);
    const p = subjects[0]?.entity;
    expect(p?.$case === "person" && [p.value.role, p.value.phoneNumbers]).toEqual(["SUBJECT_ROLE_PERSON_OF_INTEREST", ["+64 9 555 0142"]]);
  });

  it("maps every category, channel and age band to its own enum value; no age band is unspecified", () => {
    const distinct = (field: string, values: readonly string[], key: string, unspecified: string) => {
      const got = values.map((v) => payload({ [field]: v })[key]);
      expect(new Set(got).size).toBe(values.length);
      expect(got).not.toContain(unspecified);
    };
    distinct("category", SCAM_CATEGORIES, "category", ScamCategory.SCAM_CATEGORY_UNSPECIFIED);
    distinct("channel", CONTACT_CHANNELS, "channel", ScamContactChannel.SCAM_CONTACT_CHANNEL_UNSPECIFIED);
    distinct("victim_age_band", AGE_BANDS, "victimAgeBand", AgeBand.AGE_BAND_UNSPECIFIED);
    expect(payload({ victim_age_band: undefined, locality: undefined, reported_loss_nzd: 0 })).toMatchObject({ victimAgeBand: AgeBand.AGE_BAND_UNSPECIFIED, locality: "", reportedLossNzd: "0" });
  });

  it("round-trips through protobuf bytes", () => {
    const event = mapped();
    expect(IntelligenceEvent.decode(IntelligenceEvent.encode(event).finish())).toEqual(event);
  });
});

describe("scam_report: validation", () => {
  it.each([
    ["a missing report id", { report_id: undefined }, "report_id"],
    ["an unknown category", { category: "lottery_win" }, "category"],
    ["an unknown channel", { channel: "carrier_pigeon" }, "channel"],
    ["a negative loss", { reported_loss_nzd: -5 }, "reported_loss_nzd"],
    ["a loss in cents", { reported_loss_nzd: 99.95 }, "reported_loss_nzd"],
    ["an exact age", { victim_age_band: 81 }, "victim_age_band"],
    ["the victim's name", { victim_name: "Mere Pōmare" }, "victim_name"],
    ["the victim's date of birth", { victim_dob: "1944-02-01" }, "victim_dob"],
    ["a line break in the locality", { locality: "Mā\ntaura" }, "locality"],
  ])("rejects %s", (_name, patch, path) => {
    expect(issuePaths(record(patch))).toContain(path);
  });

  it("refuses the person reporting as a subject, at the role", () => {
    expect(issuePaths(record({ persons: [{ person_id: "P-1", name: "Mere Pōmare", role: "victim" }] }))).toEqual(["persons[0].role"]);
  });
});

describe("scam_report: synthetic records", () => {
  const records = checkSyntheticRecords(kind, at);

  it("cost nothing about a third of the time, online shopping losses stay small, unique ids", () => {
    const parsed = records.map((r) => kind.schema.parse(r));
    const free = parsed.filter((r) => r.reported_loss_nzd === 0).length / parsed.length;
    expect(free).toBeGreaterThan(0.2);
    expect(free).toBeLessThan(0.5);
    expect(Math.max(...parsed.filter((r) => r.category === "online_shopping").map((r) => r.reported_loss_nzd))).toBeLessThanOrEqual(3_000);
    expect(parsed.some((r) => r.reported_loss_nzd > 50_000)).toBe(true);
    expect(parsed.every((r) => r.persons.every((p) => p.role !== "victim"))).toBe(true);
    expect(new Set(parsed.map((r) => r.report_id)).size).toBe(records.length);
  });
});
