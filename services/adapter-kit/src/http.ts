import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { commonErrors, continueTrace, defineErrors, HEADERS, type FieldIssue } from "@takitini/runtime";
import type { FastifyInstance, FastifyRequest } from "fastify";
import type { TLSSocket } from "node:tls";
import { z } from "zod";
import { identifyPublisher, PUBLISHER_REFUSALS, type Publisher } from "./identity.js";
import { PUBLISH_RETRY_AFTER_SECONDS, type CorrectionOutcome, type Intake, type Outcome, type WithdrawalOutcome } from "./intake.js";
import type { AgencyAdapter } from "./kind.js";
import { jsonTextTooDeep, MAX_JSON_DEPTH, tooDeepIssue } from "./limits.js";
import { parseCorrectionBody } from "./revisions.js";

/** The HTTP door's error catalogue (beyond the runtime's common errors). */
export const httpErrors = defineErrors({
  VALIDATION_FAILED: { status: 400, message: "the record is not valid" },
  FORBIDDEN_KEY: { status: 400, message: "the record contains a forbidden key (__proto__, constructor, prototype)" },
  TOO_DEEP: { status: 400, message: `the body nests objects and arrays deeper than ${MAX_JSON_DEPTH} levels` },
  INVALID_DATE: { status: 400, message: "a date is outside its plausible window (not before 1900-01-01, not in the future beyond the field's horizon)" },
  MARKING_BELOW_FLOOR: { status: 400, message: "the record's markings are below its agency's defaults: classification may be raised and caveats added, never lowered or removed" },
  PUBLISHER_CERTIFICATE_REQUIRED: { status: PUBLISHER_REFUSALS.PUBLISHER_CERTIFICATE_REQUIRED, message: "present a client certificate for your agency system, issued by the mesh's CA (mutual TLS)" },
  NOT_A_PUBLISHER: { status: PUBLISHER_REFUSALS.NOT_A_PUBLISHER, message: "the client certificate names no publishing system (spiffe://takitini.local/publisher/<agency>/<system>)" },
  PUBLISHER_NOT_FOR_AGENCY: { status: PUBLISHER_REFUSALS.PUBLISHER_NOT_FOR_AGENCY, message: "the client certificate is another agency's publishing system's" },
  UNKNOWN_RECORD_TYPE: { status: 404, message: "unknown record type" },
  RECORD_OF_ANOTHER_AGENCY: { status: 403, message: "the event id is another agency's record's: an agency corrects and withdraws its own records only" },
  RECORD_NOT_FOUND: { status: 404, message: "no record of this agency has a version with this event id" },
  CORRECTION_TYPE_MISMATCH: { status: 400, message: "a correction is a record of the same type as the record it corrects" },
  RECORD_WITHDRAWN: { status: 409, message: "the record is withdrawn: it can no longer be corrected" },
  RECORD_SUPERSEDED: { status: 409, message: "this version was already corrected, with other content: correct the latest version (latest_event_id)" },
  CONFLICT: { status: 409, message: "a record with this id was already published with different content; nothing was published" },
  PUBLISH_FAILED: { status: 503, message: "the event was not confirmed published within the deadline; send the same record again later (if this attempt did land, the retry answers duplicate)" },
});

/** Every code the HTTP door can answer with: its own catalogue and the runtime's common errors. */
export const HTTP_ERROR_CODES: ReadonlySet<string> = new Set([...Object.keys(httpErrors.specs), ...Object.keys(commonErrors.specs)]);

const errorBody = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "issues"],
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        issues: { type: "array", items: { type: "object", properties: { path: { type: "string" }, code: { type: "string" }, message: { type: "string" } } } },
      },
    },
  },
};

const acceptedBody = {
  type: "object",
  properties: {
    event_id: { type: "string", format: "uuid" },
    event_type: { type: "string" },
    duplicate: { type: "boolean", description: "true when this native record id was already published with the same content: same event id, nothing new written" },
    topic: { type: "string" },
    partition: { type: "integer" },
    offset: { type: "string" },
    trace_id: { type: "string" },
  },
};

