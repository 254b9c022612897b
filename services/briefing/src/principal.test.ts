import { createLogger, createMetricsRegistry } from "@takitini/runtime";
import type { Kafka } from "kafkajs";
import { describe, expect, it } from "vitest";
import { ACCESS_EVENT_TYPE } from "./access.js";
import { EASTERN_LEADERS, SECRET } from "./briefing.fixture.js";
import { configSchema, DEFAULT_ACCESS_TOPIC } from "./config.js";
import { DigestPublisher, digestIndexGroupId, digestTransactionalId } from "./publisher.js";
import { AggregateStore } from "./store.js";

/**
 * The briefing's Kafka principal: it writes only its access topic and the digest
 * topic, and every consumer group and transactional id it uses falls under the
 * prefixes its ACLs grant (GROUP_ID, `takitini-briefing`).
 */

const env = { BRIEFING_ROUNDING_SECRET_FILE: "/dev/null" };

describe("the briefing's topics", () => {
  it("write access records to the briefing's own access topic by default, never the decisions topic", () => {
    const c = configSchema.parse(env);
    expect(DEFAULT_ACCESS_TOPIC).toBe("takitini.audit.briefing-access.v1");
    expect(c.ACCESS_TOPIC).toBe("takitini.audit.briefing-access.v1");
    expect(c.DIGEST_TOPIC).toBe("takitini.briefings.v1");
    expect(c.GROUP_ID).toBe("takitini-briefing");
    expect(c).not.toHaveProperty("AUDIT_TOPIC");
    // The old variable is no longer read.
    expect(configSchema.parse({ ...env, AUDIT_TOPIC: "takitini.audit.decisions.v1" }).ACCESS_TOPIC).toBe(DEFAULT_ACCESS_TOPIC);
  });

  it("take ACCESS_TOPIC from the environment, and refuse a name Kafka would not", () => {
    expect(configSchema.parse({ ...env, ACCESS_TOPIC: "takitini.e2e.x.access.v1" }).ACCESS_TOPIC).toBe("takitini.e2e.x.access.v1");
    expect(configSchema.safeParse({ ...env, ACCESS_TOPIC: "no spaces" }).success).toBe(false);
  });
});

describe("the briefing's refusals", () => {
  it("go to the refusals topic, counted per minute by default, and never to its access or digest topic", () => {
    expect(configSchema.parse(env)).toMatchObject({ REFUSAL_TOPIC: "takitini.audit.refusals.v1", REFUSAL_WINDOW_MS: 60_000, REFUSAL_QUEUE_MAX: 10_000, REFUSAL_MAX_KEYS: 256, REFUSAL_MAX_ADDRESSES: 4096 });
    expect(configSchema.safeParse({ ...env, REFUSAL_TOPIC: DEFAULT_ACCESS_TOPIC }).error?.issues.map((i) => i.path.join("."))).toEqual(["REFUSAL_TOPIC"]);
    expect(configSchema.safeParse({ ...env, REFUSAL_TOPIC: "takitini.briefings.v1" }).success).toBe(false);
    expect(configSchema.safeParse({ ...env, REFUSAL_WINDOW_MS: "999" }).error?.issues.map((i) => i.path.join("."))).toEqual(["REFUSAL_WINDOW_MS"]);
  });
});

describe("the briefing's consumer groups and transactional id", () => {
  it("name the digest index reader under GROUP_ID, fresh at each start", () => {
    expect(digestIndexGroupId("takitini-briefing", "local-0", 1_700_000_000_000)).toBe("takitini-briefing-digest-index-local-0-1700000000000");
    const g = digestIndexGroupId("e2e-briefing-ab12", "e2e-ab12", 5);
    expect(g.startsWith("e2e-briefing-ab12")).toBe(true);
    expect(digestIndexGroupId("takitini-briefing", "local-0", 1)).not.toBe(digestIndexGroupId("takitini-briefing", "local-0", 2));
  });

  it("keep the transactional id under takitini-briefing", () => {
    expect(digestTransactionalId("local-0")).toBe("takitini-briefing-digest-local-0");
  });

  it("are what the digest publisher gives Kafka, and it sends access records to the access topic", async () => {
    const k = fakeKafka();
    const publisher = new DigestPublisher(k.kafka, {
      digestTopic: "takitini.briefings.v1",
      accessTopic: "takitini.audit.briefing-access.v1",
      groupId: "takitini-briefing",
      instanceId: "local-0",
      audiences: () => [EASTERN_LEADERS],
      store: () => new AggregateStore(),
      caughtUp: () => true,
      secret: SECRET,
      intervalMs: 3_600_000,
      graceMs: 0,
      lookback: 1,
      logger: createLogger("briefing-test", "silent"),
      metrics: createMetricsRegistry("briefing-test"),
      now: () => new Date("2026-11-25T00:00:00Z"),
    });
    await publisher.start();
    await publisher.tick();
    await publisher.stop();

    expect(k.transactionalIds).toEqual(["takitini-briefing-digest-local-0"]);
    expect(k.groupIds).toHaveLength(1);
    expect(k.groupIds[0]).toMatch(/^takitini-briefing-digest-index-local-0-\d+$/);
    // One digest, in one transaction with its access record; nothing to any other topic.
    expect(k.sent.map((s) => s.topic)).toEqual(["takitini.audit.briefing-access.v1", "takitini.briefings.v1"]);
    expect(k.sent[0]!.headers["event-type"]).toBe(ACCESS_EVENT_TYPE);
    expect(k.commits).toBe(1);
  });
});

/** Just enough of kafkajs for the publisher: records the names it is given and what it sends. */
function fakeKafka() {
  const transactionalIds: string[] = [];
  const groupIds: string[] = [];
  const sent: { topic: string; headers: Record<string, string> }[] = [];
  let commits = 0;
  const ok = async () => undefined;
  const kafka = {
    producer: (opts: { transactionalId?: string }) => {
      if (opts.transactionalId) transactionalIds.push(opts.transactionalId);
      return {
        connect: ok,
        disconnect: ok,
        transaction: async () => ({
          send: async (r: { topic: string; messages: { headers: Record<string, string> }[] }) => void sent.push(...r.messages.map((m) => ({ topic: r.topic, headers: m.headers }))),
          commit: async () => void commits++,
          abort: ok,
        }),
      };
    },
    // One partition with a record on it, so the publisher reads the topic's keys.
    admin: () => ({ connect: ok, disconnect: ok, fetchTopicOffsets: async () => [{ partition: 0, low: "0", high: "1", offset: "1" }] }),
    consumer: (opts: { groupId: string }) => {
      groupIds.push(opts.groupId);
      let onEnd: ((e: { payload: { partition: number; offsetLag: string; lastOffset: string } }) => void) | undefined;
      return {
        events: { END_BATCH_PROCESS: "consumer.end_batch_process" },
        on: (_event: string, listener: typeof onEnd) => void (onEnd = listener),
        connect: ok,
        disconnect: ok,
        subscribe: ok,
        run: async () => onEnd?.({ payload: { partition: 0, offsetLag: "0", lastOffset: "0" } }),
      };
    },
  };
  return {
    kafka: kafka as unknown as Kafka,
    transactionalIds,
    groupIds,
    sent,
    get commits() {
      return commits;
    },
  };
}
