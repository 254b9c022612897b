import { describe, expect, it } from "vitest";
import { CountBand, OperationPhase } from "@takitini/proto";
import { assembleBriefing, type Briefing, type PublishedTable } from "./briefing.js";
import { AUDIENCES, complaints, EASTERN_LEADERS, kafkaAggregate, kafkaNotice, notice, restraints, sars, scams, SECRET, seizures, siteWastewater, wastewater } from "./briefing.fixture.js";
import { barChart } from "./chart.js";
import { digestKey, digestMessage, dueDigests } from "./digest.js";
import { briefingPage } from "./html.js";
import { decodeInput, type Input } from "./inputs.js";
import { addWeeks } from "./periods.js";
import { regionBySlug } from "./regions.js";
import { AggregateStore } from "./store.js";

const EASTERN = regionBySlug("eastern")!;
const OTHERS = ["cocaine", "mdma", "precursors", "firearms", "counterfeit_goods"];
const WEEK = "2026-W47";

function storeOf(...inputs: Input[][]): AggregateStore {
  const s = new AggregateStore();
  for (const i of inputs.flat()) s.apply(i);
  return s;
}

const leaderBriefing = (store: AggregateStore, week = WEEK) =>
  assembleBriefing({ store, region: EASTERN, periodId: week, rules: EASTERN_LEADERS.rules, secret: SECRET, received: EASTERN_LEADERS.received });
const publicBriefing = (store: AggregateStore, quarter = "2026-Q4") =>
  assembleBriefing({ store, region: EASTERN, periodId: quarter, rules: AUDIENCES.public.rules, secret: SECRET, received: AUDIENCES.public.received });

const table = (b: Briefing, id: string): PublishedTable => b.sections.flatMap((s) => s.tables).find((t) => t.id === id)!;
const cell = (t: PublishedTable, code: string) => t.values[t.columns.findIndex((c) => c.code === code)]!;

describe("inputs from a community topic", () => {
  it("takes codes and numbers from an aggregate view", () => {
    const d = decodeInput(kafkaAggregate({ measures: [{ measure: "seizures", category: "methamphetamine", value: 1 }] }).value, kafkaAggregate({}).headers);
    expect(d).toMatchObject({ ok: true, input: { kind: "aggregate", region: "EASTERN", week: "2026-W47", measures: [{ measure: "seizures", category: "methamphetamine", value: 1 }] } });
  });
  it("takes only week, phase, stage, the bands of families and children and support from a de-identified notice", () => {
    const m = kafkaNotice();
    const d = decodeInput(m.value, m.headers);
    expect(d.ok && d.input).toEqual({ kind: "notice", deliveryId: expect.any(String), region: "EASTERN", week: "2026-W47", phase: "resolution", stage: "clear", families: "10_to_19", children: "20_to_49", support: ["whanau_navigation"] });
  });
  it("refuses a notice without a band, a week, a delivery id, or in a phase before resolution", () => {
    for (const bad of [{ familiesAffected: CountBand.COUNT_BAND_UNSPECIFIED }, { week: "" }, { phase: OperationPhase.OPERATION_PHASE_ACTIVE }]) {
      const m = kafkaNotice(bad);
      expect(decodeInput(m.value, m.headers)).toEqual({ ok: false, reason: "INVALID_NOTICE" });
    }
    const m = kafkaNotice({ deliveryId: "" });
    expect(decodeInput(m.value, { ...m.headers, "delivery-id": undefined })).toEqual({ ok: false, reason: "INVALID_NOTICE" });
  });
  it("refuses anything else: a full view, an unknown type, garbage", () => {
    const m = kafkaNotice();
    expect(decodeInput(m.value, { ...m.headers, view: "full" })).toEqual({ ok: false, reason: "UNEXPECTED_VIEW" });
    expect(decodeInput(m.value, { ...m.headers, "event-type": "police.organised_crime_noting" })).toEqual({ ok: false, reason: "UNKNOWN_EVENT_TYPE" });
    // An event on a community topic (as a redacted view once was) is not read at all.
    expect(decodeInput(m.value, { ...m.headers, "event-type": "police.operation_update" })).toEqual({ ok: false, reason: "UNKNOWN_EVENT_TYPE" });
    expect(decodeInput(Buffer.from([0xff, 0xff, 0xff]), kafkaAggregate({}).headers)).toMatchObject({ ok: false });
  });

  it("takes a wastewater site's name from a view, and only a plain place name", () => {
    const site = (name: string) => {
      const k = kafkaAggregate({ eventType: "police.wastewater_indicator", site: name, measures: [{ measure: "estimated_weekly_grams", category: "methamphetamine", value: 40 }] });
      const d = decodeInput(k.value, k.headers);
      return d.ok && d.input.kind === "aggregate" ? d.input.site : "undecodable";
    };
    expect(site("Ōpōtiki")).toBe("Ōpōtiki");
    expect(site("O\u0304po\u0304tiki")).toBe("Ōpōtiki");
    expect(site("Palmerston North (Tōtara Road)")).toBe("Palmerston North (Tōtara Road)");
    expect(site("")).toBeUndefined();
    expect(site("<script>alert(1)</script>")).toBeUndefined();
    expect(site("Napier\u0000")).toBeUndefined();
    expect(site("x".repeat(101))).toBeUndefined();
    expect(decodeInput(null, undefined)).toEqual({ ok: false, reason: "EMPTY_VALUE" });
  });
});

