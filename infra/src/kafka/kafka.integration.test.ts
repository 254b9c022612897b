/**
 * A real broker, through provideKafka: KAFKA_BROKERS if set, else testcontainers
 * where a Docker engine answers, else the local launcher (Apache Kafka from Maven
 * Central). No mocks and no skipping: if no broker can be had, beforeAll fails.
 */
import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ConfigResourceTypes, logLevel, ResourcePatternTypes, type Admin } from "kafkajs";
import { applyAcls, loadMeshAcls } from "./acl-admin.js";
import { aclKey } from "./acls.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { infraKafka } from "./client.js";
import { isAlive } from "./process.js";
import { provideKafka, type ProvidedKafka } from "./provide.js";
import { describeTopics, ensureTopics, loadTopicDeclarations, type TopicDeclaration } from "./topics.js";

let kafka: ProvidedKafka | undefined;
let admin: Admin | undefined;
const declared = loadTopicDeclarations();
const testTopic: TopicDeclaration = {
  name: `takitini.infra-test.${randomUUID().slice(0, 8)}`,
  role: "dead-letter",
  partitions: 2,
  replication_factor: 1,
  retention_ms: 60 * 60 * 1000,
  cleanup_policy: "delete",
  description: "scratch topic of the infra integration test",
};

/** Every ALLOW binding on the cluster, as aclKey() strings. */
async function bindings(): Promise<string[]> {
  const described = await admin!.describeAcls({ resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY, operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ALLOW });
  const names: Record<number, string> = { [AclResourceTypes.TOPIC]: "TOPIC", [AclResourceTypes.GROUP]: "GROUP", [AclResourceTypes.TRANSACTIONAL_ID]: "TRANSACTIONAL_ID" };
  const patterns: Record<number, string> = { [ResourcePatternTypes.LITERAL]: "LITERAL", [ResourcePatternTypes.PREFIXED]: "PREFIXED" };
  const ops: Record<number, string> = { [AclOperationTypes.READ]: "READ", [AclOperationTypes.WRITE]: "WRITE" };
  return described.resources.flatMap((r) => r.acls.map((a) => `${a.principal}|${names[r.resourceType]}|${patterns[r.resourcePatternType]}|${r.resourceName}|${ops[a.operation]}`));
}

function cluster(): ProvidedKafka {
  if (!kafka) throw new Error("no broker was provided");
  return kafka;
}

beforeAll(async () => {
  const t0 = Date.now();
  kafka = await provideKafka({ log: (m) => process.stderr.write(`[provideKafka] ${m}\n`) });
  process.stderr.write(`[provideKafka] ${kafka.mode} broker at ${kafka.brokers.join(",")} ready with topics in ${Date.now() - t0} ms\n`);
  admin = infraKafka(kafka.operator, "infra-test-admin").admin();
  await admin.connect();
  await ensureTopics(kafka.operator, [testTopic]);
}, 240_000);

afterAll(async () => {
  if (admin) {
    await admin.deleteTopics({ topics: [testTopic.name] }).catch(() => undefined);
    await admin.disconnect();
  }
  await kafka?.stop();
}, 60_000);

