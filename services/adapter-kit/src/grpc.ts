import * as grpc from "@grpc/grpc-js";
import { AdapterServiceService, CorrectResponse, PublishResponse, PublishStreamResponse, WithdrawResponse, type AdapterServiceServer, type CorrectRequest, type PublishRequest, type PublishStreamRequest, type Rejection, type WithdrawRequest } from "@takitini/proto";
import { continueTrace, grpcRateLimiter, HEADERS, type GrpcRateLimits, type Logger, type Registry, type TraceContext } from "@takitini/runtime";
import { identifyPublisher, type Publisher, type PublisherResult } from "./identity.js";
import { Refusal } from "./ingest.js";
import { PUBLISH_RETRY_AFTER_SECONDS, type CorrectionOutcome, type Intake, type Outcome, type WithdrawalOutcome } from "./intake.js";
import type { AgencyCode } from "./kind.js";
import { CORRECT_REQUEST_FIELDS, PUBLISH_REQUEST_FIELDS, scanRecordRequest, tooDeepIssue, type RequestFields } from "./limits.js";

type Failure = Exclude<Outcome | CorrectionOutcome | WithdrawalOutcome, { ok: true }>;

const STATUS: Record<Failure["code"], grpc.status> = {
  VALIDATION_FAILED: grpc.status.INVALID_ARGUMENT,
  FORBIDDEN_KEY: grpc.status.INVALID_ARGUMENT,
  TOO_DEEP: grpc.status.INVALID_ARGUMENT,
  INVALID_DATE: grpc.status.INVALID_ARGUMENT,
  MARKING_BELOW_FLOOR: grpc.status.INVALID_ARGUMENT,
  UNKNOWN_RECORD_TYPE: grpc.status.INVALID_ARGUMENT,
  // The id exists with other content: the caller's record cannot be created as sent.
  CONFLICT: grpc.status.ALREADY_EXISTS,
  PUBLISH_FAILED: grpc.status.UNAVAILABLE,
  CORRECTION_TYPE_MISMATCH: grpc.status.INVALID_ARGUMENT,
  RECORD_OF_ANOTHER_AGENCY: grpc.status.PERMISSION_DENIED,
  RECORD_NOT_FOUND: grpc.status.NOT_FOUND,
  // The record's state forbids it: withdrawn, or this version already corrected otherwise.
  RECORD_WITHDRAWN: grpc.status.FAILED_PRECONDITION,
  RECORD_SUPERSEDED: grpc.status.FAILED_PRECONDITION,
};

/** Metadata key naming the latest version of a record on a RECORD_SUPERSEDED refusal. */
export const GRPC_LATEST_EVENT_ID_KEY = "takitini-latest-event-id";

/** Metadata keys carrying the stable error code and the field issues (JSON) on a failed call. */
export const GRPC_ERROR_CODE_KEY = "takitini-error-code";
export const GRPC_ISSUES_KEY = "takitini-issues-bin";
/** Metadata key of a stream cut off at its record limit: the summary (JSON) of the records taken before it. */
export const GRPC_SUMMARY_KEY = "takitini-summary-bin";

export function grpcError(f: Failure): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set(GRPC_ERROR_CODE_KEY, f.code);
  metadata.set(GRPC_ISSUES_KEY, Buffer.from(JSON.stringify(f.issues)));
  if (f.code === "PUBLISH_FAILED") metadata.set("retry-after", String(PUBLISH_RETRY_AFTER_SECONDS));
  if ("latestEventId" in f && f.latestEventId) metadata.set(GRPC_LATEST_EVENT_ID_KEY, f.latestEventId);
  const details = f.issues.length > 0 ? `${f.code}: ${f.issues.map((i) => `${i.path || "(record)"}: ${i.message}`).join("; ")}` : f.code;
  return Object.assign(new Error(details), { code: STATUS[f.code], details, metadata });
}

function traceFrom(metadata: grpc.Metadata): TraceContext {
  const first = (key: string) => {
    const v = metadata.get(key)[0];
    return v === undefined ? undefined : String(v);
  };
  return continueTrace({ traceparent: first(HEADERS.TRACEPARENT), tracestate: first(HEADERS.TRACESTATE) });
}

