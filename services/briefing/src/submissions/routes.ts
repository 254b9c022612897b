import { randomUUID } from "node:crypto";
import { INTEL_SCHEMA_VERSION, IntelligenceEvent, SubmissionNote, type AccessRecord } from "@takitini/proto";
import { commonErrors, HEADERS, PROTOBUF_CONTENT_TYPE, type FieldIssue } from "@takitini/runtime";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { accessMessage, CHANNELS, submissionDenied, submissionReceived, type AccessAccount } from "../access.js";
import type { Audience } from "../audiences.js";
import { errors } from "../errors.js";
import type { View } from "../html.js";
import { lastCompleted } from "../periods.js";
import { REGIONS, regionBySlug, type Region } from "../regions.js";
import { submissionsPage, submitPage, type FormValues } from "./pages.js";
import type { SubmissionQuota } from "./quota.js";
import type { SubmissionIndex } from "./status.js";
import { newReference, parseSubmission, REFERENCE, SUBMISSION_BODY_LIMIT, submissionEvent, submissionNote, type Submission } from "./submission.js";
import type { TopicMessages } from "./writer.js";

/** What the submission door needs from the service (main.ts wires Kafka in). */
export interface SubmissionDeps {
  index: SubmissionIndex;
  /** One transaction: the event, the note, the access record; resolves once committed. */
  write: (records: TopicMessages[]) => Promise<void>;
  quota: SubmissionQuota;
  topics: { intel: string; notes: string; access: string };
  /** The leader's organisation as registered: the subscriber's name. */
  organisation: (subscriberId: string) => string;
  /** Whether submissions can be taken now (the writer is connected). */
  ready: () => boolean;
}

type Kind = "html" | "json";