describe("a provided Kafka cluster", () => {
  it("has every declared topic with its partition count", async () => {
    const topics = new Map((await describeTopics(cluster().operator)).map((t) => [t.name, t.partitions]));
    for (const d of declared) expect(topics.get(d.name), d.name).toBe(d.partitions);
    expect(cluster().topics.mismatched).toEqual([]);
  });

  it("gave the topics their declared retention and cleanup policy", async () => {
    const wanted = declared.filter((d) => ["takitini.audit.decisions.v1", "takitini.deadletter.v1", "takitini.intel.police.v1"].includes(d.name));
    const { resources } = await admin!.describeConfigs({
      includeSynonyms: false,
      resources: wanted.map((d) => ({ type: ConfigResourceTypes.TOPIC, name: d.name, configNames: ["retention.ms", "cleanup.policy"] })),
    });
    for (const d of wanted) {
      const entries = new Map(resources.find((r) => r.resourceName === d.name)?.configEntries.map((e) => [e.configName, e.configValue]));
      expect(entries.get("retention.ms"), d.name).toBe(String(d.retention_ms));
      expect(entries.get("cleanup.policy"), d.name).toBe(d.cleanup_policy);
    }
  });

  it("ensures topics idempotently", async () => {
    const again = await ensureTopics(cluster().operator, declared.map((d) => ({ ...d, replication_factor: 1 })));
    expect(again.created).toEqual([]);
    expect(again.existing.sort()).toEqual(declared.map((d) => d.name).sort());
  });

  it("does not create topics on first use", async () => {
    const producer = infraKafka(cluster().operator, "infra-test-autocreate", logLevel.NOTHING).producer({ retry: { retries: 1 } });
    await producer.connect();
    try {
      await expect(producer.send({ topic: `takitini.undeclared.${randomUUID().slice(0, 8)}`, messages: [{ value: "x" }], timeout: 2000 })).rejects.toThrow();
    } finally {
      await producer.disconnect();
    }
  });

  it("carries a message from a producer to a consumer", async () => {
    const k = infraKafka(cluster().operator, "infra-test");
    const producer = k.producer();
    const consumer = k.consumer({ groupId: `infra-test-${randomUUID()}` });
    const id = randomUUID();
    await producer.connect();
    await consumer.connect();
    try {
      await consumer.subscribe({ topic: testTopic.name, fromBeginning: true });
      const received = new Promise<{ key: string; value: string; header: string }>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            if (message.key?.toString() === id) resolve({ key: id, value: message.value?.toString() ?? "", header: message.headers?.["event-type"]?.toString() ?? "" });
          },
        });
      });
      await producer.send({ topic: testTopic.name, acks: -1, messages: [{ key: id, value: "kia ora", headers: { "event-type": "infra.test" } }] });
      expect(await received).toEqual({ key: id, value: "kia ora", header: "infra.test" });
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  }, 60_000);

  it("supports Kafka transactions: read-committed consumers see commits, never aborts", async () => {
    const k = infraKafka(cluster().operator, "infra-test-tx");
    const producer = k.producer({ transactionalId: `infra-test-${randomUUID()}`, idempotent: true, maxInFlightRequests: 1 });
    const consumer = k.consumer({ groupId: `infra-test-tx-${randomUUID()}`, readUncommitted: false });
    const run = randomUUID();
    await producer.connect();
    await consumer.connect();
    try {
      const aborted = await producer.transaction();
      await aborted.send({ topic: testTopic.name, messages: [{ key: run, value: "aborted" }] });
      await aborted.abort();
      const committed = await producer.transaction();
      await committed.send({ topic: testTopic.name, messages: [{ key: run, value: "committed" }] });
      await committed.commit();

      const seen: string[] = [];
      await consumer.subscribe({ topic: testTopic.name, fromBeginning: true });
      await new Promise<void>((resolve) => {
        void consumer.run({
          eachMessage: async ({ message }) => {
            if (message.key?.toString() !== run) return;
            seen.push(message.value?.toString() ?? "");
            if (message.value?.toString() === "committed") resolve();
          },
        });
      });
      expect(seen).toEqual(["committed"]);
    } finally {
      await consumer.disconnect();
      await producer.disconnect();
    }
  }, 60_000);

  it("holds exactly the generated ACLs: a hand-widened grant of a mesh principal is removed, another principal's kept", async () => {
    if (cluster().security !== "mtls") throw new Error("the provided broker is plaintext: ACLs cannot be checked");
    const mesh = loadMeshAcls();
    const widened = { principal: "customs-adapter", resourceType: "TOPIC" as const, patternType: "LITERAL" as const, resourceName: "takitini.intel.police.v1", operation: "READ" as const, why: "by hand" };
    const stranger = { ...widened, principal: "someone-else" };
    // Only adds: the bindings as an operator might have added them by hand.
    await applyAcls(cluster().operator, [...mesh.acls, widened, stranger], []);
    const before = await bindings();
    expect(before).toContain(aclKey(widened));
    const r = await applyAcls(cluster().operator, mesh.acls, mesh.principals);
    expect(r.removed).toEqual([aclKey(widened)]);
    expect(r.created).toBe(0);
    const after = await bindings();
    expect(after).not.toContain(aclKey(widened));
    expect(after).toContain(aclKey(stranger));
    for (const a of mesh.acls) expect(after).toContain(aclKey(a));
  });

  it("stops cleanly, leaving no broker process or data behind", async () => {
    const k = cluster();
    if (admin) {
      await admin.deleteTopics({ topics: [testTopic.name] });
      await admin.disconnect();
      admin = undefined;
    }
    await k.stop();
    if (k.mode === "local") {
      expect(isAlive(k.pid!)).toBe(false);
      expect(existsSync(k.dataDir!)).toBe(false);
    }
    await k.stop(); // idempotent
  }, 60_000);
});
