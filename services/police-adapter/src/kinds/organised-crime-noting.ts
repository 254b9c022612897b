import { readFileSync } from "node:fs";
import { Commodity, OrganisedCrimeActivity } from "@takitini/proto";
import {
  between,
  DISTRICT_NAMES,
  envelope,
  grading,
  isoDateTime,
  legalBasis,
  mapSubjects,
  markingFields,
  nativeId,
  pick,
  subjectFields,
  district,
  text,
  type RecordKind,
} from "@takitini/adapter-kit";
import { z } from "zod";
import { POLICE_DEFAULTS } from "../defaults.js";
import { DISTRICT_LOCALITIES } from "./operation-update.js";

/** Police's native organised-crime intelligence noting (National Intelligence Centre export). */
export const notingSchema = z.strictObject({
  noting_id: nativeId,
  recorded_at: isoDateTime,
  observed_at: isoDateTime.optional(),
  district,
  locality: text(100).optional(),
  reporting_unit: text(100, { min: 1 }),
  group: text(150, { min: 1 }),
  activity: z.enum(["drug_supply", "violence_standover", "firearms", "money_laundering"]),
  commodities: z.array(z.enum(["methamphetamine", "cocaine", "mdma", "precursors", "firearms", "counterfeit_goods"])).max(6).default([]),
  summary: text(4000, { min: 1, multiline: true }),
  operation: text(100).optional(),
  ...markingFields,
  grading,
  legal_basis: legalBasis.optional(),
  ...subjectFields,
});

export type PoliceNoting = z.infer<typeof notingSchema>;

const ACTIVITY = {
  drug_supply: OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY,
  violence_standover: OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_VIOLENCE_STANDOVER,
  firearms: OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_FIREARMS,
  money_laundering: OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_MONEY_LAUNDERING,
} as const;

export const COMMODITY = {
  methamphetamine: Commodity.COMMODITY_METHAMPHETAMINE,
  cocaine: Commodity.COMMODITY_COCAINE,
  mdma: Commodity.COMMODITY_MDMA,
  precursors: Commodity.COMMODITY_PRECURSORS,
  firearms: Commodity.COMMODITY_FIREARMS,
  counterfeit_goods: Commodity.COMMODITY_COUNTERFEIT_GOODS,
} as const;

const GROUPS = ["Mongrel Mob Barbarians", "Black Power", "Head Hunters", "Comancheros", "Rebels", "Nomads", "Killer Beez", "Tribesmen", "Hells Angels", "Mongols"];
const GIVEN = ["Hēmi", "Aroha", "Wiremu", "Mere", "Tama", "Ngaio", "Jordan", "Sione", "Ana", "Rāwiri"];
const FAMILY = ["Tāwhiri", "Ngata", "Walker", "Fa'asavalu", "Pōmare", "Smith", "Kereama", "Tuhoe", "Brown", "Te Rangi"];

export const organisedCrimeNoting: RecordKind<PoliceNoting> = {
  recordType: "organised_crime_noting",
  eventType: "police.organised_crime_noting",
  httpPath: "/v1/reports",
  summary: "Submit an organised-crime intelligence noting (group, activity, subjects, grading)",
  schema: notingSchema,
  nativeId: (r) => r.noting_id,
  map: (r, publishedAt) =>
    envelope({
      agency: "POLICE",
      eventType: "police.organised_crime_noting",
      nativeId: r.noting_id,
      occurredAt: r.observed_at ?? r.recorded_at,
      publishedAt,
      district: r.district,
      defaults: POLICE_DEFAULTS,
      classification: r.classification,
      caveats: r.caveats,
      releasableTo: r.releasable_to,
      releasableToCountries: r.releasable_to_countries,
      grading: r.grading,
      legalBasis: r.legal_basis,
      operationRef: r.operation,
      subjects: mapSubjects("POLICE", r),
      payload: {
        $case: "policeNoting",
        value: {
          groupName: r.group,
          activity: ACTIVITY[r.activity],
          commodities: r.commodities.map((c) => COMMODITY[c]),
          summary: r.summary,
          reportingUnit: r.reporting_unit,
          locality: r.locality ?? "",
        },
      },
    }),
  // The README's and the end-to-end suite's example, kept as a file people can curl.
  example: JSON.parse(readFileSync(new URL("../../examples/noting.json", import.meta.url), "utf8")),
  synthesize: (rng, index) => {
    // Drug supply dominates notings (Operation Cobalt's mix); Eastern and Counties Manukau weigh heavier.
    const d = pick(rng, DISTRICT_NAMES, [4, 5, 5, 9, 7, 7, 9, 5, 6, 4, 6, 5]);
    const activity = pick(rng, ["drug_supply", "violence_standover", "firearms", "money_laundering"] as const, [50, 25, 15, 10]);
    const day = between(rng, 1, 28);
    const persons = Array.from({ length: between(rng, 0, 3) }, (_v, i) => ({
      person_id: `P-${index}-${i}`,
      name: `${pick(rng, GIVEN)} ${pick(rng, FAMILY)}`,
      dob: `19${between(rng, 60, 99)}-0${between(rng, 1, 9)}-1${between(rng, 0, 9)}`,
      phones: [`021 ${between(rng, 100, 999)} ${between(rng, 1000, 9999)}`],
      role: pick(rng, ["person_of_interest", "associate"] as const, [3, 1]),
    }));
    return {
      noting_id: `NIC-SYN-${index}`,
      recorded_at: `2026-10-${String(day).padStart(2, "0")}T0${between(rng, 0, 9)}:00:00+13:00`,
      district: d,
      locality: pick(rng, DISTRICT_LOCALITIES[d]),
      reporting_unit: pick(rng, ["National Organised Crime Group", "National Intelligence Centre", "District Intelligence"]),
      group: pick(rng, GROUPS),
      activity,
      commodities: activity === "drug_supply" ? [pick(rng, ["methamphetamine", "cocaine", "mdma"] as const, [80, 12, 8])] : activity === "firearms" ? ["firearms"] : [],
      summary: `Synthetic noting ${index}: ${activity.replace("_", " ")} reported in ${d}.`,
      grading: { source: pick(rng, ["A", "B", "C", "D", "F"] as const, [1, 5, 4, 1, 1]), information: pick(rng, [1, 2, 3, 4, 6] as const, [1, 5, 4, 1, 1]) },
      persons,
      vehicles: rng() < 0.3 ? [{ vehicle_id: `V-${index}`, plate: `${String.fromCharCode(65 + between(rng, 0, 25))}${String.fromCharCode(65 + between(rng, 0, 25))}${String.fromCharCode(65 + between(rng, 0, 25))}${between(rng, 100, 999)}` }] : [],
    };
  },
};
