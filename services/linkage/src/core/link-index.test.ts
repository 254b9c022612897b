import { Agency, LinkRule, type IntelligenceEvent, type Subject } from "@takitini/proto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LinkIndex, type Link } from "./link-index.js";
import { tokeniseRecord } from "./record.js";
import { customs, KEY_BYTES, licence, mbie, msd, organisation, passport, person, police, record, vehicle, visa } from "./test-helpers.fixture.js";
import { MatchKey } from "./tokens.js";

const key = new MatchKey(KEY_BYTES);
const index = () => new LinkIndex(key);
const addAll = (idx: LinkIndex, events: IntelligenceEvent[]) => events.flatMap((e) => idx.add(e));
/** A link as a comparable line: rule and both sides. */
const line = (l: Link) => `${l.rule} ${l.records.map((r) => `${r.eventId}#${r.subjectIndex}`).join(" ")}`;

const hemi = (extra: Parameters<typeof person>[0] = {}) => person({ name: "Hēmi Tāwhiri", dob: "1991-03-14", ...extra });

describe("a link between two agencies' records", () => {
  it("a Customs consignee with the Police person of interest's passport: one link, by document, 0.99", () => {
    const idx = index();
    expect(idx.add(police("e-2", hemi({ documents: [passport("LA9981234")] })))).toEqual([]);
    const links = idx.add(customs("e-1", person({ name: "TAWHIRI, Hemi", documents: [passport("la 998 1234", "NZL")] })));
    expect(links).toHaveLength(1);
    const [l] = links;
    expect(l).toEqual({
      linkId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      rule: LinkRule.LINK_RULE_IDENTITY_DOCUMENT,
      confidence: 0.99,
      // In event-id order, whichever arrived first.
      records: [
        { eventId: "e-1", sourceAgency: Agency.AGENCY_CUSTOMS, eventType: "customs.border_seizure", subjectId: "customs/person/e-1-0", subjectIndex: 0 },
        { eventId: "e-2", sourceAgency: Agency.AGENCY_POLICE, eventType: "police.organised_crime_noting", subjectId: "police/person/e-2-0", subjectIndex: 0 },
      ],
    });
  });

  it("by the strongest rule the pair shares, once", () => {
    const idx = index();
    idx.add(police("e-1", hemi({ documents: [passport("LA9981234")], aliases: ["James Tawhiri"] })));
    const links = idx.add(mbie("e-2", hemi({ documents: [passport("LA9981234")], aliases: ["James Tāwhiri"] })));
    expect(links.map((l) => [l.rule, l.confidence])).toEqual([[LinkRule.LINK_RULE_IDENTITY_DOCUMENT, 0.99]]);
  });

  it("by name and date of birth, through an alias", () => {
    const idx = index();
    idx.add(msd("e-1", person({ name: "James Tawhiri", dob: "1991-03-14" })));
    expect(idx.add(police("e-2", hemi({ aliases: ["JAMES TĀWHIRI"] }))).map((l) => [l.rule, l.confidence])).toEqual([[LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH, 0.9]]);
  });

  it("by registration and by plate", () => {
    const idx = index();
    idx.add(mbie("e-1", organisation("Tāmaki Labour Hire Ltd", "9429049912345"), vehicle("QZX482")));
    const links = idx.add(customs("e-2", vehicle("qzx 482"), organisation("TAMAKI LABOUR HIRE LIMITED", "9429 0499 12345")));
    expect(links.map((l) => [l.rule, l.confidence, l.records.map((r) => r.subjectIndex)])).toEqual([
      [LinkRule.LINK_RULE_COMPANY_REGISTRATION, 0.98, [0, 1]],
      [LinkRule.LINK_RULE_VEHICLE_PLATE, 0.9, [1, 0]],
    ]);
  });

  it("links every other agency's record of the same person, one link per pair of subjects", () => {
    const idx = index();
    idx.add(police("e-1", hemi()));
    idx.add(msd("e-2", hemi()));
    expect(idx.add(customs("e-3", hemi(), hemi())).map(line)).toEqual([
      `${LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH} e-1#0 e-3#0`,
      `${LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH} e-1#0 e-3#1`,
      `${LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH} e-2#0 e-3#0`,
      `${LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH} e-2#0 e-3#1`,
    ]);
  });
});

