// Test helpers for record kinds (import from "@takitini/adapter-kit/testing" in tests only).
import { IntelligenceEvent } from "@takitini/proto";
import { agencyOfEventId, createHttpServer, createLogger, createMetricsRegistry, EventIdKey, isoWeekOf, isoWeekStart, MAX_TEXT_CHARS, zodIssues, type TraceContext } from "@takitini/runtime";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { backfillHistory } from "./backfill.js";
import type { ClaimedRevision } from "./claims.js";
import { ContentIndex, contentFingerprint } from "./content.js";
import { CLASSIFICATION_ORDER, CAVEATS, CLASSIFICATIONS, DISTRICT_NAMES, seededRandom, type CaveatMarking, type ClassificationMarking } from "./fields.js";
import { HTTP_ERROR_CODES, registerHttpDoor, type HttpDoorOptions } from "./http.js";
import { historyRecords, historyWeeks, type HistoryRecord } from "./history.js";
import { demoPublisher, type Publisher } from "./identity.js";
import { ingest } from "./ingest.js";
import { Intake, type PublishRefusal, type RefusalSink } from "./intake.js";
import type { AgencyAdapter, AgencyCode, RecordKind } from "./kind.js";
import { MAX_JSON_DEPTH } from "./limits.js";
import type { EventPublisher, PublishResult } from "./publisher.js";

/** `n` seeded synthetic records of a kind: the same seed gives the same records. */
export function synthesize(kind: RecordKind, seed: string, n = 500): unknown[] {
  const rng = seededRandom(seed);
  return Array.from({ length: n }, (_v, i) => kind.synthesize(rng, i));
}

/**
 * Registers the checks every kind's generator must pass — each of `n` records
 * validates (dates in their window on today's clock), maps and round-trips
 * through protobuf; the same seed gives the same records and another seed
 * others — and returns the records for the kind's own distribution checks. Call
 * inside a `describe`.
 */
export function checkSyntheticRecords(kind: RecordKind, at: Date, n = 500): unknown[] {
  const records = synthesize(kind, "takitini", n);

  it(`validate, map and round-trip, ${n} of them`, () => {
    for (const r of records) {
      const parsed = kind.schema.safeParse(r);
      expect(parsed.success ? [] : zodIssues(parsed.error).map((i) => i.path)).toEqual([]);
      const event = kind.map(kind.schema.parse(r), at);
      expect(IntelligenceEvent.decode(IntelligenceEvent.encode(event).finish())).toEqual(event);
    }
  });

  it("are the same for the same seed and differ for another", () => {
    expect(synthesize(kind, "takitini", n)).toEqual(records);
    expect(synthesize(kind, "other", n)).not.toEqual(records);
  });

  return records;
}

/**
 * A publisher that records every call and answers like the Kafka one — a new id
 * is placed, the same id with the same content is a duplicate, with other
 * content a conflict (with the differing paths) — without a broker.
 */
export class RecordingPublisher implements EventPublisher {
  /** Every call, in order, with the events it carried. */
  readonly calls: { method: "publish" | "publishMany"; events: IntelligenceEvent[] }[] = [];
  /** The events placed, in order. */
  readonly published: IntelligenceEvent[] = [];
  private readonly index = new ContentIndex(16 * 1024 * 1024);
  private readonly revisions = new Map<string, ClaimedRevision>();
  /** Make every call fail, as a broker that does not acknowledge. */
  fail = false;

  async publish(event: IntelligenceEvent, _trace: TraceContext): Promise<PublishResult> {
    this.calls.push({ method: "publish", events: [event] });
    return this.place([event])[0]!;
  }

  async publishMany(items: { event: IntelligenceEvent; trace: TraceContext }[]): Promise<PublishResult[]> {
    this.calls.push({ method: "publishMany", events: items.map((i) => i.event) });
    return this.place(items.map((i) => i.event));
  }

  private place(events: IntelligenceEvent[]): PublishResult[] {
    if (this.fail) throw new Error("broker down");
    return events.map((event) => {
      const fingerprint = contentFingerprint(event);
      const verdict = this.index.judge(event, fingerprint);
      if (verdict.kind !== "new") {
        const result = { eventId: event.id, topic: "memory", ...verdict.placed, duplicate: true };
        return verdict.kind === "conflict" ? { ...result, conflict: { paths: verdict.paths } } : result;
      }
      const placed = { partition: 0, offset: String(this.published.length) };
      this.index.placed(event.id, placed, fingerprint, IntelligenceEvent.encode(event).finish());
      this.published.push(event);
      this.revisions.set(event.id, { original: event.originalEventId || event.id, eventType: event.eventType });
      return { eventId: event.id, topic: "memory", ...placed, duplicate: false };
    });
  }

