import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * What the mail secret (BRIEFING_MAIL_SECRET_FILE) keys, each under a label of
 * its own: a recipient's id (an HMAC of their address, so no address ever
 * reaches Kafka or a log), the unsubscribe token in every digest email, and
 * each email's Message-ID (deterministic, so a copy sent twice is recognisably
 * the same message). Pure.
 */

const mac = (secret: Uint8Array, label: string, data: string) => createHmac("sha256", secret).update(`${label}\0${data}`).digest();

/** A recipient's id: the keyed hash of their address (trimmed, lower-cased); "r" + 22 base64url characters. */
export function recipientId(secret: Uint8Array, email: string): string {
  return `r${mac(secret, "recipient", email.trim().toLowerCase()).toString("base64url").slice(0, 22)}`;
}

/** The Message-ID of the digest email for (digest, recipient): the same on every send; `domain` is the sender address's. */
export function messageId(secret: Uint8Array, digestKey: string, recipient: string, domain: string): string {
  return `<${mac(secret, "message-id", `${digestKey}\0${recipient}`).toString("base64url").slice(0, 32)}@${domain}>`;
}

export const UNSUBSCRIBE_TOKEN_VERSION = "u1";

export interface UnsubscribeClaim {
  /** The community-leader subscriber whose digest the recipient stops receiving. */
  subscriber: string;
  /** recipientId() of their address. */
  recipient: string;
  expiresAt: Date;
}

export type UnsubscribeVerdict = { ok: true; claim: UnsubscribeClaim } | { ok: false; code: "UNSUBSCRIBE_TOKEN_MALFORMED" | "UNSUBSCRIBE_TOKEN_INVALID" | "UNSUBSCRIBE_TOKEN_EXPIRED" };

const TOKEN = /^u1\.([a-z0-9][a-z0-9-]{0,62})\.(r[A-Za-z0-9_-]{22})\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/;

/** `u1.<subscriber>.<recipient>.<expiry, seconds since epoch>.<HMAC-SHA256 of the rest, base64url>`: URL-safe as it is. */
export function signUnsubscribe(secret: Uint8Array, c: UnsubscribeClaim): string {
  const body = `${UNSUBSCRIBE_TOKEN_VERSION}.${c.subscriber}.${c.recipient}.${Math.floor(c.expiresAt.getTime() / 1000)}`;
  return `${body}.${mac(secret, "unsubscribe", body).toString("base64url")}`;
}

/**
 * Check a token: its shape (MALFORMED), its MAC in constant time (INVALID: forged
 * or altered, or signed under another secret), then its expiry (EXPIRED: only a
 * token this service signed can be called expired).
 */
export function verifyUnsubscribe(secret: Uint8Array, token: unknown, now: Date): UnsubscribeVerdict {
  const m = typeof token === "string" && token.length <= 200 ? TOKEN.exec(token) : null;
  if (!m) return { ok: false, code: "UNSUBSCRIBE_TOKEN_MALFORMED" };
  const body = (token as string).slice(0, (token as string).lastIndexOf("."));
  // Compared as canonical base64url text, so no other spelling of the same bytes passes.
  const expected = Buffer.from(mac(secret, "unsubscribe", body).toString("base64url"));
  const given = Buffer.from(m[4]!);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, code: "UNSUBSCRIBE_TOKEN_INVALID" };
  const expiresAt = new Date(Number(m[3]) * 1000);
  if (expiresAt.getTime() <= now.getTime()) return { ok: false, code: "UNSUBSCRIBE_TOKEN_EXPIRED" };
  return { ok: true, claim: { subscriber: m[1]!, recipient: m[2]!, expiresAt } };
}

/**
 * A leader's feed key, for a feed reader (which cannot sign in): an HMAC of
 * the account's name and its credential's hash, so rotating the account's
 * token (or removing the account) ends the key too; it opens the account's
 * feeds and nothing else. `fk1.` + 43 base64url characters.
 */
export function feedKey(secret: Uint8Array, account: { name: string; credential: string }): string {
  return `fk1.${mac(secret, "feed", `${account.name}\0${account.credential}`).toString("base64url")}`;
}

/** The account a feed key belongs to (every account compared in constant time), if any. */
export function accountOfFeedKey<A extends { name: string; credential: string }>(secret: Uint8Array, accounts: readonly A[], key: string | undefined): A | undefined {
  if (key === undefined || !/^fk1\.[A-Za-z0-9_-]{43}$/.test(key)) return undefined;
  const given = Buffer.from(key);
  let found: A | undefined;
  for (const a of accounts) {
    const expected = Buffer.from(feedKey(secret, a));
    if (expected.length === given.length && timingSafeEqual(expected, given)) found = a;
  }
  return found;
}
