import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";

/**
 * kafkajs 2.2.4 lets messages of aborted transactions through to read_committed
 * consumers when the broker's list of aborted transactions is not in first-offset
 * order or several begin before one message — the normal case with many
 * transactional writers on one partition, as the exchange has. patches/ fixes its
 * filter (applied by patch-package on npm install); this checks the fix is there.
 */
const require = createRequire(import.meta.url);
const filter = require("kafkajs/src/consumer/filterAbortedMessages.js") as (a: { messages: unknown[]; abortedTransactions: { producerId: string; firstOffset: string }[] }) => { offset: string; isControlRecord?: boolean }[];

const record = (offset: number, producerId: number) => ({ offset: String(offset), key: Buffer.from("k"), batchContext: { producerId: String(producerId), inTransaction: true } });
const marker = (offset: number, producerId: number, commit: boolean) => ({
  offset: String(offset),
  key: Buffer.from([0, 0, 0, commit ? 1 : 0]),
  isControlRecord: true,
  batchContext: { producerId: String(producerId), inTransaction: true },
});
const visible = (out: { offset: string; isControlRecord?: boolean }[]) => out.filter((m) => !m.isControlRecord).map((m) => Number(m.offset));

describe("kafkajs read_committed filtering (patched)", () => {
  it("drops every message of interleaved aborted transactions listed out of order", () => {
    const messages = [record(10, 1), record(11, 2), record(12, 1), record(13, 2), marker(14, 2, false), marker(15, 1, false), record(16, 3)];
    const out = filter({ messages, abortedTransactions: [{ producerId: "2", firstOffset: "11" }, { producerId: "1", firstOffset: "10" }] });
    expect(visible(out)).toEqual([16]);
  });

  it("keeps a producer's committed transactions around its aborted one", () => {
    const messages = [record(1, 7), marker(2, 7, true), record(3, 7), marker(4, 7, false), record(5, 7), marker(6, 7, true)];
    expect(visible(filter({ messages, abortedTransactions: [{ producerId: "7", firstOffset: "3" }] }))).toEqual([1, 5]);
  });

  it("does not mistake a message keyed like an abort marker for one", () => {
    const lookalike = { ...record(3, 1), key: Buffer.from([0, 0, 0, 0]) };
    const messages = [record(1, 1), lookalike, marker(4, 1, false), record(5, 2)];
    expect(visible(filter({ messages, abortedTransactions: [{ producerId: "1", firstOffset: "1" }] }))).toEqual([5]);
  });
});
