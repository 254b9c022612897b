import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ingest, seededRandom, type AgencyAdapter } from "@takitini/adapter-kit";
import { AdapterServiceClient, IntelligenceEvent, type PublishStreamResponse } from "@takitini/proto";
import { Metadata } from "@grpc/grpc-js";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { customsAdapter } from "../../services/customs-adapter/dist/adapter.js";
import { mbieAdapter } from "../../services/mbie-adapter/dist/adapter.js";
import { msdAdapter } from "../../services/msd-adapter/dist/adapter.js";
import { policeAdapter } from "../../services/police-adapter/dist/adapter.js";
import { client, header, principalEnv, readTopic } from "./kafka.js";
import { adapterDoorEnv, importArgs, publish, suitePki, publisherCredentials, publisherOf, spiffeOf, suiteEventIdKey } from "./publishers.js";
import { freePort, ROOT, startService, type RunningService } from "./stack.js";

const brokers = inject("brokers");
const kafka = client(brokers);
const ADAPTERS: AgencyAdapter[] = [policeAdapter, customsAdapter, mbieAdapter, msdAdapter];
// Native ids must be new on a shared cluster: synthesize from a per-run index range.
const RUN = Math.floor(Date.now() / 1000) % 1_000_000;
const index = (i: number) => RUN * 100 + i;

interface Sent {
  adapter: AgencyAdapter;
  door: "http" | "grpc" | "grpc-stream" | "bulk";
  recordType: string;
  expected: IntelligenceEvent;
}

const sent: Sent[] = [];
const services = new Map<string, { svc: RunningService; grpcPort: number }>();

/** The event a record becomes: its id keyed with the run's key, carrying its publishing system. */
function expectedEvent(adapter: AgencyAdapter, recordType: string, record: unknown): IntelligenceEvent {
  const r = ingest(adapter, recordType, record, new Date(0), { eventIdKey: suiteEventIdKey() });
  if (!r.ok) throw new Error(`${adapter.service}/${recordType} example or synthetic record is invalid: ${JSON.stringify(r.issues)}`);
  return { ...r.event, publisher: spiffeOf(publisherOf(adapter.service)) };
}

beforeAll(async () => {
  for (const adapter of ADAPTERS) {
    const grpcPort = await freePort();
    const svc = await startService(adapter.service, { KAFKA_BROKERS: brokers.join(","), GRPC_PORT: String(grpcPort) });
    services.set(adapter.service, { svc, grpcPort });
  }
});

afterAll(async () => {
  const codes = await Promise.all([...services.values()].map(({ svc }) => svc.stop("SIGTERM")));
  expect(codes.every((c) => c === 0)).toBe(true);
});

