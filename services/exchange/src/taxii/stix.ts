/**
 * One delivered view of an event, for a foreign partner, as STIX 2.1 objects
 * (the TAXII 2.1 server serves them). Pure and deterministic: the same delivery
 * always gives the same objects with the same ids, in the same order.
 *
 * Built by allow-list, whatever the policy let through: codes, counts, weights,
 * dates, countries, ports, regions and organisation/group names only. Never a
 * natural person's data, a record id, a case or court reference, an operation
 * name, free text, a locality or a reporting unit; subjects only as counts by
 * role. The mapping, table by table: services/exchange/STIX-MAPPING.md.
 */
import { createHash } from "node:crypto";
import type { IntelligenceEvent, Subject } from "@takitini/proto";

export interface ForeignDelivery {
  /** e.g. { id: "aus-abf", country: "AUS" } */
  partner: { id: string; country: string };
  decisionId: string;
  policyRevision: string;
  view: "full" | "redacted";
  /** The sharing agreement's legal basis: for the server's audit, never put into STIX. */
  legalBasis: string;
  /** The permitted view: the exchange already removed the paths the policy redacts. */
  event: IntelligenceEvent;
  /** When the delivery was committed. */
  dateAdded: Date;
}

export type StixObject = Record<string, unknown> & { type: string; id: string; spec_version: "2.1" };

export const STIX_MEDIA_TYPE = "application/stix+json;version=2.1";

// --- Deterministic ids ---------------------------------------------------------------------

/** RFC 4122 name-based UUID, version 5 (SHA-1). */
export function uuidv5(namespace: string, name: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ""), "hex");
  if (ns.length !== 16) throw new Error(`not a UUID: ${namespace}`);
  const bytes = createHash("sha1").update(ns).update(name, "utf8").digest().subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Takitini's namespace for STIX ids: uuidv5(RFC 4122 URL namespace, "https://takitini.govt.nz/stix/2.1"). */
export const TAKITINI_STIX_NAMESPACE = "a11189e2-1dd2-599f-8e72-c8d32c99d58a";

/** The STIX id of an event's object in a role: unambiguous ([event id, role] as JSON), so two events never share one. */
export function stixId(type: string, eventId: string, role: string): string {
  return `${type}--${uuidv5(TAKITINI_STIX_NAMESPACE, JSON.stringify([eventId, role]))}`;
}

// --- Markings --------------------------------------------------------------------------------

export type TlpLevel = "TLP:CLEAR" | "TLP:GREEN" | "TLP:AMBER" | "TLP:AMBER+STRICT" | "TLP:RED";

const TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";
const tlp = (id: string, name: TlpLevel, level: string): StixObject => ({
  type: "marking-definition",
  spec_version: "2.1",
  id,
  created: "2022-10-01T00:00:00.000Z",
  name,
  extensions: { [TLP_EXTENSION]: { extension_type: "property-extension", tlp_2_0: level } },
});

/**
 * The official TLP 2.0 marking-definitions, copied exactly from OASIS
 * cti-stix-common-objects: objects/marking-definition/marking-definition--<id>.json and
 * extension-definition-specifications/tlp-2.0/examples/tlp-*.json (the ids and names
 * also as the enum of extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d.json),
 * https://github.com/oasis-open/cti-stix-common-objects/tree/main/extension-definition-specifications/tlp-2.0
 */
export const TLP_MARKINGS: Readonly<Record<TlpLevel, StixObject>> = {
  "TLP:CLEAR": tlp("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear"),
  "TLP:GREEN": tlp("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green"),
  "TLP:AMBER": tlp("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber"),
  "TLP:AMBER+STRICT": tlp("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT", "amber+strict"),
  "TLP:RED": tlp("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red"),
};

/**
 * The TLP 2.0 level of an NZ PSR classification. Anything unknown or unspecified
 * fails closed to TLP:RED.
 */
