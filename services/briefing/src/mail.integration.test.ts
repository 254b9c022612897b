/**
 * The digest by email on a real Apache Kafka broker (infra's launcher) and a
 * real SMTP server (nodemailer's smtp-server, on a free loopback port), read
 * back as received:
 * - a leader digest on the digest topic arrives once at each subscribed leader
 *   of its subscriber (text + HTML, List-Unsubscribe one-click, a deterministic
 *   Message-ID), with one access record per email, and no address on Kafka;
 * - the mailer restarted (a new instance, fresh index) and two instances
 *   running at once: still once;
 * - a claim left by an instance that died between claiming and recording is
 *   sent again once its lease has passed (at least once, same Message-ID),
 *   and not before;
 * - the unsubscribe link (one-click POST, through the HTTP door) stops the next
 *   week's digest for that leader only; a forged token is refused;
 * - the SMTP server unreachable: each email recorded failed, then sent once
 *   after the retry delay.
 */
import { randomBytes } from "node:crypto";
import { AccessRecord } from "@takitini/proto";
import { Counter, createLogger, createMetricsRegistry } from "@takitini/runtime";
import { simpleParser, type ParsedMail } from "mailparser";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headersOf, listUnsubscribe, localSmtp, type LocalSmtp } from "../../../test/mail/smtp.ts";
import { readUntil, restartableBroker, until, type RestartableBroker } from "../../../test/recovery/broker.ts";
import { leaderGateWithTokens } from "./accounts.fixture.js";
import { briefingAppForTests } from "./app.fixture.js";
import { EASTERN, easternDigest, leader, MAIL_SECRET } from "./mail.fixture.js";
import { Mailer } from "./mailer.js";
import { deliveryKey, deliveryValue, recipientsFrom } from "./subscriptions.js";
import { messageId, recipientId, signUnsubscribe } from "./tokens.js";
import { registerUnsubscribe } from "./unsubscribe.js";

const logger = createLogger("briefing-mail-test", (process.env.TEST_LOG_LEVEL ?? "silent") as "silent");
const recovery = { backoff: { baseMs: 300, maxMs: 3000 }, stallMs: 8000, stopTimeoutMs: 5000 };
const LEASE_MS = 60_000;

let broker: RestartableBroker;
let smtp: LocalSmtp;
let smtpPort: number;
/** What the SMTP server received, parsed. */
const received: { envelopeTo: string[]; mail: ParsedMail; raw: string }[] = [];

beforeAll(async () => {
  smtp = await localSmtp();
  smtpPort = smtp.port;
  broker = await restartableBroker("briefing-mail", logger);
}, 180_000);
afterAll(async () => {
  await smtp?.close();
  await broker?.close();
}, 120_000);

/** Parse what arrived since the last call. */
async function parseReceived(): Promise<void> {
  for (const m of smtp.received.slice(received.length)) received.push({ envelopeTo: m.to, mail: await simpleParser(m.raw), raw: m.raw });
}

async function topics(t: { digest: string; access: string; mail: string }): Promise<void> {
  const admin = broker.kafka("admin").admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      { topic: t.digest, numPartitions: 2, replicationFactor: 1 },
      { topic: t.access, numPartitions: 2, replicationFactor: 1 },
      { topic: t.mail, numPartitions: 2, replicationFactor: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] },
    ],
  });
  await admin.disconnect();
}

async function produce(topic: string, messages: { key: string; value: Buffer }[]): Promise<void> {
  const producer = broker.kafka("digest-writer").producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages });
  await producer.disconnect();
}

const ACCOUNTS = [
  leader("Rangi Parata", { email: "rangi@example.org" }),
  leader("Aroha Ngata", { email: "aroha@example.org" }),
  leader("Without Address"),
  leader("Northland Leader", { email: "north@example.org", subscriber: "community-northland" }),
];

