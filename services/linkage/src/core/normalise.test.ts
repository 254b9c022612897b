import { IdentityDocumentKind, type Subject } from "@takitini/proto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ISSUE_CODES } from "./issues.js";
import {
  isCalendarDate,
  nameTokens,
  normaliseCountry,
  normaliseDateOfBirth,
  normaliseDocument,
  normaliseName,
  normalisePhone,
  normalisePlate,
  normaliseRegistration,
  normaliseSubjects,
  type Normalised,
} from "./normalise.js";

const value = <T>(r: Normalised<T> | undefined): T | undefined => (r?.ok ? r.value : undefined);
const code = <T>(r: Normalised<T> | undefined): string | undefined => (r && !r.ok ? r.issue.code : undefined);
const nameKey = (raw: string) => value(normaliseName(raw, "n"))?.key;

describe("names", () => {
  it.each([
    // Māori: macrons optional, case, order.
    ["Tāmati Wīremu", "tamati wiremu"],
    ["TAMATI WIREMU", "tamati wiremu"],
    ["Wīremu, Tāmati", "tamati wiremu"],
    ["Hēmi Tāwhiri", "hemi tawhiri"],
    ["Rangimārie Te Rangi-Hetaraka", "hetaraka rangi rangimarie te"],
    ["Ātaahua Ōrupe", "ataahua orupe"],
    // Tongan and Samoan: ʻokina, apostrophe, curly quote or none.
    ["Sione Tuʻipulotu", "sione tuipulotu"],
    ["Sione Tu'ipulotu", "sione tuipulotu"],
    ["Sione Tu’ipulotu", "sione tuipulotu"],
    ["SIONE TUIPULOTU", "sione tuipulotu"],
    ["ʻAna Maʻafu", "ana maafu"],
    ["Faʻaola Mataʻafa", "faaola mataafa"],
    // Fijian and Cook Islands.
    ["Litia Baleilevuka", "baleilevuka litia"],
    ["Adi-Mere Ratuva", "adi mere ratuva"],
    ["Ngametua Rima-Tūpou", "ngametua rima tupou"],
    // Chinese: family name first or last.
    ["Chen Wei", "chen wei"],
    ["Wei CHEN", "chen wei"],
    ["CHEN, Wei", "chen wei"],
    // Indian.
    ["Harpreet Kaur Sandhu", "harpreet kaur sandhu"],
    ["SANDHU, Harpreet Kaur", "harpreet kaur sandhu"],
    // Pākehā, with apostrophes and hyphens.
    ["Seán O'Brien", "obrien sean"],
    ["Mary-Jane Scott-Kerr", "jane kerr mary scott"],
    ["  John   SMITH ", "john smith"],
    ["Smith, John", "john smith"],
    // Compatibility forms and letters without a combining mark.
    ["Ｊｏｈｎ Ｓｍｉｔｈ", "john smith"],
    ["Søren Łukasz", "lukasz soren"],
  ])("%s → %s", (raw, key) => {
    expect(nameKey(raw)).toBe(key);
  });

  it("keeps scripts it cannot fold (a name written in Chinese characters matches itself, not its romanisation)", () => {
    expect(nameKey("陈 伟")).toBe(["伟", "陈"].sort().join(" "));
    expect(nameKey("陈 伟")).not.toBe(nameKey("Chen Wei"));
    expect(nameKey("김민준 박")).toBe(nameKey("박 김민준"));
  });

  it("marks a name of one token weak: it may still be a candidate, but not for the name rule", () => {
    expect(value(normaliseName("Moana", "n"))).toEqual({ tokens: ["moana"], key: "moana", weak: true });
    expect(value(normaliseName("Moana Ngata", "n"))?.weak).toBe(false);
    expect(value(normaliseName("Tuʻi", "n"))?.weak).toBe(true);
  });

  it("treats an empty name as absent and a name without a letter as malformed, at its path", () => {
    expect(normaliseName("   ", "subjects[0].person.fullName")).toBeUndefined();
    expect(normaliseName("—?!", "subjects[0].person.fullName")).toEqual({ ok: false, issue: { path: "subjects[0].person.fullName", code: "IDENTIFIER_MALFORMED", message: expect.any(String) } });
  });

  it("tells different names apart", () => {
    expect(nameKey("Tamati Wiremu")).not.toBe(nameKey("Tamati Wiremu Ngata"));
    expect(nameKey("Tamati Wiremu")).not.toBe(nameKey("Tamati Wiremo"));
    expect(nameKey("John John Smith")).not.toBe(nameKey("John Smith"));
  });

  const letter = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyzāēīōūʻ'".split(""));
  const word = fc.array(letter, { minLength: 1, maxLength: 8 }).map((cs) => cs.join(""));
  const words = fc.array(word, { minLength: 1, maxLength: 4 });

  it("is idempotent: a normalised name normalises to itself", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 40 }), (raw) => {
        const once = value(normaliseName(raw, "n"));
        if (once === undefined) return;
        expect(value(normaliseName(once.key, "n"))).toEqual(once);
      }),
    );
  });

  it("does not depend on order, case, macrons, ʻokina or separators", () => {
    fc.assert(
      fc.property(words, fc.integer(), fc.constantFrom(" ", "  ", ", ", "-", " - ", ".\t"), (ws, seed, sep) => {
        const base = nameKey(ws.join(" "));
        const shuffled = [...ws].sort((a, b) => ((a.length * 31 + seed) % 7) - ((b.length * 31 + seed) % 7));
        const variant = shuffled
          .map((w) => w.toUpperCase().normalize("NFD").replace(/\p{M}/gu, "").replaceAll("ʻ", "’"))
          .join(sep);
        expect(nameKey(variant)).toBe(base);
      }),
    );
  });

  it("folds the same on ASCII and on text with a non-ASCII letter (the ASCII fast path agrees with the full one)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary-ascii", maxLength: 30 }), (ascii) => {
        const printable = ascii.replace(/[^\x20-\x7e]/g, " ");
        expect(nameTokens(`${printable} ā`)).toEqual([...nameTokens(printable), "a"].sort());
      }),
    );
  });
});

