import { bounded, Counter } from "@takitini/runtime";
import type { Kafka, KafkaMessage, Producer } from "kafkajs";
import { accessMessage, briefingViewed, CHANNELS } from "./access.js";
import { digestEmail, type DigestEmail } from "./email.js";
import { deliveryKey, deliveryValue, dueMails, MailIndex, mailingSince, unsubscribeKey, unsubscribeValue, type DueMail, type Recipient } from "./subscriptions.js";
import { IndexedRun, runSettings, type IndexedRunSettings } from "./runner.js";
import { messageId, signUnsubscribe, type UnsubscribeClaim } from "./tokens.js";

/** The mail claimers' transactional id: one per mail topic, shared by every instance. Pure. */
export function mailTransactionalId(mailTopic: string): string {
  return `takitini-briefing-mail.${mailTopic}`;
}

/** The mail index reader's consumer group: this instance's own, fresh each start, committing nothing. Pure. */
export function mailIndexGroupId(groupId: string, instanceId: string, startedAt: number): string {
  return `${groupId}-mail-index-${instanceId}-${startedAt}`;
}

/** What sends an email (nodemailer's transporter is one). */
export interface MailTransport {
  sendMail(message: DigestEmail): Promise<unknown>;
}

export interface MailerOptions extends IndexedRunSettings {
  /** The mail topic: claims, sent records and unsubscribes (compacted). */
  mailTopic: string;
  /** Where the leader digests are read from. */
  digestTopic: string;
  accessTopic: string;
  /** The subscribed recipients now (from the leader accounts file, which may change). */
  recipients: () => Recipient[];
  transport: MailTransport;
  /** The mail secret: recipient ids, unsubscribe tokens, Message-IDs. */
  secret: Uint8Array;
  from: string;
  /** The briefing's public base URL, e.g. https://briefings.example (links in the email). */
  publicUrl: string;
  leaseMs: number;
  maxAttempts: number;
  /** The first delay after a failed send (doubling per attempt, at most 6 h). */
  retryBaseMs: number;
  lookback: number;
  tokenDays: number;
}

/**
 * Emails each leader digest to each subscribed leader of its subscriber, at
 * most once in the normal case, however many instances run and across
 * restarts. Every instance keeps an index of the mail topic and of the leader
 * digests (a read-committed tail of its own). A run, when something is due:
 * 1. initialises the one transactional id every instance shares
 *    (mailTransactionalId), fencing any other instance's claimer;
 * 2. waits for its index to reach the mail topic's last stable offsets: every
 *    claim ever committed is then in it;
 * 3. for each delivery still due: commits a `claimed` record with the email's
 *    access record (one transaction), sends the email through SMTP, and then
 *    records `sent` (or `failed`, retried at a later run up to maxAttempts).
 * A process that dies after its claim and before its `sent` record leaves a
 * claim; once the claim is older than leaseMs the delivery is due again, and
 * is sent again with the same Message-ID: at least once in that case, and a
 * duplicate is recognisable (and collapsed by many mail clients).
 */
export class Mailer extends IndexedRun {
  readonly index = new MailIndex();
  private readonly records: Producer;
  private recordsConnected: Promise<void> | undefined;
  private readonly sent: Counter;
  private readonly failed: Counter<"reason">;
  private readonly unsubscribes: Counter;

  constructor(
    kafka: Kafka,
    private readonly opts: MailerOptions,
  ) {
    const registers = [opts.metrics];
    super(kafka, {
      name: "mail-index",
      topics: [opts.mailTopic, opts.digestTopic],
      groupId: mailIndexGroupId(opts.groupId, opts.instanceId, opts.startedAt ?? Date.now()),
      what: "the mail or the digest topic",
      runFailures: new Counter({ name: "briefing_mail_runs_failed_total", help: "Mail runs that ended early (fenced by another instance, broker away, index behind), by error name", labelNames: ["reason"], registers }),
      failureMessage: "mail run failed; will retry",
      ...runSettings(opts),
    });
    // Sent and failed records and unsubscribes: facts, not claims — written by an idempotent producer, never fenced.
    this.records = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.sent = new Counter({ name: "briefing_emails_sent_total", help: "Digest emails accepted by the SMTP server", registers });
    this.failed = new Counter({ name: "briefing_emails_failed_total", help: "Digest emails not sent (the SMTP server refused or could not be reached), by error name; retried at a later run up to BRIEFING_MAIL_MAX_ATTEMPTS", labelNames: ["reason"], registers });
    this.unsubscribes = new Counter({ name: "briefing_unsubscribes_total", help: "Unsubscribes recorded", registers });
  }

  protected onMessage(topic: string, _partition: number, message: KafkaMessage): void {
    const key = message.key?.toString("utf8");
    if (key === undefined) return;
    if (topic === this.opts.mailTopic) this.index.applyMail(key, message.value);
    else this.index.applyDigest(key, message.value, mailingSince(this.now(), this.opts.lookback));
  }

  private now(): Date {
    return (this.opts.now ?? (() => new Date()))();
  }

