/**
 * Kafka as a trust boundary, on the suite's real broker: every client is a
 * principal from the project's PKI (mutual TLS), and the broker authorises each
 * request against the ACLs derived from infra/kafka/topics.json and the policy's
 * subscriber registry. Each refusal is its own test and expects Kafka's own
 * authorisation error, so a widened ACL turns it red; the positive controls
 * show the same principals do get what they need.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { loadAclSubscribers, loadTopicDeclarations, pkiFiles } from "@takitini/infra";
import { ingest, seededRandom } from "@takitini/adapter-kit";
import { Agency, IntelligenceEvent, INTEL_SCHEMA_VERSION } from "@takitini/proto";
import { HEADERS, PROTOBUF_CONTENT_TYPE, silenceKafkajsTimerWarning } from "@takitini/runtime";
import { Kafka, logLevel, type Consumer, type KafkaConfig, type LogEntry } from "kafkajs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { customsAdapter } from "../../services/customs-adapter/dist/adapter.js";
import { client, header, kit, readTopic } from "./kafka.js";
import { suiteEventIdKey } from "./publishers.js";
import { startService, type RunningService } from "./stack.js";

const brokers = inject("brokers");
const pkiDir = inject("kafkaPkiDir");
const declared = loadTopicDeclarations(undefined, {});
const topicsOf = (role: string) => declared.filter((t) => t.role === role).map((t) => t.name);
const subscribers = loadAclSubscribers();
const partners = subscribers.filter((s) => s.tier === "partner_agency");
const INTEL = topicsOf("intel");
const PARTNER_TOPICS = partners.map((s) => s.delivery_topic);
const DELIVERY = topicsOf("delivery");
const DECISIONS = topicsOf("decisions");
const REFUSALS = topicsOf("refusals");

/** What the broker answered: "ok", Kafka's error type (e.g. TOPIC_AUTHORIZATION_FAILED), or a connection failure. */
type Outcome = string;

function errorType(err: unknown): Outcome {
  let e: unknown = err;
  for (let i = 0; i < 5 && e && typeof e === "object"; i++) {
    const type = (e as { type?: unknown }).type;
    if (typeof type === "string" && type !== "UNKNOWN") return type;
    e = (e as { originalError?: unknown; cause?: unknown }).originalError ?? (e as { cause?: unknown }).cause;
  }
  return `error: ${(err as Error).message}`;
}

/** Write one record to `topic` as `principal` (with an idempotent producer if asked, as the services write). */
async function tryWrite(principal: string, topic: string, opts: { idempotent?: boolean } = {}): Promise<Outcome> {
  const producer = client(brokers, principal, { logLevel: logLevel.NOTHING }).producer({ allowAutoTopicCreation: false, retry: { retries: 1 }, ...(opts.idempotent ? { idempotent: true, maxInFlightRequests: 1 } : {}) });
  try {
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ key: `acl-probe-${randomUUID()}`, value: Buffer.from("probe") }] });
    return "ok";
  } catch (err) {
    return errorType(err);
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}

/** Join `group` and read `topic` as `principal`: "ok" once the group is joined and a fetch went through. */
async function tryRead(principal: string, topic: string, group: string): Promise<Outcome> {
  // kafkajs reports a group refusal as "Failed to find group coordinator"; the broker's
  // own answer (GROUP_AUTHORIZATION_FAILED) is only in its log of the attempt.
  const refusals: string[] = [];
  const logCreator = () => (entry: LogEntry) => {
    const type = ((entry.log as { error?: unknown }).error as { type?: unknown } | undefined)?.type;
    if (typeof type === "string" && type.endsWith("_AUTHORIZATION_FAILED")) refusals.push(type);
  };
  const consumer: Consumer = client(brokers, principal, { logLevel: logLevel.DEBUG, logCreator }).consumer({
    groupId: group,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 200,
    retry: { retries: 0, restartOnFailure: async () => false },
  });
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    const outcome = new Promise<Outcome>((resolve) => {
      consumer.on(consumer.events.CRASH, ({ payload }) => resolve(errorType(payload.error)));
      // A fetch answered (even an empty one) after joining: the broker let us read.
      consumer.on(consumer.events.FETCH, () => resolve("ok"));
    });
    await consumer.run({ eachMessage: async () => undefined });
    const result = await Promise.race([outcome, new Promise<Outcome>((r) => setTimeout(() => r("timeout"), 30_000))]);
    return result === "ok" ? result : (refusals[0] ?? result);
  } catch (err) {
    return refusals[0] ?? errorType(err);
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}

