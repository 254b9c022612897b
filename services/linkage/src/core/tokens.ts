import { hash } from "node:crypto";
import { inspect } from "node:util";
import { LinkRule } from "@takitini/proto";

/** Fewest bytes a match key may have (256 bits, HMAC-SHA-256's block of security). */
export const MATCH_KEY_MIN_BYTES = 32;

/**
 * Bytes of a match token: HMAC-SHA-256 truncated to 128 bits. Collisions between
 * different values need ~2^64 tokens (a million people hold a few million), and
 * half the bytes halve the index's memory and the index topic's size.
 */
export const TOKEN_BYTES = 16;

/**
 * The linkage service's secret: the HMAC key of every match token and link id.
 * Supplied by the caller (the service reads it from LINKAGE_KEY_FILE); there is
 * no default, because a token under a known key is a dictionary away from the
 * identifier it came from. Opaque: it never prints, serialises or logs.
 */
export class MatchKey {
  /** The key padded to SHA-256's block and XORed with HMAC's inner and outer pads (RFC 2104). */
  readonly #innerPad: Buffer;
  readonly #outerPad: Buffer;

  constructor(bytes: Uint8Array) {
    if (!(bytes instanceof Uint8Array)) throw new TypeError("a match key is bytes");
    if (bytes.length < MATCH_KEY_MIN_BYTES) throw new RangeError(`a match key needs at least ${MATCH_KEY_MIN_BYTES} bytes (it has ${bytes.length})`);
    // A key longer than the block is hashed first, as HMAC specifies.
    const block = Buffer.alloc(BLOCK_BYTES);
    (bytes.length > BLOCK_BYTES ? hash("sha256", bytes, "buffer") : Buffer.from(bytes)).copy(block);
    this.#innerPad = Buffer.from(block.map((b) => b ^ 0x36));
    this.#outerPad = Buffer.from(block.map((b) => b ^ 0x5c));
    block.fill(0);
  }

  /**
   * HMAC-SHA-256 under the key of an unambiguous encoding of `parts` (encode,
   * below): H(K ⊕ opad ‖ H(K ⊕ ipad ‖ m)), written out over Node's one-shot
   * hash because createHmac's per-call object costs more than the hashing for
   * messages this short (the benchmark's records per second). tokens.test.ts
   * checks it equals createHmac.
   */
  mac(parts: readonly string[]): Buffer {
    const inner = hash("sha256", encode(parts, this.#innerPad), "buffer");
    const outer = Buffer.allocUnsafe(BLOCK_BYTES + inner.length);
    this.#outerPad.copy(outer);
    inner.copy(outer, BLOCK_BYTES);
    return hash("sha256", outer, "buffer");
  }

  toJSON(): string {
    return "[match key]";
  }

  toString(): string {
    return "[match key]";
  }

  [inspect.custom](): string {
    return "[match key]";
  }
}

/** SHA-256's block size in bytes. */
const BLOCK_BYTES = 64;

/**
 * Parts as one byte string, each preceded by its UTF-8 length (4 bytes, big
 * endian), after `prefix` if given: no two different lists of parts encode the
 * same, whatever bytes a part holds, so ("ab", "c") and ("a", "bc") give
 * different MACs. Pure.
 */
export function encode(parts: readonly string[], prefix?: Buffer): Buffer {
  let length = prefix?.length ?? 0;
  for (const p of parts) length += 4 + Buffer.byteLength(p, "utf8");
  const out = Buffer.allocUnsafe(length);
  let at = prefix ? prefix.copy(out) : 0;
  for (const p of parts) {
    const n = out.write(p, at + 4, "utf8");
    out.writeUInt32BE(n, at);
    at += 4 + n;
  }
  return out;
}

/** Domain separation: a token, a link id and anything added later are MACs of different first parts. */
const TOKEN_DOMAIN = "takitini/linkage/token/v1";
const LINK_DOMAIN = "takitini/linkage/link/v1";

/**
 * The match token of a rule's normalised values: HMAC-SHA-256 under the key of
 * (domain, rule, values…), truncated to TOKEN_BYTES. The rule is inside the MAC,
 * so a token of one rule can never equal a token of another, even over the same
 * values (a plate "AB1234" and a document number "AB1234"). Opaque bytes; only
 * equality between tokens under the same key means anything. Pure.
 */
export function matchToken(key: MatchKey, rule: LinkRule, values: readonly string[]): Buffer {
  if (rule === LinkRule.LINK_RULE_UNSPECIFIED) throw new RangeError("a match token needs a rule");
  return key.mac([TOKEN_DOMAIN, rule, ...values]).subarray(0, TOKEN_BYTES);
}

/** One side of a link, as far as its id is concerned. */
export interface LinkEnd {
  readonly eventId: string;
  readonly subjectIndex: number;
}

/**
 * A link's id: keyed and deterministic over the pair (in event-id order) and the
 * rule, formatted as a UUID (RFC 9562 version 8), so the same link found again —
 * after a restart, a rebuild or a replay — has the same id and its alert is
 * recognised as the same event; without the key, an id does not confirm a
 * guessed pair. Pure.
 */
export function linkIdFor(key: MatchKey, a: LinkEnd, b: LinkEnd, rule: LinkRule): string {
  const [x, y] = a.eventId < b.eventId || (a.eventId === b.eventId && a.subjectIndex <= b.subjectIndex) ? [a, b] : [b, a];
  return uuidV8(key.mac([LINK_DOMAIN, x.eventId, String(x.subjectIndex), y.eventId, String(y.subjectIndex), rule]));
}

/** A UUID (version 8, "custom") from the first 128 bits of a digest. */
function uuidV8(digest: Buffer): string {
  const b = Buffer.from(digest.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
