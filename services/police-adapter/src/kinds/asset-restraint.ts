import { AssetClass, AssetRestraintStage } from "@takitini/proto";
import {
  between,
  district,
  DISTRICT_NAMES,
  envelope,
  grading,
  isoDateTime,
  legalBasis,
  logUniform,
  mapSubjects,
  markingFields,
  nativeId,
  pick,
  subjectFields,
  text,
  type AgencyDefaults,
  type RecordKind,
} from "@takitini/adapter-kit";
import { z } from "zod";
import { GROUPS, nzTime } from "./operation-update.js";

/**
 * A court order under the Criminal Proceeds (Recovery) Act 2009, as the Police
 * Asset Recovery Unit records it: the stage (assets restrained, forfeited, or
 * released), each asset's class and value in whole New Zealand dollars, the
 * High Court file number, the operation, and the respondents as typed subjects.
 */

export const STAGES = ["restraining_order", "forfeiture_order", "released"] as const;
export const ASSET_CLASSES = ["cash", "vehicle", "real_property", "bank_account", "virtual_assets", "business", "other"] as const;

/** A High Court civil file number: CIV-<year>-<registry>-<number>. */
const courtFileRef = z.string().regex(/^CIV-\d{4}-\d{3}-\d{1,6}$/, "expected a High Court file number like CIV-2026-404-000812");

/**
 * The Asset Recovery Unit's markings when an order carries none: IN-CONFIDENCE
 * with ORIGINATOR CONTROL, on the Act itself.
 */
export const ASSET_RECOVERY_DEFAULTS: AgencyDefaults = {
  classification: "IN-CONFIDENCE",
  caveats: ["ORIGINATOR CONTROL"],
  legalBasis: {
    instrument: "Criminal Proceeds (Recovery) Act 2009",
    provision: "ss 24, 50",
    description: "restraint and forfeiture of property derived from significant criminal activity; disclosure for the Act's purposes",
  },
};

export const assetRestraintSchema = z
  .strictObject({
    order_id: nativeId,
    /** When the court made the order (or the restraint ended). */
    ordered_at: isoDateTime,
    district,
    stage: z.enum(STAGES),
    assets: z
      .array(
        z.strictObject({
          asset_class: z.enum(ASSET_CLASSES),
          /** Whole New Zealand dollars: up to a billion. */
          value_nzd: z.number().int().min(0).max(1_000_000_000),
        }),
      )
      .min(1)
      .max(200),
    court_file_ref: courtFileRef,
    operation: text(100).optional(),
    ...markingFields,
    grading: grading.optional(),
    legal_basis: legalBasis.optional(),
    ...subjectFields,
  });

export type PoliceAssetRestraintRecord = z.infer<typeof assetRestraintSchema>;

const STAGE = {
  restraining_order: AssetRestraintStage.ASSET_RESTRAINT_STAGE_RESTRAINING_ORDER,
  forfeiture_order: AssetRestraintStage.ASSET_RESTRAINT_STAGE_FORFEITURE_ORDER,
  released: AssetRestraintStage.ASSET_RESTRAINT_STAGE_RELEASED,
} as const;

const CLASS = {
  cash: AssetClass.ASSET_CLASS_CASH,
  vehicle: AssetClass.ASSET_CLASS_VEHICLE,
  real_property: AssetClass.ASSET_CLASS_REAL_PROPERTY,
  bank_account: AssetClass.ASSET_CLASS_BANK_ACCOUNT,
  virtual_assets: AssetClass.ASSET_CLASS_VIRTUAL_ASSETS,
  business: AssetClass.ASSET_CLASS_BUSINESS,
  other: AssetClass.ASSET_CLASS_OTHER,
} as const;

/** Typical values by class (log-uniform between these, whole dollars). */
const VALUE_RANGE: Record<(typeof ASSET_CLASSES)[number], [number, number]> = {
  cash: [2_000, 400_000],
  vehicle: [8_000, 180_000],
  real_property: [350_000, 2_500_000],
  bank_account: [1_000, 600_000],
  virtual_assets: [2_000, 300_000],
  business: [50_000, 1_500_000],
  other: [1_000, 60_000],
};

