import { formatPath, type FieldIssue } from "@takitini/runtime";

/**
 * Input limits every door applies before anything walks a record recursively.
 *
 * Nesting: a native record is at most a few levels deep (persons[0].documents[0]
 * is 4), so 32 levels of objects and arrays is generous for every record kind,
 * and keeps a gRPC Struct within its decoder's recursion limit (100 frames, about
 * three per level). Deeper input is refused as TOO_DEEP — found by scanning the
 * raw text (HTTP body, NDJSON line, CSV `:json` cell) or the raw protobuf bytes
 * (gRPC) without recursion, before JSON.parse or the protobuf decoder runs.
 */
export const MAX_JSON_DEPTH = 32;

export function tooDeepIssue(limit = MAX_JSON_DEPTH): FieldIssue {
  return { path: "", code: "too_deep", message: `objects and arrays nested deeper than ${limit} levels` };
}

/**
 * True when JSON text nests objects and arrays deeper than `limit`. One pass
 * over the characters, no recursion, no parsing: brackets inside strings (and
 * escaped quotes) do not count. Malformed text is left for the parser to refuse.
 */
export function jsonTextTooDeep(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      // Skip to the closing quote; a backslash escapes the next character.
      for (i++; i < n; i++) {
        const s = text.charCodeAt(i);
        if (s === 0x5c /* \ */) i++;
        else if (s === 0x22) break;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
    }
  }
  return false;
}

/**
 * True when a value (parsed JSON, an unwrapped Struct, a CSV row) nests objects
 * and arrays deeper than `limit`. Iterative, and bounded by the limit itself, so a
 * cyclic value ends too.
 */
export function valueTooDeep(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** Keys that could reach an object's prototype; refused anywhere in a record. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(["__proto__", "constructor", "prototype"]);

/** Most issues one check reports: a body of a million forbidden keys gets the first ones. */
export const MAX_REPORTED_ISSUES = 100;

/**
 * Paths of prototype-pollution keys anywhere in a parsed value (JSON.parse and
 * CSV keep them as own keys), the first `MAX_REPORTED_ISSUES` of them, in
 * document order. Iterative; call after `valueTooDeep`.
 */
export function forbiddenKeys(value: unknown): string[] {
  const out: string[] = [];
  const stack: [unknown, (string | number)[]][] = [[value, []]];
  while (stack.length > 0 && out.length < MAX_REPORTED_ISSUES) {
    const [v, path] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    const next: [unknown, (string | number)[]][] = [];
    if (Array.isArray(v)) {
      v.forEach((child, i) => next.push([child, [...path, i]]));
    } else {
      for (const key of Object.keys(v)) {
        if (FORBIDDEN_KEYS.has(key)) {
          if (out.length < MAX_REPORTED_ISSUES) out.push(formatPath([...path, key]));
        } else next.push([(v as Record<string, unknown>)[key], [...path, key]]);
      }
    }
    for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]!);
  }
  return out;
}

// --- gRPC: the raw bytes of a PublishRequest / PublishStreamRequest -------------------------

type Frame =
  | { type: "request"; end: number }
  | { type: "struct"; end: number; depth: number; path: (string | number)[] }
  | { type: "entry"; end: number; depth: number; path: (string | number)[]; key: string | undefined }
  | { type: "value"; end: number; depth: number; path: (string | number)[] }
  | { type: "list"; end: number; depth: number; path: (string | number)[]; index: number };

export interface RequestScan {
  /** The request's record_type (field 1, or `fields.recordType`). */
  recordType: string;
  /** A CorrectRequest's supersedes_event_id (`fields.eventId`); "" for other requests. */
  eventId: string;
  /** The record (a google.protobuf.Struct) nests deeper than the limit. */
  tooDeep: boolean;
  /** Paths of `__proto__` / `constructor` / `prototype` keys in the record (the first ones). */
  forbidden: string[];
}

/** Where a request holds its record type, its record (a Struct) and, for a correction, the event id it names. */
export interface RequestFields {
  recordType: number;
  record: number;
  eventId?: number;
}

