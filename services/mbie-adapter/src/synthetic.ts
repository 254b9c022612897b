import { between, pick } from "@takitini/adapter-kit";

/*
 * Building blocks for seeded synthetic records: New Zealand local times,
 * skewed quantities, and names that keep their macrons and diacritics.
 */

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

export { dayOf, logUniform, nzDateTime } from "@takitini/adapter-kit";

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


/** Where migrant workers in each industry come from (ISO 3166-1 alpha-2), weighted. */
export const WORKER_ORIGINS: Record<string, { countries: readonly string[]; weights: readonly number[] }> = {
  horticulture: { countries: ["IN", "VU", "WS", "TO", "MY", "PH", "CN", "FJ", "NP"], weights: [20, 15, 10, 10, 8, 5, 5, 5, 5] },
  construction: { countries: ["IN", "PH", "CN", "FJ", "BD", "LK", "NP"], weights: [30, 20, 15, 10, 10, 5, 5] },
  hospitality: { countries: ["IN", "CN", "PH", "NP", "LK", "BD", "VN"], weights: [35, 15, 10, 10, 10, 5, 5] },
  beauty_services: { countries: ["VN", "CN", "TH", "KR", "PH"], weights: [30, 25, 15, 10, 10] },
  agriculture: { countries: ["PH", "IN", "LK", "NP", "FJ"], weights: [40, 20, 10, 10, 5] },
  cleaning: { countries: ["IN", "PH", "BD", "FJ", "CN"], weights: [30, 20, 15, 10, 10] },
  retail: { countries: ["IN", "CN", "LK", "PK"], weights: [50, 20, 10, 10] },
  other: { countries: ["IN", "CN", "PH", "WS", "TO"], weights: [30, 20, 20, 5, 5] },
};

/** Names as workers from each country carry them — diacritics and macrons intact. */
const NAMES: Record<string, readonly string[]> = {
  IN: ["Harpreet Kaur", "Gurpreet Singh", "Manpreet Kaur", "Sandeep Kumar", "Priya Sharma", "Arjun Reddy", "Deepika Nair", "Rajinder Singh", "Amandeep Kaur", "Vikram Patel"],
  CN: ["Li Wei", "Zhang Min", "Wang Fang", "Chen Jing", "Liu Yang", "Huang Xiuying"],
  PH: ["Maria Santos", "Jose Dela Cruz", "Jocelyn Reyes", "Mark Anthony Bautista", "Rowena Villanueva", "Jerome Mendoza"],
  BD: ["Mohammed Rahman", "Farhana Akter", "Mohammad Hossain", "Nusrat Jahan"],
  LK: ["Kasun Perera", "Nadeesha Fernando", "Chaminda Silva", "Dilani Jayawardena"],
  NP: ["Bishnu Thapa", "Sita Gurung", "Ramesh Shrestha", "Anita Tamang"],
  VN: ["Nguyễn Văn Minh", "Trần Thị Lan", "Phạm Quốc Huy", "Lê Thị Hồng", "Võ Thị Mai"],
  FJ: ["Mereoni Tuilau", "Josaia Naivalu", "Salote Qalo", "Viliame Ravuvu"],
  WS: ["Fa'amoana Leota", "Siaosi Tuilagi", "Mālia Sāpolu", "Ioane Fonoti", "Lealaiauloto Tauā"],
  TO: ["Sēmisi Fifita", "Mele Tupou", "Tevita Lātū", "Sālote Vake", "Siosaia Taufa"],
  VU: ["Jean-Pierre Kalsakau", "Mary Tari", "John Willie Naupa", "Serah Molisa"],
  MY: ["Muhammad Faiz bin Ismail", "Nur Aisyah binti Ahmad", "Tan Mei Ling"],
  KR: ["Kim Ji-woo", "Park Min-seo", "Lee Seo-yeon"],
  TH: ["Siriporn Chaiyaphum", "Somchai Boonmee", "Kanya Srisuk"],
  PK: ["Muhammad Usman", "Ayesha Khan", "Bilal Ahmed"],
};

export function workerName(rng: () => number, country: string): string {
  return pick(rng, NAMES[country] ?? NAMES.IN!);
}

