import { AggregateView, Agency, PoliceDistrict } from "@takitini/proto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assembleBriefing, type Briefing, type PublishedTable } from "./briefing.js";
import { AUDIENCES, EASTERN_LEADERS, SECRET } from "./briefing.fixture.js";
import { esc } from "./escape.js";
import { briefingPage } from "./html.js";
import { decodeInput, type Input } from "./inputs.js";
import { registeredLocality } from "./localities.js";
import { ENGLISH, messages } from "./messages.js";
import { addWeeks, periodOf } from "./periods.js";
import { regionBySlug } from "./regions.js";
import { AggregateStore } from "./store.js";

/**
 * Locality breakdowns in a briefing: a view's locality read only as the
 * locality table names it, counted per registered town or suburb, and
 * published through the locality rule (sdc/localities.ts) for both tiers, in
 * the JSON and on the page, in both languages.
 */

const EASTERN = regionBySlug("eastern")!;
const WEEK = "2026-W47";
const QUARTER = "2026-Q4";
let n = 0;

type Located = "police.firearms_seizure" | "mbie.exploitation_complaint";
/** What a firearms seizure and an exploitation complaint count (as the exchange's aggregate views). */
const MEASURES: Record<Located, { measure: string; category: string; value: number }[]> = {
  "police.firearms_seizure": [{ measure: "seizures", category: "firearms", value: 1 }, { measure: "firearms", category: "", value: 2 }],
  "mbie.exploitation_complaint": [{ measure: "complaints", category: "horticulture", value: 1 }, { measure: "workers", category: "horticulture", value: 3 }],
};

/** A firearms seizure or an exploitation complaint, as an aggregate view, naming `locality` (or none). */
function located(eventType: Located, week: string, locality?: string, region = "EASTERN"): Input {
  return { kind: "aggregate", deliveryId: `loc-${++n}`, eventType, region, week, measures: MEASURES[eventType], ...(locality !== undefined && { locality }) };
}
const many = (count: number, f: () => Input) => Array.from({ length: count }, f);
const complaints = (count: number, locality?: string, week = WEEK) => many(count, () => located("mbie.exploitation_complaint", week, locality));
const firearms = (count: number, locality?: string, week = WEEK) => many(count, () => located("police.firearms_seizure", week, locality));

function storeOf(...inputs: Input[][]): AggregateStore {
  const s = new AggregateStore();
  for (const i of inputs.flat()) s.apply(i);
  return s;
}
const leaders = (store: AggregateStore, lang?: "en" | "mi") =>
  assembleBriefing({ store, region: EASTERN, periodId: WEEK, rules: EASTERN_LEADERS.rules, secret: SECRET, received: EASTERN_LEADERS.received, ...(lang && { lang }) });
const everyone = (store: AggregateStore) => assembleBriefing({ store, region: EASTERN, periodId: QUARTER, rules: AUDIENCES.public.rules, secret: SECRET, received: AUDIENCES.public.received });
const table = (b: Briefing, id: string): PublishedTable | undefined => b.sections.flatMap((s) => s.tables).find((t) => t.id === id);
const value = (p: { suppressed: boolean; value: number | null }) => (p.suppressed ? null : p.value);

/** A view as the exchange writes it to a community topic, with `locality` set. */
function wire(locality: string, region = PoliceDistrict.POLICE_DISTRICT_EASTERN) {
  const v = AggregateView.fromPartial({ deliveryId: `wire-${++n}`, eventType: "mbie.exploitation_complaint", sourceAgency: Agency.AGENCY_MBIE, region, week: WEEK, measures: [{ measure: "complaints", category: "horticulture", value: 1 }], locality });
  const d = decodeInput(Buffer.from(AggregateView.encode(v).finish()), { "event-type": "aggregate.view", view: "aggregate_only", "delivery-id": v.deliveryId });
  return d.ok && d.input.kind === "aggregate" ? d.input.locality : "undecodable";
}

describe("a view's locality, as the briefing reads it", () => {
  it("is taken when the locality table registers it for the view's region, by the table's spelling", () => {
    expect(wire("Gisborne")).toBe("Gisborne");
    expect(wire("Ruatōria")).toBe("Ruatōria");
    expect(wire("Rua\u0074o\u0304ria")).toBe("Ruatōria");
    expect(wire("Ōpōtiki", PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY)).toBe("Ōpōtiki");
  });

  it("is dropped for any other text: unregistered, another district's, markup, empty — the record still counts", () => {
    for (const text of ["", "Gotham", "gisborne", " Gisborne", "Ōpōtiki", "<script>alert(1)</script>", "Gisborne\u0000", "Xqaroha Tāwhiri"]) expect(wire(text), JSON.stringify(text)).toBeUndefined();
    expect(registeredLocality("EASTERN", "Napier")).toBe("Napier");
    expect(registeredLocality("NOWHERE", "Napier")).toBeUndefined();
  });

  it("is counted per locality, once per delivery, over every category", () => {
    const [one] = complaints(1, "Napier");
    const s = storeOf(complaints(2, "Napier"), [located("mbie.exploitation_complaint", WEEK, "Gisborne")]);
    expect(s.apply(one!)).toBe(true);
    expect(s.apply(one!)).toBe(false);
    expect(s.localitiesIn("EASTERN")).toEqual(["Gisborne", "Napier"]);
    expect(s.localityCell("EASTERN", "Napier", WEEK, "mbie.exploitation_complaint", "complaints")).toEqual({ sum: 3, records: 3 });
    expect(s.localityCell("EASTERN", "Napier", WEEK, "mbie.exploitation_complaint", "workers")).toEqual({ sum: 9, records: 3 });
    expect(s.localityCell("EASTERN", "Napier", addWeeks(WEEK, -1), "mbie.exploitation_complaint", "complaints")).toEqual({ sum: 0, records: 0 });
  });
});

