import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { CLASSIFICATIONS } from "./contract.js";
import { agreementSchema, DISTRICTS, parseDataFile, type SubscriberRecord } from "./registry.js";

/**
 * The regions, data/regions.json: the twelve Police districts, each with its names,
 * the ROCC programme regions within it, its community leaders' organisations and
 * contact points, and the localities (towns, suburbs, treatment sites) in it. One
 * file: each district's community-leader subscriber (subscribers.json), its delivery
 * topic (infra/kafka/topics.json, and through it the Kafka ACLs and the Strimzi
 * resources) and the briefing's regions are generated or read from it, and tests fail
 * when a generated artefact drifts from it. Pure but for loadRegions().
 */

export const REGIONS_FILE = "regions.json";
export const DEFAULT_REGIONS_PATH = fileURLToPath(new URL(`../data/${REGIONS_FILE}`, import.meta.url));

/** A community agreement as every region's leaders hold it: its id is `community-<slug>-<id_suffix>`. */
const communityAgreementSchema = agreementSchema.omit({ id: true, purpose: true }).extend({
  id_suffix: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "expected a lower-case suffix like police-aggregates"),
});

const place = z
  .string()
  .trim()
  .min(1)
  .refine((s) => s === s.normalize("NFC"), "expected NFC text (a macron as one character)");

export const regionSchema = z.strictObject({
  /** Police district code, e.g. "BAY_OF_PLENTY". */
  code: z.enum(DISTRICTS),
  /** URL slug and subscriber id suffix, e.g. "bay-of-plenty": the code in lower case, "_" as "-". */
  slug: z.string().regex(/^[a-z][a-z-]*$/),
  /** The district's name in English and, where known, te reo Māori (null otherwise). */
  name: z.strictObject({ en: place, mi: place.nullable() }),
  /** ROCC programme regions lying in the district (DOMAIN.md: Porirua in Wellington, West Coast in Tasman, Southland in Southern). */
  rocc_regions: z.array(place),
  /** Organisations whose leaders receive the district's briefings; only ones on record (with the source relied on). */
  leader_organisations: z.array(z.strictObject({ name: place, members: z.array(place), source: place })),
  /** Role addresses (never a person's), e.g. a ROCC regional coordinator's mailbox. */
  contact_points: z.array(z.strictObject({ role: place, email: z.email() })).min(1),
  /** Towns, suburbs and wastewater sites in the district: each in exactly one district. */
  localities: z.array(place).min(1),
});

export const regionsFileSchema = z
  .strictObject({
    $comment: z.string().optional(),
    /** What every region's community leaders hold: the community tier's terms, the same in every district. */
    community: z.strictObject({
      name_suffix: place,
      clearance: z.enum(CLASSIFICATIONS),
      agreements: z.array(communityAgreementSchema).min(1),
    }),
    /** Each community delivery topic's declaration; `{name}` in the description is the district's English name. */
    delivery_topic: z.strictObject({
      partitions: z.number().int().min(1),
      replication_factor: z.union([z.number().int().min(1), z.strictObject({ local: z.number().int().min(1), cluster: z.number().int().min(1) })]),
      retention_ms: z.number().int().min(-1),
      cleanup_policy: z.enum(["delete", "compact", "compact,delete"]),
      description: z.string().includes("{name}"),
    }),
    regions: z.array(regionSchema),
  })
  .superRefine((file, ctx) => {
    const codes = file.regions.map((r) => r.code);
    for (const d of DISTRICTS) if (!codes.includes(d)) ctx.addIssue({ code: "custom", path: ["regions"], message: `district ${d} has no region` });
    const seenCode = new Map<string, number>();
    const seenPlace = new Map<string, number>();
    file.regions.forEach((r, i) => {
      if (seenCode.has(r.code)) ctx.addIssue({ code: "custom", path: ["regions", i, "code"], message: `${r.code} is also regions[${seenCode.get(r.code)}]` });
      seenCode.set(r.code, i);
      if (r.slug !== slugOf(r.code)) ctx.addIssue({ code: "custom", path: ["regions", i, "slug"], message: `expected "${slugOf(r.code)}"` });
      r.localities.forEach((l, j) => {
        const key = placeKey(l);
        const other = seenPlace.get(key);
        if (other !== undefined && other !== i) ctx.addIssue({ code: "custom", path: ["regions", i, "localities", j], message: `${l} is also in ${file.regions[other]!.code}: a locality maps to one district` });
        seenPlace.set(key, i);
      });
    });
    const suffixes = file.community.agreements.map((a) => a.id_suffix);
    if (new Set(suffixes).size !== suffixes.length) ctx.addIssue({ code: "custom", path: ["community", "agreements"], message: "agreement id suffixes must be unique" });
  });

export type RegionsFile = z.infer<typeof regionsFileSchema>;
export type RegionRecord = z.infer<typeof regionSchema>;
export type District = (typeof DISTRICTS)[number];

/** "BAY_OF_PLENTY" → "bay-of-plenty". Pure. */
export function slugOf(code: string): string {
  return code.toLowerCase().replaceAll("_", "-");
}

/** How a locality is compared: NFC, trimmed, case-folded. Pure. */
export function placeKey(name: string): string {
  return name.normalize("NFC").trim().toLocaleLowerCase("en-NZ");
}

/** Parse the file's JSON text; throws naming every problem by its path. Pure. */
export function parseRegions(json: string, source = REGIONS_FILE): RegionsFile {
  return parseDataFile(regionsFileSchema, json, source, "regions file");
}