/**
 * Decode a request only after scanning its bytes (limits.ts): a record nested
 * deeper than MAX_JSON_DEPTH, or with a prototype key, becomes a `Refusal`
 * instead — the generated decoder is recursive, and would turn a `__proto__` key
 * into a prototype.
 */
function guardedDecode<R extends { recordType: string; record?: { [key: string]: any } | undefined }>(decode: (buf: Buffer) => R, fields: RequestFields = PUBLISH_REQUEST_FIELDS): (buf: Buffer) => R {
  return (buf) => {
    const scan = scanRecordRequest(buf, undefined, fields);
    const named = fields.eventId === undefined ? {} : { supersedesEventId: scan?.eventId ?? "" };
    if (scan?.tooDeep) return { ...named, recordType: scan.recordType, record: new Refusal("TOO_DEEP", [tooDeepIssue()]) } as unknown as R;
    if (scan && scan.forbidden.length > 0) {
      return { ...named, recordType: scan.recordType, record: new Refusal("FORBIDDEN_KEY", scan.forbidden.map((path) => ({ path, code: "forbidden_key", message: "prototype-pollution keys are not allowed" }))) } as unknown as R;
    }
    return decode(buf);
  };
}

/** The service definition with guarded request decoding. */
export const guardedAdapterService = {
  ...AdapterServiceService,
  publish: { ...AdapterServiceService.publish, requestDeserialize: guardedDecode(AdapterServiceService.publish.requestDeserialize) },
  publishStream: { ...AdapterServiceService.publishStream, requestDeserialize: guardedDecode(AdapterServiceService.publishStream.requestDeserialize) },
  correct: { ...AdapterServiceService.correct, requestDeserialize: guardedDecode(AdapterServiceService.correct.requestDeserialize, CORRECT_REQUEST_FIELDS) },
} as const;

/** The gRPC door's transport: mutual TLS with the mesh's CA (a client without a certificate is refused at the handshake). */
export interface GrpcTls {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
}

const PUBLISHER_STATUS: Record<Exclude<PublisherResult, { ok: true }>["code"], grpc.status> = {
  PUBLISHER_CERTIFICATE_REQUIRED: grpc.status.UNAUTHENTICATED,
  NOT_A_PUBLISHER: grpc.status.PERMISSION_DENIED,
  PUBLISHER_NOT_FOR_AGENCY: grpc.status.PERMISSION_DENIED,
};

type AnyCall = grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerReadableStream<unknown, unknown>;

/** The publisher a call's verified client certificate names (grpc-js verifies it at the handshake). */
export function callPublisher(call: AnyCall, agency: AgencyCode): PublisherResult {
  const peer = call.getAuthContext().sslPeerCertificate;
  return identifyPublisher(peer, peer !== undefined, agency);
}

function publisherError(who: Exclude<PublisherResult, { ok: true }>): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set(GRPC_ERROR_CODE_KEY, who.code);
  const details = `${who.code}: ${who.message}`;
  return Object.assign(new Error(details), { code: PUBLISHER_STATUS[who.code], details, metadata });
}

export interface GrpcDoorOptions {
  /** The agency whose publishers may call. */
  agency: AgencyCode;
  /** Mutual TLS (the only production transport); "insecure" only for in-process tests, which must then hand in `identify`. */
  tls: GrpcTls | "insecure";
  /** Who the caller is; default: the verified client certificate's publisher identity. */
  identify?: (call: AnyCall) => PublisherResult;
  maxMessageBytes: number;
  /**
   * Records per minute per client address and per publishing system (0: off): a
   * unary Publish is one, a stream's records count one each. Over a limit: a call
   * ends RESOURCE_EXHAUSTED (RATE_LIMITED, `retry-after` seconds in the metadata);
   * a stream's chunk over it is refused record by record (RATE_LIMITED) and the
   * stream ends.
   */
  rateLimit?: GrpcRateLimits;
  /** Where `grpc_rate_limited_total{limit}` is counted. */
  metrics?: Registry;
  /** Most records one PublishStream call may carry. */
  maxStreamRecords: number;
  /**
   * How long a PublishStream may send nothing (while the door is reading, not while it
   * publishes a chunk) before it is ended `DEADLINE_EXCEEDED` (`STREAM_IDLE`): a stream
   * held open and silent ties up a connection and a call for nothing. Default 30 s.
   */
  streamIdleMs?: number;
  logger: Logger;
}

