/**
 * What the services' recovery tests share (the exchange's and the briefing's
 * recovery.integration.test.ts): a real Apache Kafka broker (infra's launcher,
 * plaintext) on ports kept so that it can be stopped and started again on the
 * same data, a producer that retries each record until the broker acknowledges
 * it, and a poll. The audit's recovery test is the model.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createKafka, readKafkaSecurity, type Logger } from "@takitini/runtime";
import type { Kafka, Message, Producer } from "kafkajs";
import type { LocalBroker } from "../../infra/src/kafka/broker.ts";
import { startLocalBroker } from "../../infra/src/kafka/cluster.ts";
import { freePorts } from "../../infra/src/kafka/ports.ts";
import { warmUpCoordinators } from "../../infra/src/kafka/warmup.ts";

const security = readKafkaSecurity({ TAKITINI_INSECURE_KAFKA: true });

export interface RestartableBroker {
  brokers: string[];
  kafka(clientId: string): Kafka;
  /** Stop the broker, wait `outageMs`, start it again on the same data and ports; resolves when it serves again. */
  outage(outageMs: number): Promise<void>;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stop it for good and remove its data. */
  close(): Promise<void>;
}

export async function restartableBroker(name: string, logger: Logger): Promise<RestartableBroker> {
  const [port, controllerPort] = await freePorts(2);
  const dataDir = mkdtempSync(join(tmpdir(), `takitini-${name}-recovery-kafka-`));
  const launch = () => startLocalBroker({ dataDir, security: "insecure", port: port!, controllerPort: controllerPort!, heap: "384m", readyTimeoutMs: 120_000 });
  let broker: LocalBroker | undefined = await launch();
  await warmUpCoordinators(broker.operator);
  const brokers = [`127.0.0.1:${port}`];
  const self: RestartableBroker = {
    brokers,
    kafka: (clientId) => createKafka({ clientId, brokers, logger, security }),
    stop: async () => {
      await broker?.stop();
      broker = undefined;
    },
    start: async () => {
      broker = await launch();
    },
    outage: async (outageMs) => {
      await self.stop();
      await new Promise((r) => setTimeout(r, outageMs));
      await self.start();
    },
    close: async () => {
      await broker?.stop();
      broker = undefined;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return self;
}

export async function until(cond: () => boolean | Promise<boolean>, ms: number, what: string): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await cond()) return Date.now() - t0;
    if (Date.now() - t0 > ms) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Produces one record every `everyMs` (`next` makes it and names it), each sent
 * until the broker acknowledges it: a send that failed may still have been
 * written, so it counts as attempted and is retried with the same record.
 */
export function producing(kafka: Kafka, topic: string, next: () => { id: string; message: Message }, everyMs = 20) {
  const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  const acked = new Set<string>();
  const attempted = new Set<string>();
  let running = true;
  const loop = (async () => {
    await producer.connect();
    while (running) {
      const { id, message } = next();
      for (;;) {
        attempted.add(id);
        try {
          await producer.send({ topic, acks: -1, timeout: 5000, messages: [message] });
          acked.add(id);
          break;
        } catch {
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  const stop = async () => {
    running = false;
    await loop;
    await producer.disconnect().catch(() => undefined);
  };
  return { acked, attempted, stop, until: (n: number, ms = 60_000) => until(() => acked.size >= n, ms, `${n} records acknowledged`) };
}

/** Every record of a topic, read-committed, from the beginning until `done` holds (or `ms` passes: then it throws). */
export async function readUntil<T>(kafka: Kafka, topic: string, decode: (m: { key: Buffer | null; value: Buffer | null; headers: Message["headers"] }) => T | undefined, done: (all: T[]) => boolean, ms: number): Promise<T[]> {
  const byTopic = await readTopicsUntil(kafka, [topic], decode, (all) => done(all.get(topic)!), ms);
  return byTopic.get(topic)!;
}

/**
 * Every record of several topics, read-committed, from the beginning, by one consumer (one
 * group join, not one per topic), until `done` holds of what each topic holds (or `ms`
 * passes: then it throws, naming the topics); then a moment more, so that anything past what
 * was wanted (a duplicate) is read too.
 */
export async function readTopicsUntil<T>(
  kafka: Kafka,
  topics: readonly string[],
  decode: (m: { key: Buffer | null; value: Buffer | null; headers: Message["headers"] }) => T | undefined,
  done: (byTopic: ReadonlyMap<string, T[]>) => boolean,
  ms: number,
): Promise<Map<string, T[]>> {
  const consumer = kafka.consumer({ groupId: `recovery-read-${Date.now()}-${Math.random().toString(16).slice(2)}`, readUncommitted: false });
  const byTopic = new Map<string, T[]>(topics.map((t) => [t, []]));
  await consumer.connect();
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const v = decode({ key: message.key, value: message.value, headers: message.headers });
        if (v !== undefined) byTopic.get(topic)!.push(v);
      },
    });
    await until(() => done(byTopic), ms, `the records wanted on ${topics.join(", ")}`);
    await new Promise((r) => setTimeout(r, 2000));
    return byTopic;
  } finally {
    await consumer.disconnect();
  }
}