  private connectRecords(): Promise<void> {
    this.recordsConnected ??= this.records.connect().catch((err: Error) => {
      this.recordsConnected = undefined;
      throw err;
    });
    return this.recordsConnected;
  }

  private async record(key: string, value: Buffer): Promise<void> {
    await this.connectRecords();
    await this.records.send({ topic: this.opts.mailTopic, acks: -1, messages: [{ key, value }] });
    this.index.applyMail(key, value);
  }

  /** Record that a recipient unsubscribed from their subscriber's digest (durable once this resolves). */
  async unsubscribe(claim: Pick<UnsubscribeClaim, "subscriber" | "recipient">): Promise<void> {
    await this.record(unsubscribeKey(claim.subscriber, claim.recipient), unsubscribeValue(this.now()));
    this.unsubscribes.inc();
    this.opts.logger.info({ subscriber: claim.subscriber, recipient: claim.recipient }, "unsubscribed from the digest email");
  }

  private due(now: Date): DueMail[] {
    this.index.prune(mailingSince(now, this.opts.lookback));
    return dueMails(this.index, this.opts.recipients(), now, { leaseMs: this.opts.leaseMs, maxAttempts: this.opts.maxAttempts, retryBaseMs: this.opts.retryBaseMs, lookback: this.opts.lookback });
  }

  /** Send whatever is due now: claim (fenced), send, record — one delivery at a time. */
  protected async run(): Promise<void> {
    if (!this.loaded || this.due(this.now()).length === 0) return;
    await this.fencedRun(mailTransactionalId(this.opts.mailTopic), [this.opts.mailTopic], async (producer) => {
      for (const d of this.due(this.now())) {
        if (!this.started) break;
        await this.deliver(producer, d);
      }
    });
  }

  private async deliver(producer: Producer, d: DueMail): Promise<void> {
    const now = this.now();
    const b = d.digest.briefing;
    const claimed = deliveryValue({ state: "claimed", at: now.getTime(), attempt: d.attempt });
    const access = briefingViewed({ subscriberId: d.to.subscriber, account: d.to.account, channel: CHANNELS.EMAIL, resource: `email/${d.digest.key}`, regions: [b.region.code] }, now);
    const tx = await producer.transaction();
    try {
      await tx.send({ topic: this.opts.accessTopic, acks: -1, messages: [accessMessage(access)] });
      await tx.send({ topic: this.opts.mailTopic, acks: -1, messages: [{ key: d.key, value: claimed }] });
      await tx.commit();
    } catch (err) {
      // Fenced by another instance, or the broker went away: no claim, nothing sent.
      await tx.abort().catch(() => undefined);
      throw err;
    }
    this.index.applyMail(d.key, claimed);
    const base = this.opts.publicUrl.replace(/\/+$/, "");
    const token = signUnsubscribe(this.opts.secret, { subscriber: d.to.subscriber, recipient: d.to.recipient, expiresAt: new Date(now.getTime() + this.opts.tokenDays * 86_400_000) });
    const email = digestEmail({
      briefing: b,
      from: this.opts.from,
      to: d.to.email,
      messageId: messageId(this.opts.secret, d.digest.key, d.to.recipient, this.opts.from.slice(this.opts.from.lastIndexOf("@") + 1)),
      pageUrl: `${base}/briefings/${encodeURIComponent(b.region.slug)}?week=${encodeURIComponent(b.period.id)}`,
      unsubscribeUrl: `${base}/unsubscribe?token=${encodeURIComponent(token)}`,
    });
    // Logged by keyed ids only: never the address or the account's name.
    const ids = { digest: d.digest.key, recipient: d.to.recipient, attempt: d.attempt };
    try {
      await this.opts.transport.sendMail(email);
    } catch (err) {
      const reason = (err as Error)?.name ?? "Error";
      this.failed.inc({ reason });
      this.opts.logger.warn({ code: "MAIL_SEND_FAILED", ...ids, smtp: { code: (err as { code?: string }).code, responseCode: (err as { responseCode?: number }).responseCode } }, "digest email not sent; retried at a later run");
      await this.record(d.key, deliveryValue({ state: "failed", at: this.now().getTime(), attempt: d.attempt })).catch((e: Error) =>
        this.opts.logger.error({ code: "MAIL_RECORD_FAILED", ...ids, err: { message: e.message } }, "the failure could not be recorded; the claim's lease will let it be retried"),
      );
      return;
    }
    this.sent.inc();
    this.opts.logger.info({ ...ids }, "digest email sent");
    try {
      await this.record(d.key, deliveryValue({ state: "sent", at: this.now().getTime(), attempt: d.attempt }));
    } catch (err) {
      // The email went; its record did not. After the claim's lease it will be sent again, with the same Message-ID.
      this.opts.logger.error({ code: "MAIL_RECORD_FAILED", ...ids, err: { message: (err as Error).message } }, "digest email sent but not recorded: it may be sent again after the claim's lease");
      throw err;
    }
  }

  override async stop(): Promise<void> {
    await super.stop();
    await bounded(this.records.disconnect(), this.opts.stopTimeoutMs ?? 10_000);
  }
}