describe("the weekly digest by email", () => {
  it("arrives once per subscribed leader, across a restart and two instances; a dead sender's claim is retried after its lease; unsubscribe stops the next one", async () => {
    const id = randomBytes(4).toString("hex");
    const t = { digest: `mail.${id}.briefings`, access: `mail.${id}.access`, mail: `mail.${id}.mail` };
    await topics(t);
    // Thursday of 2026-W49: the last completed week is 2026-W48.
    let now = new Date("2026-12-03T12:00:00Z");

    // The HTTP door with the unsubscribe routes, and its public URL for the links.
    const { app } = briefingAppForTests({ gate: leaderGateWithTokens({}) });
    let unsubscribeVia: Mailer | undefined;
    registerUnsubscribe(app, { secret: MAIL_SECRET, now: () => now, unsubscribe: (c) => unsubscribeVia!.unsubscribe(c) });
    const publicUrl = await app.listen({ host: "127.0.0.1", port: 0 });

    const mailers: Mailer[] = [];
    const instance = (name: string, transport = nodemailer.createTransport({ host: "127.0.0.1", port: smtpPort, secure: false, ignoreTLS: true })) => {
      const metrics = createMetricsRegistry(`briefing-mail-${name}`);
      const m = new Mailer(broker.kafka(`briefing-${name}`), {
        mailTopic: t.mail,
        digestTopic: t.digest,
        accessTopic: t.access,
        groupId: `takitini-briefing-mail-${id}`,
        instanceId: name,
        recipients: () => recipientsFrom(ACCOUNTS, MAIL_SECRET, now),
        transport,
        secret: MAIL_SECRET,
        from: "briefings@takitini.example",
        publicUrl,
        intervalMs: 3_600_000,
        leaseMs: LEASE_MS,
        maxAttempts: 3,
        retryBaseMs: 60_000,
        lookback: 1,
        tokenDays: 180,
        logger: logger.child({ instance: name }),
        metrics,
        restarts: new Counter({ name: "briefing_consumer_restarts_total", help: "restarts", labelNames: ["tail", "reason"], registers: [metrics] }),
        now: () => now,
        ...recovery,
      });
      mailers.push(m);
      return { mailer: m, metrics };
    };
    const to = (address: string) => received.filter((r) => r.envelopeTo.includes(address));
    /** Wait until `cond` holds of what arrived (parsed). */
    const arrived = (cond: () => boolean, what: string) => until(async () => (await parseReceived(), cond()), 30_000, what);
    const sentCount = async (metrics: ReturnType<typeof createMetricsRegistry>) => (await metrics.getSingleMetric("briefing_emails_sent_total")!.get()).values.reduce((s, v) => s + v.value, 0);

    try {
      // An older week (outside the mailing window) and the last completed week's Eastern leader digest.
      const w47 = easternDigest("2026-W47");
      const w48 = easternDigest("2026-W48");
      await produce(t.digest, [w47, w48]);

      // 1. One instance: each subscribed Eastern leader gets the W48 digest once; nobody else gets anything.
      const a = instance(`a-${id}`);
      await a.mailer.start();
      await until(() => a.mailer.isReady(), 60_000, "the mail index loaded");
      await a.mailer.tick();
      await arrived(() => to("rangi@example.org").length >= 1 && to("aroha@example.org").length >= 1, "both Eastern leaders' emails received");
      expect(await sentCount(a.metrics)).toBe(2);
      const rangi = to("rangi@example.org")[0]!.mail;
      const rid = recipientId(MAIL_SECRET, "rangi@example.org");
      expect(rangi.subject).toBe(`Community leaders’ briefing: ${EASTERN.name}, ${JSON.parse(w48.value.toString()).briefing.period.label}`);
      expect(rangi.messageId).toBe(messageId(MAIL_SECRET, w48.key, rid, "takitini.example"));
      expect(rangi.text).toContain("Figures are disclosure-controlled");
      expect(rangi.html).toContain("<table");
      // The headers as sent.
      expect(headersOf(to("rangi@example.org")[0]!.raw)).toMatch(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r?$/m);
      const unsubscribeUrl = listUnsubscribe(to("rangi@example.org")[0]!.raw)!;
      expect(unsubscribeUrl.startsWith(`${publicUrl}/unsubscribe?token=u1.community-eastern.${rid}.`)).toBe(true);
      expect(rangi.text).toContain(unsubscribeUrl);
      expect(received.filter((r) => r.envelopeTo.includes("north@example.org"))).toEqual([]);
      expect(received).toHaveLength(2);

      // 2. Restarted: a new instance with a fresh index, and a second one beside it, both running again and again: nothing more.
      await a.mailer.stop();
      const a2 = instance(`a2-${id}`);
      const b = instance(`b-${id}`);
      await Promise.all([a2.mailer.start(), b.mailer.start()]);
      await until(() => a2.mailer.isReady() && b.mailer.isReady(), 60_000, "both indexes loaded");
      for (let i = 0; i < 3; i++) await Promise.all([a2.mailer.tick(), b.mailer.tick()]);
      await new Promise((r) => setTimeout(r, 2000));
      await parseReceived();
      expect(received).toHaveLength(2);
      expect((await sentCount(a2.metrics)) + (await sentCount(b.metrics))).toBe(0);

      // 3. A third Eastern leader whose email a dead instance had claimed (never recorded): not resent within the lease, resent once after it.
      ACCOUNTS.push(leader("Hemi Walker", { email: "hemi@example.org" }));
      const hemi = recipientId(MAIL_SECRET, "hemi@example.org");
      await produce(t.mail, [{ key: deliveryKey(w48.key, hemi), value: deliveryValue({ state: "claimed", at: now.getTime() - 1000, attempt: 1 }) }]);
      await until(() => a2.mailer.index.deliveries.has(deliveryKey(w48.key, hemi)) && b.mailer.index.deliveries.has(deliveryKey(w48.key, hemi)), 30_000, "the dead instance's claim indexed");
      await Promise.all([a2.mailer.tick(), b.mailer.tick()]);
      await parseReceived();
      expect(to("hemi@example.org")).toHaveLength(0);
      now = new Date(now.getTime() + LEASE_MS);
      for (let i = 0; i < 3; i++) await Promise.all([a2.mailer.tick(), b.mailer.tick()]);
      await arrived(() => to("hemi@example.org").length >= 1, "the claimed email sent after the lease");
      await new Promise((r) => setTimeout(r, 1000));
      await parseReceived();
      expect(to("hemi@example.org")).toHaveLength(1);
      expect(to("hemi@example.org")[0]!.mail.messageId).toBe(messageId(MAIL_SECRET, w48.key, hemi, "takitini.example"));

      // 4. A forged token is refused; Rangi's one-click unsubscribe (RFC 8058) is recorded through the HTTP door.
      unsubscribeVia = b.mailer;
      const forged = signUnsubscribe(Buffer.from("an attacker's secret, not the service's own"), { subscriber: "community-eastern", recipient: recipientId(MAIL_SECRET, "aroha@example.org"), expiresAt: new Date("2027-06-01T00:00:00Z") });
      const refused = await fetch(`${publicUrl}/unsubscribe?token=${forged}`, { method: "POST", headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("UNSUBSCRIBE_TOKEN_INVALID");
      const oneClick = await fetch(unsubscribeUrl, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
      expect(oneClick.status).toBe(200);
      await until(() => a2.mailer.index.unsubscribed.size === 1, 30_000, "the unsubscribe indexed by the other instance too");

      // 5. The next week's digest: Aroha and Hemi get it, Rangi (unsubscribed) does not.
      const w49 = easternDigest("2026-W49");
      await produce(t.digest, [w49]);
      now = new Date("2026-12-10T12:00:00Z");
      await until(() => [...a2.mailer.index.digests.keys()].includes(w49.key) && [...b.mailer.index.digests.keys()].includes(w49.key), 30_000, "W49 indexed");
      for (let i = 0; i < 3; i++) await Promise.all([a2.mailer.tick(), b.mailer.tick()]);
      await arrived(() => to("aroha@example.org").length >= 2 && to("hemi@example.org").length >= 2, "W49 to Aroha and Hemi");
      await new Promise((r) => setTimeout(r, 1000));
      await parseReceived();
      expect(to("aroha@example.org")).toHaveLength(2);
      expect(to("hemi@example.org")).toHaveLength(2);
      expect(to("rangi@example.org")).toHaveLength(1);
      expect(received).toHaveLength(5);

      // 6. The SMTP server unreachable: each email recorded failed (counted), then sent once at a later run after the retry delay.
      await Promise.all([a2.mailer.stop(), b.mailer.stop()]);
      const w50 = easternDigest("2026-W50");
      await produce(t.digest, [w50]);
      now = new Date("2026-12-17T12:00:00Z");
      const down = instance(`down-${id}`, nodemailer.createTransport({ host: "127.0.0.1", port: 1, secure: false, ignoreTLS: true, connectionTimeout: 2000 }));
      await down.mailer.start();
      await until(() => down.mailer.isReady() && [...down.mailer.index.digests.keys()].includes(w50.key), 60_000, "W50 indexed");
      await down.mailer.tick();
      const failed = async () => (await down.metrics.getSingleMetric("briefing_emails_failed_total")!.get()).values.reduce((n, v) => n + v.value, 0);
      expect(await failed()).toBe(2);
      expect([...down.mailer.index.deliveries.values()].filter((d) => d.state === "failed" && d.attempt === 1)).toHaveLength(2);
      await down.mailer.stop();
      const up = instance(`up-${id}`);
      await up.mailer.start();
      await until(() => up.mailer.isReady(), 60_000, "the index loaded");
      await up.mailer.tick();
      await parseReceived();
      expect(received).toHaveLength(5); // within the retry delay: nothing yet
      now = new Date(now.getTime() + 60_000);
      await up.mailer.tick();
      await arrived(() => to("aroha@example.org").length >= 3 && to("hemi@example.org").length >= 3, "W50 after the retry delay");
      await new Promise((r) => setTimeout(r, 1000));
      await parseReceived();
      expect(received).toHaveLength(7);
    } finally {
      await Promise.all(mailers.map((m) => m.stop()));
      await app.close();
    }

    // One access record per claimed send (5 sent at once, 2 failed, the same 2 sent on retry), naming the account, channel briefing.email.
    const access = await readUntil(broker.kafka("reader"), t.access, (m) => AccessRecord.decode(m.value!), (all) => all.length >= 9, 60_000);
    expect(access).toHaveLength(9);
    expect(access.map((r) => r.channel)).toEqual(Array(9).fill("briefing.email"));
    expect(access.map((r) => r.accountName).sort()).toEqual(["Aroha Ngata", "Aroha Ngata", "Aroha Ngata", "Aroha Ngata", "Hemi Walker", "Hemi Walker", "Hemi Walker", "Hemi Walker", "Rangi Parata"]);
    // The mail topic holds keyed ids: no address, no name.
    const mail = await readUntil(broker.kafka("reader"), t.mail, (m) => `${m.key?.toString()} ${m.value?.toString()}`, (all) => all.length >= 1, 30_000);
    const text = mail.join("\n");
    for (const pi of ["@example.org", "Rangi", "Aroha", "Hemi"]) expect(text).not.toContain(pi);
  }, 400_000);
});
