import {
  continueTrace,
  createHttpServer,
  Counter,
  HEADERS,
  Histogram,
  zodIssues,
  type Logger,
  type Registry,
} from "@takitini/runtime";
import type { FastifyInstance } from "fastify";
import { errors } from "./errors.js";
import { mapPoliceNoting } from "./mapping.js";
import { policeNotingRecord } from "./native.js";
import type { EventPublisher } from "./publisher.js";

export interface AppDeps {
  logger: Logger;
  metrics: Registry;
  publisher: EventPublisher;
  bodyLimit: number;
  now?: () => Date;
}

/** The adapter's HTTP surface: POST /v1/reports plus the shared health/metrics routes. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const now = deps.now ?? (() => new Date());
  const app = createHttpServer({
    service: "police-adapter",
    logger: deps.logger,
    metrics: deps.metrics,
    bodyLimit: deps.bodyLimit,
    readiness: [{ name: "kafka-producer", check: () => deps.publisher.isReady() }],
  });
  const accepted = new Counter({
    name: "police_reports_accepted_total",
    help: "Police reports accepted and published",
    registers: [deps.metrics],
  });
  const rejected = new Counter({
    name: "police_reports_rejected_total",
    help: "Police reports rejected, by error code",
    labelNames: ["code"] as const,
    registers: [deps.metrics],
  });
  const publishSeconds = new Histogram({
    name: "police_publish_duration_seconds",
    help: "Time from accepting a report to the broker's acks=all acknowledgement",
    registers: [deps.metrics],
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  });
  app.addHook("onError", async (_req, _reply, err) => {
    rejected.inc({ code: (err as { code?: string }).code ?? "UNKNOWN" });
  });

  app.post("/v1/reports", async (req, reply) => {
    const parsed = policeNotingRecord.safeParse(req.body);
    if (!parsed.success) throw errors.VALIDATION_FAILED(zodIssues(parsed.error));

    const trace = continueTrace({
      traceparent: req.headers[HEADERS.TRACEPARENT] as string | undefined,
      tracestate: req.headers[HEADERS.TRACESTATE] as string | undefined,
    });
    const event = mapPoliceNoting(parsed.data, now());
    const end = publishSeconds.startTimer();
    let result;
    try {
      result = await deps.publisher.publish(event, trace);
    } catch (err) {
      req.log.error({ err, eventId: event.id }, "publish failed");
      throw errors.PUBLISH_FAILED();
    } finally {
      end();
    }
    accepted.inc();
    req.log.info({ eventId: event.id, partition: result.partition, offset: result.offset, traceId: trace.traceId }, "report published");
    return reply
      .code(202)
      .header(HEADERS.TRACEPARENT, trace.traceparent)
      .send({
        event_id: event.id,
        event_type: event.eventType,
        topic: result.topic,
        partition: result.partition,
        offset: result.offset,
        trace_id: trace.traceId,
      });
  });
  return app;
}