/** OpenAPI 3.1 document of an adapter's HTTP door, generated from the record kinds' zod schemas. */
export function openApiDocument(adapter: AgencyAdapter): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  for (const kind of adapter.kinds) {
    paths[kind.httpPath] = {
      post: {
        operationId: `submit_${kind.recordType}`,
        summary: kind.summary,
        description: `Validates the native record, maps it to a \`${kind.eventType}\` IntelligenceEvent and publishes it to \`${adapter.topic}\` (acks=all). Resubmitting the same native id with the same content returns the same event id and publishes nothing new; with different content it is refused (409 CONFLICT, the differing field paths in \`issues\`). Dates must lie between 1900-01-01 and now (plus 5 minutes' clock skew, or the field's documented horizon); the agency's default markings are a floor.`,
        requestBody: { required: true, content: { "application/json": { schema: z.toJSONSchema(kind.schema, { io: "input", unrepresentable: "any" }), example: kind.example } } },
        responses: {
          "202": { description: "Published", content: { "application/json": { schema: acceptedBody } } },
          "200": { description: "Already published (duplicate); nothing new written", content: { "application/json": { schema: acceptedBody } } },
          "400": { description: `VALIDATION_FAILED, INVALID_DATE, MARKING_BELOW_FLOOR, FORBIDDEN_KEY, TOO_DEEP (over ${MAX_JSON_DEPTH} levels), MALFORMED_JSON, EMPTY_BODY — with the offending field paths`, content: { "application/json": { schema: errorBody } } },
          "409": { description: "CONFLICT — this native id was already published with different content; `issues` lists the differing field paths of the event", content: { "application/json": { schema: errorBody } } },
          "413": { description: "BODY_TOO_LARGE", content: { "application/json": { schema: errorBody } } },
          "415": { description: "UNSUPPORTED_MEDIA_TYPE", content: { "application/json": { schema: errorBody } } },
          "503": { description: "PUBLISH_FAILED — not confirmed within the deadline; retry the same record (idempotent)", content: { "application/json": { schema: errorBody } } },
        },
      },
    };
  }
  const eventIdParam = [{ name: "eventId", in: "path", required: true, schema: { type: "string", format: "uuid" }, description: "the event id of a version of the record (what the publish answered)" }];
  const answers = (ok: Record<string, unknown>, codes: Record<string, string>) => ({
    "202": { description: "Published", content: { "application/json": { schema: ok } } },
    "200": { description: "Already published (duplicate); nothing new written", content: { "application/json": { schema: ok } } },
    ...Object.fromEntries(Object.entries(codes).map(([status, description]) => [status, { description, content: { "application/json": { schema: errorBody } } }])),
  });
  paths[CORRECTIONS_ROUTE.replace(":eventId", "{eventId}")] = {
    post: {
      operationId: "correct_record",
      summary: "Correct a published record of this agency",
      description: "The corrected record in full, of the same record type as the record (the same schema as its publish route), corrects the version named. Published as a new event: `supersedes` the version named, `original_event_id` the record's first version, on the first version's partition. The same correction again answers 200 duplicate.",
      parameters: eventIdParam,
      requestBody: { required: true, content: { "application/json": { schema: { type: "object", required: ["record_type", "record"], additionalProperties: false, properties: { record_type: { type: "string", enum: adapter.kinds.map((k) => k.recordType) }, record: { type: "object" } } } } } },
      responses: answers(
        { type: "object", properties: { ...acceptedBody.properties, supersedes_event_id: { type: "string", format: "uuid" }, original_event_id: { type: "string", format: "uuid" } } },
        {
          "400": "VALIDATION_FAILED (a malformed event id names `eventId`), CORRECTION_TYPE_MISMATCH (`record_type`), INVALID_DATE, MARKING_BELOW_FLOOR, FORBIDDEN_KEY, TOO_DEEP — with field paths",
          "403": "RECORD_OF_ANOTHER_AGENCY — another agency's event id (whether it exists is not said)",
          "404": "RECORD_NOT_FOUND, UNKNOWN_RECORD_TYPE",
          "409": "RECORD_WITHDRAWN; RECORD_SUPERSEDED — this version was already corrected otherwise (`error.latest_event_id` names the latest)",
          "503": "PUBLISH_FAILED — retry the same correction (idempotent)",
        },
      ),
    },
  };
  paths[WITHDRAWAL_ROUTE.replace(":eventId", "{eventId}")] = {
    post: {
      operationId: "withdraw_record",
      summary: "Withdraw a published record of this agency",
      description: "Any version's event id names the record; its latest version is withdrawn. Withdrawing it again answers 200 duplicate with the same withdrawal event id, whatever the reason given.",
      parameters: eventIdParam,
      requestBody: { required: true, content: { "application/json": { schema: { type: "object", required: ["reason"], additionalProperties: false, properties: { reason: { type: "string", enum: ["entered_in_error", "duplicate", "not_substantiated", "legal_direction", "source_protection", "other"] }, explanation: { type: "string", maxLength: 1000, description: "for the partners that received the record; no identifiers" } } } } } },
      responses: answers(
        { type: "object", properties: { event_id: { type: "string", format: "uuid" }, withdrawn_event_id: { type: "string", format: "uuid" }, duplicate: { type: "boolean" }, topic: { type: "string" }, partition: { type: "integer" }, offset: { type: "string" }, trace_id: { type: "string" } } },
        { "400": "VALIDATION_FAILED — `eventId`, `reason` or `explanation`", "403": "RECORD_OF_ANOTHER_AGENCY", "404": "RECORD_NOT_FOUND", "503": "PUBLISH_FAILED — retry (idempotent)" },
      ),
    },
  };
  return {
    openapi: "3.1.0",
    info: { title: `Takitini ${adapter.service}`, version: "1.0.0", description: `Native ${adapter.agency} records in, typed protobuf events out on Kafka topic ${adapter.topic}.` },
    servers: [{ url: "/" }],
    paths,
  };
}

