import * as grpc from "@grpc/grpc-js";
import {
  Agency,
  AnomalyMetric,
  AnomalyWindow,
  LinkRule,
  OversightServiceService,
  Outcome,
  PoliceDistrict,
  RecordKind,
  StatsBucket,
  VersionKind,
  View,
  WithdrawalReason,
  type AnomaliesRequest,
  type AnomaliesResponse,
  type Disclosure as DisclosureMessage,
  type DisclosureStatsRequest,
  type DisclosureStatsResponse,
  type GetRecordRequest,
  type GetRecordResponse,
  type GetRecordVersionsRequest,
  type GetRecordVersionsResponse,
  type RecordVersion as RecordVersionMessage,
  type GetSignedHeadRequest,
  type GetSignedHeadResponse,
  type OversightServiceServer,
  type RecordSummary as RecordSummaryMessage,
  type SearchRecordsRequest,
  type SearchRecordsResponse,
  type SignedTreeHead as SignedTreeHeadMessage,
  type SignHeadRequest,
  type SignHeadResponse,
  type SubjectLink as SubjectLinkMessage,
  type WhoHasSeenRequest,
  type WhoHasSeenResponse,
} from "@takitini/proto";
import { bearer, commonErrors, grpcRateLimiter, peerAddress, refusalError, ServiceError, zodIssues, type FieldIssue, type GateOutcome, type GrpcRateLimits, type Logger, type Registry } from "@takitini/runtime";
import { z } from "zod";
import { auditErrors } from "../app.js";
import type { Ledger, SqlDatabase } from "../ledger/index.js";
import type { SignedTreeHead } from "../merkle/index.js";
import { flagAnomalies } from "./anomaly.js";
import type { OversightAccount, OversightGate, OversightRole } from "./credentials.js";
import { anomaliesQuery, pageQuery, recordsQuery, statsQuery } from "./query.js";
import { recordOversightQuery } from "./recording.js";
import { LedgerRefusals, type RefusalCounter } from "./refusals.js";
import { ADMINISTRATORS, permits, refusalMessage } from "./roles.js";
import { resultCountOf, type LinkedRecordRef, type SubjectLink } from "./links.js";
import { anomalySeries, disclosureStats, recordById, recordVersions, searchRecords, whoHasSeenAcross, type Disclosure, type RecordSummary } from "./store.js";
import type { Version } from "./versions.js";

/**
 * The oversight API over gRPC (takitini.audit.v1.OversightService): the same
 * queries as the HTTP API, each request mapped to the HTTP query's form (the
 * same parameter names and string values) and validated by the same zod
 * schemas, so a refusal names the same fields; answered from the same store.
 * Every call with an accepted credential — answered, refused or failed — is
 * appended to the ledger as an oversight query (channel "grpc", method the RPC
 * name) before its answer is sent; if that append fails, the answer is withheld.
 * A call refused for its credential is counted in a refusal window (door
 * "grpc", route the method path) and summarised per window instead.
 */

/** Trailing-metadata keys of a refused call: the stable error code, and the field issues as JSON (as the adapters' gRPC door). */
export const GRPC_ERROR_CODE_KEY = "takitini-error-code";
export const GRPC_ISSUES_KEY = "takitini-issues-bin";
export const SERVICE_PATH = "/takitini.audit.v1.OversightService";

/** A request in the HTTP query's form: parameter name → value as a query string would carry it; absent fields left out. */
export type QueryParameters = Record<string, string>;

// ---- requests → the HTTP query form (pure) ----

/** An enum value's API code (RECORD_KIND_OVERSIGHT_QUERY → oversight_query); unspecified → absent. */
function enumCode(value: string, prefix: string): string | undefined {
  if (value === `${prefix}UNSPECIFIED`) return undefined;
  return (value.startsWith(prefix) ? value.slice(prefix.length) : value).toLowerCase();
}

/** A timestamp as ISO 8601; one a Date cannot hold is passed on as is, for the schema to refuse with its field path. */
function isoTime(value: Date | undefined): string | undefined {
  if (value === undefined) return undefined;
  return Number.isNaN(value.getTime()) ? "invalid timestamp" : value.toISOString();
}

const text = (value: string) => (value === "" ? undefined : value);
const int = (value: number | undefined) => (value === undefined ? undefined : String(value));

