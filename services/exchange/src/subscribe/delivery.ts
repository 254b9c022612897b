import { AggregateView, IntelligenceEvent, INTEL_SCHEMA_VERSION, LinkAlertView, SupportNotice, WithdrawalNotice, type SubscribeResponse } from "@takitini/proto";
import { AGGREGATE_VIEW_EVENT_TYPE, LINK_ALERT_VIEW_EVENT_TYPE, SUPPORT_NOTICE_EVENT_TYPE } from "../plan.js";
import { WITHDRAWAL_NOTICE_EVENT_TYPE } from "../revision.js";
import { continueTrace, HEADERS, headerValue, type TraceContext } from "@takitini/runtime";
import type { IHeaders } from "kafkajs";
import type { DeliveredView } from "./access.js";

/**
 * A record of a partner's delivery topic, turned into what goes on the stream and
 * into its access record. Pure (apart from the new span id of the continued trace).
 */

export interface DeliveryRecord {
  topic: string;
  partition: number;
  offset: string;
  value: Buffer | null;
  headers: IHeaders | undefined;
}

export type Prepared =
  | {
      ok: true;
      /** Everything but the cursor, which depends on the stream's position. */
      response: Omit<SubscribeResponse, "cursor">;
      view: DeliveredView;
      /** This hop's span: the audit record's traceparent and the one handed to the partner. */
      trace: TraceContext;
    }
  | { ok: false; reason: string };

/** Views a delivery topic holds: raw events (full, redacted), aggregate views, link alerts' views (full), withdrawal notices (none: no content), or support notices (redacted, de-identified). */
const RAW_VIEWS = new Set(["full", "redacted"]);

/** What a delivery record holds, by its event-type header. */
type Body = { event: IntelligenceEvent } | { aggregate: AggregateView } | { linkAlert: LinkAlertView } | { withdrawalNotice: WithdrawalNotice } | { supportNotice: SupportNotice };

export function prepareDelivery(record: DeliveryRecord): Prepared {
  if (!record.value || record.value.length === 0) return { ok: false, reason: "EMPTY_VALUE" };
  const schema = headerValue(record.headers, HEADERS.SCHEMA_VERSION);
  if (schema !== undefined && schema !== INTEL_SCHEMA_VERSION) return { ok: false, reason: "UNSUPPORTED_SCHEMA_VERSION" };
  const decisionId = headerValue(record.headers, HEADERS.DECISION_ID) ?? "";
  const view = headerValue(record.headers, HEADERS.VIEW) ?? "";
  if (decisionId === "") return { ok: false, reason: "NO_DECISION_ID" };
  const type = headerValue(record.headers, HEADERS.EVENT_TYPE);
  const isAggregate = type === AGGREGATE_VIEW_EVENT_TYPE;
  const isLinkAlert = type === LINK_ALERT_VIEW_EVENT_TYPE;
  const isNotice = type === WITHDRAWAL_NOTICE_EVENT_TYPE;
  const isSupportNotice = type === SUPPORT_NOTICE_EVENT_TYPE;
  if (isAggregate ? view !== "aggregate_only" : isLinkAlert ? view !== "full" : isNotice ? view !== "none" : isSupportNotice ? view !== "redacted" : !RAW_VIEWS.has(view)) {
    return { ok: false, reason: "UNEXPECTED_VIEW" };
  }
  let body: Body;
  try {
    body = isAggregate
      ? { aggregate: AggregateView.decode(record.value) }
      : isLinkAlert
        ? { linkAlert: LinkAlertView.decode(record.value) }
        : isNotice
          ? { withdrawalNotice: WithdrawalNotice.decode(record.value) }
          : isSupportNotice
            ? { supportNotice: SupportNotice.decode(record.value) }
            : { event: IntelligenceEvent.decode(record.value) };
  } catch {
    return { ok: false, reason: "DECODE_FAILED" };
  }
  if ("event" in body && body.event.id === "") return { ok: false, reason: "NO_EVENT_ID" };
  if ("aggregate" in body && body.aggregate.decisionId !== decisionId) return { ok: false, reason: "DECISION_MISMATCH" };
  // A link alert's view names the random delivery id its decision record names; the header carries the same.
  if ("linkAlert" in body && (body.linkAlert.deliveryId === "" || body.linkAlert.deliveryId !== headerValue(record.headers, HEADERS.DELIVERY_ID))) {
    return { ok: false, reason: "DELIVERY_MISMATCH" };
  }
  // So does a withdrawal notice.
  if ("withdrawalNotice" in body && (body.withdrawalNotice.deliveryId === "" || body.withdrawalNotice.deliveryId !== headerValue(record.headers, HEADERS.DELIVERY_ID))) {
    return { ok: false, reason: "DELIVERY_MISMATCH" };
  }
  // And a support notice.
  if ("supportNotice" in body && (body.supportNotice.deliveryId === "" || body.supportNotice.deliveryId !== headerValue(record.headers, HEADERS.DELIVERY_ID))) {
    return { ok: false, reason: "DELIVERY_MISMATCH" };
  }
  const incoming = headerValue(record.headers, HEADERS.TRACEPARENT);
  const trace = continueTrace({ traceparent: incoming, tracestate: headerValue(record.headers, HEADERS.TRACESTATE) });
  return {
    ok: true,
    response: {
      ...body,
      decisionId,
      policyRevision: headerValue(record.headers, HEADERS.POLICY_REVISION) ?? "",
      view,
      traceparent: trace.traceparent,
    },
    view: {
      // An aggregate view, a link alert's, a withdrawal notice or a support notice carries no event id of its own: its decision record names the event.
      eventId: "event" in body ? body.event.id : "",
      decisionId,
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      // Only a trace the delivery carried is the publisher's; a fresh one is not.
      traceId: incoming?.split("-")[1] === trace.traceId ? trace.traceId : "",
    },
    trace,
  };
}