describe("incremental aggregates", () => {
  it("counts a redelivered decision once", () => {
    const [one] = seizures(WEEK, "methamphetamine", 1);
    const s = new AggregateStore();
    expect(s.apply(one!)).toBe(true);
    expect(s.apply(one!)).toBe(false);
    expect(s.cell("EASTERN", WEEK, "customs.border_seizure", "seizures", "methamphetamine")).toEqual({ sum: 1, records: 1 });
  });
});

describe("a leader's weekly briefing", () => {
  it.each([
    [0, null],
    [1, null],
    [2, null],
    [5, null],
  ])("suppresses %i seizures of a commodity", (count, expected) => {
    const b = leaderBriefing(storeOf(seizures(WEEK, "methamphetamine", count), seizures(WEEK, "cocaine", 20)));
    const t = table(b, "border-seizures");
    expect(cell(t, "methamphetamine").suppressed ? null : cell(t, "methamphetamine").value).toBe(expected);
    // …and, the total being published, a second cell too, so it cannot be worked out.
    if (count > 0 && !t.total.suppressed) expect(t.values.filter((v) => v.suppressed && v.reason === "secondary").length).toBeGreaterThanOrEqual(1);
  });

  it("hides a lone small cell's neighbour when the rest are zeros, so the total cannot give it away", () => {
    const t = table(leaderBriefing(storeOf(seizures(WEEK, "methamphetamine", 9), seizures(WEEK, "cocaine", 2))), "border-seizures");
    expect(cell(t, "cocaine")).toMatchObject({ suppressed: true, reason: "primary" });
    expect(cell(t, "methamphetamine")).toMatchObject({ suppressed: true, reason: "secondary" });
    expect(t.total.suppressed).toBe(false);
    expect(Math.abs(t.total.value! - 11)).toBeLessThanOrEqual(2);
  });

  it.each([6, 7, 13])("publishes %i seizures rounded to base 3, the same on every request", (count) => {
    // Every other commodity publishable too: a hidden zero beside it would take it down with it (secondary).
    const store = storeOf(seizures(WEEK, "methamphetamine", count), ...OTHERS.map((c) => seizures(WEEK, c, 9)));
    const t = table(leaderBriefing(store), "border-seizures");
    const v = cell(t, "methamphetamine");
    expect(v.suppressed).toBe(false);
    expect(v.value! % 3).toBe(0);
    expect(Math.abs(v.value! - count)).toBeLessThanOrEqual(2);
    for (let i = 0; i < 5; i++) expect(cell(table(leaderBriefing(store), "border-seizures"), "methamphetamine")).toEqual(v);
    expect(t.total.value! % 3).toBe(0);
  });

  it("publishes workers affected only when enough complaints are behind them", () => {
    const b = leaderBriefing(storeOf(complaints(WEEK, "horticulture", 1, 14), complaints(WEEK, "construction", 9, 3), complaints(WEEK, "hospitality", 8, 2)));
    const t = table(b, "exploitation-complaints");
    const workers = t.sums.find((s) => s.id === "workers")!;
    expect(workers.values[t.columns.findIndex((c) => c.code === "horticulture")]!.suppressed).toBe(true);
    expect(cell(t, "horticulture").suppressed).toBe(true);
  });

  it("compares wastewater with the quarter before", () => {
    const inputs: Input[] = [];
    for (let i = 0; i < 26; i++) inputs.push(wastewater(addWeeks(WEEK, -i), "methamphetamine", i < 13 ? 50 : 100));
    const b = leaderBriefing(storeOf(inputs));
    const drugs = b.sections.find((s) => s.id === "drugs")!;
    const meth = drugs.wastewater!.drugs.find((d) => d.drug === "methamphetamine")!;
    expect(meth.change).toEqual({ suppressed: false, percent: -50, direction: "down" });
    expect(drugs.summary.join(" ")).toMatch(/methamphetamine use is down about 50%/);
    expect(drugs.wastewater!.drugs.find((d) => d.drug === "cocaine")!.change.suppressed).toBe(true);
  });

  it("shows each named site's own trend beside the district's, by the same sample rule", () => {
    const inputs: Input[] = [];
    for (let i = 0; i < 26; i++) {
      // Gisborne falls by half; Napier holds steady; across the district the fall is diluted.
      inputs.push(siteWastewater(addWeeks(WEEK, -i), "Gisborne", "methamphetamine", i < 13 ? 40 : 80));
      inputs.push(siteWastewater(addWeeks(WEEK, -i), "Napier", "methamphetamine", 60));
    }
    // Wairoa: two samples only, too few to compare.
    inputs.push(siteWastewater(WEEK, "Wairoa", "methamphetamine", 90), siteWastewater(addWeeks(WEEK, -20), "Wairoa", "methamphetamine", 10));
    const drugs = leaderBriefing(storeOf(inputs)).sections.find((s) => s.id === "drugs")!;
    const sites = drugs.wastewater!.sites;
    expect(sites.map((s) => s.site)).toEqual(["Gisborne", "Napier", "Wairoa"]);
    expect(sites[0]!.drugs.map((d) => d.drug)).toEqual(["methamphetamine"]);
    expect(sites[0]!.drugs[0]!.change).toEqual({ suppressed: false, percent: -50, direction: "down" });
    expect(sites[1]!.drugs[0]!.change).toMatchObject({ suppressed: false, direction: "steady" });
    expect(sites[2]!.drugs[0]!.change.suppressed).toBe(true);
    expect(sites[2]!.drugs[0]!.current.suppressed).toBe(true);
    expect(drugs.summary.join(" ")).toMatch(/At the Gisborne treatment site, estimated methamphetamine use is down about 50% on the previous quarter\./);
    expect(drugs.summary.join(" ")).not.toMatch(/Napier|Wairoa/);
    const district = drugs.wastewater!.drugs.find((d) => d.drug === "methamphetamine")!.change;
    expect(district).toMatchObject({ suppressed: false, direction: "down" });
    expect(Math.abs((district as { percent: number }).percent)).toBeLessThan(50);
    const html = briefingPage(leaderBriefing(storeOf(inputs)), { json: "/v1/briefings/eastern?week=2026-W47" });
    expect(html).toContain('data-table="wastewater-sites"');
    expect(html).toMatch(/<th scope="rowgroup" rowspan="1">Gisborne<\/th>/);
  });

  it("names no site when the views name none", () => {
    const inputs: Input[] = [];
    for (let i = 0; i < 26; i++) inputs.push(wastewater(addWeeks(WEEK, -i), "methamphetamine", 50));
    const drugs = leaderBriefing(storeOf(inputs)).sections.find((s) => s.id === "drugs")!;
    expect(drugs.wastewater!.sites).toEqual([]);
  });

  it("lists support notices with their families and children as bands, under 6 suppressed", () => {
    const b = leaderBriefing(storeOf([notice(WEEK, "10_to_19", "20_to_49"), notice(WEEK, "fewer_than_6", "fewer_than_6")]));
    const ops = b.sections.find((s) => s.id === "operations")!;
    expect(ops.notices).toHaveLength(2);
    expect(ops.notices!.map((x) => [x.families, x.children])).toEqual(
      expect.arrayContaining([
        [{ suppressed: false, band: "10_to_19", label: "10–19" }, { suppressed: false, band: "20_to_49", label: "20–49" }],
        [{ suppressed: true }, { suppressed: true }],
      ]),
    );
    const html = briefingPage(b, { json: "/v1/briefings/eastern?week=2026-W47" });
    expect(html).toContain("Families affected: 10–19 · Children affected: 20–49");
    expect(html).toContain('Families affected: <span class="s" title="suppressed">s</span>');
  });

  it("shows fraud and scam figures under disclosure control, with the guidance kept", () => {
    const inputs: Input[] = [
      ...scams(WEEK, "impersonation", "phone_call", 9, 8_400),
      ...scams(WEEK, "online_shopping", "online_marketplace", 7, 300),
      ...scams(WEEK, "romance", "social_media", 2, 95_000),
      ...sars(WEEK, "bank", ["structuring", "money_mule_accounts"], 7, 3),
      ...sars(WEEK, "casino", ["structuring"], 1, 40),
      ...restraints(WEEK, "restrained", [["real_property", 1, 640_000], ["vehicle", 2, 80_000]], 6),
      ...restraints(WEEK, "forfeited", [["cash", 1, 12_000]], 2),
    ];
    const b = leaderBriefing(storeOf(inputs));
    const fraud = b.sections.find((s) => s.id === "fraud")!;
    expect(fraud.available).toBe(true);
    expect(fraud.tables.map((t) => t.id)).toEqual(["scam-reports", "scam-channels", "suspicious-activity", "suspicious-activity-typologies", "assets-restrained", "assets-forfeited"]);
    expect(fraud.report.map((r) => r.how).join(" ")).toMatch(/bank/);
    expect(fraud.watchFor.length).toBeGreaterThan(0);

    const scamTable = table(b, "scam-reports");
    // Nine and seven reports are published (rounded to base 3); two romance scams are not, nor is a total that would give them away.
    expect(cell(scamTable, "impersonation")).toMatchObject({ suppressed: false });
    expect(Math.abs(cell(scamTable, "impersonation").value! - 9)).toBeLessThanOrEqual(2);
    expect(cell(scamTable, "romance")).toMatchObject({ suppressed: true, reason: "primary" });
    expect(scamTable.values.filter((v) => v.suppressed && v.reason === "secondary").length).toBeGreaterThanOrEqual(1);
    // The romance losses (two people, $190,000) never show: the sum rests on a suppressed count.
    const loss = scamTable.sums.find((x) => x.id === "loss")!;
    expect(loss.values[scamTable.columns.findIndex((c) => c.code === "romance")]).toMatchObject({ suppressed: true });
    const lost = loss.values[scamTable.columns.findIndex((c) => c.code === "impersonation")]!;
    expect(lost.suppressed).toBe(false);
    expect(lost.value! % 1_000).toBe(0);
    expect(Math.abs(lost.value! - 9 * 8_400)).toBeLessThan(1_000);
    expect(cell(table(b, "scam-channels"), "phone_call").suppressed).toBe(false);
    expect(table(b, "scam-channels").localities).toBeUndefined();

    // Seven bank summaries of 3 reports each: 21 reports; one casino summary is too few, whatever its 40 reports.
    const sar = table(b, "suspicious-activity");
    expect(Math.abs(cell(sar, "bank").value! - 21)).toBeLessThanOrEqual(2);
    expect(cell(sar, "casino")).toMatchObject({ suppressed: true });
    // By pattern: structuring rests on eight summaries and is shown; the rest on too few (or none) are not.
    const typologies = table(b, "suspicious-activity-typologies");
    expect(Math.abs(cell(typologies, "structuring").value! - 61)).toBeLessThanOrEqual(2);
    expect(cell(typologies, "scam_proceeds")).toMatchObject({ suppressed: true });

    // Six orders restrained a house each and two vehicles each; two forfeitures are too few to show at all.
    const restrained = table(b, "assets-restrained");
    expect(Math.abs(cell(restrained, "vehicle").value! - 12)).toBeLessThanOrEqual(2);
    // Houses and land are held back with the empty classes, so that the total cannot give them away; their value with them.
    expect(cell(restrained, "real_property")).toMatchObject({ suppressed: true, reason: "secondary" });
    const values = restrained.sums[0]!;
    expect(values.values[restrained.columns.findIndex((c) => c.code === "real_property")]).toMatchObject({ suppressed: true });
    const vehicles = values.values[restrained.columns.findIndex((c) => c.code === "vehicle")]!;
    expect(Math.abs(vehicles.value! - 6 * 80_000)).toBeLessThan(1_000);
    expect(Math.abs(values.total.value! - 6 * 720_000)).toBeLessThan(1_000);
    const forfeited = table(b, "assets-forfeited");
    expect(cell(forfeited, "cash")).toMatchObject({ suppressed: true });
    expect(forfeited.sums[0]!.total.suppressed).toBe(true);

    expect(fraud.summary[0]).toMatch(/not proven offending/);
    expect(fraud.summary.join(" ")).toMatch(/Scams reported to Police in Eastern this week: about \d+\./);
    expect(b.disclosureControl.notes.join(" ")).toMatch(/Dollar amounts are rounded to the nearest \$1,000/);
    const html = briefingPage(b, { json: "/v1/briefings/eastern?week=2026-W47" });
    expect(html).toContain("Scams reported to Police, by kind of scam");
    expect(html).toContain("Posing as an official or a bank");
    expect(html).toContain("Money reported lost ($)");
    expect(html).not.toContain("190000");
  });

  it("publishes no fraud figure for a quiet week: everything under the threshold, the guidance still there", () => {
    const fraud = leaderBriefing(storeOf(scams(WEEK, "investment", "email", 2, 50_000))).sections.find((s) => s.id === "fraud")!;
    expect(fraud.available).toBe(true);
    const t = fraud.tables.find((x) => x.id === "scam-reports")!;
    expect(t.total.suppressed).toBe(true);
    expect(t.sums[0]!.total.suppressed).toBe(true);
    expect(fraud.summary.join(" ")).toMatch(/too few to publish safely/);
    expect(fraud.report.length).toBeGreaterThan(0);
  });

  it("has no fraud figures for a tier the policy releases none to, and says so", () => {
    const fraud = assembleBriefing({ store: new AggregateStore(), region: EASTERN, periodId: WEEK, rules: EASTERN_LEADERS.rules, secret: SECRET, received: new Set(["customs.border_seizure"]) }).sections.find((s) => s.id === "fraud")!;
    expect(fraud).toMatchObject({ available: false, tables: [] });
    expect(fraud.summary[0]).toMatch(/not released to this tier/);
  });

  it("is in te reo Māori when asked", () => {
    const b = assembleBriefing({ store: storeOf(scams(WEEK, "impersonation", "phone_call", 9, 100)), region: EASTERN, periodId: WEEK, rules: EASTERN_LEADERS.rules, secret: SECRET, received: EASTERN_LEADERS.received, lang: "mi" });
    const fraud = b.sections.find((s) => s.id === "fraud")!;
    expect(fraud.tables[0]!.title).toBe("Ngā hīanga i pūrongotia ki ngā Pirihimana, mā te momo hīanga");
    expect(fraud.tables[0]!.columns.find((c) => c.code === "impersonation")!.label).toBe("He tangata e kī ana he āpiha, he pēke rānei ia");
  });
});

