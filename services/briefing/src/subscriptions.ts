import type { LeaderAccount } from "./auth.js";
import type { Briefing } from "./briefing.js";
import { DIGEST_SCHEMA } from "./digest.js";
import { addWeeks, lastCompleted } from "./periods.js";
import { recipientId } from "./tokens.js";

/**
 * Who receives the weekly digest by email, and what has been sent: pure.
 *
 * A leader is subscribed when their account (in the leader accounts file) has
 * an `email`, is not disabled and has not expired, and they have not
 * unsubscribed. They receive each leader digest of their subscriber (one per
 * region in its scope and completed week) once.
 *
 * The mail topic (BRIEFING_MAIL_TOPIC, compacted, kept forever) is the
 * memory every instance shares. It holds only keyed ids, never an address:
 * - `mail/<digest key>/<recipient id>` → a delivery's latest state: `claimed`
 *   (written, in a fenced transaction, before the send), `sent` or `failed`
 *   (after it);
 * - `unsubscribed/<subscriber>/<recipient id>` → the recipient unsubscribed.
 */

export const MAIL_SCHEMA = "takitini.briefing.mail.v1";

export interface Recipient {
  subscriber: string;
  /** recipientId(): the keyed hash of the address. */
  recipient: string;
  /** Personal information: used to send, never logged, never written to Kafka. */
  email: string;
  account: { name: string; role: string };
}

/** The recipients of the accounts: each live account with an address. */
export function recipientsFrom(accounts: readonly LeaderAccount[], secret: Uint8Array, now: Date): Recipient[] {
  return accounts
    .filter((a) => a.email !== undefined && !a.disabled && (a.expiresAt === undefined || a.expiresAt.getTime() > now.getTime()))
    .map((a) => ({ subscriber: a.subscriber, recipient: recipientId(secret, a.email!), email: a.email!, account: { name: a.name, role: a.role } }));
}

export type DeliveryState = "claimed" | "sent" | "failed";

export interface Delivery {
  state: DeliveryState;
  /** When the state was written (ms since epoch). */
  at: number;
  /** The send attempt this state is about (1, 2, …). */
  attempt: number;
}

export const deliveryKey = (digestKey: string, recipient: string) => `mail/${digestKey}/${recipient}`;
export const unsubscribeKey = (subscriber: string, recipient: string) => `unsubscribed/${subscriber}/${recipient}`;

export function deliveryValue(d: Delivery): Buffer {
  return Buffer.from(JSON.stringify({ schema: MAIL_SCHEMA, state: d.state, at: new Date(d.at).toISOString(), attempt: d.attempt }), "utf8");
}

export function unsubscribeValue(at: Date): Buffer {
  return Buffer.from(JSON.stringify({ schema: MAIL_SCHEMA, unsubscribed: true, at: at.toISOString() }), "utf8");
}

/** A leader digest held for mailing: from the digest topic's value. */
export interface HeldDigest {
  key: string;
  subscriber: string;
  period: string;
  briefing: Briefing;
}

/** The state of mailing, as read from the mail topic and the digest topic. */
export class MailIndex {
  readonly deliveries = new Map<string, Delivery>();
  readonly unsubscribed = new Set<string>();
  readonly digests = new Map<string, HeldDigest>();

  /** Apply one record of the mail topic; anything unreadable is ignored (and reported false). */
  applyMail(key: string, value: Buffer | null): boolean {
    if (value === null) {
      this.deliveries.delete(key);
      this.unsubscribed.delete(key);
      return true;
    }
    const v = parse(value);
    if (!v || v["schema"] !== MAIL_SCHEMA) return false;
    if (key.startsWith("unsubscribed/")) {
      if (v["unsubscribed"] === true) this.unsubscribed.add(key);
      else this.unsubscribed.delete(key);
      return true;
    }
    const state = v["state"];
    const at = Date.parse(String(v["at"]));
    const attempt = Number(v["attempt"]);
    if (!key.startsWith("mail/") || (state !== "claimed" && state !== "sent" && state !== "failed") || Number.isNaN(at) || !Number.isInteger(attempt)) return false;
    this.deliveries.set(key, { state, at, attempt });
    return true;
  }

  /** Hold a leader digest of the digest topic whose week is not before `since`; the public tier's and older ones are not mailed. */
  applyDigest(key: string, value: Buffer | null, since: string): boolean {
    const v = value && parse(value);
    if (!v || v["schema"] !== DIGEST_SCHEMA || typeof v["audience"] !== "string" || !v["audience"].startsWith("leader.")) return false;
    const briefing = v["briefing"] as Briefing | undefined;
    const period = briefing?.period?.id;
    if (typeof period !== "string" || period < since) return false;
    this.digests.set(key, { key, subscriber: v["audience"].slice("leader.".length), period, briefing: briefing! });
    return true;
  }

  /** Forget digests before `since` (they are past the mailing window). */
  prune(since: string): void {
    for (const [k, d] of this.digests) if (d.period < since) this.digests.delete(k);
  }
}

function parse(value: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(value.toString("utf8"));
    return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** The first week still mailed: the last `lookback` completed weeks are. */
export function mailingSince(now: Date, lookback: number): string {
  return addWeeks(lastCompleted("week", now), -(lookback - 1));
}

export interface DueMail {
  key: string;
  digest: HeldDigest;
  to: Recipient;
  /** This send's attempt number. */
  attempt: number;
}

export interface DueOptions {
  /** A claim younger than this is a send in progress (by any instance); older, its sender is taken to have died. */
  leaseMs: number;
  /** Failed (or lost) attempts after which a delivery is given up. */
  maxAttempts: number;
  /** After a failed attempt n, the next is due retryBaseMs × 2^(n−1) later (at most 6 h): an SMTP outage does not use up the attempts at once. */
  retryBaseMs: number;
  lookback: number;
}

/** How long after failed attempt `attempt` the next is due. Pure. */
export function retryDelay(attempt: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 6 * 3_600_000);
}

/**
 * The emails to send now: for every held leader digest in the mailing window
 * and every subscribed recipient of its subscriber, unless it was sent, or
 * claimed within the lease, or failed less than its retry delay ago, or has used
 * up its attempts. A claim past its lease
 * — the process died between claiming and recording — is sent again (at least
 * once, with the same Message-ID).
 */
export function dueMails(index: MailIndex, recipients: readonly Recipient[], now: Date, opts: DueOptions): DueMail[] {
  const since = mailingSince(now, opts.lookback);
  const out: DueMail[] = [];
  const digests = [...index.digests.values()].filter((d) => d.period >= since).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (const digest of digests) {
    for (const to of recipients) {
      if (to.subscriber !== digest.subscriber || index.unsubscribed.has(unsubscribeKey(to.subscriber, to.recipient))) continue;
      const key = deliveryKey(digest.key, to.recipient);
      const d = index.deliveries.get(key);
      if (d?.state === "sent") continue;
      if (d?.state === "claimed" && now.getTime() - d.at < opts.leaseMs) continue;
      if (d?.state === "failed" && now.getTime() - d.at < retryDelay(d.attempt, opts.retryBaseMs)) continue;
      const attempt = (d?.attempt ?? 0) + 1;
      if (attempt > opts.maxAttempts) continue;
      out.push({ key, digest, to, attempt });
    }
  }
  return out;
}