const MAORI_GIVEN = ["Hēmi", "Aroha", "Wiremu", "Mere", "Rāwiri", "Tāne", "Ngāire", "Hōhepa", "Pania"];
const MAORI_FAMILY = ["Tāwhiri", "Ngata", "Pōmare", "Kereama", "Te Rangi", "Parata", "Tākerei", "Hēnare"];
const PAKEHA_GIVEN = ["Jordan", "Sarah", "Michael", "Emma", "Daniel", "Chloe"];
const PAKEHA_FAMILY = ["Walker", "Smith", "Brown", "Wilson", "Campbell", "Murray"];

/** A business owner or recruiter: New Zealanders of any background, or from the workers' own community. */
export function ownerName(rng: () => number, workerCountry: string): string {
  const group = pick(rng, ["community", "maori", "pakeha"] as const, [55, 15, 30]);
  if (group === "community") return workerName(rng, workerCountry);
  if (group === "maori") return `${pick(rng, MAORI_GIVEN)} ${pick(rng, MAORI_FAMILY)}`;
  return `${pick(rng, PAKEHA_GIVEN)} ${pick(rng, PAKEHA_FAMILY)}`;
}

/** A passport number in roughly the issuing country's shape. */
export function passportNumber(rng: () => number, country: string): string {
  const letter = () => String.fromCharCode(65 + between(rng, 0, 25));
  if (country === "CN") return `E${digits(rng, 8)}`;
  if (country === "PH") return `P${digits(rng, 7)}${letter()}`;
  return `${letter()}${digits(rng, 7)}`;
}

/** Localities by Police district; horticulture and farming have their own towns. */
export const LOCALITIES: Record<string, readonly string[]> = {
  Northland: ["Whangārei", "Kerikeri", "Kaitāia", "Dargaville"],
  "Waitematā": ["Albany", "Henderson", "Te Atatū", "Ōrewa", "Takapuna"],
  "Auckland City": ["Mt Roskill", "Sandringham", "Newmarket", "Ōnehunga", "Avondale", "Auckland Central"],
  "Counties Manukau": ["Manukau", "Papatoetoe", "Ōtāhuhu", "Māngere", "Pukekohe", "Flat Bush"],
  Waikato: ["Hamilton", "Matamata", "Te Awamutu", "Huntly", "Morrinsville"],
  "Bay of Plenty": ["Tauranga", "Rotorua", "Whakatāne", "Te Puke", "Ōpōtiki"],
  Eastern: ["Hastings", "Napier", "Gisborne", "Wairoa"],
  Central: ["Palmerston North", "New Plymouth", "Hāwera", "Feilding", "Whanganui"],
  Wellington: ["Wellington Central", "Porirua", "Lower Hutt", "Petone", "Masterton"],
  Tasman: ["Nelson", "Motueka", "Blenheim", "Greymouth"],
  Canterbury: ["Christchurch", "Ashburton", "Timaru", "Rolleston"],
  Southern: ["Queenstown", "Wānaka", "Dunedin", "Invercargill", "Gore"],
};

export const ORCHARD_TOWNS: Record<string, readonly string[]> = {
  "Bay of Plenty": ["Te Puke", "Katikati", "Pāengaroa", "Ōpōtiki", "Whakatāne"],
  Eastern: ["Hastings", "Havelock North", "Gisborne"],
  Tasman: ["Motueka", "Riwaka", "Blenheim"],
  Northland: ["Kerikeri", "Kaitāia"],
  Southern: ["Cromwell", "Alexandra", "Roxburgh"],
  "Counties Manukau": ["Pukekohe", "Pukekawa"],
  Canterbury: ["Leeston", "Rangiora"],
  Waikato: ["Matamata", "Te Awamutu"],
};

export const FARM_TOWNS: Record<string, readonly string[]> = {
  Waikato: ["Morrinsville", "Te Aroha", "Ōtorohanga", "Matamata"],
  Southern: ["Gore", "Mātaura", "Winton", "Balclutha"],
  Canterbury: ["Ashburton", "Methven", "Darfield"],
  Central: ["Hāwera", "Stratford", "Feilding"],
  Northland: ["Dargaville", "Maungatūroto"],
};

