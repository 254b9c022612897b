import { z } from "zod";
import { anomaliesQuery, pageQuery, recordsQuery, statsQuery } from "./query.js";
import { reportQuery } from "../reports/route.js";
import { SESSION_COOKIE } from "./credentials.js";
import { MAX_LINKED_DISCLOSURES, MAX_LINKS } from "./links.js";
import { KINDS } from "./records.js";
import { MAX_VERSION_DECISIONS, MAX_VERSIONS } from "./versions.js";

/**
 * The OpenAPI 3.1 document of the oversight API's /v1 routes (pure). Query
 * parameters are generated from the same zod schemas the routes validate with
 * (oversight/query.ts); path parameters and the few inline ones are described
 * here. Served at /docs (swagger-ui) and /docs/json without a credential.
 */

type Json = Record<string, unknown>;

const SECURITY = [{ bearer: [] }, { consoleSession: [] }];

/** A JSON Schema without the draft marker, patterns dropped where a format already says it (date-time, uuid). */
function tidy(schema: Json): Json {
  const { $schema: _drop, ...rest } = schema;
  if (typeof rest["format"] === "string" && ["date-time", "uuid"].includes(rest["format"])) delete rest["pattern"];
  return rest;
}

/** One OpenAPI parameter per property of a zod object schema (its input side: what a client sends). */
export function parametersOf(schema: z.ZodType, where: "query" | "path", descriptions: Record<string, string> = {}): Json[] {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Json;
  const properties = (json["properties"] ?? {}) as Record<string, Json>;
  const required = new Set((json["required"] as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === "path" || required.has(name),
    ...(descriptions[name] ? { description: descriptions[name] } : {}),
    schema: tidy(property),
  }));
}

const errorBody: Json = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "issues"],
      properties: {
        code: { type: "string", examples: ["INVALID_QUERY"] },
        message: { type: "string" },
        issues: {
          type: "array",
          description: "every offending parameter (unknown ones included)",
          items: { type: "object", required: ["path", "code", "message"], properties: { path: { type: "string" }, code: { type: "string" }, message: { type: "string" } } },
        },
      },
    },
  },
};

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: Json, description: string) => ({ description, content: { "application/json": { schema } } });
const error = (description: string) => json(ref("Error"), description);
const cursor = { type: ["string", "null"], description: "pass as `cursor` for the next page; null on the last page" };
const hex = (what: string) => ({ type: "string", pattern: "^[0-9a-f]{64}$", description: `${what}, lowercase hex` });
const str = { type: "string" };
const int = { type: "integer", minimum: 0 };
const time = { type: "string", format: "date-time" };

const schemas: Record<string, Json> = {
  Error: errorBody,
  RecordSummary: {
    type: "object",
    properties: {
      index: { ...int, description: "leaf index in the ledger" },
      id: str,
      kind: { type: "string", enum: [...KINDS] },
      occurred_at: time,
      agency: str,
      subscriber_id: str,
      event_type: str,
      region: str,
      outcome: { type: "string", enum: ["allow", "deny", ""] },
      view: str,
      legal_basis: str,
      policy_revision: str,
      event_id: str,
      action: { type: "string", description: "access action (e.g. delivered) or, for an oversight query, `METHOD route`" },
      subject_ids: {
        type: "array",
        items: str,
        description:
          "the subjects the record names: for a record appended with sealed subjects, opened by the server with each subject's key (not part of the signed bytes, which hold refs and ciphertext); for one appended before sealing, as it holds them",
      },
      erased_subject_refs: {
        type: "array",
        items: { type: "string", pattern: "^s_[a-z2-7]{26}$" },
        description: "refs of sealed subjects whose key has been destroyed (retention or erasure, a `purge` record): the record names them, and nobody can say whom",
      },
    },
  },
  SignedTreeHead: {
    type: "object",
    properties: {
      tree_size: int,
      root_hash: hex("root hash"),
      issued_at: time,
      key_id: hex("SHA-256 of the signing public key"),
      public_key: { type: "string", description: "Ed25519 public key, SPKI PEM" },
      signature: { type: "string", contentEncoding: "base64", description: "Ed25519 signature over the tree head" },
    },
  },
};

const recordsPage: Json = { type: "object", properties: { records: { type: "array", items: ref("RecordSummary") }, next_cursor: cursor } };

