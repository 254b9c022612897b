import { randomBytes } from "node:crypto";
import { parseTraceParent } from "@opentelemetry/core";

/** W3C trace context for one hop: the trace it belongs to and this hop's span. */
export interface TraceContext {
  traceId: string;
  spanId: string;
  /** `traceparent` header value naming this hop's span as parent of the next. */
  traceparent: string;
  tracestate?: string;
}

function format(traceId: string, spanId: string, flags: number): string {
  return `00-${traceId}-${spanId}-${flags.toString(16).padStart(2, "0")}`;
}

/**
 * Continue the trace named by an incoming `traceparent` (HTTP or Kafka header)
 * with a new span, or start a new trace when there is none or it is invalid.
 */
export function continueTrace(incoming: { traceparent?: string | undefined; tracestate?: string | undefined }): TraceContext {
  const parent = incoming.traceparent ? parseTraceParent(incoming.traceparent) : null;
  const spanId = randomBytes(8).toString("hex");
  if (parent) {
    const ctx: TraceContext = {
      traceId: parent.traceId,
      spanId,
      traceparent: format(parent.traceId, spanId, parent.traceFlags),
    };
    if (incoming.tracestate) ctx.tracestate = incoming.tracestate;
    return ctx;
  }
  const traceId = randomBytes(16).toString("hex");
  return { traceId, spanId, traceparent: format(traceId, spanId, 1) };
}