function defined(entries: Record<string, string | undefined>): QueryParameters {
  const out: QueryParameters = {};
  for (const [name, value] of Object.entries(entries)) if (value !== undefined) out[name] = value;
  return out;
}

export function searchParameters(req: SearchRecordsRequest): QueryParameters {
  return defined({
    kind: enumCode(req.kind, "RECORD_KIND_"),
    agency: enumCode(req.agency, "AGENCY_"),
    subscriber_id: text(req.subscriberId),
    event_type: text(req.eventType),
    region: enumCode(req.region, "POLICE_DISTRICT_"),
    subject_id: text(req.subjectId),
    event_id: text(req.eventId),
    outcome: enumCode(req.outcome, "OUTCOME_"),
    legal_basis: text(req.legalBasis),
    from: isoTime(req.from),
    to: isoTime(req.to),
    limit: int(req.limit),
    cursor: text(req.cursor),
  });
}

export const recordParameters = (req: GetRecordRequest): QueryParameters => ({ id: req.id });

export const versionsParameters = (req: GetRecordVersionsRequest): QueryParameters => ({ event_id: req.eventId });

export const whoHasSeenParameters = (req: WhoHasSeenRequest): QueryParameters => defined({ subject_id: req.subjectId, limit: int(req.limit), cursor: text(req.cursor) });

export const statsParameters = (req: DisclosureStatsRequest): QueryParameters =>
  defined({ from: isoTime(req.from), to: isoTime(req.to), bucket: enumCode(req.bucket, "STATS_BUCKET_") });

export const anomaliesParameters = (req: AnomaliesRequest): QueryParameters =>
  defined({ window: enumCode(req.window, "ANOMALY_WINDOW_"), baseline: int(req.baseline), at: isoTime(req.at) });

// The schemas of the two requests whose HTTP form carries path parameters, named as the request's fields.
const recordRequest = z.strictObject({ id: z.string().min(1).max(200) });
const versionsRequest = z.strictObject({ event_id: z.uuid("expected an event id (a UUID)") });
const whoHasSeenRequest = pageQuery.extend({ subject_id: z.string().regex(/^[A-Za-z0-9._:/-]{1,200}$/, "expected a subject id") });

function parse<S extends z.ZodType>(schema: S, parameters: QueryParameters): z.infer<S> {
  const parsed = schema.safeParse(parameters);
  if (!parsed.success) throw commonErrors.INVALID_QUERY(zodIssues(parsed.error));
  return parsed.data;
}

/** A request validated as its HTTP twin is: the query object, or INVALID_QUERY with the offending fields. */
export const toRecordsQuery = (req: SearchRecordsRequest) => parse(recordsQuery, searchParameters(req));
export const toRecordRequest = (req: GetRecordRequest) => parse(recordRequest, recordParameters(req));
export const toVersionsRequest = (req: GetRecordVersionsRequest) => parse(versionsRequest, versionsParameters(req));
export const toWhoHasSeenQuery = (req: WhoHasSeenRequest) => parse(whoHasSeenRequest, whoHasSeenParameters(req));
export const toStatsQuery = (req: DisclosureStatsRequest) => parse(statsQuery, statsParameters(req));
export const toAnomaliesQuery = (req: AnomaliesRequest) => parse(anomaliesQuery, anomaliesParameters(req));

// ---- answers → messages (pure) ----

/** An API code back to its enum value (eastern → POLICE_DISTRICT_EASTERN); unknown or empty → unspecified. */
function toEnum<E extends Record<string, string>>(values: E, prefix: string, code: string): E[keyof E] {
  const name = `${prefix}${code.toUpperCase()}`;
  return (Object.values(values).includes(name) ? name : `${prefix}UNSPECIFIED`) as E[keyof E];
}

export function summaryMessage(r: RecordSummary): RecordSummaryMessage {
  return {
    index: String(r.index),
    id: r.id,
    kind: toEnum(RecordKind, "RECORD_KIND_", r.kind),
    occurredAt: new Date(r.occurred_at),
    agency: toEnum(Agency, "AGENCY_", r.agency),
    subscriberId: r.subscriber_id,
    eventType: r.event_type,
    region: toEnum(PoliceDistrict, "POLICE_DISTRICT_", r.region),
    outcome: toEnum(Outcome, "OUTCOME_", r.outcome),
    view: toEnum(View, "VIEW_", r.view),
    legalBasis: r.legal_basis,
    policyRevision: r.policy_revision,
    eventId: r.event_id,
    action: r.action,
    subjectIds: r.subject_ids,
    erasedSubjectRefs: r.erased_subject_refs,
  };
}