describe("a leader's locality breakdown", () => {
  it("shows a locality with at least 6, and counts the small one with the unlocated records as elsewhere", () => {
    const b = leaders(storeOf(complaints(8, "Gisborne"), complaints(2, "Wairoa"), complaints(1)));
    const l = table(b, "exploitation-complaints")!.localities!;
    expect(l.id).toBe("exploitation-complaints-localities");
    expect(l.title).toBe("Migrant-exploitation complaints to MBIE, by town or suburb");
    expect(l.rows.map((r) => r.locality)).toEqual(["Gisborne"]);
    expect([6, 9]).toContain(value(l.rows[0]!.value));
    expect(l.elsewhere).toEqual({ label: "Elsewhere in Eastern", value: { value: null, suppressed: true, reason: "primary" } });
    // The total is the table's own, the same cell.
    expect(l.total).toEqual(table(b, "exploitation-complaints")!.total);
    expect(l.note).toContain("at least 6");
  });

  it("folds the big locality too when the small one would be alone in elsewhere", () => {
    const l = table(leaders(storeOf(complaints(8, "Gisborne"), complaints(2, "Wairoa"))), "exploitation-complaints")!.localities!;
    expect(l.rows).toEqual([]);
    expect([9, 12]).toContain(value(l.elsewhere.value));
    expect(JSON.stringify(l)).not.toContain("Wairoa");
    expect(JSON.stringify(l)).not.toContain("Gisborne");
  });

  it("counts only the briefing's week, and only its own table's records", () => {
    const b = leaders(storeOf(complaints(9, "Napier", addWeeks(WEEK, -1)), complaints(3, "Napier"), firearms(7, "Hastings"), firearms(1, "Flaxmere"), firearms(1)));
    const c = table(b, "exploitation-complaints")!.localities!;
    expect(c.rows).toEqual([]);
    expect(c.elsewhere.value.suppressed).toBe(true);
    const f = table(b, "firearms-seizures")!.localities!;
    expect(f.id).toBe("firearms-seizures-localities");
    expect(f.rows.map((r) => r.locality)).toEqual(["Hastings"]);
  });

  it("is absent where no record in the period names a locality, and from tables no locality reaches", () => {
    const b = leaders(storeOf(complaints(12), firearms(8, "Napier", addWeeks(WEEK, -2))));
    expect(table(b, "exploitation-complaints")!.localities).toBeUndefined();
    expect(table(b, "firearms-seizures")!.localities).toBeUndefined();
    expect(table(b, "border-seizures")!.localities).toBeUndefined();
  });
});

describe("the public's locality breakdown: a quarter, threshold 10", () => {
  it("shows a locality with at least 10 in the quarter, never one under it", () => {
    const weeks = periodOf("quarter", QUARTER).weeks;
    const inputs = [...weeks.slice(0, 11).flatMap((w) => firearms(1, "Hastings", w)), ...firearms(9, "Napier", weeks[3]), ...firearms(3, undefined, weeks[5])];
    const b = everyone(storeOf(inputs));
    const l = table(b, "firearms-seizures")!.localities!;
    expect(l.rows.map((r) => r.locality)).toEqual(["Hastings"]);
    expect(Math.abs(value(l.rows[0]!.value)! - 11)).toBeLessThanOrEqual(2);
    expect(Math.abs(value(l.elsewhere.value)! - 12)).toBeLessThanOrEqual(2);
    expect(l.note).toContain("at least 10");
    // The public receives no complaints: no breakdown of them.
    expect(table(b, "exploitation-complaints")).toBeUndefined();
  });
});

