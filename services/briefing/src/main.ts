import { randomBytes } from "node:crypto";
import nodemailer from "nodemailer";
import type { AccessRecord } from "@takitini/proto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseRegistry, SUBSCRIBERS_FILE } from "@takitini/policies";
import { Accounts, AccountsFile, Counter, createAccountGate, createKafka, rateLimitSettings, readHttpTls, readKafkaSecurity, createLogger, createMetricsRegistry, installShutdown, RefusalReporter, watchUnready } from "@takitini/runtime";
import { accessMessage } from "./access.js";
import { buildApp } from "./app.js";
import { audiencesFrom } from "./audiences.js";
import { leaderAccounts, leaderCheck, type LeaderAccount } from "./auth.js";
import { leaderAccountsFile, readConfig, signInSettings, smtpSettings } from "./config.js";
import { CommunityFeed, feedGroupId } from "./feed.js";
import { registerFeeds } from "./feeds.js";
import { Mailer } from "./mailer.js";
import { DigestPublisher } from "./publisher.js";
import { recipientsFrom } from "./subscriptions.js";
import { registerUnsubscribe } from "./unsubscribe.js";
import { SubmissionNote, SubmissionReceipt } from "@takitini/proto";
import { SubmissionQuota } from "./submissions/quota.js";
import { SubmissionIndex } from "./submissions/status.js";
import { SubmissionWriter } from "./submissions/writer.js";
import { TopicTail } from "./tail.js";

const config = readConfig();
// The pages' certificate (HTTP_TLS_CERT_FILE, HTTP_TLS_KEY_FILE): read now, or refuse to start naming the variable.
const tls = readHttpTls(config);
const logger = createLogger("briefing", config.LOG_LEVEL);
const metrics = createMetricsRegistry("briefing");

const secret = readFileSync(config.BRIEFING_ROUNDING_SECRET_FILE);
if (secret.length < 16) throw new Error("BRIEFING_ROUNDING_SECRET_FILE must hold at least 16 bytes");
const registry = parseRegistry(readFileSync(join(config.POLICY_DATA_DIR, SUBSCRIBERS_FILE), "utf8"));
const audiences = audiencesFrom(registry, {
  publicSubscriber: config.BRIEFING_PUBLIC_SUBSCRIBER,
  leaderThreshold: config.BRIEFING_LEADER_THRESHOLD,
  publicThreshold: config.BRIEFING_PUBLIC_THRESHOLD,
});
// Leader accounts: the file is re-read when it changes (a bad new one — or one naming a subscriber
// that is not a community leader — is refused, the old kept). No file: no leader can sign in.
const source = leaderAccountsFile(config);
if (source?.variable === "BRIEFING_LEADER_TOKENS_FILE") logger.warn({ code: "CONFIG_DEPRECATED", variable: "BRIEFING_LEADER_TOKENS_FILE" }, "BRIEFING_LEADER_TOKENS_FILE is deprecated: set BRIEFING_LEADER_ACCOUNTS_FILE");
const accountsFile = source
  ? new AccountsFile({ path: source.path, format: leaderAccounts, logger, check: leaderCheck(audiences.leaders), pollMs: config.BRIEFING_ACCOUNTS_POLL_MS, cacheTtlMs: config.BRIEFING_CREDENTIAL_CACHE_TTL_MS }).start()
  : undefined;
const gate = createAccountGate(accountsFile?.accounts ?? new Accounts<LeaderAccount>([]), signInSettings(config), logger).start(config.BRIEFING_SESSION_SWEEP_MS);
if (accountsFile) process.on("SIGHUP", () => void accountsFile.reload());

const kafka = createKafka({ clientId: "takitini-briefing", brokers: config.KAFKA_BROKERS, logger, security: readKafkaSecurity(config) });
const all = [...audiences.leaders.values(), audiences.public];
// This process's own consumer groups (nothing committed): every instance reads every partition.
const startedAt = Date.now();
const restarts = new Counter({ name: "briefing_consumer_restarts_total", help: "Times one of the briefing's Kafka consumers (community feed, digest index) was replaced after a crash or a failed start, by consumer and error name", labelNames: ["tail", "reason"], registers: [metrics] });
const recovery = {
  restarts,
  backoff: { baseMs: config.BRIEFING_RESTART_BACKOFF_BASE_MS, maxMs: config.BRIEFING_RESTART_BACKOFF_MAX_MS },
  stallMs: config.BRIEFING_CONSUMER_STALL_MS,
  stopTimeoutMs: Math.max(1000, Math.floor(config.SHUTDOWN_TIMEOUT_MS / 4)),
};
const feed = new CommunityFeed(kafka, new Map(all.map((a) => [a.subscriberId, a.topic])), { groupId: feedGroupId(config.GROUP_ID, config.INSTANCE_ID, startedAt, randomBytes(3).toString("hex")), logger, metrics, ...recovery });
const auditProducer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
let auditConnected = false;
const digests = new DigestPublisher(kafka, {
  digestTopic: config.DIGEST_TOPIC,
  accessTopic: config.ACCESS_TOPIC,
  groupId: config.GROUP_ID,
  instanceId: config.INSTANCE_ID,
  audiences: () => all,
  store: (id) => feed.store(id),
  caughtUp: () => feed.caughtUp(),
  secret,
  intervalMs: config.BRIEFING_DIGEST_INTERVAL_MS,
  graceMs: config.BRIEFING_DIGEST_GRACE_MS,
  lookback: config.BRIEFING_DIGEST_LOOKBACK,
  logger,
  metrics,
  startedAt,
  ...recovery,
});