/** Where each industry's complaints come from: Police district, weighted. */
export const INDUSTRY_DISTRICTS: Record<string, { districts: readonly string[]; weights: readonly number[] }> = {
  horticulture: { districts: ["Bay of Plenty", "Eastern", "Tasman", "Northland", "Southern", "Counties Manukau", "Canterbury", "Waikato"], weights: [30, 20, 15, 8, 10, 8, 5, 4] },
  construction: { districts: ["Auckland City", "Counties Manukau", "Waitematā", "Canterbury", "Wellington", "Waikato", "Bay of Plenty", "Southern", "Central"], weights: [20, 18, 15, 12, 10, 10, 7, 5, 3] },
  hospitality: { districts: ["Auckland City", "Southern", "Wellington", "Canterbury", "Waitematā", "Counties Manukau", "Bay of Plenty", "Waikato", "Tasman"], weights: [25, 15, 12, 10, 10, 8, 8, 7, 5] },
  beauty_services: { districts: ["Auckland City", "Waitematā", "Counties Manukau", "Wellington", "Canterbury", "Waikato"], weights: [35, 20, 15, 10, 10, 10] },
  agriculture: { districts: ["Waikato", "Southern", "Canterbury", "Central", "Northland"], weights: [30, 25, 20, 15, 10] },
  cleaning: { districts: ["Auckland City", "Counties Manukau", "Wellington", "Canterbury", "Waitematā", "Waikato"], weights: [30, 20, 15, 15, 10, 10] },
  retail: { districts: ["Auckland City", "Counties Manukau", "Waitematā", "Waikato", "Wellington", "Canterbury", "Bay of Plenty"], weights: [25, 25, 15, 10, 10, 10, 5] },
  other: { districts: Object.keys(LOCALITIES), weights: Object.keys(LOCALITIES).map(() => 1) },
};

/** A town in the district fitting the industry. */
export function localityFor(rng: () => number, industryName: string, district: string): string {
  const towns = (industryName === "horticulture" ? ORCHARD_TOWNS[district] : industryName === "agriculture" ? FARM_TOWNS[district] : undefined) ?? LOCALITIES[district] ?? [district];
  return pick(rng, towns);
}

const TRADING_AS: Record<string, readonly string[]> = {
  horticulture: ["Orchard Services", "Harvest Contracting", "Kiwifruit Labour", "Vineyard Services", "Packhouse Staffing"],
  construction: ["Build Group", "Scaffolding", "Plasterboard Solutions", "Roofing", "Civil Contractors"],
  hospitality: ["Café & Bar", "Takeaways", "Curry House", "Hospitality Group", "Dumpling House"],
  beauty_services: ["Nails & Beauty", "Beauty Studio", "Brow & Lash Bar", "Day Spa"],
  agriculture: ["Dairy Holdings", "Farming", "Agricultural Contractors", "Calf Rearing"],
  cleaning: ["Commercial Cleaning", "Cleaning Services", "Facility Services"],
  retail: ["Superette", "Liquor", "Discount Store", "Food Mart"],
  other: ["Services", "Enterprises", "Holdings"],
};

/** An employer's registered name, after its town. */
export function employerName(rng: () => number, industryName: string, town: string): string {
  return `${town} ${pick(rng, TRADING_AS[industryName] ?? TRADING_AS.other!)} Limited`;
}

/** A labour-hire company standing between the business and the worker. */
export function labourHireName(rng: () => number): string {
  return `${pick(rng, ["Kiwi Star", "Pacific Workforce", "Southern Cross", "Golden Fern", "Aotearoa", "Tōtara", "Global Connect"])} ${pick(rng, ["Labour Hire", "Recruitment", "Workforce Solutions", "Staffing"])} Limited`;
}

/** Visa categories migrant workers hold, weighted. */
export const VISA_CATEGORIES = {
  names: [
    "Accredited Employer Work Visa",
    "Recognised Seasonal Employer Limited Visa",
    "Visitor Visa",
    "Student Visa",
    "Working Holiday Visa",
    "Post Study Work Visa",
    "Specific Purpose Work Visa",
    "Migrant Exploitation Protection Visa",
  ],
  weights: [45, 12, 12, 10, 6, 6, 4, 5],
} as const;