  revision(id: string): ClaimedRevision | undefined {
    return this.revisions.get(id);
  }

  isReady(): boolean {
    return true;
  }

  async close(): Promise<void> {}
}

/** A refusal sink that keeps what it is told, for assertions. */
export class RecordingRefusals implements RefusalSink {
  readonly refusedRecords: PublishRefusal[] = [];
  readonly unauthenticatedCalls: Parameters<RefusalSink["unauthenticated"]>[0][] = [];
  refused(r: PublishRefusal): void {
    this.refusedRecords.push(r);
  }
  unauthenticated(r: Parameters<RefusalSink["unauthenticated"]>[0]): void {
    this.unauthenticatedCalls.push(r);
  }
}

/** The event-id key of in-process tests (never a deployment's: those come from EVENT_ID_KEY_FILE). */
export const TEST_EVENT_ID_KEY = new EventIdKey(Buffer.from("takitini in-process tests' event-id key, 32+ bytes"));

/** The publishing system in-process tests act as: `spiffe://takitini.local/publisher/<agency>/test`. */
export function testPublisher(agency: AgencyCode): Publisher {
  const a = agency.toLowerCase();
  return { agency: a, system: "test", uri: `spiffe://takitini.local/publisher/${a}/test`, certificateSha256: "" };
}

/**
 * An adapter's HTTP door on a recording publisher, for `inject` (no TLS): every
 * request is taken to come from the agency's test publisher unless `identify`
 * says otherwise. The refusals of real certificates are tested over real TLS.
 */
export async function httpDoorForTests(adapter: AgencyAdapter, opts: { now?: () => Date; bodyLimit?: number; identify?: HttpDoorOptions["identify"]; refusals?: RefusalSink } = {}) {
  const publisher = new RecordingPublisher();
  const logger = createLogger("adapter-test", "silent");
  const intake = new Intake(adapter, publisher, createMetricsRegistry("adapter-test"), logger, { eventIdKey: TEST_EVENT_ID_KEY, ...(opts.now ? { now: opts.now } : {}), ...(opts.refusals ? { refusals: opts.refusals } : {}) });
  const app = createHttpServer({ service: adapter.service, logger, metrics: createMetricsRegistry("adapter-test-http"), readiness: [], bodyLimit: opts.bodyLimit ?? 256 * 1024 });
  await registerHttpDoor(app, adapter, intake, { identify: opts.identify ?? (() => ({ ok: true, publisher: testPublisher(adapter.agency) })) });
  return { app, publisher, intake };
}

// --- Hostile bodies ---------------------------------------------------------------------------

type Path = (string | number)[];
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Every path in a JSON value, the root (`[]`) first. */
function pathsOf(v: unknown, path: Path = []): Path[] {
  const out: Path[] = [path];
  if (Array.isArray(v)) v.forEach((c, i) => out.push(...pathsOf(c, [...path, i])));
  else if (isPlainObject(v)) for (const [k, c] of Object.entries(v)) out.push(...pathsOf(c, [...path, k]));
  return out;
}

function getAt(v: unknown, path: Path): unknown {
  return path.reduce<unknown>((node, seg) => (node as Record<string | number, unknown>)[seg], v);
}

/** A copy of `v` with the value at `path` replaced (the root: the value itself). */
function setAt(v: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = structuredClone(v);
  const parent = getAt(copy, path.slice(0, -1)) as Record<string | number, unknown>;
  parent[path[path.length - 1]!] = value;
  return copy;
}

const PLACEHOLDER = "\u0000takitini-hostile\u0000";

/** The example as JSON text with raw JSON text at `path`. */
function withRawAt(example: unknown, path: Path, raw: string): string {
  return JSON.stringify(setAt(example, path, PLACEHOLDER)).replace(JSON.stringify(PLACEHOLDER), raw);
}

