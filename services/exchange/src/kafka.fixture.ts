import type { EachBatchPayload } from "kafkajs";

/** The group membership a fake consumer joins with (GROUP_JOIN's payload, as the patched kafkajs gives it). */
export const FAKE_MEMBER = { memberId: "member-1", generationId: 7 } as const;

/**
 * A fake kafkajs consumer for the exchange's shell tests: `run` emits GROUP_JOIN (as
 * `FAKE_MEMBER`, assigned `assignment`) and hands its eachBatch to `onRun`; nothing
 * else happens.
 */
export function fakeConsumer(onRun: (eachBatch: (p: EachBatchPayload) => Promise<void>) => void, assignment: Record<string, number[]> = {}) {
  const handlers = new Map<string, ((e: unknown) => void)[]>();
  return {
    events: { GROUP_JOIN: "join", CRASH: "crash", STOP: "stop", FETCH: "fetch" },
    on: (event: string, handler: (e: unknown) => void) => void handlers.set(event, [...(handlers.get(event) ?? []), handler]),
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (opts: { eachBatch: (p: EachBatchPayload) => Promise<void> }) => {
      for (const h of handlers.get("join") ?? []) h({ payload: { ...FAKE_MEMBER, memberAssignment: assignment } });
      onRun(opts.eachBatch);
    },
    disconnect: async () => undefined,
  };
}
