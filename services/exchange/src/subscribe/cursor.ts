/**
 * The Subscribe cursor: an opaque base64url token naming, for each partition of
 * the partner's delivery topic, the next offset to hand over. The client holds it;
 * the server keeps no state. Partitions it does not name start from the oldest
 * retained delivery. Pure.
 *
 * Wire form (inside the base64url): JSON `{"v":1,"t":"<topic>","o":[[partition,"offset"],…]}`,
 * partitions ascending. The topic binds a cursor to one stream, so a cursor from
 * another partner's (or a renamed) topic is refused rather than misapplied.
 */

export const CURSOR_VERSION = 1;
/** Largest cursor accepted, in characters (a few hundred partitions' worth). */
export const MAX_CURSOR_LENGTH = 8192;
const MAX_PARTITIONS = 1024;
const OFFSET = /^(0|[1-9][0-9]{0,18})$/;
const INT64_MAX = 9223372036854775807n;

/** Next offset to read, per partition, as decimal strings (Kafka offsets are int64). */
export type Positions = ReadonlyMap<number, string>;

export interface Cursor {
  topic: string;
  positions: Positions;
}

export class CursorError extends Error {
  /** Field path of the offending request field. */
  readonly path = "cursor";
  readonly code = "INVALID_CURSOR";
  constructor(detail: string) {
    super(`cursor is not a valid Subscribe cursor: ${detail}`);
    this.name = "CursorError";
  }
}

export function encodeCursor(cursor: Cursor): string {
  const o = [...cursor.positions.entries()].sort((a, b) => a[0] - b[0]);
  return Buffer.from(JSON.stringify({ v: CURSOR_VERSION, t: cursor.topic, o }), "utf8").toString("base64url");
}

/**
 * Decode a cursor for `topic`. An empty string is "from the oldest"; anything
 * malformed, from another version or for another topic throws a CursorError.
 */
export function decodeCursor(token: string, topic: string): Cursor {
  if (token === "") return { topic, positions: new Map() };
  if (token.length > MAX_CURSOR_LENGTH) throw new CursorError(`longer than ${MAX_CURSOR_LENGTH} characters`);
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw new CursorError("not base64url");
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    throw new CursorError("not a cursor this server issued");
  }
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw new CursorError("not a cursor this server issued");
  const { v, t, o, ...rest } = body as Record<string, unknown>;
  if (Object.keys(rest).length > 0) throw new CursorError("unexpected fields");
  if (v !== CURSOR_VERSION) throw new CursorError(`unsupported version ${JSON.stringify(v)?.slice(0, 20)}`);
  if (typeof t !== "string") throw new CursorError("no topic");
  if (t !== topic) throw new CursorError("issued for another stream");
  if (!Array.isArray(o)) throw new CursorError("no positions");
  if (o.length > MAX_PARTITIONS) throw new CursorError("too many partitions");
  const positions = new Map<number, string>();
  for (const entry of o) {
    if (!Array.isArray(entry) || entry.length !== 2) throw new CursorError("malformed position");
    const [partition, offset] = entry as [unknown, unknown];
    if (typeof partition !== "number" || !Number.isInteger(partition) || partition < 0 || partition >= 1_000_000) {
      throw new CursorError("malformed partition");
    }
    if (typeof offset !== "string" || !OFFSET.test(offset) || BigInt(offset) > INT64_MAX) throw new CursorError("malformed offset");
    if (positions.has(partition)) throw new CursorError(`partition ${partition} named twice`);
    positions.set(partition, offset);
  }
  return { topic, positions };
}

/** Positions after handing over the record at `offset` of `partition`. */
export function advance(positions: Positions, partition: number, offset: string): Map<number, string> {
  const next = new Map(positions);
  next.set(partition, (BigInt(offset) + 1n).toString());
  return next;
}

/** Whether a record was already handed over on this stream (its offset is before the position). */
export function alreadyDelivered(positions: Positions, partition: number, offset: string): boolean {
  const at = positions.get(partition);
  return at !== undefined && BigInt(offset) < BigInt(at);
}
