import { commonErrors, createHttpServer, zodIssues, type Logger, type ReadinessCheck, type Registry } from "@takitini/runtime";
import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { toApi } from "./records.js";
import { decodeCursor, InvalidCursorError, type DecisionStore } from "./store.js";

const decisionsQuery = z.strictObject({
  event_id: z.uuid().optional(),
  subscriber_id: z.string().regex(/^[a-z0-9-]{1,40}$/, "expected a subscriber id").optional(),
  outcome: z.enum(["allow", "deny"]).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(100).optional(),
});

export interface AppDeps {
  logger: Logger;
  metrics: Registry;
  store: DecisionStore;
  readiness: ReadinessCheck[];
}

/** The oversight API over the decision record. */
export function buildApp(deps: AppDeps): FastifyInstance {
  const app = createHttpServer({ service: "audit", logger: deps.logger, metrics: deps.metrics, readiness: deps.readiness });

  app.get("/v1/decisions", async (req) => {
    const parsed = decisionsQuery.safeParse(req.query);
    if (!parsed.success) throw commonErrors.INVALID_QUERY(zodIssues(parsed.error));
    const q = parsed.data;
    if (q.cursor !== undefined) {
      try {
        decodeCursor(q.cursor);
      } catch (err) {
        if (err instanceof InvalidCursorError) throw commonErrors.INVALID_QUERY([{ path: "cursor", code: "invalid_cursor", message: "cursor is not one this API issued" }]);
        throw err;
      }
    }
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
  return app;
}
