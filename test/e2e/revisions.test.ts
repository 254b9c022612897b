/**
 * Corrections and withdrawals on the suite's real (mutual-TLS, ACL-enforcing)
 * broker, through the Police adapter's HTTPS and gRPC doors: every version of a
 * record and its withdrawal land on the partition of its first version (so one
 * exchange writer sees its history in order), each with its claim naming the
 * first version; a second correction of the same version and a second
 * withdrawal answer duplicate; and nothing reaches the topic on a refusal —
 * another agency's id, an unknown one, a bad record, a withdrawn record,
 * another agency's certificate or none.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";
import { seededRandom } from "@takitini/adapter-kit";
import { AdapterServiceClient, IntelligenceEvent } from "@takitini/proto";
import { correctionIdFor, eventIdFor, withdrawalIdFor } from "@takitini/runtime";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { policeAdapter } from "../../services/police-adapter/dist/adapter.js";
import { client, principalEnv, readTopic } from "./kafka.js";
import { adapterDoorEnv, importArgs, publish, publisherCredentials, PUBLISHER, suiteEventIdKey } from "./publishers.js";
import { freePort, ROOT, startService, type RunningService } from "./stack.js";

const brokers = inject("brokers");
const kafka = client(brokers);
const RUN = Math.floor(Date.now() / 1000) % 1_000_000;
const key = suiteEventIdKey();
const police = { publisher: PUBLISHER.police };
const kind = policeAdapter.kinds.find((k) => k.recordType === "organised_crime_noting")!;

let svc: RunningService;
let grpcPort: number;

beforeAll(async () => {
  grpcPort = await freePort();
  svc = await startService("police-adapter", { KAFKA_BROKERS: brokers.join(","), GRPC_PORT: String(grpcPort) });
});

afterAll(async () => {
  expect(await svc.stop("SIGTERM")).toBe(0);
});

/** A fresh record of the run (its own native id) and its first version's id. */
function freshRecord(i: number): { record: Record<string, unknown>; id: string } {
  const record = kind.synthesize(seededRandom(`revisions/${RUN}/${i}`), RUN * 100 + i) as Record<string, unknown>;
  return { record, id: eventIdFor(key, "POLICE", kind.nativeId(kind.schema.parse(record))) };
}

const correct = (id: string, record: unknown, as: Parameters<typeof publish>[2] = police) => publish(`${svc.url}/v1/records/${id}/corrections`, { record_type: kind.recordType, record }, as);
const withdraw = (id: string, body: unknown, as: Parameters<typeof publish>[2] = police) => publish(`${svc.url}/v1/records/${id}/withdrawal`, body, as);

/** The events of these ids on the Police topic, with their partitions (once each is there). */
async function onTopic(ids: string[]): Promise<Map<string, { partition: number; event: IntelligenceEvent }[]>> {
  const want = new Set(ids);
  const found = new Map<string, { partition: number; event: IntelligenceEvent }[]>();
  await readTopic(kafka, policeAdapter.topic, {
    until: (m) => {
      const id = m.message.key?.toString() ?? "";
      if (want.has(id)) found.set(id, [...(found.get(id) ?? []), { partition: m.partition, event: IntelligenceEvent.decode(m.message.value!) }]);
      return found.size === want.size;
    },
  });
  return found;
}

