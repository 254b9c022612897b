import { IdentityDocumentKind, type Subject } from "@takitini/proto";
import { ALPHA3_OF_ALPHA2 } from "./countries.js";
import { issue, type NormaliseIssue } from "./issues.js";

/**
 * Normalisation of every identifier the rules match on. Each function takes the
 * raw value as an agency wrote it and the field's path in the record, and
 * returns `undefined` when the field is empty (absent is not an error: most
 * records carry few identifiers), the normalised value, or an issue naming the
 * path. Pure, and idempotent: a normalised value normalises to itself.
 *
 * Normalised values are the core's own: they are hashed into match tokens
 * (tokens.ts) and never leave the service.
 */
export type Normalised<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issue: NormaliseIssue };

const ok = <T>(value: T): Normalised<T> => ({ ok: true, value });
const bad = <T>(i: NormaliseIssue): Normalised<T> => ({ ok: false, issue: i });

// ---------------------------------------------------------------------------
// Names

/** A normalised personal or organisation name. */
export interface NormalisedName {
  /** Its tokens, folded and sorted: the same for any order the name was written in. */
  readonly tokens: readonly string[];
  /** The tokens joined by single spaces: what is matched. */
  readonly key: string;
  /**
   * Fewer than two tokens ("Moana", "Junior"): too common to identify anyone, so
   * the name-and-date-of-birth rule does not use it.
   */
  readonly weak: boolean;
}

/**
 * Marks that separate or elide within a word and are dropped, not turned into a
 * space, so the three ways Tongan and Samoan names are written agree:
 * Tuʻipulotu (ʻokina, U+02BB) = Tu'ipulotu = Tu’ipulotu = Tuipulotu. The ʻokina is
 * a modifier *letter*, so it must go before letters are kept below.
 */
