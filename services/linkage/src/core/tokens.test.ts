import { LinkRule } from "@takitini/proto";
import fc from "fast-check";
import { createHmac } from "node:crypto";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { encode, linkIdFor, MatchKey, matchToken, TOKEN_BYTES } from "./tokens.js";

const keyOf = (fill: number) => new MatchKey(Buffer.alloc(32, fill));
const RULES = [LinkRule.LINK_RULE_IDENTITY_DOCUMENT, LinkRule.LINK_RULE_COMPANY_REGISTRATION, LinkRule.LINK_RULE_VEHICLE_PLATE, LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH] as const;

describe("the match key", () => {
  it("must be supplied and at least 32 bytes: there is no default key", () => {
    expect(() => new MatchKey(Buffer.alloc(31))).toThrow(/at least 32 bytes/);
    expect(() => new MatchKey(undefined as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => new MatchKey("a passphrase of more than thirty-two characters" as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => new MatchKey(Buffer.alloc(32))).not.toThrow();
  });

  it("never prints, serialises or inspects as its bytes", () => {
    const key = new MatchKey(Buffer.from("k".repeat(40)));
    for (const shown of [JSON.stringify({ key }), String(key), inspect(key), inspect({ nested: key }, { depth: 5 })]) {
      expect(shown).toContain("[match key]");
      expect(shown).not.toContain("kkkk");
    }
  });

  it("computes HMAC-SHA-256 exactly (checked against Node's createHmac), for short, block-sized and long keys", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 130 }), fc.array(fc.string({ maxLength: 80 }), { maxLength: 6 }), (bytes, parts) => {
        const expected = createHmac("sha256", Buffer.from(bytes)).update(encode(parts)).digest();
        expect(new MatchKey(bytes).mac(parts).equals(expected)).toBe(true);
      }),
    );
  });
});

describe("encode", () => {
  it("is unambiguous: different lists of parts never encode the same", () => {
    expect(encode(["ab", "c"]).equals(encode(["a", "bc"]))).toBe(false);
    expect(encode(["a", ""]).equals(encode(["a"]))).toBe(false);
    fc.assert(
      fc.property(fc.array(fc.string(), { maxLength: 4 }), fc.array(fc.string(), { maxLength: 4 }), (x, y) => {
        fc.pre(JSON.stringify(x) !== JSON.stringify(y));
        expect(encode(x).equals(encode(y))).toBe(false);
      }),
    );
  });
});

describe("match tokens", () => {
  it("are TOKEN_BYTES opaque bytes, the same for the same key, rule and values", () => {
    const t = matchToken(keyOf(1), LinkRule.LINK_RULE_VEHICLE_PLATE, ["QZX482"]);
    expect(t).toHaveLength(TOKEN_BYTES);
    expect(t.equals(matchToken(keyOf(1), LinkRule.LINK_RULE_VEHICLE_PLATE, ["QZX482"]))).toBe(true);
    expect(t.toString("latin1")).not.toContain("QZX482");
  });

  it("differ under different keys", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.constantFrom(...RULES), fc.array(fc.string(), { minLength: 1, maxLength: 3 }), (k1, k2, rule, values) => {
        fc.pre(!Buffer.from(k1).equals(Buffer.from(k2)));
        expect(matchToken(new MatchKey(k1), rule, values).equals(matchToken(new MatchKey(k2), rule, values))).toBe(false);
      }),
    );
  });

  it("differ between rules, even over the same values (a plate and a document number both AB1234)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...RULES), fc.constantFrom(...RULES), fc.array(fc.string(), { minLength: 1, maxLength: 3 }), (r1, r2, values) => {
        fc.pre(r1 !== r2);
        expect(matchToken(keyOf(7), r1, values).equals(matchToken(keyOf(7), r2, values))).toBe(false);
      }),
    );
  });

  it("differ between values", () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 3 }), fc.array(fc.string(), { minLength: 1, maxLength: 3 }), (v1, v2) => {
        fc.pre(JSON.stringify(v1) !== JSON.stringify(v2));
        expect(matchToken(keyOf(7), LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH, v1).equals(matchToken(keyOf(7), LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH, v2))).toBe(false);
      }),
    );
  });

  it("need a rule", () => {
    expect(() => matchToken(keyOf(1), LinkRule.LINK_RULE_UNSPECIFIED, ["x"])).toThrow(RangeError);
  });
});

describe("link ids", () => {
  const a = { eventId: "0b4c3f1e-0000-8000-8000-000000000001", subjectIndex: 0 };
  const b = { eventId: "0b4c3f1e-0000-8000-8000-000000000002", subjectIndex: 1 };

  it("are UUIDs (version 8), the same for the same pair whichever side comes first", () => {
    const id = linkIdFor(keyOf(1), a, b, LinkRule.LINK_RULE_IDENTITY_DOCUMENT);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(linkIdFor(keyOf(1), b, a, LinkRule.LINK_RULE_IDENTITY_DOCUMENT)).toBe(id);
  });

  it("change with the key, the rule, either record or either subject", () => {
    const id = linkIdFor(keyOf(1), a, b, LinkRule.LINK_RULE_IDENTITY_DOCUMENT);
    const others = [
      linkIdFor(keyOf(2), a, b, LinkRule.LINK_RULE_IDENTITY_DOCUMENT),
      linkIdFor(keyOf(1), a, b, LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH),
      linkIdFor(keyOf(1), { ...a, subjectIndex: 1 }, b, LinkRule.LINK_RULE_IDENTITY_DOCUMENT),
      linkIdFor(keyOf(1), a, { ...b, eventId: "0b4c3f1e-0000-8000-8000-000000000003" }, LinkRule.LINK_RULE_IDENTITY_DOCUMENT),
    ];
    expect(new Set([id, ...others]).size).toBe(5);
  });
});
