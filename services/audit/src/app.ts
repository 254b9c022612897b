import { commonErrors, createHttpServer, zodIssues, type Logger, type ReadinessCheck, type Registry } from "@takitini/runtime";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { AccessAction } from "@takitini/proto";
import { accessToApi, toApi } from "./records.js";
import { decodeCursor, InvalidCursorError, type DecisionStore, type MemoryAccessLog } from "./store.js";

const decisionsQuery = z.strictObject({
  event_id: z.uuid().optional(),
  subscriber_id: z.string().regex(/^[a-z0-9-]{1,40}$/, "expected a subscriber id").optional(),
  outcome: z.enum(["allow", "deny"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(100).optional(),
});

const ACCESS_ACTIONS = { subscribe_granted: AccessAction.ACCESS_ACTION_SUBSCRIBE_GRANTED, subscribe_denied: AccessAction.ACCESS_ACTION_SUBSCRIBE_DENIED, delivered: AccessAction.ACCESS_ACTION_DELIVERED } as const;

const accessQuery = z.strictObject({
  subscriber_id: z.string().regex(/^[a-z0-9-]{1,40}$/, "expected a subscriber id").optional(),
  action: z.enum(["subscribe_granted", "subscribe_denied", "delivered"]).optional(),
  event_id: z.uuid().optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(100).optional(),
});

function checkCursor(cursor: string | undefined): void {
  if (cursor === undefined) return;
  try {
    decodeCursor(cursor);
  } catch (err) {
    if (err instanceof InvalidCursorError) throw commonErrors.INVALID_QUERY([{ path: "cursor", code: "invalid_cursor", message: "cursor is not one this API issued" }]);
    throw err;
  }
}

export interface AppDeps {
  logger: Logger;
  metrics: Registry;
  store: DecisionStore;
  access: MemoryAccessLog;
  readiness: ReadinessCheck[];
}

/** The oversight API over the decision record. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = createHttpServer({ service: "audit", logger: deps.logger, metrics: deps.metrics, readiness: deps.readiness });

  app.get("/v1/decisions", async (req) => {
    const parsed = decisionsQuery.safeParse(req.query);
    if (!parsed.success) throw commonErrors.INVALID_QUERY(zodIssues(parsed.error));
    const q = parsed.data;
    checkCursor(q.cursor);
    const page = deps.store.query({ eventId: q.event_id, subscriberId: q.subscriber_id, outcome: q.outcome, limit: q.limit, cursor: q.cursor });
    return { decisions: page.decisions.map(toApi), next_cursor: page.nextCursor };
  });

  app.get("/v1/decisions/:id", async (req, reply) => {
    const id = z.uuid().safeParse((req.params as { id: string }).id);
    if (!id.success) throw commonErrors.INVALID_QUERY([{ path: "id", code: "invalid_format", message: "expected a UUID" }]);
    const record = deps.store.get(id.data);
    if (!record) return reply.code(404).send({ error: { code: "DECISION_NOT_FOUND", message: "no decision with that id", issues: [] } });
    return toApi(record);
  });

  // Partner delivery-door accesses: streams granted or refused, each view streamed.
  // A refused request is listed under the stream it asked for too.
  app.get("/v1/access", async (req) => {
    const parsed = accessQuery.safeParse(req.query);
    if (!parsed.success) throw commonErrors.INVALID_QUERY(zodIssues(parsed.error));
    const q = parsed.data;
    checkCursor(q.cursor);
    const page = deps.access.query({
      subscriberId: q.subscriber_id,
      action: q.action === undefined ? undefined : ACCESS_ACTIONS[q.action],
      eventId: q.event_id,
      limit: q.limit,
      cursor: q.cursor,
    });
    return { access: page.records.map(accessToApi), next_cursor: page.nextCursor };
  });
  return app;
}
