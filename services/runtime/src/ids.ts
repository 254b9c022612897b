import { createHmac } from "node:crypto";
import { readFileSync, statSync } from "node:fs";
import { v5 as uuidv5 } from "uuid";

/** Namespace for every deterministic id the mesh derives (a fixed random UUID). */
export const TAKITINI_NAMESPACE = "6f1d2c8e-3b7a-4f0e-9a51-2d4c6b8e0f17";

/** Deterministic UUID (v5) for a name: the same name always yields the same id. */
export function deterministicId(...parts: string[]): string {
  return uuidv5(parts.join("\u001f"), TAKITINI_NAMESPACE);
}

/** Fewest bytes an event-id key may have (256 bits). */
export const EVENT_ID_KEY_MIN_BYTES = 32;

/**
 * The secret the agency adapters share to derive event ids (EVENT_ID_KEY_FILE).
 * Opaque: only `eventIdFor` reads it, and it never prints.
 */
export class EventIdKey {
  readonly #bytes: Buffer;
  constructor(bytes: Uint8Array) {
    if (bytes.length < EVENT_ID_KEY_MIN_BYTES) throw new Error(`an event-id key needs at least ${EVENT_ID_KEY_MIN_BYTES} bytes (it has ${bytes.length})`);
    this.#bytes = Buffer.from(bytes);
  }
  /** HMAC-SHA-256 under the key. */
  mac(message: string): Buffer {
    return createHmac("sha256", this.#bytes).update(message, "utf8").digest();
  }
  toJSON(): string {
    return "[event-id key]";
  }
}

/**
 * Read the event-id key from a file: its raw bytes, or a hex or base64 text of
 * them (a trailing newline is ignored). The file must not be readable by group
 * or others, and must hold at least 32 bytes of key.
 */
export function readEventIdKey(file: string): EventIdKey {
  return new EventIdKey(readSecretKeyFile(file, "an event-id key"));
}

/**
 * Read a secret key from a file (the adapters' event-id key, the linkage
 * service's match key): its raw bytes, or a hex or base64 text of them (a
 * trailing newline is ignored). The file must not be readable by group or
 * others; `what` names the key in the error.
 */
export function readSecretKeyFile(file: string, what: string, minBytes = EVENT_ID_KEY_MIN_BYTES): Buffer {
  const mode = statSync(file).mode & 0o077;
  if (mode !== 0) throw new Error(`${file}: ${what} file must be readable by its owner only (chmod 600)`);
  const raw = readFileSync(file);
  const text = raw.toString("utf8").trim();
  const key =
    /^[0-9a-f]+$/i.test(text) && text.length % 2 === 0 && text.length >= minBytes * 2
      ? Buffer.from(text, "hex")
      : /^[A-Za-z0-9+/_-]+={0,2}$/.test(text) && text.length >= 44
        ? Buffer.from(text, "base64")
        : raw;
  if (key.length < minBytes) throw new Error(`${file}: ${what} needs at least ${minBytes} bytes (it has ${key.length})`);
  return key;
}

/** A UUID (RFC 9562 version 8, "custom") made from the first 128 bits of a digest. */
function uuidV8(digest: Buffer): string {
  const b = Buffer.from(digest.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Event id for an agency's native record: resubmitting the record yields the
 * same id, but only a holder of the key can compute it — an id seen downstream
 * (by a partner, in a briefing, in a log) does not confirm a guessed native id,
 * as an unkeyed hash (the v5 UUIDs this replaced) would.
 */
export function eventIdFor(key: EventIdKey, agency: string, nativeRecordId: string): string {
  return uuidV8(key.mac(["takitini/event/v2", agency, nativeRecordId].join("\u001f")));
}

/** Decision id for one (event, subscriber) pair: exactly one decision per pair. */
export function decisionIdFor(eventId: string, subscriberId: string): string {
  return deterministicId("decision", eventId, subscriberId);
}
