/**
 * Partners' Subscribe certificates can be revoked, on the real components: a
 * real exchange process serving Subscribe over mutual TLS with SUBSCRIBE_CRL_FILE,
 * Police events produced to the run's agency topic on the real broker, the real
 * audit service writing the ledger, and infra/pki/revoke.sh revoking a
 * certificate under the running exchange.
 *
 * Customs is revoked while it holds an open stream: the stream ends with
 * PERMISSION_DENIED (CERTIFICATE_REVOKED) within the reload interval, a new call
 * with that certificate is refused, both are in the ledger, and MBIE's stream
 * goes on delivering. A bad CRL written over the good one keeps the good one in
 * force; an exchange whose CRL is missing or signed by another CA does not start.
 */
import { execFileSync } from "node:child_process";
import { createHash, randomUUID, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import {
  AccessAction,
  AccessRecord,
  Agency,
  Classification,
  DeliveryServiceClient,
  HandlingCaveat,
  IntelligenceEvent,
  INTEL_SCHEMA_VERSION,
  OrganisedCrimeActivity,
  PoliceDistrict,
  SubjectRole,
  type SubscribeResponse,
} from "@takitini/proto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { client, createRunTopics, header, readTopic, registryWith } from "./kafka.js";
import { auditEnv, freePort, oversightHeaders, ROOT, startService, type RunningService } from "./stack.js";

const brokers = inject("brokers");
const kafka = client(brokers);
const run = randomUUID().slice(0, 8);
const INTEL = `e2e-rev-${run}.intel.police.v1`;
const AUDIT = `e2e-rev-${run}.audit.v1`;
const DEADLETTER = `e2e-rev-${run}.deadletter.v1`;
const deliverTopic = (id: string) => `e2e-rev-${run}.deliver.${id}.v1`;
/** How often the exchange looks at its CRL file in this suite. */
const RELOAD_MS = 1000;

let tmp: string;
let pki: string;
let dataDir: string;
let grpcPort: number;
let exchange: RunningService;
let audit: RunningService;
const services: RunningService[] = [];

const file = (path: string) => readFileSync(join(pki, path));
const sha256 = (path: string) => createHash("sha256").update(new X509Certificate(file(path)).raw).digest("hex");
const creds = (who: string) => grpc.credentials.createSsl(file("ca.crt"), file(`${who}.key`), file(`${who}.crt`));
const revokeSh = (...args: string[]) => execFileSync("bash", [join(ROOT, "infra/pki/revoke.sh"), "--out", pki, ...args], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });

async function until<T>(what: string, probe: () => Promise<T | undefined>, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function metric(name: string, labels = ""): Promise<number | undefined> {
  const text = await (await fetch(`${exchange.adminUrl}/metrics`)).text();
  const line = text.split("\n").find((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

/** An open Subscribe stream: what it has been handed, and how it ended (if it has). */
function open(who: string, cursor = "") {
  const c = new DeliveryServiceClient(`localhost:${grpcPort}`, creds(who));
  const call = c.subscribe({ subscriberId: "", cursor });
  const received: SubscribeResponse[] = [];
  let error: grpc.ServiceError | undefined;
  let endedAt: number | undefined;
  const ended = new Promise<grpc.ServiceError>((resolve) =>
    call.on("error", (err: grpc.ServiceError) => {
      error = err;
      endedAt = Date.now();
      resolve(err);
    }),
  );
  call.on("data", (r: SubscribeResponse) => received.push(r));
  return {
    received,
    ended,
    error: () => error,
    endedAt: () => endedAt,
    close: () => {
      call.cancel();
      c.close();
    },
  };
}

/** One Subscribe call, collected until it fails or `quietMs` passes with nothing more. */
async function once(who: string, cursor = "", quietMs = 1500): Promise<{ responses: SubscribeResponse[]; error?: grpc.ServiceError }> {
  const s = open(who, cursor);
  const timer = new Promise<void>((r) => setTimeout(r, quietMs));
  await Promise.race([s.ended, timer]);
  s.close();
  const error = s.error();
  return error && error.code !== grpc.status.CANCELLED ? { responses: s.received, error } : { responses: s.received };
}

/**
 * A Police organised-crime noting as the sharing policy sees it: a drug-supply one
 * (law-enforcement only) goes to Customs in full; a money-laundering one released
 * to MBIE goes to MBIE redacted. Neither goes to the other.
 */
function noting(i: number, to: "customs" | "mbie"): IntelligenceEvent {
  const markings =
    to === "customs"
      ? { classification: Classification.CLASSIFICATION_RESTRICTED, handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY], releasableTo: [], releasableToCountries: [] } }
      : { classification: Classification.CLASSIFICATION_IN_CONFIDENCE, handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_RELEASABLE_TO], releasableTo: ["MBIE"], releasableToCountries: [] } };
  return IntelligenceEvent.fromPartial({
    id: randomUUID(),
    sourceAgency: Agency.AGENCY_POLICE,
    eventType: "police.organised_crime_noting",
    occurredAt: new Date(),
    publishedAt: new Date(),
    region: PoliceDistrict.POLICE_DISTRICT_EASTERN,
    sourceRecordId: `NIC-REV-${run}-${to}-${i}`,
    ...markings,
    subjects: [{ entity: { $case: "person", value: { subjectId: `police/person/P-REV-${i}`, fullName: "Test Person", aliases: [], dateOfBirth: "1991-03-14", address: "", phoneNumbers: [], documents: [], role: SubjectRole.SUBJECT_ROLE_PERSON_OF_INTEREST, isMinor: false } } }],
    payload: {
      $case: "policeNoting",
      value: {
        groupName: "Test chapter",
        activity: to === "customs" ? OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_DRUG_SUPPLY : OrganisedCrimeActivity.ORGANISED_CRIME_ACTIVITY_MONEY_LAUNDERING,
        commodities: [],
        summary: "Revocation suite noting.",
        reportingUnit: "National Organised Crime Group",
        locality: "Gisborne",
      },
    },
  });
}

