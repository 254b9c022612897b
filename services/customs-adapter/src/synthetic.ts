import { between, pick } from "@takitini/adapter-kit";

/*
 * Building blocks for seeded synthetic records: New Zealand local times,
 * skewed quantities, and names that keep their macrons and diacritics.
 */

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

export { dayOf, logUniform, nzDateTime } from "@takitini/adapter-kit";

/** Round to one decimal place (weights are recorded to 0.1 g). */
export const tenth = (n: number) => Math.round(n * 10) / 10;

export function digits(rng: () => number, n: number): string {
  return Array.from({ length: n }, () => String(between(rng, 0, 9))).join("");
}

/** A New Zealand mobile number (021 / 022 / 027). */
export function nzMobile(rng: () => number): string {
  return `${pick(rng, ["021", "022", "027"])} ${between(rng, 100, 999)} ${between(rng, 1000, 9999)}`;
}

/** A New Zealand Business Number: 13 digits starting 94290. */
export function nzbn(rng: () => number): string {
  return `94290${digits(rng, 8)}`;
}

/** A date of birth for someone aged between minAge and maxAge in the given year. */
export function dateOfBirth(rng: () => number, year: number, minAge: number, maxAge: number): string {
  return `${year - between(rng, minAge, maxAge)}-${pad(between(rng, 1, 12))}-${pad(between(rng, 1, 28))}`;
}

const MAORI_GIVEN = ["Hēmi", "Aroha", "Wiremu", "Mere", "Tama", "Ngaio", "Rāwiri", "Tāne", "Whetū", "Ngāire", "Kahurangi", "Hōhepa", "Pania", "Rēweti", "Mānaia"];
const MAORI_FAMILY = ["Tāwhiri", "Ngata", "Pōmare", "Kereama", "Te Rangi", "Parata", "Tākerei", "Hēnare", "Te Whata", "Waititi", "Rāwiri"];
const PASIFIKA_GIVEN = ["Sione", "Mele", "Losa", "Tevita", "Sēmisi", "Ana", "Siaosi", "Mālia", "Ioane", "Lupe", "Filipo", "Sālote"];
const PASIFIKA_FAMILY = ["Fifita", "Tupou", "Lātū", "Fa'asavalu", "Tuilagi", "Vake", "Taufa", "Leota", "Sāpolu", "Fonoti"];
const PAKEHA_GIVEN = ["Jordan", "Sarah", "Michael", "Emma", "Liam", "Olivia", "Daniel", "Chloe"];
const PAKEHA_FAMILY = ["Walker", "Smith", "Brown", "Wilson", "Taylor", "Campbell", "Stewart", "Murray"];
const ASIAN_NZ = ["Li Wei", "Zhang Min", "Wang Fang", "Chen Jing", "Nguyễn Văn Minh", "Trần Thị Lan", "Harpreet Kaur", "Gurpreet Singh", "Priya Sharma", "Rajesh Kumar"];
const FOREIGN = {
  US: ["Tyler Johnson", "Ashley Martinez", "Marcus Williams"],
  CA: ["Connor Tremblay", "Émilie Gagnon"],
  MX: ["José Hernández", "María Guadalupe Ramírez"],
  MY: ["Muhammad Faiz bin Ismail", "Tan Mei Ling"],
  TH: ["Somchai Boonmee", "Siriporn Chaiyaphum"],
  AU: ["Brodie Mitchell", "Kayla O'Brien"],
  BR: ["João Pereira", "Ana Luíza Costa"],
  CN: ["Liu Yang", "Zhao Lei"],
} as const satisfies Record<string, readonly string[]>;

/** A name as a New Zealander of any background might carry it, macrons intact. */
export function nzName(rng: () => number): string {
  const group = pick(rng, ["maori", "pasifika", "pakeha", "asian"] as const, [35, 20, 30, 15]);
  switch (group) {
    case "maori":
      return `${pick(rng, MAORI_GIVEN)} ${pick(rng, MAORI_FAMILY)}`;
    case "pasifika":
      return `${pick(rng, PASIFIKA_GIVEN)} ${pick(rng, PASIFIKA_FAMILY)}`;
    case "pakeha":
      return `${pick(rng, PAKEHA_GIVEN)} ${pick(rng, PAKEHA_FAMILY)}`;
    case "asian":
      return pick(rng, ASIAN_NZ);
  }
}

/** A traveller from the origin country, or a New Zealander when we have no names for it. */
export function travellerName(rng: () => number, country: string): string {
  const names = (FOREIGN as Record<string, readonly string[]>)[country];
  return names ? pick(rng, names) : nzName(rng);
}

const IMPORTER_FIRST = ["Kōwhai", "Tōtara", "Southern Cross", "Harbourside", "Pacific Rim", "Manukau", "Golden Dragon", "Aotearoa", "Silverfern", "Ōtāhuhu", "Kauri Coast", "Eastgate"];
const IMPORTER_LAST = ["Trading", "Imports", "Logistics", "Wholesale", "Distributors", "Supplies", "Freight", "Global"];

/** An importer's company name. */
export function importerName(rng: () => number): string {
  return `${pick(rng, IMPORTER_FIRST)} ${pick(rng, IMPORTER_LAST)} Limited`;
}

/** A passport number in the issuing country's usual shape (close enough for tests). */
export function passportNumber(rng: () => number, country: string): string {
  if (country === "NZ") return `${pick(rng, ["LA", "LB", "LC", "LD", "LE", "LF", "RA"])}${digits(rng, 6)}`;
  return `${String.fromCharCode(65 + between(rng, 0, 25))}${digits(rng, 8)}`;
}