/** JSON text nested `depth` levels deep, opening with the given pattern of `[` and `{"k":`. */
function nested(depth: number, pattern: readonly ("[" | "{")[]): string {
  let open = "";
  let close = "";
  for (let i = 0; i < depth; i++) {
    const brace = pattern[i % pattern.length] === "{";
    open += brace ? '{"k":' : "[";
    close = (brace ? "}" : "]") + close;
  }
  return `${open}1${close}`;
}

const ODD = ["\ud800", "\udfff", "\ufeff", "\u202e", "\u0000", "\u2028", "\u0301", "👩‍👩‍👧", "\uffff", "Ā", "𝒜", "\u200b"];
const oddText = fc.tuple(fc.constantFrom(...ODD), fc.string({ unit: "binary", maxLength: 40 }), fc.constantFrom(...ODD)).map(([a, s, b]) => `${a}${s}${b}`);

/** A JSON value of another type than `v`: a record field given the wrong type never validates. */
function wrongTypeFor(v: unknown): fc.Arbitrary<Json> {
  const options: fc.Arbitrary<Json>[] = [fc.constant(null), fc.constant([]), fc.constant({}), fc.constant([1, "x"]), fc.constant({ x: 1 })];
  if (typeof v !== "boolean") options.push(fc.boolean());
  // Never digits alone: some amount fields take numbers as decimal strings.
  if (typeof v !== "string") options.push(fc.string({ maxLength: 20 }).map((s) => `x${s}`));
  if (typeof v !== "number") options.push(fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })));
  return fc.oneof(...options).filter((w) => jsonType(w) !== jsonType(v));
}

const jsonType = (v: unknown) => (v === null ? "null" : Array.isArray(v) ? "array" : typeof v);

interface Hostile {
  family: string;
  body: string | Buffer;
  /** The one code this body must get, when it is certain. */
  code?: string;
}

/** Hostile bodies built around a kind's example: deep nesting, huge strings, odd Unicode, wrong types, prototype keys, noise. */
export function hostileBodies(example: unknown): fc.Arbitrary<Hostile> {
  const all = pathsOf(example);
  const inner = all.filter((p) => p.length > 0);
  const objects = all.filter((p) => isPlainObject(getAt(example, p)));
  const deep = fc
    .record({ path: fc.constantFrom(...all), depth: fc.integer({ min: MAX_JSON_DEPTH + 1, max: 20_000 }), pattern: fc.array(fc.constantFrom("[" as const, "{" as const), { minLength: 1, maxLength: 4 }) })
    .map(({ path, depth, pattern }): Hostile => ({ family: "deep nesting", body: withRawAt(example, path, nested(depth, pattern)), code: "TOO_DEEP" }));
  const huge = fc
    // Longer than any text field takes (MAX_TEXT_CHARS, whichever way it is counted), or than the body limit.
    .record({ path: fc.constantFrom(...all), length: fc.integer({ min: MAX_TEXT_CHARS + 1, max: 300_000 }), unit: fc.constantFrom("a", "ā", "𝒜", " ", "\\\\") })
    .map(({ path, length, unit }): Hostile => ({ family: "huge string", body: JSON.stringify(setAt(example, path, unit.repeat(length))) }));
  const odd = fc
    .record({ path: fc.constantFrom(...objects), key: oddText, value: fc.oneof(oddText, fc.jsonValue({ maxDepth: 2 })) })
    .map(({ path, key, value }): Hostile => ({ family: "odd Unicode key", body: JSON.stringify(setAt(example, path, { ...(getAt(example, path) as object), [key]: value })) }));
  const wrong = fc
    .constantFrom(...inner)
    .chain((path) => wrongTypeFor(getAt(example, path)).map((value): Hostile => ({ family: "wrong type", body: JSON.stringify(setAt(example, path, value)) })));
  const proto = fc
    .record({ path: fc.constantFrom(...objects), key: fc.constantFrom("__proto__", "constructor", "prototype"), value: fc.jsonValue({ maxDepth: 2 }) })
    .map(({ path, key, value }): Hostile => {
      const target = structuredClone(getAt(example, path)) as Record<string, unknown>;
      // An own key, as JSON.parse makes it: JSON.stringify writes it out.
      Object.defineProperty(target, key, { value, enumerable: true, configurable: true, writable: true });
      return { family: "prototype key", body: JSON.stringify(setAt(example, path, target)), code: "FORBIDDEN_KEY" };
    });
  const noise = fc.oneof(
    fc.jsonValue({ maxDepth: 4 }).map((v): Hostile => ({ family: "random JSON", body: JSON.stringify(v) })),
    fc.string({ unit: "binary", maxLength: 200 }).map((s): Hostile => ({ family: "random text", body: s })),
    fc.uint8Array({ maxLength: 200 }).map((b): Hostile => ({ family: "random bytes", body: Buffer.from(b) })),
  );
  return fc.oneof(deep, huge, odd, wrong, proto, noise);
}