export function disclosureMessage(d: Disclosure): DisclosureMessage {
  return {
    eventId: d.event_id,
    eventType: d.event_type,
    agency: toEnum(Agency, "AGENCY_", d.agency),
    subscriberId: d.subscriber_id,
    view: toEnum(View, "VIEW_", d.view),
    legalBasis: d.legal_basis,
    policyRevision: d.policy_revision,
    decidedAt: new Date(d.decided_at),
    decisionId: d.decision_id,
    deliveryTopic: d.delivery_topic,
  };
}

const linkedRecordMessage = (r: LinkedRecordRef) => ({ eventId: r.event_id, agency: toEnum(Agency, "AGENCY_", r.agency), eventType: r.event_type });

/** A subject's link, as the HTTP API answers it, in its message form. */
export function subjectLinkMessage(l: SubjectLink): SubjectLinkMessage {
  return {
    linkId: l.link_id,
    rule: toEnum(LinkRule, "LINK_RULE_", l.rule),
    confidence: l.confidence,
    record: linkedRecordMessage(l.record),
    linkedRecord: linkedRecordMessage(l.linked_record),
    linkedSubjectId: l.linked_subject_id,
    disclosures: l.disclosures.map(disclosureMessage),
    denied: l.denied,
    more: l.more,
    linkedAt: new Date(l.linked_at),
  };
}

/** One version of a record, as the HTTP API answers it, in its message form. */
export function versionMessage(v: Version): RecordVersionMessage {
  return {
    eventId: v.event_id,
    version: toEnum(VersionKind, "VERSION_KIND_", v.version),
    supersedesEventId: v.supersedes_event_id ?? "",
    withdrawnEventId: v.withdrawn_event_id ?? "",
    reason: toEnum(WithdrawalReason, "WITHDRAWAL_REASON_", v.reason ?? ""),
    record: summaryMessage(v.record),
    decisions: v.decisions.map((d) => ({
      decisionId: d.decision_id,
      subscriberId: d.subscriber_id,
      outcome: toEnum(Outcome, "OUTCOME_", d.outcome),
      view: toEnum(View, "VIEW_", d.view),
      legalBasis: d.legal_basis,
      policyRevision: d.policy_revision,
      decidedAt: d.decided_at === "" ? undefined : new Date(d.decided_at),
      deliveryTopic: d.delivery_topic,
      deliveryId: d.delivery_id ?? "",
    })),
    moreDecisions: v.more_decisions,
  };
}

export function headMessage(h: SignedTreeHead, publicKeyPem: string): SignedTreeHeadMessage {
  return { treeSize: String(h.treeSize), rootHash: h.rootHash, issuedAt: new Date(h.timestampMs), keyId: h.keyId, publicKey: publicKeyPem, signature: h.signature };
}

// ---- errors ----

const STATUS_OF_HTTP: Record<number, grpc.status> = {
  400: grpc.status.INVALID_ARGUMENT,
  401: grpc.status.UNAUTHENTICATED,
  403: grpc.status.PERMISSION_DENIED,
  404: grpc.status.NOT_FOUND,
  429: grpc.status.RESOURCE_EXHAUSTED,
  503: grpc.status.UNAVAILABLE,
};

/** A service error as a gRPC error: status from its HTTP status, code and field issues in trailing metadata. */
export function grpcError(err: ServiceError): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set(GRPC_ERROR_CODE_KEY, err.code);
  metadata.set(GRPC_ISSUES_KEY, Buffer.from(JSON.stringify(err.issues)));
  // SIGN_IN_THROTTLED and RATE_LIMITED carry the seconds to wait.
  const wait = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds;
  if (typeof wait === "number") metadata.set("retry-after", String(wait));
  const details = err.issues.length > 0 ? `${err.code}: ${err.issues.map((i) => `${i.path || "(request)"}: ${i.message}`).join("; ")}` : `${err.code}: ${err.message}`;
  return Object.assign(new Error(details), { code: STATUS_OF_HTTP[err.statusCode] ?? grpc.status.INTERNAL, details, metadata });
}