const recordDetail: Json = {
  type: "object",
  properties: {
    record: {
      allOf: [ref("RecordSummary")],
      type: "object",
      properties: {
        reasons: { type: "array", items: str, description: "rule ids that produced a decision's outcome" },
        redacted_paths: { type: "array", items: str, description: "field paths removed from the delivered view" },
        delivery_topic: str,
        trace_id: str,
        detail: {
          type: "object",
          description:
            "the record's own fields, by kind, as its signed bytes hold them: a record with sealed subjects has `subject_ids` as refs and `sealed_subjects` [{ ref, ciphertext (base64) }]; the subjects the server opened are `subject_ids` and `erased_subject_refs` of the record",
          additionalProperties: true,
        },
      },
    },
    ledger: {
      type: "object",
      properties: {
        index: int,
        leaf_hash: hex("RFC 6962 leaf hash"),
        appended_at: time,
        entry: { type: "string", format: "byte", description: "the leaf entry's bytes (base64): hash them for the proof (SHA-256 of 0x00 || entry) and decode the record from them" },
      },
    },
    proof: {
      oneOf: [
        {
          type: "object",
          properties: { tree_size: int, root_hash: hex("root hash"), inclusion: { type: "array", items: hex("audit path hash") }, head: ref("SignedTreeHead") },
        },
        { type: "null" },
      ],
      description: "inclusion proof against the latest signed head; null until a head covers the record",
    },
  },
};

const disclosureList: Json = {
  type: "array",
  items: {
    type: "object",
    properties: {
      event_id: { type: "string", description: "the record disclosed: its event id" },
      event_type: str,
      agency: { type: "string", description: "the agency whose record it is" },
      subscriber_id: str,
      view: str,
      legal_basis: { type: "string", description: "the legal basis relied on for the disclosure" },
      policy_revision: str,
      decided_at: time,
      decision_id: str,
      delivery_topic: str,
    },
  },
};

const linkedRecord: Json = { type: "object", properties: { event_id: str, agency: str, event_type: str } };

const disclosures: Json = {
  type: "object",
  properties: {
    subject_id: str,
    disclosures: disclosureList,
    denied: { ...int, description: "decisions about the subject that were refused" },
    next_cursor: cursor,
    links: {
      type: "array",
      description: `the subject's links to other agencies' subjects (link alerts of the linkage service in the ledger naming the subject), newest first, at most ${MAX_LINKS}; on the first page only (empty when a cursor is given); a link whose other subject was erased is left out`,
      items: {
        type: "object",
        properties: {
          link_id: str,
          rule: { type: "string", description: "the rule that made the link: identity_document, company_registration, vehicle_plate, name_and_date_of_birth" },
          confidence: { type: "number", minimum: 0, maximum: 1 },
          linked_at: time,
          record: { ...linkedRecord, description: "the record naming the subject asked about" },
          linked_record: { ...linkedRecord, description: "the other agency's record" },
          linked_subject_id: { type: "string", description: "the subject the other record names (pseudonymous)" },
          disclosures: { ...disclosureList, description: `the linked subject's own disclosures, newest first, at most ${MAX_LINKED_DISCLOSURES} (one hop: that subject's links are not followed)` },
          denied: { ...int, description: "decisions about the linked subject that were refused" },
          more: { type: "boolean", description: "the linked subject has more disclosures than listed: ask for that subject itself" },
        },
      },
    },
  },
};

const versions: Json = {
  type: "object",
  properties: {
    event_id: { type: "string", format: "uuid", description: "the id asked for" },
    original_event_id: { type: "string", format: "uuid", description: "the record's first version (the asked id itself for a version listed alone)" },
    withdrawn: { type: "boolean", description: "the ledger holds the record's withdrawal" },
    versions: {
      type: "array",
      description: `the record's versions: the first, its corrections in ledger order (one partition holds a record's history in order), then its withdrawal; at most ${MAX_VERSIONS}. Only versions of the first version's agency, each believed from its agency's own topic: a version another agency published naming the record is not linked to it (asked for by its own id, it is listed alone)`,
      items: {
        type: "object",
        properties: {
          event_id: str,
          version: { type: "string", enum: ["first", "correction", "withdrawal"] },
          supersedes_event_id: { type: "string", description: "a correction: the version it corrects" },
          withdrawn_event_id: { type: "string", description: "a withdrawal: the version withdrawn (the record's latest then)" },
          reason: { type: "string", description: "a withdrawal: entered_in_error, duplicate, not_substantiated, legal_direction, source_protection, other (never the explanation)" },
          record: { ...ref("RecordSummary"), description: "the version's publish record (open it by its id: GET /v1/records/{id})" },
          decisions: {
            type: "array",
            description: `the exchange's decisions on this version, in ledger order, at most ${MAX_VERSION_DECISIONS}`,
            items: {
              type: "object",
              properties: { decision_id: str, subscriber_id: str, outcome: str, view: str, legal_basis: str, policy_revision: str, decided_at: time, delivery_topic: str, delivery_id: { type: "string", description: "a community output's random delivery id, when the decision names one" } },
            },
          },
          more_decisions: { type: "boolean", description: "more decisions than listed: search the records by event_id" },
        },
      },
    },
    more_versions: { type: "boolean" },
  },
};

