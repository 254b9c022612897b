/**
 * Leaders' submissions through the exchange on a real Apache Kafka broker (infra's
 * launcher, plaintext; the same one the recovery test uses), with the shipped
 * compiled policy and registry: submissions published on a community intel topic
 * are decided for every subscriber, delivered in full to the agencies that act on
 * them, and each gets one SubmissionReceipt on the receipts topic naming those
 * agencies — read back read_committed, so only from committed transactions. No
 * community topic receives anything: not a record, not a transaction marker.
 *
 * Link alerts on the same broker: an alert published on a linkage intel topic is
 * decided for every subscriber, delivered as a LinkAlertView to the two partners
 * the policy allows (in the transaction of its decisions, which carry both
 * records' legal bases), a malformed one dead-lettered; no other topic receives anything.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { Agency, Classification, DecisionRecord, HandlingCaveat, INTEL_SCHEMA_VERSION, IntelligenceEvent, LinkAlertView, Outcome, SubmissionReceipt, SubmissionTopic, View, type LinkAlert } from "@takitini/proto";
import { createLogger, createMetricsRegistry, HEADERS, headerValue, PROTOBUF_CONTENT_TYPE } from "@takitini/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readUntil, restartableBroker, until, type RestartableBroker } from "../../../test/recovery/broker.ts";
import { fullEvent, LINKED_NOTING, LINKED_SEIZURE, linkAlertEvent } from "./events.fixture.js";
import { LINK_ALERT_VIEW_EVENT_TYPE } from "./link-alert.js";
import { Exchange } from "./exchange.js";
import { ReloadingPolicy } from "./policy/reloading.js";
import { SUBMISSION_RECEIPT_EVENT_TYPE } from "./receipt.js";

const logger = createLogger("exchange-submissions-test", (process.env.TEST_LOG_LEVEL ?? "silent") as "silent");
const LEADERS_BASIS = "Privacy Act 2020, IPP 11(1)(a) and (c) — disclosure for the purpose for which the leader gave it and with their authority: ";

let broker: RestartableBroker;
let policy: ReloadingPolicy;

beforeAll(async () => {
  broker = await restartableBroker("exchange-submissions", logger);
  policy = await ReloadingPolicy.start({ logger, watchFiles: false, pollMs: 0 });
}, 180_000);

afterAll(async () => {
  policy?.close();
  await broker?.close();
}, 120_000);

/** A Bay of Plenty leader's submission as the briefing publishes it: from COMMUNITY, IN-CONFIDENCE, no community release, no subjects. */
function submission(type: string, topic: SubmissionTopic, reference: string): IntelligenceEvent {
  const base = fullEvent(type, {
    id: randomUUID(),
    classification: Classification.CLASSIFICATION_IN_CONFIDENCE,
    handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_NO_COMMUNITY_RELEASE], releasableTo: [], releasableToCountries: [] },
    operationRef: "",
    subjects: [],
    sourceRecordId: "",
  });
  if (base.payload?.$case !== "communitySubmission") throw new Error("fixture");
  return { ...base, payload: { $case: "communitySubmission", value: { ...base.payload.value, topic, reference } } };
}

