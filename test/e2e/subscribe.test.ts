/**
 * Partners receive their deliveries over gRPC Subscribe with mutual TLS, on the
 * real broker with the real exchange and Police adapter processes: identity from
 * the client certificate, only one's own stream, resumable cursors, and an access
 * record on the audit topic for every grant, denial and delivered view.
 *
 * The run has topics of its own (agency topic, delivery topics via a registry copy,
 * audit topic), so the Customs stream holds exactly this run's deliveries.
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash, randomUUID, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as grpc from "@grpc/grpc-js";
import { AccessAction, AccessRecord, DeliveryServiceClient, type SubscribeResponse } from "@takitini/proto";
import { decisionIdFor } from "@takitini/runtime";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { decodeCursor } from "../../services/exchange/dist/subscribe/cursor.js";
import { client, createRunTopics, header, readTopic, registryWith } from "./kafka.js";
import { publish, PUBLISHER } from "./publishers.js";
import { freePort, ROOT, startService, type RunningService } from "./stack.js";

const brokers = inject("brokers");
const kafka = client(brokers);
const run = randomUUID().slice(0, 8);
const INTEL = `e2e-sub-${run}.intel.police.v1`;
const AUDIT = `e2e-sub-${run}.audit.v1`;
const DEADLETTER = `e2e-sub-${run}.deadletter.v1`;
const deliverTopic = (id: string) => `e2e-sub-${run}.deliver.${id}.v1`;
const CUSTOMS = deliverTopic("customs");
const EVENTS = 4;
/** Customs may hold this many Subscribe streams at once in this suite. */
const STREAMS_PER_SUBSCRIBER = 3;
const QUIET_MS = 2000;

const example = JSON.parse(readFileSync(join(ROOT, "services/police-adapter/examples/noting.json"), "utf8")) as Record<string, unknown>;

let pki: string;
let dataDir: string;
let grpcPort: number;
let exchange: RunningService;
let adapter: RunningService;
const services: RunningService[] = [];
/** event id → trace id it was published under */
const published = new Map<string, string>();
/** Every response the customs certificate was handed, over every call in this file. */
const streamed: SubscribeResponse[] = [];
/** The first stream from the oldest: this run's EVENTS deliveries with their cursors. */
let all: SubscribeResponse[] = [];
/** A cursor past everything delivered so far. */
let latest = "";
/** decision id → "partition/offset" of its delivery on the Customs topic */
const positionByDecision = new Map<string, string>();

const file = (path: string) => readFileSync(join(pki, path));
const der = (path: string) => new X509Certificate(file(path)).raw;
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
/** Subscribe calls per minute one partner may make in this suite (SUBSCRIBE_RATE_LIMIT_PER_SUBSCRIBER_PER_MINUTE). */
const PARTNER_CALLS_PER_MINUTE = 30;
const creds = (who: string, ca = "ca.crt") => grpc.credentials.createSsl(file(ca), file(`${who}.key`), file(`${who}.crt`));
const traceIdOf = (traceparent: string) => traceparent.split("-")[1];

interface Collected {
  responses: SubscribeResponse[];
  error?: grpc.ServiceError;
}

/**
 * Subscribe and collect until `enough` responses (then QUIET_MS more, to catch any
 * extra), or until the call fails. The call is then cancelled by the client.
 */
function collect(credentials: grpc.ChannelCredentials, request: { subscriberId?: string; cursor?: string }, enough: number, quietMs = QUIET_MS): Promise<Collected> {
  const c = new DeliveryServiceClient(`localhost:${grpcPort}`, credentials);
  const call = c.subscribe({ subscriberId: request.subscriberId ?? "", cursor: request.cursor ?? "" }, new grpc.Metadata(), { deadline: Date.now() + 60_000 });
  const responses: SubscribeResponse[] = [];
  return new Promise((resolve) => {
    let quiet: NodeJS.Timeout | undefined;
    let done = false;
    const finish = (error?: grpc.ServiceError) => {
      if (done) return;
      done = true;
      clearTimeout(quiet);
      call.cancel();
      c.close();
      resolve(error ? { responses, error } : { responses });
    };
    const arm = () => {
      clearTimeout(quiet);
      if (responses.length >= enough) quiet = setTimeout(() => finish(), quietMs);
    };
    arm();
    call.on("data", (r: SubscribeResponse) => {
      responses.push(r);
      arm();
    });
    call.on("error", (err: grpc.ServiceError) => finish(err.code === grpc.status.CANCELLED ? undefined : err));
    call.on("end", () => finish());
  });
}