describe("dates of birth", () => {
  const today = "2026-06-01";
  it("accepts a real calendar date written yyyy-mm-dd between 1900 and today", () => {
    expect(value(normaliseDateOfBirth("1991-03-14", "d", today))).toBe("1991-03-14");
    expect(value(normaliseDateOfBirth(" 2000-02-29 ", "d", today))).toBe("2000-02-29");
    expect(value(normaliseDateOfBirth("1900-01-01", "d", today))).toBe("1900-01-01");
    expect(value(normaliseDateOfBirth(today, "d", today))).toBe(today);
  });

  it.each([["14/03/1991"], ["1991-3-14"], ["1991-03-14T00:00:00Z"], ["2023-02-29"], ["1999-13-01"], ["1999-04-31"], ["nineteen ninety"]])("%s is malformed", (raw) => {
    expect(code(normaliseDateOfBirth(raw, "subjects[0].person.dateOfBirth", today))).toBe("IDENTIFIER_MALFORMED");
  });

  it("refuses the future and before 1900 as out of range, naming the path", () => {
    const r = normaliseDateOfBirth("2026-06-02", "subjects[1].person.dateOfBirth", today);
    expect(r).toEqual({ ok: false, issue: { path: "subjects[1].person.dateOfBirth", code: "DATE_OUT_OF_RANGE", message: expect.any(String) } });
    expect(code(normaliseDateOfBirth("1899-12-31", "d", today))).toBe("DATE_OUT_OF_RANGE");
  });

  it("is idempotent and agrees with the calendar", () => {
    fc.assert(
      fc.property(fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2026-06-01T00:00:00Z"), noInvalidDate: true }), (d) => {
        const iso = d.toISOString().slice(0, 10);
        expect(isCalendarDate(iso)).toBe(true);
        expect(value(normaliseDateOfBirth(iso, "d", today))).toBe(iso);
      }),
    );
  });
});

