import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { DecisionInput } from "./index.js";
import { DEFAULT_DATA_DIR, SUBSCRIBERS_FILE } from "./index.js";

/** Tiny constructors so each test reads as one sentence about who may see what. */

type Event = DecisionInput["event"];

/** A Police organised-crime noting: RESTRICTED, law-enforcement only, Eastern district. */
export function noting(activity: string, fields: Partial<Event> = {}): Event {
  return {
    id: "0b8a4f4e-6f0e-5c1a-9d0e-1f2a3b4c5d6e",
    source_agency: "POLICE",
    event_type: "police.organised_crime_noting",
    classification: "RESTRICTED",
    caveats: ["LAW_ENFORCEMENT_ONLY"],
    releasable_to: [],
    releasable_to_countries: [],
    region: "EASTERN",
    activity,
    operation_ref: "",
    operation_phase: "",
    subject_kinds: ["PERSON", "ORGANISATION"],
    subjects: [
      { kind: "PERSON", role: "PERSON_OF_INTEREST", minor: false },
      { kind: "ORGANISATION", role: "", minor: false },
    ],
    has_personal_information: true,
    ...fields,
  };
}

/** A Police operation update in a phase, as Police mark it by default, naming an arrested person. */
export function operationUpdate(phase: string, fields: Partial<Event> = {}): Event {
  return noting("", {
    event_type: "police.operation_update",
    operation_ref: "Operation Highwater",
    operation_phase: phase,
    subject_kinds: ["PERSON"],
    subjects: [{ kind: "PERSON", role: "PERSON_OF_INTEREST", minor: false }],
    ...fields,
  });
}

export const drugNoting = noting("DRUG_SUPPLY");

/** What `viewer` is asked about `event`. */
export function request(viewer: string, event: Event = drugNoting): DecisionInput {
  return { subscriber_id: viewer, event };
}

/** The shipped registry, parsed afresh. */
export function shippedRegistry(): Record<string, Record<string, unknown>> {
  return JSON.parse(readFileSync(join(DEFAULT_DATA_DIR, SUBSCRIBERS_FILE), "utf8")) as Record<string, Record<string, unknown>>;
}

/** A fresh data directory holding this registry (JSON text or value). */
export function dataDir(registry: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), "takitini-policies-"));
  writeFileSync(join(dir, SUBSCRIBERS_FILE), typeof registry === "string" ? registry : JSON.stringify(registry, null, 2));
  return dir;
}

/** An Inland Revenue partner entry holding one agreement: adding a partner is data. */
export function inlandRevenue(agreement: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "Inland Revenue",
    tier: "partner_agency",
    agency: "IR",
    law_enforcement: true,
    clearance: "RESTRICTED",
    regions: ["*"],
    purposes: ["serious_crime"],
    delivery_topic: "takitini.deliver.inland-revenue.v1",
    agreements: [
      {
        id: "ir-police-money-laundering",
        rule: "sharing.ir_police_money_laundering",
        source_agency: "POLICE",
        event_types: ["police.organised_crime_noting"],
        activities: ["MONEY_LAUNDERING"],
        view: "redacted",
        redact: ["phone_numbers", "people"],
        purpose: "serious_crime",
        legal_basis: "Tax Administration Act 1994, s 18E",
        ...agreement,
      },
    ],
  };
}