describe.each(ADAPTERS.map((a) => [a.service, a] as const))("%s publishes every event type through every door", (_name, adapter) => {
  it("HTTP: each kind's example, and a resubmission is recognised without a second event", async () => {
    const { svc } = services.get(adapter.service)!;
    for (const kind of adapter.kinds) {
      const post = () => publish(`${svc.url}${kind.httpPath}`, kind.example, { publisher: publisherOf(adapter.service) });
      const first = await post();
      expect([200, 202]).toContain(first.status); // 200 when a shared cluster already holds this example
      const again = await post();
      expect(again.status).toBe(200);
      const body = again.json() as { event_id: string; duplicate: boolean };
      expect(body.duplicate).toBe(true);
      const expected = expectedEvent(adapter, kind.recordType, kind.example);
      expect(body.event_id).toBe(expected.id);
      sent.push({ adapter, door: "http", recordType: kind.recordType, expected });
    }
  });

  it("gRPC: unary Publish and client-streaming PublishStream", async () => {
    const { grpcPort } = services.get(adapter.service)!;
    const c = new AdapterServiceClient(`127.0.0.1:${grpcPort}`, publisherCredentials({ publisher: publisherOf(adapter.service) }));
    const rng = seededRandom(`grpc/${adapter.service}/${RUN}`);
    try {
      for (const [k, kind] of adapter.kinds.entries()) {
        const record = kind.synthesize(rng, index(k));
        const res = await new Promise<{ eventId: string }>((resolve, reject) => c.publish({ recordType: kind.recordType, record: record as never }, (err, r) => (err ? reject(err) : resolve(r!))));
        const expected = expectedEvent(adapter, kind.recordType, record);
        expect(res.eventId).toBe(expected.id);
        sent.push({ adapter, door: "grpc", recordType: kind.recordType, expected });
      }
      const streamed = adapter.kinds.flatMap((kind, k) => [0, 1, 2].map((j) => ({ kind, record: kind.synthesize(rng, index(10 + k * 3 + j)) })));
      const summary = await new Promise<PublishStreamResponse>((resolve, reject) => {
        const call = c.publishStream((err, r) => (err ? reject(err) : resolve(r!)));
        for (const s of streamed) call.write({ recordType: s.kind.recordType, record: s.record as never });
        call.end();
      });
      expect(summary.rejected).toEqual([]);
      expect(summary.accepted).toBe(streamed.length);
      for (const s of streamed) sent.push({ adapter, door: "grpc-stream", recordType: s.kind.recordType, expected: expectedEvent(adapter, s.kind.recordType, s.record) });
    } finally {
      c.close();
    }
  });

  it("bulk import: an NDJSON file per kind, with a bad row reported and the rest published", () => {
    const dir = mkdtempSync(join(tmpdir(), "takitini-import-"));
    const rng = seededRandom(`bulk/${adapter.service}/${RUN}`);
    for (const [k, kind] of adapter.kinds.entries()) {
      const records = [0, 1, 2, 3].map((j) => kind.synthesize(rng, index(50 + k * 4 + j)));
      const file = join(dir, `${kind.recordType}.ndjson`);
      writeFileSync(file, [...records.map((r) => JSON.stringify(r)), '{"this":"is not a valid record"}'].join("\n") + "\n");
      const run = spawnSync(process.execPath, [join(ROOT, `services/${adapter.service}/dist/import.js`), file, "--type", kind.recordType, ...importArgs({ publisher: publisherOf(adapter.service) })], { env: { ...process.env, ...principalEnv(adapter.service), ...adapterDoorEnv(adapter.service) }, encoding: "utf8" });
      expect(run.status, run.stderr + run.stdout).toBe(3); // some rows rejected
      expect(run.stdout).toMatch(/accepted\s+4/);
      expect(run.stdout).toMatch(/rejected\s+1 — line numbers and reasons in /);
      for (const r of records) sent.push({ adapter, door: "bulk", recordType: kind.recordType, expected: expectedEvent(adapter, kind.recordType, r) });
    }
  });

  it("every event on the topic decodes back identical to the mapped record, exactly once", async () => {
    const mine = sent.filter((s) => s.adapter === adapter);
    const want = new Set(mine.map((s) => s.expected.id));
    const found = new Map<string, { event: IntelligenceEvent; eventType?: string; schema?: string }[]>();
    await readTopic(kafka, adapter.topic, {
      until: (m) => {
        const id = m.message.key?.toString() ?? "";
        if (want.has(id)) {
          const list = found.get(id) ?? [];
          list.push({ event: IntelligenceEvent.decode(m.message.value!), eventType: header(m.message, "event-type"), schema: header(m.message, "schema-version") });
          found.set(id, list);
        }
        return found.size === want.size;
      },
    });
    // Kinds covered through each door:
    for (const door of ["http", "grpc", "grpc-stream", "bulk"] as const) {
      expect(new Set(mine.filter((s) => s.door === door).map((s) => s.recordType))).toEqual(new Set(adapter.kinds.map((k) => k.recordType)));
    }
    for (const s of mine) {
      const copies = found.get(s.expected.id) ?? [];
      expect(copies, `${s.door} ${s.recordType} ${s.expected.sourceRecordId}`).toHaveLength(1);
      const { event, eventType, schema } = copies[0]!;
      expect(eventType).toBe(s.expected.eventType);
      expect(schema).toBe("takitini.intel.v1");
      expect(event.publishedAt).toBeInstanceOf(Date);
      expect({ ...event, publishedAt: undefined }).toEqual({ ...s.expected, publishedAt: undefined });
    }
  });
});