function fail(outcome: Exclude<Outcome | CorrectionOutcome | WithdrawalOutcome, { ok: true }>, issues: FieldIssue[] = outcome.issues) {
  return httpErrors[outcome.code](issues);
}

/** The path of the corrections of a record's version, and of its withdrawal. */
export const CORRECTIONS_ROUTE = "/v1/records/:eventId/corrections";
export const WITHDRAWAL_ROUTE = "/v1/records/:eventId/withdrawal";


declare module "fastify" {
  interface FastifyRequest {
    /** The agency system this request's client certificate names (set by the record scope's hook). */
    publisher?: Publisher;
  }
}

/** The client certificate of a request over TLS, and whether the TLS layer verified it against the CA. */
export function peerCertificate(req: FastifyRequest): { cert: ReturnType<TLSSocket["getPeerCertificate"]> | undefined; verified: boolean } {
  const socket = req.raw.socket as Partial<TLSSocket>;
  if (typeof socket.getPeerCertificate !== "function") return { cert: undefined, verified: false };
  const cert = socket.getPeerCertificate();
  return { cert: cert && Object.keys(cert).length > 0 ? cert : undefined, verified: socket.authorized === true };
}

/** Routes anyone may call (the probes a supervisor uses); matched routes, not URL prefixes. */
const OPEN_ROUTES: ReadonlySet<string> = new Set(["/healthz", "/readyz"]);

export interface HttpDoorOptions {
  /**
   * Who the caller is. Default: the verified client certificate's publisher
   * identity (mutual TLS). Only tests and TAKITINI_INSECURE_PUBLISHERS hand in
   * another.
   */
  identify?: (req: FastifyRequest) => ReturnType<typeof identifyPublisher>;
  /** Where the OpenAPI document and swagger-ui are served: the admin listener (default: the door itself, for in-process tests). */
  docs?: FastifyInstance;
}