export function tlpFor(classification: string): TlpLevel {
  switch (classification) {
    case "CLASSIFICATION_UNCLASSIFIED":
      return "TLP:GREEN";
    case "CLASSIFICATION_IN_CONFIDENCE":
      return "TLP:AMBER";
    case "CLASSIFICATION_SENSITIVE":
    case "CLASSIFICATION_RESTRICTED":
      return "TLP:AMBER+STRICT";
    default:
      return "TLP:RED";
  }
}

/** "RELEASABLE TO NZL, AUS": NZL first, then the event's other ISO 3166-1 alpha-3 countries sorted (anything else dropped). */
export function releaseStatement(countries: readonly string[]): string {
  const others = [...new Set(countries.map((c) => c.trim().toUpperCase()))].filter((c) => /^[A-Z]{3}$/.test(c) && c !== "NZL").sort();
  return `RELEASABLE TO ${["NZL", ...others].join(", ")}`;
}

/** The release marking: a statement marking-definition whose id depends on its statement only. */
export const RELEASE_MARKING_CREATED = "2026-01-01T00:00:00.000Z";
export function releaseMarking(countries: readonly string[]): StixObject {
  const statement = releaseStatement(countries);
  return {
    type: "marking-definition",
    spec_version: "2.1",
    id: `marking-definition--${uuidv5(TAKITINI_STIX_NAMESPACE, JSON.stringify(["release-marking", statement]))}`,
    created: RELEASE_MARKING_CREATED,
    name: statement,
    definition_type: "statement",
    definition: { statement },
  };
}

// --- Allow-listed values ---------------------------------------------------------------------

/** An enum value as words without its prefix (COMMODITY_METHAMPHETAMINE → "methamphetamine"); "" for unspecified or anything not an enum code. */
function code(value: unknown, prefix: string): string {
  if (typeof value !== "string" || !/^[A-Z][A-Z0-9_]*$/.test(value) || !value.startsWith(prefix)) return "";
  const rest = value.slice(prefix.length);
  return rest === "UNSPECIFIED" ? "" : rest.toLowerCase().replace(/_/g, " ");
}
const codes = (values: readonly unknown[], prefix: string): string[] => [...new Set(values.map((v) => code(v, prefix)).filter((c) => c !== ""))];
/** A finite, non-negative number (or 0). */
const count = (value: unknown): number => {
  const n = Number(value);
  return Number.isFinite(n) && n > 0 ? n : 0;
};
/** An ISO 3166-1 alpha-2 code, upper case, or "". */
const alpha2 = (value: string): string => (/^[A-Za-z]{2}$/.test(value.trim()) ? value.trim().toUpperCase() : "");
/** An ISO 8601 date (YYYY-MM-DD), or "". */
const isoDate = (value: string): string => (/^\d{4}-\d{2}-\d{2}$/.test(value) ? value : "");
/** A group's name as given, trimmed: organisation/group names are allowed; control characters are not. */
const groupName = (value: string): string => value.replace(/\p{Cc}/gu, " ").trim();
const timestamp = (d: Date): string => d.toISOString();

const AGENCIES: Record<string, { name: string; sectors: string[] }> = {
  AGENCY_POLICE: { name: "New Zealand Police", sectors: ["government-national", "emergency-services"] },
  AGENCY_CUSTOMS: { name: "New Zealand Customs Service", sectors: ["government-national"] },
  AGENCY_MBIE: { name: "Ministry of Business, Innovation and Employment", sectors: ["government-national"] },
  AGENCY_MSD: { name: "Ministry of Social Development", sectors: ["government-national", "government-public-services"] },
  AGENCY_COMMUNITY: { name: "Takitini community briefing service", sectors: ["government-national"] },
  AGENCY_LINKAGE: { name: "Takitini linkage service", sectors: ["government-national"] },
};
const TAKITINI = { name: "Takitini intelligence-sharing mesh (New Zealand)", sectors: ["government-national"] };