describe("on the page, in both languages", () => {
  const store = storeOf(complaints(8, "Gisborne"), complaints(2, "Wairoa"), complaints(1), firearms(6, "Ruatōria"), firearms(1, "Napier"), firearms(1, "Wairoa"));

  it("a captioned table per breakdown: the localities shown, elsewhere and the total, with the rule beneath", () => {
    const html = briefingPage(leaders(store), { json: "/x" });
    const part = html.slice(html.indexOf('data-table="exploitation-complaints-localities"'));
    const t = part.slice(0, part.indexOf("</table>"));
    expect(t).toContain("<caption");
    expect(t).toContain("Migrant-exploitation complaints to MBIE, by town or suburb");
    expect(t).toContain('<th scope="col">Town or suburb</th>');
    expect(t).toContain('<th scope="row">Gisborne</th>');
    expect(t).toContain('<th scope="row">Elsewhere in Eastern</th>');
    expect(t).not.toContain("Wairoa");
    expect(html).toContain('data-table="firearms-seizures-localities"');
    expect(html).toContain('<th scope="row">Ruatōria</th>');
    expect(html).not.toContain("Wairoa");
    expect(html).toContain(ENGLISH.t("localities.note", { threshold: 6 }));
  });

  it("in te reo Māori: its words from the Māori catalogue, the place names as they are", () => {
    const mi = messages("mi");
    const b = leaders(store, "mi");
    const html = briefingPage(b, { json: "/x" }, { m: mi, here: "/", keepLang: true });
    expect(html).toContain(esc(mi.t("table.exploitation-complaints-localities")));
    expect(html).toContain(`<th scope="col">${esc(mi.t("localities.locality"))}</th>`);
    expect(html).toContain(esc(mi.t("localities.elsewhere", { region: "Eastern" })));
    expect(html).toContain('<th scope="row">Gisborne</th>');
    expect(mi.t("localities.locality")).not.toBe(ENGLISH.t("localities.locality"));
  });
});

describe("for any records (property)", () => {
  const EASTERN_PLACES = ["Flaxmere", "Gisborne", "Hastings", "Havelock North", "Napier", "Ruatōria", "Wairoa"];
  const record = fc.record({
    type: fc.constantFrom("police.firearms_seizure" as const, "mbie.exploitation_complaint" as const),
    // A registered place (three of them often, so that some reach the threshold), another district's, made-up text, or none.
    locality: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom("Gisborne", "Hastings", "Napier") },
      { weight: 2, arbitrary: fc.constantFrom(...EASTERN_PLACES) },
      { weight: 1, arbitrary: fc.constantFrom("Ōpōtiki", "Mātaura") },
      { weight: 1, arbitrary: fc.stringMatching(/^Xq[a-zā]{3,8}$/) },
      { weight: 1, arbitrary: fc.constant("") },
    ),
    weeksAgo: fc.nat({ max: 1 }),
  });

  it("publishes no locality under the threshold, none but a registered one, and no small one as the district total less the shown rows", () => {
    let shown = 0;
    fc.assert(
      fc.property(fc.array(record, { maxLength: 80, size: "max" }), (records) => {
        const s = new AggregateStore();
        const truth = new Map<string, number>();
        for (const r of records) {
          // Through the wire and the briefing's reading, as a community topic's record.
          const v = AggregateView.fromPartial({ deliveryId: `p-${++n}`, eventType: r.type, region: PoliceDistrict.POLICE_DISTRICT_EASTERN, week: addWeeks(WEEK, -r.weeksAgo), measures: MEASURES[r.type], locality: r.locality });
          const d = decodeInput(Buffer.from(AggregateView.encode(v).finish()), { "event-type": "aggregate.view", view: "aggregate_only", "delivery-id": v.deliveryId });
          if (!d.ok) throw new Error(d.reason);
          s.apply(d.input);
          // The true counts of the briefing's week: per registered Eastern locality, "" for the rest.
          const key = `${r.type}|${EASTERN_PLACES.includes(r.locality) ? r.locality : ""}`;
          if (r.weeksAgo === 0) truth.set(key, (truth.get(key) ?? 0) + 1);
        }
        const b = leaders(s);
        const json = JSON.stringify(b);
        for (const r of records) if (!EASTERN_PLACES.includes(r.locality) && r.locality !== "") expect(json).not.toContain(r.locality);
        for (const [type, id] of [["police.firearms_seizure", "firearms-seizures"], ["mbie.exploitation_complaint", "exploitation-complaints"]] as const) {
          const l = table(b, id)?.localities;
          const count = (place: string) => truth.get(`${type}|${place}`) ?? 0;
          const total = [...truth].filter(([k]) => k.startsWith(`${type}|`)).reduce((a, [, v]) => a + v, 0);
          if (!l) {
            expect(EASTERN_PLACES.every((p) => count(p) === 0)).toBe(true);
            continue;
          }
          for (const row of l.rows) {
            shown++;
            expect(EASTERN_PLACES).toContain(row.locality);
            expect(count(row.locality)).toBeGreaterThanOrEqual(6);
          }
          const derived = total - l.rows.reduce((a, r) => a + count(r.locality), 0);
          const unshown = EASTERN_PLACES.filter((p) => count(p) > 0 && !l.rows.some((r) => r.locality === p));
          if (!l.total.suppressed) for (const p of unshown) if (derived === count(p)) expect(count(p)).toBeGreaterThanOrEqual(6);
        }
      }),
      { numRuns: 300 },
    );
    expect(shown).toBeGreaterThan(20);
  });
});