// The digest by email to subscribed leaders (SMTP_HOST set): each (digest, recipient) once, claimed on the mail topic.
const smtp = smtpSettings(config, (path) => readFileSync(path, "utf8"));
const mailSecret = config.BRIEFING_MAIL_SECRET_FILE !== undefined ? readFileSync(config.BRIEFING_MAIL_SECRET_FILE) : undefined;
if (mailSecret && mailSecret.length < 32) throw new Error("BRIEFING_MAIL_SECRET_FILE must hold at least 32 bytes");
if (smtp?.ignoreTLS) logger.warn({ code: "SMTP_PLAINTEXT" }, "SMTP_TLS=none: digest emails go to the SMTP server unencrypted; use it for a local relay or a test server only");
const mailer =
  smtp && mailSecret
    ? new Mailer(kafka, {
        mailTopic: config.BRIEFING_MAIL_TOPIC,
        digestTopic: config.DIGEST_TOPIC,
        accessTopic: config.ACCESS_TOPIC,
        groupId: config.GROUP_ID,
        instanceId: config.INSTANCE_ID,
        recipients: () => recipientsFrom(accountsFile?.accounts.list ?? [], mailSecret, new Date()),
        transport: nodemailer.createTransport(smtp),
        secret: mailSecret,
        from: config.SMTP_FROM!,
        publicUrl: config.BRIEFING_PUBLIC_URL!,
        intervalMs: config.BRIEFING_MAIL_INTERVAL_MS,
        leaseMs: config.BRIEFING_MAIL_CLAIM_LEASE_MS,
        maxAttempts: config.BRIEFING_MAIL_MAX_ATTEMPTS,
        retryBaseMs: config.BRIEFING_MAIL_RETRY_BASE_MS,
        lookback: config.BRIEFING_MAIL_LOOKBACK,
        tokenDays: config.BRIEFING_UNSUBSCRIBE_TOKEN_DAYS,
        logger,
        metrics,
        startedAt,
        ...recovery,
      })
    : undefined;

// Leaders' requests refused for their credential: counted per window, summaries to the refusals topic (never blocking a request).
const refusals = new RefusalReporter(kafka, {
  topic: config.REFUSAL_TOPIC,
  service: "briefing",
  windowMs: config.REFUSAL_WINDOW_MS,
  queueMax: config.REFUSAL_QUEUE_MAX,
  maxKeys: config.REFUSAL_MAX_KEYS,
  maxAddresses: config.REFUSAL_MAX_ADDRESSES,
  logger,
  metrics,
}).start();

// Leaders talk back: each submission in one transaction (event, note, access record); their status from the notes and the exchange's receipts.
const submissionIndex = new SubmissionIndex();
const submissionTail = new TopicTail(kafka, {
  name: "submissions",
  topics: [config.BRIEFING_SUBMISSIONS_TOPIC, config.RECEIPTS_TOPIC],
  groupId: `${config.GROUP_ID}-submissions-${config.INSTANCE_ID}-${startedAt}-${randomBytes(3).toString("hex")}`,
  logger,
  restarts,
  backoff: recovery.backoff,
  stallMs: recovery.stallMs,
  stopTimeoutMs: recovery.stopTimeoutMs,
  onMessage: (topic, _partition, message) => {
    if (!message.value) return;
    try {
      if (topic === config.RECEIPTS_TOPIC) submissionIndex.receipt(SubmissionReceipt.decode(message.value));
      else submissionIndex.note(SubmissionNote.decode(message.value));
    } catch (err) {
      logger.warn({ code: "SUBMISSION_RECORD_UNDECODABLE", topic, offset: message.offset, err: { message: (err as Error).message } }, "a record on a submissions topic does not decode; skipped");
    }
  },
});
const submissionWriter = new SubmissionWriter(kafka, { transactionalId: `takitini-briefing-submissions-${config.INSTANCE_ID}`, timeoutMs: config.BRIEFING_SUBMIT_TIMEOUT_MS, logger, metrics });
const organisations = new Map(Object.entries(registry).map(([id, s]) => [id, s.name]));

