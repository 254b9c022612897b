import { Counter, createLogger, createMetricsRegistry } from "@takitini/runtime";
import type { Kafka } from "kafkajs";
import { describe, expect, it, vi } from "vitest";
import { ACCESS_EVENT_TYPE } from "./access.js";
import { EASTERN_LEADERS, SECRET } from "./briefing.fixture.js";
import { configSchema, DEFAULT_ACCESS_TOPIC } from "./config.js";
import { feedGroupId } from "./feed.js";
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

  it("keep the transactional id under takitini-briefing, one per digest topic whatever the instance", () => {
    expect(digestTransactionalId("takitini.briefings.v1")).toBe("takitini-briefing-digest.takitini.briefings.v1");
    expect(digestTransactionalId("takitini.briefings.v1").startsWith("takitini-briefing-")).toBe(true);
  });

  it("name the community feed's group under GROUP_ID, this process's own", () => {
    expect(feedGroupId("takitini-briefing", "local-0", 1_700_000_000_000, "a1b2c3")).toBe("takitini-briefing-feed-local-0-1700000000000-a1b2c3");
    expect(feedGroupId("takitini-briefing", "local-0", 1, "a")).not.toBe(feedGroupId("takitini-briefing", "local-0", 1, "b"));
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
      restarts: new Counter({ name: "briefing_consumer_restarts_total", help: "test", labelNames: ["tail", "reason"], registers: [] }),
      now: () => new Date("2026-11-25T00:00:00Z"),
    });
    await publisher.start();
    await vi.waitFor(() => expect(publisher.isReady()).toBe(true));
    await publisher.tick();
    await publisher.stop();

    expect(k.transactionalIds).toEqual(["takitini-briefing-digest.takitini.briefings.v1"]);
    expect(k.groupIds).toHaveLength(1);
    expect(k.groupIds[0]).toMatch(/^takitini-briefing-digest-index-local-0-\d+$/);
    // The fencing transaction (empty, aborted), then one digest in one transaction with its access record; nothing to any other topic.
    expect(k.sent.map((s) => s.topic)).toEqual(["takitini.audit.briefing-access.v1", "takitini.briefings.v1"]);
    expect(k.sent[0]!.headers["event-type"]).toBe(ACCESS_EVENT_TYPE);
    expect(k.commits).toBe(1);
    expect(k.aborts).toBe(1);
  });
});

/** Just enough of kafkajs for the publisher: records the names it is given and what it sends. */
function fakeKafka() {
  const transactionalIds: string[] = [];
  const groupIds: string[] = [];
  const sent: { topic: string; headers: Record<string, string> }[] = [];
  let commits = 0;
  let aborts = 0;
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
          abort: async () => void aborts++,
        }),
      };
    },
    // One partition with a record on it, so the publisher reads the topic's keys.
    admin: () => ({ connect: ok, disconnect: ok, fetchTopicOffsets: async () => [{ partition: 0, low: "0", high: "1", offset: "1" }] }),
    consumer: (opts: { groupId: string }) => {
      groupIds.push(opts.groupId);
      const listeners = new Map<string, (e: { payload: unknown }) => void>();
      const emit = (event: string, payload: unknown) => listeners.get(event)?.({ payload });
      return {
        events: { END_BATCH_PROCESS: "end_batch_process", GROUP_JOIN: "group_join", FETCH: "fetch", CRASH: "crash" },
        on: (event: string, listener: (e: { payload: unknown }) => void) => void listeners.set(event, listener),
        connect: ok,
        disconnect: ok,
        subscribe: ok,
        seek: () => undefined,
        run: async () => {
          emit("group_join", { memberAssignment: { "takitini.briefings.v1": [0] } });
          emit("fetch", {});
          emit("end_batch_process", { topic: "takitini.briefings.v1", partition: 0, offsetLag: "0", lastOffset: "0" });
        },
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
    get aborts() {
      return aborts;
    },
  };
}