describe("phones", () => {
  it.each([
    ["021 123 4567", "+64211234567"],
    ["+64 21 123 4567", "+64211234567"],
    ["0064 21 123 4567", "+64211234567"],
    ["(021) 123-4567", "+64211234567"],
    ["+64 (0)21 123 4567", "+64211234567"],
    ["021 555 0147", "+64215550147"],
    ["022 123 456", "+6422123456"],
    ["027 1234 5678", "+642712345678"],
    ["(09) 123 4567", "+6491234567"],
    ["03-123 4567", "+6431234567"],
    ["0800 123 456", "+64800123456"],
    ["+61 412 345 678", "+61412345678"],
    ["0061 412 345 678", "+61412345678"],
    ["+91 98765 43210", "+919876543210"],
    ["+685 7212345", "+6857212345"],
  ])("%s → %s", (raw, e164) => {
    expect(value(normalisePhone(raw, "p"))).toBe(e164);
  });

  it.each([["123 4567"], ["021 12"], ["+64 1 234 5678"], ["021 123 4567 ext 5"], ["phone me"], ["+0 123 456 789"], ["+1234567890123456"]])("%s is malformed", (raw) => {
    expect(normalisePhone(raw, "subjects[0].person.phoneNumbers[1]")).toEqual({ ok: false, issue: { path: "subjects[0].person.phoneNumbers[1]", code: "IDENTIFIER_MALFORMED", message: expect.any(String) } });
  });

  it("writes every NZ mobile the same whichever way it was written, and is idempotent", () => {
    fc.assert(
      fc.property(fc.constantFrom("21", "22", "27", "29"), fc.integer({ min: 0, max: 9_999_999 }), (prefix, n) => {
        const rest = String(n).padStart(7, "0");
        const forms = [`0${prefix} ${rest.slice(0, 3)} ${rest.slice(3)}`, `+64 ${prefix} ${rest}`, `0064${prefix}${rest}`, `(0${prefix}) ${rest.slice(0, 3)}-${rest.slice(3)}`];
        const e164 = forms.map((f) => value(normalisePhone(f, "p")));
        expect(new Set(e164)).toEqual(new Set([`+64${prefix}${rest}`]));
        expect(value(normalisePhone(e164[0]!, "p"))).toBe(e164[0]);
      }),
    );
  });
});

describe("identity documents", () => {
  const passport = IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT;
  it("upper-cases the number without spaces or hyphens, and the country as alpha-3", () => {
    expect(normaliseDocument({ kind: passport, number: "la 998-1234", issuingCountry: "nzl" }, "d")).toEqual({ value: { kind: passport, country: "NZL", number: "LA9981234" }, issues: [] });
    expect(normaliseDocument({ kind: passport, number: "LA9981234", issuingCountry: "NZ" }, "d")?.value?.country).toBe("NZL");
    expect(value(normaliseCountry("uk", "c"))).toBe("GBR");
    expect(value(normaliseCountry("XXA", "c"))).toBe("XXA");
  });

  it("reports every missing or malformed part at its own path", () => {
    const r = normaliseDocument({ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_UNSPECIFIED, number: "LA/99", issuingCountry: "QQ" }, "subjects[2].person.documents[0]");
    expect(r?.value).toBeUndefined();
    expect(r?.issues.map((i) => [i.path, i.code])).toEqual([
      ["subjects[2].person.documents[0].number", "IDENTIFIER_MALFORMED"],
      ["subjects[2].person.documents[0].kind", "IDENTIFIER_INCOMPLETE"],
      ["subjects[2].person.documents[0].issuingCountry", "COUNTRY_UNKNOWN"],
    ]);
    expect(normaliseDocument({ kind: passport, number: "LA9981234", issuingCountry: "" }, "d")?.issues.map((i) => i.code)).toEqual(["IDENTIFIER_INCOMPLETE"]);
    expect(normaliseDocument({ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_UNSPECIFIED, number: " ", issuingCountry: "" }, "d")).toBeUndefined();
  });

  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9 -]{1,20}$/), fc.constantFrom("NZ", "nzl", "AU", "IND", "ws"), (number, country) => {
        const once = normaliseDocument({ kind: passport, number, issuingCountry: country }, "d")?.value;
        if (!once) return;
        expect(normaliseDocument({ kind: once.kind, number: once.number, issuingCountry: once.country }, "d")?.value).toEqual(once);
      }),
    );
  });
});

