import { describe, expect, it } from "vitest";
import { advance, alreadyDelivered, CursorError, decodeCursor, encodeCursor, MAX_CURSOR_LENGTH } from "./cursor.js";

const TOPIC = "takitini.deliver.customs.v1";
const raw = (body: unknown) => Buffer.from(JSON.stringify(body), "utf8").toString("base64url");

function refusal(token: string, topic = TOPIC): CursorError {
  try {
    decodeCursor(token, topic);
  } catch (err) {
    expect(err).toBeInstanceOf(CursorError);
    return err as CursorError;
  }
  throw new Error(`cursor ${token} was accepted`);
}

describe("Subscribe cursor", () => {
  it("round-trips per-partition positions, opaque and URL-safe", () => {
    const positions = new Map([
      [2, "17"],
      [0, "9223372036854775807"],
      [1, "0"],
    ]);
    const token = encodeCursor({ topic: TOPIC, positions });
    expect(token).toMatch(/^[A-Za-z0-9_-]+$/);
    const back = decodeCursor(token, TOPIC);
    expect(back.topic).toBe(TOPIC);
    expect([...back.positions.entries()].sort((a, b) => a[0] - b[0])).toEqual([
      [0, "9223372036854775807"],
      [1, "0"],
      [2, "17"],
    ]);
  });

  it("encodes the same positions to the same token whatever the insertion order", () => {
    const a = encodeCursor({ topic: TOPIC, positions: new Map([[0, "1"], [1, "2"]]) });
    const b = encodeCursor({ topic: TOPIC, positions: new Map([[1, "2"], [0, "1"]]) });
    expect(a).toBe(b);
  });

  it("reads an empty cursor as 'from the oldest' (no positions)", () => {
    expect(decodeCursor("", TOPIC).positions.size).toBe(0);
  });

  it("refuses a cursor issued for another stream", () => {
    const other = encodeCursor({ topic: "takitini.deliver.police.v1", positions: new Map([[0, "3"]]) });
    expect(refusal(other).message).toMatch(/another stream/);
  });

  it.each([
    ["not base64url", "abc+/=", /not base64url/],
    ["not JSON", Buffer.from("{nope").toString("base64url"), /not a cursor this server issued/],
    ["a JSON array", raw([1, 2]), /not a cursor this server issued/],
    ["another version", raw({ v: 2, t: TOPIC, o: [] }), /unsupported version 2/],
    ["no topic", raw({ v: 1, o: [] }), /no topic/],
    ["no positions", raw({ v: 1, t: TOPIC }), /no positions/],
    ["extra fields", raw({ v: 1, t: TOPIC, o: [], x: 1 }), /unexpected fields/],
    ["a negative partition", raw({ v: 1, t: TOPIC, o: [[-1, "3"]] }), /malformed partition/],
    ["a fractional partition", raw({ v: 1, t: TOPIC, o: [[1.5, "3"]] }), /malformed partition/],
    ["a numeric offset", raw({ v: 1, t: TOPIC, o: [[0, 3]] }), /malformed offset/],
    ["a negative offset", raw({ v: 1, t: TOPIC, o: [[0, "-1"]] }), /malformed offset/],
    ["a leading-zero offset", raw({ v: 1, t: TOPIC, o: [[0, "01"]] }), /malformed offset/],
    ["an offset beyond int64", raw({ v: 1, t: TOPIC, o: [[0, "9223372036854775808"]] }), /malformed offset/],
    ["a three-element position", raw({ v: 1, t: TOPIC, o: [[0, "1", "x"]] }), /malformed position/],
    ["a partition named twice", raw({ v: 1, t: TOPIC, o: [[0, "1"], [0, "2"]] }), /partition 0 named twice/],
    ["too long a token", "A".repeat(MAX_CURSOR_LENGTH + 1), /longer than/],
  ])("refuses %s with a clear message on field `cursor`", (_what, token, message) => {
    const err = refusal(token);
    expect(err.message).toMatch(/^cursor is not a valid Subscribe cursor: /);
    expect(err.message).toMatch(message);
    expect(err.path).toBe("cursor");
    expect(err.code).toBe("INVALID_CURSOR");
  });

  it("advances one partition past a record, leaving the input untouched", () => {
    const start = new Map([[0, "5"]]);
    const next = advance(start, 1, "41");
    expect(Object.fromEntries(next)).toEqual({ 0: "5", 1: "42" });
    expect(Object.fromEntries(start)).toEqual({ 0: "5" });
    expect(advance(next, 0, "9223372036854775806").get(0)).toBe("9223372036854775807");
  });

  it("knows what a stream has already handed over", () => {
    const positions = new Map([[0, "10"]]);
    expect(alreadyDelivered(positions, 0, "9")).toBe(true);
    expect(alreadyDelivered(positions, 0, "10")).toBe(false);
    expect(alreadyDelivered(positions, 1, "0")).toBe(false);
  });
});
