import { CorrectRequest, PublishRequest } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { CORRECT_REQUEST_FIELDS, forbiddenKeys, jsonTextTooDeep, MAX_JSON_DEPTH, MAX_REPORTED_ISSUES, scanRecordRequest, valueTooDeep } from "./limits.js";

const arrays = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
const objects = (depth: number) => `${'{"a":'.repeat(depth - 1)}{}${"}".repeat(depth - 1)}`;
/** A parsed value `depth` levels deep, built without recursion. */
const deepValue = (depth: number) => {
  let v: unknown = {};
  for (let i = 1; i < depth; i++) v = i % 2 ? [v] : { a: v };
  return v;
};

describe("jsonTextTooDeep", () => {
  it("allows 32 levels and refuses 33, of arrays, objects or both", () => {
    expect(MAX_JSON_DEPTH).toBe(32);
    expect(jsonTextTooDeep(arrays(32))).toBe(false);
    expect(jsonTextTooDeep(arrays(33))).toBe(true);
    expect(jsonTextTooDeep(objects(32))).toBe(false);
    expect(jsonTextTooDeep(objects(33))).toBe(true);
    expect(jsonTextTooDeep(`{"a":[${'{"b":['.repeat(16)}1${"]}".repeat(16)}]}`)).toBe(true);
  });

  it("finds a 10,000-deep body without recursion, and stops early", () => {
    expect(jsonTextTooDeep(arrays(10_000))).toBe(true);
    expect(jsonTextTooDeep("[".repeat(1_000_000))).toBe(true);
  });

  it("counts depth, not brackets: siblings and brackets inside strings do not add up", () => {
    expect(jsonTextTooDeep(`[${Array.from({ length: 1000 }, () => "[[]]").join(",")}]`)).toBe(false);
    expect(jsonTextTooDeep(JSON.stringify({ note: "[".repeat(100), other: '"{{{{\\' + "{".repeat(100) }))).toBe(false);
    expect(jsonTextTooDeep(JSON.stringify({ k: 'a\\"[[[' }) + arrays(33))).toBe(true);
  });

  it("leaves malformed text to the parser", () => {
    expect(jsonTextTooDeep("{oops")).toBe(false);
    expect(jsonTextTooDeep('"unterminated [[[[')).toBe(false);
    expect(jsonTextTooDeep("]]]]")).toBe(false);
  });

  it("takes a limit", () => {
    expect(jsonTextTooDeep(arrays(3), 2)).toBe(true);
    expect(jsonTextTooDeep(arrays(2), 2)).toBe(false);
  });
});

describe("valueTooDeep", () => {
  it("allows 32 levels and refuses 33", () => {
    expect(valueTooDeep(JSON.parse(objects(32)))).toBe(false);
    expect(valueTooDeep(JSON.parse(objects(33)))).toBe(true);
    expect(valueTooDeep(deepValue(32))).toBe(false);
    expect(valueTooDeep(deepValue(33))).toBe(true);
  });

  it("walks 100,000 levels without recursion, and ends on a cycle", () => {
    expect(valueTooDeep(deepValue(100_000))).toBe(true);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(valueTooDeep(cyclic)).toBe(true);
  });

  it("passes scalars and wide, shallow values", () => {
    expect(valueTooDeep("x")).toBe(false);
    expect(valueTooDeep(null)).toBe(false);
    expect(valueTooDeep(Array.from({ length: 10_000 }, () => ({ a: [1] })))).toBe(false);
  });
});

describe("forbiddenKeys", () => {
  it("names every prototype key by path, in document order, without descending into them", () => {
    expect(forbiddenKeys(JSON.parse('{"a":{"constructor":{"prototype":1}},"b":[{"__proto__":{}},{"prototype":2}],"c":1}'))).toEqual(["a.constructor", "b[0].__proto__", "b[1].prototype"]);
    expect(forbiddenKeys({ fine: { nested: ["x"] } })).toEqual([]);
  });

  it("reports the first ones of a body full of them", () => {
    const many = JSON.parse(`[${Array.from({ length: 5000 }, () => '{"constructor":1}').join(",")}]`);
    expect(forbiddenKeys(many)).toHaveLength(MAX_REPORTED_ISSUES);
    expect(forbiddenKeys(many)[0]).toBe("[0].constructor");
  });
});