/** Produce one noting for Customs and one for MBIE to the run's Police topic; their event ids. */
async function publish(i: number): Promise<{ customs: string; mbie: string }> {
  const events = { customs: noting(i, "customs"), mbie: noting(i, "mbie") };
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  try {
    await producer.send({
      topic: INTEL,
      acks: -1,
      messages: Object.values(events).map((e) => ({
        key: e.id,
        value: Buffer.from(IntelligenceEvent.encode(e).finish()),
        headers: { "event-type": e.eventType, "schema-version": INTEL_SCHEMA_VERSION },
      })),
    });
  } finally {
    await producer.disconnect();
  }
  return { customs: events.customs.id, mbie: events.mbie.id };
}

/** Access records on the exchange's audit topic, read until `enough` holds. */
async function accessRecords(enough: (records: AccessRecord[]) => boolean): Promise<AccessRecord[]> {
  const out: AccessRecord[] = [];
  await readTopic(kafka, AUDIT, {
    timeoutMs: 30_000,
    until: (s) => {
      if (header(s.message, "event-type") !== "audit.access") return false;
      out.push(AccessRecord.decode(s.message.value!));
      return enough(out);
    },
  });
  return out;
}

interface LedgerAccess {
  action: string;
  subscriber_id: string;
  reason: string;
  session_id: string;
  certificate_sha256: string;
  channel: string;
}

/** Subscribe accesses the ledger (the audit service's oversight API) holds for a subscriber. */
async function ledgerAccesses(subscriberId: string): Promise<LedgerAccess[]> {
  const api = async <T>(path: string) => {
    const res = await fetch(`${audit.url}${path}`, { headers: oversightHeaders });
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  const { records } = await api<{ records: { id: string }[] }>(`/v1/records?kind=access&subscriber_id=${subscriberId}&limit=500`);
  return Promise.all(records.map(async (r) => (await api<{ record: { detail: LedgerAccess } }>(`/v1/records/${encodeURIComponent(r.id)}`)).record.detail));
}

function exchangeEnv(crlFile: string): Record<string, string> {
  return {
    KAFKA_BROKERS: brokers.join(","),
    GROUP_ID: `takitini-exchange-e2e-rev-${run}`,
    INSTANCE_ID: `e2e-rev-${run}`,
    INTEL_TOPICS: INTEL,
    AUDIT_TOPIC: AUDIT,
    DEADLETTER_TOPIC: DEADLETTER,
    POLICY_DATA_DIR: dataDir,
    GRPC_PORT: String(grpcPort),
    GRPC_INSECURE: "false",
    GRPC_TLS_CERT: join(pki, "service/exchange.crt"),
    GRPC_TLS_KEY: join(pki, "service/exchange.key"),
    GRPC_TLS_CA: join(pki, "ca.crt"),
    SUBSCRIBE_CRL_FILE: crlFile,
    SUBSCRIBE_CRL_RELOAD_MS: String(RELOAD_MS),
  };
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "takitini-e2e-rev-"));
  pki = join(tmp, "pki");
  execFileSync("bash", [join(ROOT, "infra/pki/issue.sh"), "--out", pki, "--rogue-ca"], { stdio: ["ignore", "pipe", "pipe"] });
  // An empty CRL to start with (what npm start makes), and one from the rogue CA.
  revokeSh();
  execFileSync("bash", [join(ROOT, "infra/pki/revoke.sh"), "--out", join(pki, "rogue")], { stdio: ["ignore", "pipe", "pipe"] });

  dataDir = mkdtempSync(join(tmpdir(), "takitini-e2e-rev-data-"));
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
  audit = await startService("audit", {
    KAFKA_BROKERS: brokers.join(","),
    ...auditEnv(inject("databaseUrl"), `rev-${run}`),
    GROUP_ID: `takitini-audit-e2e-rev-${run}`,
    AUDIT_TOPIC: AUDIT,
    INTEL_TOPICS: INTEL,
    DEADLETTER_TOPIC: DEADLETTER,
    ACCESS_TOPICS: "",
  });
  services.push(audit);
});

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop("SIGKILL")));
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("an exchange whose CRL cannot be trusted does not start", () => {
  it.each([
    ["a CRL signed by another CA with the same name", () => join(pki, "rogue/crl.pem"), /CRL_NOT_SIGNED_BY_CA/],
    ["a CRL file that is not there", () => join(tmp, "nowhere/crl.pem"), /CRL_FILE_MISSING/],
    ["a CRL file that is not a CRL", () => (writeFileSync(join(tmp, "garbage.pem"), "garbage"), join(tmp, "garbage.pem")), /CRL_UNREADABLE/],
  ])("refuses %s", async (_what, crl, code) => {
    const err = await startService("exchange", exchangeEnv(crl())).then(
      async (s) => (await s.stop("SIGKILL"), undefined),
      (e: unknown) => e as Error,
    );
    expect(err?.message).toMatch(/exchange exited with 1/);
    expect(err?.message).toMatch(/"code":"CRL_INVALID"/);
    expect(err?.message).toMatch(code);
  });
});

