import * as grpc from "@grpc/grpc-js";
import { AdapterServiceService, PublishResponse, PublishStreamResponse, type AdapterServiceServer, type PublishRequest, type PublishStreamRequest, type Rejection } from "@takitini/proto";
import { continueTrace, HEADERS, type Logger, type TraceContext } from "@takitini/runtime";
import { Refusal } from "./ingest.js";
import type { Intake, Outcome } from "./intake.js";
import { scanRecordRequest, tooDeepIssue } from "./limits.js";

type Failure = Exclude<Outcome, { ok: true }>;

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
};

/** Metadata keys carrying the stable error code and the field issues (JSON) on a failed call. */
export const GRPC_ERROR_CODE_KEY = "takitini-error-code";
export const GRPC_ISSUES_KEY = "takitini-issues-bin";

export function grpcError(f: Failure): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set(GRPC_ERROR_CODE_KEY, f.code);
  metadata.set(GRPC_ISSUES_KEY, Buffer.from(JSON.stringify(f.issues)));
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
function guardedDecode<R extends { recordType: string; record?: { [key: string]: any } | undefined }>(decode: (buf: Buffer) => R): (buf: Buffer) => R {
  return (buf) => {
    const scan = scanRecordRequest(buf);
    if (scan?.tooDeep) return { recordType: scan.recordType, record: new Refusal("TOO_DEEP", [tooDeepIssue()]) } as unknown as R;
    if (scan && scan.forbidden.length > 0) {
      return { recordType: scan.recordType, record: new Refusal("FORBIDDEN_KEY", scan.forbidden.map((path) => ({ path, code: "forbidden_key", message: "prototype-pollution keys are not allowed" }))) } as unknown as R;
    }
    return decode(buf);
  };
}

/** The service definition with guarded request decoding. */
export const guardedAdapterService = {
  ...AdapterServiceService,
  publish: { ...AdapterServiceService.publish, requestDeserialize: guardedDecode(AdapterServiceService.publish.requestDeserialize) },
  publishStream: { ...AdapterServiceService.publishStream, requestDeserialize: guardedDecode(AdapterServiceService.publishStream.requestDeserialize) },
} as const;

export interface GrpcDoorOptions {
  maxMessageBytes: number;
  /** Most records one PublishStream call may carry. */
  maxStreamRecords: number;
  logger: Logger;
}

/** The gRPC door: AdapterService.Publish (unary) and PublishStream (client streaming). */
export function createGrpcDoor(intake: Intake, opts: GrpcDoorOptions): grpc.Server {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": opts.maxMessageBytes,
    "grpc.max_send_message_length": 4 * 1024 * 1024,
    "grpc.keepalive_time_ms": 30_000,
    "grpc.keepalive_timeout_ms": 10_000,
  });
  const impl: AdapterServiceServer = {
    publish(call: grpc.ServerUnaryCall<PublishRequest, PublishResponse>, callback: grpc.sendUnaryData<PublishResponse>) {
      const trace = traceFrom(call.metadata);
      intake
        .submit(call.request.recordType, call.request.record ?? null, trace, "grpc")
        .then((o) => {
          if (!o.ok) return callback(grpcError(o));
          callback(null, PublishResponse.fromPartial({ eventId: o.result.eventId, eventType: o.event.eventType, duplicate: o.result.duplicate, topic: o.result.topic, partition: o.result.partition, offset: o.result.offset }));
        })
        .catch((err: unknown) => {
          opts.logger.error({ err }, "grpc publish failed");
          callback({ code: grpc.status.INTERNAL, details: "INTERNAL" });
        });
    },

    publishStream(call: grpc.ServerReadableStream<PublishStreamRequest, PublishStreamResponse>, callback: grpc.sendUnaryData<PublishStreamResponse>) {
      const trace = traceFrom(call.metadata);
      const received: PublishStreamRequest[] = [];
      let overflow = false;
      call.on("data", (req: PublishStreamRequest) => {
        if (received.length >= opts.maxStreamRecords) {
          overflow = true;
          return;
        }
        received.push(req);
      });
      call.on("error", (err) => opts.logger.warn({ err }, "publish stream errored"));
      call.on("end", () => {
        if (overflow) {
          callback({ code: grpc.status.RESOURCE_EXHAUSTED, details: `TOO_MANY_RECORDS: at most ${opts.maxStreamRecords} records per stream; nothing was published` });
          return;
        }
        summarise(intake, received, trace)
          .then((summary) => callback(null, summary))
          .catch((err: unknown) => {
            opts.logger.error({ err }, "publish stream failed");
            callback({ code: grpc.status.INTERNAL, details: "INTERNAL" });
          });
      });
    },
  };
  server.addService(guardedAdapterService, impl);
  return server;
}

/** Publish a stream's records, grouped into runs of one record type; report each rejection by position. */
async function summarise(intake: Intake, received: PublishStreamRequest[], trace: TraceContext): Promise<PublishStreamResponse> {
  const summary: PublishStreamResponse = { accepted: 0, duplicates: 0, rejected: [], eventIds: [] };
  for (let start = 0; start < received.length; ) {
    const type = received[start]!.recordType;
    let end = start;
    while (end < received.length && received[end]!.recordType === type) end++;
    const outcomes = await intake.submitMany(type, received.slice(start, end).map((r) => r.record ?? null), trace, "grpc");
    outcomes.forEach((o, i) => {
      if (o.ok) {
        if (o.result.duplicate) summary.duplicates++;
        else summary.accepted++;
        summary.eventIds.push(o.result.eventId);
      } else {
        summary.rejected.push({ index: start + i, code: o.code, issues: o.issues } satisfies Rejection);
      }
    });
    start = end;
  }
  return summary;
}

export function listenGrpc(server: grpc.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) =>
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
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