/** Read and validate data/regions.json (or `path`). */
export function loadRegions(path: string = DEFAULT_REGIONS_PATH): RegionsFile {
  return parseRegions(readFileSync(path, "utf8"), path);
}

/** A region's community-leader subscriber id, e.g. "community-bay-of-plenty". Pure. */
export function communitySubscriberId(region: Pick<RegionRecord, "slug">): string {
  return `community-${region.slug}`;
}

/** A region's community delivery topic, e.g. "takitini.deliver.community-bay-of-plenty.v1". Pure. */
export function communityDeliveryTopic(region: Pick<RegionRecord, "slug">): string {
  return `takitini.deliver.${communitySubscriberId(region)}.v1`;
}

/** "Bay of Plenty", or "Northland (Te Tai Tokerau)" where the te reo Māori name differs. Pure. */
export function displayName(region: Pick<RegionRecord, "name">): string {
  return region.name.mi && region.name.mi !== region.name.en ? `${region.name.en} (${region.name.mi})` : region.name.en;
}

/** Every region's community-leader subscriber record, by id: one per district, the same terms for each. Pure. */
export function communitySubscribers(file: RegionsFile): Record<string, SubscriberRecord> {
  return Object.fromEntries(
    file.regions.map((r) => {
      const orgs = r.leader_organisations.map((o) => o.name);
      const record: SubscriberRecord = {
        name: `${r.name.en} community leaders (${orgs.length > 0 ? orgs.join(", ") : file.community.name_suffix})`,
        tier: "community_leader",
        law_enforcement: false,
        clearance: file.community.clearance,
        regions: [r.code],
        purposes: [],
        delivery_topic: communityDeliveryTopic(r),
        agreements: file.community.agreements.map(({ id_suffix, ...a }) => ({ id: `${communitySubscriberId(r)}-${id_suffix}`, ...a })),
      };
      return [communitySubscriberId(r), record] as const;
    }),
  );
}

/**
 * The registry with its community-leader subscribers replaced by the generated ones
 * (every other subscriber as it is), ids in order. Pure.
 */
export function registryWithCommunities(registry: Record<string, unknown>, file: RegionsFile): Record<string, unknown> {
  const others = Object.entries(registry).filter(([, s]) => (s as { tier?: unknown }).tier !== "community_leader");
  const all = [...others, ...Object.entries(communitySubscribers(file))];
  return Object.fromEntries(all.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Each region's community delivery topic as infra/kafka/topics.json declares it, in the file's order. Pure. */
export function communityTopicDeclarations(file: RegionsFile): Record<string, unknown>[] {
  const t = file.delivery_topic;
  return file.regions.map((r) => ({
    name: communityDeliveryTopic(r),
    role: "delivery",
    partitions: t.partitions,
    replication_factor: t.replication_factor,
    retention_ms: t.retention_ms,
    cleanup_policy: t.cleanup_policy,
    description: t.description.replaceAll("{name}", r.name.en),
  }));
}

/**
 * The district a place lies in, by the locality table: the exact name (NFC,
 * case-insensitive), else a site's name before " (…)" ("Tauranga (Chapel Street)"
 * → Tauranga); undefined for a place the table does not know. Pure.
 */
export function districtOfLocality(file: RegionsFile, name: string): District | undefined {
  const index = new Map(file.regions.flatMap((r) => r.localities.map((l) => [placeKey(l), r.code] as const)));
  return index.get(placeKey(name)) ?? index.get(placeKey(name.replace(/\s*\([^)]*\)\s*$/, "")));
}

/**
 * JSON as the repository's data files are written: two-space indents, arrays of
 * scalars and nested objects of scalars on one line. Pure.
 */
export function formatDataJson(value: unknown): string {
  const scalar = (v: unknown) => v === null || typeof v !== "object";
  const fmt = (v: unknown, indent: string): string => {
    if (scalar(v)) return JSON.stringify(v);
    const next = `${indent}  `;
    if (Array.isArray(v)) {
      if (v.every(scalar)) return `[${v.map((x) => JSON.stringify(x)).join(", ")}]`;
      return `[\n${v.map((x) => next + fmt(x, next)).join(",\n")}\n${indent}]`;
    }
    const entries = Object.entries(v as Record<string, unknown>);
    if (indent !== "" && entries.length > 0 && entries.every(([, x]) => scalar(x))) {
      return `{ ${entries.map(([k, x]) => `${JSON.stringify(k)}: ${JSON.stringify(x)}`).join(", ")} }`;
    }
    return `{\n${entries.map(([k, x]) => `${next}${JSON.stringify(k)}: ${fmt(x, next)}`).join(",\n")}\n${indent}}`;
  };
  return `${fmt(value, "")}\n`;
}

/** A record as the locality check sees it: the district it is filed under (a code) and the places it names. */
export interface PlacedRecord {
  /** Where the record comes from, for the message, e.g. "examples/noting.json". */
  where: string;
  district: string;
  places: readonly string[];
}

/**
 * Every place a record names that the locality table does not know, or puts in
 * another district than the record's: one message each (none when all agree). Pure.
 */
export function localityMismatches(file: RegionsFile, records: readonly PlacedRecord[]): string[] {
  return records.flatMap((r) =>
    r.places.flatMap((place) => {
      const d = districtOfLocality(file, place);
      if (d === undefined) return [`${r.where}: ${place} is not in the locality table (policies/data/regions.json)`];
      return d === r.district ? [] : [`${r.where}: ${place} lies in ${d}, but the record is filed under ${r.district}`];
    }),
  );
}