describe("revoking a partner's certificate under a running exchange", () => {
  const customsSha = () => sha256("subscriber/customs.crt");
  let customs: ReturnType<typeof open>;
  let mbie: ReturnType<typeof open>;
  let revokedAt: number;

  beforeAll(async () => {
    // The exchange watches the CRL revoke.sh (re)writes, as npm start has it do.
    exchange = await startService("exchange", exchangeEnv(join(pki, "crl.pem")));
    services.push(exchange);
  });

  it("serves both partners while their certificates are good", async () => {
    expect(await metric("exchange_subscribe_crl_revoked_certificates")).toBe(0);
    expect(await metric("exchange_subscribe_crl_stale")).toBe(0);
    customs = open("subscriber/customs");
    mbie = open("subscriber/mbie");
    const first = await publish(0);
    await until("both partners' first delivery", async () => (customs.received.length >= 1 && mbie.received.length >= 1 ? true : undefined));
    expect(customs.received.map((r) => r.event?.id)).toEqual([first.customs]);
    expect(mbie.received.map((r) => r.event?.id)).toEqual([first.mbie]);
    expect(customs.received[0]!.view).toBe("full");
    expect(mbie.received[0]!.view).toBe("redacted");
    expect(customs.error()).toBeUndefined();
  });

  it("ends Customs' open stream with CERTIFICATE_REVOKED within the reload interval once revoke.sh revokes it", async () => {
    const out = revokeSh("customs");
    revokedAt = Date.now();
    expect(out.trim()).toBe(join(pki, "crl.pem"));
    const err = await Promise.race([customs.ended, new Promise<undefined>((r) => setTimeout(() => r(undefined), RELOAD_MS + 10_000))]);
    expect(err, "Customs' stream did not end").toBeDefined();
    expect(err!.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(err!.details).toMatch(/^CERTIFICATE_REVOKED: /);
    expect(err!.metadata.get("takitini-error-code")).toEqual(["CERTIFICATE_REVOKED"]);
    // The poll (RELOAD_MS) plus the audit write before the stream is told.
    expect(customs.endedAt()! - revokedAt).toBeLessThan(RELOAD_MS + 5_000);
    expect(await metric("exchange_subscribe_crl_revoked_certificates")).toBe(1);
    expect(await metric("exchange_subscribe_crl_reloads_total", 'outcome="loaded"')).toBe(1);
    expect(await metric("exchange_subscribe_denials_total", 'reason="CERTIFICATE_REVOKED"')).toBe(1);
  });

  it("refuses a new Subscribe with the revoked certificate, whatever it asks for", async () => {
    const refused = await once("subscriber/customs");
    expect(refused.responses).toEqual([]);
    expect(refused.error?.code).toBe(grpc.status.PERMISSION_DENIED);
    expect(refused.error?.metadata.get("takitini-error-code")).toEqual(["CERTIFICATE_REVOKED"]);
    expect(await metric("exchange_subscribe_denials_total", 'reason="CERTIFICATE_REVOKED"')).toBe(2);
  });

  it("leaves MBIE's open stream delivering, and serves it new streams", async () => {
    const next = await publish(1);
    await until("MBIE's second delivery", async () => (mbie.received.length >= 2 ? true : undefined), 30_000);
    expect(mbie.received.map((r) => r.event?.id)).toEqual([expect.any(String), next.mbie]);
    expect(mbie.error()).toBeUndefined();
    // Customs got nothing more after its revocation (its noting was decided and delivered to its topic all the same).
    expect(customs.received).toHaveLength(1);
    const again = await once("subscriber/mbie", mbie.received[1]!.cursor);
    expect(again.error).toBeUndefined();
    expect(await metric("exchange_subscribe_denials_total", 'reason="CERTIFICATE_REVOKED"')).toBe(2);
  });

  it("audits the ended stream and the refusal like any other denial, on the audit topic and in the ledger", async () => {
    const sha = customsSha();
    const revokedOf = (rs: AccessRecord[]) => rs.filter((r) => r.reason === "CERTIFICATE_REVOKED");
    const records = await accessRecords((rs) => revokedOf(rs).length >= 2);
    const grants = records.filter((r) => r.action === AccessAction.ACCESS_ACTION_SUBSCRIBE_GRANTED && r.subscriberId === "customs");
    expect(grants).toHaveLength(1);
    const revoked = revokedOf(records);
    expect(revoked).toHaveLength(2);
    for (const r of revoked) {
      expect(r).toMatchObject({ action: AccessAction.ACCESS_ACTION_SUBSCRIBE_DENIED, subscriberId: "customs", channel: "grpc.subscribe", certificateSha256: sha, eventId: "" });
      expect(r.occurredAt!.getTime()).toBeGreaterThanOrEqual(revokedAt - 1000);
    }
    // One ends the granted stream (its session, its own stream), the other refuses a new call
    // (a session never granted; it asked for "", i.e. its own stream, as the call sent it).
    const ended = revoked.filter((r) => r.sessionId === grants[0]!.sessionId);
    const refused = revoked.filter((r) => r.sessionId !== grants[0]!.sessionId);
    expect(ended).toEqual([expect.objectContaining({ requestedSubscriberId: "customs" })]);
    expect(refused).toEqual([expect.objectContaining({ requestedSubscriberId: "" })]);
    // Nothing was audited as delivered to Customs after its revocation.
    const deliveredAfter = records.filter((r) => r.action === AccessAction.ACCESS_ACTION_DELIVERED && r.subscriberId === "customs" && r.occurredAt!.getTime() > revokedAt);
    expect(deliveredAfter).toEqual([]);
    // MBIE was never refused.
    expect(records.filter((r) => r.subscriberId === "mbie" && r.action === AccessAction.ACCESS_ACTION_SUBSCRIBE_DENIED)).toEqual([]);

    // The same two in the ledger, through the oversight API.
    const ledger = await until("the revocations in the ledger", async () => {
      const got = (await ledgerAccesses("customs")).filter((a) => a.reason === "CERTIFICATE_REVOKED");
      return got.length >= 2 ? got : undefined;
    });
    expect(ledger).toHaveLength(2);
    for (const a of ledger) expect(a).toMatchObject({ action: "subscribe_denied", subscriber_id: "customs", certificate_sha256: sha, channel: "grpc.subscribe" });
    expect(new Set(ledger.map((a) => a.session_id))).toEqual(new Set(revoked.map((r) => r.sessionId)));
  });

  it("keeps the CRL in force when a bad one is written over it, and counts the refusal", async () => {
    const crl = join(pki, "crl.pem");
    writeFileSync(`${crl}.tmp`, "not a CRL");
    renameSync(`${crl}.tmp`, crl);
    await until("the bad CRL refused", async () => ((await metric("exchange_subscribe_crl_reloads_total", 'outcome="rejected"')) === 1 ? true : undefined), 30_000);
    expect(exchange.output()).toMatch(/"code":"CRL_REFUSED"/);
    const refused = await once("subscriber/customs");
    expect(refused.error?.metadata.get("takitini-error-code")).toEqual(["CERTIFICATE_REVOKED"]);
    expect((await once("subscriber/mbie", mbie.received[1]!.cursor)).error).toBeUndefined();
    expect(await metric("exchange_subscribe_crl_revoked_certificates")).toBe(1);
    // revoke.sh reissues a good one from its database (the same revocations).
    revokeSh();
    await until("the reissued CRL loaded", async () => ((await metric("exchange_subscribe_crl_reloads_total", 'outcome="loaded"')) === 2 ? true : undefined), 30_000);
    expect((await once("subscriber/customs")).error?.metadata.get("takitini-error-code")).toEqual(["CERTIFICATE_REVOKED"]);
    mbie.close();
  });
});
