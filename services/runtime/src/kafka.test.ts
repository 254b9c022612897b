import { Kafka } from "kafkajs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createKafka, FETCH_LIMITS, withFetchLimits } from "./kafka.js";
import { createLogger } from "./logger.js";

describe("the mesh's fetch limits", () => {
  afterEach(() => vi.restoreAllMocks());

  it("a consumer's configuration gets 2 MiB a fetch and 1 MiB (the broker's largest batch) a partition unless it says otherwise", () => {
    expect(withFetchLimits({ groupId: "g" })).toEqual({ groupId: "g", maxBytes: 2_097_152, maxBytesPerPartition: 1_048_576 });
    expect(withFetchLimits({ groupId: "g", maxBytes: 4096 })).toEqual({ groupId: "g", maxBytes: 4096, maxBytesPerPartition: FETCH_LIMITS.maxBytesPerPartition });
  });

  it("every consumer of a client made by createKafka is made under them", () => {
    const made = vi.spyOn(Kafka.prototype, "consumer");
    const kafka = createKafka({ clientId: "t", brokers: ["127.0.0.1:1"], logger: createLogger("test", "silent"), security: { mode: "insecure" } });
    kafka.consumer({ groupId: "g", readUncommitted: false });
    expect(made).toHaveBeenCalledWith({ groupId: "g", readUncommitted: false, ...FETCH_LIMITS });
  });
});
