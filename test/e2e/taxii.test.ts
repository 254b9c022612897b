/**
 * International partners fetch what New Zealand agencies released to them as STIX
 * 2.1 over TAXII 2.1, on the real broker with the real adapters and exchange:
 * released by country under an agreement, one collection per partner over mutual
 * TLS, every object served recorded on the audit topic (with its decision and the
 * agreement's legal basis) before it leaves, and the OASIS clients — taxii2-client
 * and stix2-validator, installed from PyPI into a local virtual environment — as
 * the independent partner.
 *
 * The run has topics of its own (agency topics, delivery topics via a registry
 * copy, audit topic), so each collection holds exactly this run's deliveries.
 */
import { execFile, execFileSync } from "node:child_process";
import { createHash, randomUUID, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { AccessAction, AccessRecord, DecisionRecord, Outcome } from "@takitini/proto";
import { decisionIdFor } from "@takitini/runtime";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { entryOf } from "../../services/exchange/dist/taxii/feed.js";
import { collectionId } from "../../services/exchange/dist/taxii/resources.js";
import { client, createRunTopics, header, readTopic, registryWith, type Seen } from "./kafka.js";
import { publish, publisherOf } from "./publishers.js";
import { auditEnv, freePort, oversightHeaders, ROOT, startService, type RunningService } from "./stack.js";

const brokers = inject("brokers");
const databaseUrl = inject("databaseUrl");
const kafka = client(brokers);
const run = randomUUID().slice(0, 8);
const T = {
  customs: `e2e-taxii-${run}.intel.customs.v1`,
  police: `e2e-taxii-${run}.intel.police.v1`,
  audit: `e2e-taxii-${run}.audit.v1`,
  deadletter: `e2e-taxii-${run}.deadletter.v1`,
};
const deliverTopic = (id: string) => `e2e-taxii-${run}.deliver.${id}.v1`;
const execFileAsync = promisify(execFile);

let pki: string;
let dataDir: string;
let taxiiPort: number;
let python: string;
let audit: RunningService;
let customsUrl: string;
const services: RunningService[] = [];
const file = (path: string) => readFileSync(join(pki, path));
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** Event ids of what was published, by what it is. */
const published: Record<"seizureToAus" | "seizureNotReleased" | "notingToAus" | "notingEmbargoed", string> = {
  seizureToAus: "",
  seizureNotReleased: "",
  notingToAus: "",
  notingEmbargoed: "",
};

const seizure = (id: string, countries: string[]) => ({
  ...(JSON.parse(readFileSync(join(ROOT, "services/customs-adapter/examples/border_seizure.json"), "utf8")) as Record<string, unknown>),
  seizure_id: `SZ-TAXII-${run}-${id}`,
  // Not part of an operation: the policy holds anything about an operation before its resolution at home.
  operation: undefined,
  releasable_to_countries: countries,
});
const noting = (id: string, extra: Record<string, unknown>) => ({
  ...(JSON.parse(readFileSync(join(ROOT, "services/police-adapter/examples/noting.json"), "utf8")) as Record<string, unknown>),
  noting_id: `NIC-TAXII-${run}-${id}`,
  ...extra,
});

interface PartnerView {
  title: string;
  api_roots: string[];
  versions: string[];
  collections: {
    id: string;
    alias: string;
    title: string;
    can_read: boolean;
    can_write: boolean;
    media_types: string[];
    pages: number;
    objects: { id: string; type: string; [k: string]: unknown }[];
    manifest: { id: string; date_added: string; version: string; media_type: string }[];
    validation: { valid: boolean; errors: string[]; warnings: string[] };
  }[];
}

/** The partner's collection as taxii2-client fetches it (and stix2-validator judges it). */
async function fetchAs(partner: string, perRequest = 0): Promise<PartnerView> {
  const { stdout } = await execFileAsync(
    python,
    [join(ROOT, "test/e2e/taxii_client.py"), "--url", `https://127.0.0.1:${taxiiPort}/taxii2/`, "--cert", join(pki, `subscriber/${partner}.crt`), "--key", join(pki, `subscriber/${partner}.key`), "--ca", join(pki, "ca.crt"), "--per-request", String(perRequest)],
    { timeout: 120_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as PartnerView;
}

/** A raw HTTPS request to the TAXII door, as `who` (a certificate under pki/), or with none. */
function get(path: string, who: string | undefined, opts: { method?: string; accept?: string } = {}): Promise<{ status: number; body: any; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: "127.0.0.1",
        port: taxiiPort,
        path,
        method: opts.method ?? "GET",
        ca: file("ca.crt"),
        ...(who ? { cert: file(`${who}.crt`), key: file(`${who}.key`) } : {}),
        headers: { accept: opts.accept ?? "application/taxii+json;version=2.1" },
      },
      (res) => {
        let text = "";
        res.on("data", (d: Buffer) => (text += d.toString("utf8")));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined, headers: res.headers }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

const accessOnAudit = async (until: (rs: AccessRecord[]) => boolean): Promise<AccessRecord[]> => {
  const out: AccessRecord[] = [];
  await readTopic(kafka, T.audit, {
    timeoutMs: 60_000,
    until: (s) => {
      if (header(s.message, "event-type") !== "audit.access") return false;
      out.push(AccessRecord.decode(s.message.value!));
      return until(out);
    },
  });
  return out;
};

/** The run's delivery records on a partner's topic, as the exchange wrote them. */
const deliveries = async (partner: string, n: number): Promise<Seen[]> => {
  const got: Seen[] = [];
  await readTopic(kafka, deliverTopic(partner), { timeoutMs: 90_000, until: (s) => (got.push(s), got.length >= n) });
  return got;
};

beforeAll(async () => {
  // The OASIS clients, from PyPI, in the project's virtual environment.
  const venv = execFileSync("bash", [join(ROOT, "infra/python/install.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], timeout: 600_000 }).trim().split("\n").pop()!;
  python = join(venv, "bin", "python");

  pki = join(mkdtempSync(join(tmpdir(), "takitini-e2e-pki-")), "pki");
  execFileSync("bash", [join(ROOT, "infra/pki/issue.sh"), "--out", pki, "--rogue-ca"], { stdio: ["ignore", "pipe", "pipe"] });
  // An empty CRL to start with, watched by the exchange as npm start has it (revocations below).
  execFileSync("bash", [join(ROOT, "infra/pki/revoke.sh"), "--out", pki], { stdio: ["ignore", "pipe", "pipe"] });

  dataDir = mkdtempSync(join(tmpdir(), "takitini-e2e-taxii-"));
  const ids: string[] = [];
  const registryFile = registryWith(dataDir, (id) => (ids.push(id), deliverTopic(id)), ROOT);
  await createRunTopics(
    [
      { name: T.customs, role: "intel" },
      { name: T.police, role: "intel" },
      { name: T.audit, role: "decisions" },
      { name: T.deadletter, role: "dead-letter" },
      ...ids.map((id) => ({ name: deliverTopic(id), role: "delivery" as const })),
    ],
    registryFile,
  );

  // The audit ledger, on the run's topics: every access record the TAXII door writes ends up there.
  audit = await startService("audit", { KAFKA_BROKERS: brokers.join(","), ...auditEnv(databaseUrl, `taxii-${run}`), GROUP_ID: `takitini-audit-e2e-taxii-${run}`, AUDIT_TOPIC: T.audit, INTEL_TOPICS: `${T.customs},${T.police}` });
  services.push(audit);
  taxiiPort = await freePort();
  services.push(
    await startService("exchange", {
      KAFKA_BROKERS: brokers.join(","),
      GROUP_ID: `takitini-exchange-e2e-taxii-${run}`,
      INSTANCE_ID: `e2e-taxii-${run}`,
      INTEL_TOPICS: `${T.customs},${T.police}`,
      AUDIT_TOPIC: T.audit,
      DEADLETTER_TOPIC: T.deadletter,
      POLICY_DATA_DIR: dataDir,
      GRPC_PORT: String(await freePort()),
      GRPC_INSECURE: "false",
      GRPC_TLS_CERT: join(pki, "service/exchange.crt"),
      GRPC_TLS_KEY: join(pki, "service/exchange.key"),
      GRPC_TLS_CA: join(pki, "ca.crt"),
      TAXII_PORT: String(taxiiPort),
      SUBSCRIBE_CRL_FILE: join(pki, "crl.pem"),
      SUBSCRIBE_CRL_RELOAD_MS: "200",
      TAXII_SETTLE_MS: "500",
      // Small pages, so that paging is exercised by the partner's client.
      TAXII_MAX_PAGE: "4",
    }),
  );
  const customs = await startService("customs-adapter", { KAFKA_BROKERS: brokers.join(","), TOPIC: T.customs, GRPC_PORT: String(await freePort()) });
  const police = await startService("police-adapter", { KAFKA_BROKERS: brokers.join(","), TOPIC: T.police, GRPC_PORT: String(await freePort()) });
  services.push(customs, police);
  customsUrl = customs.url;

  const send = async (url: string, body: unknown, publisher: string) => {
    const res = await publish(url, body, { publisher });
    expect(res.status, res.text).toBe(202);
    return (res.json() as { event_id: string }).event_id;
  };
  published.seizureToAus = await send(`${customs.url}/v1/seizures`, seizure("aus", ["AUS"]), publisherOf("customs-adapter"));
  published.seizureNotReleased = await send(`${customs.url}/v1/seizures`, seizure("nz", []), publisherOf("customs-adapter"));
  published.notingToAus = await send(`${police.url}/v1/reports`, noting("aus", { releasable_to_countries: ["AUS", "GBR"], operation: undefined }), publisherOf("police-adapter"));
  published.notingEmbargoed = await send(
    `${police.url}/v1/reports`,
    noting("embargo", { releasable_to_countries: ["AUS", "GBR"], caveats: ["LAW ENFORCEMENT ONLY", "EMBARGO UNTIL CONCLUDED"] }),
    publisherOf("police-adapter"),
  );
  // Every decision of the run is made (and committed) before the partners look.
  const decisions = new Set<string>();
  await readTopic(kafka, T.audit, {
    timeoutMs: 120_000,
    until: (s) => {
      if (header(s.message, "event-type") !== "audit.decision") return false;
      const d = DecisionRecord.decode(s.message.value!);
      if (d.subscriberId.startsWith("aus-") || d.subscriberId === "gbr-nca" || d.subscriberId === "fji-police") decisions.add(`${d.eventId}/${d.subscriberId}`);
      return decisions.size >= 4 * 4;
    },
  });
}, 900_000);

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop("SIGKILL")));
  if (pki) rmSync(join(pki, ".."), { recursive: true, force: true });
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe("TAXII 2.1 for international partners", () => {
  let aus: PartnerView;

  it("serves Australia's border agency the seizure released to Australia, as valid STIX 2.1, through taxii2-client", async () => {
    const [delivered] = await deliveries("aus-abf", 1);
    expect(delivered!.message.key?.toString()).toBe(published.seizureToAus);
    // Its objects as the mapping makes them from the view the exchange delivered.
    const expected = entryOf(
      { id: "aus-abf", name: "", country: "AUS", deliveryTopic: deliverTopic("aus-abf") },
      { topic: delivered!.topic, partition: delivered!.partition, offset: delivered!.message.offset, timestamp: delivered!.message.timestamp, value: delivered!.message.value, headers: delivered!.message.headers },
    );
    expect(expected.ok).toBe(true);
    const objects = (expected as { entry: { objects: { id: string }[] } }).entry.objects;

    // Paged by the client with the server's pages of at most four objects.
    aus = await fetchAs("aus-abf", 4);
    expect(aus.api_roots).toHaveLength(1);
    expect(aus.versions).toEqual(["application/taxii+json;version=2.1"]);
    expect(aus.collections.map((c) => c.alias)).toEqual(["aus-abf"]);
    const c = aus.collections[0]!;
    expect(c).toMatchObject({ id: collectionId("aus-abf"), can_read: true, can_write: false, media_types: ["application/stix+json;version=2.1"] });
    expect(new Set(c.objects.map((o) => o.id))).toEqual(new Set(objects.map((o) => o.id)));
    expect(c.pages).toBeGreaterThan(1);
    expect(c.manifest.map((m) => m.id).sort()).toEqual([...new Set(c.objects.map((o) => o.id))].sort());
    expect(c.validation.errors).toEqual([]);
    expect(c.validation.valid).toBe(true);
    const report = c.objects.find((o) => o.type === "report")!;
    expect(report).toBeDefined();
    // Released to Australia: the release marking says so; no person's details or case reference left.
    const text = JSON.stringify(c.objects);
    expect(text).toContain("RELEASABLE TO");
    expect(text).toContain("AUS");
    for (const secret of ["Tāne Pōmare", "Pomare", "LA482913", "021 555 0147", "Te Irirangi", "CI-2026-00457", `SZ-TAXII-${run}`, "Kōtuku"]) expect(text).not.toContain(secret);
  });

  it("serves the seizure to no other partner, the unreleased seizure and the embargoed noting to none", async () => {
    const afp = await fetchAs("aus-afp");
    const nca = await fetchAs("gbr-nca");
    const fji = await fetchAs("fji-police");
    // Australia's police gets the noting released to Australia (so its collection is not empty by accident) ...
    const [afpDelivery] = await deliveries("aus-afp", 1);
    expect(afpDelivery!.message.key?.toString()).toBe(published.notingToAus);
    expect(afp.collections[0]!.objects.some((o) => o.type === "report")).toBe(true);
    expect(afp.collections[0]!.validation.valid).toBe(true);
    // ... and nothing else: the reports each partner holds are one per delivery on its topic.
    const reports = (v: PartnerView) => v.collections[0]!.objects.filter((o) => o.type === "report").length;
    expect(reports(afp)).toBe(1);
    expect(reports(aus)).toBe(1);
    expect(reports(fji)).toBe(0);
    // The Customs seizure to the UK: no agreement; the noting to the UK: released to GBR, and the NCA has a noting agreement.
    expect(reports(nca)).toBe(1);
    // Nothing of the unreleased seizure or the embargoed noting was decided allowed for anyone abroad.
    const allowed = (await readTopic(kafka, T.audit, { idleMs: 3000 }))
      .filter((s) => header(s.message, "event-type") === "audit.decision")
      .map((s) => DecisionRecord.decode(s.message.value!))
      .filter((d) => d.outcome === Outcome.OUTCOME_ALLOW && ["aus-abf", "aus-afp", "gbr-nca", "fji-police"].includes(d.subscriberId))
      .map((d) => `${d.eventId}/${d.subscriberId}`);
    expect(allowed.sort()).toEqual([`${published.seizureToAus}/aus-abf`, `${published.notingToAus}/aus-afp`, `${published.notingToAus}/gbr-nca`].sort());
  });

  it("records every object served on the audit topic, with its decision and the agreement's legal basis", async () => {
    const decisionId = decisionIdFor(published.seizureToAus, "aus-abf");
    const served = aus.collections[0]!.objects.map((o) => o.id);
    const records = await accessOnAudit((rs) => {
      const ids = new Set(rs.filter((r) => r.action === AccessAction.ACCESS_ACTION_DELIVERED && r.subscriberId === "aus-abf").flatMap((r) => r.stixObjectIds));
      return served.every((id) => ids.has(id));
    });
    const delivered = records.filter((r) => r.action === AccessAction.ACCESS_ACTION_DELIVERED && r.subscriberId === "aus-abf");
    expect(delivered.length).toBeGreaterThan(0);
    for (const r of delivered) {
      expect(r).toMatchObject({ channel: "taxii.objects", decisionId, eventId: published.seizureToAus, deliveryTopic: deliverTopic("aus-abf"), certificateSha256: sha256(new X509Certificate(file("subscriber/aus-abf.crt")).raw) });
      expect(r.legalBasis).toMatch(/Customs and Excise Act 2018/);
    }
    // The legal basis recorded is the one the decision relied on.
    let decision: DecisionRecord | undefined;
    await readTopic(kafka, T.audit, {
      timeoutMs: 30_000,
      until: (s) => {
        if (header(s.message, "event-type") !== "audit.decision") return false;
        const d = DecisionRecord.decode(s.message.value!);
        if (d.id === decisionId) decision = d;
        return decision !== undefined;
      },
    });
    expect(decision?.outcome).toBe(Outcome.OUTCOME_ALLOW);
    expect(new Set(delivered.map((r) => r.legalBasis))).toEqual(new Set([decision!.legalBasis]));

    // And in the audit's ledger, found by the oversight API by the legal basis relied on, with an inclusion proof.
    type Summary = { id: string; kind: string; subscriber_id: string; event_id: string; action: string; legal_basis: string };
    const search = `/v1/records?kind=access&subscriber_id=aus-abf&legal_basis=${encodeURIComponent("Customs and Excise Act 2018")}&limit=500`;
    let inLedger: Summary[] = [];
    for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      const res = await fetch(`${audit.url}${search}`, { headers: oversightHeaders });
      expect(res.status).toBe(200);
      inLedger = ((await res.json()) as { records: Summary[] }).records;
      if (delivered.every((d) => inLedger.some((l) => l.id === d.id))) break;
    }
    expect(inLedger.map((l) => l.id).sort()).toEqual(delivered.map((d) => d.id).sort());
    for (const l of inLedger) expect(l).toMatchObject({ kind: "access", action: "delivered", event_id: published.seizureToAus, legal_basis: decision!.legalBasis });
    const detail = await fetch(`${audit.url}/v1/records/${inLedger[0]!.id}`, { headers: oversightHeaders });
    expect(detail.status).toBe(200);
    // The record's own fields, as its signed bytes in the ledger hold them.
    const body = (await detail.json()) as { record: { legal_basis: string; detail: { legal_basis: string; stix_object_ids: string[]; decision_id: string; channel: string } }; ledger: { index: number } };
    expect(body.record.detail).toMatchObject({ channel: "taxii.objects", decision_id: decisionId, legal_basis: decision!.legalBasis });
    expect(body.record.detail.stix_object_ids.length).toBeGreaterThan(0);
    expect(body.record.detail.stix_object_ids.every((id) => served.includes(id))).toBe(true);
    expect(body.ledger.index).toBeGreaterThanOrEqual(0);
  });

  it("refuses a partner another partner's collection (403), and audits the refusal", async () => {
    const res = await get(`/api/collections/${collectionId("gbr-nca")}/objects/`, "subscriber/aus-abf");
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ http_status: "403", error_code: "NOT_OWN_COLLECTION" });
    expect(String(res.headers["content-type"])).toMatch(/^application\/taxii\+json;\s*version=2\.1/);
    const records = await accessOnAudit((rs) => rs.some((r) => r.action === AccessAction.ACCESS_ACTION_COLLECTION_DENIED && r.reason === "NOT_OWN_COLLECTION"));
    expect(records.find((r) => r.action === AccessAction.ACCESS_ACTION_COLLECTION_DENIED && r.reason === "NOT_OWN_COLLECTION")).toMatchObject({
      subscriberId: "aus-abf",
      requestedSubscriberId: "gbr-nca",
      channel: "taxii.objects",
    });
    // An id that is no collection at all: 404, which tells nothing.
    expect((await get(`/api/collections/${randomUUID()}/objects/`, "subscriber/aus-abf")).status).toBe(404);
  });

  it("refuses a domestic partner's certificate (403, audited): domestic partners subscribe over gRPC", async () => {
    const res = await get("/api/collections/", "subscriber/customs");
    expect(res.status).toBe(403);
    expect(res.body.error_code).toBe("NOT_FOREIGN_PARTNER");
  });

  it.each([
    ["added_after=yesterday", "added_after"],
    ["added_after=2026-02-30T00:00:00Z", "added_after"],
    ["limit=0", "limit"],
    ["limit=many", "limit"],
    ["next=forged", "next"],
  ])("answers a malformed %s with 400 naming the parameter", async (query, parameter) => {
    const res = await get(`/api/collections/${collectionId("aus-abf")}/objects/?${query}`, "subscriber/aus-abf");
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ http_status: "400", error_code: "INVALID_PARAMETER", details: { parameter } });
  });

  it("pages by added_after: nothing after the last object's date", async () => {
    const first = await get(`/api/collections/${collectionId("aus-abf")}/objects/?limit=1`, "subscriber/aus-abf");
    expect(first.status).toBe(200);
    expect(first.body.more).toBe(true);
    const last = await get(`/api/collections/${collectionId("aus-abf")}/manifest/`, "subscriber/aus-abf");
    const after = String(last.headers["x-taxii-date-added-last"]);
    const none = await get(`/api/collections/${collectionId("aus-abf")}/objects/?added_after=${after}`, "subscriber/aus-abf");
    expect(none.status).toBe(200);
    expect(none.body.objects ?? []).toEqual([]);
  });

  it("tells Australia of the seizure's withdrawal: the same objects in a revoked version, through taxii2-client", async () => {
    const res = await publish(`${customsUrl}/v1/records/${published.seizureToAus}/withdrawal`, { reason: "entered_in_error", explanation: "Recorded against the wrong consignment." }, { publisher: publisherOf("customs-adapter") });
    expect(res.status, res.text).toBe(202);
    const [, notice] = await deliveries("aus-abf", 2);
    expect(header(notice!.message, "event-type")).toBe("record.withdrawal_notice");
    const before = aus.collections[0]!.objects.filter((o) => o.type !== "marking-definition" && o.type !== "identity");
    let after: PartnerView | undefined;
    for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
      after = await fetchAs("aus-abf", 4);
      if (after.collections[0]!.objects.some((o) => o["revoked"] === true)) break;
    }
    const c = after!.collections[0]!;
    const now = c.objects.filter((o) => o.type !== "marking-definition" && o.type !== "identity");
    // The last version of each object only (TAXII's default), each revoked, dated after the version revoked.
    expect(now.map((o) => o.id).sort()).toEqual(before.map((o) => o.id).sort());
    for (const o of now) {
      expect(o["revoked"], o.id).toBe(true);
      expect(String(o["modified"]) > String(before.find((b) => b.id === o.id)!["modified"])).toBe(true);
    }
    expect(c.validation.errors).toEqual([]);
    expect(c.validation.valid).toBe(true);
    const report = now.find((o) => o.type === "report")!;
    const versions = await get(`/api/collections/${collectionId("aus-abf")}/objects/${report.id}/versions/`, "subscriber/aus-abf");
    expect(versions.status).toBe(200);
    expect(versions.body.versions).toHaveLength(2);
    // The revocation was recorded before it was served, under the revision's legal basis.
    const records = await accessOnAudit((rs) => rs.some((r) => r.action === AccessAction.ACCESS_ACTION_DELIVERED && r.subscriberId === "aus-abf" && r.stixObjectIds.includes(report.id) && r.legalBasis.startsWith("Privacy Act 2020, s 22")));
    expect(records.some((r) => r.legalBasis.startsWith("Privacy Act 2020, s 22") && r.eventId === published.seizureToAus)).toBe(true);
  });

  it("refuses a certificate that names no subscriber (the exchange's own), audited", async () => {
    const res = await get("/api/collections/", "service/exchange");
    expect(res.status).toBe(403);
    expect(res.body.error_code).toBe("NO_SUBSCRIBER_IDENTITY");
    const records = await accessOnAudit((rs) => rs.some((r) => r.action === AccessAction.ACCESS_ACTION_COLLECTION_DENIED && r.reason === "NO_SUBSCRIBER_IDENTITY"));
    expect(records.find((r) => r.reason === "NO_SUBSCRIBER_IDENTITY")).toMatchObject({ subscriberId: "", channel: "taxii.objects", resource: "/api/collections/" });
  });

  it("answers only in TAXII 2.1 (406 otherwise), and takes nothing from a partner (403 read-only)", async () => {
    expect((await get(`/api/collections/${collectionId("aus-abf")}/objects/`, "subscriber/aus-abf", { accept: "application/json" })).status).toBe(406);
    const posted = await get(`/api/collections/${collectionId("aus-abf")}/objects/`, "subscriber/aus-abf", { method: "POST" });
    expect(posted.status).toBe(403);
    expect(posted.body.error_code).toBe("COLLECTION_READ_ONLY");
  });

  it("refuses a revoked partner certificate within the CRL's reload, audited", async () => {
    expect((await get("/api/collections/", "subscriber/gbr-nca")).status).toBe(200);
    execFileSync("bash", [join(ROOT, "infra/pki/revoke.sh"), "--out", pki, "gbr-nca"], { stdio: ["ignore", "pipe", "pipe"] });
    let status = 0;
    let code = "";
    for (const deadline = Date.now() + 20_000; Date.now() < deadline && status !== 403; await new Promise((r) => setTimeout(r, 200))) {
      const res = await get("/api/collections/", "subscriber/gbr-nca");
      status = res.status;
      code = res.body?.error_code ?? "";
    }
    expect([status, code]).toEqual([403, "CERTIFICATE_REVOKED"]);
    const records = await accessOnAudit((rs) => rs.some((r) => r.reason === "CERTIFICATE_REVOKED"));
    expect(records.find((r) => r.reason === "CERTIFICATE_REVOKED")).toMatchObject({ subscriberId: "gbr-nca", action: AccessAction.ACCESS_ACTION_COLLECTION_DENIED });
  });

  it("refuses, at the handshake, a client without a certificate, and one from another CA", async () => {
    await expect(get("/taxii2/", undefined)).rejects.toThrow();
    await expect(get("/taxii2/", "rogue/subscriber/aus-abf")).rejects.toThrow();
  });
});