describe("the public tier's fraud and scam figures", () => {
  it("cover the quarter, suppress under 10 and round dollars to $10,000", () => {
    const pub = publicBriefing(storeOf(scams("2026-W41", "phishing_remote_access", "text_message", 6, 2_000), scams("2026-W45", "phishing_remote_access", "text_message", 6, 2_000)));
    const t = table(pub, "scam-reports");
    // One kind of scam in the quarter: the total is published, the cell (the same number) is not, nor the empty ones.
    expect(Math.abs(t.total.value! - 12)).toBeLessThanOrEqual(2);
    expect(cell(t, "phishing_remote_access")).toMatchObject({ suppressed: true, reason: "secondary" });
    // Eight reports in a quarter are under the public threshold, though a leader's week would show them.
    expect(cell(table(publicBriefing(storeOf(scams("2026-W45", "investment", "email", 8, 30_000))), "scam-reports"), "investment")).toMatchObject({ suppressed: true, reason: "primary" });
    const lost = t.sums[0]!.total;
    expect(lost.value! % 10_000).toBe(0);
    expect(Math.abs(lost.value! - 24_000)).toBeLessThan(10_000);
    expect(pub.disclosureControl.notes.join(" ")).toMatch(/\$10,000/);
  });
});

describe("the public tier is coarser", () => {
  it("covers a quarter, merges commodities and suppresses under 10", () => {
    const weeks = ["2026-W40", "2026-W44", "2026-W50"];
    const store = storeOf(...weeks.map((w) => seizures(w, "methamphetamine", 3)), seizures("2026-W41", "cocaine", 4), seizures("2026-W42", "mdma", 4));
    const pub = publicBriefing(store);
    const t = table(pub, "border-seizures");
    expect(t.columns.map((c) => c.code)).toEqual(["methamphetamine", "other_drugs", "other_goods"]);
    expect(cell(t, "other_drugs").suppressed).toBe(true); // 8 < 10
    expect(cell(t, "methamphetamine").suppressed).toBe(true); // 9 < 10
    const leader = table(leaderBriefing(storeOf(seizures(WEEK, "methamphetamine", 9), ...OTHERS.map((c) => seizures(WEEK, c, 9)))), "border-seizures");
    expect(cell(leader, "methamphetamine").suppressed).toBe(false); // 9 ≥ 6
  });
  it("receives no exploitation complaints or support notices", () => {
    const pub = publicBriefing(new AggregateStore());
    expect(pub.sections.find((s) => s.id === "exploitation")!.available).toBe(false);
    expect(pub.sections.find((s) => s.id === "operations")!.available).toBe(false);
  });
});

