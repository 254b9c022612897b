import { describe, expect, it } from "vitest";
import { buildReport, labelOf, weeklyAnomalies, type DecisionRow, type PublishRow, type QuarterRows, type RefusalRow, type ReportTable } from "./model.js";
import { parseQuarter, previousQuarter } from "./quarter.js";

const Q3 = parseQuarter("2026-Q3")!;
const Q2 = previousQuarter(Q3);
const inQ3 = new Date("2026-08-10T00:00:00Z");
const inQ2 = new Date("2026-05-10T00:00:00Z");

const pub = (at: Date, region: string, ...outcome: [string, number, string?][]): PublishRow => ({ at, region, eventType: "t", outcome: outcome.map(([measure, value, category]) => ({ measure, value, category: category ?? "" })) });
const dec = (at: Date, region: string, subscriberId: string, outcome: "allow" | "deny", legalBasis = ""): DecisionRow => ({ at, region, subscriberId, outcome, legalBasis });
const refusal = (at: Date, code: string, count = 1): RefusalRow => ({ at, kind: count === 1 ? "refusal" : "refusal_summary", service: "police-adapter", code, count });
const rows = (publishes: PublishRow[] = [], decisions: DecisionRow[] = [], refusals: RefusalRow[] = []): QuarterRows => ({ publishes, decisions, refusals });

const table = (tables: ReportTable[], id: string) => tables.find((t) => t.id === id)!;
const cell = (t: ReportTable, ...labels: string[]) => t.rows.find((r) => labels.every((l, i) => r.labels[i] === l));

const current = rows(
  [
    pub(inQ3, "eastern", ["operations_resolved", 1], ["arrests", 39], ["charges", 205], ["families_affected", 12], ["children_affected", 47], ["support_notices", 1], ["support_needed", 1, "whanau_navigation"]),
    pub(inQ3, "southern", ["operations_resolved", 1], ["arrests", 20]),
    pub(inQ3, "eastern", ["wastewater_samples", 1, "methamphetamine"], ["wastewater_grams", 100, "methamphetamine"]),
    pub(inQ3, "eastern", ["wastewater_samples", 1, "methamphetamine"], ["wastewater_grams", 60, "methamphetamine"]),
    pub(inQ3, "eastern", ["funding_cents", 150_000_00], ["people_served", 30, "addiction_treatment"], ["people_served", 5, "rangatahi_mentoring"]),
    pub(inQ3, "eastern", ["referrals", 1, "whanau_navigation"], ["referred_whanau", 3, "whanau_navigation"], ["referred_children", 7, "whanau_navigation"]),
    pub(inQ3, "eastern", ["exploitation_complaints", 1, "horticulture"], ["workers_affected", 7, "horticulture"]),
    // Dated in the previous quarter: never counted in this one, even if handed in with it.
    pub(inQ2, "eastern", ["arrests", 1000]),
  ],
  [dec(inQ3, "eastern", "customs", "allow", "IPP 11(e)"), dec(inQ3, "eastern", "customs", "allow", "IPP 11(e)"), dec(inQ3, "eastern", "msd", "allow", ""), dec(inQ3, "eastern", "community-eastern", "deny"), dec(inQ3, "southern", "customs", "allow", "IPP 11(e)")],
  [refusal(inQ3, "PUBLISHER_NOT_FOR_AGENCY"), refusal(inQ3, "PUBLISHER_CERTIFICATE_REQUIRED", 14)],
);
const prior = rows(
  [pub(inQ2, "eastern", ["arrests", 10], ["wastewater_samples", 1, "methamphetamine"], ["wastewater_grams", 160, "methamphetamine"], ["exploitation_complaints", 1, "construction"])],
  [dec(inQ2, "eastern", "customs", "allow", "IPP 11(e)")],
  [refusal(inQ2, "PUBLISHER_CERTIFICATE_REQUIRED", 4)],
);

