import { text } from "@takitini/runtime";
import { z } from "zod";

/**
 * The Police native record for an organised-crime intelligence noting, as the
 * National Intelligence Centre's systems export it. This — not the envelope —
 * is what analysts and case systems submit. Unknown fields are rejected.
 */

/** District names as Police write them, with their te reo and unaccented aliases. */
export const DISTRICT_ALIASES = {
  Northland: "NORTHLAND",
  "Te Tai Tokerau": "NORTHLAND",
  "Waitematā": "WAITEMATA",
  Waitemata: "WAITEMATA",
  "Auckland City": "AUCKLAND_CITY",
  "Tāmaki Makaurau": "AUCKLAND_CITY",
  "Tamaki Makaurau": "AUCKLAND_CITY",
  "Counties Manukau": "COUNTIES_MANUKAU",
  Waikato: "WAIKATO",
  "Bay of Plenty": "BAY_OF_PLENTY",
  Eastern: "EASTERN",
  Central: "CENTRAL",
  Wellington: "WELLINGTON",
  Tasman: "TASMAN",
  Canterbury: "CANTERBURY",
  Southern: "SOUTHERN",
} as const satisfies Record<string, string>;

export type DistrictCode = (typeof DISTRICT_ALIASES)[keyof typeof DISTRICT_ALIASES];

const district = z.string().refine((s) => Object.hasOwn(DISTRICT_ALIASES, s), {
  message: `unknown Police district; expected one of: ${Object.keys(DISTRICT_ALIASES).join(", ")}`,
});

export const CLASSIFICATIONS = {
  UNCLASSIFIED: "UNCLASSIFIED",
  "IN-CONFIDENCE": "IN_CONFIDENCE",
  SENSITIVE: "SENSITIVE",
  RESTRICTED: "RESTRICTED",
  CONFIDENTIAL: "CONFIDENTIAL",
  SECRET: "SECRET",
  "TOP SECRET": "TOP_SECRET",
} as const;

export const CAVEATS = {
  "ORIGINATOR CONTROL": "ORIGINATOR_CONTROL",
  "LAW ENFORCEMENT ONLY": "LAW_ENFORCEMENT_ONLY",
  "NO COMMUNITY RELEASE": "NO_COMMUNITY_RELEASE",
  "EMBARGO UNTIL CONCLUDED": "EMBARGO_UNTIL_CONCLUDED",
  "RELEASABLE TO": "RELEASABLE_TO",
} as const;

const keysOf = <T extends Record<string, unknown>>(o: T) => Object.keys(o) as [keyof T & string, ...(keyof T & string)[]];

const isoDateTime = z.iso.datetime({ offset: true });
const isoDate = z.iso.date();
const nativeId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}$/, "expected an id of letters, digits and . _ : / - (max 64)");

const person = z.strictObject({
  person_id: nativeId,
  name: text(200, { min: 1 }),
  aliases: z.array(text(200, { min: 1 })).max(20).default([]),
  dob: isoDate.optional(),
  address: text(300).optional(),
  phones: z.array(z.string().regex(/^\+?[0-9 ()-]{5,20}$/, "expected a phone number")).max(10).default([]),
  documents: z
    .array(
      z.strictObject({
        type: z.enum(["passport", "driver_licence", "visa", "firearms_licence"]),
        number: z.string().regex(/^[A-Za-z0-9-]{3,30}$/, "expected a document number"),
        country: z.string().regex(/^[A-Z]{2}$/, "expected an ISO 3166-1 alpha-2 code").default("NZ"),
      }),
    )
    .max(10)
    .default([]),
  role: z.enum(["person_of_interest", "associate", "victim", "witness"]).default("person_of_interest"),
  minor: z.boolean().default(false),
});

const organisation = z.strictObject({
  org_id: nativeId,
  name: text(200, { min: 1 }),
  type: z.enum(["gang", "company", "trust", "other"]),
  registration_number: z.string().regex(/^[0-9A-Za-z-]{1,20}$/).optional(),
});

const vehicle = z.strictObject({
  vehicle_id: nativeId,
  plate: z.string().regex(/^[A-Z0-9]{1,7}$/, "expected an NZ plate (up to 7 capital letters and digits)"),
  make: text(50).optional(),
  model: text(50).optional(),
  colour: text(30).optional(),
});

export const policeNotingRecord = z.strictObject({
  noting_id: nativeId,
  recorded_at: isoDateTime,
  observed_at: isoDateTime.optional(),
  district,
  locality: text(100).optional(),
  reporting_unit: text(100, { min: 1 }),
  group: text(150, { min: 1 }),
  activity: z.enum(["drug_supply", "violence_standover", "firearms", "money_laundering"]),
  commodities: z
    .array(z.enum(["methamphetamine", "cocaine", "mdma", "precursors", "firearms", "counterfeit_goods"]))
    .max(6)
    .default([]),
  summary: text(4000, { min: 1, multiline: true }),
  operation: text(100).optional(),
  classification: z.enum(keysOf(CLASSIFICATIONS)).optional(),
  caveats: z.array(z.enum(keysOf(CAVEATS))).max(5).optional(),
  releasable_to: z.array(z.string().regex(/^[a-z0-9-]{1,40}$/, "expected a subscriber id")).max(20).default([]),
  grading: z.strictObject({
    source: z.enum(["A", "B", "C", "D", "E", "F"]),
    information: z.union([z.literal(1), z.literal(2), z.literal(3), z.literal(4), z.literal(5), z.literal(6)]),
  }),
  legal_basis: z
    .strictObject({ instrument: text(100, { min: 1 }), provision: text(100, { min: 1 }), description: text(300).optional() })
    .optional(),
  persons: z.array(person).max(50).default([]),
  organisations: z.array(organisation).max(50).default([]),
  vehicles: z.array(vehicle).max(50).default([]),
});

export type PoliceNotingRecord = z.infer<typeof policeNotingRecord>;