const counts = { subscriber_id: str, allow: int, deny: int };
const stats: Json = {
  type: "object",
  properties: {
    buckets: { type: "array", items: { type: "object", properties: { start: time, ...counts } } },
    totals: { type: "array", items: { type: "object", properties: counts } },
  },
};

const anomalies: Json = {
  type: "object",
  properties: {
    anomalies: {
      type: "array",
      items: {
        type: "object",
        properties: {
          subscriber_id: str,
          metric: { type: "string", enum: ["allow", "deny", "access", "conflict"], description: "conflict: records whose id arrived again with different bytes, kept as conflict records — any in the window is flagged" },
          count: int,
          baseline_mean: { type: "number" },
          baseline_sd: { type: "number" },
          ratio: { type: "number" },
          window_start: time,
        },
      },
    },
  },
};

const inclusion: Json = {
  type: "object",
  properties: { record_id: str, index: int, leaf_hash: hex("leaf hash"), tree_size: int, inclusion: { type: "array", items: hex("audit path hash") } },
};
const consistency: Json = { type: "object", properties: { from: int, to: int, consistency: { type: "array", items: hex("proof hash") } } };
const decision: Json = { type: "object", description: "a decision record as the exchange wrote it", additionalProperties: true };

// The parameters of routes whose schemas live inline in app.ts, as validated there.
const recordId = z.strictObject({ id: z.string().min(1).max(200) });
const subjectId = z.strictObject({ subjectId: z.string().regex(/^[A-Za-z0-9._:/-]{1,200}$/) });
const size = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const inclusionQuery = z.strictObject({ record_id: z.string().min(1).max(200), tree_size: size.optional() });
const consistencyQuery = z.strictObject({ from: size, to: size.optional() });
const decisionsQuery = z.strictObject({
  event_id: z.uuid().optional(),
  subscriber_id: z.string().regex(/^[a-z0-9-]{1,40}$/).optional(),
  outcome: z.enum(["allow", "deny"]).optional(),
  limit: z.number().int().min(1).max(500).default(100),
  cursor: z.string().max(100).optional(),
});
const decisionId = z.strictObject({ id: z.uuid() });

const invalid = error("INVALID_QUERY: with every offending parameter's path");
const unauthorised = error(
  "OVERSIGHT_CREDENTIAL_REQUIRED (no credential, or not one of an account); CREDENTIAL_EXPIRED or CREDENTIAL_DISABLED (the account's). Not recorded one by one: counted per window (code and route pattern) and appended as a `refusal_summary` record",
);
const throttled = {
  ...error("SIGN_IN_THROTTLED: too many failed credentials for this account or from this address; try again after Retry-After seconds"),
  headers: { "Retry-After": { description: "seconds to wait", schema: { type: "integer", minimum: 1 } } },
};
const notFound = error("RECORD_NOT_FOUND");

interface Operation {
  method: "get" | "post";
  /** OpenAPI path template. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  /** The roles that may call it (the route's `config.roles`); absent: every role. Published as `x-takitini-roles`. */
  roles?: string[];
  parameters?: Json[];
  responses: Record<string, unknown>;
}