describe("leaders' submissions on the real broker", () => {
  it("reach Police (and MBIE for exploitation) in full, each with its decisions and one receipt naming them; no community topic receives anything", async () => {
    const id = randomBytes(4).toString("hex");
    const t = { intel: `submissions.${id}.intel.community.v1`, audit: `submissions.${id}.decisions`, dlq: `submissions.${id}.dlq`, receipts: `submissions.${id}.community-receipts.v1`, records: `submissions.${id}.exchange-records.v1` };
    const subscribers = policy.current().subscribers();
    const deliveryTopics = [...new Set(subscribers.map((s) => s.delivery_topic))];
    const admin = broker.kafka("admin").admin();
    await admin.connect();
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: t.intel, numPartitions: 2 },
        { topic: t.audit, numPartitions: 2 },
        { topic: t.dlq, numPartitions: 1 },
        { topic: t.records, numPartitions: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] },
        // As infra declares it: compacted by reference, so each submission's latest receipt is kept.
        { topic: t.receipts, numPartitions: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] },
        ...deliveryTopics.map((topic) => ({ topic, numPartitions: 1 })),
      ].map((x) => ({ ...x, replicationFactor: 1 })),
    });

    const exchange = new Exchange({
      kafka: broker.kafka("exchange-submissions"),
      policy,
      logger,
      metrics: createMetricsRegistry(`exchange-submissions-${id}`),
      intelTopics: [t.intel],
      auditTopic: t.audit,
      recordsTopic: t.records,
      deadLetterTopic: t.dlq,
      receiptsTopic: t.receipts,
      groupId: `takitini-exchange-submissions-${id}`,
      instanceId: "submissions-0",
      maxEventsPerTransaction: 50,
      sessionTimeoutMs: 6000,
      partitionsConcurrently: 2,
      backoff: { baseMs: 300, maxMs: 3000 },
      stopTimeoutMs: 5000,
    });
    try {
      await exchange.start();
      await until(() => exchange.isReady(), 60_000, "the exchange consuming");

      const drugs = submission("community.observation", SubmissionTopic.SUBMISSION_TOPIC_DRUG_SUPPLY, `TK-${id.toUpperCase()}-DRUG`);
      const exploitation = submission("community.observation", SubmissionTopic.SUBMISSION_TOPIC_EXPLOITATION, `TK-${id.toUpperCase()}-EXPL`);
      const sent = [drugs, exploitation];
      const producer = broker.kafka("briefing").producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      await producer.send({
        topic: t.intel,
        acks: -1,
        messages: sent.map((e) => ({
          key: e.id,
          value: Buffer.from(IntelligenceEvent.encode(e).finish()),
          headers: { [HEADERS.EVENT_TYPE]: e.eventType, [HEADERS.SCHEMA_VERSION]: INTEL_SCHEMA_VERSION, [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE },
        })),
      });
      await producer.disconnect();

      // Every subscriber decided once per submission.
      const decisions = await readUntil(
        broker.kafka("reader"),
        t.audit,
        (m) => (headerValue(m.headers, HEADERS.EVENT_TYPE) === "audit.decision" && m.value ? DecisionRecord.decode(m.value) : undefined),
        (all) => all.length >= sent.length * subscribers.length,
        60_000,
      );
      expect(decisions).toHaveLength(sent.length * subscribers.length);
      for (const e of sent) expect(decisions.filter((d) => d.eventId === e.id).map((d) => d.subscriberId).sort(), e.eventType).toEqual(subscribers.map((s) => s.id).sort());

      // Police: both in full, under the observations agreement and the leader's consent.
      for (const e of sent) {
        const police = decisions.find((d) => d.eventId === e.id && d.subscriberId === "police")!;
        expect([police.outcome, police.view, police.reasons, police.deliveryTopic]).toEqual([Outcome.OUTCOME_ALLOW, View.VIEW_FULL, ["sharing.police_community_observations"], "takitini.deliver.police.v1"]);
        expect(police.legalBasis).toBe(`${LEADERS_BASIS}a community observation passed to NZ Police for the prevention and detection of offending`);
      }
      const mbie = (e: IntelligenceEvent) => decisions.find((d) => d.eventId === e.id && d.subscriberId === "mbie")!;
      expect([mbie(exploitation).outcome, mbie(exploitation).reasons]).toEqual([Outcome.OUTCOME_ALLOW, ["sharing.mbie_community_exploitation_observations"]]);
      expect([mbie(drugs).outcome, mbie(drugs).reasons]).toEqual([Outcome.OUTCOME_DENY, ["sharing.default_deny"]]);

      const deliveries = await readUntil(broker.kafka("reader"), "takitini.deliver.police.v1", (m) => (m.value ? IntelligenceEvent.decode(m.value) : undefined), (all) => all.length >= 2, 30_000);
      expect(deliveries.map((e) => e.id).sort()).toEqual(sent.map((e) => e.id).sort());
      for (const e of deliveries) expect(e.payload?.$case === "communitySubmission" && e.payload.value.text).toContain("Hēmi Tāwhiri");
      const toMbie = await readUntil(broker.kafka("reader"), "takitini.deliver.mbie.v1", (m) => (m.value ? IntelligenceEvent.decode(m.value) : undefined), (all) => all.length >= 1, 30_000);
      expect(toMbie.map((e) => e.id)).toEqual([exploitation.id]);

      // One receipt per submission, keyed by its reference, naming whom it was shared with.
      const receipts = await readUntil(
        broker.kafka("reader"),
        t.receipts,
        (m) => (m.value ? { key: m.key?.toString(), eventType: headerValue(m.headers, HEADERS.EVENT_TYPE), receipt: SubmissionReceipt.decode(m.value) } : undefined),
        (all) => all.length >= sent.length,
        30_000,
      );
      const byKey = new Map(receipts.map((r) => [r.key, r]));
      expect(receipts).toHaveLength(2);
      expect(byKey.get(`TK-${id.toUpperCase()}-DRUG`)).toMatchObject({ eventType: SUBMISSION_RECEIPT_EVENT_TYPE, receipt: { subscriberId: "community-bay-of-plenty", sharedWith: [Agency.AGENCY_POLICE] } });
      expect(byKey.get(`TK-${id.toUpperCase()}-EXPL`)).toMatchObject({ eventType: SUBMISSION_RECEIPT_EVENT_TYPE, receipt: { subscriberId: "community-bay-of-plenty", sharedWith: [Agency.AGENCY_MBIE, Agency.AGENCY_POLICE] } });
      // Decided at the decisions' time.
      const eventOf = new Map([[`TK-${id.toUpperCase()}-DRUG`, drugs.id], [`TK-${id.toUpperCase()}-EXPL`, exploitation.id]]);
      for (const r of receipts) expect(r.receipt.decidedAt).toEqual(decisions.find((d) => d.subscriberId === "police" && d.eventId === eventOf.get(r.key!))!.decidedAt);

      // Every community tier denied, with the rule that holds even under an agreement; and its topic untouched.
      const community = subscribers.filter((s) => s.tier === "community_leader" || s.tier === "public");
      expect(community).toHaveLength(13);
      for (const d of decisions.filter((x) => community.some((s) => s.id === x.subscriberId))) {
        expect([d.outcome, d.deliveryTopic], d.subscriberId).toEqual([Outcome.OUTCOME_DENY, ""]);
        expect(d.reasons, d.subscriberId).toContain("sharing.community_submission_not_for_community");
      }
      for (const s of [...community, subscribers.find((x) => x.id === "customs")!]) {
        const offsets = await admin.fetchTopicOffsets(s.delivery_topic);
        expect(offsets.map((o) => o.high), s.id).toEqual(offsets.map(() => "0"));
      }
    } finally {
      await exchange.stop();
      await admin.disconnect();
    }
  }, 240_000);
});