/** Connect with the given TLS material (or none) and ask for metadata. */
async function tryConnect(ssl: KafkaConfig["ssl"]): Promise<Outcome> {
  silenceKafkajsTimerWarning();
  const admin = new Kafka({ clientId: "acl-probe", brokers, logLevel: logLevel.NOTHING, connectionTimeout: 3000, retry: { retries: 0 }, ...(ssl === undefined ? {} : { ssl }) }).admin();
  try {
    await admin.connect();
    await admin.listTopics();
    return "ok";
  } catch (err) {
    return `refused: ${(err as Error).message}`;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

const files = pkiFiles(pkiDir);
const pem = (path: string) => readFileSync(path, "utf8");
const tlsOf = (principal: string) => ({ ca: [pem(files.ca)], cert: pem(files.principal(principal).cert), key: pem(files.principal(principal).key) });

describe("the broker requires a principal's certificate", () => {
  it("the suite's broker is the secured one", () => {
    expect(pkiDir, "the e2e suite must run on the mutual-TLS broker, not a plaintext side door").not.toBe("");
    expect(kit().security).toBe("mtls");
  });

  it("refuses a plaintext client", async () => {
    expect(await tryConnect(undefined)).toMatch(/^refused/);
  });

  it("refuses a TLS client without a certificate", async () => {
    expect(await tryConnect({ ca: [pem(files.ca)] })).toMatch(/^refused/);
  });

  it("refuses a certificate from another CA, even with a mesh principal's name", async () => {
    const rogue = files.rogue("operator");
    expect(await tryConnect({ ca: [pem(files.ca)], cert: pem(rogue.cert), key: pem(rogue.key) })).toMatch(/^refused/);
  });

  it("refuses a certificate of the same CA that is no Kafka identity (a partner's gRPC certificate)", async () => {
    const dir = files.dir;
    expect(await tryConnect({ ca: [pem(files.ca)], cert: pem(`${dir}/subscriber/customs.crt`), key: pem(`${dir}/subscriber/customs.key`) })).toMatch(/^refused/);
  });

  it("accepts a mesh principal's certificate (control)", async () => {
    expect(await tryConnect(tlsOf("partner-customs"))).toBe("ok");
  });
});

describe("adapters publish only as their own agency", () => {
  it("Customs' adapter cannot read takitini.intel.police.v1", async () => {
    expect(await tryRead("customs-adapter", "takitini.intel.police.v1", `takitini-customs-adapter-probe-${randomUUID()}`)).toBe("TOPIC_AUTHORIZATION_FAILED");
  });

  it("Customs' adapter cannot write takitini.intel.police.v1", async () => {
    expect(await tryWrite("customs-adapter", "takitini.intel.police.v1")).toBe("TOPIC_AUTHORIZATION_FAILED");
  });

  it("an adapter cannot read even its own agency's topic: its index is its claims topic, which it reads", async () => {
    expect(await tryRead("police-adapter", "takitini.intel.police.v1", `takitini-police-adapter-probe-${randomUUID()}`)).toBe("TOPIC_AUTHORIZATION_FAILED");
    expect(await tryRead("police-adapter", "takitini.claims.police.v1", `takitini-police-adapter-probe-${randomUUID()}`)).toBe("ok");
    expect(await tryRead("customs-adapter", "takitini.claims.police.v1", `takitini-customs-adapter-probe-${randomUUID()}`)).toBe("TOPIC_AUTHORIZATION_FAILED");
  });

  it("Customs' adapter writes its own topic (control)", async () => {
    expect(await tryWrite("customs-adapter", "takitini.intel.customs.v1")).toBe("ok");
  });
});

describe("partners read only their own views, in their own groups", () => {
  for (const reader of partners) {
    for (const other of partners.filter((p) => p.id !== reader.id)) {
      it(`${reader.id} cannot read ${other.id}'s delivery topic`, async () => {
        expect(await tryRead(`partner-${reader.id}`, other.delivery_topic, `partner-${reader.id}.probe-${randomUUID()}`)).toBe("TOPIC_AUTHORIZATION_FAILED");
      });
    }
  }

  it("customs cannot join mbie's consumer group, even to read its own topic", async () => {
    expect(await tryRead("partner-customs", "takitini.deliver.customs.v1", `partner-mbie.probe-${randomUUID()}`)).toBe("GROUP_AUTHORIZATION_FAILED");
  });

  it("customs reads its own delivery topic in its own group (control)", async () => {
    expect(await tryRead("partner-customs", "takitini.deliver.customs.v1", `partner-customs.probe-${randomUUID()}`)).toBe("ok");
  });

  it("a partner cannot read raw agency events", async () => {
    expect(await tryRead("partner-customs", "takitini.intel.police.v1", `partner-customs.probe-${randomUUID()}`)).toBe("TOPIC_AUTHORIZATION_FAILED");
  });
});

describe("the briefing reads community topics only", () => {
  for (const topic of [...INTEL, ...PARTNER_TOPICS]) {
    it(`the briefing cannot read ${topic}`, async () => {
      expect(await tryRead("briefing", topic, `takitini-briefing-probe-${randomUUID()}`)).toBe("TOPIC_AUTHORIZATION_FAILED");
    });
  }

  it("the briefing reads the public tier's topic (control)", async () => {
    expect(await tryRead("briefing", "takitini.deliver.public.v1", `takitini-briefing-probe-${randomUUID()}`)).toBe("ok");
  });
});

describe("no principal but the exchange writes a delivery or decision topic", () => {
  const others = ["police-adapter", "customs-adapter", "mbie-adapter", "msd-adapter", "audit", "briefing", "linkage", ...partners.map((p) => `partner-${p.id}`)];
  for (const principal of others) {
    for (const topic of [...DECISIONS, "takitini.deliver.customs.v1", "takitini.deliver.community-eastern.v1"]) {
      it(`${principal} cannot write ${topic}`, async () => {
        expect(await tryWrite(principal, topic)).toBe("TOPIC_AUTHORIZATION_FAILED");
      });
    }
  }

  it("the exchange writes every delivery and decision topic (control)", async () => {
    for (const topic of [...DELIVERY, ...DECISIONS]) expect(await tryWrite("exchange", topic), topic).toBe("ok");
  });
});

describe("fusion: link alerts written by the linkage service only, read by the exchange and the audit; its index by itself alone", () => {
  const [LINKS] = topicsOf("links");
  const [INDEX] = topicsOf("linkage-index");
  it("declares one topic of each", () => {
    expect([LINKS, INDEX]).toEqual(["takitini.intel.linkage.v1", "takitini.linkage-index.v1"]);
  });

  const groupOf = (principal: string) => (principal.startsWith("partner-") ? `${principal}.probe-${randomUUID()}` : `takitini-${principal}-probe-${randomUUID()}`);
  for (const principal of ["briefing", "oversight", "police-adapter", "customs-adapter", "mbie-adapter", "msd-adapter", ...partners.map((p) => `partner-${p.id}`)]) {
    for (const topic of [LINKS!, INDEX!]) {
      it(`${principal} cannot read ${topic}`, async () => {
        expect(await tryRead(principal, topic, groupOf(principal))).toBe("TOPIC_AUTHORIZATION_FAILED");
      });
    }
  }
  for (const principal of ["exchange", "audit"]) {
    it(`${principal} cannot read the linkage service's index (match tokens)`, async () => {
      expect(await tryRead(principal, INDEX!, groupOf(principal))).toBe("TOPIC_AUTHORIZATION_FAILED");
    });
  }
  for (const principal of ["police-adapter", "customs-adapter", "mbie-adapter", "msd-adapter", "exchange", "audit", "briefing"]) {
    for (const topic of [LINKS!, INDEX!]) {
      it(`${principal} cannot write ${topic} (no forged alert, no poisoned index)`, async () => {
        expect(await tryWrite(principal, topic)).toBe("TOPIC_AUTHORIZATION_FAILED");
      });
    }
  }

  it("the linkage service writes both, reads the agencies' topics and its index; the exchange and the audit read the alerts (control)", async () => {
    for (const topic of [LINKS!, INDEX!]) expect(await tryWrite("linkage", topic, { idempotent: true }), topic).toBe("ok");
    for (const topic of [...INTEL.filter((t) => !t.endsWith(".community.v1")), INDEX!]) expect(await tryRead("linkage", topic, `takitini-linkage.probe-${randomUUID()}`), topic).toBe("ok");
    expect(await tryRead("exchange", LINKS!, `takitini-exchange-probe-${randomUUID()}`)).toBe("ok");
    expect(await tryRead("audit", LINKS!, `takitini-audit-probe-${randomUUID()}`)).toBe("ok");
  });

  it("the linkage service cannot read leaders' submissions nor write an agency's topic", async () => {
    expect(await tryRead("linkage", "takitini.intel.community.v1", `takitini-linkage.probe-${randomUUID()}`)).toBe("TOPIC_AUTHORIZATION_FAILED");
    expect(await tryWrite("linkage", "takitini.intel.police.v1")).toBe("TOPIC_AUTHORIZATION_FAILED");
  });
});

describe("the exchange's records of who received what: its own, read and written by nobody else", () => {
  const [RECORDS] = topicsOf("exchange-records");
  it("declares the topic", () => {
    expect(RECORDS).toBe("takitini.exchange-records.v1");
  });
  const groupOf = (principal: string) => (principal.startsWith("partner-") ? `${principal}.probe-${randomUUID()}` : `takitini-${principal}-probe-${randomUUID()}`);
  for (const principal of ["audit", "briefing", "linkage", "oversight", "police-adapter", "customs-adapter", "mbie-adapter", "msd-adapter", ...partners.map((p) => `partner-${p.id}`)]) {
    it(`${principal} cannot read it`, async () => {
      expect(await tryRead(principal, RECORDS!, groupOf(principal))).toBe("TOPIC_AUTHORIZATION_FAILED");
    });
    it(`${principal} cannot write it (no forged recipient, no erased one)`, async () => {
      expect(await tryWrite(principal, RECORDS!)).toBe("TOPIC_AUTHORIZATION_FAILED");
    });
  }
  it("the exchange reads and writes it (control)", async () => {
    expect(await tryRead("exchange", RECORDS!, `takitini-exchange-records-probe-${randomUUID()}`)).toBe("ok");
    expect(await tryWrite("exchange", RECORDS!)).toBe("ok");
  });
});

describe("refusals: written by the adapters and the briefing, read by the audit only", () => {
  it("declares the refusals topic", () => {
    expect(REFUSALS).toEqual(["takitini.audit.refusals.v1"]);
  });

  for (const principal of ["exchange", ...partners.map((p) => `partner-${p.id}`)]) {
    it(`${principal} cannot write takitini.audit.refusals.v1`, async () => {
      expect(await tryWrite(principal, REFUSALS[0]!)).toBe("TOPIC_AUTHORIZATION_FAILED");
    });
  }

  it("a partner cannot read takitini.audit.refusals.v1", async () => {
    expect(await tryRead("partner-customs", REFUSALS[0]!, `partner-customs.probe-${randomUUID()}`)).toBe("TOPIC_AUTHORIZATION_FAILED");
  });

  it("an adapter cannot read it back (another agency's refusals are not its business)", async () => {
    expect(await tryRead("police-adapter", REFUSALS[0]!, `takitini-police-adapter-probe-${randomUUID()}`)).toBe("TOPIC_AUTHORIZATION_FAILED");
  });

  it("every adapter writes it with an idempotent producer, and the briefing writes it (control)", async () => {
    for (const principal of ["police-adapter", "customs-adapter", "mbie-adapter", "msd-adapter", "briefing"]) {
      expect(await tryWrite(principal, REFUSALS[0]!, { idempotent: true }), principal).toBe("ok");
    }
  });

  it("the audit reads it (control)", async () => {
    expect(await tryRead("audit", REFUSALS[0]!, `takitini-audit-probe-${randomUUID()}`)).toBe("ok");
  });
});

describe("a service outside its grants says so and keeps running", () => {
  let adapter: RunningService | undefined;
  afterAll(async () => {
    await adapter?.stop("SIGTERM");
  });

  it("the Police adapter pointed at Customs' topic logs the refusal with the topic, stays alive and not ready", async () => {
    adapter = await startService("police-adapter", { TOPIC: "takitini.intel.customs.v1", GRPC_PORT: "0", DEMO_RECORDS_PER_MINUTE: "0" }, { waitReady: false });
    const deadline = Date.now() + 30_000;
    while (!adapter.output().includes("KAFKA_NOT_AUTHORISED") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    const line = adapter
      .output()
      .split("\n")
      .find((l) => l.includes("KAFKA_NOT_AUTHORISED"));
    expect(line, adapter.output()).toBeDefined();
    const entry = JSON.parse(line!) as { topics: string[]; kafkaError: string; msg: string };
    // The topic it may not use, and the claims topic it reads with it.
    expect(entry.topics).toEqual(["takitini.intel.customs.v1", "takitini.claims.customs.v1"]);
    expect(entry.kafkaError).toMatch(/AUTHORIZATION_FAILED$/);
    expect(entry.msg).toContain("takitini.intel.customs.v1");
    expect((await fetch(`${adapter.adminUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${adapter.adminUrl}/readyz`)).status).toBe(503);
    expect(adapter.child.exitCode).toBeNull();
  });
});

describe("provenance: an event whose agency is not its topic's", () => {
  let exchange: RunningService | undefined;
  const run = randomUUID().slice(0, 8);
  beforeAll(async () => {
    exchange = await startService("exchange", { GROUP_ID: `takitini-exchange-e2e-acl-${run}`, INSTANCE_ID: `e2e-acl-${run}` });
  });
  afterAll(async () => {
    await exchange?.stop("SIGTERM");
  });

  it("is dead-lettered with the reason, counted, and never decided or delivered", async () => {
    // A Police system (its own principal, on its own topic) publishes an event claiming to be Customs'.
    // A complete, valid Customs event, made by the Customs adapter's own generator and mapper.
    const kind = customsAdapter.kinds[0]!;
    const made = ingest(customsAdapter, kind.recordType, kind.synthesize(seededRandom(`acl/${run}`), 0), new Date(), { eventIdKey: suiteEventIdKey() });
    if (!made.ok) throw new Error(JSON.stringify(made.issues));
    const event = made.event;
    expect(event.sourceAgency).toBe(Agency.AGENCY_CUSTOMS);
    const producer = client(brokers, "police-adapter").producer({ allowAutoTopicCreation: false });
    await producer.connect();
    await producer.send({
      topic: "takitini.intel.police.v1",
      acks: -1,
      messages: [{ key: event.id, value: Buffer.from(IntelligenceEvent.encode(event).finish()), headers: { [HEADERS.SCHEMA_VERSION]: INTEL_SCHEMA_VERSION, [HEADERS.EVENT_TYPE]: event.eventType, [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE } }],
    });
    await producer.disconnect();

    const operator = client(brokers);
    const dead = await readTopic(operator, "takitini.deadletter.v1", { until: (s) => s.message.key?.toString().startsWith("takitini.intel.police.v1/") === true && (header(s.message, HEADERS.DLQ_REASON) ?? "").includes("PROVENANCE_MISMATCH") && s.message.value?.equals(Buffer.from(IntelligenceEvent.encode(event).finish())) === true, timeoutMs: 60_000 });
    const mine = dead.find((s) => s.message.value?.equals(Buffer.from(IntelligenceEvent.encode(event).finish())));
    expect(mine, "dead letter of the forged event").toBeDefined();
    expect(header(mine!.message, HEADERS.DLQ_REASON)).toBe("PROVENANCE_MISMATCH: event agency CUSTOMS on topic takitini.intel.police.v1");

    const metrics = await (await fetch(`${exchange!.adminUrl}/metrics`)).text();
    expect(metrics).toMatch(/exchange_provenance_mismatches_total\{[^}]*topic="takitini\.intel\.police\.v1"[^}]*\} [1-9]/);

    // Never decided: no decision record names it, so nothing was delivered.
    const decisions = await readTopic(operator, DECISIONS[0]!, { idleMs: 3000, timeoutMs: 60_000 });
    expect(decisions.filter((s) => s.message.value?.includes(Buffer.from(event.id)))).toEqual([]);
  });
});