/** Register the JSON door: one POST route per record kind, and the OpenAPI docs at /docs. */
export async function registerHttpDoor(app: FastifyInstance, adapter: AgencyAdapter, intake: Intake, opts: HttpDoorOptions = {}): Promise<void> {
  const docs = opts.docs ?? app;
  await docs.register(swagger, { mode: "static", specification: { document: openApiDocument(adapter) as never } });
  await docs.register(swaggerUi, { routePrefix: "/docs" });
  const identify = opts.identify ?? ((req: FastifyRequest) => {
    const { cert, verified } = peerCertificate(req);
    return identifyPublisher(cert, verified, adapter.agency);
  });

  // Every request — whichever route the router matched, under whichever spelling
  // of its path, and any path it matched to none — needs a publisher's client
  // certificate for this agency, but the health probes (the routes themselves,
  // not URL prefixes). Nothing is decided from the URL's text.
  app.addHook("onRequest", async (req) => {
    if (OPEN_ROUTES.has(req.routeOptions.url ?? "") || (docs === app && (req.routeOptions.url ?? "").startsWith("/docs"))) return;
    const who = identify(req);
    if (who.ok) {
      req.publisher = who.publisher;
      return;
    }
    const route = req.routeOptions.url ?? "unmatched";
    if (who.code === "PUBLISHER_CERTIFICATE_REQUIRED") intake.refusals?.unauthenticated({ door: "http", code: who.code, route, address: req.ip });
    else intake.refusals?.refused({ door: "http", code: who.code, principal: who.identity || `sha256:${who.certificateSha256}`, recordType: "", eventId: "", paths: [], traceId: "" });
    req.log.warn({ code: who.code, route, identity: who.identity, certificateSha256: who.certificateSha256 }, "publisher refused");
    throw httpErrors[who.code]([{ path: "", code: who.code, message: who.message }]);
  });

  app.get("/v1/record-types", async () => ({
    agency: adapter.agency,
    topic: adapter.topic,
    record_types: adapter.kinds.map((k) => ({ record_type: k.recordType, event_type: k.eventType, path: k.httpPath })),
  }));

  // The record routes parse JSON bodies themselves: the nesting depth is checked on
  // the raw text before JSON.parse, so no recursive walk ever meets a deep body.
  await app.register(async (records) => {
    records.removeContentTypeParser("application/json");
    records.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
      if (typeof body !== "string" || body.trim() === "") return done(commonErrors.EMPTY_BODY(), undefined);
      if (jsonTextTooDeep(body)) return done(httpErrors.TOO_DEEP([tooDeepIssue()]), undefined);
      try {
        // JSON.parse keeps "__proto__" as an own key (never a prototype): the intake refuses it with its path.
        done(null, JSON.parse(body));
      } catch {
        done(commonErrors.MALFORMED_JSON(), undefined);
      }
    });
    for (const kind of adapter.kinds) {
      records.post(kind.httpPath, async (req, reply) => {
        const trace = continueTrace({
          traceparent: req.headers[HEADERS.TRACEPARENT] as string | undefined,
          tracestate: req.headers[HEADERS.TRACESTATE] as string | undefined,
        });
        const outcome = await intake.submit(kind.recordType, req.body, trace, "http", req.publisher!);
        if (!outcome.ok) {
          if (outcome.code === "PUBLISH_FAILED") reply.header("retry-after", String(PUBLISH_RETRY_AFTER_SECONDS));
          throw fail(outcome);
        }
        const { result } = outcome;
        req.log.info({ eventId: result.eventId, duplicate: result.duplicate, publisher: req.publisher!.uri, traceId: trace.traceId }, result.duplicate ? "duplicate record" : "record published");
        return reply
          .code(result.duplicate ? 200 : 202)
          .header(HEADERS.TRACEPARENT, trace.traceparent)
          .send({
            event_id: result.eventId,
            event_type: kind.eventType,
            duplicate: result.duplicate,
            topic: result.topic,
            partition: result.partition,
            offset: result.offset,
            trace_id: trace.traceId,
          });
      });
    }

    // Corrections and withdrawals (revisions.ts): the same publisher check, limits and refusals as the record routes.
    records.post<{ Params: { eventId: string } }>(CORRECTIONS_ROUTE, async (req, reply) => {
      const trace = traceOf(req);
      const body = parseCorrectionBody(req.body);
      const outcome: CorrectionOutcome = body.ok
        ? await intake.correct(req.params.eventId, body.recordType, body.record, trace, "http", req.publisher!)
        : { ok: false, code: "VALIDATION_FAILED", issues: body.issues };
      if (!outcome.ok) {
        if (outcome.code === "PUBLISH_FAILED") reply.header("retry-after", String(PUBLISH_RETRY_AFTER_SECONDS));
        if (outcome.code === "RECORD_SUPERSEDED") {
          const se = fail(outcome);
          const errorBody = se.toBody() as { error: Record<string, unknown> };
          return reply.code(se.statusCode).send({ error: { ...errorBody.error, latest_event_id: outcome.latestEventId } });
        }
        throw fail(outcome);
      }
      const { result } = outcome;
      return reply
        .code(result.duplicate ? 200 : 202)
        .header(HEADERS.TRACEPARENT, trace.traceparent)
        .send({
          event_id: result.eventId,
          event_type: outcome.event.eventType,
          duplicate: result.duplicate,
          topic: result.topic,
          partition: result.partition,
          offset: result.offset,
          supersedes_event_id: outcome.supersedes,
          original_event_id: outcome.original,
          trace_id: trace.traceId,
        });
    });

    records.post<{ Params: { eventId: string } }>(WITHDRAWAL_ROUTE, async (req, reply) => {
      const trace = traceOf(req);
      const outcome = await intake.withdraw(req.params.eventId, req.body, trace, "http", req.publisher!);
      if (!outcome.ok) {
        if (outcome.code === "PUBLISH_FAILED") reply.header("retry-after", String(PUBLISH_RETRY_AFTER_SECONDS));
        throw fail(outcome);
      }
      const { result } = outcome;
      return reply
        .code(result.duplicate ? 200 : 202)
        .header(HEADERS.TRACEPARENT, trace.traceparent)
        .send({
          event_id: result.eventId,
          withdrawn_event_id: outcome.withdrawnEventId,
          duplicate: result.duplicate,
          topic: result.topic,
          partition: result.partition,
          offset: result.offset,
          trace_id: trace.traceId,
        });
    });
  });
}

function traceOf(req: FastifyRequest) {
  return continueTrace({
    traceparent: req.headers[HEADERS.TRACEPARENT] as string | undefined,
    tracestate: req.headers[HEADERS.TRACESTATE] as string | undefined,
  });
}