const GIVEN = ["Hēmi", "Aroha", "Wiremu", "Mere", "Tama", "Ngaio", "Jordan", "Sione", "Ana", "Rāwiri"];
const FAMILY = ["Tāwhiri", "Ngata", "Walker", "Fa'asavalu", "Pōmare", "Smith", "Kereama", "Tuhoe", "Brown", "Te Rangi"];
const REGISTRIES = ["404", "485", "409", "412", "470", "419", "441"];

export const assetRestraint: RecordKind<PoliceAssetRestraintRecord> = {
  recordType: "asset_restraint",
  eventType: "police.asset_restraint",
  httpPath: "/v1/asset-restraints",
  summary: "Submit a Criminal Proceeds (Recovery) Act order (stage, assets by class and value, court file, operation, respondents)",
  schema: assetRestraintSchema,
  nativeId: (r) => r.order_id,
  map: (r, publishedAt) =>
    envelope({
      agency: "POLICE",
      eventType: "police.asset_restraint",
      nativeId: r.order_id,
      occurredAt: r.ordered_at,
      publishedAt,
      district: r.district,
      defaults: ASSET_RECOVERY_DEFAULTS,
      classification: r.classification,
      caveats: r.caveats,
      releasableTo: r.releasable_to,
      releasableToCountries: r.releasable_to_countries,
      grading: r.grading,
      legalBasis: r.legal_basis,
      operationRef: r.operation,
      subjects: mapSubjects("POLICE", r),
      payload: {
        $case: "policeAssetRestraint",
        value: {
          stage: STAGE[r.stage],
          assets: r.assets.map((a) => ({ assetClass: CLASS[a.asset_class], valueNzd: String(a.value_nzd) })),
          courtFileRef: r.court_file_ref,
        },
      },
    }),
  example: {
    order_id: "ARU-2026-0193",
    ordered_at: "2026-09-24T14:00:00+12:00",
    district: "Bay of Plenty",
    stage: "restraining_order",
    assets: [
      { asset_class: "real_property", value_nzd: 640_000 },
      { asset_class: "vehicle", value_nzd: 58_500 },
      { asset_class: "cash", value_nzd: 112_300 },
    ],
    court_file_ref: "CIV-2026-470-000812",
    grading: { source: "A", information: 1 },
    persons: [{ person_id: "P-40311", name: "Tama Kereama", dob: "1979-11-04", role: "person_of_interest" }],
    organisations: [{ org_id: "G-0021", name: "Mongrel Mob Barbarians", type: "gang" }],
    vehicles: [{ vehicle_id: "V-2231", plate: "NKT482", make: "Ford", model: "Ranger" }],
  },
  synthesize: (rng, index) => {
    const d = pick(rng, DISTRICT_NAMES, [5, 5, 6, 8, 6, 8, 7, 5, 6, 4, 6, 5]);
    const stage = pick(rng, STAGES, [6, 3, 1]);
    const assets = Array.from({ length: pick(rng, [1, 2, 3, 5], [5, 3, 2, 1]) }, () => {
      const c = pick(rng, ASSET_CLASSES, [25, 30, 12, 15, 6, 4, 8]);
      const [lo, hi] = VALUE_RANGE[c];
      return { asset_class: c, value_nzd: Math.round(logUniform(rng, lo, hi)) };
    });
    const linked = rng() < 0.5 ? pick(rng, GROUPS) : undefined;
    return {
      order_id: `ARU-SYN-${index}`,
      ordered_at: nzTime(2026, between(rng, 1, 11), between(rng, 1, 28), between(rng, 9, 16), between(rng, 0, 59)),
      district: d,
      stage,
      assets,
      court_file_ref: `CIV-2026-${pick(rng, REGISTRIES)}-${String(between(rng, 1, 2400)).padStart(6, "0")}`,
      // Most orders follow an operation's resolution and stand alone in the record; some name it.
      ...(rng() < 0.2 ? { operation: "Operation Cobalt" } : {}),
      grading: { source: pick(rng, ["A", "B"] as const, [7, 3]), information: pick(rng, [1, 2] as const, [7, 3]) },
      persons: [{ person_id: `P-ARU-${index}`, name: `${pick(rng, GIVEN)} ${pick(rng, FAMILY)}`, role: "person_of_interest" as const }],
      organisations: linked ? [{ org_id: `G-${GROUPS.indexOf(linked)}`, name: linked, type: "gang" as const }] : [],
    };
  },
};
