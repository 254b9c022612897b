import { AggregateView, IntelligenceEvent } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { aggregateView, hasAggregateView } from "./aggregate.js";
import { EVENT_TYPES, fullEvent, PERSONAL } from "./events.fixture.js";

/** Every string anywhere in a message, recursively. */
function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === "string") out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === "object" && !(value instanceof Date)) for (const v of Object.values(value)) strings(v, out);
  return out;
}

const D = { decisionId: "d", deliveryId: "" };

const WITH_AGGREGATES = [
  "customs.border_seizure",
  "mbie.exploitation_complaint",
  "msd.community_resilience_report",
  "msd.whanau_support_referral",
  "police.firearms_seizure",
  "police.wastewater_indicator",
];

describe("aggregate-only views", () => {
  it("exist for the event types community tables count, and no others", () => {
    expect(EVENT_TYPES.filter((t) => hasAggregateView(fullEvent(t)))).toEqual(WITH_AGGREGATES);
  });

  it.each(WITH_AGGREGATES)("%s: carry codes and numbers, never a string the event holds", (type) => {
    const event = fullEvent(type);
    const view = aggregateView(event, { decisionId: "d-1", deliveryId: "" })!;
    const json = JSON.stringify(AggregateView.toJSON(view));
    for (const p of PERSONAL) expect(json).not.toContain(p);
    // Not one free-text value of the event (names, refs, sites, localities, providers…) survives;
    // only the envelope's event type does.
    const eventStrings = strings(IntelligenceEvent.toJSON(event)).filter((s) => s.length >= 3 && s !== event.eventType && !/^[A-Z0-9_]+$/.test(s) && s !== view.week);
    for (const s of eventStrings) expect(json, `"${s}" leaked`).not.toContain(s);
    expect(view.measures.length).toBeGreaterThan(0);
    expect(view.measures.every((m) => Number.isFinite(m.value) && m.value >= 0)).toBe(true);
    expect(view.week).toMatch(/^\d{4}-W\d{2}$/);
  });

  it("counts what each type is about", () => {
    const seizure = aggregateView(fullEvent("customs.border_seizure"), D)!;
    expect(seizure.measures.map((m) => m.measure)).toEqual(["seizures", "grams"]);
    expect(seizure.measures[0]).toMatchObject({ value: 1 });
    const referral = aggregateView(fullEvent("msd.whanau_support_referral"), D)!;
    expect(referral.measures.map((m) => m.measure)).toEqual(["referrals", "whanau", "children"]);
    const wastewater = aggregateView(fullEvent("police.wastewater_indicator"), D)!;
    expect(wastewater.week).toBe(fullEvent("police.wastewater_indicator").payload?.$case === "policeWastewaterIndicator" ? (fullEvent("police.wastewater_indicator").payload!.value as { sampleWeek: string }).sampleWeek : "");
  });

  it("is null for types without one", () => {
    expect(aggregateView(fullEvent("police.organised_crime_noting"), D)).toBeNull();
    expect(aggregateView(fullEvent("mbie.trafficking_indicator"), D)).toBeNull();
  });
});
