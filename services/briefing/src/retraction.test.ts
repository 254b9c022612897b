/**
 * Corrections and withdrawals in community figures: an AggregateView with
 * `retraction: true` takes back, once, an earlier contribution of a record
 * that was corrected or withdrawn (the same codes and values), from every cell
 * it was added to. Decoded as the feed decodes each record of the community
 * topic (decodeInput → AggregateStore.apply: the same path the store is rebuilt
 * by at start), so what holds here holds for a rebuilt store.
 */
import { AggregateView, PoliceDistrict } from "@takitini/proto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assembleBriefing, type PublishedTable } from "./briefing.js";
import { EASTERN_LEADERS, kafkaAggregate, SECRET, seizures } from "./briefing.fixture.js";
import { decodeInput, type AggregateInput, type Input } from "./inputs.js";
import { addWeeks } from "./periods.js";
import { regionBySlug } from "./regions.js";
import { AggregateStore } from "./store.js";

const WEEK = "2026-W47";
const SEIZURE = "customs.border_seizure";
const EASTERN = regionBySlug("eastern")!;

let n = 0;
const retractionId = () => `00000000-0000-5000-9000-${String(++n).padStart(12, "0")}`;

/** The retraction the exchange sends for an earlier contribution: the same codes and values under its own delivery id. */
const retractionOf = (input: Input): AggregateInput => ({ ...(input as AggregateInput), deliveryId: retractionId(), retraction: true });

const storeOf = (inputs: readonly Input[]) => {
  const s = new AggregateStore();
  for (const i of inputs) s.apply(i);
  return s;
};

/** What a community topic's records become in the store, decoded as the feed decodes them. */
function fromTopic(views: readonly Partial<AggregateView>[]): AggregateStore {
  const s = new AggregateStore();
  for (const v of views) {
    const m = kafkaAggregate(v);
    const d = decodeInput(m.value, m.headers);
    if (d.ok) s.apply(d.input);
  }
  return s;
}

describe("decoding a retraction", () => {
  it("is an aggregate input flagged as a retraction, validated as any view (a failing measure dropped)", () => {
    const m = kafkaAggregate({ retraction: true, measures: [{ measure: "seizures", category: "methamphetamine", value: 1 }, { measure: "Bad Code", category: "", value: 1 }, { measure: "grams", category: "methamphetamine", value: -5 }] });
    const d = decodeInput(m.value, m.headers);
    expect(d).toMatchObject({ ok: true, input: { kind: "aggregate", retraction: true, measures: [{ measure: "seizures", category: "methamphetamine", value: 1 }] } });
  });

  it("an ordinary view is not one; a retraction of an invalid view is refused like the view", () => {
    const plain = kafkaAggregate({ measures: [{ measure: "seizures", category: "mdma", value: 1 }] });
    const d = decodeInput(plain.value, plain.headers);
    expect(d.ok && d.input.kind === "aggregate" && "retraction" in d.input).toBe(false);
    const bad = kafkaAggregate({ retraction: true, week: "2026-W99" });
    expect(decodeInput(bad.value, bad.headers)).toEqual({ ok: false, reason: "INVALID_AGGREGATE" });
  });
});