const PORTS: Record<string, string> = {
  PORT_OF_ENTRY_AUCKLAND_AIRPORT: "Auckland Airport",
  PORT_OF_ENTRY_PORT_OF_AUCKLAND: "Port of Auckland",
  PORT_OF_ENTRY_PORT_OF_TAURANGA: "Port of Tauranga",
  PORT_OF_ENTRY_WELLINGTON_AIRPORT: "Wellington Airport",
  PORT_OF_ENTRY_CENTREPORT_WELLINGTON: "CentrePort Wellington",
  PORT_OF_ENTRY_CHRISTCHURCH_AIRPORT: "Christchurch Airport",
  PORT_OF_ENTRY_LYTTELTON: "Lyttelton Port",
  PORT_OF_ENTRY_NAPIER: "Napier Port",
  PORT_OF_ENTRY_NELSON: "Port Nelson",
  PORT_OF_ENTRY_PORT_CHALMERS: "Port Chalmers",
  PORT_OF_ENTRY_INTERNATIONAL_MAIL_CENTRE: "International Mail Centre, Auckland",
  PORT_OF_ENTRY_NORTHPORT: "Northport",
};

const DISTRICTS: Record<string, string> = {
  POLICE_DISTRICT_NORTHLAND: "Northland",
  POLICE_DISTRICT_WAITEMATA: "Waitematā",
  POLICE_DISTRICT_AUCKLAND_CITY: "Auckland City (Tāmaki Makaurau)",
  POLICE_DISTRICT_COUNTIES_MANUKAU: "Counties Manukau",
  POLICE_DISTRICT_WAIKATO: "Waikato",
  POLICE_DISTRICT_BAY_OF_PLENTY: "Bay of Plenty",
  POLICE_DISTRICT_EASTERN: "Eastern",
  POLICE_DISTRICT_CENTRAL: "Central",
  POLICE_DISTRICT_WELLINGTON: "Wellington",
  POLICE_DISTRICT_TASMAN: "Tasman",
  POLICE_DISTRICT_CANTERBURY: "Canterbury",
  POLICE_DISTRICT_SOUTHERN: "Southern",
};

/** FIU reporting sector → STIX industry-sector-ov (none where the vocabulary has no fit). */
const REPORTING_SECTORS: Record<string, string[]> = {
  REPORTING_SECTOR_BANK: ["financial-services"],
  REPORTING_SECTOR_MONEY_SERVICE: ["financial-services"],
  REPORTING_SECTOR_CASINO: ["hospitality-leisure"],
  REPORTING_SECTOR_REAL_ESTATE: ["commercial"],
  REPORTING_SECTOR_HIGH_VALUE_DEALER: ["retail"],
  REPORTING_SECTOR_VIRTUAL_ASSET_PROVIDER: ["financial-services"],
};

/** MBIE industry → STIX industry-sector-ov. */
const INDUSTRIES: Record<string, string[]> = {
  INDUSTRY_HORTICULTURE: ["agriculture"],
  INDUSTRY_AGRICULTURE: ["agriculture"],
  INDUSTRY_CONSTRUCTION: ["construction"],
  INDUSTRY_HOSPITALITY: ["hospitality-leisure"],
  INDUSTRY_RETAIL: ["retail"],
  INDUSTRY_BEAUTY_SERVICES: ["commercial"],
  INDUSTRY_CLEANING: ["commercial"],
};

/** Admiralty information credibility → STIX confidence (STIX 2.1 Appendix A, "Admiralty Credibility"); 6 (cannot be judged): none. */
const CONFIDENCE: Record<string, number> = {
  INFORMATION_CREDIBILITY_1_CONFIRMED: 90,
  INFORMATION_CREDIBILITY_2_PROBABLY_TRUE: 70,
  INFORMATION_CREDIBILITY_3_POSSIBLY_TRUE: 50,
  INFORMATION_CREDIBILITY_4_DOUBTFUL: 30,
  INFORMATION_CREDIBILITY_5_IMPROBABLE: 10,
};

const ROLES: Record<string, string> = {
  SUBJECT_ROLE_PERSON_OF_INTEREST: "person of interest",
  SUBJECT_ROLE_ASSOCIATE: "associate",
  SUBJECT_ROLE_VICTIM: "victim",
  SUBJECT_ROLE_EXPLOITED_WORKER: "exploited worker",
  SUBJECT_ROLE_WITNESS: "witness",
};

