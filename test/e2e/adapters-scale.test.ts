import { readFileSync } from "node:fs";
import { provideKafka, type ProvidedKafka } from "@takitini/infra";
import { eventIdFor } from "@takitini/runtime";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { client, readTopic } from "./kafka.js";
import { publish, publisherOf, suiteEventIdKey, suitePki } from "./publishers.js";
import { ROOT, startService, type RunningService } from "./stack.js";

/*
 * Adapters scale out (issue 13): any number of police-adapter processes publish
 * each native id exactly once, even when two receive the same new id at the same
 * moment; a new instance's index comes from the claims topic (its principal may
 * not even read the intelligence topic); and a publish gives up at its deadline
 * with 503 PUBLISH_FAILED and Retry-After while the broker does not answer, the
 * adapter not ready, and both come back with the broker. Real processes, the real
 * secured broker.
 */

const RUN = Date.now().toString(36);
const TOPIC = "takitini.intel.police.v1";
const example = JSON.parse(readFileSync(`${ROOT}services/police-adapter/examples/noting.json`, "utf8")) as Record<string, unknown>;
const noting = (id: string, summary = "Source reports a resupply.") => ({ ...example, noting_id: id, summary });
const as = { publisher: publisherOf("police-adapter") };
type Answer = { status: number; body: { event_id?: string; duplicate?: boolean; error?: { code: string; issues: { path: string }[] } }; retryAfter: string | null };
const post = async (svc: RunningService, body: unknown): Promise<Answer> => {
  const res = await publish(`${svc.url}/v1/reports`, body, as);
  return { status: res.status, body: res.json(), retryAfter: res.headers.get("retry-after") };
};

