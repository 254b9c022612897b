#!/usr/bin/env node
/**
 * Print what a topic holds, decoded: `npm run peek -- takitini.deliver.customs.v1`.
 * Reads read-committed from the beginning with a throwaway group, prints one JSON
 * line per record (headers and the decoded protobuf), and stops when idle.
 *
 * Reading any topic is an operator's act: peek connects as the Kafka `operator`
 * principal (KAFKA_TLS_* files, else the local stack's <repo>/.takitini/pki
 * certificate) and says so when it cannot.
 */
import { randomUUID } from "node:crypto";
import { AccessRecord, AggregateView, CommunityAssessment, DecisionRecord, IntelligenceEvent, LinkAlertView, SupportNotice } from "@takitini/proto";
import { assertKafkajsPatched, brokerList, headerValue, HEADERS, kafkaSecurityOptions, silenceKafkajsTimerWarning } from "@takitini/runtime";
import { Kafka, logLevel } from "kafkajs";
import { COMMUNITY_ASSESSMENT_EVENT_TYPE } from "../assessment.js";
import { AGGREGATE_VIEW_EVENT_TYPE, LINK_ALERT_VIEW_EVENT_TYPE, SUPPORT_NOTICE_EVENT_TYPE } from "../plan.js";
import { operatorSecurity } from "./local.js";

const topic = process.argv[2];
if (!topic) {
  console.error("usage: peek <topic> [idle-ms]");
  process.exit(2);
}
silenceKafkajsTimerWarning();
const idleMs = Number(process.argv[3] ?? 3000);
const brokers = brokerList.parse(process.env.KAFKA_BROKERS ?? "127.0.0.1:9092");
const security = operatorSecurity("npm run peek");
assertKafkajsPatched();
const kafka = new Kafka({ clientId: "takitini-peek", brokers, logLevel: logLevel.NOTHING, ...kafkaSecurityOptions(security) });
const consumer = kafka.consumer({ groupId: `takitini-peek-${randomUUID()}`, readUncommitted: false });
try {
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
} catch (err) {
  console.error(`npm run peek: cannot read ${topic} as ${security.mode === "mtls" ? `the "${security.principal}" principal` : "an anonymous plaintext client"}: ${(err as Error).message}${security.mode === "mtls" && security.principal !== "operator" ? " (peek needs the operator principal)" : ""}`);
  process.exit(1);
}
let last = Date.now();
let count = 0;
await consumer.run({
  eachMessage: async ({ partition, message }) => {
    last = Date.now();
    count++;
    const headers = Object.fromEntries(Object.keys(message.headers ?? {}).map((k) => [k, headerValue(message.headers, k)]));
    let value: unknown;
    try {
      const bytes = message.value ?? Buffer.alloc(0);
      const type = headerValue(message.headers, HEADERS.EVENT_TYPE);
      value =
        type === "audit.access"
          ? AccessRecord.toJSON(AccessRecord.decode(bytes))
          : headerValue(message.headers, HEADERS.SCHEMA_VERSION) === "takitini.audit.v1"
            ? DecisionRecord.toJSON(DecisionRecord.decode(bytes))
            : type === AGGREGATE_VIEW_EVENT_TYPE
              ? AggregateView.toJSON(AggregateView.decode(bytes))
              : type === SUPPORT_NOTICE_EVENT_TYPE
                ? SupportNotice.toJSON(SupportNotice.decode(bytes))
                : type === COMMUNITY_ASSESSMENT_EVENT_TYPE
                  ? CommunityAssessment.toJSON(CommunityAssessment.decode(bytes))
                  : type === LINK_ALERT_VIEW_EVENT_TYPE
                    ? LinkAlertView.toJSON(LinkAlertView.decode(bytes))
                    : IntelligenceEvent.toJSON(IntelligenceEvent.decode(bytes));
    } catch (err) {
      value = { undecodable: (err as Error).message, bytes: message.value?.toString("base64") };
    }
    console.log(JSON.stringify({ partition, offset: message.offset, key: message.key?.toString(), headers, value }));
  },
});
while (Date.now() - last < idleMs) await new Promise((r) => setTimeout(r, 200));
await consumer.disconnect();
console.error(`${count} record(s) on ${topic}`);
