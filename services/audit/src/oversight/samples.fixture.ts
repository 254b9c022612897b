/**
 * One record of every kind the ledger holds, as its leaf (kind, record id,
 * payload bytes), for the index derivation's and the index check's tests. A
 * kind added to KINDS needs a sample here (derive.test.ts checks).
 */
import { AccessAction, AccessRecord, Agency, Classification, ConflictRecord, IntelligenceEvent, OversightQueryRecord, PolicyRevisionRecord, PurgeReason, PurgeRecord, RefusalRecord, RefusalSummary, ReportRecord } from "@takitini/proto";
import { fromReport } from "../reports/record.js";
import { conflictRecord } from "../ledger/conflict.js";
import { decision } from "./decisions.fixture.js";
import { deriveKind } from "./derive.js";
import { fromAccess, fromConflict, fromDecision, fromOversightQuery, fromPolicyRevision, fromPublish, fromPurge, fromRefusal, fromRefusalSummary, publishRecord, type Appendable, type Kind } from "./records.js";

const at = new Date("2026-11-20T02:00:00Z");
const held = fromDecision(decision("7d3c1a52-0000-4000-8000-000000000001", "customs", true), at).ledger;

/** `n` distinguishes records of one kind (ids, subjects). */
export function sampleOf(kind: Kind, n = 0): Appendable {
  const eventId = `7d3c1a52-0000-4000-8000-${String(n).padStart(12, "0")}`;
  switch (kind) {
    case "decision":
      return fromDecision(decision(eventId, "customs", n % 2 === 0, { subjectIds: [`police/person/P${n}`, "police/vehicle/V1", `police/person/P${n}`] }), at);
    case "publish": {
      const event = IntelligenceEvent.fromPartial({
        id: eventId,
        sourceAgency: Agency.AGENCY_POLICE,
        eventType: "police.organised_crime_noting",
        classification: Classification.CLASSIFICATION_RESTRICTED,
        publishedAt: at,
        subjects: [{ entity: { $case: "person", value: { subjectId: `police/person/P${n}`, fullName: "Hēmi Tāwhiri" } } }],
      });
      const bytes = IntelligenceEvent.encode(event).finish();
      return fromPublish(publishRecord(event, bytes, { topic: "takitini.police.v1", partition: 0, offset: String(n) }), at);
    }
    case "access":
      // Every other one a view served abroad over TAXII, with the agreement's legal basis and the STIX ids.
      return fromAccess(
        AccessRecord.fromPartial(
          n % 2 === 1
            ? { id: `access-${n}`, action: AccessAction.ACCESS_ACTION_DELIVERED, subscriberId: "aus-abf", channel: "taxii.objects", sessionId: "s", eventId, decisionId: `d-${n}`, occurredAt: at, legalBasis: "Customs and Excise Act 2018, s 318(2)(a)", stixObjectIds: [`report--00000000-0000-5000-8000-${String(n).padStart(12, "0")}`] }
            : { id: `access-${n}`, action: AccessAction.ACCESS_ACTION_DELIVERED, subscriberId: "customs", channel: "grpc.subscribe", sessionId: "s", eventId, occurredAt: at },
        ),
        at,
      );
    case "oversight_query":
      return fromOversightQuery(
        OversightQueryRecord.fromPartial({ id: `query-${n}`, officer: "Aroha", channel: "http", method: "GET", route: "/v1/subjects/:id/disclosures", parameters: [{ name: "id", value: "police/person/P1" }], status: 200, resultCount: 1, officerRole: "reviewer" }),
        at,
      );
    case "policy_revision":
      return fromPolicyRevision(PolicyRevisionRecord.fromPartial({ revision: `rev-${n}`, firstSeenAt: at, firstDecisionId: "d-1" }), at);
    case "refusal":
      return fromRefusal(RefusalRecord.fromPartial({ id: `r-${n}`, service: "police-adapter", door: "http", code: "MARKING_BELOW_FLOOR", principal: "spiffe://takitini/police", recordType: "police.organised_crime_noting", fieldPaths: ["classification"], status: 403, occurredAt: at }), at);
    case "refusal_summary":
      return fromRefusalSummary(RefusalSummary.fromPartial({ id: `s-${n}`, service: "briefing", door: "http", code: "CREDENTIAL_REQUIRED", route: "/v1/briefings", windowStart: new Date(at.getTime() - 60_000), windowEnd: at, count: 3 + n, distinctAddresses: 2 }), at);
    case "conflict": {
      const again = fromDecision(decision("7d3c1a52-0000-4000-8000-000000000001", "customs", true, { policyRevision: `rev-${n + 2}` }), at).ledger;
      const c = conflictRecord({ recordId: held.recordId, index: 0, kind: held.kind, payload: held.payload }, again);
      return fromConflict(ConflictRecord.decode(c.payload), at, deriveKind);
    }
    case "report":
      return fromReport(
        ReportRecord.fromPartial({ id: `2026-Q3:eastern:${String(n).padStart(32, "0")}`, quarter: "2026-Q3", region: n % 2 === 0 ? "eastern" : "national", generatedAt: at, treeSize: String(10 + n), rootHash: "ab".repeat(32), htmlSha256: "cd".repeat(32), pdfSha256: "", csv: [{ table: "operations", sha256: "ef".repeat(32) }], keyId: "01".repeat(32), signature: "c2ln" }),
        at,
      );
    case "purge":
      return fromPurge(
        PurgeRecord.fromPartial({ id: `purge:erasure:${String(n).padStart(32, "0")}`, reason: PurgeReason.PURGE_REASON_ERASURE, refs: [`s_${"a".repeat(25)}${"bcd"[n % 3]}`], authority: "Privacy Act 2020, IPP 7", requestedBy: "Aroha (privacy officer)", occurredAt: at }),
        at,
      );
  }
}
