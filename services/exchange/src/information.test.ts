import { loadSharingPolicy, type SharingPolicy } from "@takitini/policies";
import { Agency, Classification, HandlingCaveat, IntelligenceEvent } from "@takitini/proto";
import { beforeAll, describe, expect, it } from "vitest";
import { fullEvent, intelTopic } from "./events.fixture.js";
import { planRecord } from "./plan.js";
import { informationExchangeOf, policyInput } from "./projection.js";

/*
 * Requests for information and their responses: the exchange tells the policy who each
 * is for and on what basis; the shipped policy releases a request in full to the agency
 * addressed only, a response to the agency that asked only, and the decision records
 * carry the rule and the legal basis the event states.
 */

const MARKED = { classification: Classification.CLASSIFICATION_IN_CONFIDENCE, handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_ORIGINATOR_CONTROL], releasableTo: [], releasableToCountries: [] }, operationRef: "" };
const request = (fields: Partial<IntelligenceEvent> = {}) => fullEvent("police.information_request", { ...MARKED, ...fields });
const response = (fields: Partial<IntelligenceEvent> = {}) => fullEvent("customs.information_response", { ...MARKED, ...fields });

describe("the projection of a request or a response", () => {
  it("names its counterpart and the legal basis it states, and nothing for other events", () => {
    expect(informationExchangeOf(request())).toEqual({ information_exchange: { counterpart: "CUSTOMS", legal_basis: "Privacy Act 2020, IPP 11(1)(e)(i) — maintenance of the law" } });
    expect(informationExchangeOf(response())).toEqual({ information_exchange: { counterpart: "POLICE", legal_basis: "Privacy Act 2020, IPP 11(1)(e)(i) — maintenance of the law" } });
    expect(informationExchangeOf(request({ legalBasis: { instrument: "Customs and Excise Act 2018", provision: "s 316", description: "" } })).information_exchange?.legal_basis).toBe("Customs and Excise Act 2018, s 316");
    expect(informationExchangeOf(fullEvent("police.organised_crime_noting"))).toEqual({});
    expect(policyInput(request(), "customs").event.information_exchange?.counterpart).toBe("CUSTOMS");
  });
});

describe("the planner with the shipped policy", () => {
  let policy: SharingPolicy;
  beforeAll(async () => {
    policy = await loadSharingPolicy();
  });
  const plan = (event: IntelligenceEvent) => {
    const p = planRecord(
      { topic: intelTopic(event.sourceAgency), partition: 0, offset: "7", key: Buffer.from(event.id), value: Buffer.from(IntelligenceEvent.encode(event).finish()), headers: {} },
      policy.subscribers(),
      policy.decide,
      { auditTopic: "audit", deadLetterTopic: "dlq", policyRevision: policy.revision, now: new Date("2026-11-20T00:00:00Z"), consumer: "t" },
    );
    if (p.kind !== "disseminate") throw new Error(p.reason);
    return p;
  };

  it.each([
    ["a Police request to Customs", request(), "customs", "sharing.information_request_to_addressee"],
    ["Customs' response to Police", response(), "police", "sharing.information_response_to_requester"],
  ])("%s: the event, in full, to that agency's topic only; a decision for every subscriber, with reasons and basis", (_n, event, to, rule) => {
    const p = plan(event);
    const delivered = p.messages.filter((m) => m.topic !== "audit");
    expect(delivered.map((m) => m.topic)).toEqual([`takitini.deliver.${to}.v1`]);
    const view = IntelligenceEvent.decode(delivered[0]!.value);
    // In full, less the publisher (never in a view): subjects, question or answer, legal basis.
    expect(view).toEqual({ ...event, publisher: "" });
    expect(delivered[0]!.headers.view).toBe("full");
    expect(p.decisions).toHaveLength(policy.subscribers().length);
    const allowed = p.decisions.filter((d) => d.outcome === "OUTCOME_ALLOW");
    expect(allowed.map((d) => [d.subscriberId, d.view, d.reasons, d.legalBasis])).toEqual([[to, "VIEW_FULL", [rule], "Privacy Act 2020, IPP 11(1)(e)(i) — maintenance of the law"]]);
    for (const d of p.decisions.filter((x) => x.subscriberId !== to)) expect(d.reasons).toContain("sharing.not_addressed_to_subscriber");
    // The ledger can answer who saw information about the subjects: the addressee's decision names them.
    expect(allowed[0]!.subjectIds).toEqual(event.subjects.map((s) => s.entity!.value.subjectId));
  });

  it("a request to MSD marked RESTRICTED reaches no one (above MSD's clearance): the requester marks it for the addressee", () => {
    const e = request({ classification: Classification.CLASSIFICATION_RESTRICTED, payload: { $case: "informationRequest", value: { ...(request().payload!.value as object), addressedTo: Agency.AGENCY_MSD } } as IntelligenceEvent["payload"] });
    const p = plan(e);
    expect(p.messages.filter((m) => m.topic !== "audit")).toEqual([]);
    expect(p.decisions.find((d) => d.subscriberId === "msd")!.reasons).toContain("sharing.classification_above_clearance");
  });
});