describe("what never links", () => {
  const pairs: [string, Subject, Subject][] = [
    ["the same name, another date of birth", hemi(), hemi({ dob: "1991-03-15" })],
    ["the day and month swapped", person({ name: "Aroha Ngata", dob: "1985-03-07" }), person({ name: "Aroha Ngata", dob: "1985-07-03" })],
    ["one letter different", hemi(), person({ name: "Hēmi Tāwhiti", dob: "1991-03-14" })],
    ["a middle name in one record only", hemi(), person({ name: "Hēmi Arapeta Tāwhiri", dob: "1991-03-14" })],
    ["a one-word name and the date of birth", person({ name: "Moana", dob: "2001-05-05" }), person({ name: "MOANA", dob: "2001-05-05" })],
    ["the name alone", person({ name: "Hēmi Tāwhiri" }), person({ name: "Hēmi Tāwhiri" })],
    ["the same document number, another kind", hemi({ dob: "", documents: [passport("LA9981234")] }), hemi({ dob: "", documents: [visa("LA9981234")] })],
    ["the same document number, another country", hemi({ dob: "", documents: [passport("LA9981234", "NZ")] }), hemi({ dob: "", documents: [passport("LA9981234", "AU")] })],
    ["the same phone", person({ name: "Hēmi Tāwhiri", phones: ["021 555 0147"] }), person({ name: "Mere Tāwhiri", phones: ["+64 21 555 0147"] })],
    ["a person and an organisation of the same name", hemi(), organisation("Hēmi Tāwhiri")],
    ["a passport number and a registration alike", person({ name: "Hemi Tawhiri", documents: [passport("9429049912345")] }), organisation("Tawhiri Ltd", "9429049912345")],
    ["a plate and a document number alike", person({ name: "Hemi Tawhiri", documents: [licence("QZX482")] }), vehicle("QZX482")],
  ];

  it.each(pairs)("%s", (_, a, b) => {
    const idx = index();
    idx.add(police("e-1", a));
    expect(idx.add(customs("e-2", b))).toEqual([]);
  });

  it("two records of one agency, however alike: an agency's own duplicates are not an alert", () => {
    const idx = index();
    idx.add(police("e-1", hemi({ documents: [passport("LA9981234")] })));
    expect(idx.add(police("e-2", hemi({ documents: [passport("LA9981234")] })))).toEqual([]);
    expect(idx.add(police("e-3", hemi(), hemi()))).toEqual([]);
  });

  it("a record seen again, even changed: it adds nothing", () => {
    const idx = index();
    idx.add(police("e-1", hemi()));
    expect(idx.add(customs("e-2", hemi()))).toHaveLength(1);
    expect(idx.add(customs("e-2", hemi()))).toEqual([]);
    expect(idx.add(customs("e-2", hemi({ documents: [passport("LA9981234")] })))).toEqual([]);
    expect(idx.size).toBe(2);
  });
});