describe("a retraction in the aggregates", () => {
  it("subtracts the contribution once from its district, site and locality cells, and counts once per its own delivery id", () => {
    const view = { eventType: "police.wastewater_indicator", measures: [{ measure: "estimated_weekly_grams", category: "methamphetamine", value: 40 }], site: "Gisborne", locality: "Napier" };
    const first = kafkaAggregate(view);
    const second = kafkaAggregate({ ...view, measures: [{ measure: "estimated_weekly_grams", category: "methamphetamine", value: 25 }] });
    const s = new AggregateStore();
    const decode = (m: ReturnType<typeof kafkaAggregate>) => {
      const d = decodeInput(m.value, m.headers);
      if (!d.ok || d.input.kind !== "aggregate") throw new Error("expected an aggregate");
      return d.input;
    };
    const a = decode(first);
    s.apply(a);
    s.apply(decode(second));
    expect(a.site).toBe("Gisborne");
    expect(a.locality).toBe("Napier");
    const back = decode(kafkaAggregate({ ...view, retraction: true }));
    expect(s.apply(back)).toBe(true);
    expect(s.apply(back)).toBe(false); // redelivered: taken back once
    expect(s.cell("EASTERN", WEEK, "police.wastewater_indicator", "estimated_weekly_grams", "methamphetamine")).toEqual({ sum: 25, records: 1 });
    expect(s.siteCell("EASTERN", "Gisborne", WEEK, "police.wastewater_indicator", "estimated_weekly_grams", "methamphetamine")).toEqual({ sum: 25, records: 1 });
    expect(s.localityCell("EASTERN", "Napier", WEEK, "police.wastewater_indicator", "estimated_weekly_grams")).toEqual({ sum: 25, records: 1 });
    expect(s.unmatchedRetractions).toBe(0);
  });

  it("never goes below zero: a retraction that finds nothing (or too little) is clamped and counted as unmatched", () => {
    const [one] = seizures(WEEK, "methamphetamine", 1, 500);
    const s = storeOf([one!]);
    s.apply({ ...retractionOf(one!), measures: [{ measure: "grams", category: "methamphetamine", value: 800 }] });
    expect(s.cell("EASTERN", WEEK, SEIZURE, "grams", "methamphetamine")).toEqual({ sum: 0, records: 0 });
    expect(s.unmatchedRetractions).toBe(1);
    s.apply(retractionOf(one!)); // the same again: nothing left to take back
    expect(s.cell("EASTERN", WEEK, SEIZURE, "seizures", "methamphetamine")).toEqual({ sum: 0, records: 0 });
    expect(s.unmatchedRetractions).toBe(2);
    expect(s.weeksWithData("EASTERN")).toEqual([]);
  });

  it("a correction (retraction then the new contribution) moves the figure; a cell dropping under the threshold is suppressed again", () => {
    const table = (store: AggregateStore) => {
      const b = assembleBriefing({ store, region: EASTERN, periodId: WEEK, rules: EASTERN_LEADERS.rules, secret: SECRET, received: EASTERN_LEADERS.received });
      return b.sections.flatMap((x) => x.tables).find((t) => t.id === "border-seizures")!;
    };
    const meth = (t: PublishedTable) => t.values[t.columns.findIndex((c) => c.code === "methamphetamine")]!;
    const others = ["cocaine", "mdma", "precursors", "firearms", "counterfeit_goods"].flatMap((c) => seizures(WEEK, c, 9));
    const contributions = seizures(WEEK, "methamphetamine", 6);
    const s = storeOf([...contributions, ...others]);
    expect(meth(table(s)).suppressed).toBe(false);
    // One record withdrawn: five left, under the threshold.
    s.apply(retractionOf(contributions[0]!));
    expect(meth(table(s))).toMatchObject({ suppressed: true, reason: "primary" });
    // Another corrected from methamphetamine to cocaine: taken back from one cell, added to the other.
    s.apply(retractionOf(contributions[1]!));
    s.apply({ ...(contributions[1] as AggregateInput), deliveryId: retractionId(), measures: [{ measure: "seizures", category: "cocaine", value: 1 }, { measure: "grams", category: "cocaine", value: 500 }] });
    expect(s.cell("EASTERN", WEEK, SEIZURE, "seizures", "methamphetamine")).toEqual({ sum: 4, records: 4 });
    expect(s.cell("EASTERN", WEEK, SEIZURE, "seizures", "cocaine")).toEqual({ sum: 10, records: 10 });
  });
});

describe("adding contributions then retracting any subset", () => {
  const WEEKS = [WEEK, addWeeks(WEEK, -1)];
  const contribution = fc.record({
    eventType: fc.constantFrom(SEIZURE, "police.wastewater_indicator"),
    week: fc.constantFrom(...WEEKS),
    measures: fc.array(
      fc.record({ measure: fc.constantFrom("seizures", "grams", "Not A Code"), category: fc.constantFrom("methamphetamine", "cocaine", ""), value: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(-1)) }),
      { maxLength: 4 },
    ),
    site: fc.constantFrom("", "Gisborne", "Napier"),
    locality: fc.constantFrom("", "Napier", "Hastings"),
  });

  /** Every figure the store answers for the keys these records could touch. */
  function figures(s: AggregateStore) {
    const out: Record<string, unknown> = { weeks: s.weeksWithData("EASTERN"), sites: s.sitesIn("EASTERN"), localities: s.localitiesIn("EASTERN") };
    for (const t of [SEIZURE, "police.wastewater_indicator"])
      for (const m of ["seizures", "grams"]) {
        out[`categories ${t} ${m}`] = s.categories("EASTERN", t, m);
        for (const w of WEEKS) {
          for (const c of ["methamphetamine", "cocaine", ""]) {
            out[`${t} ${w} ${m} ${c}`] = s.cell("EASTERN", w, t, m, c);
            for (const site of ["Gisborne", "Napier"]) out[`${t} ${site} ${w} ${m} ${c}`] = s.siteCell("EASTERN", site, w, t, m, c);
          }
          for (const l of ["Napier", "Hastings"]) out[`${t} ${l} ${w} ${m}`] = s.localityCell("EASTERN", l, w, t, m);
        }
      }
    return out;
  }

  it("leaves the store equal to adding only the rest, in any order, redelivered or not (the feed's decoding, as at a rebuild)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(contribution, fc.boolean(), fc.boolean()), { maxLength: 30 }),
        fc.infiniteStream(fc.nat()),
        (records, draws) => {
          const views = records.map(([r]) => ({ ...r, deliveryId: retractionId(), region: PoliceDistrict.POLICE_DISTRICT_EASTERN }));
          // Each retraction after its contribution, shuffled among the others; some records delivered twice.
          const topic: Partial<AggregateView>[] = [...views];
          for (const v of views.filter((_, i) => records[i]![1])) {
            const after = topic.indexOf(v);
            topic.splice(after + 1 + (draws.next().value % (topic.length - after)), 0, { ...v, deliveryId: retractionId(), retraction: true });
          }
          const again = topic.filter((_, i) => records[i % Math.max(1, records.length)]?.[2]);
          const store = fromTopic([...topic, ...again]);
          const rest = fromTopic(views.filter((_, i) => !records[i]![1]));
          expect(figures(store)).toEqual(figures(rest));
          expect(store.unmatchedRetractions).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});
