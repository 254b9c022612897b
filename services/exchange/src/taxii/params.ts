/**
 * The query parameters of the TAXII 2.1 objects and manifest endpoints, checked.
 * Pure: a malformed parameter is refused with its name (400), never guessed at.
 */

export interface Position {
  /** date_added of the last object handed over, ms since the epoch. */
  dateAddedMs: number;
  partition: number;
  /** Kafka offset of the delivery it came from (a decimal string). */
  offset: string;
  /** Index of the object within that delivery's objects. */
  index: number;
}

export interface PageQuery {
  /** Objects added strictly after this instant only (ms since the epoch, microseconds kept apart). */
  addedAfter?: { ms: number; micros: number } | undefined;
  limit: number;
  /** Where the previous page ended (the `next` the server gave). */
  next?: Position | undefined;
  /** match[type], match[id]: an object passes when it is one of the listed; absent: any. */
  types?: ReadonlySet<string> | undefined;
  ids?: ReadonlySet<string> | undefined;
  /** match[version]: which versions of each object; absent: the last only (TAXII's default). */
  versions?: ReadonlySet<"first" | "last" | "all"> | undefined;
}

export type ParamResult = { ok: true; query: PageQuery } | { ok: false; parameter: string; message: string };

/**
 * RFC 3339 in UTC as TAXII 2.1 writes timestamps (`2026-12-07T01:02:03.456Z`, up to
 * microseconds; seconds and the Z are required). A value that parses but names no
 * real instant (month 13, 31 June) is refused.
 */
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?Z$/;

export function parseTimestamp(value: string): { ms: number; micros: number } | undefined {
  const m = TIMESTAMP.exec(value);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const fraction = (m[7] ?? "").padEnd(6, "0");
  const ms = Date.UTC(year, month - 1, day, hour, minute, second) + Number(fraction.slice(0, 3));
  const d = new Date(ms);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day || d.getUTCHours() !== hour || d.getUTCMinutes() !== minute || d.getUTCSeconds() !== second) return undefined;
  return { ms, micros: Number(fraction.slice(3)) };
}

/** A TAXII timestamp of an instant in ms (as date_added and the X-TAXII-Date-Added-* headers carry it). */
export const taxiiTimestamp = (ms: number): string => new Date(ms).toISOString();

const NEXT_VERSION = 1;

/** The opaque `next` token: where a page ended. */
export function encodeNext(p: Position): string {
  return Buffer.from(JSON.stringify({ v: NEXT_VERSION, t: p.dateAddedMs, p: p.partition, o: p.offset, i: p.index })).toString("base64url");
}

export function decodeNext(token: string): Position | undefined {
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(token)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof raw !== "object" || raw === null) return undefined;
  const r = raw as Record<string, unknown>;
  const int = (x: unknown, max: number) => typeof x === "number" && Number.isSafeInteger(x) && x >= 0 && x <= max;
  if (r["v"] !== NEXT_VERSION || !int(r["t"], 8.64e15) || !int(r["p"], 100_000) || !int(r["i"], 1_000_000)) return undefined;
  if (typeof r["o"] !== "string" || !/^(0|[1-9]\d{0,18})$/.test(r["o"])) return undefined;
  return { dateAddedMs: r["t"] as number, partition: r["p"] as number, offset: r["o"], index: r["i"] as number };
}

/** STIX 2.1 object types and ids as match[type] and match[id] name them. */
const STIX_TYPE = /^[a-z][a-z0-9-]{1,249}$/;
const STIX_ID = /^[a-z][a-z0-9-]{1,249}--[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The parameters these endpoints take; any other is refused, so a typo is not silently ignored. */
const KNOWN = new Set(["added_after", "limit", "next", "match[type]", "match[id]", "match[version]", "match[spec_version]"]);

/**
 * Check the query of an objects or manifest request. `limit` defaults to and is
 * capped at `maxLimit` (a larger one is not an error: TAXII lets the server
 * return fewer); zero, a negative or a non-integer is.
 */
export function parsePageQuery(query: Record<string, unknown>, maxLimit: number): ParamResult {
  const refuse = (parameter: string, message: string): ParamResult => ({ ok: false, parameter, message });
  for (const key of Object.keys(query)) if (!KNOWN.has(key)) return refuse(key, `unknown parameter ${JSON.stringify(key.slice(0, 60))}`);
  const single = (key: string): string | undefined | null => {
    const v = query[key];
    if (v === undefined) return undefined;
    return typeof v === "string" ? v : null;
  };
  const out: PageQuery = { limit: maxLimit };

  const addedAfter = single("added_after");
  if (addedAfter === null) return refuse("added_after", "added_after may be given once");
  if (addedAfter !== undefined) {
    const t = parseTimestamp(addedAfter);
    if (!t) return refuse("added_after", "added_after must be a timestamp such as 2026-12-07T01:02:03.456Z (UTC, RFC 3339)");
    out.addedAfter = t;
  }

  const limit = single("limit");
  if (limit === null) return refuse("limit", "limit may be given once");
  if (limit !== undefined) {
    if (!/^[1-9]\d{0,8}$/.test(limit)) return refuse("limit", "limit must be a positive whole number");
    out.limit = Math.min(Number(limit), maxLimit);
  }

  const next = single("next");
  if (next === null) return refuse("next", "next may be given once");
  if (next !== undefined) {
    const p = decodeNext(next);
    if (!p) return refuse("next", "next is not a value this server gave");
    out.next = p;
  }

  const list = (key: string, pattern: RegExp, what: string): ReadonlySet<string> | undefined | string => {
    const v = single(key);
    if (v === null) return `${key} may be given once (a comma-separated list)`;
    if (v === undefined) return undefined;
    const items = v.split(",");
    if (items.length > 100 || items.some((i) => !pattern.test(i))) return `${key} must be a comma-separated list of STIX ${what}`;
    return new Set(items);
  };
  const types = list("match[type]", STIX_TYPE, "object types");
  if (typeof types === "string") return refuse("match[type]", types);
  if (types) out.types = types;
  const ids = list("match[id]", STIX_ID, "ids");
  if (typeof ids === "string") return refuse("match[id]", ids);
  if (ids) out.ids = ids;

  const version = single("match[version]");
  if (version === null || (version !== undefined && !version.split(",").every((v) => v === "last" || v === "first" || v === "all"))) {
    return refuse("match[version]", "match[version] must be a list of last, first and all");
  }
  if (version !== undefined) out.versions = new Set(version.split(",") as ("first" | "last" | "all")[]);
  const spec = single("match[spec_version]");
  if (spec === null || (spec !== undefined && !spec.split(",").every((s) => /^\d\.\d$/.test(s)))) return refuse("match[spec_version]", "match[spec_version] must be a list such as 2.1");
  if (spec !== undefined && !spec.split(",").includes("2.1")) out.types = new Set<string>(); // Nothing here is of another spec version.
  return { ok: true, query: out };
}