describe("indexEvent, restore and rebuild", () => {
  it("returns the record's tokens to persist (none when seen before or nothing to match on) and its issues", () => {
    const idx = index();
    const first = idx.indexEvent(police("e-1", hemi({ phones: ["not a phone"] })));
    expect(first.record?.subjects.map((s) => s.tokens.length)).toEqual([1]);
    expect(first.issues.map((i) => i.path)).toEqual(["subjects[0].person.phoneNumbers[0]"]);
    expect(idx.indexEvent(police("e-1", hemi())).record).toBeNull();
    expect(idx.indexEvent(msd("e-9", person({ name: "Moana", phones: ["021 555 0147"] })))).toEqual({ record: null, links: [], issues: [] });
    expect(idx.has("e-1")).toBe(true);
    expect(idx.has("e-9")).toBe(false);
  });

  it("restored from persisted tokens, the index links a new record as if it had seen everything", () => {
    const events = [police("e-1", hemi()), msd("e-2", vehicle("QZX482")), customs("e-3", person({ name: "Aroha Ngata", dob: "1985-03-07" }))];
    const later = mbie("e-4", hemi(), vehicle("QZX 482"), person({ name: "NGATA, Aroha", dob: "1985-03-07" }));
    const whole = index();
    addAll(whole, events);
    const restored = index();
    expect(restored.restore(events.map((e) => tokeniseRecord(e, key, "2026-06-01").record))).toBe(3);
    expect(restored.add(later)).toEqual(whole.add(later));
    expect(restored.add(later)).toEqual([]);
  });

  it("rebuilt from the same records in order, it finds the same links with the same ids", () => {
    const events = [police("e-1", hemi()), customs("e-2", hemi({ documents: [passport("LA9981234")] })), mbie("e-3", hemi({ documents: [passport("LA9981234")] }))];
    const idx = index();
    const oneByOne = addAll(idx, events);
    expect(idx.rebuild(events)).toEqual(oneByOne);
    expect(new LinkIndex(new MatchKey(KEY_BYTES)).rebuild(events)).toEqual(oneByOne);
    expect(idx.size).toBe(3);
  });

  it("under another key, links the same records under other ids", () => {
    const events = [police("e-1", hemi()), customs("e-2", hemi())];
    const [a] = index().rebuild(events);
    const [b] = new LinkIndex(new MatchKey(Buffer.alloc(32, 9))).rebuild(events);
    expect(b!.records).toEqual(a!.records);
    expect(b!.linkId).not.toBe(a!.linkId);
  });

  it("keeps finding every link as its tables grow (thousands of plates across two agencies)", () => {
    const idx = index();
    const plates = Array.from({ length: 3000 }, (_, i) => `Q${String(i).padStart(5, "0")}`);
    for (const [i, p] of plates.entries()) idx.add(police(`p-${i}`, vehicle(p)));
    const links = plates.flatMap((p, i) => idx.add(customs(`c-${i}`, vehicle(p.toLowerCase()))));
    expect(links).toHaveLength(plates.length);
    expect(links.every((l, i) => l.records[0].eventId === `c-${i}` && l.records[1].eventId === `p-${i}`)).toBe(true);
    expect(idx.stats()).toMatchObject({ records: 6000, subjects: 6000, tokens: 3000, postings: 6000 });
    expect(idx.stats().arrayBytes).toBeGreaterThan(0);
  });

  it("refuses a token shorter than TOKEN_BYTES", () => {
    expect(() => index().addRecord({ eventId: "e", sourceAgency: Agency.AGENCY_POLICE, eventType: "t", subjects: [{ subjectId: "s", subjectIndex: 0, kind: "VEHICLE", tokens: [{ rule: LinkRule.LINK_RULE_VEHICLE_PLATE, token: Buffer.alloc(8) }] }] })).toThrow(RangeError);
  });
});

