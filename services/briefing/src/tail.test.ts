import { describe, expect, it } from "vitest";
import { partitionKey, positionAfter, reached } from "./tail.js";

describe("a tail's position in a partition", () => {
  it("moves past the batch's last offset", () => {
    expect(positionAfter(undefined, "41")).toBe(42n);
    expect(positionAfter(10n, "41")).toBe(42n);
  });
  it("never moves back (a batch fetched again after a restart)", () => {
    expect(positionAfter(50n, "41")).toBe(50n);
  });
});

describe("whether a tail has read to the ends", () => {
  const ends = new Map([
    [partitionKey("t", 0), 10n],
    [partitionKey("t", 1), 3n],
  ]);
  it("has once every partition is at or past its end", () => {
    expect(reached(new Map([["t/0", 10n], ["t/1", 4n]]), ends)).toBe(true);
  });
  it("has not while one partition is behind, or was never read", () => {
    expect(reached(new Map([["t/0", 9n], ["t/1", 4n]]), ends)).toBe(false);
    expect(reached(new Map([["t/0", 10n]]), ends)).toBe(false);
  });
  it("has, trivially, when every partition was empty (no ends)", () => {
    expect(reached(new Map(), new Map())).toBe(true);
  });
});
