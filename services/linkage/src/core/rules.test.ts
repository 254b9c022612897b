import { LinkRule } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { normaliseSubjects } from "./normalise.js";
import { confidenceOf, matchKeysOf, RULES, strengthOf, strongerRule } from "./rules.js";
import { licence, organisation, passport, person, vehicle } from "./test-helpers.fixture.js";

const keysOf = (...subjects: Parameters<typeof normaliseSubjects>[0]["subjects"]) => normaliseSubjects({ subjects }, "2026-06-01").subjects.map(matchKeysOf);

describe("the rules", () => {
  it("are the proto's LinkRules, strongest first, with their confidences", () => {
    expect(RULES.map((r) => [r.rule, r.confidence, r.kind])).toEqual([
      [LinkRule.LINK_RULE_IDENTITY_DOCUMENT, 0.99, "PERSON"],
      [LinkRule.LINK_RULE_COMPANY_REGISTRATION, 0.98, "ORGANISATION"],
      [LinkRule.LINK_RULE_VEHICLE_PLATE, 0.9, "VEHICLE"],
      [LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH, 0.9, "PERSON"],
    ]);
    expect(new Set(RULES.map((r) => r.rule))).toEqual(new Set(Object.values(LinkRule).filter((r) => r !== LinkRule.LINK_RULE_UNSPECIFIED)));
    expect(confidenceOf(LinkRule.LINK_RULE_IDENTITY_DOCUMENT)).toBe(0.99);
    expect(strengthOf(LinkRule.LINK_RULE_IDENTITY_DOCUMENT)).toBe(0);
    expect(strongerRule(LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH, LinkRule.LINK_RULE_IDENTITY_DOCUMENT)).toBe(LinkRule.LINK_RULE_IDENTITY_DOCUMENT);
    expect(() => strengthOf(LinkRule.LINK_RULE_UNSPECIFIED)).toThrow(RangeError);
  });
});

describe("a subject's rule keys", () => {
  it("of a person: each document, and each name of two tokens or more with the date of birth", () => {
    const [keys] = keysOf(person({ name: "Hēmi Tāwhiri", aliases: ["Bro", "James Tawhiri"], dob: "1991-03-14", phones: ["021 555 0147"], documents: [passport("LA998 1234"), licence("DL123456")] }));
    expect(keys).toEqual([
      { rule: LinkRule.LINK_RULE_IDENTITY_DOCUMENT, values: ["IDENTITY_DOCUMENT_KIND_PASSPORT", "NZL", "LA9981234"] },
      { rule: LinkRule.LINK_RULE_IDENTITY_DOCUMENT, values: ["IDENTITY_DOCUMENT_KIND_DRIVER_LICENCE", "NZL", "DL123456"] },
      { rule: LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH, values: ["hemi tawhiri", "1991-03-14"] },
      { rule: LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH, values: ["james tawhiri", "1991-03-14"] },
    ]);
  });

  it("never a phone: a person with only a name and a phone has nothing to link on", () => {
    expect(keysOf(person({ name: "Hēmi Tāwhiri", phones: ["021 555 0147"] }))).toEqual([[]]);
  });

  it("no name key without a date of birth, or for a one-word name", () => {
    expect(keysOf(person({ name: "Hēmi Tāwhiri" }), person({ name: "Moana", dob: "1991-03-14" }))).toEqual([[], []]);
  });

  it("of an organisation: its registration with its register, never its name", () => {
    expect(keysOf(organisation("Tāmaki Labour Hire Limited", "9429 0499 12345"), organisation("Ngata Holdings"))).toEqual([
      [{ rule: LinkRule.LINK_RULE_COMPANY_REGISTRATION, values: ["NZBN", "9429049912345"] }],
      [],
    ]);
  });

  it("of a vehicle: its plate", () => {
    expect(keysOf(vehicle("qzx-482"))).toEqual([[{ rule: LinkRule.LINK_RULE_VEHICLE_PLATE, values: ["QZX482"] }]]);
  });

  it("each once, however often the record repeats it", () => {
    const [keys] = keysOf(person({ name: "Hemi Tawhiri", aliases: ["TAWHIRI, Hēmi"], dob: "1991-03-14", documents: [passport("LA9981234"), passport("la-998-1234", "NZL")] }));
    expect(keys).toHaveLength(2);
  });
});
