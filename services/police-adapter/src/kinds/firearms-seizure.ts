import { FirearmType } from "@takitini/proto";
import {
  between,
  checkNoRepeats,
  count,
  district,
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
  text,
  type RecordKind,
} from "@takitini/adapter-kit";
import { z } from "zod";
import { POLICE_DEFAULTS } from "../defaults.js";
import { DISTRICT_LOCALITIES, GROUPS, nzTime } from "./operation-update.js";

/** Police's native firearms seizure record: how many, what types, ammunition, where, and under what authority. */

export const FIREARM_TYPES = ["pistol", "rifle", "shotgun", "military_style_semi_automatic", "restricted_other", "improvised"] as const;

export const firearmsSeizureSchema = z
  .strictObject({
    seizure_id: nativeId,
    seized_at: isoDateTime,
    district,
    locality: text(100).optional(),
    firearms_count: count(5_000).min(1),
    firearm_types: z.array(z.enum(FIREARM_TYPES)).max(FIREARM_TYPES.length).default([]),
    ammunition_rounds: count(1_000_000).default(0),
    linked_group: text(150).optional(),
    /** True when seized under a search warrant rather than found or surrendered. */
    under_warrant: z.boolean(),
    operation: text(100).optional(),
    ...markingFields,
    grading: grading.optional(),
    legal_basis: legalBasis.optional(),
    ...subjectFields,
  })
  .superRefine((r, ctx) => {
    checkNoRepeats(r.firearm_types, "firearm_types", ctx);
    if (new Set(r.firearm_types).size > r.firearms_count) {
      ctx.addIssue({ code: "custom", path: ["firearm_types"], message: `more firearm types than firearms (${r.firearms_count})` });
    }
  });

export type PoliceFirearmsSeizureRecord = z.infer<typeof firearmsSeizureSchema>;

const FIREARM_TYPE = {
  pistol: FirearmType.FIREARM_TYPE_PISTOL,
  rifle: FirearmType.FIREARM_TYPE_RIFLE,
  shotgun: FirearmType.FIREARM_TYPE_SHOTGUN,
  military_style_semi_automatic: FirearmType.FIREARM_TYPE_MILITARY_STYLE_SEMI_AUTOMATIC,
  restricted_other: FirearmType.FIREARM_TYPE_RESTRICTED_OTHER,
  improvised: FirearmType.FIREARM_TYPE_IMPROVISED,
} as const;

const GIVEN = ["Hēmi", "Aroha", "Wiremu", "Mere", "Tama", "Ngaio", "Jordan", "Sione", "Ana", "Rāwiri"];
const FAMILY = ["Tāwhiri", "Ngata", "Walker", "Fa'asavalu", "Pōmare", "Smith", "Kereama", "Tuhoe", "Brown", "Te Rangi"];

export const firearmsSeizure: RecordKind<PoliceFirearmsSeizureRecord> = {
  recordType: "firearms_seizure",
  eventType: "police.firearms_seizure",
  httpPath: "/v1/firearms-seizures",
  summary: "Submit a firearms seizure (count, types, ammunition, locality, linked group, warrant)",
  schema: firearmsSeizureSchema,
  nativeId: (r) => r.seizure_id,
  map: (r, publishedAt) =>
    envelope({
      agency: "POLICE",
      eventType: "police.firearms_seizure",
      nativeId: r.seizure_id,
      occurredAt: r.seized_at,
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
        $case: "policeFirearmsSeizure",
        value: {
          firearmsCount: r.firearms_count,
          firearmTypes: r.firearm_types.map((t) => FIREARM_TYPE[t]),
          ammunitionRounds: r.ammunition_rounds,
          locality: r.locality ?? "",
          linkedGroup: r.linked_group ?? "",
          underWarrant: r.under_warrant,
        },
      },
    }),
  example: {
    seizure_id: "FS-2026-00873",
    seized_at: "2024-08-14T06:05:00+12:00",
    district: "Southern",
    locality: "Mātaura",
    firearms_count: 4,
    firearm_types: ["rifle", "shotgun", "pistol"],
    ammunition_rounds: 640,
    linked_group: "Mongrel Mob",
    under_warrant: true,
    operation: "Operation Cobalt",
    grading: { source: "A", information: 1 },
    persons: [{ person_id: "P-40217", name: "Rāwiri Ngata", dob: "1988-07-02", role: "person_of_interest" }],
    organisations: [{ org_id: "G-0017", name: "Mongrel Mob", type: "gang" }],
  },
  // Demo history: enough seizures for a leader's week per district to pass disclosure control (6).
  history: {
    perWeek: 6,
    place: (r, slot) => {
      const { operation: _cobalt, ...rest } = r;
      return { ...rest, seizure_id: `FS-${slot.id}`, seized_at: slot.at, district: slot.district, locality: pick(slot.rng, DISTRICT_LOCALITIES[slot.district]) };
    },
  },
  synthesize: (rng, index) => {
    const d = pick(rng, DISTRICT_NAMES, [7, 5, 4, 9, 7, 8, 8, 6, 5, 4, 6, 5]);
    // Most seizures are one to three firearms; one in ten is a cache.
    const firearms = rng() < 0.9 ? pick(rng, [1, 2, 3], [6, 3, 1]) : between(rng, 5, 30);
    const types = Array.from({ length: Math.min(firearms, pick(rng, [1, 2, 3], [6, 3, 1])) }, () =>
      pick(rng, FIREARM_TYPES, [15, 40, 25, 5, 5, 10]),
    ).filter((t, i, all) => all.indexOf(t) === i);
    const linked = rng() < 0.6 ? pick(rng, GROUPS) : undefined;
    // Operation Cobalt (June 2022 – December 2024) seized 757 firearms; later seizures stand alone.
    const cobalt = rng() < 0.3;
    return {
      seizure_id: `FS-SYN-${index}`,
      // Later seizures run to November 2026 (SYNTHETIC_UNTIL): never in the future.
      seized_at: nzTime(cobalt ? between(rng, 2023, 2024) : 2026, between(rng, 1, cobalt ? 12 : 11), between(rng, 1, 28), between(rng, 5, 22), between(rng, 0, 59)),
      district: d,
      locality: pick(rng, DISTRICT_LOCALITIES[d]),
      firearms_count: firearms,
      firearm_types: types,
      ammunition_rounds: rng() < 0.2 ? 0 : firearms * between(rng, 10, 200),
      ...(linked ? { linked_group: linked } : {}),
      under_warrant: rng() < 0.7,
      ...(cobalt ? { operation: "Operation Cobalt" } : {}),
      grading: { source: pick(rng, ["A", "B", "C"] as const, [6, 3, 1]), information: pick(rng, [1, 2, 3] as const, [6, 3, 1]) },
      persons:
        rng() < 0.7
          ? [{ person_id: `P-FS-${index}`, name: `${pick(rng, GIVEN)} ${pick(rng, FAMILY)}`, role: "person_of_interest" as const }]
          : [],
      organisations: linked ? [{ org_id: `G-${GROUPS.indexOf(linked)}`, name: linked, type: "gang" as const }] : [],
    };
  },
};
