import { z } from "zod";
import { AGREEMENT_AGENCIES, CLASSIFICATIONS } from "./contract.js";

/**
 * The subscriber registry, data/subscribers.json: subscriber id → record. The
 * policy reads it as data.takitini.subscribers; this schema is the same contract
 * checked at load, so a malformed registry stops the service instead of quietly
 * denying (or allowing) the wrong things. Adding a partner is an entry here.
 */

export const TIERS = ["partner_agency", "foreign_partner", "community_leader", "public", "oversight"] as const;
export type Tier = (typeof TIERS)[number];

/**
 * An international partner (served over STIX/TAXII by the exchange, never a Kafka
 * principal): it holds a country and stricter agreements (see FOREIGN_VIEWS and the
 * checks in subscriberRecordSchema), and receives only what its agency marks
 * releasable to that country (the policy's "Foreign partners").
 */
export const FOREIGN_PARTNER_TIER = "foreign_partner" satisfies Tier;

/** Views a foreign partner's agreement may grant: record-level only (aggregates are for domestic community briefings). */
export const FOREIGN_VIEWS = ["full", "redacted"] as const;

/** ISO 3166-1 alpha-3, upper case; a foreign partner's country is never New Zealand's. */
const countryCode = z.string().regex(/^[A-Z]{3}$/, "expected an ISO 3166-1 alpha-3 country code, upper case (e.g. AUS)");
const NEW_ZEALAND = "NZL";

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

/** Names the policy's vocabulary uses for purposes and redaction categories. */
const snakeName = z.string().regex(/^[a-z][a-z0-9_]*$/, "expected a snake_case name");

const unique = (xs: readonly string[]) => new Set(xs).size === xs.length;

/**
 * A sharing agreement: what the source agency agreed to release to this subscriber,
 * and on what basis. The shape is checked here; the vocabulary (event types and their
 * agencies, activities, phases, redaction categories, purposes) is the policy's, and
 * loadSharingPolicy() asks the policy itself whether every subscriber can be judged.
 */
export const agreementSchema = z.strictObject({
  /** Agreement identifier, e.g. "customs-police-drug-supply". */
  id: z.string().min(1),
  /** The reason id a decision allowed under it gives, e.g. "sharing.customs_police_drug_supply". */
  rule: z.string().regex(/^sharing\.[a-z0-9_]+$/, "expected a rule id like sharing.customs_police_drug_supply"),
  /** Never LINKAGE: a link alert is released by its records' agreements, not one of its own. */
  source_agency: z.enum(AGREEMENT_AGENCIES),
  /** Event types of the source agency, e.g. "police.organised_crime_noting". */
  event_types: z.array(z.string().regex(/^[a-z]+\.[a-z0-9_]+$/, "expected an event type like police.organised_crime_noting")).min(1),
  /** Omitted (or null): every activity of the event types. */
  activities: z.array(z.string()).nullable().optional(),
  /** Omitted (or null): events in any operation phase, or none. */
  operation_phases: z.array(z.string()).nullable().optional(),
  view: z.enum(["full", "redacted", "aggregate_only"]),
  /** Redaction categories (e.g. "people", "victims_and_exploited_workers"); the policy turns them into field paths. */
  redact: z.array(snakeName),
  /** A notice from which every subject, all free text and all operational detail is removed. */
  de_identified: z.boolean().optional(),
  /** Why the subscriber receives it; required by the policy whenever the view carries personal information. */
  purpose: snakeName.optional(),
  legal_basis: z.string().min(1, "every disclosure records its legal basis"),
});

export const subscriberRecordSchema = z
  .strictObject({
    name: z.string().min(1),
    tier: z.enum(TIERS),
    /** The partner's agency code (partner agencies only), matched by RELEASABLE_TO. */
    agency: z.string().regex(/^[A-Z][A-Z0-9_]*$/).optional(),
    /** A foreign partner's country (foreign partners only, required for them), matched by the event's releasable_to_countries. */
    country: countryCode.optional(),
    law_enforcement: z.boolean(),
    clearance: z.enum(CLASSIFICATIONS),
    regions: z.array(z.union([z.literal("*"), z.enum(DISTRICTS)])).min(1),
    /** What the subscriber may use shared information for; an agreement's purpose is one of these. */
    purposes: z.array(snakeName),
    delivery_topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "expected a Kafka topic name"),
    agreements: z.array(agreementSchema).refine((as) => unique(as.map((a) => a.id)), "agreement ids must be unique"),
  })
  .refine((s) => s.tier !== "partner_agency" || s.agency !== undefined, { message: "a partner agency needs its agency code", path: ["agency"] })
  .refine((s) => s.agreements.every((a) => a.purpose === undefined || s.purposes.includes(a.purpose)), {
    message: "an agreement's purpose must be one of the subscriber's purposes",
    path: ["agreements"],
  })
  .superRefine((s, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    if (s.tier !== FOREIGN_PARTNER_TIER) {
      if (s.country !== undefined) issue(["country"], "only a foreign partner has a country");
      return;
    }
    // Nothing leaves New Zealand without a stated purpose, a legal basis and a record-level view.
    if (s.country === undefined) issue(["country"], "a foreign partner needs its country (ISO 3166-1 alpha-3)");
    else if (s.country === NEW_ZEALAND) issue(["country"], "a foreign partner is outside New Zealand: its country is not NZL");
    if (s.agency !== undefined) issue(["agency"], "a foreign partner has no New Zealand agency code (RELEASABLE_TO names it by its id)");
    s.agreements.forEach((a, i) => {
      if (a.purpose === undefined || a.purpose === "") issue(["agreements", i, "purpose"], "a foreign partner's agreement states its purpose");
      if (a.legal_basis.trim() === "") issue(["agreements", i, "legal_basis"], "a foreign partner's agreement states its legal basis");
      if (!(FOREIGN_VIEWS as readonly string[]).includes(a.view)) issue(["agreements", i, "view"], `a foreign partner's agreement grants ${FOREIGN_VIEWS.join(" or ")} (aggregates are for domestic community briefings)`);
      if (a.de_identified === true) issue(["agreements", i, "de_identified"], "a foreign partner receives no de-identified notices (they are for domestic support)");
    });
  });

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

/** Parse a data file's JSON text against `schema`; throws an Error naming every problem by its path. Pure. */
export function parseDataFile<S extends z.ZodType>(schema: S, json: string, source: string, what: string): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw new Error(`${source}: not JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`${source}: invalid ${what}:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Parse the registry's JSON text; throws an Error naming every problem. Pure. */
export function parseRegistry(json: string, source = "subscribers.json"): Record<string, SubscriberRecord> {
  return parseDataFile(registrySchema, json, source, "subscriber registry");
}

/** The registry as a list, by id. */
export function subscriberList(registry: Record<string, SubscriberRecord>): Subscriber[] {
  return Object.entries(registry)
    .map(([id, record]) => ({ id, ...record }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
