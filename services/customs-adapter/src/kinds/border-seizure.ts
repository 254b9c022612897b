import {
  between,
  countryCode,
  district,
  envelope,
  grading,
  isoDateTime,
  legalBasis,
  mapSubjects,
  markingFields,
  nativeId,
  pick,
  subjectFields,
  text,
  type RecordKind,
} from "@takitini/adapter-kit";
import { z } from "zod";
import { CUSTOMS_DEFAULTS } from "../defaults.js";
import { COMMODITY, CONCEALMENT, commodity, concealment, ORIGINS, type CommodityName, type ConcealmentName } from "../goods.js";
import { PORTS, PORT_NAMES, PORT_WEIGHTS, portOfEntry, regionOf } from "../ports.js";
import { checkSubjectRef, checkUniqueSubjectIds, refSubjectId, subjectRef } from "../subjects.js";
import { dateOfBirth, dayOf, importerName, logUniform, nzDateTime, nzMobile, nzName, nzbn, passportNumber, tenth, travellerName } from "../synthetic.js";

/** Heaviest seizure a record may report: 10 tonnes. */
const MAX_GRAMS = 10_000_000;

/**
 * Customs' native border-seizure record (case management export). Exactly one
 * of weight_grams and units; firearms are counted in units. The consignee, when
 * known, is one of the record's own persons or organisations. The district
 * defaults to the Police district the port is in.
 */
export const borderSeizureSchema = z
  .strictObject({
    seizure_id: nativeId,
    case_ref: nativeId,
    seized_at: isoDateTime,
    port_of_entry: portOfEntry,
    district: district.optional(),
    commodity,
    weight_grams: z.number().positive().max(MAX_GRAMS).optional(),
    units: z.number().int().positive().max(1_000_000).optional(),
    origin_country: countryCode,
    concealment,
    consignee: subjectRef.optional(),
    operation: text(100).optional(),
    ...markingFields,
    grading: grading.optional(),
    legal_basis: legalBasis.optional(),
    ...subjectFields,
  })
  .superRefine((r, ctx) => {
    if (r.weight_grams === undefined && r.units === undefined) {
      ctx.addIssue({ code: "custom", path: ["weight_grams"], message: "give the seized quantity as weight_grams or units" });
    } else if (r.weight_grams !== undefined && r.units !== undefined) {
      ctx.addIssue({ code: "custom", path: ["units"], message: "give weight_grams or units, not both" });
    } else if (r.commodity === "firearms" && r.weight_grams !== undefined) {
      ctx.addIssue({ code: "custom", path: ["weight_grams"], message: "firearms are counted in units, not weighed" });
    }
    checkUniqueSubjectIds(r, ctx);
    checkSubjectRef(r, r.consignee, "consignee", ctx);
  });

export type BorderSeizureRecord = z.infer<typeof borderSeizureSchema>;

export const BORDER_SEIZURE_EVENT_TYPE = "customs.border_seizure";

export function mapBorderSeizure(r: BorderSeizureRecord, publishedAt: Date) {
  return envelope({
    agency: "CUSTOMS",
    eventType: BORDER_SEIZURE_EVENT_TYPE,
    nativeId: r.seizure_id,
    occurredAt: r.seized_at,
    publishedAt,
    district: regionOf(r),
    defaults: CUSTOMS_DEFAULTS,
    classification: r.classification,
    caveats: r.caveats,
    releasableTo: r.releasable_to,
    releasableToCountries: r.releasable_to_countries,
    grading: r.grading,
    legalBasis: r.legal_basis,
    operationRef: r.operation,
    subjects: mapSubjects("CUSTOMS", r),
    payload: {
      $case: "customsBorderSeizure",
      value: {
        commodity: COMMODITY[r.commodity],
        weightGrams: r.weight_grams ?? 0,
        units: r.units ?? 0,
        portOfEntry: PORTS[r.port_of_entry].code,
        originCountry: r.origin_country,
        concealment: CONCEALMENT[r.concealment],
        consigneeSubjectId: refSubjectId(r.consignee),
        caseRef: r.case_ref,
      },
    },
  });
}

const example = {
  seizure_id: "SZ-2026-018833",
  case_ref: "CI-2026-00457",
  seized_at: "2026-11-18T06:42:00+13:00",
  port_of_entry: "Auckland Airport",
  commodity: "methamphetamine",
  weight_grams: 4870.5,
  origin_country: "US",
  concealment: "passenger_baggage",
  consignee: { type: "person", id: "P-20931" },
  operation: "Operation Kōtuku",
  grading: { source: "A", information: 1 },
  persons: [
    {
      person_id: "P-20931",
      name: "Tāne Pōmare",
      dob: "1988-07-02",
      address: "14 Te Irirangi Drive, Flat Bush, Auckland",
      phones: ["021 555 0147"],
      documents: [{ type: "passport", number: "LA482913", country: "NZ" }],
      role: "person_of_interest",
    },
    { person_id: "P-20932", name: "Mele Tupou", phones: ["022 555 0183"], role: "associate" },
  ],
};

/** Weights in grams by how the goods came in: mail is grams, containers are hundreds of kilos. */
const GRAMS: Record<ConcealmentName, [number, number]> = {
  international_mail: [2, 3_000],
  passenger_baggage: [300, 12_000],
  body_concealment: [100, 1_500],
  air_cargo: [500, 60_000],
  sea_container: [2_000, 700_000],
  vessel: [20_000, 500_000],
  other: [100, 50_000],
};