describe("link alerts on the real broker", () => {
  it("reach Police and Customs as LinkAlertViews with both records' legal bases in the decisions; a malformed alert is dead-lettered; no other topic receives anything", async () => {
    const id = randomBytes(4).toString("hex");
    const t = { intel: `alerts.${id}.intel.linkage.v1`, audit: `alerts.${id}.decisions`, dlq: `alerts.${id}.dlq`, receipts: `alerts.${id}.community-receipts.v1`, records: `alerts.${id}.exchange-records.v1` };
    const subscribers = policy.current().subscribers();
    const deliveryTopics = [...new Set(subscribers.map((s) => s.delivery_topic))];
    const admin = broker.kafka("admin").admin();
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    await admin.createTopics({
      waitForLeaders: true,
      topics: [
        { topic: t.intel, numPartitions: 2 },
        { topic: t.audit, numPartitions: 2 },
        { topic: t.dlq, numPartitions: 1 },
        { topic: t.records, numPartitions: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] },
        { topic: t.receipts, numPartitions: 1 },
        ...deliveryTopics.filter((topic) => !existing.has(topic)).map((topic) => ({ topic, numPartitions: 1 })),
      ].map((x) => ({ ...x, replicationFactor: 1 })),
    });
    const highs = async (topic: string) => (await admin.fetchTopicOffsets(topic)).map((o) => o.high).join(",");
    const before = new Map(await Promise.all(deliveryTopics.map(async (topic) => [topic, await highs(topic)] as const)));

    const exchange = new Exchange({
      kafka: broker.kafka("exchange-alerts"),
      policy,
      logger,
      metrics: createMetricsRegistry(`exchange-alerts-${id}`),
      intelTopics: [t.intel],
      auditTopic: t.audit,
      recordsTopic: t.records,
      deadLetterTopic: t.dlq,
      receiptsTopic: t.receipts,
      groupId: `takitini-exchange-alerts-${id}`,
      instanceId: "alerts-0",
      maxEventsPerTransaction: 50,
      sessionTimeoutMs: 6000,
      partitionsConcurrently: 2,
      backoff: { baseMs: 300, maxMs: 3000 },
      stopTimeoutMs: 5000,
    });
    try {
      await exchange.start();
      await until(() => exchange.isReady(), 60_000, "the exchange consuming");

      const alert = linkAlertEvent({ id: randomUUID() });
      const records = (alert.payload?.value as LinkAlert).records;
      const malformed = linkAlertEvent({ id: randomUUID() }, { records: [records[0]!] });
      const producer = broker.kafka("linkage").producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
      await producer.connect();
      await producer.send({
        topic: t.intel,
        acks: -1,
        messages: [alert, malformed].map((e) => ({
          key: e.id,
          value: Buffer.from(IntelligenceEvent.encode(e).finish()),
          headers: { [HEADERS.EVENT_TYPE]: e.eventType, [HEADERS.SCHEMA_VERSION]: INTEL_SCHEMA_VERSION, [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE },
        })),
      });
      await producer.disconnect();

      // Every subscriber decided once; the malformed alert never.
      const decisions = await readUntil(
        broker.kafka("reader"),
        t.audit,
        (m) => (m.value ? DecisionRecord.decode(m.value) : undefined),
        (all) => all.length >= subscribers.length,
        60_000,
      );
      expect(decisions.map((d) => d.eventId)).toEqual(subscribers.map(() => alert.id));
      expect(decisions.map((d) => d.subscriberId).sort()).toEqual(subscribers.map((s) => s.id).sort());
      const of = (sid: string) => decisions.find((d) => d.subscriberId === sid)!;
      expect([of("police").outcome, of("police").view, of("police").reasons, of("police").deliveryTopic]).toEqual([
        Outcome.OUTCOME_ALLOW,
        View.VIEW_FULL,
        ["sharing.link_alert_records_visible", "sharing.link_alert_own_record", "sharing.police_customs_border_seizures"],
        "takitini.deliver.police.v1",
      ]);
      expect(of("customs").reasons).toEqual(["sharing.link_alert_records_visible", "sharing.customs_police_drug_supply", "sharing.link_alert_own_record"]);
      // The ledger's basis: each record's, named for its record.
      expect(of("customs").legalBasis).toMatch(/^\[POLICE police\.organised_crime_noting\] Privacy Act 2020, IPP 11\(1\)\(e\)\(i\).*; \[CUSTOMS customs\.border_seizure\] the subscriber's own agency's record/);
      expect(of("police").legalBasis).toMatch(/; \[CUSTOMS customs\.border_seizure\] Customs and Excise Act 2018, s 316/);
      for (const d of decisions) expect(d.subjectIds, d.subscriberId).toEqual(["police/person/P1", "customs/person/C7"]);
      for (const d of decisions.filter((x) => !["police", "customs"].includes(x.subscriberId))) {
        expect([d.outcome, d.deliveryTopic, d.legalBasis], d.subscriberId).toEqual([Outcome.OUTCOME_DENY, "", ""]);
      }

      // Each allowed partner: one LinkAlertView, carrying the delivery id its decision record names.
      for (const sid of ["police", "customs"]) {
        const views = await readUntil(
          broker.kafka("reader"),
          `takitini.deliver.${sid}.v1`,
          (m) => (headerValue(m.headers, HEADERS.EVENT_TYPE) === LINK_ALERT_VIEW_EVENT_TYPE && m.value ? { key: m.key?.toString(), view: LinkAlertView.decode(m.value) } : undefined),
          (all) => all.length >= 1,
          30_000,
        );
        expect(views, sid).toHaveLength(1);
        expect(views[0]!.key).toBe(of(sid).id);
        expect(views[0]!.view.deliveryId).toBe(of(sid).deliveryId);
        expect(views[0]!.view.records.map((r) => [r.eventId, r.subjectId])).toEqual([
          [LINKED_NOTING.id, "police/person/P1"],
          [LINKED_SEIZURE.id, "customs/person/C7"],
        ]);
        expect(views[0]!.view.agreementIds).toEqual(sid === "police" ? ["", "police-customs-border-seizures"] : ["customs-police-drug-supply", ""]);
      }

      const dead = await readUntil(broker.kafka("reader"), t.dlq, (m) => headerValue(m.headers, HEADERS.DLQ_REASON), (all) => all.length >= 1, 30_000);
      expect(dead).toEqual(["INVALID_EVENT: missing or invalid link_alert.records"]);

      // Nothing on any other delivery topic (community tiers, MBIE, MSD, the public); nothing on the receipts topic.
      for (const topic of deliveryTopics.filter((x) => !["takitini.deliver.police.v1", "takitini.deliver.customs.v1"].includes(x))) {
        expect(await highs(topic), topic).toBe(before.get(topic));
      }
      expect(await highs(t.receipts)).toBe("0");
    } finally {
      await exchange.stop();
      await admin.disconnect();
    }
  }, 240_000);
});
