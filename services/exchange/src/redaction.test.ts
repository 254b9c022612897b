import { DEFAULT_WASM_PATH, loadSharingPolicy, type SharingPolicy } from "@takitini/policies";
import { IntelligenceEvent } from "@takitini/proto";
import { beforeAll, describe, expect, it } from "vitest";
import { dataDir, EVENT_TYPES, fullEvent, PAYLOADS, PERSONAL, shippedRegistry } from "./events.fixture.js";
import { ADVANCE_NOTICE_EVENT_TYPE } from "./notice.js";
import { policyInput } from "./projection.js";
import { applyRedactions, parsePath } from "./redaction.js";

/**
 * Every field path the policy can emit removes something real. The categories come
 * from the compiled policy itself (its vocabulary entrypoint), so a category added
 * to the Rego is checked here without restating it.
 */

/** Every value at a path in an event's proto JSON (`[*]` fans out; missing is undefined). */
function valuesAt(json: unknown, path: string): unknown[] {
  let nodes: unknown[] = [json];
  for (const seg of parsePath(path)) {
    const next: unknown[] = [];
    for (const n of nodes) {
      if ("key" in seg) next.push(n !== null && typeof n === "object" && !Array.isArray(n) ? (n as Record<string, unknown>)[seg.key] : undefined);
      else if (Array.isArray(n)) next.push(...(seg.index === "*" ? n : [n[seg.index]]));
      else next.push(undefined);
    }
    nodes = next;
  }
  return nodes;
}

const holdsSomething = (v: unknown) => v !== undefined && v !== "" && v !== 0 && v !== false && !(Array.isArray(v) && v.length === 0);
const json = (e: IntelligenceEvent) => IntelligenceEvent.toJSON(e);

// A Police support advance notice is never delivered as the event (plan.ts builds a SupportNotice by
// allow-list), and the policy lets only a de-identified agreement for it alone release it; a request for
// information and its response go in full to the one agency they are for, under no agreement: no redaction applies.
const REDACTABLE = EVENT_TYPES.filter((t) => t !== ADVANCE_NOTICE_EVENT_TYPE && !/\.information_(request|response)$/u.test(t));

let policy: SharingPolicy;
let categories: string[];
beforeAll(async () => {
  categories = (await loadSharingPolicy()).redactionCategories();
  // An auditor holding, for every event type, an agreement that redacts every category.
  const agencies = [...new Set(REDACTABLE.map((t) => PAYLOADS[t]!.agency.replace("AGENCY_", "")))];
  const auditor = {
    name: "Redaction auditor",
    tier: "partner_agency",
    agency: "AUDIT",
    law_enforcement: true,
    clearance: "TOP_SECRET",
    regions: ["*"],
    purposes: ["audit"],
    delivery_topic: "takitini.deliver.auditor.v1",
    agreements: agencies.map((agency) => ({
      id: `auditor-${agency.toLowerCase()}`,
      rule: `sharing.auditor_${agency.toLowerCase()}`,
      source_agency: agency,
      event_types: REDACTABLE.filter((t) => PAYLOADS[t]!.agency === `AGENCY_${agency}`),
      view: "redacted",
      redact: categories,
      purpose: "audit",
      legal_basis: "test",
    })),
  };
  policy = await loadSharingPolicy({ wasmPath: DEFAULT_WASM_PATH, dataDir: dataDir({ ...shippedRegistry(), auditor }) });
});

describe.each(REDACTABLE)("every path the policy emits for %s", (eventType) => {
  const event = () => fullEvent(eventType);
  const paths = () => {
    const d = policy.decide(policyInput(event(), "auditor"));
    expect(d).toMatchObject({ allow: true, view: "redacted" });
    return d.redact;
  };

  it("covers every subject, the envelope and this event's own payload", () => {
    const p = paths();
    expect(p).toEqual(expect.arrayContaining(["subjects", "subjects[1].person.full_name", "subjects[2].person.documents", "subjects[*].vehicle.plate", "operation_ref", "source_record_id"]));
    const payloadField = PAYLOADS[eventType]!.payload.$case.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
    for (const path of p.filter((x) => !x.startsWith("subjects") && x !== "operation_ref" && x !== "source_record_id")) {
      expect(path.startsWith(`${payloadField}.`), path).toBe(true);
    }
  });

  it("each path is set in the event and cleared by the applier", () => {
    for (const path of paths()) {
      expect(valuesAt(json(event()), path).some(holdsSomething), `${path} is set in the fixture`).toBe(true);
      const after = applyRedactions(event(), [path]);
      expect(valuesAt(json(after), path).some(holdsSomething), `${path} is cleared`).toBe(false);
    }
  });

  it("all of them together leave no personal information", () => {
    const text = JSON.stringify(json(applyRedactions(event(), paths())));
    for (const pi of PERSONAL) expect(text).not.toContain(pi);
  });
});

describe("a leader's submission", () => {
  it("loses its words and the place it names to the narrative category, and who sent it to operational detail", () => {
    const event = fullEvent("community.observation", { subjects: [] });
    const d = policy.decide(policyInput(event, "auditor"));
    expect(d.redact).toEqual(expect.arrayContaining(["community_submission.text", "community_submission.locality", "community_submission.reference", "community_submission.organisation", "community_submission.subscriber_id"]));
    const after = applyRedactions(event, d.redact);
    expect(after.payload?.$case === "communitySubmission" && after.payload.value).toMatchObject({ text: "", locality: "", reference: "", organisation: "", subscriberId: "", kind: "SUBMISSION_KIND_OBSERVATION", topic: "SUBMISSION_TOPIC_DRUG_SUPPLY" });
  });
});

describe("categories", () => {
  it("come from the policy and include every kind the issue names", () => {
    expect(categories).toEqual(
      expect.arrayContaining(["people", "victims_and_exploited_workers", "children", "vehicles", "addresses", "phone_numbers", "document_numbers", "narrative", "operational_detail", "subjects"]),
    );
  });

  it("each removes something from some event type", async () => {
    // One subscriber per category, each redacting just that one from every event type.
    const registry: Record<string, unknown> = { ...shippedRegistry() };
    for (const category of categories) {
      const id = `only-${category.replaceAll("_", "-")}`;
      registry[id] = {
        name: id,
        tier: "partner_agency",
        agency: "AUDIT",
        law_enforcement: true,
        clearance: "TOP_SECRET",
        regions: ["*"],
        purposes: ["audit"],
        delivery_topic: `takitini.deliver.${id}.v1`,
        agreements: ["POLICE", "CUSTOMS", "MBIE", "MSD", "COMMUNITY"].map((agency) => ({
          id: agency,
          rule: "sharing.audit",
          source_agency: agency,
          event_types: REDACTABLE.filter((t) => PAYLOADS[t]!.agency === `AGENCY_${agency}`),
          view: "redacted",
          redact: [category],
          purpose: "audit",
          legal_basis: "test",
        })),
      };
    }
    const perCategory = await loadSharingPolicy({ dataDir: dataDir(registry) });
    for (const category of categories) {
      const id = `only-${category.replaceAll("_", "-")}`;
      const removed = EVENT_TYPES.flatMap((t) => {
        const event = fullEvent(t);
        const d = perCategory.decide(policyInput(event, id));
        return d.redact.filter((path) => valuesAt(json(event), path).some(holdsSomething));
      });
      expect(removed.length, category).toBeGreaterThan(0);
    }
  });
});