describe("rendering", () => {
  it("escapes everything and draws suppressed points as suppressed, not zero", () => {
    const svg = barChart({ id: "t", title: "<script>alert(1)</script>", unit: "seizures", points: [{ period: "2026-W46", label: "W46", value: { value: 9, suppressed: false } }, { period: "2026-W47", label: "W47", value: { value: null, suppressed: true, reason: "primary" } }] }, "c");
    expect(svg).not.toContain("<script>");
    expect(svg).toContain("&lt;script&gt;");
    expect(svg).toMatch(/role="img" aria-labelledby="c-title c-desc"/);
    expect(svg).toContain("W47: suppressed");
    const html = briefingPage(leaderBriefing(storeOf(seizures(WEEK, "methamphetamine", 9))), { json: "/v1/briefings/eastern?week=2026-W47" });
    expect(html).toContain('<meta name="viewport"');
    expect(html).toContain("@media print");
    expect(html).not.toMatch(/<script/i);
    expect(html).toContain('data-table="border-seizures"');
  });
});

describe("the weekly digest", () => {
  it("is due once per region and completed period, for each audience, after the grace period", () => {
    const now = new Date("2026-11-25T00:00:00Z");
    const due = dueDigests([EASTERN_LEADERS], new Set(), now, { lookback: 2, graceMs: 0 });
    expect(due.map((d) => d.key)).toEqual(["eastern/leader.community-eastern/2026-W47", "eastern/leader.community-eastern/2026-W46"]);
    expect(dueDigests([EASTERN_LEADERS], new Set(due.map((d) => d.key)), now, { lookback: 2, graceMs: 0 })).toEqual([]);
    expect(dueDigests([EASTERN_LEADERS], new Set(), now, { lookback: 1, graceMs: 7 * 86_400_000 }).map((d) => d.period)).toEqual([]);
    const pub = dueDigests([AUDIENCES.public], new Set(), now, { lookback: 1, graceMs: 0 });
    expect(pub).toHaveLength(12);
    expect(pub[0]!.key).toBe("northland/public/2026-Q3");
  });
  it("carries the briefing, keyed region/audience/period", () => {
    const d = { key: digestKey(EASTERN, EASTERN_LEADERS, WEEK), audience: EASTERN_LEADERS, region: EASTERN, period: WEEK };
    const m = digestMessage(d, leaderBriefing(new AggregateStore()));
    expect(m.key).toBe("eastern/leader.community-eastern/2026-W47");
    expect(JSON.parse(m.value.toString())).toMatchObject({ schema: "takitini.briefing.digest.v1", briefing: { region: { slug: "eastern" }, period: { id: WEEK } } });
  });
});