/**
 * Registers, for every record kind of an adapter, a property test of its HTTP
 * door: hostile bodies (`hostileBodies`) never get a 5xx, never reach the
 * publisher, and always get a stable code from the catalogue (`HTTP_ERROR_CODES`).
 */
export function checkHostileBodies(adapter: AgencyAdapter, opts: { numRuns?: number; seed?: number } = {}): void {
  describe.each(adapter.kinds.map((k) => [k.recordType, k] as const))("%s: hostile bodies through the HTTP door", (_name, kind) => {
    it("never a 5xx, never a publish call, always a stable code from the catalogue", { timeout: 120_000 }, async () => {
      const { app, publisher } = await httpDoorForTests(adapter);
      try {
        await fc.assert(
          fc.asyncProperty(hostileBodies(kind.example), async (h) => {
            publisher.calls.length = 0;
            const res = await app.inject({ method: "POST", url: kind.httpPath, payload: h.body, headers: { "content-type": "application/json" } });
            const code = (res.json() as { error?: { code?: string } }).error?.code;
            expect({ family: h.family, status: res.statusCode >= 400 && res.statusCode < 500, known: code !== undefined && HTTP_ERROR_CODES.has(code) }).toEqual({ family: h.family, status: true, known: true });
            if (h.code) expect({ family: h.family, code }).toEqual({ family: h.family, code: h.code });
            expect(publisher.calls).toEqual([]);
          }),
          { numRuns: opts.numRuns ?? 80, ...(opts.seed === undefined ? {} : { seed: opts.seed }) },
        );
      } finally {
        await app.close();
      }
    });
  });
}

// --- Marking floor ----------------------------------------------------------------------------

const classificationName = (e: IntelligenceEvent) => (Object.keys(CLASSIFICATIONS) as ClassificationMarking[]).find((k) => `CLASSIFICATION_${CLASSIFICATIONS[k]}` === e.classification)!;
const caveatNames = (e: IntelligenceEvent) => (e.handling?.caveats ?? []).map((c) => (Object.keys(CAVEATS) as CaveatMarking[]).find((k) => `HANDLING_CAVEAT_${CAVEATS[k]}` === c)!);

/**
 * Registers, for every record kind of an adapter, the checks of its marking
 * floor through the HTTP door: the example's default markings may be raised and
 * added to (202), never lowered or left out (400 MARKING_BELOW_FLOOR naming
 * `classification` / `caveats`, nothing published). Kinds whose example carries
 * markings of its own are skipped.
 */
