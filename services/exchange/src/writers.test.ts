import { describe, expect, it } from "vitest";
import { byteBoundedGroups, MAX_SEND_BYTES, transactionalIdFor, uncommitted } from "./exchange.js";
import type { OutMessage } from "./plan.js";

describe("writers", () => {
  it("name the transactional id after the group and the instance (KIP-447: other members are fenced by the group's generation)", () => {
    expect(transactionalIdFor("takitini-exchange", "exchange-1")).toBe("takitini-exchange.takitini-exchange.exchange-1");
    // An instance restarted under its INSTANCE_ID derives the same id, so it fences its dead predecessor at once.
    expect(transactionalIdFor("g", "i")).toBe(transactionalIdFor("g", "i"));
    expect(transactionalIdFor("g", "i")).not.toBe(transactionalIdFor("g", "j"));
    expect(transactionalIdFor("g", "i")).not.toBe(transactionalIdFor("h", "i"));
  });

  it("skip fetched records the group has already committed past", () => {
    const batch = ["5", "6", "7", "8"].map((offset) => ({ offset }));
    expect(uncommitted(batch, null)).toEqual(batch);
    expect(uncommitted(batch, 5n)).toEqual(batch);
    expect(uncommitted(batch, 7n).map((m) => m.offset)).toEqual(["7", "8"]);
    expect(uncommitted(batch, 9n)).toEqual([]);
    // Offsets compare as integers, not strings.
    expect(uncommitted([{ offset: "10" }, { offset: "9" }], 10n).map((m) => m.offset)).toEqual(["10"]);
  });
});

describe("a chunk's output, sent in groups the broker accepts", () => {
  const msg = (i: number, bytes: number, topic = "t"): OutMessage => ({ topic, key: `k${i}`, value: Buffer.alloc(bytes, i % 256), headers: { "event-type": "audit.decision" } });

  it("keeps every group under the bound and every message once, in order", () => {
    // 200 events for 17 subscribers: 3,400 decisions of ~600 bytes, over 2 MB: once a single batch the broker refused.
    const out = Array.from({ length: 3400 }, (_, i) => msg(i, 600, i % 2 === 0 ? "decisions" : "deliver"));
    const groups = byteBoundedGroups(out);
    expect(groups.length).toBeGreaterThan(3);
    for (const g of groups) expect(g.reduce((n, m) => n + m.value.length + m.key.length, 0)).toBeLessThanOrEqual(MAX_SEND_BYTES);
    expect(groups.flat()).toEqual(out);
  });

  it("sends a small chunk in one group, a message larger than the bound alone, and nothing for nothing", () => {
    expect(byteBoundedGroups([msg(1, 10), msg(2, 10)])).toHaveLength(1);
    const big = msg(3, MAX_SEND_BYTES + 1);
    expect(byteBoundedGroups([msg(1, 10), big, msg(2, 10)])).toEqual([[msg(1, 10)], [big], [msg(2, 10)]]);
    expect(byteBoundedGroups([])).toEqual([]);
  });
});
