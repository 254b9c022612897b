import { describe, expect, it } from "vitest";
import { CATALOGUES, checkCatalogue, LANGS, MessageMissing, messages, negotiateLang, placeholders, withLang } from "./messages.js";
import { REGIONS } from "./regions.js";
import { TABLES } from "./briefing.js";
import { GUIDANCE_SECTIONS, guidance, label } from "./guidance.js";

const [en, mi] = [CATALOGUES.en, CATALOGUES.mi];

/** Texts the same in both languages by right: drug names, a chart tick's short form, and numeric ranges. */
const SAME_IN_BOTH = new Set(["band.6_to_9", "band.10_to_19", "band.20_to_49", "band.50_to_99", "label.methamphetamine", "label.cocaine", "label.mdma", "drug.methamphetamine", "drug.cocaine", "drug.mdma", "period.weekShort", "briefing.title", "error.title"]);

describe("the catalogues", () => {
  it("hold the same keys, each the same kind (text or list of the same length), asking for the same values", () => {
    expect(Object.keys(mi).sort()).toEqual(Object.keys(en).sort());
    for (const key of Object.keys(en)) {
      const [a, b] = [en[key]!, mi[key]!];
      expect(Array.isArray(b), key).toBe(Array.isArray(a));
      if (Array.isArray(a)) expect((b as string[]).length, key).toBe(a.length);
      else expect(placeholders(b as string).sort(), key).toEqual(placeholders(a as string).sort());
    }
  });

  it("are translated: no te reo Māori text is the English one copied, but names that are the same in both", () => {
    const copied = Object.keys(en).filter((k) => JSON.stringify(en[k]) === JSON.stringify(mi[k]) && !SAME_IN_BOTH.has(k));
    expect(copied).toEqual([]);
  });

  it("name every category, table, sum and section the briefing uses, in both languages", () => {
    for (const lang of LANGS) {
      const m = messages(lang);
      for (const spec of Object.values(TABLES)) {
        expect(() => m.t(`table.${spec.id}`)).not.toThrow();
        for (const s of spec.sums) expect(() => m.t(`table.${spec.id}.${s.id}`)).not.toThrow();
        for (const c of spec.categories) expect(m.has(`label.${c}`), `${lang} label.${c}`).toBe(true);
      }
      for (const s of GUIDANCE_SECTIONS) expect(guidance(s, m).report.length).toBeGreaterThan(0);
    }
    expect(label("a_new_code")).toBe("A new code"); // a code from data no catalogue names yet is shown as itself
  });

  it("never carry a district's name: the names are regions.ts's, the same in both languages", () => {
    const all = JSON.stringify(mi) + JSON.stringify(en);
    for (const r of REGIONS) expect(all, r.name).not.toContain(r.name);
  });

  it("refuse what a translator could get wrong: an empty text, a list with a number in it", () => {
    expect(() => checkCatalogue("mi", { a: "" })).toThrow(MessageMissing);
    expect(() => checkCatalogue("mi", { a: ["x", 3] })).toThrow(/a: expected/);
    expect(() => checkCatalogue("mi", ["x"])).toThrow(/\(root\)/);
  });
});

describe("a lookup", () => {
  it("puts values in", () => {
    expect(messages("mi").t("period.week", { n: 47, year: "2026" })).toBe("Wiki 47, 2026");
    expect(messages("en").t("period.week", { n: 47, year: "2026" })).toBe("Week 47, 2026");
  });

  it("throws for a key a catalogue lacks, never answering in English", () => {
    const partial = messages("mi", { "page.skip": "Peke ki te ihirangi matua" });
    expect(partial.t("page.skip")).toBe("Peke ki te ihirangi matua");
    expect(() => partial.t("page.home")).toThrow(MessageMissing);
    expect(() => partial.t("page.home")).toThrow("mi catalogue: page.home: no such key");
    expect(() => partial.list("guidance.drugs.drivers")).toThrow(MessageMissing);
  });

  it("throws for a value a text asks for and is not given, and for a list asked as a text", () => {
    expect(() => messages("en").t("period.week", { n: 47 })).toThrow("no value for {year}");
    expect(() => messages("en").t("guidance.drugs.drivers")).toThrow("is a list");
    expect(() => messages("en").list("page.skip")).toThrow("is a text");
  });
});

describe("the reader's language", () => {
  it("is ?lang= first, then the cookie, then Accept-Language by its q values, else English", () => {
    expect(negotiateLang({ query: "mi", cookie: "en", acceptLanguage: "en" })).toBe("mi");
    expect(negotiateLang({ query: "fr", cookie: "mi" })).toBe("mi");
    expect(negotiateLang({ cookie: "xx", acceptLanguage: "mi-NZ, en;q=0.5" })).toBe("mi");
    expect(negotiateLang({ acceptLanguage: "en-NZ, mi;q=0.9" })).toBe("en");
    expect(negotiateLang({ acceptLanguage: "fr, en;q=0.3, mi;q=0.8" })).toBe("mi");
    expect(negotiateLang({ acceptLanguage: "mi;q=0, de" })).toBe("en");
    expect(negotiateLang({ acceptLanguage: ";;q=,," })).toBe("en");
    expect(negotiateLang({})).toBe("en");
  });

  it("is kept in links: lang= set, replacing one there", () => {
    expect(withLang("/public/eastern", "mi")).toBe("/public/eastern?lang=mi");
    expect(withLang("/briefings/eastern?week=2026-W47&lang=en", "mi")).toBe("/briefings/eastern?week=2026-W47&lang=mi");
  });
});