export function checkMarkingFloor(adapter: AgencyAdapter, at: Date): void {
  describe.each(adapter.kinds.map((k) => [k.recordType, k] as const))("%s: the default markings are a floor", (_name, kind) => {
    const example = kind.example as Record<string, unknown>;
    const base = ingest(adapter, kind.recordType, example, at, { eventIdKey: TEST_EVENT_ID_KEY });
    if (!base.ok || "classification" in example || "caveats" in example) throw new Error(`${kind.recordType}: the example must be valid and carry no markings of its own`);
    const floor = { classification: classificationName(base.event), caveats: caveatNames(base.event) };
    const post = async (patch: Record<string, unknown>) => {
      const refusals = new RecordingRefusals();
      const { app, publisher } = await httpDoorForTests(adapter, { refusals });
      const res = await app.inject({ method: "POST", url: kind.httpPath, payload: { ...example, ...patch } });
      await app.close();
      return { status: res.statusCode, body: res.json() as { error?: { code: string; issues: { path: string }[] } }, published: publisher.published, refused: refusals.refusedRecords };
    };
    const rank = CLASSIFICATION_ORDER.indexOf(floor.classification);
    const reported = (r: Awaited<ReturnType<typeof post>>, path: string) =>
      expect(r.refused.map((x) => [x.code, x.principal, x.recordType, x.paths])).toEqual([["MARKING_BELOW_FLOOR", testPublisher(adapter.agency).uri, kind.recordType, [path]]]);

    // A kind whose default is already the lowest classification, or has no default caveat,
    // has no floor below which to go: there is nothing to refuse, so no such test exists.
    if (rank > 0) it("refuses a lower classification, naming the field, and publishes nothing", async () => {
      const r = await post({ classification: CLASSIFICATION_ORDER[rank - 1] });
      expect([r.status, r.body.error?.code, r.body.error?.issues.map((i) => i.path)]).toEqual([400, "MARKING_BELOW_FLOOR", ["classification"]]);
      expect(r.published).toEqual([]);
      reported(r, "classification");
    });

    if (floor.caveats.length > 0) it("refuses caveats that leave out a default one, naming the field", async () => {
      for (const caveats of [[], floor.caveats.slice(1), [...floor.caveats.slice(1), (Object.keys(CAVEATS) as CaveatMarking[]).find((c) => !floor.caveats.includes(c))!]]) {
        const r = await post({ caveats });
        expect([r.status, r.body.error?.code, r.body.error?.issues.map((i) => i.path)]).toEqual([400, "MARKING_BELOW_FLOOR", ["caveats"]]);
        expect(r.published).toEqual([]);
        reported(r, "caveats");
      }
    });

    it("accepts the defaults stated, a higher classification and added caveats", async () => {
      expect((await post({ classification: floor.classification, caveats: floor.caveats })).status).toBe(202);
      const extra = (Object.keys(CAVEATS) as CaveatMarking[]).filter((c) => !floor.caveats.includes(c) && c !== "RELEASABLE TO");
      const r = await post({ classification: "TOP SECRET", caveats: [...floor.caveats, ...extra] });
      expect(r.status).toBe(202);
      expect(r.published[0]!.classification).toBe("CLASSIFICATION_TOP_SECRET");
      expect(caveatNames(r.published[0]!)).toEqual([...floor.caveats, ...extra]);
    });
  });
}

// --- Resubmissions ----------------------------------------------------------------------------

/**
 * Registers, for every record kind of an adapter, the resubmission checks of its
 * HTTP door: the example again is a duplicate (200, same event id); the same id
 * with other content (a raised classification) is 409 CONFLICT naming the
 * differing field, and nothing new is published.
 */
export function checkResubmissions(adapter: AgencyAdapter): void {
  describe.each(adapter.kinds.map((k) => [k.recordType, k] as const))("%s: resubmissions", (_name, kind) => {
    it("are duplicates with the same content, and conflicts with other content (reported for the ledger)", async () => {
      const refusals = new RecordingRefusals();
      const { app, publisher } = await httpDoorForTests(adapter, { refusals });
      const post = (payload: unknown) => app.inject({ method: "POST", url: kind.httpPath, payload: JSON.stringify(payload), headers: { "content-type": "application/json" } });
      try {
        const first = await post(kind.example);
        expect(first.statusCode).toBe(202);
        const again = await post(kind.example);
        expect([again.statusCode, again.json().duplicate, again.json().event_id]).toEqual([200, true, first.json().event_id]);
        const other = await post({ ...(kind.example as object), classification: "TOP SECRET" });
        const error = other.json().error as { code: string; issues: { path: string; code: string }[] };
        expect([other.statusCode, error.code, error.issues.map((i) => [i.path, i.code])]).toEqual([409, "CONFLICT", [["classification", "conflict"]]]);
        expect(publisher.published).toHaveLength(1);
        expect(refusals.refusedRecords.map((r) => [r.code, r.eventId, r.paths, r.principal])).toEqual([["CONFLICT", first.json().event_id, ["classification"], testPublisher(adapter.agency).uri]]);
      } finally {
        await app.close();
      }
    });
  });
}

// --- Corrections and withdrawals ---------------------------------------------------------------

/**
 * Registers, for every record kind of an adapter, the corrections and
 * withdrawals of its HTTP door (revisions.ts): the example published, then
 * corrected (a raised classification: 202, the event superseding the first
 * version on its partition), the same correction again a duplicate, a record of
 * another of the adapter's types refused CORRECTION_TYPE_MISMATCH; then
 * withdrawn (202, the agency's default markings, the latest version named) and
 * withdrawn again (200, the same withdrawal), and a correction after it refused
 * RECORD_WITHDRAWN — nothing written on a refusal.
 */
