import { describe, expect, it } from "vitest";
import { CULTURES } from "./names.js";
import { nameTokens } from "./normalise.js";

describe("the synthetic name pools", () => {
  it("give every combination of names a key no other combination of any culture has (the generator's truth rests on it)", () => {
    const owner = new Map<string, string>();
    const clashes: string[] = [];
    let combinations = 0;
    for (const c of CULTURES)
      for (const surname of c.surnames) {
        const firsts = [...c.firsts.flatMap((f) => ["", ...c.middles].map((m) => [f, m].filter(Boolean).join(" "))), ...Object.values(c.aliasFirsts)];
        for (const given of firsts) {
          const key = nameTokens(`${given} ${surname}`).join(" ");
          const who = `${c.name}: ${given} ${surname}`;
          const earlier = owner.get(key);
          if (earlier !== undefined) clashes.push(`${who} = ${earlier}`);
          owner.set(key, who);
          combinations += 1;
        }
      }
    expect(clashes).toEqual([]);
    expect(combinations).toBeGreaterThan(100_000);
  });

  it("map a first name to one alias, and no alias is a first name of the same culture", () => {
    for (const c of CULTURES) {
      const aliases = Object.values(c.aliasFirsts);
      expect(new Set(aliases.map((a) => nameTokens(a).join(" "))).size, c.name).toBe(aliases.length);
      for (const a of aliases) expect(c.firsts.map((f) => nameTokens(f).join(" ")), c.name).not.toContain(nameTokens(a).join(" "));
      for (const f of Object.keys(c.aliasFirsts)) expect(c.firsts, c.name).toContain(f);
    }
  });

  it("share the population out in hundredths", () => {
    expect(CULTURES.reduce((n, c) => n + c.share, 0)).toBe(100);
  });
});