/** The field issues of a refused call, from its trailing metadata. */
export function issuesOf(metadata: grpc.Metadata | undefined): FieldIssue[] {
  const raw = metadata?.get(GRPC_ISSUES_KEY)[0];
  return raw === undefined ? [] : (JSON.parse(Buffer.isBuffer(raw) ? raw.toString("utf8") : raw) as FieldIssue[]);
}

const badCursor = () => commonErrors.INVALID_QUERY([{ path: "cursor", code: "invalid_cursor", message: "cursor is not one this API issued" }]);

// ---- the service ----

export interface OversightGrpcDeps {
  logger: Logger;
  db: SqlDatabase;
  ledger: Ledger;
  /** Oversight accounts: each call's bearer credential is checked (and its failures throttled) by the same gate as the HTTP API's. */
  gate: OversightGate;
  /**
   * Where calls refused for their credential are counted (door "grpc", route the
   * method path): summaries per window in the ledger, not a record per call.
   * Default: a 60 s window of the service's own.
   */
  refusals?: RefusalCounter;
  /** Calls per minute per client address (before the credential is checked) and per oversight account (0: off; the HTTP API's settings). */
  rateLimit?: GrpcRateLimits;
  /** Where `grpc_rate_limited_total{limit}` is counted. */
  metrics?: Registry;
}

interface Answer<Res> {
  response: Res;
  /** How many records the answer held (recorded with the query). */
  count: number;
}

/** The account an `authorization: Bearer <token>` metadata entry belongs to, or why it is refused. */
export function accountOf(gate: OversightGate, metadata: grpc.Metadata, peer: string): Promise<GateOutcome<OversightAccount>> {
  const header = metadata.get("authorization")[0];
  return gate.authenticate(bearer(typeof header === "string" ? header : undefined), peerAddress(peer));
}

export { peerAddress };