/** The subjects as counts by role (persons), kind (organisations) and vehicles: never anything of who they are. */
export function subjectCounts(subjects: readonly Subject[]): string {
  const counts = new Map<string, number>();
  const add = (k: string) => counts.set(k, (counts.get(k) ?? 0) + 1);
  for (const s of subjects) {
    const e = s.entity;
    if (e?.$case === "person") add(ROLES[e.value.role] ?? "person (role unspecified)");
    else if (e?.$case === "organisation") add(code(e.value.kind, "ORGANISATION_KIND_") ? `organisation (${code(e.value.kind, "ORGANISATION_KIND_")})` : "organisation");
    else if (e?.$case === "vehicle") add("vehicle");
  }
  return [...counts].map(([k, n]) => `${n} ${k}`).join(", ");
}

// --- The mapping ----------------------------------------------------------------------------

/** What a mapped payload contributes, before ids: all of it allow-listed values. */
interface Facts {
  headline: string[];
  details: string[];
  /** NZ port of entry (customs). */
  port?: string;
  /** Origin country, alpha-2 (customs). */
  origin?: string;
  /** A named group: a threat-actor. */
  actor?: { name: string; description: string };
  /** A class of entities the observation concerns (FIU reporting sector, MBIE industry's workers). */
  cohort?: { name: string; description: string; sectors: string[] };
  numberObserved: number;
}

const join = (parts: readonly string[]) => parts.filter((p) => p !== "").join(", ");

