import { ClearHoldBuildPhase, OperationPhase, SupportService } from "@takitini/proto";
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
  markingFields,
  nativeId,
  pick,
  plausibleDateTime,
  text,
  type AgencyDefaults,
  type District,
  type RecordKind,
} from "@takitini/adapter-kit";
import { isoWeekStart } from "@takitini/runtime";
import { z } from "zod";
import { POLICE_DEFAULTS } from "../defaults.js";

/**
 * Police's native operation update: a change in an operation's lifecycle
 * (planning → active → resolution → concluded), with the Clear-Hold-Build phase
 * and, from resolution on, arrests, charges and the families and children
 * affected — the de-identified counts MSD and community providers plan support on.
 */

export const PHASES = ["planning", "active", "resolution", "concluded"] as const;
export const SUPPORT = ["addiction_treatment", "whanau_navigation", "rangatahi_mentoring", "reintegration", "harm_reduction"] as const;
export type Phase = (typeof PHASES)[number];

/** Phases before resolution: nothing about the operation leaves law enforcement yet. */
export const beforeResolution = (phase: Phase): boolean => phase === "planning" || phase === "active";

/** How far ahead a planned phase change (`effective_at`) may be; every other date of a record is not in the future. */
export const EFFECTIVE_AT_HORIZON_DAYS = 365;

const MAX_ARRESTS = 50_000;
const MAX_CHARGES = 500_000;

/** The districts whose demo history holds operations, and the week of an eight-week cycle each phase is recorded in. */
const HISTORY_OPERATION_DISTRICTS: readonly District[] = ["Counties Manukau", "Eastern"];
const HISTORY_PHASE_WEEK: Partial<Record<number, Phase>> = { 0: "planning", 2: "active", 5: "resolution", 7: "concluded" };
const WEEK_MS = 7 * 86_400_000;

/**
 * The demo history's operation update for a district and week, if any: a function of
 * the week itself (weeks since 2020-W01), so an operation's updates are the same
 * whichever week the history is generated in, and each reaches resolution.
 */
function historicOperationUpdate(slot: { district: District; week: string; at: string; id: string }): Record<string, unknown> | undefined {
  const d = HISTORY_OPERATION_DISTRICTS.indexOf(slot.district);
  if (d < 0) return undefined;
  const n = Math.round((isoWeekStart(slot.week).getTime() - isoWeekStart("2020-W01").getTime()) / WEEK_MS) + d * 4;
  const phase = HISTORY_PHASE_WEEK[n % 8];
  if (!phase) return undefined;
  const cycle = Math.floor(n / 8);
  const places = DISTRICT_LOCALITIES[slot.district];
  const arrests = 5 + ((cycle * 13 + d * 7) % 30);
  const families = Math.round(arrests * 0.4);
  const resolved = !beforeResolution(phase);
  return {
    update_id: `NOCG-OPS-${slot.id}`,
    recorded_at: slot.at,
    code_name: INVENTED[(cycle + d * 3) % INVENTED.length],
    phase,
    target_group: GROUPS[(cycle * 7 + d) % GROUPS.length],
    district: slot.district,
    localities: [places[cycle % places.length]],
    ...(resolved ? { arrests, charges: arrests * 4 + (cycle % 9), clear_hold_build: phase === "resolution" ? "clear" : "hold" } : {}),
    ...(phase === "resolution" ? { families_affected: families, children_affected: families * 3, support_needed: ["whanau_navigation", "addiction_treatment"] } : {}),
    summary: `Synthetic history: operation ${phase} in ${places[cycle % places.length]}.`,
  };
}