/** The briefing app's helpers the door shares (authentication, audit, errors, language). */
export interface DoorHelpers {
  leader: (req: FastifyRequest, kind: Kind, reply: FastifyReply) => Promise<{ audience: Audience; account: AccessAccount } | null>;
  handle: (kind: Kind, fn: (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>) => (req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
  audit: (record: AccessRecord) => Promise<void>;
  viewOf: (req: FastifyRequest) => View;
  keep: (v: View, path: string) => string;
  now: () => Date;
}

const INVALID = (issues: FieldIssue[]) => errors.INVALID_SUBMISSION(issues);

/** The form's fields as the API takes them: empty optional fields are absent. */
function fromForm(body: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries((body ?? {}) as Record<string, unknown>)) {
    if (v === "" && (k === "topic" || k === "week" || k === "locality")) continue;
    out[k] = v;
  }
  return out;
}

/**
 * A form posted from another site is refused: the session cookie is SameSite=Strict
 * already; a browser's Sec-Fetch-Site or Origin saying otherwise is refused too.
 */
function sameSite(req: FastifyRequest): boolean {
  const site = req.headers["sec-fetch-site"];
  if (site !== undefined && site !== "same-origin" && site !== "none") return false;
  const origin = req.headers.origin;
  if (origin === undefined || origin === "null") return origin === undefined;
  try {
    const from = new URL(origin);
    // The Host header, read as the origin's scheme reads it (a default port is dropped by both).
    return from.host === new URL(`${from.protocol}//${req.headers.host ?? ""}`).host;
  } catch {
    return false;
  }
}

/**
 * Leaders talk back: `POST /v1/submissions` (JSON) and the form at `/submit`;
 * their submissions and the status of each at `GET /v1/submissions[/<reference>]`
 * and `/submissions`. A submission is validated and cleaned (400
 * INVALID_SUBMISSION naming each field), checked against the leader's scope (403
 * REGION_OUT_OF_SCOPE, with an access record), counted against their quota (429
 * RATE_LIMITED), then written in one transaction — the event for the exchange,
 * the note for the status page, the access record for the ledger — and only
 * then acknowledged with its reference (201). Nothing partial is ever visible.
 */
export function registerSubmissions(app: FastifyInstance, h: DoorHelpers, deps: SubmissionDeps): void {
  const take = async (kind: Kind, req: FastifyRequest, reply: FastifyReply, audience: Audience, account: AccessAccount, body: unknown): Promise<{ ok: true; reference: string; submission: Submission } | { ok: false; issues: FieldIssue[] }> => {
    if (!deps.ready()) throw errors.SUBMIT_FAILED();
    const parsed = parseSubmission(body);
    if (!parsed.ok) return parsed;
    const submission = parsed.submission;
    const region = regionBySlug(submission.region);
    if (!region) return { ok: false, issues: [{ path: "region", code: "unknown_region", message: `expected one of: ${audience.scope.map((r) => r.slug).join(", ")}` }] };
    const resource = kind === "json" ? "/v1/submissions" : "/submit";
    if (!audience.scope.some((r) => r.code === region.code)) {
      // A leader asking to speak for another region: refused, and the refusal is in the ledger before they are told.
      await h.audit(submissionDenied({ subscriberId: audience.subscriberId, account, channel: CHANNELS.HTTP, resource, regions: [region.code] }, "REGION_OUT_OF_SCOPE", h.now()));
      throw errors.REGION_OUT_OF_SCOPE([{ path: "region", code: "out_of_scope", message: `your scope: ${audience.scope.map((r) => r.slug).join(", ")}` }]);
    }
    const now = h.now();
    const quotaKey = `leader:${account.name.toLowerCase()}`;
    const allowed = deps.quota.take(quotaKey, now.getTime());
    if (!allowed.ok) {
      reply.header("retry-after", String(allowed.retryAfterSeconds));
      throw commonErrors.RATE_LIMITED();
    }
    const reference = newReference();
    const ctx = { reference, eventId: randomUUID(), region, subscriberId: audience.subscriberId, organisation: deps.organisation(audience.subscriberId), account: account.name, now };
    const event = submissionEvent(submission, ctx);
    const note = submissionNote(submission, ctx);
    const access = submissionReceived({ subscriberId: audience.subscriberId, account, channel: CHANNELS.HTTP, resource: `${resource}#${reference}`, regions: [region.code], eventId: event.id }, now);
    try {
      await deps.write([
        { topic: deps.topics.intel, messages: [eventMessage(event)] },
        { topic: deps.topics.notes, messages: [{ key: reference, value: Buffer.from(SubmissionNote.encode(note).finish()), headers: { [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE } }] },
        { topic: deps.topics.access, messages: [accessMessage(access)] },
      ]);
    } catch {
      // Not stored, so it does not count against the leader.
      deps.quota.release(quotaKey, now.getTime());
      reply.header("retry-after", "5");
      throw errors.SUBMIT_FAILED();
    }
    // This instance shows it at once; every instance learns it from the notes topic.
    deps.index.note(note);
    return { ok: true, reference, submission };
  };

  app.post(
    "/v1/submissions",
    { bodyLimit: SUBMISSION_BODY_LIMIT },
    h.handle("json", async (req, reply) => {
      // A browser's request from another site is refused here too (the API also takes a form's encoding).
      if (!sameSite(req)) throw errors.CROSS_SITE_REQUEST();
      const { audience, account } = (await h.leader(req, "json", reply))!;
      const r = await take("json", req, reply, audience, account, req.body);
      if (!r.ok) throw INVALID(r.issues);
      const status = deps.index.get(account.name, r.reference);
      return reply
        .code(201)
        .header("location", `/v1/submissions/${r.reference}`)
        .header("cache-control", "no-store")
        .send({ reference: r.reference, status: status?.status ?? "received", submission: status, links: { status: `/v1/submissions/${r.reference}` } });
    }),
  );

  app.get(
    "/v1/submissions",
    h.handle("json", async (req, reply) => {
      const { account } = (await h.leader(req, "json", reply))!;
      return reply.header("cache-control", "no-store").send({ submissions: deps.index.forAccount(account.name) });
    }),
  );

  app.get(
    "/v1/submissions/:reference",
    h.handle("json", async (req, reply) => {
      const { account } = (await h.leader(req, "json", reply))!;
      const reference = (req.params as { reference: string }).reference;
      const status = REFERENCE.test(reference) ? deps.index.get(account.name, reference) : undefined;
      // Another leader's reference is answered like one that does not exist.
      if (!status) throw errors.SUBMISSION_NOT_FOUND([{ path: "reference", code: "not_found", message: "none of your submissions has that reference" }]);
      return reply.header("cache-control", "no-store").send(status);
    }),
  );

  const regionsOf = (audience: Audience): readonly Region[] => audience.scope;
  const exampleWeek = () => lastCompleted("week", h.now());

  app.get(
    "/submit",
    h.handle("html", async (req, reply) => {
      const signedIn = await h.leader(req, "html", reply);
      if (!signedIn) return reply;
      const asked = (req.query as { region?: unknown }).region;
      const region = typeof asked === "string" && signedIn.audience.scope.some((r) => r.slug === asked) ? asked : signedIn.audience.scope[0]?.slug;
      const page = submitPage({ regions: regionsOf(signedIn.audience), values: { ...(region ? { region } : {}) }, exampleWeek: exampleWeek() }, h.viewOf(req));
      return reply.type("text/html; charset=utf-8").header("cache-control", "no-store").send(page);
    }),
  );

  app.post(
    "/submit",
    { bodyLimit: SUBMISSION_BODY_LIMIT },
    h.handle("html", async (req, reply) => {
      if (!sameSite(req)) throw errors.CROSS_SITE_REQUEST();
      const signedIn = await h.leader(req, "html", reply);
      if (!signedIn) return reply;
      const body = fromForm(req.body);
      const r = await take("html", req, reply, signedIn.audience, signedIn.account, body);
      const v = h.viewOf(req);
      if (!r.ok) {
        const values: FormValues = Object.fromEntries(Object.entries(body).filter(([, x]) => typeof x === "string")) as FormValues;
        return reply
          .code(400)
          .type("text/html; charset=utf-8")
          .header("cache-control", "no-store")
          .send(submitPage({ regions: regionsOf(signedIn.audience), values, issues: r.issues, exampleWeek: exampleWeek() }, v));
      }
      return reply.code(303).header("location", h.keep(v, `/submissions?received=${r.reference}`)).send();
    }),
  );

  app.get(
    "/submissions",
    h.handle("html", async (req, reply) => {
      const signedIn = await h.leader(req, "html", reply);
      if (!signedIn) return reply;
      const asked = (req.query as { received?: unknown }).received;
      const mine = deps.index.forAccount(signedIn.account.name);
      const received = typeof asked === "string" && mine.some((s) => s.reference === asked) ? asked : undefined;
      const page = submissionsPage({ submissions: mine, ...(received ? { received } : {}), regionNames: new Map(REGIONS.map((r) => [r.slug, r.name])) }, h.viewOf(req));
      return reply.type("text/html; charset=utf-8").header("cache-control", "no-store").send(page);
    }),
  );
}

/** The event as the exchange reads it: protobuf, keyed by its id, with the envelope's headers. */
function eventMessage(event: IntelligenceEvent) {
  return {
    key: event.id,
    value: Buffer.from(IntelligenceEvent.encode(event).finish()),
    headers: {
      [HEADERS.SCHEMA_VERSION]: INTEL_SCHEMA_VERSION,
      [HEADERS.CONTENT_TYPE]: PROTOBUF_CONTENT_TYPE,
      [HEADERS.EVENT_TYPE]: event.eventType,
    },
  };
}
