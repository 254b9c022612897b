import { historyRecords } from "@takitini/adapter-kit";
import { eventIdFor } from "@takitini/runtime";
import { afterAll, describe, expect, inject, it } from "vitest";
import { policeAdapter } from "../../services/police-adapter/dist/adapter.js";
import { client, readTopic } from "./kafka.js";
import { suiteEventIdKey } from "./publishers.js";
import { startService, type RunningService } from "./stack.js";

/*
 * The demo history (issue 15) on the real secured broker: a police-adapter with
 * two weeks of history publishes each of its records once through its intake;
 * restarted, it re-submits the same records and every one is answered duplicate —
 * nothing new on the topic. A seed of the run's own keeps its ids apart from any
 * other test's.
 */

const SEED = `e2e-history-${Date.now().toString(36)}`;
const TOPIC = "takitini.intel.police.v1";

/** The adapter's adapter_history_records_total by outcome, once the backfill has logged its end. */
async function backfilled(svc: RunningService): Promise<Record<string, number>> {
  const deadline = Date.now() + 120_000;
  while (!svc.output().includes("demo history: backfill finished")) {
    if (Date.now() > deadline) throw new Error(`backfill did not finish:\n${svc.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  const text = await (await fetch(`${svc.adminUrl}/metrics`)).text();
  const out: Record<string, number> = { accepted: 0, duplicate: 0, rejected: 0 };
  for (const m of text.matchAll(/^adapter_history_records_total\{[^}]*outcome="(\w+)"[^}]*\} (\d+)/gm)) out[m[1]!] = (out[m[1]!] ?? 0) + Number(m[2]);
  return out;
}

describe("a police-adapter's demo history", () => {
  const brokers = inject("brokers");
  const started: RunningService[] = [];
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()));
  });

  it("publishes each history record once; a restart the same week publishes nothing new", async () => {
    const env = { KAFKA_BROKERS: brokers.join(","), GRPC_PORT: "0", DEMO_SEED: SEED, DEMO_HISTORY_WEEKS: "2", DEMO_HISTORY_PER_SECOND: "500" };
    const expected = historyRecords(policeAdapter, { seed: SEED, now: new Date(), weeks: 2 });
    expect(expected.length).toBeGreaterThan(100);

    const first = await startService("police-adapter", env);
    started.push(first);
    expect(await backfilled(first)).toEqual({ accepted: expected.length, duplicate: 0, rejected: 0 });
    await first.stop();

    const second = await startService("police-adapter", env);
    started.push(second);
    expect(await backfilled(second)).toEqual({ accepted: 0, duplicate: expected.length, rejected: 0 });

    // On the topic (read-committed): exactly one event per history record.
    const key = suiteEventIdKey();
    const wanted = new Set(expected.map((r) => eventIdFor(key, "POLICE", r.kind.nativeId(r.kind.schema.parse(r.record)))));
    const counts = new Map<string, number>();
    for (const s of await readTopic(client(brokers), TOPIC, { idleMs: 4000, timeoutMs: 90_000 })) {
      const id = s.message.key?.toString() ?? "";
      if (wanted.has(id)) counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    expect(counts.size).toBe(expected.length);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });
});
