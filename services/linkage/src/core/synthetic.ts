import { createHash } from "node:crypto";
import {
  Agency,
  Classification,
  Commodity,
  ConcealmentMethod,
  ConsignmentRiskIndicator,
  ExploitationIndicator,
  HandlingCaveat,
  IdentityDocumentKind,
  Industry,
  IntelligenceEvent,
  JobFeeLocation,
  LinkRule,
  OrganisationKind,
  OrganisedCrimeActivity,
  PoliceDistrict,
  PortOfEntry,
  SubjectRole,
  SupportService,
  TraffickingIndicator,
  type Subject,
} from "@takitini/proto";
import { CULTURES, ORGANISATION_PLACES, ORGANISATION_SUFFIXES, ORGANISATION_TRADES, type Culture } from "./names.js";
import { nameTokens } from "./normalise.js";

/**
 * A seeded synthetic population across the four agencies, for the tests and the
 * benchmark: people, companies and vehicles, each appearing in one or more
 * agencies' records written the way each agency writes them (names in any
 * order and case, with or without macrons and ʻokina; phones, document numbers,
 * plates and registrations in their common forms), with the ground truth —
 * which subjects of which records are the same entity — and deliberate near
 * misses that must not link.
 *
 * Deterministic: the same options give the same events, byte for byte. An
 * entity depends only on the seed and its own index, never on the chunking.
 *
 * Why the truth holds: no two synthetic people share a name and a date of birth
 * unless the generator means them to. Each culture's (first name, family name,
 * date of birth) triples are handed out by a permutation of the whole space of
 * triples (an affine map modulo its size), so they are distinct; every
 * combination of names in names.ts normalises to a key no other combination has
 * (names.test.ts); documents, registrations and plates are permutations of
 * their number spaces per kind. A near miss is checked against the permutation
 * (is that name and date someone's?) and against the other near misses.
 */

export type AgencyCode = "police" | "customs" | "mbie" | "msd";
const AGENCY_CODES: readonly AgencyCode[] = ["police", "customs", "mbie", "msd"];
const AGENCY_ENUM: Readonly<Record<AgencyCode, Agency>> = { police: Agency.AGENCY_POLICE, customs: Agency.AGENCY_CUSTOMS, mbie: Agency.AGENCY_MBIE, msd: Agency.AGENCY_MSD };

/** The event types each agency's synthetic records take. */
export const AGENCY_EVENT_TYPES: Readonly<Record<AgencyCode, readonly string[]>> = {
  police: ["police.organised_crime_noting"],
  customs: ["customs.border_seizure", "customs.suspicious_consignment"],
  mbie: ["mbie.exploitation_complaint", "mbie.trafficking_indicator"],
  msd: ["msd.whanau_support_referral"],
};

export interface SyntheticOptions {
  /** Default 1. */
  seed?: number;
  /** People (natural persons) in the population; companies and vehicles come in proportion. */
  people: number;
  /** People per chunk: each chunk is generated, shuffled and yielded on its own (default 10,000). */
  chunkPeople?: number;
  /** Share of people given a near miss (default 0.04). */
  nearMissRate?: number;
  /** When the first records were published (default 2026-06-01T00:00:00Z). */
  start?: Date;
}

/** A subject of a record. */
export interface RecordRef {
  readonly eventId: string;
  readonly subjectIndex: number;
}

/** Two subjects of different agencies' records that are the same entity and share what a rule links on. */
export interface TrueLink {
  readonly a: RecordRef;
  readonly b: RecordRef;
  /** The strongest rule they share. */
  readonly rule: LinkRule;
}

export type NearMissKind =
  | "DIFFERENT_DATE_OF_BIRTH"
  | "DAY_MONTH_SWAPPED"
  | "ONE_LETTER_DIFFERENT"
  | "DOCUMENT_OTHER_KIND"
  | "DOCUMENT_OTHER_COUNTRY"
  | "SHARED_PHONE"
  | "ORGANISATION_SAME_NAME"
  | "PLATE_ONE_CHARACTER"
  | "SAME_AGENCY_DUPLICATE";

/** Two subjects that look alike but must not link. */
export interface NearMiss {
  readonly kind: NearMissKind;
  readonly a: RecordRef;
  readonly b: RecordRef;
}

export interface PopulationChunk {
  readonly events: IntelligenceEvent[];
  readonly trueLinks: TrueLink[];
  readonly nearMisses: NearMiss[];
  /**
   * Pairs of subjects of different agencies' records that are the same entity
   * but show nothing in common a rule could link on (one record has only a
   * first name, or no date of birth and no shared document). Not links: counted
   * so a reader sees what deterministic rules cannot find.
   */
  readonly unlinkable: number;
  /** People, companies and vehicles generated in this chunk (near-miss look-alikes not counted). */
  readonly people: number;
  readonly organisations: number;
  readonly vehicles: number;
}

/** A canonical key of an unordered pair of subjects, for comparing found links with the truth. */
export function pairKey(a: RecordRef, b: RecordRef): string {
  const x = `${a.eventId}#${a.subjectIndex}`;
  const y = `${b.eventId}#${b.subjectIndex}`;
  return x < y ? `${x}|${y}` : `${y}|${x}`;
}

// ---------------------------------------------------------------------------
// Randomness

/** mulberry32: small, fast, good enough for test data; never for secrets. */
class Rng {
  #s: number;
  constructor(seed: number) {
    this.#s = seed >>> 0;
  }
  next(): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  /** One of `xs`, by weight. */
  weighted<T>(xs: readonly (readonly [T, number])[]): T {
    let r = this.next() * xs.reduce((n, [, w]) => n + w, 0);
    for (const [x, w] of xs) if ((r -= w) < 0) return x;
    return xs[xs.length - 1]![0];
  }
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  }
}

