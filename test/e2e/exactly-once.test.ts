/**
 * Issue 5's acceptance tests, on the real broker with the real exchange process:
 * a 10,000-event stream through an exchange that is SIGKILLed several times
 * mid-stream, and through two instances forced to rebalance mid-stream. Both end
 * in a full reconciliation: every allowed (event, subscriber) pair delivered
 * exactly once, exactly one decision per pair in the audit, nothing else.
 */
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { seededRandom } from "@takitini/adapter-kit";
import { afterAll, describe, expect, inject, it } from "vitest";
import { exchangeEnv, groupProgress, isolatedTopics, makeStream, produceStream, reconcile, waitCaughtUp } from "./eos.js";
import { client } from "./kafka.js";
import { startService, type RunningService } from "./stack.js";

const brokers = inject("brokers");
const kafka = client(brokers);
const EVENTS = 10_000;
const RATE = 300; // events per second offered: the stream lasts about half a minute
const running = new Set<RunningService>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const logs: RunningService[] = [];

async function start(env: Record<string, string>): Promise<RunningService> {
  const svc = await startService("exchange", env);
  running.add(svc);
  logs.push(svc);
  return svc;
}

/** On a failed reconciliation, keep every instance's log for the post-mortem. */
function keepLogs(name: string, problems: string[]): void {
  if (problems.length === 0) return;
  const path = join(tmpdir(), `takitini-eos-${name}-${Date.now()}.log`);
  writeFileSync(path, logs.map((s, i) => `===== instance ${i}\n${s.output()}`).join("\n"));
  problems.push(`exchange logs: ${path}`);
}

async function stop(svc: RunningService, signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
  running.delete(svc);
  return svc.stop(signal);
}

/** Sum of a counter over its labels, from a /metrics scrape. */
async function counter(svc: RunningService, name: string): Promise<number> {
  const text = await (await fetch(`${svc.adminUrl}/metrics`)).text();
  return text
    .split("\n")
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(" ") + 1)), 0);
}

afterAll(async () => {
  await Promise.all([...running].map((s) => s.stop("SIGKILL")));
});

describe("exactly-once dissemination", () => {
  it("survives SIGKILL of the exchange several times mid-stream", { timeout: 420_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const topics = await isolatedTopics(kafka, run);
    const stream = makeStream(run, topics, EVENTS);
    const env = exchangeEnv(brokers, run, topics, { INSTANCE_ID: `eos-${run}` });
    const group = env.GROUP_ID!;
    const intel = Object.values(topics.intel);
    const rng = seededRandom(`kills/${run}`);

    let exchange = await start(env);
    let sent = 0;
    const producing = produceStream(kafka, stream, RATE, (n) => (sent = n));
    const kills: { sent: number; committed: number }[] = [];
    for (let k = 0; k < 3; k++) {
      await sleep(3000 + Math.floor(rng() * 3000));
      const { committed } = await groupProgress(kafka, group, intel);
      await stop(exchange, "SIGKILL");
      kills.push({ sent, committed });
      exchange = await start(env);
    }
    await producing;
    try {
      await waitCaughtUp(kafka, group, intel, stream.messages.length, 240_000);
    } catch (err) {
      const problems = [(err as Error).message];
      keepLogs("sigkill-stalled", problems);
      throw new Error(problems.join("; "));
    }
    expect(await stop(exchange)).toBe(0);

    // Each kill landed mid-stream: work done, work still to do.
    for (const k of kills) {
      expect(k.committed).toBeGreaterThan(0);
      expect(k.committed).toBeLessThan(stream.messages.length);
    }
    const r = await reconcile(kafka, topics, stream);
    keepLogs("sigkill", r.problems);
    expect(r.problems).toEqual([]);
    // One decision per event for every subscriber of the run's registry (its delivery topics).
    expect(r.pairs).toBe(stream.events.size * Object.keys(topics.deliver).length);
    expect(r.delivered).toBe(r.allowed);
    expect(r.allowed).toBeGreaterThan(0);
    console.log(`[eos] SIGKILL x${kills.length} at committed ${kills.map((k) => k.committed).join(", ")} of ${stream.messages.length}; ${r.pairs} decisions, ${r.delivered} deliveries`);
  });

  it("loses and duplicates nothing when two instances rebalance mid-stream", { timeout: 420_000 }, async () => {
    const run = randomUUID().slice(0, 8);
    const topics = await isolatedTopics(kafka, run);
    const stream = makeStream(run, topics, EVENTS);
    const env = (instance: string) => exchangeEnv(brokers, run, topics, { INSTANCE_ID: `eos-${run}-${instance}` });
    const group = env("a").GROUP_ID!;
    const intel = Object.values(topics.intel);

    let a = await start(env("a"));
    const producing = produceStream(kafka, stream, RATE);
    await sleep(4000);
    // Rebalance 1: a second instance joins and takes half the partitions.
    const b = await start(env("b"));
    await sleep(5000);
    const progressBeforeLeave = await groupProgress(kafka, group, intel);
    // What the first instance had done by then (it finishes its in-flight batch on the way out).
    const firstA = await counter(a, "exchange_events_in_total");
    // Rebalance 2: the first instance leaves; the second takes everything.
    expect(await stop(a)).toBe(0);
    await sleep(3000);
    // Rebalance 3: it comes back.
    a = await start(env("a"));
    await producing;
    await waitCaughtUp(kafka, group, intel, stream.messages.length, 240_000);
    const secondA = await counter(a, "exchange_events_in_total");
    const byB = await counter(b, "exchange_events_in_total");
    expect(await stop(a)).toBe(0);
    expect(await stop(b)).toBe(0);

    expect(progressBeforeLeave.committed).toBeLessThan(stream.messages.length);
    expect(firstA).toBeGreaterThan(0);
    expect(byB).toBeGreaterThan(0);
    const r = await reconcile(kafka, topics, stream);
    keepLogs("rebalance", r.problems);
    expect(r.problems).toEqual([]);
    // One decision per event for every subscriber of the run's registry (its delivery topics).
    expect(r.pairs).toBe(stream.events.size * Object.keys(topics.deliver).length);
    expect(r.delivered).toBe(r.allowed);
    console.log(`[eos] rebalance: a ${firstA} + ${secondA}, b ${byB}; ${r.pairs} decisions, ${r.delivered} deliveries`);
  });
});