export function oversightService(deps: OversightGrpcDeps): OversightServiceServer {
  const { db, ledger, logger } = deps;
  const refusals = deps.refusals ?? new LedgerRefusals(ledger, { windowMs: 60_000, logger }).start();
  const limiter = grpcRateLimiter(deps.rateLimit, deps.metrics);
  const rateLimited = (retryAfter: number) => grpcError(Object.assign(commonErrors.RATE_LIMITED(), { retryAfterSeconds: retryAfter }));

  /**
   * Credential, role (`roles`: who may call the method; absent, every role), validation, answer, then the
   * record of the query; only then the answer (or the refusal) is sent.
   */
  function unary<Req, Res>(method: string, parameters: (req: Req) => QueryParameters, answer: (req: Req) => Promise<Answer<Res>>, roles?: readonly OversightRole[]): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      void (async () => {
        // Over the address's rate, before any credential is checked: counted in the window, never a row.
        const wait = await limiter.address(call.getPeer());
        if (wait !== undefined) {
          refusals.note({ door: "grpc", code: "RATE_LIMITED", route: `${SERVICE_PATH}/${method}`, address: peerAddress(call.getPeer()) });
          callback(rateLimited(wait));
          return;
        }
        const who = await accountOf(deps.gate, call.metadata, call.getPeer()).catch((err: unknown): GateOutcome<OversightAccount> => {
          logger.error({ err, method }, "the oversight credential could not be checked");
          return { ok: false, code: "CREDENTIAL_INVALID" };
        });
        if (!who.ok) {
          // Refused for its credential: counted in the refusal window, not recorded one by one.
          const err = refusalError(who, () => auditErrors.OVERSIGHT_CREDENTIAL_REQUIRED([], "an oversight credential is required (metadata authorization: Bearer <token>)"));
          refusals.note({ door: "grpc", code: err.code, route: `${SERVICE_PATH}/${method}`, address: peerAddress(call.getPeer()) });
          callback(grpcError(err));
          return;
        }
        const asker = { name: who.account.name, role: who.account.role };
        let outcome: { ok: true; answer: Answer<Res> } | { ok: false; error: grpc.ServiceError };
        try {
          const accountWait = await limiter.principal(who.account.name);
          if (accountWait !== undefined) throw Object.assign(commonErrors.RATE_LIMITED(), { retryAfterSeconds: accountWait });
          if (!permits(roles, who.account.role)) throw auditErrors.ROLE_NOT_PERMITTED([], refusalMessage(method, roles!, who.account.role));
          outcome = { ok: true, answer: await answer(call.request) };
        } catch (err) {
          if (!(err instanceof ServiceError)) logger.error({ err, method }, "oversight gRPC call failed");
          outcome = { ok: false, error: grpcError(err instanceof ServiceError ? err : commonErrors.INTERNAL()) };
        }
        let params: QueryParameters;
        try {
          params = parameters(call.request);
        } catch {
          params = {};
        }
        try {
          await recordOversightQuery(ledger, {
            officer: asker.name,
            role: asker.role,
            channel: "grpc",
            method,
            route: `${SERVICE_PATH}/${method}`,
            parameters: params,
            status: outcome.ok ? grpc.status.OK : outcome.error.code,
            resultCount: outcome.ok ? outcome.answer.count : 0,
          });
        } catch (err) {
          logger.error({ err, method }, "the oversight query could not be recorded; answer withheld");
          callback({ code: grpc.status.INTERNAL, details: "INTERNAL: the query could not be recorded in the ledger; answer withheld" });
          return;
        }
        if (outcome.ok) callback(null, outcome.answer.response);
        else callback(outcome.error);
      })();
    };
  }

  return {
    searchRecords: unary<SearchRecordsRequest, SearchRecordsResponse>("SearchRecords", searchParameters, async (req) => {
      const page = await searchRecords(db, toRecordsQuery(req));
      if ("badCursor" in page) throw badCursor();
      return { response: { records: page.records.map(summaryMessage), nextCursor: page.nextCursor ?? "" }, count: page.records.length };
    }),

    getRecord: unary<GetRecordRequest, GetRecordResponse>("GetRecord", recordParameters, async (req) => {
      const { id } = toRecordRequest(req);
      const found = await recordById(db, id);
      if (!found) throw auditErrors.RECORD_NOT_FOUND();
      const head = await ledger.latestHead();
      const proof = head && head.treeSize > found.row.index ? await ledger.inclusionProof(found.row.index, head.treeSize) : undefined;
      const doc = found.doc;
      const list = (k: string) => (Array.isArray(doc[k]) ? (doc[k] as unknown[]).filter((x): x is string => typeof x === "string") : []);
      const str = (k: string) => (typeof doc[k] === "string" ? (doc[k] as string) : "");
      return {
        response: {
          record: { summary: summaryMessage(found.row), reasons: list("reasons"), redactedPaths: list("redacted_paths"), deliveryTopic: str("delivery_topic"), traceId: str("trace_id"), detail: doc },
          leaf: { index: String(found.row.index), leafHash: found.leafHash, appendedAt: found.appendedAt },
          proof: head && proof ? { treeSize: String(head.treeSize), rootHash: head.rootHash, hashes: proof.proof, head: headMessage(head, ledger.signer.publicKeyPem) } : undefined,
        },
        count: 1,
      };
    }),

    whoHasSeen: unary<WhoHasSeenRequest, WhoHasSeenResponse>("WhoHasSeen", whoHasSeenParameters, async (req) => {
      const q = toWhoHasSeenQuery(req);
      const out = await whoHasSeenAcross(db, q.subject_id, q);
      if ("badCursor" in out) throw badCursor();
      return {
        response: { subjectId: q.subject_id, disclosures: out.disclosures.map(disclosureMessage), denied: out.denied, nextCursor: out.nextCursor ?? "", links: out.links.map(subjectLinkMessage) },
        count: resultCountOf(out),
      };
    }),

    getRecordVersions: unary<GetRecordVersionsRequest, GetRecordVersionsResponse>("GetRecordVersions", versionsParameters, async (req) => {
      const { event_id } = toVersionsRequest(req);
      const found = await recordVersions(db, event_id);
      if (!found) throw auditErrors.RECORD_NOT_FOUND();
      return {
        response: { eventId: found.event_id, originalEventId: found.original_event_id, withdrawn: found.withdrawn, versions: found.versions.map(versionMessage), moreVersions: found.more_versions },
        count: found.versions.length,
      };
    }),

    disclosureStats: unary<DisclosureStatsRequest, DisclosureStatsResponse>("DisclosureStats", statsParameters, async (req) => {
      const out = await disclosureStats(db, toStatsQuery(req));
      return {
        response: {
          buckets: out.buckets.map((b) => ({ start: new Date(b.start), subscriberId: b.subscriber_id, allow: b.allow, deny: b.deny })),
          totals: out.totals.map((t) => ({ subscriberId: t.subscriber_id, allow: t.allow, deny: t.deny })),
        },
        count: out.buckets.length,
      };
    }),

    anomalies: unary<AnomaliesRequest, AnomaliesResponse>("Anomalies", anomaliesParameters, async (req) => {
      const q = toAnomaliesQuery(req);
      const at = q.at ?? new Date();
      const windowSeconds = q.window === "hour" ? 3600 : 86_400;
      const flags = flagAnomalies(await anomalySeries(db, { windowSeconds, baseline: q.baseline, at }));
      const windowStart = new Date(at.getTime() - windowSeconds * 1000);
      return {
        response: {
          anomalies: flags.map((a) => ({
            subscriberId: a.subscriber_id,
            metric: toEnum(AnomalyMetric, "ANOMALY_METRIC_", a.metric),
            count: a.count,
            baselineMean: a.baseline_mean,
            baselineSd: a.baseline_sd,
            ratio: a.ratio,
            windowStart,
          })),
        },
        count: flags.length,
      };
    }),

    getSignedHead: unary<GetSignedHeadRequest, GetSignedHeadResponse>("GetSignedHead", () => ({}), async () => {
      const head = await ledger.latestHead();
      if (!head) throw auditErrors.NO_SIGNED_HEAD();
      return { response: { head: headMessage(head, ledger.signer.publicKeyPem) }, count: 1 };
    }),

    // Changes what the ledger attests: administrators only, as POST /v1/tree/heads.
    signHead: unary<SignHeadRequest, SignHeadResponse>(
      "SignHead",
      () => ({}),
      async () => {
        const head = await ledger.signHead();
        return { response: { head: headMessage(head, ledger.signer.publicKeyPem) }, count: 1 };
      },
      ADMINISTRATORS,
    ),
  };
}