/** A length-delimited protobuf field: tag, varint length, bytes. */
function tagged(field: number, body: Uint8Array): Buffer {
  const len: number[] = [];
  for (let n = body.length; ; n >>>= 7) {
    if (n < 0x80) {
      len.push(n);
      break;
    }
    len.push((n & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from([(field << 3) | 2, ...len]), body]);
}

/** A PublishRequest's bytes with a record nested `depth` levels deep (objects and lists), built without the recursive encoder. */
function deepRequest(depth: number, recordType = "sighting"): Uint8Array {
  const entry = (value: Uint8Array) => tagged(1, Buffer.concat([tagged(1, Buffer.from("a")), tagged(2, value)]));
  // Value{struct_value: {}} is one level; each wrap adds one: Value{list_value: [v]} or Value{struct_value: {a: v}}.
  let value: Uint8Array = tagged(5, new Uint8Array(0));
  for (let level = 2; level < depth; level++) value = level % 2 ? tagged(6, tagged(1, value)) : tagged(5, entry(value));
  return Buffer.concat([tagged(1, Buffer.from(recordType)), tagged(2, entry(value))]);
}

/** A record `depth` levels deep as a value: objects and lists by turns, an object outside. */
function nestedRecord(depth: number): Record<string, unknown> {
  let v: unknown = {};
  for (let level = 2; level < depth; level++) v = level % 2 ? [v] : { a: v };
  return { a: v };
}

describe("scanRecordRequest", () => {
  it("reads the record type and finds nothing wrong in an ordinary request", () => {
    const bytes = PublishRequest.encode({ recordType: "sighting", record: { ref: "S-1", tags: ["a", { x: [1, null, true] }], n: 2.5 } }).finish();
    expect(scanRecordRequest(bytes)).toEqual({ recordType: "sighting", eventId: "", tooDeep: false, forbidden: [] });
    expect(scanRecordRequest(PublishRequest.encode({ recordType: "x", record: undefined }).finish())).toEqual({ recordType: "x", eventId: "", tooDeep: false, forbidden: [] });
  });

  it("counts Struct and ListValue levels as JSON does: 32 pass, 33 do not", () => {
    for (const [depth, tooDeep] of [[2, false], [32, false], [33, true], [40, true]] as const) {
      expect(valueTooDeep(nestedRecord(depth))).toBe(tooDeep);
      expect(scanRecordRequest(PublishRequest.encode({ recordType: "t", record: nestedRecord(depth) }).finish())?.tooDeep).toBe(tooDeep);
      expect(scanRecordRequest(deepRequest(depth))?.tooDeep).toBe(tooDeep);
    }
    // Depth 32 stays within the generated decoder's own recursion limit.
    expect(PublishRequest.decode(deepRequest(32)).record).toEqual(nestedRecord(32));
  });

  it("finds a 3,000-deep record in the raw bytes, and still reads the record type", () => {
    const scan = scanRecordRequest(deepRequest(3_000, "deep_one"));
    expect(scan).toEqual({ recordType: "deep_one", eventId: "", tooDeep: true, forbidden: [] });
    expect(() => PublishRequest.decode(deepRequest(3_000))).toThrow(); // what the door would have answered with INTERNAL
  });

  it("names prototype keys by path, which the generated decoder would drop or turn into a prototype", () => {
    // "__PROTO__" written by the encoder, then made "__proto__": the encoder, like the decoder, would take it for a prototype.
    const encoded = Buffer.from(PublishRequest.encode({ recordType: "t", record: { ok: "x", __PROTO__: { admin: true }, persons: [{ name: "A" }, { constructor: 1 }] } }).finish());
    const bytes = Buffer.from(encoded.toString("latin1").replace("__PROTO__", "__proto__"), "latin1");
    expect(scanRecordRequest(bytes)).toEqual({ recordType: "t", eventId: "", tooDeep: false, forbidden: ["__proto__", "persons[1].constructor"] });
    expect(Object.keys(PublishRequest.decode(bytes).record ?? {})).toEqual(["ok", "persons"]); // the decoder drops it silently
  });

  it("reads a CorrectRequest's fields where they are: the event id, the record type and the record", () => {
    const encoded = Buffer.from(CorrectRequest.encode({ supersedesEventId: "e-1", recordType: "t", record: { ok: "x", __PROTO__: 1, deep: nestedRecord(40) } }).finish());
    const bytes = Buffer.from(encoded.toString("latin1").replace("__PROTO__", "__proto__"), "latin1");
    expect(scanRecordRequest(bytes, MAX_JSON_DEPTH, CORRECT_REQUEST_FIELDS)).toEqual({ recordType: "t", eventId: "e-1", tooDeep: true, forbidden: ["__proto__"] });
  });

  it("counts nested protobuf groups as depth, and leaves malformed bytes to the decoder", () => {
    const groups = (n: number) => Buffer.concat([Buffer.alloc(n, (3 << 3) | 3), Buffer.alloc(n, (3 << 3) | 4)]);
    expect(scanRecordRequest(groups(10))?.tooDeep).toBe(false);
    expect(scanRecordRequest(groups(200))?.tooDeep).toBe(true);
    expect(scanRecordRequest(Buffer.from([0x12, 0x7f, 0x01]))).toBeUndefined(); // length past the end
    expect(scanRecordRequest(Buffer.from([0x0f]))).toBeUndefined(); // wire type 7
    expect(scanRecordRequest(Buffer.from([0x1c]))).toBeUndefined(); // end group without a start
  });
});