describe("plates", () => {
  it.each([["abc-123", "ABC123"], ["QZX 482", "QZX482"], [" hemi1 ", "HEMI1"], ["A", "A"]])("%s → %s", (raw, plate) => {
    expect(value(normalisePlate(raw, "p"))).toBe(plate);
  });
  it.each([["ABC1234XY"], ["AB.123"], ["ĀBC123"]])("%s is malformed", (raw) => {
    expect(code(normalisePlate(raw, "subjects[3].vehicle.plate"))).toBe("IDENTIFIER_MALFORMED");
  });
  it("is idempotent", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9 -]{1,10}$/), (raw) => {
        const once = value(normalisePlate(raw, "p"));
        if (once !== undefined) expect(value(normalisePlate(once, "p"))).toBe(once);
      }),
    );
  });
});

describe("company registration", () => {
  it("tells an NZBN from a Companies Office number and removes spaces", () => {
    expect(value(normaliseRegistration("9429 0499 12345", "r"))).toEqual({ kind: "NZBN", number: "9429049912345" });
    expect(value(normaliseRegistration(" 1234567 ", "r"))).toEqual({ kind: "COMPANY_NUMBER", number: "1234567" });
  });
  it.each([["8429049912345"], ["94290499123456"], ["ABC123"], ["12-345"]])("%s is malformed", (raw) => {
    expect(code(normaliseRegistration(raw, "subjects[1].organisation.registrationNumber"))).toBe("IDENTIFIER_MALFORMED");
  });
});

describe("a record's subjects", () => {
  const person = (value: Partial<Extract<Subject["entity"], { $case: "person" }>["value"]>): Subject => ({
    entity: { $case: "person", value: { subjectId: "police/person/P-1", fullName: "", aliases: [], dateOfBirth: "", address: "", phoneNumbers: [], documents: [], role: "SUBJECT_ROLE_UNSPECIFIED" as never, isMinor: false, ...value } },
  });

  it("keeps the good identifiers of a subject and reports the bad ones at their paths, never their values", () => {
    const { subjects, issues } = normaliseSubjects(
      {
        subjects: [
          { entity: undefined },
          person({
            fullName: "Hēmi Tāwhiri",
            aliases: ["Hemi TAWHIRI", "Bro"],
            dateOfBirth: "1991-02-30",
            phoneNumbers: ["021 555 0147", "call me"],
            documents: [
              { kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_DRIVER_LICENCE, number: "dl 123456", issuingCountry: "NZ" },
              { kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT, number: "LA998!234", issuingCountry: "NZ" },
            ],
          }),
          { entity: { $case: "vehicle", value: { subjectId: "police/vehicle/V-1", plate: "TOO-LONG-PLATE", make: "", model: "", colour: "" } } },
        ],
      },
      "2026-06-01",
    );
    expect(issues.map((i) => [i.path, i.code])).toEqual([
      ["subjects[1].person.phoneNumbers[1]", "IDENTIFIER_MALFORMED"],
      ["subjects[1].person.documents[1].number", "IDENTIFIER_MALFORMED"],
      ["subjects[1].person.dateOfBirth", "IDENTIFIER_MALFORMED"],
      ["subjects[2].vehicle.plate", "IDENTIFIER_MALFORMED"],
    ]);
    for (const i of issues) {
      expect(Object.keys(ISSUE_CODES)).toContain(i.code);
      for (const secret of ["call me", "LA998", "1991-02-30", "TOO-LONG", "Hēmi"]) expect(i.message).not.toContain(secret);
    }
    expect(subjects).toHaveLength(2);
    const p = subjects[0]!;
    expect(p.kind === "PERSON" && [p.subjectIndex, p.names.map((n) => n.key), p.dateOfBirth, p.phones, p.documents.map((d) => d.number)]).toEqual([1, ["hemi tawhiri", "bro"], undefined, ["+64215550147"], ["DL123456"]]);
    expect(subjects[1]).toEqual({ kind: "VEHICLE", subjectId: "police/vehicle/V-1", subjectIndex: 2, plate: undefined });
  });
});
