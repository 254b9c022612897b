import { seededRandom } from "@takitini/adapter-kit";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { centsOf, nzd } from "./money.js";

const parse = (v: unknown) => nzd.parse(v);
const fails = (v: unknown) => !nzd.safeParse(v).success;

describe("NZ dollars", () => {
  it.each([
    [27800000, "27800000.00", "2780000000"],
    [27800000.5, "27800000.50", "2780000050"],
    ["27800000.50", "27800000.50", "2780000050"],
    ["3400000", "3400000.00", "340000000"],
    [0, "0.00", "0"],
    ["0.07", "0.07", "7"],
    [0.1, "0.10", "10"],
    [1.15, "1.15", "115"],
    [4.35, "4.35", "435"],
    [1234567.89, "1234567.89", "123456789"],
    [999999999999.99, "999999999999.99", "99999999999999"],
  ])("%j is %s dollars and %s cents", (input, canonical, cents) => {
    expect(parse(input)).toBe(canonical);
    expect(centsOf(parse(input))).toBe(cents);
  });

  it("is exact where multiplying the float by 100 is not", () => {
    // 4.35 × 100 = 434.99999999999994 and 1.15 × 100 = 114.99999999999999 in binary floating point.
    expect(Math.trunc(4.35 * 100)).toBe(434);
    expect(centsOf(parse(4.35))).toBe("435");
    expect(centsOf(parse(1.15))).toBe("115");
  });

  it("keeps every cent of 10,000 random amounts, given as numbers or strings", () => {
    const rng = seededRandom("money");
    for (let i = 0; i < 10_000; i++) {
      const cents = BigInt(Math.floor(rng() * 1e6)) * 100_000_000n + BigInt(Math.floor(rng() * 1e8));
      const asString = `${cents / 100n}.${String(cents % 100n).padStart(2, "0")}`;
      expect(centsOf(parse(asString))).toBe(cents.toString());
      expect(centsOf(parse(Number(cents) / 100))).toBe(cents.toString());
    }
  });

  it.each([
    ["three decimal places", 1.005],
    ["three decimal places as text", "1.005"],
    ["a negative amount", -5],
    ["a negative amount as text", "-5.00"],
    ["a trillion dollars", 1e12],
    ["exponent notation", 1e21],
    ["a tiny fraction", 1e-7],
    ["infinity", Number.POSITIVE_INFINITY],
    ["not a number", Number.NaN],
    ["thousands separators", "27,800,000"],
    ["a dollar sign", "$27800000"],
    ["a leading zero", "0500"],
    ["surrounding space", " 500"],
    ["a bare point", "500."],
    ["an empty string", ""],
    ["a boolean", true],
    ["null", null],
  ])("rejects %s", (_name, input) => {
    expect(fails(input)).toBe(true);
  });

  it("reports a bad amount at its own field", () => {
    const result = z.strictObject({ funding_nzd: nzd }).safeParse({ funding_nzd: "1.005" });
    expect(result.error?.issues.map((i) => i.path)).toEqual([["funding_nzd"]]);
  });
});