const ELIDED = /['`\u00B4\u02B9\u02BB\u02BC\u02BD\u02BE\u02BF\u2018\u2019\u201B\u2032]/gu;

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Letters that carry no combining mark to strip but are written without it in English-language systems. */
const FOLDED: Readonly<Record<string, string>> = { ß: "ss", æ: "ae", œ: "oe", ø: "o", đ: "d", ð: "d", ł: "l", þ: "th", ı: "i" };
const FOLDABLE = new RegExp(`[${Object.keys(FOLDED).join("")}]`, "gu");

/**
 * A name's tokens: case folded; compatibility forms (full-width letters,
 * ligatures) and diacritics folded, so macrons are optional (Tāmati Wīremu =
 * Tamati Wiremu — many agency systems still drop them); ʻokina and apostrophes
 * dropped; hyphens and every other punctuation a space (Te Rangi-Hetaraka =
 * Te Rangi Hetaraka; "Smith, John"); then sorted, because agencies write family
 * names first or last (SMITH John, Chen Wei / Wei Chen). Pure.
 */
export function nameTokens(raw: string): string[] {
  // Most names are plain ASCII: the same steps without Unicode normalisation, several times faster.
  if (PRINTABLE_ASCII.test(raw)) {
    const plain = raw.toLowerCase().replace(/['`]/g, "").replace(/[^a-z0-9]+/g, " ").trim();
    return plain === "" ? [] : plain.split(" ").sort();
  }
  const folded = raw
    .normalize("NFC")
    // Before NFKD, which would turn ´ into a space and a combining accent.
    .replace(ELIDED, "")
    .normalize("NFKD")
    // After NFKD, which can decompose into capitals (㎒ → MHz); marks lower-casing adds (İ → i̇) go next.
    .toLowerCase()
    .replace(/\p{M}+/gu, "")
    .replace(FOLDABLE, (c) => FOLDED[c] ?? c)
    // And after it: a few letters decompose into an apostrophe and a letter (ŉ → ʼn).
    .replace(ELIDED, "")
    .replace(/[^\p{L}\p{N}]+/gu, " ")
    .trim()
    // Back to composed form (only Hangul and the like still compose after the marks are gone).
    .normalize("NFC");
  return folded === "" ? [] : folded.split(" ").sort();
}

/** A personal or organisation name (or an alias). */
export function normaliseName(raw: string, path: string): Normalised<NormalisedName> | undefined {
  if (raw.trim() === "") return undefined;
  const tokens = nameTokens(raw);
  if (tokens.length === 0) return bad(issue(path, "IDENTIFIER_MALFORMED", "a name needs at least one letter or digit"));
  return ok({ tokens, key: tokens.join(" "), weak: tokens.length < 2 });
}

// ---------------------------------------------------------------------------
// Dates of birth

/** The earliest date of birth accepted: anyone older is a typing error, not a subject. */
export const EARLIEST_DATE_OF_BIRTH = "1900-01-01";

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Whether yyyy-mm-dd names a day that exists (not 2023-02-29, not 1999-13-01). */
export function isCalendarDate(date: string): boolean {
  const m = ISO_DATE.exec(date);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/**
 * A date of birth: ISO yyyy-mm-dd (nothing else: 03/04/1990 is ambiguous between
 * the NZ and US orders, and a guess could link two different people), a real
 * calendar date, not before 1900 and not after `today` (yyyy-mm-dd: the record's
 * own date, so that the result never depends on when it is computed).
 */
export function normaliseDateOfBirth(raw: string, path: string, today: string): Normalised<string> | undefined {
  const date = raw.trim();
  if (date === "") return undefined;
  if (!isCalendarDate(date)) return bad(issue(path, "IDENTIFIER_MALFORMED", "a date of birth must be a calendar date written yyyy-mm-dd"));
  if (date < EARLIEST_DATE_OF_BIRTH || date > today) return bad(issue(path, "DATE_OUT_OF_RANGE", "a date of birth cannot be in the future or before 1900"));
  return ok(date);
}

// ---------------------------------------------------------------------------
// Phone numbers

/**
 * A NZ national significant number (after +64, without the trunk 0): mobiles 2x
 * with 6 to 8 more digits (021 123 456, 022 123 4567, 027 1234 5678); landlines
 * a one-digit area code 3, 4, 6, 7 or 9 and 7 digits ((09) 123 4567); freephone
 * 0800 and 0508 with 6 or 7 digits.
 */
const NZ_NATIONAL = /^(?:2\d{7,9}|[34679]\d{7}|(?:800|508)\d{6,7})$/;

/** Separators people write in phone numbers. */
const PHONE_SEPARATORS = /[\s\-.()/\u00A0\u2010-\u2015]/gu;

/**
 * A phone number in E.164: NZ numbers in any common form (021 123 4567,
 * +64 21 123 4567, 0064 21 123 4567, (09) 123 4567, +64 (0)21 …) become
 * +64…; a foreign number written with its +CC or 00CC is kept as +CC…; anything
 * else (a local number without its area code, letters, an extension) is
 * malformed. Phones are normalised for completeness and validation only: a
 * shared phone (a household's, a workplace's) is not a person, so no rule links on one.
 */
export function normalisePhone(raw: string, path: string): Normalised<string> | undefined {
  if (raw.trim() === "") return undefined;
  const s = raw.replace(PHONE_SEPARATORS, "");
  const malformed = () => bad<string>(issue(path, "IDENTIFIER_MALFORMED", "a phone number must be a NZ number or start with + and its country code"));
  let international: string;
  if (/^\+\d+$/.test(s)) international = s.slice(1);
  else if (/^00\d+$/.test(s)) international = s.slice(2);
  else if (/^0\d+$/.test(s)) international = `64${s.slice(1)}`;
  else return malformed();
  if (international.startsWith("64")) {
    // "+64 (0)21 …" and "+64 021 …": the trunk 0 written after the country code.
    const national = international.slice(2).replace(/^0/, "");
    return NZ_NATIONAL.test(national) ? ok(`+64${national}`) : malformed();
  }
  // E.164: a country code that does not start with 0, at most 15 digits in all.
  return /^[1-9]\d{6,14}$/.test(international) ? ok(`+${international}`) : malformed();
}

// ---------------------------------------------------------------------------
// Identity documents

const KNOWN_DOCUMENT_KINDS: ReadonlySet<string> = new Set(Object.values(IdentityDocumentKind));

export interface NormalisedDocument {
  readonly kind: IdentityDocumentKind;
  /** ISO 3166 alpha-3, upper case ("NZL"). */
  readonly country: string;
  /** Upper case, without spaces or hyphens. */
  readonly number: string;
}

/**
 * An issuing country: alpha-3 as given, upper-cased ("nzl" → "NZL", including
 * the travel-document codes that are not ISO, e.g. XXA stateless); an ISO alpha-2
 * code becomes its alpha-3 ("NZ" → "NZL"), because the contract asks agencies
 * for alpha-2 and passports' machine-readable zones print alpha-3, and the same
 * passport must match itself whichever an agency wrote.
 */
export function normaliseCountry(raw: string, path: string): Normalised<string> | undefined {
  const code = raw.trim().toUpperCase();
  if (code === "") return undefined;
  if (/^[A-Z]{3}$/.test(code)) return ok(code);
  const alpha3 = /^[A-Z]{2}$/.test(code) ? (ALPHA3_OF_ALPHA2.get(code === "UK" ? "GB" : code) ?? undefined) : undefined;
  return alpha3 ? ok(alpha3) : bad(issue(path, "COUNTRY_UNKNOWN", "an issuing country must be an ISO 3166 alpha-2 or alpha-3 code"));
}

/**
 * An identity document: its kind, its issuing country (above) and its number
 * upper-cased without spaces or hyphens ("la 998-1234" → "LA9981234"). All three
 * identify it: the same number on a passport and a visa, or from two countries,
 * is two documents. Every problem is reported, each at its own field.
 */
export function normaliseDocument(
  doc: { kind: IdentityDocumentKind; number: string; issuingCountry: string },
  path: string,
): { value?: NormalisedDocument; issues: NormaliseIssue[] } | undefined {
  const number = doc.number.replace(/[\s\-\u00A0\u2010-\u2015]/gu, "").toUpperCase();
  const kindKnown = doc.kind !== IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_UNSPECIFIED && KNOWN_DOCUMENT_KINDS.has(doc.kind);
  if (number === "" && doc.issuingCountry.trim() === "" && !kindKnown) return undefined;
  const issues: NormaliseIssue[] = [];
  if (number === "") issues.push(issue(`${path}.number`, "IDENTIFIER_INCOMPLETE", "a document needs its number"));
  else if (!/^[A-Z0-9]{1,24}$/.test(number)) issues.push(issue(`${path}.number`, "IDENTIFIER_MALFORMED", "a document number is letters A–Z and digits only, at most 24"));
  if (!kindKnown) issues.push(issue(`${path}.kind`, "IDENTIFIER_INCOMPLETE", "a document needs its kind (passport, driver licence, visa, firearms licence)"));
  const country = normaliseCountry(doc.issuingCountry, `${path}.issuingCountry`);
  if (country === undefined) issues.push(issue(`${path}.issuingCountry`, "IDENTIFIER_INCOMPLETE", "a document needs its issuing country"));
  else if (!country.ok) issues.push(country.issue);
  if (issues.length > 0 || country === undefined || !country.ok) return { issues };
  return { value: { kind: doc.kind, country: country.value, number }, issues };
}

// ---------------------------------------------------------------------------
// Vehicle plates

/** A plate: upper case without spaces or hyphens, 1 to 8 letters and digits ("abc-123" → "ABC123"). */
export function normalisePlate(raw: string, path: string): Normalised<string> | undefined {
  if (raw.trim() === "") return undefined;
  const plate = raw.replace(/[\s\-\u00A0\u2010-\u2015]/gu, "").toUpperCase();
  return /^[A-Z0-9]{1,8}$/.test(plate) ? ok(plate) : bad(issue(path, "IDENTIFIER_MALFORMED", "a plate is 1 to 8 letters A–Z and digits"));
}

// ---------------------------------------------------------------------------
// Company registration

/** The two registers, kept apart: an NZBN and a Companies Office number are never compared. */
export type RegistrationKind = "NZBN" | "COMPANY_NUMBER";

export interface NormalisedRegistration {
  readonly kind: RegistrationKind;
  /** Digits only. */
  readonly number: string;
}

/**
 * A company's registration: an NZ Business Number (13 digits starting 94, a
 * GS1 number) or a Companies Office number (up to 10 digits), spaces removed
 * ("9429 0499 12345" → NZBN 9429049912345). The check digit is not verified:
 * a wrong one is still the same wrong number in both records.
 */
export function normaliseRegistration(raw: string, path: string): Normalised<NormalisedRegistration> | undefined {
  if (raw.trim() === "") return undefined;
  const digits = raw.replace(/[\s\u00A0]/gu, "");
  if (/^94\d{11}$/.test(digits)) return ok({ kind: "NZBN", number: digits });
  if (/^\d{1,10}$/.test(digits)) return ok({ kind: "COMPANY_NUMBER", number: digits });
  return bad(issue(path, "IDENTIFIER_MALFORMED", "a registration is an NZBN (13 digits starting 94) or a Companies Office number (digits)"));
}

// ---------------------------------------------------------------------------
// A record's subjects

/** The subject kinds, as the index entries and the policy facts name them. */
export type SubjectKind = "PERSON" | "ORGANISATION" | "VEHICLE";

export interface NormalisedPerson {
  readonly kind: "PERSON";
  readonly subjectId: string;
  readonly subjectIndex: number;
  /** The full name, then each alias, without repeats (the same name twice is one candidate). */
  readonly names: readonly NormalisedName[];
  readonly dateOfBirth: string | undefined;
  readonly phones: readonly string[];
  readonly documents: readonly NormalisedDocument[];
}

export interface NormalisedOrganisation {
  readonly kind: "ORGANISATION";
  readonly subjectId: string;
  readonly subjectIndex: number;
  readonly name: NormalisedName | undefined;
  readonly registration: NormalisedRegistration | undefined;
}

export interface NormalisedVehicle {
  readonly kind: "VEHICLE";
  readonly subjectId: string;
  readonly subjectIndex: number;
  readonly plate: string | undefined;
}

export type NormalisedSubject = NormalisedPerson | NormalisedOrganisation | NormalisedVehicle;

/**
 * Every subject of a record, normalised, with every issue at its field path
 * (`subjects[2].person.documents[0].number`). An identifier with an issue is left
 * out and the rest of the subject kept: a malformed phone does not stop a good
 * passport from matching. A subject with no entity is skipped. `today` is the
 * record's date (yyyy-mm-dd) for dates of birth. Pure.
 */
export function normaliseSubjects(record: { readonly subjects: readonly Subject[] }, today: string): { subjects: NormalisedSubject[]; issues: NormaliseIssue[] } {
  const subjects: NormalisedSubject[] = [];
  const issues: NormaliseIssue[] = [];
  const keep = <T>(r: Normalised<T> | undefined): T | undefined => {
    if (r === undefined) return undefined;
    if (r.ok) return r.value;
    issues.push(r.issue);
    return undefined;
  };
  record.subjects.forEach((subject, subjectIndex) => {
    const entity = subject.entity;
    const at = `subjects[${subjectIndex}].${entity?.$case ?? ""}`;
    switch (entity?.$case) {
      case "person": {
        const p = entity.value;
        const names: NormalisedName[] = [];
        const candidates: [string, string][] = [[p.fullName, `${at}.fullName`], ...p.aliases.map((a, i): [string, string] => [a, `${at}.aliases[${i}]`])];
        for (const [raw, path] of candidates) {
          const name = keep(normaliseName(raw, path));
          if (name && !names.some((n) => n.key === name.key)) names.push(name);
        }
        const phones = [...new Set(p.phoneNumbers.map((raw, i) => keep(normalisePhone(raw, `${at}.phoneNumbers[${i}]`))).filter((x): x is string => x !== undefined))];
        const documents: NormalisedDocument[] = [];
        p.documents.forEach((d, i) => {
          const r = normaliseDocument(d, `${at}.documents[${i}]`);
          if (r === undefined) return;
          issues.push(...r.issues);
          if (r.value && !documents.some((x) => x.kind === r.value!.kind && x.country === r.value!.country && x.number === r.value!.number)) documents.push(r.value);
        });
        subjects.push({ kind: "PERSON", subjectId: p.subjectId, subjectIndex, names, dateOfBirth: keep(normaliseDateOfBirth(p.dateOfBirth, `${at}.dateOfBirth`, today)), phones, documents });
        return;
      }
      case "organisation": {
        const o = entity.value;
        subjects.push({ kind: "ORGANISATION", subjectId: o.subjectId, subjectIndex, name: keep(normaliseName(o.name, `${at}.name`)), registration: keep(normaliseRegistration(o.registrationNumber, `${at}.registrationNumber`)) });
        return;
      }
      case "vehicle": {
        const v = entity.value;
        subjects.push({ kind: "VEHICLE", subjectId: v.subjectId, subjectIndex, plate: keep(normalisePlate(v.plate, `${at}.plate`)) });
        return;
      }
      default:
        return;
    }
  });
  return { subjects, issues };
}