/** PublishRequest and PublishStreamRequest: `record_type = 1`, `record = 2`. */
export const PUBLISH_REQUEST_FIELDS: RequestFields = { recordType: 1, record: 2 };
/** CorrectRequest: `supersedes_event_id = 1`, `record_type = 2`, `record = 3`. */
export const CORRECT_REQUEST_FIELDS: RequestFields = { recordType: 2, record: 3, eventId: 1 };

const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * Scan the bytes of an adapter request `{ string record_type = 1;
 * google.protobuf.Struct record = 2; }` without decoding it: no recursion (an
 * explicit stack), no objects built. Finds how deep the record nests — Struct
 * and ListValue levels, and protobuf groups — and any prototype keys, so the
 * door can refuse before the generated decoder (recursive; it turns a key
 * `__proto__` into a prototype) runs. `undefined` for bytes that are not a
 * well-formed message: the decoder refuses those itself.
 */
export function scanRecordRequest(buf: Uint8Array, limit = MAX_JSON_DEPTH, fields: RequestFields = PUBLISH_REQUEST_FIELDS): RequestScan | undefined {
  const scan: RequestScan = { recordType: "", eventId: "", tooDeep: false, forbidden: [] };
  let pos = 0;
  let groups = 0;
  const varint = (): number | undefined => {
    let result = 0;
    let shift = 1;
    for (let i = 0; i < 10; i++) {
      if (pos >= buf.length) return undefined;
      const b = buf[pos++]!;
      result += (b & 0x7f) * shift;
      if ((b & 0x80) === 0) return result;
      shift *= 128;
    }
    return undefined;
  };
  const stack: Frame[] = [{ type: "request", end: buf.length }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (pos >= top.end) {
      if (pos > top.end) return undefined;
      stack.pop();
      continue;
    }
    const tag = varint();
    if (tag === undefined) return undefined;
    const field = Math.floor(tag / 8);
    switch (tag & 7) {
      case 0:
        if (varint() === undefined) return undefined;
        break;
      case 1:
        pos += 8;
        break;
      case 5:
        pos += 4;
        break;
      case 3:
        if (++groups > limit) scan.tooDeep = true;
        break;
      case 4:
        if (--groups < 0) return undefined;
        break;
      case 2: {
        const len = varint();
        if (len === undefined || pos + len > top.end) return undefined;
        const end = pos + len;
        let child: Frame | undefined;
        if (top.type === "request" && field === fields.record) child = { type: "struct", end, depth: 1, path: [] };
        else if (top.type === "struct" && field === 1) child = { type: "entry", end, depth: top.depth, path: top.path, key: undefined };
        else if (top.type === "entry" && field === 2) child = { type: "value", end, depth: top.depth, path: [...top.path, top.key ?? "?"] };
        else if (top.type === "value" && field === 5) child = { type: "struct", end, depth: top.depth + 1, path: top.path };
        else if (top.type === "value" && field === 6) child = { type: "list", end, depth: top.depth + 1, path: top.path, index: 0 };
        else if (top.type === "list" && field === 1) child = { type: "value", end, depth: top.depth, path: [...top.path, top.index++] };
        if (child && (child.type === "struct" || child.type === "list") && child.depth > limit) {
          scan.tooDeep = true; // skip the subtree: the record is refused whatever it holds
          pos = end;
        } else if (child) {
          stack.push(child);
        } else {
          if (top.type === "request" && field === fields.recordType) scan.recordType = utf8.decode(buf.subarray(pos, end));
          if (top.type === "request" && field === fields.eventId) scan.eventId = utf8.decode(buf.subarray(pos, end));
          if (top.type === "entry" && field === 1) {
            top.key = utf8.decode(buf.subarray(pos, end));
            if (FORBIDDEN_KEYS.has(top.key) && scan.forbidden.length < MAX_REPORTED_ISSUES) scan.forbidden.push(formatPath([...top.path, top.key]));
          }
          pos = end;
        }
        break;
      }
      default:
        return undefined;
    }
  }
  return groups === 0 ? scan : undefined;
}