export interface OversightGrpcOptions {
  /** Largest request accepted, in bytes. */
  maxMessageBytes?: number;
}

export function createOversightGrpcServer(deps: OversightGrpcDeps, opts: OversightGrpcOptions = {}): grpc.Server {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": opts.maxMessageBytes ?? 64 * 1024,
    "grpc.max_send_message_length": 16 * 1024 * 1024,
    "grpc.keepalive_time_ms": 30_000,
    "grpc.keepalive_timeout_ms": 10_000,
  });
  server.addService(OversightServiceService, oversightService(deps));
  return server;
}

export interface GrpcListen {
  host: string;
  port: number;
  /** PEM certificate chain and private key: TLS. Without them, plaintext — on the loopback interface only. */
  tls?: { cert: Buffer; key: Buffer } | undefined;
}

/**
 * Where and how the service listens: with TLS on the configured host; without,
 * plaintext on 127.0.0.1 only, since bearer tokens would cross the wire in clear.
 */
export function grpcBinding(listen: GrpcListen): { address: string; credentials: grpc.ServerCredentials; tls: boolean } {
  if (listen.tls) {
    return { address: `${listen.host}:${listen.port}`, credentials: grpc.ServerCredentials.createSsl(null, [{ cert_chain: listen.tls.cert, private_key: listen.tls.key }], false), tls: true };
  }
  return { address: `127.0.0.1:${listen.port}`, credentials: grpc.ServerCredentials.createInsecure(), tls: false };
}

/** Bind and start; resolves to the port bound (`port: 0` picks a free one). */
export function listenOversightGrpc(server: grpc.Server, listen: GrpcListen): Promise<number> {
  const { address, credentials } = grpcBinding(listen);
  return new Promise((resolve, reject) => server.bindAsync(address, credentials, (err, bound) => (err ? reject(err) : resolve(bound))));
}

/** Stop taking calls, let those under way finish for up to `graceMs`, then cut them off. */
export function closeOversightGrpc(server: grpc.Server, graceMs: number): Promise<void> {
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