/** A 32-bit seed from integers (murmur3's finaliser over a running mix). */
function seedOf(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x01000193) >>> 0;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b) >>> 0;
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35) >>> 0;
    h ^= h >>> 16;
  }
  return h >>> 0;
}

const TAG = { person: 1, organisation: 2, vehicle: 3, chunk: 4, offset: 5 } as const;

// ---------------------------------------------------------------------------
// Permutations of number spaces: distinct indexes give distinct values.

function gcd(a: bigint, b: bigint): bigint {
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

function modInverse(a: bigint, n: bigint): bigint {
  let [r0, r1, s0, s1] = [n, a % n, 0n, 1n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1, s0, s1] = [r1, r0 - q * r1, s1, s0 - q * s1];
  }
  return ((s0 % n) + n) % n;
}

/** i ↦ (a·i + b) mod n, a bijection of [0, n) when gcd(a, n) = 1 (checked). */
class Permutation {
  readonly #a: number;
  readonly #b: number;
  readonly #n: number;
  readonly #aInverse: bigint;
  constructor(a: number, b: number, n: number) {
    if (gcd(BigInt(a), BigInt(n)) !== 1n) throw new Error(`the multiplier ${a} is not coprime with ${n}`);
    this.#a = a % n;
    this.#b = b % n;
    this.#n = n;
    this.#aInverse = modInverse(BigInt(this.#a), BigInt(n));
  }
  at(i: number): number {
    if (i >= this.#n) throw new RangeError(`index ${i} outside a space of ${this.#n}`);
    const product = this.#a * i + this.#b;
    // Exact in doubles below 2^53 (every use here); BigInt beyond.
    return product <= Number.MAX_SAFE_INTEGER ? product % this.#n : Number((BigInt(this.#a) * BigInt(i) + BigInt(this.#b)) % BigInt(this.#n));
  }
  indexOf(j: number): number {
    const n = BigInt(this.#n);
    return Number((((BigInt(j) - BigInt(this.#b)) % n + n) % n * this.#aInverse) % n);
  }
}

const A_MULTIPLIER = 387_420_489; // 3^18: coprime with the spaces below made of 2s, 5s and 13s
const A_MULTIPLIER_3 = 282_475_249; // 7^10: for spaces that have a factor 3

// ---------------------------------------------------------------------------
// Dates

const DOB_FIRST = Date.UTC(1940, 0, 1);
const DOB_LAST = Date.UTC(2012, 11, 31);
const DAY_MS = 86_400_000;
const DOB_DAYS = (DOB_LAST - DOB_FIRST) / DAY_MS + 1;

const dateOfDay = (d: number) => new Date(DOB_FIRST + d * DAY_MS).toISOString().slice(0, 10);
const dayOfDate = (iso: string) => (Date.parse(`${iso}T00:00:00Z`) - DOB_FIRST) / DAY_MS;

// ---------------------------------------------------------------------------
// Cultures: who a person index is

/** 100 slots, one per hundredth of the population, interleaved so every chunk has every culture. */
const SLOTS: readonly number[] = (() => {
  const slots = CULTURES.flatMap((c, ci) => Array.from({ length: c.share }, () => ci));
  if (slots.length !== 100) throw new Error("culture shares must sum to 100");
  return new Rng(20261206).shuffle(slots);
})();
const RANK_IN_CULTURE: readonly number[] = SLOTS.map((c, slot) => SLOTS.slice(0, slot).filter((x) => x === c).length);

function cultureOf(i: number): { culture: number; k: number } {
  const slot = i % 100;
  const culture = SLOTS[slot]!;
  return { culture, k: Math.floor(i / 100) * CULTURES[culture]!.share + RANK_IN_CULTURE[slot]! };
}

/** People of a culture among the first `people` indexes. */
function cultureCount(culture: number, people: number): number {
  const rest = people % 100;
  return Math.floor(people / 100) * CULTURES[culture]!.share + SLOTS.slice(0, rest).filter((c) => c === culture).length;
}

/** Each culture's space of (first name, family name, date of birth), permuted per seed. */
function nameSpaces(seed: number): Permutation[] {
  return CULTURES.map((c, ci) => {
    const n = c.firsts.length * c.surnames.length * DOB_DAYS;
    // 1,000,003 is prime and larger than every factor of n, so coprime with it.
    return new Permutation(1_000_003, seedOf(seed, TAG.offset, ci) % n, n);
  });
}

// ---------------------------------------------------------------------------
// Entities

interface Document {
  kind: IdentityDocumentKind;
  /** alpha-3 */
  country: string;
  number: string;
}

interface PersonEntity {
  i: number;
  culture: Culture;
  cultureIndex: number;
  first: string;
  firstIndex: number;
  surnameIndex: number;
  middle: string | undefined;
  surname: string;
  alias: string | undefined;
  dob: string;
  documents: Document[];
  /** National or international digits, e.g. "211234567" (NZ, without 0) or "+919876543210". */
  phones: string[];
}

const letters = (n: number, count: number) => {
  let s = "";
  for (let k = 0; k < count; k++) {
    s = String.fromCharCode(65 + (n % 26)) + s;
    n = Math.floor(n / 26);
  }
  return s;
};
const digits = (n: number, count: number) => String(n).padStart(count, "0");

// Number spaces, one permutation per kind (and country): distinct people, distinct numbers.
const TWO_LETTERS_SIX_DIGITS = 676_000_000;
const passportNz = new Permutation(A_MULTIPLIER, 11, TWO_LETTERS_SIX_DIGITS);
const licenceNz = new Permutation(A_MULTIPLIER, 7_777_777, TWO_LETTERS_SIX_DIGITS);
const visaNz = new Permutation(A_MULTIPLIER_3, 1234, 900_000_000);
const firearmsNz = new Permutation(A_MULTIPLIER, 99, 10_000_000);
const FOREIGN_PASSPORT: Readonly<Record<string, { space: Permutation; format: (n: number) => string }>> = {
  IND: { space: new Permutation(A_MULTIPLIER, 5, 260_000_000), format: (n) => letters(Math.floor(n / 10_000_000), 1) + digits(n % 10_000_000, 7) },
  CHN: { space: new Permutation(A_MULTIPLIER, 17, 100_000_000), format: (n) => `E${digits(n, 8)}` },
  WSM: { space: new Permutation(A_MULTIPLIER, 23, TWO_LETTERS_SIX_DIGITS), format: (n) => letters(Math.floor(n / 1_000_000), 2) + digits(n % 1_000_000, 6) },
  TON: { space: new Permutation(A_MULTIPLIER, 29, TWO_LETTERS_SIX_DIGITS), format: (n) => letters(Math.floor(n / 1_000_000), 2) + digits(n % 1_000_000, 6) },
  FJI: { space: new Permutation(A_MULTIPLIER, 31, TWO_LETTERS_SIX_DIGITS), format: (n) => letters(Math.floor(n / 1_000_000), 2) + digits(n % 1_000_000, 6) },
};
const nzbnSpace = new Permutation(A_MULTIPLIER, 4242, 1_000_000_000);
const companyNumberSpace = new Permutation(A_MULTIPLIER_3, 777, 9_000_000);
const plateSpace = new Permutation(A_MULTIPLIER, 313, 17_576_000);

function person(seed: number, spaces: readonly Permutation[], i: number): PersonEntity {
  const { culture: ci, k } = cultureOf(i);
  const c = CULTURES[ci]!;
  const j = spaces[ci]!.at(k);
  const firstIndex = j % c.firsts.length;
  const surnameIndex = Math.floor(j / c.firsts.length) % c.surnames.length;
  const day = Math.floor(j / (c.firsts.length * c.surnames.length));
  const rng = new Rng(seedOf(seed, TAG.person, i));
  const first = c.firsts[firstIndex]!;
  const surname = c.surnames[surnameIndex]!;
  const middle = c.middles.length > 0 && rng.chance(0.35) ? rng.pick(c.middles) : undefined;
  const aliasFirst = c.aliasFirsts[first];
  const alias = aliasFirst !== undefined && rng.chance(0.3) ? `${aliasFirst} ${surname}` : undefined;
  const documents: Document[] = [];
  if (rng.chance(0.65)) {
    const n = licenceNz.at(i);
    documents.push({ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_DRIVER_LICENCE, country: "NZL", number: letters(Math.floor(n / 1_000_000), 2) + digits(n % 1_000_000, 6) });
  }
  if (rng.chance(0.45)) {
    const foreign = c.foreignPassport !== undefined && rng.chance(0.5) ? c.foreignPassport : undefined;
    if (foreign !== undefined) {
      const f = FOREIGN_PASSPORT[foreign]!;
      documents.push({ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT, country: foreign, number: f.format(f.space.at(i)) });
    } else {
      const n = passportNz.at(i);
      documents.push({ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT, country: "NZL", number: letters(Math.floor(n / 1_000_000), 2) + digits(n % 1_000_000, 6) });
    }
  }
  if (c.visas && rng.chance(0.35)) documents.push({ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_VISA, country: "NZL", number: String(100_000_000 + visaNz.at(i)) });
  if (rng.chance(0.03)) documents.push({ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_FIREARMS_LICENCE, country: "NZL", number: `F${digits(firearmsNz.at(i), 7)}` });
  const phones: string[] = [];
  const phoneCount = rng.weighted([[0, 0.2], [1, 0.6], [2, 0.2]] as const);
  for (let p = 0; p < phoneCount; p++) {
    if (c.visas && rng.chance(0.1)) phones.push(`+${c.foreignPassport === "IND" ? "91" : c.foreignPassport === "CHN" ? "86" : "679"}${digits(rng.int(1_000_000_000), 9)}`);
    else if (rng.chance(0.8)) phones.push(`2${rng.pick(["1", "2", "7", "9"])}${digits(rng.int(10_000_000), 7)}`);
    else phones.push(`${rng.pick(["3", "4", "6", "7", "9"])}${digits(1_000_000 + rng.int(9_000_000), 7)}`);
  }
  return { i, culture: c, cultureIndex: ci, first, firstIndex, surnameIndex, middle, surname, alias, dob: dateOfDay(day), documents, phones };
}

interface OrganisationEntity {
  k: number;
  name: string;
  kind: OrganisationKind;
  registration: { nzbn: boolean; number: string };
}

function organisation(seed: number, k: number): OrganisationEntity {
  const rng = new Rng(seedOf(seed, TAG.organisation, k));
  const nzbn = rng.chance(0.85);
  return {
    k,
    name: `${rng.pick(ORGANISATION_PLACES)} ${rng.pick(ORGANISATION_TRADES)} ${rng.pick(ORGANISATION_SUFFIXES)}`,
    kind: rng.chance(0.9) ? OrganisationKind.ORGANISATION_KIND_COMPANY : OrganisationKind.ORGANISATION_KIND_TRUST,
    registration: { nzbn, number: nzbn ? `9429${digits(nzbnSpace.at(k), 9)}` : String(1_000_000 + companyNumberSpace.at(k)) },
  };
}

function plateOf(v: number): string {
  const n = plateSpace.at(v);
  return letters(Math.floor(n / 1000), 3) + digits(n % 1000, 3);
}

// ---------------------------------------------------------------------------
// How agencies write things

const ALPHA2: Readonly<Record<string, string>> = { NZL: "NZ", WSM: "WS", TON: "TO", FJI: "FJ", IND: "IN", CHN: "CN", AUS: "AU" };
const stripMarks = (s: string) => s.normalize("NFD").replace(/\p{M}+/gu, "").normalize("NFC");

function writeName(parts: readonly string[], surname: string, rng: Rng): string {
  const given = parts.join(" ");
  let name = rng.weighted([
    [`${given} ${surname}`, 5],
    [`${surname.toUpperCase()}, ${given}`, 2],
    [`${surname.toUpperCase()} ${given}`, 1],
    [`${surname} ${given}`, 1],
    [`${given} ${surname}`.toLowerCase(), 1],
    [`${given} ${surname}`.toUpperCase(), 1],
  ] as const);
  if (rng.chance(0.4)) name = stripMarks(name);
  // ʻokina as an apostrophe, a curly quote or not at all.
  if (name.includes("ʻ") && rng.chance(0.6)) name = name.replaceAll("ʻ", rng.pick(["'", "’", ""]));
  if (rng.chance(0.3)) name = name.replaceAll("-", " ");
  if (rng.chance(0.1)) name = ` ${name.replaceAll(" ", "  ")} `;
  return name;
}

function writePhone(phone: string, rng: Rng): string {
  if (phone.startsWith("+")) {
    const cc = phone.startsWith("+91") || phone.startsWith("+86") ? phone.slice(1, 3) : phone.slice(1, 4);
    const rest = phone.slice(1 + cc.length);
    return rng.pick([`+${cc} ${rest.slice(0, 5)} ${rest.slice(5)}`, `00${cc}${rest}`, `+${cc}${rest}`]);
  }
  const mobile = phone.startsWith("2");
  const [area, rest] = mobile ? [phone.slice(0, 2), phone.slice(2)] : [phone.slice(0, 1), phone.slice(1)];
  return rng.pick([
    `0${area} ${rest.slice(0, 3)} ${rest.slice(3)}`,
    `+64 ${area} ${rest.slice(0, 3)} ${rest.slice(3)}`,
    `0064 ${area} ${rest}`,
    `(0${area}) ${rest.slice(0, 3)}-${rest.slice(3)}`,
    `0${area}${rest}`,
    `+64 (0)${area} ${rest}`,
  ]);
}

function writeDocumentNumber(n: string, rng: Rng): string {
  return rng.weighted([
    [n, 6],
    [n.toLowerCase(), 1],
    [`${n.slice(0, 2)} ${n.slice(2)}`, 1],
    [`${n.slice(0, 2)}-${n.slice(2)}`, 1],
  ] as const);
}

function writeCountry(alpha3: string, rng: Rng): string {
  return rng.weighted([
    [ALPHA2[alpha3] ?? alpha3, 3],
    [alpha3, 2],
    [alpha3.toLowerCase(), 1],
  ] as const);
}

function writePlate(p: string, rng: Rng): string {
  return rng.weighted([
    [p, 6],
    [p.toLowerCase(), 1],
    [`${p.slice(0, 3)} ${p.slice(3)}`, 1],
    [`${p.slice(0, 3)}-${p.slice(3)}`, 1],
  ] as const);
}

function writeRegistration(r: { nzbn: boolean; number: string }, rng: Rng): string {
  if (!r.nzbn) return rng.chance(0.8) ? r.number : ` ${r.number} `;
  return rng.pick([r.number, `${r.number.slice(0, 4)} ${r.number.slice(4, 8)} ${r.number.slice(8)}`, `${r.number.slice(0, 3)} ${r.number.slice(3, 7)} ${r.number.slice(7)}`]);
}

// ---------------------------------------------------------------------------
// Appearances: an entity (or a look-alike) as one agency records it

/** What a person's appearance shows, for the truth: which documents, which names (with two tokens or more), a date of birth. */
interface PersonShows {
  type: "person";
  documents: Set<string>;
  names: Set<"real" | "alias">;
  dob: boolean;
}

interface Appearance {
  /** Which entity ("p12", "o3", "v8"; look-alikes "y…"): two appearances of one entity are the same. */
  entity: string;
  agency: AgencyCode;
  /** Builds the subject once its id is known. */
  subject: (subjectId: string) => Subject;
  kind: "person" | "organisation" | "vehicle";
  shows: PersonShows | { type: "organisation"; registration: boolean } | { type: "vehicle" };
  ref?: RecordRef;
}

const docKey = (d: Document) => `${d.kind}|${d.country}|${d.number}`;

const AGENCY_WEIGHTS = {
  person: [["police", 4], ["customs", 2], ["mbie", 2], ["msd", 2]],
  organisation: [["police", 2.5], ["customs", 3.5], ["mbie", 3.5], ["msd", 0.5]],
  vehicle: [["police", 6], ["customs", 3], ["mbie", 0.5], ["msd", 0.5]],
} as const satisfies Record<string, readonly (readonly [AgencyCode, number])[]>;

function agenciesFor(kind: keyof typeof AGENCY_WEIGHTS, count: number, rng: Rng): AgencyCode[] {
  const chosen: AgencyCode[] = [];
  while (chosen.length < count) {
    const a = rng.weighted(AGENCY_WEIGHTS[kind].filter(([x]) => !chosen.includes(x)));
    chosen.push(a);
  }
  return chosen;
}

const MINOR_BORN_AFTER = "2008-06-01";

interface PersonLook {
  fullName: string;
  aliases: string[];
  names: Set<"real" | "alias">;
  dob: string;
  documents: Document[];
  phones: string[];
}

function personSubject(look: PersonLook, rng: Rng, role: SubjectRole): (subjectId: string) => Subject {
  const documents = look.documents.map((d) => ({ kind: d.kind, number: writeDocumentNumber(d.number, rng), issuingCountry: writeCountry(d.country, rng) }));
  const phoneNumbers = look.phones.map((p) => writePhone(p, rng));
  return (subjectId) => ({
    entity: {
      $case: "person",
      value: { subjectId, fullName: look.fullName, aliases: look.aliases, dateOfBirth: look.dob, address: "", phoneNumbers, documents, role, isMinor: look.dob !== "" && look.dob > MINOR_BORN_AFTER },
    },
  });
}

const ROLE: Readonly<Record<AgencyCode, readonly SubjectRole[]>> = {
  police: [SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST, SubjectRole.SUBJECT_ROLE_ASSOCIATE],
  customs: [SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST],
  mbie: [SubjectRole.SUBJECT_ROLE_EXPLOITED_WORKER, SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST],
  msd: [SubjectRole.SUBJECT_ROLE_UNSPECIFIED],
};

/** How often each agency's record of a person shows each kind of document. */
const SHOWS_DOCUMENT: Readonly<Record<AgencyCode, Partial<Record<IdentityDocumentKind, number>>>> = {
  police: { [IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_DRIVER_LICENCE]: 0.7, [IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT]: 0.2, [IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_FIREARMS_LICENCE]: 0.8 },
  customs: { [IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT]: 0.85, [IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_DRIVER_LICENCE]: 0.2, [IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_VISA]: 0.3 },
  mbie: { [IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT]: 0.6, [IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_VISA]: 0.8, [IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_DRIVER_LICENCE]: 0.1 },
  msd: { [IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_DRIVER_LICENCE]: 0.3 },
};

/** A person's appearance in one agency's records: what it shows, and how the agency wrote it. */
function personAppearance(p: PersonEntity, agency: AgencyCode, rng: Rng, force: { realName?: boolean; dob?: boolean; document?: boolean; phone?: string } = {}): Appearance {
  const real = writeName(p.middle ? [p.first, p.middle] : [p.first], p.surname, rng);
  const names = new Set<"real" | "alias">();
  let fullName = real;
  let aliases: string[] = [];
  const firstIsOneToken = nameTokens(p.first).length === 1;
  const mode = force.realName ? rng.pick(["real", "both"] as const) : rng.weighted([["real", 70], ["both", p.alias ? 15 : 0], ["alias", p.alias ? 8 : 0], ["first-only", firstIsOneToken ? 4 : 0]] as const);
  if (mode === "real") names.add("real");
  else if (mode === "both") {
    names.add("real");
    if (p.alias) {
      names.add("alias");
      aliases = [writeName([p.alias.split(" ")[0]!], p.surname, rng)];
    }
  } else if (mode === "alias") {
    names.add("alias");
    fullName = writeName([p.alias!.split(" ")[0]!], p.surname, rng);
  } else fullName = rng.chance(0.5) ? p.first : p.first.toUpperCase();
  const dob = force.dob || rng.chance(0.95) ? p.dob : "";
  const shown = p.documents.filter((d) => rng.chance(SHOWS_DOCUMENT[agency][d.kind] ?? 0));
  if (force.document && shown.length === 0 && p.documents.length > 0) shown.push(p.documents[0]!);
  const phones = p.phones.filter((ph) => ph === force.phone || rng.chance(0.6));
  return {
    entity: `p${p.i}`,
    agency,
    kind: "person",
    subject: personSubject({ fullName, aliases, names, dob, documents: shown, phones }, rng, rng.pick(ROLE[agency])),
    shows: { type: "person", documents: new Set(shown.map(docKey)), names, dob: dob !== "" },
  };
}

// ---------------------------------------------------------------------------
// Records

const DISTRICTS = Object.values(PoliceDistrict).filter((d) => d !== PoliceDistrict.POLICE_DISTRICT_UNSPECIFIED);
const PORTS = Object.values(PortOfEntry).filter((p) => p !== PortOfEntry.PORT_OF_ENTRY_UNSPECIFIED);
const DRUGS = [Commodity.COMMODITY_METHAMPHETAMINE, Commodity.COMMODITY_COCAINE, Commodity.COMMODITY_MDMA, Commodity.COMMODITY_PRECURSORS];
const INDUSTRIES = [Industry.INDUSTRY_HORTICULTURE, Industry.INDUSTRY_CONSTRUCTION, Industry.INDUSTRY_HOSPITALITY, Industry.INDUSTRY_BEAUTY_SERVICES];

function eventId(seed: number, chunk: number, agency: AgencyCode, n: number): string {
  const h = createHash("sha256").update(`takitini/synthetic/${seed}/${chunk}/${agency}/${n}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

function payloadFor(eventType: string, subjects: Subject[], n: number, rng: Rng): IntelligenceEvent["payload"] {
  const firstOf = (c: "person" | "organisation") => subjects.find((s) => s.entity?.$case === c)?.entity?.value.subjectId ?? "";
  switch (eventType) {
    case "police.organised_crime_noting":
      return { $case: "policeNoting", value: { groupName: "", activity: rng.pick([OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY, OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_FIREARMS, OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_MONEY_LAUNDERING]), commodities: [rng.pick(DRUGS)], summary: "Synthetic noting.", reportingUnit: "National Organised Crime Group", locality: rng.pick(ORGANISATION_PLACES) } };
    case "customs.border_seizure":
      return { $case: "customsBorderSeizure", value: { commodity: rng.pick(DRUGS), weightGrams: 100 + rng.int(20_000), units: 0, portOfEntry: rng.pick(PORTS), originCountry: rng.pick(["CN", "MX", "CA", "US", "TH"]), concealment: rng.pick([ConcealmentMethod.CONCEALMENT_METHOD_AIR_CARGO, ConcealmentMethod.CONCEALMENT_METHOD_UNSPECIFIED]), consigneeSubjectId: firstOf("person"), caseRef: `CUS-S-${n}` } };
    case "customs.suspicious_consignment":
      return { $case: "customsSuspiciousConsignment", value: { consignmentRef: `CON-${n}`, indicators: [ConsignmentRiskIndicator.CONSIGNMENT_RISK_INDICATOR_HIGH_RISK_ORIGIN], riskScore: 40 + rng.int(60), portOfEntry: rng.pick(PORTS), expectedArrival: undefined, suspectedCommodity: rng.pick(DRUGS), originCountry: rng.pick(["CN", "MX", "CA", "US", "TH"]), consigneeSubjectId: firstOf("person") } };
    case "mbie.exploitation_complaint":
      return { $case: "mbieExploitationComplaint", value: { complaintRef: `LI-${n}`, industry: rng.pick(INDUSTRIES), indicators: [ExploitationIndicator.EXPLOITATION_INDICATOR_UNPAID_WAGES], jobFeeLocation: JobFeeLocation.JOB_FEE_LOCATION_UNSPECIFIED, jobFeeNzd: 0, workersAffected: 1 + rng.int(12), employerSubjectId: firstOf("organisation"), locality: rng.pick(ORGANISATION_PLACES) } };
    case "mbie.trafficking_indicator":
      return { $case: "mbieTraffickingIndicator", value: { caseRef: `INZ-${n}`, indicators: [TraffickingIndicator.TRAFFICKING_INDICATOR_DEBT_BONDAGE], visaCategory: "Accredited Employer Work Visa", personsAffected: 1 + rng.int(8), industry: rng.pick(INDUSTRIES), relatedComplaintRef: "" } };
    default:
      return { $case: "msdWhanauSupportReferral", value: { referralBatchRef: `MSD-${n}`, service: rng.pick([SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, SupportService.SUPPORT_SERVICE_ADDICTION_TREATMENT, SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING]), whanauCount: 1, childrenCount: rng.int(5), referralWeek: "2026-W23", provider: "Te Tāwharau Iwi Provider Alliance" } };
  }
}

const SUBJECT_ID_PREFIX: Readonly<Record<AgencyCode, string>> = { police: "P", customs: "C", mbie: "M", msd: "S" };

// ---------------------------------------------------------------------------
// The population

/**
 * The population, chunk by chunk: each chunk's entities, their appearances
 * packed into records of one to three subjects per agency, every record of the
 * chunk shuffled together, with the chunk's truth. Links never cross chunks
 * (an entity's appearances are all in its chunk), but near misses are checked
 * against the whole population.
 */
export function* syntheticPopulation(options: SyntheticOptions): Generator<PopulationChunk> {
  const seed = options.seed ?? 1;
  const chunkPeople = Math.max(1, options.chunkPeople ?? 10_000);
  const nearMissRate = options.nearMissRate ?? 0.04;
  const start = (options.start ?? new Date("2026-06-01T00:00:00Z")).getTime();
  const spaces = nameSpaces(seed);
  const counts = CULTURES.map((_, ci) => cultureCount(ci, options.people));
  /** Name-and-date keys, documents and plates of the look-alikes so far: no two of them may match each other. */
  const lookAlikes = new Set<string>();
  const allNameTokens = new Set(CULTURES.flatMap((c) => [...c.firsts, ...c.middles, ...c.surnames, ...Object.values(c.aliasFirsts)].flatMap(nameTokens)));
  const taken = (ci: number, firstIndex: number, surnameIndex: number, day: number) => {
    const c = CULTURES[ci]!;
    const j = firstIndex + c.firsts.length * (surnameIndex + c.surnames.length * day);
    return spaces[ci]!.indexOf(j) < counts[ci]!;
  };

  for (let chunk = 0; chunk * chunkPeople < options.people; chunk++) {
    const rng = new Rng(seedOf(seed, TAG.chunk, chunk));
    const p0 = chunk * chunkPeople;
    const p1 = Math.min(options.people, p0 + chunkPeople);
    const [o0, o1] = [Math.floor(p0 / 25), Math.floor(p1 / 25)];
    const [v0, v1] = [Math.floor(p0 / 12), Math.floor(p1 / 12)];
    const appearances: Appearance[] = [];
    const nearMissPairs: { kind: NearMissKind; a: Appearance; b: Appearance }[] = [];
    let lookAlikeCount = 0;

    for (let i = p0; i < p1; i++) {
      const p = person(seed, spaces, i);
      const agencies = agenciesFor("person", rng.weighted([[1, 62], [2, 25], [3, 9], [4, 4]] as const), rng);
      const nearMiss = rng.chance(nearMissRate) ? rng.pick(nearMissKindsFor(p)) : undefined;
      const anchorPhone = nearMiss === "SHARED_PHONE" ? p.phones[0] : undefined;
      const own = agencies.map((agency, n) =>
        personAppearance(p, agency, rng, n === 0 && nearMiss ? { realName: true, dob: true, document: nearMiss.startsWith("DOCUMENT"), ...(anchorPhone ? { phone: anchorPhone } : {}) } : {}),
      );
      appearances.push(...own);
      if (rng.chance(0.03)) {
        const dup = personAppearance(p, agencies[0]!, rng);
        appearances.push(dup);
        nearMissPairs.push({ kind: "SAME_AGENCY_DUPLICATE", a: own[0]!, b: dup });
      }
      if (nearMiss === undefined) continue;
      const anchor = own[0]!;
      const elsewhere = rng.pick(AGENCY_CODES.filter((a) => a !== anchor.agency));
      const y = lookAlike(p, nearMiss, anchor, elsewhere);
      if (y) {
        y.entity = `y${chunk}-${lookAlikeCount++}`;
        appearances.push(y);
        nearMissPairs.push({ kind: nearMiss, a: anchor, b: y });
      }
    }

    for (let k = o0; k < o1; k++) {
      const o = organisation(seed, k);
      for (const agency of agenciesFor("organisation", rng.weighted([[1, 55], [2, 35], [3, 10]] as const), rng)) {
        const shows = rng.chance(0.9);
        const registrationNumber = shows ? writeRegistration(o.registration, rng) : "";
        const name = rng.chance(0.5) ? o.name : o.name.toUpperCase();
        appearances.push({
          entity: `o${k}`,
          agency,
          kind: "organisation",
          subject: (subjectId) => ({ entity: { $case: "organisation", value: { subjectId, name, kind: o.kind, registrationNumber } } }),
          shows: { type: "organisation", registration: shows },
        });
      }
    }

    for (let v = v0; v < v1; v++) {
      const plate = plateOf(v);
      const own = agenciesFor("vehicle", rng.weighted([[1, 60], [2, 35], [3, 5]] as const), rng).map((agency): Appearance => {
        const written = writePlate(plate, rng);
        return { entity: `v${v}`, agency, kind: "vehicle", subject: (subjectId) => ({ entity: { $case: "vehicle", value: { subjectId, plate: written, make: "Toyota", model: "Hilux", colour: "silver" } } }), shows: { type: "vehicle" } };
      });
      appearances.push(...own);
      if (rng.chance(nearMissRate)) {
        // O read as 0: "ABO123" becomes "AB0123", a shape no regular plate has (three letters, three digits).
        const confused = `${plate.slice(0, 2)}0${plate.slice(3)}`;
        if (!lookAlikes.has(`plate|${confused}`)) {
          lookAlikes.add(`plate|${confused}`);
          const agency = rng.pick(AGENCY_CODES.filter((a) => a !== own[0]!.agency));
          const y: Appearance = { entity: `y${chunk}-${lookAlikeCount++}`, agency, kind: "vehicle", subject: (subjectId) => ({ entity: { $case: "vehicle", value: { subjectId, plate: confused, make: "Toyota", model: "Hilux", colour: "white" } } }), shows: { type: "vehicle" } };
          appearances.push(y);
          nearMissPairs.push({ kind: "PLATE_ONE_CHARACTER", a: own[0]!, b: y });
        }
      }
    }

    const events = pack(appearances, seed, chunk, start + chunk * 3_600_000, rng);

    // The truth: every pair of one entity's appearances in different agencies.
    const byEntity = new Map<string, Appearance[]>();
    for (const a of appearances) {
      if (a.entity.startsWith("y")) continue;
      const list = byEntity.get(a.entity);
      if (list) list.push(a);
      else byEntity.set(a.entity, [a]);
    }
    const trueLinks: TrueLink[] = [];
    let unlinkable = 0;
    for (const list of byEntity.values())
      for (let x = 0; x < list.length; x++)
        for (let z = x + 1; z < list.length; z++) {
          const [a, b] = [list[x]!, list[z]!];
          if (a.agency === b.agency) continue;
          const rule = sharedRule(a, b);
          if (rule === undefined) unlinkable += 1;
          else trueLinks.push({ a: a.ref!, b: b.ref!, rule });
        }
    yield {
      events,
      trueLinks,
      nearMisses: nearMissPairs.map((m) => ({ kind: m.kind, a: m.a.ref!, b: m.b.ref! })),
      unlinkable,
      people: p1 - p0,
      organisations: o1 - o0,
      vehicles: v1 - v0,
    };
  }

  /** The look-alike of a person for a near miss, in another agency; undefined when no safe one exists (rare). */
  function lookAlike(p: PersonEntity, kind: NearMissKind, anchor: Appearance, agency: AgencyCode): Appearance | undefined {
    const rng = new Rng(seedOf(seed, TAG.person, p.i, 7));
    const given = p.middle ? [p.first, p.middle] : [p.first];
    const realKey = nameTokens([...given, p.surname].join(" ")).join(" ");
    const claim = (key: string) => {
      if (lookAlikes.has(key)) return false;
      lookAlikes.add(key);
      return true;
    };
    const personLike = (look: Omit<PersonLook, "names">): Appearance => ({
      entity: "y",
      agency,
      kind: "person",
      subject: personSubject({ ...look, names: new Set() }, rng, rng.pick(ROLE[agency])),
      shows: { type: "person", documents: new Set(), names: new Set(), dob: look.dob !== "" },
    });
    switch (kind) {
      case "DIFFERENT_DATE_OF_BIRTH":
      case "DAY_MONTH_SWAPPED": {
        const [y, m, d] = p.dob.split("-");
        let other: string | undefined;
        if (kind === "DAY_MONTH_SWAPPED" && Number(d) <= 12 && d !== m) other = `${y}-${d}-${m}`;
        for (let attempt = 0; other === undefined && attempt < 5; attempt++) {
          const candidate = dateOfDay(rng.int(DOB_DAYS));
          if (candidate !== p.dob) other = candidate;
        }
        if (other === undefined || taken(p.cultureIndex, p.firstIndex, p.surnameIndex, dayOfDate(other)) || !claim(`${realKey}|${other}`)) return undefined;
        return personLike({ fullName: writeName(given, p.surname, rng), aliases: [], dob: other, documents: [], phones: [] });
      }
      case "ONE_LETTER_DIFFERENT": {
        const token = nameTokens(p.first)[0]!;
        for (let attempt = 0; attempt < 8; attempt++) {
          const at = rng.int(token.length);
          const letter = String.fromCharCode(97 + rng.int(26));
          const changed = token.slice(0, at) + letter + token.slice(at + 1);
          if (changed === token || allNameTokens.has(changed)) continue;
          const first = changed[0]!.toUpperCase() + changed.slice(1);
          const key = nameTokens([first, ...given.slice(1), p.surname].join(" ")).join(" ");
          if (!claim(`${key}|${p.dob}`)) continue;
          return personLike({ fullName: writeName([first, ...given.slice(1)], p.surname, rng), aliases: [], dob: p.dob, documents: [], phones: [] });
        }
        return undefined;
      }
      case "DOCUMENT_OTHER_KIND":
      case "DOCUMENT_OTHER_COUNTRY": {
        const shown = p.documents.find((d) => anchor.shows.type === "person" && anchor.shows.documents.has(docKey(d)));
        if (!shown) return undefined;
        // Another kind, or another country, in a shape no regular document of that kind and country has
        // (visas are nine digits, NZ passports two letters and six; nobody here holds an Australian
        // document), so the look-alike can match nobody else either.
        const changed: Document =
          kind === "DOCUMENT_OTHER_KIND"
            ? { ...shown, kind: shown.kind === IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_VISA ? IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT : IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_VISA }
            : { ...shown, country: "AUS" };
        if (!claim(docKey(changed))) return undefined;
        // The same name, but no date of birth: only the document could link them, and it must not.
        return personLike({ fullName: writeName(given, p.surname, rng), aliases: [], dob: "", documents: [changed], phones: [] });
      }
      case "SHARED_PHONE": {
        const phone = p.phones[0];
        if (phone === undefined) return undefined;
        // A household member: the family name and the phone, another first name, no date of birth.
        return personLike({ fullName: writeName([rng.pick(p.culture.firsts)], p.surname, rng), aliases: [], dob: "", documents: [], phones: [phone] });
      }
      case "ORGANISATION_SAME_NAME": {
        const name = writeName(given, p.surname, rng);
        return { entity: "y", agency, kind: "organisation", subject: (subjectId) => ({ entity: { $case: "organisation", value: { subjectId, name, kind: OrganisationKind.ORGANISATION_KIND_COMPANY, registrationNumber: "" } } }), shows: { type: "organisation", registration: false } };
      }
      default:
        return undefined;
    }
  }
}

/** The near misses a person can have a look-alike for. */
function nearMissKindsFor(p: PersonEntity): NearMissKind[] {
  return [
    "DIFFERENT_DATE_OF_BIRTH",
    "DAY_MONTH_SWAPPED",
    "ORGANISATION_SAME_NAME",
    // One letter of a one-word first name (a hyphenated one would change more than a letter).
    ...(nameTokens(p.first).length === 1 ? (["ONE_LETTER_DIFFERENT"] as const) : []),
    ...(p.documents.length > 0 ? (["DOCUMENT_OTHER_KIND", "DOCUMENT_OTHER_COUNTRY"] as const) : []),
    ...(p.phones.length > 0 ? (["SHARED_PHONE"] as const) : []),
  ];
}

/** The strongest rule two appearances of one entity share, as the generator knows it (not as the core computes it). */
function sharedRule(a: Appearance, b: Appearance): LinkRule | undefined {
  if (a.shows.type === "person" && b.shows.type === "person") {
    const sa = a.shows;
    const sb = b.shows;
    if ([...sa.documents].some((d) => sb.documents.has(d))) return LinkRule.LINK_RULE_IDENTITY_DOCUMENT;
    if (sa.dob && sb.dob && [...sa.names].some((n) => sb.names.has(n))) return LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH;
    return undefined;
  }
  if (a.shows.type === "organisation" && b.shows.type === "organisation") return a.shows.registration && b.shows.registration ? LinkRule.LINK_RULE_COMPANY_REGISTRATION : undefined;
  if (a.shows.type === "vehicle" && b.shows.type === "vehicle") return LinkRule.LINK_RULE_VEHICLE_PLATE;
  return undefined;
}

/** Pack appearances into records: per agency, one to three subjects each, never one entity twice in a record; then shuffle every record of the chunk. */
function pack(appearances: Appearance[], seed: number, chunk: number, start: number, rng: Rng): IntelligenceEvent[] {
  const events: IntelligenceEvent[] = [];
  for (const agency of AGENCY_CODES) {
    const mine = rng.shuffle(appearances.filter((a) => a.agency === agency));
    let n = 0;
    let subjectNo = 0;
    for (let at = 0; at < mine.length; ) {
      const size = rng.weighted([[1, 60], [2, 30], [3, 10]] as const);
      const group: Appearance[] = [];
      while (group.length < size && at < mine.length && !group.some((g) => g.entity === mine[at]!.entity)) group.push(mine[at++]!);
      const id = eventId(seed, chunk, agency, n);
      const subjects = group.map((a, subjectIndex) => {
        a.ref = { eventId: id, subjectIndex };
        return a.subject(`${agency}/${a.kind}/${SUBJECT_ID_PREFIX[agency]}-${chunk}-${subjectNo++}`);
      });
      const eventType = rng.pick(AGENCY_EVENT_TYPES[agency]);
      const publishedAt = new Date(start + rng.int(3_600_000));
      events.push(
        IntelligenceEvent.fromPartial({
          id,
          sourceAgency: AGENCY_ENUM[agency],
          eventType,
          occurredAt: new Date(publishedAt.getTime() - rng.int(7 * 86_400_000)),
          publishedAt,
          region: rng.pick(DISTRICTS),
          classification: rng.pick([Classification.CLASSIFICATION_IN_CONFIDENCE, Classification.CLASSIFICATION_RESTRICTED]),
          handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_ORIGINATOR_CONTROL], releasableTo: [], releasableToCountries: [] },
          sourceRecordId: `${SUBJECT_ID_PREFIX[agency]}-SYN-${chunk}-${n}`,
          publisher: `spiffe://takitini.local/publisher/${agency}/synthetic-demo`,
          subjects,
          payload: payloadFor(eventType, subjects, n, rng),
        }),
      );
      n += 1;
    }
  }
  return rng.shuffle(events);
}

/** The whole population at once (for tests: it holds every record in memory). */
export function generatePopulation(options: SyntheticOptions): PopulationChunk {
  const all: PopulationChunk = { events: [], trueLinks: [], nearMisses: [], unlinkable: 0, people: 0, organisations: 0, vehicles: 0 };
  let unlinkable = 0;
  let [people, organisations, vehicles] = [0, 0, 0];
  for (const c of syntheticPopulation({ ...options, chunkPeople: options.chunkPeople ?? options.people })) {
    all.events.push(...c.events);
    all.trueLinks.push(...c.trueLinks);
    all.nearMisses.push(...c.nearMisses);
    unlinkable += c.unlinkable;
    people += c.people;
    organisations += c.organisations;
    vehicles += c.vehicles;
  }
  return { ...all, unlinkable, people, organisations, vehicles };
}