function facts(event: IntelligenceEvent): Facts | null {
  const p = event.payload;
  switch (p?.$case) {
    case "customsBorderSeizure": {
      const v = p.value;
      const commodity = code(v.commodity, "COMMODITY_");
      const grams = count(v.weightGrams);
      const units = Math.trunc(count(v.units));
      const port = PORTS[v.portOfEntry];
      const origin = alpha2(v.originCountry);
      const concealment = code(v.concealment, "CONCEALMENT_METHOD_");
      return {
        headline: [commodity, grams ? `${grams} g` : "", units ? `${units} units` : "", port ?? "", origin ? `origin ${origin}` : ""],
        details: [
          `Border seizure${commodity ? ` of ${commodity}` : ""}`,
          grams ? `weight ${grams} g` : "",
          units ? `${units} units` : "",
          concealment ? `concealment: ${concealment}` : "",
          port ? `port of entry: ${port}` : "",
          origin ? `origin country: ${origin}` : "",
        ],
        ...(port ? { port } : {}),
        ...(origin ? { origin } : {}),
        numberObserved: 1,
      };
    }
    case "customsSuspiciousConsignment": {
      const v = p.value;
      const commodity = code(v.suspectedCommodity, "COMMODITY_");
      const indicators = codes(v.indicators, "CONSIGNMENT_RISK_INDICATOR_");
      const score = Math.min(100, Math.trunc(count(v.riskScore)));
      const port = PORTS[v.portOfEntry];
      const origin = alpha2(v.originCountry);
      return {
        headline: [commodity ? `suspected ${commodity}` : "", `risk score ${score}`, port ?? "", origin ? `origin ${origin}` : ""],
        details: [
          `Suspicious consignment${commodity ? `, suspected ${commodity}` : ""}`,
          `risk score ${score}/100`,
          indicators.length ? `risk indicators: ${indicators.join("; ")}` : "",
          v.expectedArrival ? `expected arrival ${timestamp(v.expectedArrival)}` : "",
          port ? `port of entry: ${port}` : "",
          origin ? `origin country: ${origin}` : "",
        ],
        ...(port ? { port } : {}),
        ...(origin ? { origin } : {}),
        numberObserved: 1,
      };
    }
    case "policeNoting": {
      const v = p.value;
      const name = groupName(v.groupName);
      const activity = code(v.activity, "ORGANISED_CRIME_ACTIVITY_");
      const commodities = codes(v.commodities, "COMMODITY_");
      const doing = join([activity ? `activity: ${activity}` : "", commodities.length ? `commodities: ${commodities.join("; ")}` : ""]);
      return {
        headline: [name, activity, commodities.join("; ")],
        details: [`Organised-crime noting${name ? ` about ${name}` : ""}`, activity ? `activity: ${activity}` : "", commodities.length ? `commodities: ${commodities.join("; ")}` : ""],
        ...(name ? { actor: { name, description: `Organised crime group noted by New Zealand Police${doing ? ` (${doing})` : ""}.` } } : {}),
        numberObserved: 1,
      };
    }
    case "policeFirearmsSeizure": {
      const v = p.value;
      const n = Math.trunc(count(v.firearmsCount));
      const types = codes(v.firearmTypes, "FIREARM_TYPE_");
      const rounds = Math.trunc(count(v.ammunitionRounds));
      const name = groupName(v.linkedGroup);
      return {
        headline: [`${n} firearms`, types.join("; "), rounds ? `${rounds} rounds` : "", name ? `linked to ${name}` : ""],
        details: [
          `Firearms seizure: ${n} firearms`,
          types.length ? `types: ${types.join("; ")}` : "",
          rounds ? `${rounds} rounds of ammunition` : "",
          v.underWarrant ? "seized under a search warrant" : "",
          name ? `linked group: ${name}` : "",
        ],
        ...(name ? { actor: { name, description: `Group that firearms seized by New Zealand Police are linked to.` } } : {}),
        numberObserved: 1,
      };
    }
    case "policeFiuSuspiciousActivity": {
      const v = p.value;
      const sector = code(v.reportingSector, "REPORTING_SECTOR_");
      const typologies = codes(v.typologies, "LAUNDERING_TYPOLOGY_");
      const reports = Math.trunc(count(v.reportsSummarised));
      const band = code(v.totalValueBand, "VALUE_BAND_");
      const start = isoDate(v.periodStart);
      const end = isoDate(v.periodEnd);
      return {
        headline: [`${reports} suspicious activity reports`, sector, band ? `${band} NZD` : ""],
        details: [
          `Financial Intelligence Unit summary of ${reports} suspicious activity reports`,
          sector ? `reporting sector: ${sector}` : "",
          typologies.length ? `typologies: ${typologies.join("; ")}` : "",
          band ? `total value band: ${band} NZD` : "",
          start || end ? `period ${start || "?"} to ${end || "?"}` : "",
        ],
        cohort: {
          name: `Reporting entities: ${sector || "unspecified sector"} (New Zealand)`,
          description: "The class of AML/CFT reporting entities whose suspicious activity reports the summary covers.",
          sectors: REPORTING_SECTORS[v.reportingSector] ?? [],
        },
        numberObserved: Math.max(1, reports),
      };
    }
    case "mbieTraffickingIndicator": {
      const v = p.value;
      const indicators = codes(v.indicators, "TRAFFICKING_INDICATOR_");
      const persons = Math.trunc(count(v.personsAffected));
      const industry = code(v.industry, "INDUSTRY_");
      return {
        headline: [`${persons} persons affected`, industry, indicators.join("; ")],
        details: [
          `Trafficking indicators: ${indicators.join("; ") || "none stated"}`,
          `${persons} persons affected`,
          industry ? `industry: ${industry}` : "",
        ],
        cohort: {
          name: `Workers in ${industry || "an unspecified industry"} (New Zealand)`,
          description: "The class of workers the trafficking indicators concern.",
          sectors: INDUSTRIES[v.industry] ?? [],
        },
        numberObserved: 1,
      };
    }
    default:
      return null;
  }
}

/** The event types mapped beyond the report and identity. */
export const MAPPED_EVENT_TYPES = [
  "customs.border_seizure",
  "customs.suspicious_consignment",
  "mbie.trafficking_indicator",
  "police.firearms_seizure",
  "police.fiu_suspicious_activity",
  "police.organised_crime_noting",
] as const;