export function checkRevisions(adapter: AgencyAdapter): void {
  describe.each(adapter.kinds.map((k) => [k.recordType, k] as const))("%s: corrections and withdrawals", (_name, kind) => {
    it("corrects once, withdraws once, and refuses what cannot be done", async () => {
      const { app, publisher } = await httpDoorForTests(adapter);
      const post = async (url: string, payload: unknown) => {
        const res = await app.inject({ method: "POST", url, payload: JSON.stringify(payload), headers: { "content-type": "application/json" } });
        return { status: res.statusCode, body: res.json() as Record<string, any> };
      };
      try {
        const first = await post(kind.httpPath, kind.example);
        expect(first.status).toBe(202);
        const v1 = first.body.event_id as string;
        expect(agencyOfEventId(v1)).toBe(adapter.agency);
        const corrected = { ...(kind.example as object), classification: "TOP SECRET" };
        const c = await post(`/v1/records/${v1}/corrections`, { record_type: kind.recordType, record: corrected });
        expect([c.status, c.body.event_type, c.body.supersedes_event_id, c.body.original_event_id, c.body.partition]).toEqual([202, kind.eventType, v1, v1, first.body.partition]);
        const event = publisher.published.at(-1)!;
        expect([event.id, event.supersedes, event.originalEventId, event.classification, event.sourceRecordId]).toEqual([c.body.event_id, v1, v1, "CLASSIFICATION_TOP_SECRET", publisher.published[0]!.sourceRecordId]);
        const again = await post(`/v1/records/${v1}/corrections`, { record_type: kind.recordType, record: corrected });
        expect([again.status, again.body.event_id, again.body.duplicate]).toEqual([200, c.body.event_id, true]);
        const other = adapter.kinds.find((k) => k.eventType !== kind.eventType);
        if (other) {
          const mismatch = await post(`/v1/records/${v1}/corrections`, { record_type: other.recordType, record: other.example });
          expect([mismatch.status, mismatch.body.error.code, mismatch.body.error.issues.map((i: { path: string }) => i.path)]).toEqual([400, "CORRECTION_TYPE_MISMATCH", ["record_type"]]);
        }
        const w = await post(`/v1/records/${v1}/withdrawal`, { reason: "entered_in_error" });
        expect([w.status, w.body.withdrawn_event_id, w.body.duplicate]).toEqual([202, c.body.event_id, false]);
        const withdrawal = publisher.published.at(-1)!;
        expect(withdrawal).toMatchObject({ eventType: "record.withdrawal", originalEventId: v1, region: "POLICE_DISTRICT_UNSPECIFIED", classification: `CLASSIFICATION_${CLASSIFICATIONS[adapter.defaults.classification]}`, handling: { caveats: adapter.defaults.caveats.map((x) => `HANDLING_CAVEAT_${CAVEATS[x]}`) } });
        expect(IntelligenceEvent.decode(IntelligenceEvent.encode(withdrawal).finish()).payload).toEqual(withdrawal.payload);
        const w2 = await post(`/v1/records/${c.body.event_id}/withdrawal`, { reason: "other" });
        expect([w2.status, w2.body.event_id, w2.body.duplicate]).toEqual([200, w.body.event_id, true]);
        const late = await post(`/v1/records/${c.body.event_id}/corrections`, { record_type: kind.recordType, record: kind.example });
        expect([late.status, late.body.error.code]).toEqual([409, "RECORD_WITHDRAWN"]);
        expect(publisher.published).toHaveLength(3);
      } finally {
        await app.close();
      }
    });
  });
}

// --- Date window -------------------------------------------------------------------------------

export interface DateField {
  /** Dotted path in the example, list indices as numbers: `persons.0.dob`. */
  path: string;
  type: "datetime" | "date" | "week";
  /** The field's horizon (days ahead of now it may be), if it has one. */
  aheadDays?: number;
}

const DAY = 86_400_000;

function isoWeekContaining(t: number): string {
  const d = new Date(t);
  const thursday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 3 - ((d.getUTCDay() + 6) % 7)));
  const jan1 = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  return `${thursday.getUTCFullYear()}-W${String(Math.floor((thursday.getTime() - jan1) / (7 * DAY)) + 1).padStart(2, "0")}`;
}