/** The gRPC door: AdapterService.Publish (unary) and PublishStream (client streaming). */
export function createGrpcDoor(intake: Intake, opts: GrpcDoorOptions): grpc.Server {
  if (opts.tls === "insecure" && !opts.identify) throw new Error("an insecure gRPC door needs an explicit identify()");
  const identify = opts.identify ?? ((call: AnyCall) => callPublisher(call, opts.agency));
  const limits = grpcLimits(opts);
  /** The caller, or the refusal it was answered with (reported for the ledger). */
  const who = (call: AnyCall): Publisher | grpc.ServiceError => {
    const r = identify(call);
    if (r.ok) return r.publisher;
    if (r.code === "PUBLISHER_CERTIFICATE_REQUIRED") intake.refusals?.unauthenticated({ door: "grpc", code: r.code, route: "AdapterService", address: call.getPeer() });
    else intake.refusals?.refused({ door: "grpc", code: r.code, principal: r.identity || `sha256:${r.certificateSha256}`, recordType: "", eventId: "", paths: [], traceId: "" });
    opts.logger.warn({ code: r.code, identity: r.identity, certificateSha256: r.certificateSha256 }, "publisher refused");
    return publisherError(r);
  };
  /** A unary revision call: the rate limits (one record), then the intake, then the answer or the refusal. */
  function unaryLimited<O extends CorrectionOutcome | WithdrawalOutcome, R>(call: AnyCall, publisher: Publisher, callback: grpc.sendUnaryData<R>, run: () => Promise<O>, answer: (o: Extract<O, { ok: true }>) => R): void {
    limits(call, publisher, 1)
      .then(async (retryAfter) => {
        if (retryAfter !== undefined) return callback(rateLimited(retryAfter));
        const o = await run();
        if (!o.ok) return callback(grpcError(o as Failure));
        callback(null, answer(o as Extract<O, { ok: true }>));
      })
      .catch((err: unknown) => {
        opts.logger.error({ err }, "grpc revision failed");
        callback({ code: grpc.status.INTERNAL, details: "INTERNAL" });
      });
  }
  const server = new grpc.Server({
    "grpc.max_receive_message_length": opts.maxMessageBytes,
    "grpc.max_send_message_length": 4 * 1024 * 1024,
    "grpc.keepalive_time_ms": 30_000,
    "grpc.keepalive_timeout_ms": 10_000,
  });
  const impl: AdapterServiceServer = {
    correct(call: grpc.ServerUnaryCall<CorrectRequest, CorrectResponse>, callback: grpc.sendUnaryData<CorrectResponse>) {
      const publisher = who(call);
      if (publisher instanceof Error) return callback(publisher);
      const trace = traceFrom(call.metadata);
      const { supersedesEventId, recordType, record } = call.request;
      unaryLimited(call, publisher, callback, () => intake.correct(supersedesEventId, recordType, record ?? null, trace, "grpc", publisher, "supersedes_event_id"), (o) =>
        CorrectResponse.fromPartial({ eventId: o.result.eventId, eventType: o.event.eventType, duplicate: o.result.duplicate, topic: o.result.topic, partition: o.result.partition, offset: o.result.offset, supersedesEventId: o.supersedes, originalEventId: o.original }),
      );
    },
    withdraw(call: grpc.ServerUnaryCall<WithdrawRequest, WithdrawResponse>, callback: grpc.sendUnaryData<WithdrawResponse>) {
      const publisher = who(call);
      if (publisher instanceof Error) return callback(publisher);
      const trace = traceFrom(call.metadata);
      const { eventId, reason, explanation } = call.request;
      // proto3 strings: "" is absent.
      const body = { reason, ...(explanation !== "" ? { explanation } : {}) };
      unaryLimited(call, publisher, callback, () => intake.withdraw(eventId, body, trace, "grpc", publisher, "event_id"), (o) =>
        WithdrawResponse.fromPartial({ eventId: o.result.eventId, withdrawnEventId: o.withdrawnEventId, duplicate: o.result.duplicate, topic: o.result.topic, partition: o.result.partition, offset: o.result.offset }),
      );
    },
    publish(call: grpc.ServerUnaryCall<PublishRequest, PublishResponse>, callback: grpc.sendUnaryData<PublishResponse>) {
      const publisher = who(call);
      if (publisher instanceof Error) return callback(publisher);
      const trace = traceFrom(call.metadata);
      limits(call, publisher, 1)
        .then((retryAfter) => {
          if (retryAfter !== undefined) {
            callback(rateLimited(retryAfter));
            return undefined;
          }
          return intake.submit(call.request.recordType, call.request.record ?? null, trace, "grpc", publisher);
        })
        .then((o) => {
          if (o === undefined) return;
          if (!o.ok) return callback(grpcError(o));
          callback(null, PublishResponse.fromPartial({ eventId: o.result.eventId, eventType: o.event.eventType, duplicate: o.result.duplicate, topic: o.result.topic, partition: o.result.partition, offset: o.result.offset }));
        })
        .catch((err: unknown) => {
          opts.logger.error({ err }, "grpc publish failed");
          callback({ code: grpc.status.INTERNAL, details: "INTERNAL" });
        });
    },

    publishStream(call: grpc.ServerReadableStream<PublishStreamRequest, PublishStreamResponse>, callback: grpc.sendUnaryData<PublishStreamResponse>) {
      const publisher = who(call);
      if (publisher instanceof Error) {
        call.destroy();
        return callback(publisher);
      }
      const trace = traceFrom(call.metadata);
      // Validated and published as read, a chunk at a time (one record type, at most
      // STREAM_CHUNK records): the stream is paused while a chunk publishes, so memory
      // holds one chunk, never the whole stream.
      const summary: PublishStreamResponse = { accepted: 0, duplicates: 0, rejected: [], eventIds: [] };
      let chunk: { type: string; records: unknown[]; start: number } | undefined;
      let read = 0;
      let overflow = false;
      let limited = false;
      let ended = false;
      let work: Promise<void> = Promise.resolve();
      // The idle deadline runs only while the door waits for the client's next record.
      let idle: NodeJS.Timeout | undefined;
      const idleMs = opts.streamIdleMs ?? STREAM_IDLE_MS;
      const waitForClient = () => {
        clearTimeout(idle);
        if (!ended) idle = setTimeout(timeOut, idleMs);
      };
      const flush = () => {
        const c = chunk;
        chunk = undefined;
        if (!c) return;
        clearTimeout(idle);
        call.pause();
        work = work
          .then(async () => {
            if (!limited && (await limits(call, publisher, c.records.length)) !== undefined) limited = true;
            if (limited) {
              // Over the rate: this chunk and everything after it is refused, record by record.
              c.records.forEach((_r, i) => summary.rejected.push({ index: c.start + i, code: "RATE_LIMITED", issues: [] }));
              return;
            }
            tally(summary, c.start, await intake.submitMany(c.type, c.records, trace, "grpc", publisher));
          })
          .finally(() => {
            call.resume();
            waitForClient();
          });
      };
      /** Finish the stream once what was read is published: the summary, or the error with the summary in its trailer. */
      const finish = (refusal?: { status: grpc.status; code: string; details: string }) => {
        ended = true;
        clearTimeout(idle);
        flush();
        work
          .then(() => {
            if (!refusal) return callback(null, summary);
            // The records read before the refusal were taken; the summary of them travels in the trailer.
            const metadata = new grpc.Metadata();
            metadata.set(GRPC_ERROR_CODE_KEY, refusal.code);
            metadata.set(GRPC_SUMMARY_KEY, Buffer.from(JSON.stringify(PublishStreamResponse.toJSON(summary))));
            const details = `${refusal.code}: ${refusal.details} (${summary.accepted} published, ${summary.duplicates} duplicates, ${summary.rejected.length} refused — see ${GRPC_SUMMARY_KEY})`;
            callback(Object.assign(new Error(details), { code: refusal.status, details, metadata }));
          })
          .catch((err: unknown) => {
            opts.logger.error({ err }, "publish stream failed");
            callback({ code: grpc.status.INTERNAL, details: "INTERNAL" });
          });
      };
      function timeOut() {
        if (ended) return;
        overflow = true;
        opts.logger.warn({ code: "STREAM_IDLE", publisher: publisher instanceof Error ? "" : publisher.uri, idleMs }, "publish stream idle: ended");
        finish({ status: grpc.status.DEADLINE_EXCEEDED, code: "STREAM_IDLE", details: `nothing sent for ${idleMs} ms; the records read before were taken, none after` });
      }
      waitForClient();
      call.on("data", (req: PublishStreamRequest) => {
        if (overflow || ended) return;
        waitForClient();
        if (read >= opts.maxStreamRecords) {
          // Over the limit: what was read is published and answered for; nothing after it is read.
          overflow = true;
          flush();
          return;
        }
        if (chunk && chunk.type !== req.recordType) flush();
        chunk ??= { type: req.recordType, records: [], start: read };
        chunk.records.push(req.record ?? null);
        read++;
        if (chunk.records.length >= STREAM_CHUNK) flush();
      });
      call.on("error", (err) => {
        ended = true;
        clearTimeout(idle);
        opts.logger.warn({ err }, "publish stream errored");
      });
      call.on("cancelled", () => {
        ended = true;
        clearTimeout(idle);
      });
      call.on("end", () => {
        if (ended) return;
        if (!overflow) return finish();
        finish({
          status: grpc.status.RESOURCE_EXHAUSTED,
          code: "TOO_MANY_RECORDS",
          details: `at most ${opts.maxStreamRecords} records per stream; the first ${opts.maxStreamRecords} were taken, none after them`,
        });
      });
    },
  };
  server.addService(guardedAdapterService, impl);
  return server;
}