describe("buildReport", () => {
  const eastern = buildReport({ quarter: Q3, previous: Q2, region: "eastern", current, prior });
  const national = buildReport({ quarter: Q3, previous: Q2, region: "national", current, prior });

  it("names its quarter, the previous one and the region", () => {
    expect(eastern).toMatchObject({ quarter: "2026-Q3", previousQuarter: "2026-Q2", region: "eastern", regionName: "Eastern", from: "2026-06-30T12:00:00.000Z", to: "2026-09-30T11:00:00.000Z" });
    expect(national.regionName).toMatch(/New Zealand/);
  });

  it("operations: sums over the region's publishes in the quarter, with the previous quarter and the change", () => {
    const ops = table(eastern.tables, "operations");
    expect(cell(ops, "Arrests")).toEqual({ labels: ["Arrests"], current: 39, previous: 10, change: 29, changeRatio: 2.9 });
    expect(cell(ops, "Operations resolved (arrests made)")).toMatchObject({ current: 1, previous: 0, changeRatio: null });
    expect(cell(ops, "Support notices sent")!.current).toBe(1);
    expect(cell(table(national.tables, "operations"), "Arrests")!.current).toBe(59);
  });

  it("drug harm: the mean weekly grams per sample and its trend", () => {
    const d = table(eastern.tables, "drug_harm");
    expect(cell(d, "Methamphetamine", "Samples")).toMatchObject({ current: 2, previous: 1 });
    expect(cell(d, "Methamphetamine", "Mean estimated weekly grams")).toMatchObject({ current: 80, previous: 160, change: -80, changeRatio: -0.5 });
  });

  it("funding in dollars, people served by service with a total", () => {
    expect(cell(table(eastern.tables, "funding"), "Funding reported (NZD)")!.current).toBe(150_000);
    const s = table(eastern.tables, "services");
    expect(cell(s, "Addiction treatment")!.current).toBe(30);
    expect(s.rows.at(-1)).toMatchObject({ labels: ["All services"], current: 35, total: true });
  });

  it("referrals and support needed by service", () => {
    const r = table(eastern.tables, "referrals");
    expect(cell(r, "Whānau navigation", "Named in support notices")!.current).toBe(1);
    expect(cell(r, "Whānau navigation", "Children referred")!.current).toBe(7);
  });

  it("exploitation complaints by industry, an industry of the previous quarter kept at 0", () => {
    const e = table(eastern.tables, "exploitation");
    expect(cell(e, "Horticulture", "Complaints")).toMatchObject({ current: 1, previous: 0 });
    expect(cell(e, "Construction", "Complaints")).toMatchObject({ current: 0, previous: 1, change: -1, changeRatio: -1 });
  });

  it("disclosures by partner and legal basis, denials by partner; the region's only", () => {
    const d = table(eastern.tables, "disclosures");
    expect(cell(d, "customs", "IPP 11(e)")).toMatchObject({ current: 2, previous: 1 });
    expect(cell(d, "msd", "(none recorded)")!.current).toBe(1);
    expect(d.rows.at(-1)).toMatchObject({ current: 3, total: true });
    expect(cell(table(national.tables, "disclosures"), "customs", "IPP 11(e)")!.current).toBe(3);
    expect(cell(table(eastern.tables, "denials"), "community-eastern")!.current).toBe(1);
  });

  it("refusals: national only, summaries counted by their count", () => {
    expect(eastern.tables.some((t) => t.id === "refusals")).toBe(false);
    const r = table(national.tables, "refusals");
    expect(cell(r, "police-adapter", "PUBLISHER_CERTIFICATE_REQUIRED")).toMatchObject({ current: 14, previous: 4 });
    expect(r.rows.at(-1)).toMatchObject({ current: 15, previous: 4 });
  });

  it("refuses a region that is not a district", () => {
    expect(() => buildReport({ quarter: Q3, previous: Q2, region: "atlantis", current, prior })).toThrow(RangeError);
  });

  it("labels codes as readers say them", () => {
    expect(labelOf("whanau_navigation")).toBe("Whānau navigation");
    expect(labelOf("mdma")).toBe("MDMA");
    expect(labelOf("")).toBe("Unspecified");
  });
});

describe("weeklyAnomalies", () => {
  it("flags a week far above the partner's earlier weeks, and not a steady partner", () => {
    const since = Q2.from;
    const week = (n: number) => new Date(since.getTime() + n * 7 * 86_400_000 + 3_600_000);
    const decisions: DecisionRow[] = [];
    for (let w = 0; w < 20; w++) {
      decisions.push(dec(week(w), "eastern", "steady", "allow"), dec(week(w), "eastern", "steady", "allow"));
      decisions.push(dec(week(w), "eastern", "spiky", "deny"));
    }
    for (let i = 0; i < 30; i++) decisions.push(dec(week(17), "eastern", "spiky", "deny"));
    const flagged = weeklyAnomalies(decisions, since, Q3.from, Q3.to);
    expect([...flagged.entries()]).toEqual([["spiky|deny", 1]]);
  });
});