/**
 * Registers, for one record kind, the checks of its date fields' plausible
 * window through `ingest` with the clock at `now`: before 1900 and past the
 * horizon (now plus 5 minutes' skew, or the field's own) are refused with the
 * field path and the issue code INVALID_DATE; the edges of the window are
 * accepted. `now` must leave the example valid.
 */
export function checkDateWindow(adapter: AgencyAdapter, kind: RecordKind, fields: DateField[], now: Date): void {
  describe.each(fields.map((f) => [f.path, f] as const))(`${kind.recordType}.%s: a plausible date`, (_p, field) => {
    const segments: Path = field.path.split(".").map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    const shown = field.path.replace(/\.(\d+)/g, "[$1]");
    const run = (value: string) => ingest(adapter, kind.recordType, setAt(kind.example, segments, value), now, { now, eventIdKey: TEST_EVENT_ID_KEY });
    const dateIssues = (value: string) => {
      const r = run(value);
      return r.ok ? [] : r.issues.filter((i) => i.code === "INVALID_DATE").map((i) => i.path);
    };
    const ahead = (field.aheadDays ?? 0) * DAY;
    const format = (t: number) => (field.type === "datetime" ? new Date(t).toISOString() : field.type === "date" ? new Date(t + 14 * 3_600_000).toISOString().slice(0, 10) : isoWeekContaining(t + 14 * 3_600_000));
    const before1900 = { datetime: "1899-12-31T23:59:00+13:00", date: "1899-12-31", week: "1899-W52" }[field.type];

    it("refuses one before 1900 with the field path and INVALID_DATE", () => {
      const r = run(before1900);
      expect(r.ok).toBe(false);
      expect(dateIssues(before1900)).toEqual([shown]);
    });

    it(`refuses one later than now plus ${field.aheadDays ? `${field.aheadDays} days` : "the clock skew"}`, () => {
      const late = format(now.getTime() + ahead + (field.type === "datetime" ? 6 * 60_000 : field.type === "date" ? DAY : 7 * DAY));
      expect(dateIssues(late)).toEqual([shown]);
    });

    it("accepts the edges of the window", () => {
      expect(dateIssues(field.type === "week" ? "1900-W01" : field.type === "date" ? "1900-01-01" : "1900-01-01T00:00:00+13:00")).toEqual([]);
      expect(dateIssues(format(now.getTime() + ahead + (field.type === "datetime" ? 4 * 60_000 : 0)))).toEqual([]);
    });
  });
}

// --- Demo history ------------------------------------------------------------------------------

/** Leaders' and the public's disclosure thresholds (services/briefing/README.md "Disclosure control"). */
const LEADER_MIN = 6;
const PUBLIC_MIN = 10;

/** The ISO weeks whose Monday falls in the last quarter completed before `now` (UTC calendar). */
function lastCompletedQuarterWeeks(now: Date, weeks: string[]): string[] {
  const q = Math.floor(now.getUTCMonth() / 3);
  const [year, quarter] = q === 0 ? [now.getUTCFullYear() - 1, 3] : [now.getUTCFullYear(), q - 1];
  const from = Date.UTC(year, quarter * 3, 1);
  const to = Date.UTC(year, quarter * 3 + 3, 1);
  return weeks.filter((w) => isoWeekStart(w).getTime() >= from && isoWeekStart(w).getTime() < to);
}

const countBy = (records: HistoryRecord[], key: (r: HistoryRecord) => string) => records.reduce((m, r) => m.set(key(r), (m.get(key(r)) ?? 0) + 1), new Map<string, number>());

/**
 * Registers the checks of an adapter's demo history at `now`: every record
 * validates and maps through the intake's own ingest on that clock; the same
 * seed gives the same records and another seed others; native ids are unique;
 * every district gets, for every kind with a history, at least the leaders'
 * threshold in the last completed week and the public's in the last completed
 * quarter; a start a week later regenerates the overlapping weeks identically and
 * adds only the new one; the volume stays under `maxRecords`; and a backfill
 * through the intake publishes a small history once, a second run nothing new.
 */
