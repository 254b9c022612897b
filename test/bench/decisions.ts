// Realistic decision records for the audit's benchmarks (bench:audit, bench:audit-drain):
// one per (event, subscriber), six subscribers, 1–3 pseudonymous subjects per event.
import { createHash } from "node:crypto";
import { Agency, DecisionRecord, Outcome, PoliceDistrict, View } from "@takitini/proto";

export const SUBSCRIBERS = ["police", "customs", "mbie", "msd", "community-eastern", "public"] as const;
const SOURCES = [
  { agency: Agency.AGENCY_POLICE, types: ["police.organised_crime_noting", "police.operation_update", "police.firearms_seizure", "police.wastewater_indicator"] },
  { agency: Agency.AGENCY_CUSTOMS, types: ["customs.border_seizure", "customs.suspicious_consignment"] },
  { agency: Agency.AGENCY_MBIE, types: ["mbie.exploitation_complaint", "mbie.trafficking_indicator"] },
  { agency: Agency.AGENCY_MSD, types: ["msd.whanau_support_referral", "msd.community_resilience_report"] },
];
const REGIONS = [PoliceDistrict.POLICE_DISTRICT_EASTERN, PoliceDistrict.POLICE_DISTRICT_AUCKLAND_CITY, PoliceDistrict.POLICE_DISTRICT_CANTERBURY, PoliceDistrict.POLICE_DISTRICT_WAIKATO];
const REVISION = createHash("sha256").update("bench policy").digest("hex");
const T0 = Date.parse("2026-01-01T00:00:00Z");
const hex = (seed: string, bytes: number) => createHash("sha256").update(seed).digest("hex").slice(0, bytes * 2);
const uuid = (seed: string) => {
  const h = hex(seed, 16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
export const subjectId = (n: number) => `police/person/P${String(n).padStart(7, "0")}`;
/** Cheap deterministic mixing (splitmix-like) so record i always names the same subjects. */
const mix = (i: number, salt: number) => {
  let x = (Math.imul(i ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(salt, 0xc2b2ae35)) >>> 0;
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d) >>> 0;
  return (x ^ (x >>> 15)) >>> 0;
};

/** Decision `i` of the run: one per (event, subscriber); six per event; subjects drawn from SUBJECTS distinct ones. */
export function decision(run: string, i: number, SUBJECTS: number): DecisionRecord {
  const event = Math.floor(i / SUBSCRIBERS.length);
  const subscriber = SUBSCRIBERS[i % SUBSCRIBERS.length]!;
  const source = SOURCES[mix(event, 1) % SOURCES.length]!;
  const eventId = uuid(`${run}/event/${event}`);
  const allow = subscriber !== "public" && mix(i, 2) % 3 !== 0;
  const subjects = Array.from({ length: 1 + (mix(event, 3) % 3) }, (_, k) => subjectId(mix(event, 10 + k) % SUBJECTS));
  return DecisionRecord.fromPartial({
    id: uuid(`${run}/decision/${eventId}/${subscriber}`),
    eventId,
    subscriberId: subscriber,
    sourceAgency: source.agency,
    eventType: source.types[mix(event, 4) % source.types.length]!,
    region: REGIONS[mix(event, 5) % REGIONS.length]!,
    outcome: allow ? Outcome.OUTCOME_ALLOW : Outcome.OUTCOME_DENY,
    view: allow ? (mix(i, 6) % 2 === 0 ? View.VIEW_FULL : View.VIEW_REDACTED) : View.VIEW_NONE,
    redactedPaths: allow && mix(i, 6) % 2 === 1 ? ["subjects[0].person.full_name", "subjects[0].person.date_of_birth"] : [],
    reasons: [allow ? `sharing.${subscriber}_${source.types[0]!.split(".")[0]}_drug_supply` : "sharing.default_deny"],
    legalBasis: allow ? "Privacy Act 2020, s 22 IPP 11(e)(i): avoiding prejudice to the maintenance of the law" : "",
    policyRevision: REVISION,
    decidedAt: new Date(T0 + i * 250),
    deliveryTopic: allow ? `takitini.deliver.${subscriber}.v1` : "",
    traceId: hex(`${run}/trace/${event}`, 16),
    subjectIds: subjects,
    sourceTopic: `takitini.intel.${source.agency.slice("AGENCY_".length).toLowerCase()}.v1`,
    sourcePartition: event % 6,
    sourceOffset: String(event),
  });
}