describe("a record's corrections and withdrawal, on the broker", () => {
  it("correct, again, correct the correction, withdraw by any version, again, then no correction: all on the first version's partition", async () => {
    // Several records, so that some first version's partition differs from what its corrections' own ids would pick.
    const records = [0, 1, 2, 3, 4, 5].map(freshRecord);
    const chains: [string, string, string, string][] = [];
    for (const { record, id } of records) {
      expect((await publish(`${svc.url}${kind.httpPath}`, record, police)).status).toBe(202);
      const c1 = await correct(id, { ...record, classification: "CONFIDENTIAL" });
      const v2 = correctionIdFor(key, "POLICE", id);
      expect([c1.status, c1.json()]).toEqual([202, expect.objectContaining({ event_id: v2, supersedes_event_id: id, original_event_id: id, duplicate: false, topic: policeAdapter.topic })]);
      const again = await correct(id, { ...record, classification: "CONFIDENTIAL" });
      expect([again.status, again.json().event_id, again.json().duplicate, again.json().partition, again.json().offset]).toEqual([200, v2, true, c1.json().partition, c1.json().offset]);
      const c2 = await correct(v2, { ...record, classification: "SECRET" });
      const v3 = correctionIdFor(key, "POLICE", v2);
      expect([c2.status, c2.json().event_id, c2.json().partition]).toEqual([202, v3, c1.json().partition]);
      const stale = await correct(id, { ...record, classification: "TOP SECRET" });
      expect([stale.status, stale.json().error.code, stale.json().error.latest_event_id]).toEqual([409, "RECORD_SUPERSEDED", v3]);
      const w = await withdraw(v2, { reason: "not_substantiated", explanation: "Inquiries closed." });
      const wid = withdrawalIdFor(key, "POLICE", id);
      expect([w.status, w.json()]).toEqual([202, expect.objectContaining({ event_id: wid, withdrawn_event_id: v3, duplicate: false, partition: c1.json().partition })]);
      const w2 = await withdraw(id, { reason: "other" });
      expect([w2.status, w2.json().event_id, w2.json().duplicate, w2.json().offset]).toEqual([200, wid, true, w.json().offset]);
      const late = await correct(v3, { ...record, classification: "TOP SECRET" });
      expect([late.status, late.json().error.code]).toEqual([409, "RECORD_WITHDRAWN"]);
      chains.push([id, v2, v3, wid]);
    }
    const found = await onTopic(chains.flat());
    for (const [id, v2, v3, wid] of chains) {
      // Each exactly once, all four on one partition, in order.
      for (const x of [id, v2, v3, wid]) expect(found.get(x)).toHaveLength(1);
      const at = (x: string) => found.get(x)![0]!;
      expect(new Set([id, v2, v3, wid].map((x) => at(x).partition)).size).toBe(1);
      expect([at(v2).event.supersedes, at(v2).event.originalEventId, at(v3).event.supersedes, at(v3).event.originalEventId]).toEqual([id, id, v2, id]);
      expect(at(wid).event).toMatchObject({ eventType: "record.withdrawal", originalEventId: id, region: "POLICE_DISTRICT_UNSPECIFIED", publisher: `spiffe://takitini.local/publisher/${PUBLISHER.police}` });
      expect(at(wid).event.payload).toEqual({ $case: "recordWithdrawal", value: { withdrawnEventId: v3, reason: "WITHDRAWAL_REASON_NOT_SUBSTANTIATED", explanation: "Inquiries closed." } });
    }
  });

  it("refuses, writing nothing: another agency's id, an unknown one, a bad record, another agency's certificate, no certificate — and the same over gRPC", async () => {
    const { record, id } = freshRecord(50);
    expect((await publish(`${svc.url}${kind.httpPath}`, record, police)).status).toBe(202);
    const customs = eventIdFor(key, "CUSTOMS", "X-1");
    const answers = [
      [await correct(customs, record), 403, "RECORD_OF_ANOTHER_AGENCY"],
      [await correct(eventIdFor(key, "POLICE", `NOPE-${RUN}`), record), 404, "RECORD_NOT_FOUND"],
      [await correct("not-an-event-id", record), 400, "VALIDATION_FAILED"],
      [await correct(id, { ...record, district: "Atlantis" }), 400, "VALIDATION_FAILED"],
      [await withdraw(customs, { reason: "other" }), 403, "RECORD_OF_ANOTHER_AGENCY"],
      [await withdraw(id, { reason: "other", explanation: "call 021 555 0199" }), 400, "VALIDATION_FAILED"],
      [await correct(id, { ...record, classification: "TOP SECRET" }, { publisher: PUBLISHER.customs }), 403, "PUBLISHER_NOT_FOR_AGENCY"],
      [await withdraw(id, { reason: "other" }, { publisher: PUBLISHER.customs }), 403, "PUBLISHER_NOT_FOR_AGENCY"],
      [await withdraw(id, { reason: "other" }, "none"), 401, "PUBLISHER_CERTIFICATE_REQUIRED"],
    ] as const;
    for (const [res, code, name] of answers) expect([res.status, res.json().error?.code]).toEqual([code, name]);

    const grpcCall = (as: { publisher: string }, f: (c: InstanceType<typeof AdapterServiceClient>, done: (err: ServiceError | null, res?: unknown) => void) => void) =>
      new Promise<{ err: ServiceError | null; res?: unknown }>((resolve) => {
        const c = new AdapterServiceClient(`localhost:${grpcPort}`, publisherCredentials(as));
        f(c, (err, res) => {
          c.close();
          resolve({ err, res });
        });
      });
    const code = (err: ServiceError | null) => [err?.code, err?.metadata?.get("takitini-error-code")[0]];
    expect(code((await grpcCall(police, (c, d) => c.correct({ supersedesEventId: customs, recordType: kind.recordType, record: record as never }, new Metadata(), d))).err)).toEqual([status.PERMISSION_DENIED, "RECORD_OF_ANOTHER_AGENCY"]);
    expect(code((await grpcCall(police, (c, d) => c.withdraw({ eventId: eventIdFor(key, "POLICE", `NOPE-${RUN}`), reason: "other", explanation: "" }, new Metadata(), d))).err)).toEqual([status.NOT_FOUND, "RECORD_NOT_FOUND"]);
    expect(code((await grpcCall({ publisher: PUBLISHER.customs }, (c, d) => c.withdraw({ eventId: id, reason: "other", explanation: "" }, new Metadata(), d))).err)).toEqual([status.PERMISSION_DENIED, "PUBLISHER_NOT_FOR_AGENCY"]);
    // Over gRPC, a correction goes through.
    const ok = await grpcCall(police, (c, d) => c.correct({ supersedesEventId: id, recordType: kind.recordType, record: { ...record, classification: "SECRET" } as never }, new Metadata(), d));
    expect(ok.res).toMatchObject({ eventId: correctionIdFor(key, "POLICE", id), supersedesEventId: id, originalEventId: id, duplicate: false });

    // On the topic: the first version and the gRPC correction only — no withdrawal, nothing else of this record.
    const wid = withdrawalIdFor(key, "POLICE", id);
    const seen = await readTopic(kafka, policeAdapter.topic, { idleMs: 4000 });
    // The suite's other files share this topic, and some write records that are not events on purpose (the dead-letter tests).
    const mine = seen.filter((m) => {
      let e: IntelligenceEvent;
      try {
        e = IntelligenceEvent.decode(m.message.value ?? Buffer.alloc(0));
      } catch {
        return false;
      }
      return e.id === id || e.originalEventId === id || e.id === wid;
    });
    expect(mine.map((m) => m.message.key?.toString()).sort()).toEqual([id, correctionIdFor(key, "POLICE", id)].sort());
  });

  it("the import CLI corrects and withdraws by NDJSON lines, rejecting another agency's record by line", async () => {
    const { record, id } = freshRecord(70);
    const dir = mkdtempSync(join(tmpdir(), "takitini-revisions-import-"));
    const file = join(dir, "revisions.ndjson");
    const v2 = correctionIdFor(key, "POLICE", id);
    writeFileSync(
      file,
      [
        JSON.stringify(record),
        JSON.stringify({ supersedes: id, record: { ...record, classification: "SECRET" } }),
        JSON.stringify({ supersedes: eventIdFor(key, "MSD", "X-1"), record }),
        JSON.stringify({ withdraw: v2, reason: "duplicate" }),
      ].join("\n") + "\n",
    );
    const run = spawnSync(process.execPath, [join(ROOT, "services/police-adapter/dist/import.js"), file, "--type", kind.recordType, ...importArgs(police)], { env: { ...process.env, ...principalEnv("police-adapter"), ...adapterDoorEnv("police-adapter") }, encoding: "utf8" });
    expect(run.status, run.stderr + run.stdout).toBe(3);
    expect(run.stdout).toMatch(/accepted\s+3 \(1 corrections, 1 withdrawals\)/);
    const rejects = readFileSync(`${file}.rejects.ndjson`, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { line: number; code: string });
    expect(rejects.map((r) => [r.line, r.code])).toEqual([[3, "RECORD_OF_ANOTHER_AGENCY"]]);
    const wid = withdrawalIdFor(key, "POLICE", id);
    const found = await onTopic([id, v2, wid]);
    expect(new Set([id, v2, wid].map((x) => found.get(x)![0]!.partition)).size).toBe(1);
    expect(found.get(wid)![0]!.event.payload).toMatchObject({ $case: "recordWithdrawal", value: { withdrawnEventId: v2, reason: "WITHDRAWAL_REASON_DUPLICATE" } });
    // The service knows the import's versions too (from the claims topic): the record is withdrawn.
    const late = await correct(v2, { ...record, classification: "TOP SECRET" });
    expect([late.status, late.json().error.code]).toEqual([409, "RECORD_WITHDRAWN"]);
  });
});