/**
 * A call the door is expected to refuse: collect until its error (a refusal ends
 * the call at once), allowing a loaded machine far longer than a refusal takes —
 * a short quiet period cancelled calls before the door had answered, and a
 * cancelled call is neither refused nor counted.
 */
const refusal = (credentials: grpc.ChannelCredentials, request: { subscriberId?: string; cursor?: string }) => collect(credentials, request, 0, 20_000);

async function customsStream(cursor = "", enough = 0): Promise<SubscribeResponse[]> {
  const got = await collect(creds("subscriber/customs"), { cursor }, enough);
  expect(got.error).toBeUndefined();
  streamed.push(...got.responses);
  return got.responses;
}

/** Deliveries as "partition/offset", from the cursor before and after each. */
function positionsOf(responses: SubscribeResponse[], startCursor = ""): string[] {
  let before = decodeCursor(startCursor, CUSTOMS).positions;
  return responses.map((r) => {
    const after = decodeCursor(r.cursor, CUSTOMS).positions;
    const moved = [...after].filter(([p, o]) => before.get(p) !== o);
    expect(moved).toHaveLength(1);
    const [p, next] = moved[0]!;
    before = after;
    return `${p}/${BigInt(next) - 1n}`;
  });
}

async function accessRecords(until: (records: AccessRecord[]) => boolean): Promise<{ record: AccessRecord; traceparent?: string | undefined }[]> {
  const out: { record: AccessRecord; traceparent?: string | undefined }[] = [];
  const check = () => until(out.map((o) => o.record));
  await readTopic(kafka, AUDIT, {
    timeoutMs: 30_000,
    until: (s) => {
      if (header(s.message, "event-type") !== "audit.access") return false;
      expect(header(s.message, "schema-version")).toBe("takitini.audit.v1");
      expect(header(s.message, "content-type")).toBe("application/x-protobuf");
      out.push({ record: AccessRecord.decode(s.message.value!), traceparent: header(s.message, "traceparent") });
      return check();
    },
  });
  return out;
}