// Every briefing view (page, JSON, feed) is written to the access topic (acks = all) before it is handed over.
const recordAccess = async (record: AccessRecord) => {
  await auditProducer.send({ topic: config.ACCESS_TOPIC, acks: -1, messages: [accessMessage(record)] });
};
const http = buildApp({
  logger,
  metrics,
  readiness: [
    { name: "community-aggregates", check: () => feed.isReady() },
    { name: "audit-producer", check: () => auditConnected },
    { name: "digest-publisher", check: () => digests.isReady() },
    ...(mailer ? [{ name: "mailer", check: () => mailer.isReady() }] : []),
    { name: "submissions-writer", check: () => submissionWriter.isReady() },
    { name: "submissions-status", check: () => submissionTail.isConsuming() },
  ],
  audiences,
  store: (id) => feed.store(id),
  caughtUp: () => feed.caughtUp(),
  secret,
  gate,
  cookieSecure: config.BRIEFING_COOKIE_SECURE,
  ...(tls ? { tls } : {}),
  rateLimit: rateLimitSettings(config),
  recordAccess,
  refusals,
  submissions: {
    index: submissionIndex,
    write: (records) => submissionWriter.write(records),
    quota: new SubmissionQuota({ max: config.BRIEFING_SUBMISSIONS_PER_WINDOW, windowMs: config.BRIEFING_SUBMISSION_WINDOW_MS }),
    topics: { intel: config.SUBMISSIONS_TOPIC, notes: config.BRIEFING_SUBMISSIONS_TOPIC, access: config.ACCESS_TOPIC },
    organisation: (id) => organisations.get(id) ?? id,
    ready: () => submissionWriter.isReady(),
  },
});

if (mailer) registerUnsubscribe(http.app, { secret: mailSecret!, unsubscribe: (claim) => mailer.unsubscribe(claim) });
// Atom feeds: the public tier's open; leaders' (BRIEFING_MAIL_SECRET_FILE set) opened by a feed key.
registerFeeds(http.app, {
  audiences,
  store: (id) => feed.store(id),
  caughtUp: () => feed.caughtUp(),
  secret,
  feedSecret: mailSecret,
  accounts: () => accountsFile?.accounts.list ?? [],
  gate,
  recordAccess,
  publicUrl: config.BRIEFING_PUBLIC_URL,
  refusals,
  logger,
});

const shutdown = installShutdown(
  logger,
  [
    { name: "http", run: () => http.close() },
    { name: "accounts", run: async () => (accountsFile?.stop(), gate.stop()) },
    // The open window's summary, once the door is shut.
    { name: "refusals", run: () => refusals.close() },
    { name: "digests", run: () => digests.stop() },
    { name: "mailer", run: async () => mailer?.stop() },
    { name: "submissions", run: async () => (await submissionWriter.stop(), await submissionTail.stop()) },
    { name: "feed", run: () => feed.stop() },
    { name: "audit-producer", run: () => auditProducer.disconnect() },
  ],
  config.SHUTDOWN_TIMEOUT_MS,
);

const { url, adminUrl } = await http.listen({ host: config.HOST, port: config.PORT, adminPort: config.ADMIN_PORT });
logger.info({ url, adminUrl, tls: tls !== undefined, leaders: [...audiences.leaders.keys()] }, "briefing listening");
// Neither throws for the broker's sake: consumers that cannot start are retried with backoff.
await feed.start();
await digests.start();
await mailer?.start();
await submissionTail.start();
void submissionWriter.start();
// The access producer connects on its own; kafkajs reconnects it on the next send after a broker restart.
void (async () => {
  for (let attempt = 0; !auditConnected; attempt++) {
    try {
      await auditProducer.connect();
      auditConnected = true;
    } catch (err) {
      logger.warn({ err: { message: (err as Error).message } }, "the access-record producer cannot connect; retrying");
      await new Promise((r) => setTimeout(r, Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5))));
    }
  }
})();
// Never alive and idle: not ready for longer than BRIEFING_MAX_UNREADY_MS, the process exits 1 for its supervisor to restart it.
watchUnready({
  maxMs: config.BRIEFING_MAX_UNREADY_MS,
  ready: () => feed.isReady() && digests.isReady() && auditConnected && (mailer?.isReady() ?? true) && submissionWriter.isReady() && submissionTail.isConsuming(),
  giveUp: (unreadyMs) => {
    logger.fatal({ code: "BRIEFING_UNREADY_TOO_LONG", unreadyMs, rebuilt: feed.caughtUp(), feed: feed.isReady(), digestIndex: digests.isReady() }, "not ready for too long: exiting for the supervisor to restart the service");
    void shutdown("not ready for too long", 1);
  },
});
