import { Agency, IntelligenceEvent } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { LinkIndex } from "./link-index.js";
import { normaliseSubjects } from "./normalise.js";
import { AGENCY_EVENT_TYPES, generatePopulation, pairKey, syntheticPopulation, type NearMissKind } from "./synthetic.js";
import { KEY_BYTES } from "./test-helpers.fixture.js";
import { MatchKey } from "./tokens.js";

const population = generatePopulation({ seed: 7, people: 2000 });

describe("the synthetic population", () => {
  it("is the same for the same seed, byte for byte, and different for another", () => {
    const bytes = (events: IntelligenceEvent[]) => Buffer.concat(events.map((e) => IntelligenceEvent.encode(e).finish()));
    const again = generatePopulation({ seed: 7, people: 2000 });
    expect(bytes(again.events).equals(bytes(population.events))).toBe(true);
    expect(again.trueLinks).toEqual(population.trueLinks);
    expect(bytes(generatePopulation({ seed: 8, people: 2000 }).events).equals(bytes(population.events))).toBe(false);
  });

  it("is records of the four agencies, of their event types, of one to three subjects with the agency's ids", () => {
    const agencies = new Set(population.events.map((e) => e.sourceAgency));
    expect(agencies).toEqual(new Set([Agency.AGENCY_POLICE, Agency.AGENCY_CUSTOMS, Agency.AGENCY_MBIE, Agency.AGENCY_MSD]));
    for (const e of population.events) {
      const agency = e.sourceAgency.replace("AGENCY_", "").toLowerCase() as keyof typeof AGENCY_EVENT_TYPES;
      expect(AGENCY_EVENT_TYPES[agency]).toContain(e.eventType);
      expect(e.subjects.length).toBeGreaterThanOrEqual(1);
      expect(e.subjects.length).toBeLessThanOrEqual(3);
      for (const s of e.subjects) expect(s.entity?.value.subjectId.startsWith(`${agency}/`)).toBe(true);
      expect(IntelligenceEvent.decode(IntelligenceEvent.encode(e).finish()).id).toBe(e.id);
    }
    expect(new Set(population.events.map((e) => e.id)).size).toBe(population.events.length);
    expect([population.people, population.organisations, population.vehicles]).toEqual([2000, 80, 166]);
  });

  it("writes identifiers the ways agencies do, all of which normalise cleanly", () => {
    const names = population.events.flatMap((e) => e.subjects.flatMap((s) => (s.entity?.$case === "person" ? [s.entity.value.fullName] : [])));
    expect(names.some((n) => /[āēīōū]/.test(n))).toBe(true);
    expect(names.some((n) => n.includes("ʻ"))).toBe(true);
    expect(names.some((n) => n.includes(","))).toBe(true);
    expect(names.some((n) => n === n.toUpperCase())).toBe(true);
    const issues = population.events.flatMap((e) => normaliseSubjects(e, "2026-06-01").issues);
    expect(issues).toEqual([]);
  });

  it("has near misses of every kind, and same-entity pairs no rule can find", () => {
    const rich = generatePopulation({ seed: 3, people: 1000, nearMissRate: 0.3 });
    const kinds = new Set(rich.nearMisses.map((n) => n.kind));
    const all: NearMissKind[] = ["DIFFERENT_DATE_OF_BIRTH", "DAY_MONTH_SWAPPED", "ONE_LETTER_DIFFERENT", "DOCUMENT_OTHER_KIND", "DOCUMENT_OTHER_COUNTRY", "SHARED_PHONE", "ORGANISATION_SAME_NAME", "PLATE_ONE_CHARACTER", "SAME_AGENCY_DUPLICATE"];
    expect(kinds).toEqual(new Set(all));
    expect(population.unlinkable).toBeGreaterThan(0);
  });

  it("comes in chunks whose truth stays within them", () => {
    const chunks = [...syntheticPopulation({ seed: 7, people: 1500, chunkPeople: 500 })];
    expect(chunks.map((c) => c.people)).toEqual([500, 500, 500]);
    for (const c of chunks) {
      const ids = new Set(c.events.map((e) => e.id));
      for (const t of c.trueLinks) expect(ids.has(t.a.eventId) && ids.has(t.b.eventId)).toBe(true);
    }
  });
});

describe("linking it", () => {
  const key = new MatchKey(KEY_BYTES);
  const truth = new Map(population.trueLinks.map((t) => [pairKey(t.a, t.b), t.rule]));
  const nearMisses = new Set(population.nearMisses.map((n) => pairKey(n.a, n.b)));
  const firstLinks = new LinkIndex(key).rebuild(population.events);

  it("finds every true link by its rule and nothing else: precision and recall 1.0 on 2,000 people", () => {
    const found = new Map(firstLinks.map((l) => [pairKey(l.records[0], l.records[1]), l.rule]));
    expect(found.size).toBe(firstLinks.length);
    const truePositives = [...found].filter(([k, rule]) => truth.get(k) === rule).length;
    expect(truth.size).toBeGreaterThan(1000);
    expect({ precision: truePositives / found.size, recall: truePositives / truth.size }).toEqual({ precision: 1, recall: 1 });
    expect([...found.keys()].filter((k) => nearMisses.has(k))).toEqual([]);
    expect(population.nearMisses.length).toBeGreaterThan(50);
  });

  it("finds the same links whatever order the records arrive in", () => {
    const reversed = new LinkIndex(key);
    const links = [...population.events].reverse().flatMap((e) => reversed.add(e));
    expect(new Set(links.map((l) => `${l.linkId} ${pairKey(l.records[0], l.records[1])}`))).toEqual(new Set(firstLinks.map((l) => `${l.linkId} ${pairKey(l.records[0], l.records[1])}`)));
  });
});