beforeAll(async () => {
  pki = join(mkdtempSync(join(tmpdir(), "takitini-e2e-pki-")), "pki");
  execFileSync("bash", [join(ROOT, "infra/pki/issue.sh"), "--out", pki, "--rogue-ca"], { stdio: ["ignore", "pipe", "pipe"] });

  dataDir = mkdtempSync(join(tmpdir(), "takitini-e2e-sub-"));
  const ids: string[] = [];
  const registryFile = registryWith(dataDir, (id) => (ids.push(id), deliverTopic(id)), ROOT);
  await createRunTopics(
    [
      { name: INTEL, role: "intel" },
      { name: AUDIT, role: "decisions" },
      { name: DEADLETTER, role: "dead-letter" },
      ...ids.map((id) => ({ name: deliverTopic(id), role: "delivery" as const })),
    ],
    registryFile,
  );

  grpcPort = await freePort();
  exchange = await startService("exchange", {
    KAFKA_BROKERS: brokers.join(","),
    GROUP_ID: `takitini-exchange-e2e-sub-${run}`,
    INSTANCE_ID: `e2e-sub-${run}`,
    INTEL_TOPICS: INTEL,
    AUDIT_TOPIC: AUDIT,
    DEADLETTER_TOPIC: DEADLETTER,
    POLICY_DATA_DIR: dataDir,
    GRPC_PORT: String(grpcPort),
    GRPC_INSECURE: "false",
    GRPC_TLS_CERT: join(pki, "service/exchange.crt"),
    GRPC_TLS_KEY: join(pki, "service/exchange.key"),
    GRPC_TLS_CA: join(pki, "ca.crt"),
    GRPC_MAX_STREAMS_PER_SUBSCRIBER: String(STREAMS_PER_SUBSCRIBER),
    // Low enough for one test to reach with one partner (MBIE, which no other test uses).
    SUBSCRIBE_RATE_LIMIT_PER_SUBSCRIBER_PER_MINUTE: String(PARTNER_CALLS_PER_MINUTE),
  });
  services.push(exchange);
  adapter = await startService("police-adapter", { KAFKA_BROKERS: brokers.join(","), TOPIC: INTEL, GRPC_PORT: String(await freePort()) });
  services.push(adapter);

  for (let i = 0; i < EVENTS; i++) {
    const traceId = randomUUID().replaceAll("-", "");
    const res = await publish(`${adapter.url}/v1/reports`, { ...example, noting_id: `NIC-SUB-${run}-${i}` }, { publisher: PUBLISHER.police }, { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } });
    expect(res.status).toBe(202);
    published.set((res.json() as { event_id: string }).event_id, traceId);
  }
});

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop("SIGKILL")));
  if (pki) rmSync(join(pki, ".."), { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("Subscribe over mutual TLS", () => {
  it("streams Customs its own views, each with its decision, the publisher's trace and a cursor", async () => {
    all = await customsStream("", EVENTS);
    // Exactly this run's deliveries: nothing before them, nothing twice.
    expect(all).toHaveLength(EVENTS);
    expect(new Set(all.map((r) => r.event?.id))).toEqual(new Set(published.keys()));
    for (const r of all) {
      const eventId = r.event!.id;
      expect(r.view).toBe("full");
      expect(r.event?.sourceRecordId).toMatch(new RegExp(`^NIC-SUB-${run}-\\d$`));
      expect(r.decisionId).toBe(decisionIdFor(eventId, "customs"));
      expect(r.policyRevision).toMatch(/^[0-9a-f]{8,}$/);
      expect(r.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      expect(traceIdOf(r.traceparent)).toBe(published.get(eventId));
      expect(r.cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    }
    // Each cursor moves exactly one partition past exactly one record.
    const positions = positionsOf(all);
    expect(new Set(positions).size).toBe(EVENTS);
    all.forEach((r, i) => positionByDecision.set(r.decisionId, positions[i]!));
  });

  it("resumes from a cursor with exactly the deliveries after it", async () => {
    const positions = positionsOf(all);
    for (const k of [0, 2]) {
      const rest = await customsStream(all[k]!.cursor, EVENTS - k - 1);
      expect(rest).toHaveLength(EVENTS - k - 1);
      expect(new Set(rest.map((r) => r.decisionId))).toEqual(new Set(all.slice(k + 1).map((r) => r.decisionId)));
      expect(new Set(positionsOf(rest, all[k]!.cursor))).toEqual(new Set(positions.slice(k + 1)));
    }
    // From the last cursor there is nothing more (until something new is delivered).
    expect(await customsStream(all[EVENTS - 1]!.cursor, 0)).toEqual([]);
  });

  it("refuses Customs' certificate Police's stream, and audits the refusal", async () => {
    const got = await refusal(creds("subscriber/customs"), { subscriberId: "police" });
    expect(got.responses).toEqual([]);
    expect(got.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(got.error?.metadata.get("takitini-error-code")).toEqual(["NOT_OWN_STREAM"]);
    const sha = sha256(der("subscriber/customs.crt"));
    const records = await accessRecords((rs) => rs.some((r) => r.action === AccessAction.ACCESS_ACTION_SUBSCRIBE_DENIED));
    const denied = records.map((r) => r.record).filter((r) => r.action === AccessAction.ACCESS_ACTION_SUBSCRIBE_DENIED);
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({
      subscriberId: "customs",
      requestedSubscriberId: "police",
      reason: "NOT_OWN_STREAM",
      channel: "grpc.subscribe",
      certificateSha256: sha,
      eventId: "",
    });
  });

  it("refuses a certificate of the mesh's CA that names no subscriber (the exchange's own)", async () => {
    const got = await refusal(creds("service/exchange"), {});
    expect(got.error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(got.error?.metadata.get("takitini-error-code")).toEqual(["NO_SUBSCRIBER_IDENTITY"]);
  });

  it("refuses, at the handshake, a client without a certificate", async () => {
    const got = await refusal(grpc.credentials.createSsl(file("ca.crt")), {});
    expect(got.responses).toEqual([]);
    expect(got.error?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it("refuses, at the handshake, Customs' identity signed by another CA", async () => {
    const got = await refusal(creds("rogue/subscriber/customs"), {});
    expect(got.responses).toEqual([]);
    expect(got.error?.code).toBe(grpc.status.UNAVAILABLE);
  });

  it("holds one partner to its own stream limit, audited, without limiting another partner", async () => {
    const active = async (subscriber: string) => {
      const text = await (await fetch(`${exchange.adminUrl}/metrics`)).text();
      const line = text.split("\n").find((l) => l.startsWith("exchange_subscribe_active_streams{") && l.includes(`subscriber="${subscriber}"`));
      return line === undefined ? 0 : Number(line.split(" ").pop());
    };
    const until = async (ok: () => Promise<boolean>) => {
      for (const deadline = Date.now() + 30_000; !(await ok()); ) {
        if (Date.now() > deadline) throw new Error("timed out");
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    await until(async () => (await active("customs")) === 0);
    const clients: InstanceType<typeof DeliveryServiceClient>[] = [];
    const calls: grpc.ClientReadableStream<SubscribeResponse>[] = [];
    // Views are audited before they are handed over: let the held streams drain before
    // cancelling them, so every audited view was also received (and counted in `streamed`).
    let lastData = Date.now();
    const drained = () => until(async () => Date.now() - lastData > QUIET_MS);
    const open = (who: string) => {
      const c = new DeliveryServiceClient(`localhost:${grpcPort}`, creds(who));
      // From past everything seen so far; anything handed over still counts as streamed to Customs.
      const call = c.subscribe({ subscriberId: "", cursor: all[all.length - 1]!.cursor }, new grpc.Metadata(), { deadline: Date.now() + 60_000 });
      call.on("data", (r: SubscribeResponse) => {
        streamed.push(r);
        lastData = Date.now();
      });
      call.on("error", () => undefined);
      clients.push(c);
      calls.push(call);
    };
    try {
      for (let i = 0; i < STREAMS_PER_SUBSCRIBER; i++) open("subscriber/customs");
      await until(async () => (await active("customs")) === STREAMS_PER_SUBSCRIBER);
      const over = await refusal(creds("subscriber/customs"), { cursor: all[all.length - 1]!.cursor });
      expect(over.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
      expect(over.error?.metadata.get("takitini-error-code")).toEqual(["TOO_MANY_STREAMS_FOR_SUBSCRIBER"]);
      const records = await accessRecords((rs) => rs.some((r) => r.reason === "TOO_MANY_STREAMS_FOR_SUBSCRIBER"));
      expect(records.map((r) => r.record).filter((r) => r.reason === "TOO_MANY_STREAMS_FOR_SUBSCRIBER")[0]).toMatchObject({ subscriberId: "customs", action: AccessAction.ACCESS_ACTION_SUBSCRIBE_DENIED });
      // Police's own limit is untouched by Customs' streams.
      const police = await collect(creds("subscriber/police"), {}, 0, 500);
      expect(police.error).toBeUndefined();
    } finally {
      await drained();
      for (const call of calls) call.cancel();
      for (const c of clients) c.close();
    }
    await until(async () => (await active("customs")) === 0);
  });

  it("holds a partner to its Subscribe rate: over it RESOURCE_EXHAUSTED RATE_LIMITED with retry-after, audited; other partners unaffected", async () => {
    // Calls refused for another reason count too: a partner cannot probe without limit.
    for (let i = 0; i < PARTNER_CALLS_PER_MINUTE; i++) {
      const got = await refusal(creds("subscriber/mbie"), { subscriberId: "customs" });
      expect(got.error?.metadata.get("takitini-error-code")).toEqual(["NOT_OWN_STREAM"]);
    }
    const over = await refusal(creds("subscriber/mbie"), {});
    expect(over.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(over.error?.metadata.get("takitini-error-code")).toEqual(["RATE_LIMITED"]);
    const records = await accessRecords((rs) => rs.some((r) => r.reason === "RATE_LIMITED"));
    expect(records.map((r) => r.record).find((r) => r.reason === "RATE_LIMITED")).toMatchObject({ subscriberId: "mbie", action: AccessAction.ACCESS_ACTION_SUBSCRIBE_DENIED });
    const police = await refusal(creds("subscriber/police"), { subscriberId: "customs" });
    expect(police.error?.metadata.get("takitini-error-code")).toEqual(["NOT_OWN_STREAM"]);
  });

  it("answers a malformed cursor with INVALID_ARGUMENT on field `cursor`", async () => {
    const got = await refusal(creds("subscriber/customs"), { cursor: "not a cursor" });
    expect(got.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(got.error?.details).toMatch(/cursor is not a valid Subscribe cursor/);
    const issues = JSON.parse(String(got.error?.metadata.get("takitini-issues-bin")[0])) as { path: string }[];
    expect(issues.map((i) => i.path)).toEqual(["cursor"]);
  });

  it("prints deliveries as JSON lines with their cursors (npm run subscribe), and resumes from one", async () => {
    const cli = (...args: string[]) =>
      promisify(execFile)(process.execPath, [join(ROOT, "services/exchange/dist/tools/subscribe.js"), "--as", "customs", "--target", `localhost:${grpcPort}`, ...args], {
        env: { ...process.env, TAKITINI_PKI_DIR: pki },
        timeout: 30_000,
      });
    const first = await cli("--limit", String(EVENTS));
    const lines = first.stdout.trim().split("\n").map((l) => JSON.parse(l) as { cursor: string; decision_id: string; view: string; traceparent: string; event: { id: string } });
    expect(lines).toHaveLength(EVENTS);
    expect(new Set(lines.map((l) => l.event.id))).toEqual(new Set(published.keys()));
    for (const l of lines) {
      expect(l.view).toBe("full");
      expect(l.decision_id).toBe(decisionIdFor(l.event.id, "customs"));
      expect(traceIdOf(l.traceparent)).toBe(published.get(l.event.id));
    }
    const last = lines[EVENTS - 1]!.cursor;
    expect(first.stderr).toContain(`${EVENTS} deliveries; resume with --cursor ${last}`);
    streamed.push(...lines.map((l) => ({ decisionId: l.decision_id }) as SubscribeResponse));
    const resumed = await cli("--cursor", last, "--idle-ms", "1500");
    expect(resumed.stdout).toBe("");
    expect(resumed.stderr).toContain("0 deliveries");
  });
});

describe("every delivery is audited", () => {
  it("has an access record for each view handed over, with the publisher's trace", async () => {
    expect(streamed.length).toBeGreaterThanOrEqual(EVENTS);
    const sha = sha256(der("subscriber/customs.crt"));
    const count = (rs: AccessRecord[], action: AccessAction) => rs.filter((r) => r.action === action && r.certificateSha256 === sha).length;
    // Four streams through collect(), two through the CLI and those held to the per-partner limit.
    const GRANTS = 6 + STREAMS_PER_SUBSCRIBER;
    // Read until both kinds are in: deliveries are keyed by event id and grants by session, so they
    // sit on different partitions, and a reader that stopped at the last delivery could miss grants.
    const records = await accessRecords((rs) => count(rs, AccessAction.ACCESS_ACTION_DELIVERED) >= streamed.length && count(rs, AccessAction.ACCESS_ACTION_SUBSCRIBE_GRANTED) >= GRANTS);
    const delivered = records.filter((o) => o.record.action === AccessAction.ACCESS_ACTION_DELIVERED);
    // One record per view handed over, per stream (a re-read is a second disclosure).
    for (const decisionId of new Set(streamed.map((r) => r.decisionId))) {
      const handed = streamed.filter((r) => r.decisionId === decisionId).length;
      expect(delivered.filter((o) => o.record.decisionId === decisionId)).toHaveLength(handed);
    }
    expect(delivered).toHaveLength(streamed.length);
    for (const { record, traceparent } of delivered) {
      expect(record).toMatchObject({ subscriberId: "customs", requestedSubscriberId: "customs", channel: "grpc.subscribe", certificateSha256: sha, deliveryTopic: CUSTOMS, reason: "" });
      expect(record.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(record.traceId).toBe(published.get(record.eventId));
      expect(traceIdOf(traceparent!)).toBe(record.traceId);
      expect(record.occurredAt).toBeInstanceOf(Date);
    }
    expect(new Set(delivered.map((o) => o.record.id)).size).toBe(delivered.length);
    // Each record names the position the view was read from (as the cursors told the client).
    for (const { record } of delivered) expect(`${record.deliveryPartition}/${record.deliveryOffset}`).toBe(positionByDecision.get(record.decisionId));
    // Every successful stream was granted first, each with its own session.
    const grants = records.filter((o) => o.record.action === AccessAction.ACCESS_ACTION_SUBSCRIBE_GRANTED).map((o) => o.record);
    expect(grants.filter((g) => g.certificateSha256 === sha)).toHaveLength(GRANTS);
    for (const d of delivered) expect(grants.map((g) => g.sessionId)).toContain(d.record.sessionId);
  });
});

describe("the door's own state", () => {
  async function metric(name: string, labels: string): Promise<number | undefined> {
    const text = await (await fetch(`${exchange.adminUrl}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(labels));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
  }

  it("counts deliveries and denials, and frees every stream the clients cancelled", async () => {
    expect(await metric("exchange_subscribe_deliveries_total", 'subscriber="customs"')).toBe(streamed.length);
    // One from the own-stream test, one per probe of the rate test and Police's one there.
    expect(await metric("exchange_subscribe_denials_total", 'reason="NOT_OWN_STREAM"')).toBe(1 + PARTNER_CALLS_PER_MINUTE + 1);
    expect(await metric("exchange_subscribe_denials_total", 'reason="RATE_LIMITED"')).toBe(1);
    expect(await metric("exchange_subscribe_denials_total", 'reason="NO_SUBSCRIBER_IDENTITY"')).toBe(1);
    // A cancelled stream's consumer is stopped (it left its throwaway group).
    const deadline = Date.now() + 20_000;
    while ((await metric("exchange_subscribe_active_streams", 'subscriber="customs"')) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    expect(await metric("exchange_subscribe_active_streams", 'subscriber="customs"')).toBe(0);
  });

  it("pauses a slow client's consumer until its stream drains, then hands over everything once", async () => {
    const MORE = 300;
    const ids = new Set<string>();
    const next = { i: 0 };
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = next.i++; i < MORE; i = next.i++) {
          const res = await publish(`${adapter.url}/v1/reports`, { ...example, noting_id: `NIC-SUB-${run}-bulk-${i}`, summary: `${"Bulk backpressure noting. ".repeat(40)}${i}` }, { publisher: PUBLISHER.police });
          expect(res.status).toBe(202);
          ids.add((res.json() as { event_id: string }).event_id);
        }
      }),
    );
    const pausesBefore = (await metric("exchange_subscribe_backpressure_pauses_total", 'subscriber="customs"')) ?? 0;
    const c = new DeliveryServiceClient(`localhost:${grpcPort}`, creds("subscriber/customs"));
    const call = c.subscribe({ subscriberId: "", cursor: all[EVENTS - 1]!.cursor });
    const received: SubscribeResponse[] = [];
    const complete = new Promise<void>((resolve, reject) => {
      call.on("data", (r: SubscribeResponse) => {
        received.push(r);
        if (received.length === MORE) resolve();
      });
      call.on("error", reject);
    });
    call.pause(); // a partner that stops reading
    const deadline = Date.now() + 30_000;
    while (((await metric("exchange_subscribe_backpressure_pauses_total", 'subscriber="customs"')) ?? 0) <= pausesBefore && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
    }
    expect((await metric("exchange_subscribe_backpressure_pauses_total", 'subscriber="customs"')) ?? 0).toBeGreaterThan(pausesBefore);
    // Paused well short of the end: the server does not buffer the topic for a stalled client.
    expect(await metric("exchange_subscribe_deliveries_total", 'subscriber="customs"')).toBeLessThan(streamed.length + MORE);
    call.resume();
    await complete;
    await new Promise((r) => setTimeout(r, QUIET_MS));
    call.cancel();
    c.close();
    streamed.push(...received);
    expect(received).toHaveLength(MORE);
    expect(new Set(received.map((r) => r.event!.id))).toEqual(ids);
    expect(new Set(positionsOf(received, all[EVENTS - 1]!.cursor)).size).toBe(MORE);
    latest = received[MORE - 1]!.cursor;
  });

  it("ends an open stream when the partner leaves the policy registry, audited, and refuses it until it returns", async () => {
    const registryFile = join(dataDir, "subscribers.json");
    const original = readFileSync(registryFile, "utf8");
    const sha = sha256(der("subscriber/customs.crt"));
    const revokedBefore = (await metric("exchange_subscribe_denials_total", 'reason="SUBSCRIBER_REVOKED"')) ?? 0;
    // An idle stream: past everything delivered so far, so only the timer can end it.
    const c = new DeliveryServiceClient(`localhost:${grpcPort}`, creds("subscriber/customs"));
    const call = c.subscribe({ subscriberId: "", cursor: latest });
    const ended = new Promise<grpc.ServiceError>((resolve) => call.on("error", resolve));
    const handed: SubscribeResponse[] = [];
    call.on("data", (r: SubscribeResponse) => handed.push(r));
    const withoutCustoms = JSON.parse(original) as Record<string, unknown>;
    delete withoutCustoms.customs;
    try {
      await new Promise((r) => setTimeout(r, 1000));
      writeFileSync(`${registryFile}.tmp`, JSON.stringify(withoutCustoms, null, 2));
      renameSync(`${registryFile}.tmp`, registryFile);
      const err = await ended;
      expect(err.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(err.details).toMatch(/^SUBSCRIBER_REVOKED: /);
      expect(handed).toEqual([]);
      expect(await metric("exchange_subscribe_denials_total", 'reason="SUBSCRIBER_REVOKED"')).toBe(revokedBefore + 1);
      const records = await accessRecords((rs) => rs.some((r) => r.reason === "SUBSCRIBER_REVOKED"));
      expect(records.map((o) => o.record).filter((r) => r.reason === "SUBSCRIBER_REVOKED")).toEqual([
        expect.objectContaining({ action: AccessAction.ACCESS_ACTION_SUBSCRIBE_DENIED, subscriberId: "customs", requestedSubscriberId: "customs", certificateSha256: sha }),
      ]);
      const refused = await refusal(creds("subscriber/customs"), {});
      expect(refused.error?.code).toBe(grpc.status.PERMISSION_DENIED);
      expect(refused.error?.metadata.get("takitini-error-code")).toEqual(["UNKNOWN_SUBSCRIBER"]);
    } finally {
      c.close();
      writeFileSync(`${registryFile}.tmp`, original);
      renameSync(`${registryFile}.tmp`, registryFile);
    }
    // Back in the registry: its stream is served again.
    const deadline = Date.now() + 30_000;
    for (;;) {
      const again = await collect(creds("subscriber/customs"), { cursor: latest }, 0, 1500);
      if (!again.error) {
        expect(again.responses).toEqual([]);
        break;
      }
      expect(again.error.metadata.get("takitini-error-code")).toEqual(["UNKNOWN_SUBSCRIBER"]);
      if (Date.now() > deadline) throw new Error("customs was not served again after its registry entry returned");
      await new Promise((r) => setTimeout(r, 500));
    }
  });

  it("ends open streams with UNAVAILABLE on SIGTERM, and exits 0", async () => {
    const c = new DeliveryServiceClient(`localhost:${grpcPort}`, creds("subscriber/customs"));
    const call = c.subscribe({ subscriberId: "", cursor: "" });
    const received: SubscribeResponse[] = [];
    const ended = new Promise<grpc.ServiceError>((resolve) => call.on("error", resolve));
    await new Promise<void>((resolve) =>
      call.on("data", (r: SubscribeResponse) => {
        received.push(r);
        if (received.length === EVENTS) resolve();
      }),
    );
    streamed.push(...received);
    expect(await exchange.stop("SIGTERM")).toBe(0);
    const err = await ended;
    expect(err.code).toBe(grpc.status.UNAVAILABLE);
    expect(err.details).toMatch(/^SHUTTING_DOWN/);
    c.close();
  });
});