/**
 * The STIX 2.1 objects of one delivery: the TLP 2.0 and release marking-definitions,
 * the source agency's identity, the report, and for the mapped event types the
 * locations, threat-actor or class identity, relationships and observed-data.
 * Every SDO and SRO is created by the identity and carries both markings.
 */
export function toStix(d: ForeignDelivery): StixObject[] {
  const e = d.event;
  if (!e.id) throw new Error("toStix: the event has no id");
  const at = timestamp(e.publishedAt ?? d.dateAdded);
  const occurred = timestamp(e.occurredAt ?? e.publishedAt ?? d.dateAdded);
  const tlpMarking = TLP_MARKINGS[tlpFor(e.classification)];
  const release = releaseMarking(e.handling?.releasableToCountries ?? []);
  // Ids name the record, not the version: a correction the partner receives (it names the
  // record's first version then) gives new versions of the same objects.
  const id = (type: string, role: string) => stixId(type, e.originalEventId || e.id, role);
  const identity = agencyIdentity(e.sourceAgency);
  const identityId = identity.id;
  const common = { spec_version: "2.1" as const, created_by_ref: identityId, created: at, modified: at, object_marking_refs: [tlpMarking.id, release.id] };

  const f = facts(e);
  const objects: StixObject[] = [];

  const location = (role: string, name: string, country: string, extra: Record<string, unknown> = {}): StixObject => {
    const o: StixObject = { type: "location", id: id("location", role), ...common, name, country, ...extra };
    objects.push(o);
    return o;
  };
  const relationship = (role: string, type: string, source: StixObject, target: StixObject): StixObject => {
    const o: StixObject = { type: "relationship", id: id("relationship", role), ...common, relationship_type: type, source_ref: source.id, target_ref: target.id };
    objects.push(o);
    return o;
  };

  const district = DISTRICTS[e.region];
  let actor: StixObject | undefined;
  const observed: StixObject[] = [];
  if (f) {
    const region = district ? location("region", `${district} Police District, New Zealand`, "NZ", { region: "australia-new-zealand" }) : undefined;
    const port = f.port ? location("port-of-entry", `${f.port}, New Zealand`, "NZ", { region: "australia-new-zealand" }) : undefined;
    // Where in New Zealand: the port of entry, else the district, else the country.
    const place = () => port ?? region ?? location("new-zealand", "New Zealand", "NZ", { region: "australia-new-zealand" });
    if (f.origin) {
      const origin = location("origin-country", `Origin country ${f.origin}`, f.origin);
      observed.push(relationship("origin-to-entry", "related-to", origin, place()));
    }
    if (f.actor) {
      actor = { type: "threat-actor", id: id("threat-actor", "group"), ...common, name: f.actor.name, description: f.actor.description, threat_actor_types: ["crime-syndicate"] };
      objects.push(actor);
      observed.push(relationship("group-located-at", "located-at", actor, place()));
    }
    if (f.cohort) {
      const cohort: StixObject = { type: "identity", id: id("identity", "cohort"), ...common, name: f.cohort.name, description: f.cohort.description, identity_class: "class", ...(f.cohort.sectors.length ? { sectors: f.cohort.sectors } : {}) };
      objects.push(cohort);
      observed.push(relationship("cohort-located-at", "located-at", cohort, place()));
    }
    if (observed.length > 0) {
      objects.push({
        type: "observed-data",
        id: id("observed-data", "observation"),
        ...common,
        first_observed: occurred,
        last_observed: occurred,
        number_observed: Math.min(999_999_999, Math.max(1, Math.trunc(f.numberObserved))),
        object_refs: observed.map((o) => o.id),
      });
    }
  }

  const grading = [code(e.grading?.sourceReliability, "SOURCE_RELIABILITY_").split(" ")[0]?.toUpperCase() ?? "", code(e.grading?.informationCredibility, "INFORMATION_CREDIBILITY_").split(" ")[0] ?? ""].join("");
  const subjects = subjectCounts(e.subjects);
  const eventType = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/.test(e.eventType) ? e.eventType : "intelligence event";
  const description = [
    `${String(identity["name"])}: ${eventType}.`,
    f ? `${join(f.details)}.` : "",
    district ? `Region: ${district} Police District, New Zealand.` : "",
    `Occurred ${occurred}.`,
    grading.length === 2 ? `Admiralty grading ${grading}.` : "",
    subjects ? `Subjects: ${subjects}.` : "",
  ].filter((s) => s !== "");
  const confidence = CONFIDENCE[e.grading?.informationCredibility ?? ""];
  const report: StixObject = {
    type: "report",
    id: id("report", "report"),
    ...common,
    name: `${eventType}${f && join(f.headline) ? `: ${join(f.headline)}` : ""}`,
    description: description.join(" "),
    published: at,
    report_types: actor ? ["threat-report", "threat-actor"] : ["threat-report"],
    ...(confidence === undefined ? {} : { confidence }),
    object_refs: [identityId, ...objects.map((o) => o.id)],
  };
  return [TLP_MARKINGS["TLP:CLEAR"], tlpMarking, release, identity, report, ...objects].filter((o, i, all) => all.findIndex((x) => x.id === o.id) === i);
}