describe("the doors know who is knocking (real TLS, real broker)", () => {
  const police = () => services.get("police-adapter")!;
  const example = policeAdapter.kinds[0]!;
  const fresh = (n: number) => example.synthesize(seededRandom(`doors/${RUN}/${n}`), index(90 + n));

  it("HTTP: no certificate → 401, another agency's system → 403, a partner's certificate → 403 NOT_A_PUBLISHER, a rogue CA's copy of the right one → 401; nothing published", async () => {
    const record = fresh(1);
    const url = `${police().svc.url}${example.httpPath}`;
    const none = await publish(url, record, "none");
    expect([none.status, none.json().error.code]).toEqual([401, "PUBLISHER_CERTIFICATE_REQUIRED"]);
    const other = await publish(url, record, { publisher: publisherOf("customs-adapter") });
    expect([other.status, other.json().error.code]).toEqual([403, "PUBLISHER_NOT_FOR_AGENCY"]);
    const rogue = await publish(url, record, { publisher: publisherOf("police-adapter"), rogue: true });
    expect([rogue.status, rogue.json().error.code]).toEqual([401, "PUBLISHER_CERTIFICATE_REQUIRED"]);
    // A certificate the mesh's CA did sign, but for a partner's Subscribe identity: no publisher.
    const partner = { cert: join(suitePki().dir, "subscriber", "customs.crt"), key: join(suitePki().dir, "subscriber", "customs.key") };
    const notPublisher = await publish(url, record, { certificate: partner });
    expect([notPublisher.status, notPublisher.json().error.code]).toEqual([403, "NOT_A_PUBLISHER"]);
    // Every spelling of the route, and paths no route has, ask for the certificate first.
    for (const path of [example.httpPath, example.httpPath.replace("/v1/", "/%761/"), `${example.httpPath}/`, "/v1//reports", "/nowhere", "/metrics", "/docs"]) {
      const r = await publish(`${police().svc.url}${path}`, record, "none");
      expect([path, r.status]).toEqual([path, 401]);
    }
    // The same record from the right system is new: none of the refused attempts published it.
    const ok = await publish(url, record, { publisher: publisherOf("police-adapter") });
    expect([ok.status, ok.json().duplicate]).toEqual([202, false]);
  });

  it("gRPC: another agency's system → PERMISSION_DENIED; no certificate → refused at the handshake", async () => {
    const { grpcPort } = police();
    const call = (creds: ReturnType<typeof publisherCredentials>) =>
      new Promise<{ code?: number; errorCode?: string }>((resolve) => {
        const c = new AdapterServiceClient(`127.0.0.1:${grpcPort}`, creds);
        c.publish({ recordType: example.recordType, record: fresh(2) as never }, new Metadata(), { deadline: Date.now() + 10_000 }, (err) => {
          c.close();
          resolve({ code: err?.code, errorCode: err?.metadata?.get("takitini-error-code")[0]?.toString() });
        });
      });
    expect(await call(publisherCredentials({ publisher: publisherOf("mbie-adapter") }))).toEqual({ code: 7, errorCode: "PUBLISHER_NOT_FOR_AGENCY" });
    const { credentials } = await import("@grpc/grpc-js");
    const anonymous = await call(credentials.createSsl(readFileSync(suitePki().ca)));
    expect(anonymous.code).toBe(14); // UNAVAILABLE: the TLS handshake wants a client certificate
  });

  it("bulk import: another agency's certificate is refused before anything is read", () => {
    const dir = mkdtempSync(join(tmpdir(), "takitini-import-"));
    const file = join(dir, "x.ndjson");
    writeFileSync(file, JSON.stringify(fresh(3)) + "\n");
    const run = spawnSync(process.execPath, [join(ROOT, `services/police-adapter/dist/import.js`), file, "--type", example.recordType, ...importArgs({ publisher: publisherOf("msd-adapter") })], { env: { ...process.env, ...principalEnv("police-adapter"), ...adapterDoorEnv("police-adapter") }, encoding: "utf8" });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/PUBLISHER_NOT_FOR_AGENCY/);
  });
});