describe("properties", () => {
  const AGENCIES = [Agency.AGENCY_POLICE, Agency.AGENCY_CUSTOMS, Agency.AGENCY_MBIE, Agency.AGENCY_MSD];
  // Few values, so records often share some of them.
  const subject = fc.oneof(
    fc.record({ name: fc.constantFrom("Hēmi Tāwhiri", "HEMI TAWHIRI", "Tāwhiri, Hēmi", "Sione Tuʻipulotu", "Tu'ipulotu Sione", "Mere"), dob: fc.constantFrom("", "1991-03-14", "1991-14-03", "1985-07-03"), doc: fc.constantFrom(undefined, passport("LA9981234"), passport("la998-1234", "NZL"), visa("LA9981234"), licence("DL123456")) }).map((p) => person({ name: p.name, dob: p.dob, phones: ["021 555 0147"], documents: p.doc ? [p.doc] : [] })),
    fc.constantFrom("QZX482", "qzx 482", "QZX483").map((p) => vehicle(p)),
    fc.constantFrom("9429049912345", "9429 0499 12345", "1234567").map((r) => organisation("Hēmi Tāwhiri", r)),
  );
  const records = fc.uniqueArray(fc.record({ n: fc.integer({ min: 0, max: 99 }), agency: fc.constantFrom(...AGENCIES), subjects: fc.array(subject, { minLength: 1, maxLength: 3 }) }), { minLength: 2, maxLength: 8, selector: (r) => r.n }).map((rs) => rs.map((r) => record(r.agency, `e-${String(r.n).padStart(2, "0")}`, r.subjects)));

  it("the links do not depend on the order records arrive in: the same set, the same ids", () => {
    fc.assert(
      fc.property(records, fc.infiniteStream(fc.double({ min: 0, max: 1, noNaN: true })), (events, noise) => {
        const shuffled = [...events].map((e) => [noise.next().value, e] as const).sort((a, b) => a[0] - b[0]).map(([, e]) => e);
        const x = addAll(index(), events).map((l) => `${l.linkId} ${line(l)}`).sort();
        const y = addAll(index(), shuffled).map((l) => `${l.linkId} ${line(l)}`).sort();
        expect(y).toEqual(x);
      }),
    );
  });

  it("a link is symmetric: its records in event-id order, of different agencies; each pair once", () => {
    fc.assert(
      fc.property(records, (events) => {
        const links = addAll(index(), events);
        for (const l of links) {
          expect(l.records[0].eventId < l.records[1].eventId).toBe(true);
          expect(l.records[0].sourceAgency).not.toBe(l.records[1].sourceAgency);
        }
        const pairs = links.map((l) => l.records.map((r) => `${r.eventId}#${r.subjectIndex}`).join("|"));
        expect(new Set(pairs).size).toBe(pairs.length);
      }),
    );
  });

  it("two agencies' records of one person with the same passport link, by document, whatever else differs", () => {
    fc.assert(
      fc.property(fc.constantFrom("la 998 1234", "LA-998-1234", "LA9981234"), fc.constantFrom("NZ", "NZL", "nzl"), fc.string(), fc.constantFrom("", "1991-03-14", "1980-01-01"), (number, country, name, dob) => {
        const idx = index();
        idx.add(police("e-1", hemi({ documents: [passport("LA9981234")] })));
        expect(idx.add(customs("e-2", person({ name, dob, documents: [passport(number, country)] }))).map((l) => l.rule)).toEqual([LinkRule.LINK_RULE_IDENTITY_DOCUMENT]);
      }),
    );
  });

  it("near misses never link: another date of birth, a changed letter, another document kind or country", () => {
    const surname = fc.constantFrom("Ngata", "Tuʻipulotu", "Baleilevuka", "Marsters", "Chen", "Sandhu", "O'Brien");
    const given = fc.constantFrom("Aroha", "Sione", "Litia", "Teina", "Wei", "Harpreet", "Seán");
    const day = fc.date({ min: new Date("1940-01-01T00:00:00Z"), max: new Date("2012-12-31T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
    fc.assert(
      fc.property(given, surname, day, day, fc.nat(), fc.constantFrom("a", "e", "k", "z"), (g, s, dob, otherDob, at, letter) => {
        fc.pre(otherDob !== dob);
        const name = `${g} ${s}`;
        const i = at % g.length;
        const changed = `${g.slice(0, i)}${letter}${g.slice(i + 1)} ${s}`;
        const [y, m, d] = dob.split("-");
        const fold = (x: string) => x.toLowerCase().normalize("NFD").replace(/\p{M}/gu, "");
        const lookAlikes = [
          person({ name, dob: otherDob }),
          // A letter changed to itself (or to the same letter without its accent) is no change.
          ...(fold(changed) !== fold(name) ? [person({ name: changed, dob })] : []),
          person({ name, documents: [visa("LA9981234")] }),
          person({ name, documents: [passport("LA9981234", "AUS")] }),
          ...(Number(d) <= 12 && d !== m ? [person({ name, dob: `${y}-${d}-${m}` })] : []),
        ];
        for (const lookAlike of lookAlikes) {
          const idx = index();
          idx.add(police("e-1", person({ name, dob, documents: [passport("LA9981234")] })));
          expect(idx.add(mbie("e-2", lookAlike))).toEqual([]);
        }
      }),
    );
  });
});