export const operationUpdateSchema = z
  .strictObject({
    update_id: nativeId,
    recorded_at: isoDateTime,
    /**
     * When the operation entered this phase, if not when the update was recorded —
     * or, for a planned change, when it will: up to EFFECTIVE_AT_HORIZON_DAYS ahead.
     */
    effective_at: plausibleDateTime({ aheadDays: EFFECTIVE_AT_HORIZON_DAYS }).optional(),
    code_name: text(100, { min: 1 }),
    phase: z.enum(PHASES),
    clear_hold_build: z.enum(["clear", "hold", "build"]).optional(),
    target_group: text(150, { min: 1 }),
    /** The lead district; a national operation sends one update per district. */
    district,
    localities: z.array(text(100, { min: 1 })).max(20).default([]),
    arrests: count(MAX_ARRESTS).optional(),
    charges: count(MAX_CHARGES).optional(),
    families_affected: count(10_000).optional(),
    children_affected: count(50_000).optional(),
    support_needed: z.array(z.enum(SUPPORT)).max(SUPPORT.length).default([]),
    summary: text(4000, { min: 1, multiline: true }),
    ...markingFields,
    grading: grading.optional(),
    legal_basis: legalBasis.optional(),
  })
  .superRefine((r, ctx) => {
    if (beforeResolution(r.phase)) {
      for (const field of ["arrests", "charges"] as const) {
        if (r[field] !== undefined) ctx.addIssue({ code: "custom", path: [field], message: `${field} are recorded only from resolution on (phase is ${r.phase})` });
      }
    }
    if (r.phase === "resolution") {
      for (const field of ["families_affected", "children_affected"] as const) {
        if (r[field] === undefined) ctx.addIssue({ code: "custom", path: [field], message: `${field} is required at resolution (give 0 if none)` });
      }
    }
    if ((r.children_affected ?? 0) > 0 && r.families_affected === 0) {
      ctx.addIssue({ code: "custom", path: ["children_affected"], message: "children affected but no families affected" });
    }
    checkNoRepeats(r.support_needed, "support_needed", ctx);
  });

export type PoliceOperationUpdateRecord = z.infer<typeof operationUpdateSchema>;

const PHASE = {
  planning: OperationPhase.OPERATION_PHASE_PLANNING,
  active: OperationPhase.OPERATION_PHASE_ACTIVE,
  resolution: OperationPhase.OPERATION_PHASE_RESOLUTION,
  concluded: OperationPhase.OPERATION_PHASE_CONCLUDED,
} as const;

const CLEAR_HOLD_BUILD = {
  clear: ClearHoldBuildPhase.CLEAR_HOLD_BUILD_PHASE_CLEAR,
  hold: ClearHoldBuildPhase.CLEAR_HOLD_BUILD_PHASE_HOLD,
  build: ClearHoldBuildPhase.CLEAR_HOLD_BUILD_PHASE_BUILD,
} as const;

export const SUPPORT_SERVICE = {
  addiction_treatment: SupportService.SUPPORT_SERVICE_ADDICTION_TREATMENT,
  whanau_navigation: SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION,
  rangatahi_mentoring: SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING,
  reintegration: SupportService.SUPPORT_SERVICE_REINTEGRATION,
  harm_reduction: SupportService.SUPPORT_SERVICE_HARM_REDUCTION,
} as const;

/** Before resolution an update is also embargoed until the operation concludes. */
export const PRE_RESOLUTION_DEFAULTS: AgencyDefaults = {
  ...POLICE_DEFAULTS,
  caveats: [...POLICE_DEFAULTS.caveats, "EMBARGO UNTIL CONCLUDED"],
};

export function defaultsForPhase(phase: Phase): AgencyDefaults {
  return beforeResolution(phase) ? PRE_RESOLUTION_DEFAULTS : POLICE_DEFAULTS;
}

/** Gangs and groups seen in Police intelligence, for synthetic records. */
export const GROUPS = ["Mongrel Mob Barbarians", "Black Power", "Head Hunters", "Comancheros", "Rebels", "Nomads", "Killer Beez", "Tribesmen", "Hells Angels", "Mongols"] as const;

