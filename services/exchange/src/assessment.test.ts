import { loadSharingPolicy, type SharingPolicy } from "@takitini/policies";
import { Agency, CommunityAssessment, IntelligenceEvent, PoliceDistrict } from "@takitini/proto";
import { beforeAll, describe, expect, it } from "vitest";
import { communityAssessment, COMMUNITY_ASSESSMENT_EVENT_TYPE } from "./assessment.js";
import { fullEvent, intelTopic, POLICE_MARKINGS } from "./events.fixture.js";
import { randomDeliveryId } from "./notice.js";
import { planRecord } from "./plan.js";

const IDS = { deliveryId: "0f3c2a9e-7b1d-4c8e-9a2f-5d6e7f8a9b0c", agreementId: "community-bay-of-plenty-police-assessments" };
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const APPROVAL = { approverRole: "District Commander", approvalRef: "POLICE-RA-APP-2026-031", approvedAt: new Date("2026-10-06T21:37:12Z") };

/** What the agency wrote for the region's leaders. */
const TEXT = {
  title: "Methamphetamine harm in the eastern Bay of Plenty",
  periodStart: "2026-07-01",
  periodEnd: "2026-09-30",
  body: "Use fell over the quarter. Agencies ask leaders to share where support is.",
  keyPoints: ["Use fell in Ōpōtiki."],
  recommendedActions: ["Share where whānau can find support."],
};

/** A Police assessment for Bay of Plenty as Police mark it (RESTRICTED, law-enforcement only), with ids and legal basis that must not reach leaders. */
const assessment = (approval: typeof APPROVAL | null = APPROVAL, fields: Partial<IntelligenceEvent> = {}) =>
  fullEvent("police.firearms_seizure", {
    ...POLICE_MARKINGS,
    eventType: "police.regional_assessment",
    region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
    subjects: [],
    operationRef: "",
    sourceRecordId: "POLICE-RA-2026-Q3-BOP-01",
    legalBasis: { instrument: "Privacy Act 2020", provision: "IPP 11(e)(i)", description: "internal legal-basis text" },
    payload: {
      $case: "regionalAssessment",
      value: {
        ...TEXT,
        approval: approval ?? undefined,
      },
    },
    ...fields,
  });

describe("the community assessment builder", () => {
  it("takes the named fields and nothing else: no event id, native id, markings, legal basis or approval time", () => {
    const event = assessment();
    const a = communityAssessment(event, IDS)!;
    expect(a).toEqual(
      CommunityAssessment.fromPartial({
        deliveryId: IDS.deliveryId,
        eventType: "police.regional_assessment",
        sourceAgency: Agency.AGENCY_POLICE,
        region: PoliceDistrict.POLICE_DISTRICT_BAY_OF_PLENTY,
        ...TEXT,
        approverRole: "District Commander",
        approvalRef: "POLICE-RA-APP-2026-031",
        agreementId: IDS.agreementId,
      }),
    );
    const bytes = Buffer.from(CommunityAssessment.encode(a).finish());
    for (const s of [event.id, "POLICE-RA-2026-Q3-BOP-01", "internal legal-basis text", "IPP 11(e)(i)", "21:37"]) expect(bytes.includes(Buffer.from(s)), s).toBe(false);
  });

  it("builds nothing for an unapproved assessment or another event type", () => {
    expect(communityAssessment(assessment(null), IDS)).toBeNull();
    expect(communityAssessment(fullEvent("police.operation_update"), IDS)).toBeNull();
  });
});

describe("the planner with the shipped policy", () => {
  let policy: SharingPolicy;
  beforeAll(async () => {
    policy = await loadSharingPolicy();
  });
  const plan = (event: IntelligenceEvent) => {
    const p = planRecord(
      { topic: intelTopic(event.sourceAgency), partition: 0, offset: "1", key: Buffer.from(event.id), value: Buffer.from(IntelligenceEvent.encode(event).finish()), headers: {} },
      policy.subscribers(),
      policy.decide,
      { auditTopic: "audit", deadLetterTopic: "dlq", policyRevision: policy.revision, now: new Date(), consumer: "t" },
    );
    if (p.kind !== "disseminate") throw new Error(p.reason);
    return p;
  };
  const communityTopics = () => new Set(policy.subscribers().filter((s) => s.tier === "community_leader" || s.tier === "public").map((s) => s.delivery_topic));

  it("an approved assessment reaches Bay of Plenty's leaders only, as a CommunityAssessment with a random delivery id", () => {
    const event = assessment();
    const p = plan(event);
    const community = p.messages.filter((m) => communityTopics().has(m.topic));
    expect(community.map((m) => m.topic)).toEqual(["takitini.deliver.community-bay-of-plenty.v1"]);
    const m = community[0]!;
    expect(m.headers["event-type"]).toBe(COMMUNITY_ASSESSMENT_EVENT_TYPE);
    const a = CommunityAssessment.decode(m.value);
    expect(a.deliveryId).toMatch(UUID_V4);
    expect(m.key).toBe(a.deliveryId);
    expect(a.agreementId).toBe("community-bay-of-plenty-police-assessments");
    const decision = p.decisions.find((d) => d.subscriberId === "community-bay-of-plenty")!;
    expect([decision.deliveryId, decision.deliveryTopic]).toEqual([a.deliveryId, m.topic]);
    expect(Buffer.concat([m.value, Buffer.from(m.key), Buffer.from(JSON.stringify(m.headers))]).includes(Buffer.from(event.id))).toBe(false);
    // Two deliveries of the same event: two ids.
    expect(CommunityAssessment.decode(plan(event).messages.find((x) => x.topic === m.topic)!.value).deliveryId).not.toBe(a.deliveryId);
  });

  it("an unapproved assessment reaches no community, and the decision says why", () => {
    const p = plan(assessment(null));
    expect(p.messages.filter((m) => communityTopics().has(m.topic))).toEqual([]);
    expect(p.decisions.find((d) => d.subscriberId === "community-bay-of-plenty")!.reasons).toEqual(["sharing.assessment_not_approved"]);
  });
});

it("delivery ids are random v4 UUIDs", () => expect(randomDeliveryId()).toMatch(UUID_V4));
