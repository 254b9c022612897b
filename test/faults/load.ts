/**
 * A paced stream of native records into the adapters' HTTPS doors, as the
 * agencies' publishing systems (mutual TLS), recording what each door
 * acknowledged. "Acknowledged" is what the fault suite's reconciliation holds
 * the mesh to: an event a door answered 202 (published) or 200 (a duplicate of
 * one published) must be decided once for every subscriber, whatever failed.
 */
import { seededRandom, type AgencyAdapter, type RecordKind } from "@takitini/adapter-kit";
import { publish, publisherOf } from "../e2e/publishers.js";

export interface Door {
  /** The adapter's service name, e.g. `police-adapter`. */
  service: string;
  adapter: AgencyAdapter;
  /** The door's base URL (https://127.0.0.1:port); read at each send, so a restarted instance's new URL is used. */
  url: () => string;
}

export interface LoadResult {
  /** event id → the native record's kind (only acknowledged ones). */
  acknowledged: Map<string, { service: string; recordType: string }>;
  /** How many sends got each answer: `202`, `200`, `503 PUBLISH_FAILED`, `error ECONNREFUSED`, … */
  answers: Map<string, number>;
  sent: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Send synthetic records round-robin over `doors` and every kind they take, at
 * about `perSecond`, until `stop()`; up to `concurrency` requests in flight.
 * Native ids are made unique per run by offsetting the generators' index with
 * `base`. Every answer is counted; nothing is retried (a refused send is simply
 * not acknowledged).
 */
export function startLoad(doors: Door[], opts: { run: string; perSecond: number; base: number; concurrency?: number }) {
  const kinds: { door: Door; kind: RecordKind }[] = doors.flatMap((door) =>
    // Wastewater figures are keyed by site and week: the generator repeats their ids, which the door answers as conflicts.
    door.adapter.kinds.filter((k) => !k.recordType.includes("wastewater")).map((kind) => ({ door, kind })),
  );
  const rng = seededRandom(`faults/${opts.run}`);
  const result: LoadResult = { acknowledged: new Map(), answers: new Map(), sent: 0 };
  const count = (answer: string) => result.answers.set(answer, (result.answers.get(answer) ?? 0) + 1);
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const concurrency = opts.concurrency ?? 16;

  const sendOne = async (i: number) => {
    const { door, kind } = kinds[i % kinds.length]!;
    const record = kind.synthesize(rng, opts.base + i);
    try {
      const res = await publish(`${door.url()}${kind.httpPath}`, record, { publisher: publisherOf(door.service) });
      if (res.status === 202 || res.status === 200) {
        const body = res.json() as { event_id: string };
        result.acknowledged.set(body.event_id, { service: door.service, recordType: kind.recordType });
        count(String(res.status));
      } else {
        let code = "";
        try {
          const body = res.json() as { code?: string; error?: { code?: string } };
          code = String(body.error?.code ?? body.code ?? "");
        } catch {
          /* not JSON */
        }
        count(`${res.status} ${code}`.trim());
      }
    } catch (err) {
      count(`error ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  };

  const done = (async () => {
    const started = Date.now();
    for (let i = 0; !stopped; i++) {
      while (inFlight.size >= concurrency) await Promise.race(inFlight);
      const p = sendOne(i).finally(() => inFlight.delete(p));
      inFlight.add(p);
      result.sent = i + 1;
      const wait = started + ((i + 1) / opts.perSecond) * 1000 - Date.now();
      if (wait > 0) await sleep(wait);
    }
    await Promise.all(inFlight);
  })();

  return {
    result,
    /** Stop sending and wait for the answers still in flight. */
    async stop(): Promise<LoadResult> {
      stopped = true;
      await done;
      return result;
    },
  };
}

/** `answers` as one line for a test's log. */
export function describeAnswers(r: LoadResult): string {
  return [...r.answers].map(([a, n]) => `${a}: ${n}`).join(", ");
}