/** Towns and suburbs by Police district, for synthetic records; small places included. */
export const DISTRICT_LOCALITIES: Record<(typeof DISTRICT_NAMES)[number], readonly string[]> = {
  Northland: ["Whangārei", "Kaikohe", "Kaitaia", "Moerewa", "Kawakawa"],
  "Waitematā": ["Henderson", "Massey", "Ōrewa", "Glen Eden", "Helensville"],
  "Auckland City": ["Avondale", "Onehunga", "Glen Innes", "Panmure", "Point England"],
  "Counties Manukau": ["Manurewa", "Ōtara", "Papakura", "Māngere", "Pukekohe"],
  Waikato: ["Hamilton", "Huntly", "Tokoroa", "Te Kūiti", "Ngāruawāhia"],
  "Bay of Plenty": ["Ōpōtiki", "Whakatāne", "Kawerau", "Rotorua", "Tauranga", "Murupara"],
  Eastern: ["Gisborne", "Wairoa", "Napier", "Hastings", "Flaxmere", "Ruatōria"],
  Central: ["Palmerston North", "Whanganui", "New Plymouth", "Hāwera", "Taihape"],
  Wellington: ["Porirua", "Cannons Creek", "Lower Hutt", "Upper Hutt", "Masterton"],
  Tasman: ["Nelson", "Blenheim", "Greymouth", "Westport", "Motueka"],
  Canterbury: ["Christchurch", "Timaru", "Ashburton", "Rangiora", "Kaikōura"],
  Southern: ["Mātaura", "Invercargill", "Gore", "Dunedin", "Ōamaru"],
};

/** Operations for synthetic updates: the three on record (in their own years and months), then invented code names. */
const OPERATIONS = [
  { name: "Operation Highwater", district: "Bay of Plenty", group: "Mongrel Mob Barbarians", localities: ["Ōpōtiki"], year: 2024, months: [10, 12] },
  { name: "Operation Pakari", district: "Southern", group: "Mātaura methamphetamine supply network", localities: ["Mātaura", "Gore"], year: 2023, months: [6, 9] },
  { name: "Operation Cobalt", district: undefined, group: "Multiple gangs", localities: undefined, year: 2024, months: [1, 12] },
] as const;
const INVENTED = ["Operation Tōtara", "Operation Kahu", "Operation Pōhutukawa", "Operation Kererū", "Operation Tuatara", "Operation Mātai", "Operation Rimu", "Operation Kōtare"];