export function checkHistoryRecords(adapter: AgencyAdapter, now: Date, maxRecords = 8_000): void {
  const kinds = adapter.kinds.filter((k) => k.history);
  const records = historyRecords(adapter, { seed: "takitini", now });

  it("covers the kinds with a history, within a sane volume", () => {
    expect(kinds.length).toBeGreaterThan(0);
    expect(new Set(records.map((r) => r.kind.recordType))).toEqual(new Set(kinds.map((k) => k.recordType)));
    expect(records.length).toBeLessThanOrEqual(maxRecords);
  });

  it("validates and maps on the clock it was made for, with unique native ids", () => {
    const ids = new Set<string>();
    for (const r of records) {
      const out = ingest(adapter, r.kind.recordType, r.record, now, { now, eventIdKey: TEST_EVENT_ID_KEY });
      expect(out.ok ? [] : [r.kind.recordType, out.code, out.issues.map((i) => i.path)]).toEqual([]);
      if (out.ok) expect(isoWeekOf(new Date(out.event.occurredAt!))).toBe(r.week);
      ids.add(`${r.kind.recordType}/${r.kind.nativeId(r.kind.schema.parse(r.record))}`);
    }
    expect(ids.size).toBe(records.length);
  });

  it("is the same for the same seed and differs for another", () => {
    expect(historyRecords(adapter, { seed: "takitini", now })).toEqual(records);
    expect(historyRecords(adapter, { seed: "other", now }).map((r) => r.record)).not.toEqual(records.map((r) => r.record));
  });

  it("reaches the leaders' threshold in the last completed week and the public's in the last completed quarter, in every district", () => {
    const weeks = historyWeeks(now, 52);
    const lastWeek = weeks.at(-1)!;
    const quarter = new Set(lastCompletedQuarterWeeks(now, weeks));
    expect(quarter.size).toBeGreaterThanOrEqual(12);
    const weekly = countBy(records.filter((r) => r.week === lastWeek), (r) => `${r.kind.recordType}/${r.district}`);
    const quarterly = countBy(records.filter((r) => quarter.has(r.week)), (r) => `${r.kind.recordType}/${r.district}`);
    for (const k of kinds.filter((x) => x.history!.disclosure !== false)) {
      for (const d of DISTRICT_NAMES) {
        expect([k.recordType, d, (weekly.get(`${k.recordType}/${d}`) ?? 0) >= LEADER_MIN]).toEqual([k.recordType, d, true]);
        expect([k.recordType, d, (quarterly.get(`${k.recordType}/${d}`) ?? 0) >= PUBLIC_MIN]).toEqual([k.recordType, d, true]);
      }
    }
  });

  it("a week later regenerates the overlapping weeks identically and adds only the new week", () => {
    const weekLater = new Date(now.getTime() + 7 * 86_400_000);
    const later = historyRecords(adapter, { seed: "takitini", now: weekLater });
    const [newWeek, oldest] = [historyWeeks(weekLater, 1)[0], historyWeeks(now, 52)[0]];
    const key = (r: HistoryRecord) => JSON.stringify([r.kind.recordType, r.record]);
    const before = new Set(records.map(key));
    const added = later.filter((r) => !before.has(key(r)));
    expect(added.length).toBeGreaterThan(0);
    expect(new Set(added.map((r) => r.week))).toEqual(new Set([newWeek]));
    // The weeks both cover are regenerated record for record (an ageing week keeps the first of its records, as volume thins).
    const shared = later.filter((r) => r.week !== newWeek);
    expect(shared.filter((r) => r.week === oldest)).toEqual([]);
    expect(shared.filter((r) => !before.has(key(r))).length).toBe(0);
    expect(shared.length).toBeGreaterThan(records.length / 2);
  });

  it("backfills through the intake once: a second run publishes nothing new", async () => {
    const small = historyRecords(adapter, { seed: "takitini", now, weeks: 2, districts: ["Eastern"] });
    const publisher = new RecordingPublisher();
    const intake = new Intake(adapter, publisher, createMetricsRegistry("test"), createLogger("test", "silent"), { eventIdKey: TEST_EVENT_ID_KEY, now: () => now });
    const run = () => backfillHistory({ intake, by: demoPublisher(adapter.agency), records: small, perSecond: 10_000, logger: createLogger("test", "silent") });
    expect(await run()).toEqual({ accepted: small.length, duplicate: 0, rejected: 0 });
    expect(await run()).toEqual({ accepted: 0, duplicate: small.length, rejected: 0 });
    expect(publisher.published).toHaveLength(small.length);
    expect(publisher.published.every((e) => e.publisher === demoPublisher(adapter.agency).uri)).toBe(true);
  });
}