/** The objects every delivery of an agency shares: the marking-definitions and the agency's identity. */
export const isShared = (o: StixObject): boolean => o.type === "marking-definition" || (o.type === "identity" && o.created === AGENCY_IDENTITY_CREATED);

/**
 * A withdrawn record's objects, revoked: a new version of each (the shared ones
 * aside) with `revoked: true`, dated `at` — or a millisecond after the version
 * revoked, so the revocation is always the later version. Pure.
 */
export function revokeStix(objects: readonly StixObject[], at: Date): StixObject[] {
  return objects
    .filter((o) => !isShared(o))
    .map((o) => {
      const before = Date.parse(String(o.modified ?? o.created));
      const modified = new Date(Number.isNaN(before) ? at.getTime() : Math.max(at.getTime(), before + 1)).toISOString();
      return { ...o, modified, revoked: true };
    });
}

/** When the agencies' identities were first published; they never change, so neither does their version. */
export const AGENCY_IDENTITY_CREATED = "2026-01-01T00:00:00.000Z";

/**
 * The source agency's identity: one object per agency, the same in every delivery
 * (a partner's platform holds one "New Zealand Customs Service", not one a report),
 * so it says nothing of any event. Public (TLP:CLEAR), no release marking.
 */
export function agencyIdentity(sourceAgency: string): StixObject {
  const agency = AGENCIES[sourceAgency] ?? TAKITINI;
  return {
    type: "identity",
    spec_version: "2.1",
    id: `identity--${uuidv5(TAKITINI_STIX_NAMESPACE, JSON.stringify(["agency", agency.name]))}`,
    created: AGENCY_IDENTITY_CREATED,
    modified: AGENCY_IDENTITY_CREATED,
    name: agency.name,
    identity_class: "organization",
    sectors: agency.sectors,
    object_marking_refs: [TLP_MARKINGS["TLP:CLEAR"].id],
  };
}

// --- TAXII 2.1 ----------------------------------------------------------------------------

export interface TaxiiEnvelope {
  more: boolean;
  next?: string;
  objects: StixObject[];
}

/** A TAXII 2.1 envelope (the body of "Get Objects"). */
export function stixEnvelope(objects: readonly StixObject[], more: boolean, next?: string): TaxiiEnvelope {
  return { more, ...(next === undefined ? {} : { next }), objects: [...objects] };
}

export interface ManifestEntry {
  id: string;
  date_added: string;
  version: string;
  media_type: typeof STIX_MEDIA_TYPE;
}

/** A TAXII 2.1 manifest-record: version is the object's `modified`, or `created` for objects without one (marking-definitions). */
export function manifestEntry(obj: StixObject, dateAdded: Date): ManifestEntry {
  const version = typeof obj.modified === "string" ? obj.modified : obj.created;
  if (typeof version !== "string") throw new Error(`manifestEntry: ${obj.id} has neither modified nor created`);
  return { id: obj.id, date_added: timestamp(dateAdded), version, media_type: STIX_MEDIA_TYPE };
}