const CONCEALMENT_BY_PORT = {
  airport: { methods: ["passenger_baggage", "air_cargo", "body_concealment"], weights: [50, 38, 12] },
  seaport: { methods: ["sea_container", "vessel", "other"], weights: [85, 10, 5] },
  mail: { methods: ["international_mail"], weights: [1] },
} as const satisfies Record<string, { methods: readonly ConcealmentName[]; weights: readonly number[] }>;

function quantity(rng: () => number, c: CommodityName, how: ConcealmentName): { weight_grams: number } | { units: number } {
  const small = how === "international_mail" || how === "body_concealment";
  switch (c) {
    case "firearms":
      return { units: small ? between(rng, 1, 3) : between(rng, 1, 40) };
    case "counterfeit_goods":
      return { units: Math.round(logUniform(rng, 5, small ? 200 : 20_000)) };
    case "mdma":
      if (rng() < 0.4) return { units: Math.round(logUniform(rng, 50, small ? 2_000 : 50_000)) };
      break;
    case "precursors":
      return { weight_grams: tenth(logUniform(rng, small ? 50 : 200, small ? 3_000 : 200_000)) };
  }
  const [min, max] = GRAMS[how];
  return { weight_grams: tenth(logUniform(rng, min, max)) };
}

function synthesize(rng: () => number, index: number) {
  const port = pick(rng, PORT_NAMES, PORT_NAMES.map((p) => PORT_WEIGHTS[p]));
  const byPort = CONCEALMENT_BY_PORT[PORTS[port].kind];
  const how = pick<ConcealmentName>(rng, byPort.methods, byPort.weights);
  const c = pick(rng, Object.keys(COMMODITY) as CommodityName[], [45, 12, 10, 9, 8, 16]);
  const origin = pick(rng, ORIGINS[c].countries, ORIGINS[c].weights);
  const carried = how === "passenger_baggage" || how === "body_concealment";
  const persons: unknown[] = [];
  const organisations: unknown[] = [];
  let consignee: { type: "person" | "organisation"; id: string } | undefined;
  if (carried) {
    const nzResident = rng() < 0.6;
    const country = nzResident ? "NZ" : origin;
    persons.push({
      person_id: `P-SYN-${index}-0`,
      name: nzResident ? nzName(rng) : travellerName(rng, origin),
      dob: dateOfBirth(rng, 2026, 19, 65),
      documents: [{ type: "passport", number: passportNumber(rng, country), country }],
      role: "person_of_interest",
    });
    consignee = { type: "person", id: `P-SYN-${index}-0` };
  } else if (how === "international_mail") {
    if (rng() < 0.8) {
      persons.push({
        person_id: `P-SYN-${index}-0`,
        name: nzName(rng),
        address: `${between(rng, 1, 240)} ${pick(rng, ["Great South Road, Ōtāhuhu", "Te Irirangi Drive, Flat Bush", "Cameron Road, Tauranga", "Grey Street, Hamilton", "Riccarton Road, Christchurch", "Kamo Road, Whangārei", "Te Atatū Road, Te Atatū South", "Main Street, Pāpāmoa"])}`,
        phones: rng() < 0.6 ? [nzMobile(rng)] : [],
        role: "person_of_interest",
      });
      consignee = { type: "person", id: `P-SYN-${index}-0` };
    }
  } else if (rng() < 0.85) {
    organisations.push({ org_id: `O-SYN-${index}`, name: importerName(rng), type: "company", registration_number: nzbn(rng) });
    consignee = { type: "organisation", id: `O-SYN-${index}` };
    if (rng() < 0.5) {
      persons.push({ person_id: `P-SYN-${index}-1`, name: nzName(rng), dob: dateOfBirth(rng, 2026, 25, 70), phones: [nzMobile(rng)], role: "associate" });
    }
  }
  return {
    seizure_id: `SZ-SYN-${index}`,
    case_ref: `CI-SYN-${Math.floor(index / 2)}`,
    seized_at: nzDateTime(2026, dayOf(rng), between(rng, 0, 23), between(rng, 0, 59)),
    port_of_entry: port,
    commodity: c,
    ...quantity(rng, c, how),
    origin_country: origin,
    concealment: how,
    ...(consignee ? { consignee } : {}),
    ...(rng() < 0.7 ? { grading: { source: "A", information: 1 } } : {}),
    persons,
    organisations,
  };
}

export const borderSeizure: RecordKind<BorderSeizureRecord> = {
  recordType: "border_seizure",
  eventType: BORDER_SEIZURE_EVENT_TYPE,
  httpPath: "/v1/seizures",
  summary: "Submit a border seizure (commodity, quantity, port of entry, origin, concealment, consignee)",
  schema: borderSeizureSchema,
  nativeId: (r) => r.seizure_id,
  map: mapBorderSeizure,
  example,
  synthesize,
  // Demo history: the seizures bound for each district (the district overrides the port's).
  history: {
    perWeek: 6,
    place: (r, slot) => ({ ...r, seizure_id: `SZ-${slot.id}`, case_ref: `CI-${slot.id}`, seized_at: slot.at, district: slot.district }),
  },
};
