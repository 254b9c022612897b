import { describe, expect, it } from "vitest";
import { transactionalIdFor, uncommitted } from "./exchange.js";

describe("partition writers", () => {
  it("name the transactional id after the group and the source partition, not the instance", () => {
    expect(transactionalIdFor("takitini-exchange", "takitini.intel.police.v1", 3)).toBe("takitini-exchange.takitini-exchange.takitini.intel.police.v1.3");
    // Every instance of a group derives the same id for a partition, so a new owner fences the old one.
    expect(transactionalIdFor("g", "t", 0)).toBe(transactionalIdFor("g", "t", 0));
    expect(transactionalIdFor("g", "t", 0)).not.toBe(transactionalIdFor("g", "t", 1));
    expect(transactionalIdFor("g", "t", 0)).not.toBe(transactionalIdFor("h", "t", 0));
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