const operations: Operation[] = [
  {
    method: "get",
    path: "/v1/records",
    operationId: "searchRecords",
    summary: "Search the ledger's records, newest first",
    description:
      "Every filter is optional and narrows the search. `legal_basis` matches a substring (`%` and `_` are literal); `from`/`to` are ISO 8601 with an offset. Paged by a keyset on the leaf index: pass `next_cursor` back as `cursor`. Kinds: `publish`, `decision`, `access`, `oversight_query`, `policy_revision`, `refusal` (one refusal of an identified caller at an adapter's or the briefing's door: service, door, code, principal, field paths — never values; `agency` is the adapter's agency, `event_type` the record type submitted, `action` `<service> <door> <code>`) and `refusal_summary` (unauthenticated refusals at one service, door, code and route pattern counted over a window: count and distinct addresses, never the addresses; dated by the window's end; `action` `<service> <door> <code> <route> ×<count>`).",
    parameters: parametersOf(recordsQuery, "query"),
    responses: { "200": json(recordsPage, "a page of records"), "400": invalid },
  },
  {
    method: "get",
    path: "/v1/records/{id}",
    operationId: "getRecord",
    summary: "One record with its reasons, legal basis, policy revision, redacted paths, its leaf and an inclusion proof",
    parameters: parametersOf(recordId, "path", { id: "record id: a decision id, an access id, `publish:<event id>`, `policy-revision:<revision>`, `refusal:<id>`, `refusal-summary:<id>`…" }),
    responses: { "200": json(recordDetail, "the record"), "400": invalid, "404": notFound },
  },
  {
    method: "get",
    path: "/v1/records/{id}/versions",
    operationId: "recordVersions",
    summary: "A record's history: every version, with its publish record and the decisions on each",
    description:
      "Given any version's event id (the first version, a correction or the withdrawal): the record's first version, its corrections in order and its withdrawal, as the publish records' `revision` links them, each with the decisions made on it (subscriber, outcome, view, delivery).",
    parameters: parametersOf(z.strictObject({ id: z.uuid() }), "path", { id: "the event id of any version of the record" }),
    responses: { "200": json(versions, "the record's versions"), "400": invalid, "404": notFound },
  },
  {
    method: "get",
    path: "/v1/subjects/{subjectId}/disclosures",
    operationId: "whoHasSeen",
    summary: "Who has seen information about this person",
    description:
      "Every decision that let a subscriber have an event naming the subject (pseudonymous subject id, URL-encoded), newest first, with the legal basis relied on; and how many were refused. Across agencies: the subject's links (`links`, first page only), each with the linked subject's own disclosures and the link's rule and confidence.",
    parameters: [...parametersOf(subjectId, "path", { subjectId: "pseudonymous subject id, e.g. police/person/P-20931 (URL-encoded)" }), ...parametersOf(pageQuery, "query")],
    responses: { "200": json(disclosures, "the disclosures"), "400": invalid },
  },
  {
    method: "get",
    path: "/v1/stats/disclosures",
    operationId: "disclosureStats",
    summary: "Decisions per partner per time bucket, allow and deny, and totals",
    parameters: parametersOf(statsQuery, "query"),
    responses: { "200": json(stats, "counts per bucket and totals"), "400": invalid },
  },
  {
    method: "get",
    path: "/v1/anomalies",
    operationId: "anomalies",
    summary: "Subscribers far above their own baseline in the latest window",
    description: "Flagged when the latest window's count is at least 10, at least 3× the baseline mean and more than 3 standard deviations above it.",
    parameters: parametersOf(anomaliesQuery, "query", { baseline: "how many earlier windows make the baseline", at: "end of the window judged (default now)" }),
    responses: { "200": json(anomalies, "the flags"), "400": invalid },
  },
  {
    method: "get",
    path: "/v1/reports/quarterly",
    operationId: "quarterlyReport",
    summary: "The quarterly outcome report of a Police district or the country, with the previous quarter's figures",
    description:
      "Every figure is a count or a sum over ledger leaves dated in the quarter (New Zealand calendar quarters): publish records' outcome summaries, decisions, refusals. Rendered as HTML, PDF (headless Chromium), CSV per table, or the report as JSON; signed with the ledger key and recorded as a `report` leaf. Headers `x-takitini-report-id`, `x-takitini-report-leaf`, `x-takitini-report-sha256` (the body's hash, as signed).",
    parameters: parametersOf(reportQuery, "query", { quarter: "YYYY-Qn", region: "national or a district code", table: "with format=csv: the table" }),
    responses: {
      "200": {
        description: "the report: JSON (format=json), or text/html, application/pdf, text/csv",
        content: {
          "application/json": { schema: { type: "object", properties: { report: { type: "object", additionalProperties: true }, record: { type: "object", additionalProperties: true }, ledger: { type: "object", properties: { index: int } }, pdf_available: { type: "boolean" } } } },
          "text/html": { schema: { type: "string" } },
          "application/pdf": { schema: { type: "string", format: "binary" } },
          "text/csv": { schema: { type: "string" } },
        },
      },
      "400": invalid,
      "503": error("REPORT_PDF_UNAVAILABLE (format=pdf without Chromium) or REPORTS_UNAVAILABLE"),
    },
  },
  {
    method: "get",
    path: "/v1/tree/head",
    operationId: "getSignedHead",
    summary: "The latest signed tree head",
    responses: { "200": json(ref("SignedTreeHead"), "the head"), "404": error("NO_SIGNED_HEAD") },
  },
  {
    method: "post",
    path: "/v1/tree/heads",
    operationId: "signHead",
    summary: "Sign a tree head now (administrators only)",
    description: "Changes what the ledger attests, so only an account with the role `administrator` may; a reviewer is answered 403 `ROLE_NOT_PERMITTED` (and the refusal is recorded like any other query).",
    roles: ["administrator"],
    responses: { "201": json(ref("SignedTreeHead"), "the new head"), "403": error("ROLE_NOT_PERMITTED: the account's role is not administrator") },
  },
  {
    method: "get",
    path: "/v1/tree/inclusion",
    operationId: "inclusionProof",
    summary: "Inclusion proof of a record in the tree of a given size (default the current size)",
    parameters: parametersOf(inclusionQuery, "query"),
    responses: { "200": json(inclusion, "the proof"), "400": error("INVALID_QUERY or TREE_SIZE_OUT_OF_RANGE"), "404": notFound },
  },
  {
    method: "get",
    path: "/v1/tree/consistency",
    operationId: "consistencyProof",
    summary: "Consistency proof between two tree sizes (default `to`: the current size)",
    parameters: parametersOf(consistencyQuery, "query"),
    responses: { "200": json(consistency, "the proof"), "400": error("INVALID_QUERY or TREE_SIZE_OUT_OF_RANGE") },
  },
  {
    method: "get",
    path: "/v1/decisions",
    operationId: "listDecisions",
    summary: "Decisions by event, subscriber and outcome (the first API's view, kept for its clients)",
    parameters: parametersOf(decisionsQuery, "query"),
    responses: { "200": json({ type: "object", properties: { decisions: { type: "array", items: decision }, next_cursor: cursor } }, "a page of decisions"), "400": invalid },
  },
  {
    method: "get",
    path: "/v1/decisions/{id}",
    operationId: "getDecision",
    summary: "One decision as the exchange wrote it (the first API's view)",
    parameters: parametersOf(decisionId, "path"),
    responses: { "200": json(decision, "the decision"), "400": invalid, "404": notFound },
  },
];

