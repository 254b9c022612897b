import { z } from "zod";
import { AGENCIES, CLASSIFICATIONS } from "./contract.js";

/**
 * The subscriber registry, data/subscribers.json: subscriber id → record. The
 * policy reads it as data.takitini.subscribers; this schema is the same contract
 * checked at load, so a malformed registry stops the service instead of quietly
 * denying (or allowing) the wrong things. Adding a partner is an entry here.
 */

export const TIERS = ["partner_agency", "community_leader", "public", "oversight"] as const;
export type Tier = (typeof TIERS)[number];

/** The 12 Police districts; a subscriber's regions are these or "*". */
export const DISTRICTS = [
  "NORTHLAND",
  "WAITEMATA",
  "AUCKLAND_CITY",
  "COUNTIES_MANUKAU",
  "WAIKATO",
  "BAY_OF_PLENTY",
  "EASTERN",
  "CENTRAL",
  "WELLINGTON",
  "TASMAN",
  "CANTERBURY",
  "SOUTHERN",
] as const;

/** A field path as the exchange's redaction applier reads it: `subjects[*].person.full_name`. */
const fieldPath = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*(\[(\*|\d+)\])*(\.[A-Za-z_][A-Za-z0-9_]*(\[(\*|\d+)\])*)*$/, "expected a field path like subjects[*].person.full_name");

const unique = (xs: readonly string[]) => new Set(xs).size === xs.length;

/** A sharing agreement: what the source agency agreed to release to this subscriber, and on what basis. */
export const agreementSchema = z.strictObject({
  /** Agreement identifier, e.g. "customs-police-drug-supply". */
  id: z.string().min(1),
  /** The reason id a decision allowed under it gives, e.g. "sharing.customs_police_drug_supply". */
  rule: z.string().regex(/^sharing\.[a-z0-9_]+$/, "expected a rule id like sharing.customs_police_drug_supply"),
  source_agency: z.enum(AGENCIES),
  event_types: z.array(z.string().min(1)).min(1),
  /** Omitted (or null): every activity of the event types. */
  activities: z.array(z.string()).nullable().optional(),
  view: z.enum(["full", "redacted", "aggregate_only"]),
  redact: z.array(fieldPath),
  legal_basis: z.string().min(1, "every disclosure records its legal basis"),
});

export const subscriberRecordSchema = z
  .strictObject({
    name: z.string().min(1),
    tier: z.enum(TIERS),
    /** The partner's agency code (partner agencies only), matched by RELEASABLE_TO. */
    agency: z.string().regex(/^[A-Z][A-Z0-9_]*$/).optional(),
    law_enforcement: z.boolean(),
    clearance: z.enum(CLASSIFICATIONS),
    regions: z.array(z.union([z.literal("*"), z.enum(DISTRICTS)])).min(1),
    delivery_topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "expected a Kafka topic name"),
    agreements: z.array(agreementSchema).refine((as) => unique(as.map((a) => a.id)), "agreement ids must be unique"),
  })
  .refine((s) => s.tier !== "partner_agency" || s.agency !== undefined, { message: "a partner agency needs its agency code", path: ["agency"] });

const subscriberId = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const registrySchema = z
  .record(z.string(), subscriberRecordSchema)
  .superRefine((registry, ctx) => {
    for (const id of Object.keys(registry)) {
      if (!subscriberId.test(id)) ctx.addIssue({ code: "custom", path: [id], message: "subscriber ids are lower-case letters, digits and -" });
    }
  })
  .refine((r) => unique(Object.values(r).map((s) => s.delivery_topic)), "each subscriber needs its own delivery topic");

export type Agreement = z.infer<typeof agreementSchema>;
export type SubscriberRecord = z.infer<typeof subscriberRecordSchema>;
/** One subscriber: its id in the registry and its record. */
export type Subscriber = SubscriberRecord & { id: string };

/** Parse the registry's JSON text; throws an Error naming every problem. Pure. */
export function parseRegistry(json: string, source = "subscribers.json"): Record<string, SubscriberRecord> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(`${source}: not JSON: ${(err as Error).message}`);
  }
  const parsed = registrySchema.safeParse(value);
  if (!parsed.success) throw new Error(`${source}: invalid subscriber registry:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** The registry as a list, by id. */
export function subscriberList(registry: Record<string, SubscriberRecord>): Subscriber[] {
  return Object.entries(registry)
    .map(([id, record]) => ({ id, ...record }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
