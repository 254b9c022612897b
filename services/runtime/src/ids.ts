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

/**
 * The agencies whose adapters mint event ids, with the number each has in the
 * protobuf `Agency` enum: that number is the low 4 bits of the last byte of
 * every event id the agency's adapter derives, so anyone (an adapter refusing
 * another agency's id, the exchange) can tell an id's agency without the key.
 */
export const EVENT_ID_AGENCIES = { POLICE: 1, CUSTOMS: 2, MBIE: 3, MSD: 4 } as const;

export type EventIdAgency = keyof typeof EVENT_ID_AGENCIES;

function agencyNibble(agency: string): number {
  const n = (EVENT_ID_AGENCIES as Record<string, number>)[agency];
  if (n === undefined) throw new Error(`no event ids for agency "${agency}" (expected one of ${Object.keys(EVENT_ID_AGENCIES).join(", ")})`);
  return n;
}

/** A UUID (RFC 9562 version 8, "custom") made from the first 128 bits of a digest, its last byte's low 4 bits set to `nibble`. */
function uuidV8(digest: Buffer, nibble: number): string {
  const b = Buffer.from(digest.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | 0x80;
  b[8] = (b[8]! & 0x3f) | 0x80;
  b[15] = (b[15]! & 0xf0) | (nibble & 0x0f);
  const h = b.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const UUID_V8 = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Is `id` in the form event ids take (a lower-case RFC 9562 UUID, version 8)? */
export function isEventId(id: string): boolean {
  return UUID_V8.test(id);
}

/**
 * The agency whose adapter derived an event id (its last byte's low 4 bits),
 * or undefined for a string that is not an event id or names no agency.
 */
export function agencyOfEventId(id: string): EventIdAgency | undefined {
  if (!isEventId(id)) return undefined;
  const nibble = parseInt(id.slice(-1), 16);
  return (Object.entries(EVENT_ID_AGENCIES) as [EventIdAgency, number][]).find(([, n]) => n === nibble)?.[0];
}

/**
 * Event id for an agency's native record: resubmitting the record yields the
 * same id, but only a holder of the key can compute it — an id seen downstream
 * (by a partner, in a briefing, in a log) does not confirm a guessed native id,
 * as an unkeyed hash (the v5 UUIDs this replaced) would. The last hex digit is
 * the agency's (`agencyOfEventId`).
 */
export function eventIdFor(key: EventIdKey, agency: string, nativeRecordId: string): string {
  return uuidV8(key.mac(["takitini/event/v3", agency, nativeRecordId].join("\u001f")), agencyNibble(agency));
}

/**
 * Event id of the correction of one version of a record (`supersededEventId`):
 * one correction per version, so sending the same correction again is the same
 * event. Keyed like `eventIdFor`, with the same agency digit.
 */
export function correctionIdFor(key: EventIdKey, agency: string, supersededEventId: string): string {
  return uuidV8(key.mac(["takitini/correction/v1", agency, supersededEventId].join("\u001f")), agencyNibble(agency));
}

/**
 * Event id of the withdrawal of a record (named by its first version,
 * `originalEventId`): one withdrawal per record, so withdrawing it again is the
 * same event. Keyed like `eventIdFor`, with the same agency digit.
 */
export function withdrawalIdFor(key: EventIdKey, agency: string, originalEventId: string): string {
  return uuidV8(key.mac(["takitini/withdrawal/v1", agency, originalEventId].join("\u001f")), agencyNibble(agency));
}

/** Decision id for one (event, subscriber) pair: exactly one decision per pair. */
export function decisionIdFor(eventId: string, subscriberId: string): string {
  return deterministicId("decision", eventId, subscriberId);
}