/** The routes documented, as fastify spells them (`/v1/records/:id`), with their methods and the roles they are for (absent: every role). */
export function documentedRoutes(): { method: string; url: string; roles?: string[] }[] {
  return operations.map((o) => ({ method: o.method.toUpperCase(), url: o.path.replace(/\{([^}]+)\}/g, ":$1"), ...(o.roles ? { roles: o.roles } : {}) }));
}

export function openApiDocument(): Json {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const o of operations) {
    const responses = {
      ...o.responses,
      "401": unauthorised,
      "429": throttled,
      "500": error("INTERNAL, or the query could not be recorded in the ledger (the answer is then withheld)"),
    };
    (paths[o.path] ??= {})[o.method] = {
      operationId: o.operationId,
      summary: o.summary,
      ...(o.description ? { description: o.description } : {}),
      ...(o.roles ? { "x-takitini-roles": o.roles } : {}),
      tags: ["oversight"],
      parameters: o.parameters ?? [],
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Takitini audit — oversight API",
      version: "1.0.0",
      description:
        "The independent oversight body's API over the audit ledger. Every /v1 route needs an oversight credential, and every /v1 request with an accepted credential — answered or refused — is itself appended to the ledger as an `oversight_query` before the answer leaves; requests refused for their credential are counted per window (code and route pattern) and appended as `refusal_summary` records, not one record each. Reviewers may use every route but `POST /v1/tree/heads`, which is for administrators (`x-takitini-roles`; any other role is answered 403 `ROLE_NOT_PERMITTED`). The same queries are offered over gRPC (`takitini.audit.v1.OversightService`).",
    },
    servers: [{ url: "/" }],
    security: SECURITY,
    tags: [{ name: "oversight" }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "an oversight account's token (`tkt.<id>.<secret>`; the service holds only a scrypt hash of the secret)" },
        consoleSession: { type: "apiKey", in: "cookie", name: SESSION_COOKIE, description: "the console's session cookie (POST /console/login)" },
      },
      schemas,
    },
    paths,
  };
}