describe("two police-adapter instances on one agency topic", () => {
  const brokers = inject("brokers");
  let a: RunningService;
  let b: RunningService;
  const started: RunningService[] = [];

  beforeAll(async () => {
    [a, b] = await Promise.all([startService("police-adapter", { KAFKA_BROKERS: brokers.join(","), GRPC_PORT: "0" }), startService("police-adapter", { KAFKA_BROKERS: brokers.join(","), GRPC_PORT: "0" })]);
    started.push(a, b);
  });
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  it("publish each new native id exactly once when both receive it at the same moment; the other answers duplicate, or conflict with the differing field", async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `NIC-SCALE-${RUN}-${i}`);
    // Every fifth id reaches the two instances with different summaries.
    const conflicting = (i: number) => i % 5 === 0;
    const answers: [Answer, Answer][] = [];
    for (let start = 0; start < ids.length; start += 30) {
      const round = ids.slice(start, start + 30);
      answers.push(...(await Promise.all(round.map((id, j) => Promise.all([post(a, noting(id)), post(b, noting(id, conflicting(start + j) ? "A different account." : undefined))])))));
    }
    answers.forEach((pair, i) => {
      const statuses = pair.map((p) => p.status).sort();
      if (conflicting(i)) {
        expect(statuses, ids[i]).toEqual([202, 409]);
        const refused = pair.find((p) => p.status === 409)!;
        expect(refused.body.error?.code).toBe("CONFLICT");
        // Named by whichever instance lost, from the winner's claim.
        expect(refused.body.error?.issues.map((x) => x.path)).toEqual(["payload.policeNoting.summary"]);
      } else {
        expect(statuses, ids[i]).toEqual([200, 202]);
        expect(pair.find((p) => p.status === 200)!.body.duplicate).toBe(true);
        expect(pair[0].body.event_id).toBe(pair[1].body.event_id);
      }
    });
    // Resubmitted to either instance later: nothing new.
    const again = await Promise.all(ids.slice(1, 20).map((id, i) => post(i % 2 ? a : b, noting(id))));
    expect(again.filter((x) => !(x.status === 200 || x.status === 409))).toEqual([]);

    // On the topic (read-committed): exactly one event per id.
    const key = suiteEventIdKey();
    const wanted = new Map(ids.map((id) => [eventIdFor(key, "POLICE", id), id]));
    const seen = await readTopic(client(brokers), TOPIC, { idleMs: 4000, timeoutMs: 60_000 });
    const counts = new Map<string, number>();
    for (const s of seen) {
      const id = s.message.key?.toString() ?? "";
      if (wanted.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(counts.size).toBe(ids.length);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it("a new instance knows every claimed id, and the content of its claim, from the claims topic", async () => {
    const id = `NIC-SCALE-${RUN}-fresh`;
    expect((await post(a, noting(id))).status).toBe(202);
    const c = await startService("police-adapter", { KAFKA_BROKERS: brokers.join(","), GRPC_PORT: "0" });
    started.push(c);
    expect(await post(c, noting(id))).toMatchObject({ status: 200, body: { duplicate: true } });
    expect(await post(c, noting(id, "changed"))).toMatchObject({ status: 409, body: { error: { code: "CONFLICT", issues: [{ path: "payload.policeNoting.summary" }] } } });
    // (Its principal may not read the intelligence topic at all: e2e/kafka-acls.test.ts.)
  });
});

describe("a police-adapter whose broker stops answering", () => {
  let kafka: ProvidedKafka;
  let adapter: RunningService;
  const TIMEOUT_MS = 3000;

  beforeAll(async () => {
    // A broker of its own (the suite's PKI): this test freezes it.
    kafka = await provideKafka({ env: { ...process.env, KAFKA_BROKERS: "" }, pkiDir: suitePki().dir });
    adapter = await startService("police-adapter", { KAFKA_BROKERS: kafka.brokers.join(","), PUBLISH_TIMEOUT_MS: String(TIMEOUT_MS), GRPC_PORT: "0" });
  });
  afterAll(async () => {
    if (kafka?.pid) process.kill(kafka.pid, "SIGCONT");
    await adapter?.stop();
    await kafka?.stop();
  });

  const ready = async () => (await fetch(`${adapter.adminUrl}/readyz`)).status;
  const until = async (what: () => Promise<boolean>, ms: number) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      if (await what()) return true;
      await new Promise((r) => setTimeout(r, 250));
    }
    return false;
  };

  it("answers 503 PUBLISH_FAILED with Retry-After within its deadline and is not ready; with the broker back, ready and publishing", async () => {
    expect((await post(adapter, noting(`NIC-OUT-${RUN}-0`))).status).toBe(202);
    expect(kafka.pid).toBeDefined();
    process.kill(kafka.pid!, "SIGSTOP");
    try {
      const t0 = Date.now();
      const failed = await post(adapter, noting(`NIC-OUT-${RUN}-1`));
      const took = Date.now() - t0;
      expect(failed.status).toBe(503);
      expect(failed.body.error?.code).toBe("PUBLISH_FAILED");
      expect(Number(failed.retryAfter)).toBeGreaterThan(0);
      expect(took).toBeLessThan(TIMEOUT_MS + 2000);
      expect(await until(async () => (await ready()) === 503, 10_000)).toBe(true);
      const meanwhile = await post(adapter, noting(`NIC-OUT-${RUN}-2`));
      expect([meanwhile.status, meanwhile.body.error?.code]).toEqual([503, "PUBLISH_FAILED"]);
    } finally {
      process.kill(kafka.pid!, "SIGCONT");
    }
    expect(await until(async () => (await ready()) === 200, 60_000)).toBe(true);
    let back: Answer | undefined;
    expect(await until(async () => (back = await post(adapter, noting(`NIC-OUT-${RUN}-1`))).status === 202 || back.status === 200, 60_000)).toBe(true);
    // Nothing half-published: the attempt answered 503 left neither an event nor a claim behind it.
    expect(back!.status).toBe(202);
    const key = suiteEventIdKey();
    const seen = await readTopic(client(kafka.brokers), TOPIC, { idleMs: 3000, timeoutMs: 30_000 });
    const ids = seen.map((s) => s.message.key?.toString());
    for (const n of [0, 1]) expect(ids.filter((k) => k === eventIdFor(key, "POLICE", `NIC-OUT-${RUN}-${n}`))).toHaveLength(1);
    expect(ids.filter((k) => k === eventIdFor(key, "POLICE", `NIC-OUT-${RUN}-2`))).toHaveLength(0);
  });
});
