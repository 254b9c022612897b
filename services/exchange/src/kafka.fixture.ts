import type { EachBatchPayload } from "kafkajs";

/** A fake kafkajs consumer for the exchange's shell tests: `run` hands its eachBatch to `onRun`; nothing else happens. */
export function fakeConsumer(onRun: (eachBatch: (p: EachBatchPayload) => Promise<void>) => void) {
  return {
    events: { GROUP_JOIN: "join", CRASH: "crash", STOP: "stop", FETCH: "fetch" },
    on: () => undefined,
    connect: async () => undefined,
    subscribe: async () => undefined,
    run: async (opts: { eachBatch: (p: EachBatchPayload) => Promise<void> }) => onRun(opts.eachBatch),
    disconnect: async () => undefined,
  };
}