/** An ISO date-time in New Zealand time for synthetic records: +12:00 from April to September, +13:00 (daylight time) otherwise — near enough at the edges. */
export function nzTime(year: number, month: number, day: number, hour: number, minute: number): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${year}-${two(month)}-${two(day)}T${two(hour)}:${two(minute)}:00${month >= 4 && month <= 9 ? "+12:00" : "+13:00"}`;
}

export const operationUpdate: RecordKind<PoliceOperationUpdateRecord> = {
  recordType: "operation_update",
  eventType: "police.operation_update",
  httpPath: "/v1/operation-updates",
  summary: "Submit an operation update (phase, Clear-Hold-Build, arrests, charges, families and children affected, support needed)",
  schema: operationUpdateSchema,
  nativeId: (r) => r.update_id,
  map: (r, publishedAt) =>
    envelope({
      agency: "POLICE",
      eventType: "police.operation_update",
      nativeId: r.update_id,
      occurredAt: r.effective_at ?? r.recorded_at,
      publishedAt,
      district: r.district,
      defaults: defaultsForPhase(r.phase),
      classification: r.classification,
      caveats: r.caveats,
      releasableTo: r.releasable_to,
      releasableToCountries: r.releasable_to_countries,
      grading: r.grading,
      legalBasis: r.legal_basis,
      operationRef: r.code_name,
      payload: {
        $case: "policeOperationUpdate",
        value: {
          codeName: r.code_name,
          phase: PHASE[r.phase],
          clearHoldBuild: r.clear_hold_build ? CLEAR_HOLD_BUILD[r.clear_hold_build] : ClearHoldBuildPhase.CLEAR_HOLD_BUILD_PHASE_UNSPECIFIED,
          targetGroup: r.target_group,
          arrests: r.arrests ?? 0,
          charges: r.charges ?? 0,
          familiesAffected: r.families_affected ?? 0,
          childrenAffected: r.children_affected ?? 0,
          supportNeeded: r.support_needed.map((s) => SUPPORT_SERVICE[s]),
          summary: r.summary,
          localities: r.localities,
        },
      },
    }),
  example: {
    update_id: "NOCG-OPS-2024-0391",
    recorded_at: "2024-10-18T16:30:00+13:00",
    effective_at: "2024-10-15T05:00:00+13:00",
    code_name: "Operation Highwater",
    phase: "resolution",
    clear_hold_build: "clear",
    target_group: "Mongrel Mob Barbarians",
    district: "Bay of Plenty",
    localities: ["Ōpōtiki"],
    arrests: 39,
    charges: 205,
    families_affected: 12,
    children_affected: 47,
    support_needed: ["whanau_navigation", "addiction_treatment", "rangatahi_mentoring"],
    summary: "Termination phase executed across Ōpōtiki; whānau of those arrested referred for support with Te Whakatōhea.",
    grading: { source: "A", information: 1 },
  },
  // Demo history: an operation every eight weeks in two districts, from planning to conclusion.
  history: { perWeek: 1, fullWeeks: 52, disclosure: false, place: (_r, slot) => historicOperationUpdate(slot) },
  synthesize: (rng, index) => {
    // The three operations on record have all reached resolution; invented ones are at any phase.
    const known = rng() < 0.35 ? pick(rng, OPERATIONS, [2, 1, 3]) : undefined;
    const phase = known ? pick(rng, ["resolution", "concluded"] as const) : pick(rng, PHASES, [15, 35, 30, 20]);
    // Counties Manukau, Eastern and Bay of Plenty carry more operations; Cobalt ran in all 12.
    const d = known?.district ?? pick(rng, DISTRICT_NAMES, [6, 4, 4, 9, 6, 9, 9, 5, 5, 4, 5, 5]);
    const places = DISTRICT_LOCALITIES[d];
    const localities = known?.localities ? [...known.localities] : [pick(rng, places), ...(rng() < 0.3 ? [pick(rng, places)] : [])].filter((l, i, all) => all.indexOf(l) === i);
    const resolved = !beforeResolution(phase);
    // Highwater: 39 arrests, 205 charges; Pakari: 20 arrests, 85 charges, 12 families, 47 children.
    const arrests = resolved ? between(rng, 3, 45) : undefined;
    const charges = arrests === undefined ? undefined : arrests * between(rng, 3, 6) + between(rng, 0, 9);
    const families = arrests === undefined || (phase === "concluded" && rng() < 0.3) ? undefined : Math.round(arrests * (0.3 + rng() * 0.4));
    const children = families === undefined ? undefined : families === 0 ? 0 : families * between(rng, 2, 5) - between(rng, 0, families - 1);
    const record: Record<string, unknown> = {
      update_id: `NOCG-OPS-SYN-${index}`,
      // Invented operations' updates run to November 2026 (SYNTHETIC_UNTIL): never in the future.
      recorded_at: nzTime(known?.year ?? 2026, between(rng, known?.months[0] ?? 1, known?.months[1] ?? 11), between(rng, 1, 28), between(rng, 6, 18), 0),
      code_name: known?.name ?? pick(rng, INVENTED),
      phase,
      target_group: known?.group ?? pick(rng, GROUPS),
      district: d,
      localities,
      support_needed: families ? SUPPORT.filter(() => rng() < 0.5) : [],
      summary: `Synthetic update ${index}: operation ${phase} in ${localities.join(", ")}.`,
    };
    if (resolved || rng() < 0.3) record.clear_hold_build = phase === "concluded" ? pick(rng, ["hold", "build"] as const) : pick(rng, ["clear", "hold"] as const, [3, 1]);
    if (arrests !== undefined) Object.assign(record, { arrests, charges });
    if (families !== undefined) Object.assign(record, { families_affected: families, children_affected: children });
    return record;
  },
};