/** A call refused for its rate: RESOURCE_EXHAUSTED, code RATE_LIMITED, `retry-after` in seconds. */
function rateLimited(retryAfterSeconds: number): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set(GRPC_ERROR_CODE_KEY, "RATE_LIMITED");
  metadata.set("retry-after", String(retryAfterSeconds));
  const details = `RATE_LIMITED: too many records from this address or publishing system; retry after ${retryAfterSeconds} s`;
  return Object.assign(new Error(details), { code: grpc.status.RESOURCE_EXHAUSTED, details, metadata });
}

/**
 * The door's limits: `(call, publisher, records)` takes that many records from
 * the address's and the publisher's allowance and answers undefined, or the
 * seconds until the exhausted one refills.
 */
function grpcLimits(opts: GrpcDoorOptions): (call: AnyCall, publisher: Publisher, records: number) => Promise<number | undefined> {
  const limiter = grpcRateLimiter(opts.rateLimit, opts.metrics);
  return async (call, publisher, n) => (await limiter.address(call.getPeer(), n)) ?? (await limiter.principal(publisher.uri, n));
}

/** How long a PublishStream may send nothing before it is ended (`GrpcDoorOptions.streamIdleMs`). */
export const STREAM_IDLE_MS = 30_000;

/** Most records of one PublishStream validated and published together. */
export const STREAM_CHUNK = 500;

/** Add a chunk's outcomes to a stream's summary; rejections by their position in the stream. */
function tally(summary: PublishStreamResponse, start: number, outcomes: Outcome[]): void {
  outcomes.forEach((o, i) => {
    if (o.ok) {
      if (o.result.duplicate) summary.duplicates++;
      else summary.accepted++;
      summary.eventIds.push(o.result.eventId);
    } else {
      summary.rejected.push({ index: start + i, code: o.code, issues: o.issues } satisfies Rejection);
    }
  });
}

/** Listen with the door's transport: mutual TLS (client certificates required and verified), or insecure for in-process tests. */
export function listenGrpc(server: grpc.Server, host: string, port: number, tls: GrpcTls | "insecure"): Promise<number> {
  const credentials = tls === "insecure" ? grpc.ServerCredentials.createInsecure() : grpc.ServerCredentials.createSsl(tls.ca, [{ cert_chain: tls.cert, private_key: tls.key }], true);
  return new Promise((resolve, reject) => server.bindAsync(`${host}:${port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound))));
}

export function closeGrpc(server: grpc.Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
