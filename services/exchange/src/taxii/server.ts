import type { PeerCertificate, TLSSocket } from "node:tls";
import { continueTrace, Counter, Gauge, installRateLimits, rateLimitedCounter, type Logger, type Registry } from "@takitini/runtime";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Kafka, Producer } from "kafkajs";
import type { PolicySource } from "../policy/reloading.js";
import { accessMessage } from "../subscribe/access.js";
import type { RevocationSource } from "../subscribe/crl-file.js";
import { identify, type Identity } from "../subscribe/identity.js";
import { certificateRef } from "../subscribe/revocation.js";
import { CollectionFeed } from "./feed.js";
import { encodeNext, parsePageQuery, taxiiTimestamp } from "./params.js";
import {
  acceptsTaxii,
  apiRoot,
  API_ROOT,
  collection,
  collectionAccess,
  discovery,
  foreignPartners,
  newSession,
  partnerOf,
  STIX_MEDIA_TYPE,
  TAXII_DENIAL,
  TAXII_MEDIA_TYPE,
  taxiiDelivered,
  taxiiDenied,
  taxiiError,
  type ForeignPartner,
  type RegistryEntry,
  type TaxiiSession,
} from "./resources.js";
import { stixEnvelope, manifestEntry } from "./stix.js";
import { CollectionStore, versionOf, type Served } from "./store.js";

export interface TaxiiServerOptions {
  kafka: Kafka;
  policy: PolicySource;
  logger: Logger;
  metrics: Registry;
  auditTopic: string;
  host: string;
  port: number;
  tls: { ca: Buffer; cert: Buffer; key: Buffer };
  revocation?: RevocationSource;
  groupPrefix: string;
  sessionTimeoutMs: number;
  /** Most objects one page holds (and the default `limit`). */
  maxPage: number;
  /**
   * A delivery is served once it is this old: a transaction's records become
   * visible when it commits, so one created earlier may appear after a later one
   * has been read; holding the newest back keeps added_after paging from passing it.
   */
  settleMs: number;
  rateLimit: { perAddressPerMinute: number; perPrincipalPerMinute: number };
}

const MAX_CONTENT_LENGTH = 0; // Read-only: nothing may be posted.

/** The partner a request authenticated as, set by the onRequest hook. */
interface Authenticated {
  identity: Identity;
  partner: ForeignPartner;
  session: TaxiiSession;
}

declare module "fastify" {
  interface FastifyRequest {
    taxii?: Authenticated;
  }
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, string>,
  ) {
    super(message);
  }
}

/**
 * The TAXII 2.1 door for foreign partners: discovery, one API root, each partner's
 * collection (read-only), its objects with added_after/limit/next paging and its
 * manifest. Mutual TLS: a client without a certificate of the mesh's CA is refused
 * at the handshake; the certificate's subscriber must be a foreign partner in the
 * registry in force, asking for its own collection. Every delivery's objects are
 * recorded on the audit topic (acks -1, with the agreement's legal basis and the
 * STIX ids) before the response is sent; every refusal after the handshake too.
 */
export class TaxiiServer {
  readonly app: FastifyInstance;
  private readonly audit: Producer;
  private readonly store = new CollectionStore();
  private feed: CollectionFeed | undefined;
  private feedTopics = "";
  private readonly log: Logger;
  private bound = false;
  private closing = false;
  private readonly served: Counter<"subscriber">;
  private readonly denials: Counter<"reason">;
  private readonly entries: Gauge<"subscriber">;
  private watch: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;

  constructor(private readonly opts: TaxiiServerOptions) {
    this.log = opts.logger.child({ component: "taxii" });
    this.audit = opts.kafka.producer({ maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.served = new Counter({ name: "exchange_taxii_objects_served_total", help: "STIX objects served to foreign partners over TAXII (each delivery audited first)", labelNames: ["subscriber"], registers: [opts.metrics] });
    this.denials = new Counter({ name: "exchange_taxii_denials_total", help: "Refused TAXII requests by reason", labelNames: ["reason"], registers: [opts.metrics] });
    this.entries = new Gauge({ name: "exchange_taxii_collection_deliveries", help: "Deliveries held in each foreign partner's collection", labelNames: ["subscriber"], registers: [opts.metrics] });
    this.app = Fastify({
      https: { cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.ca, requestCert: true, rejectUnauthorized: true, minVersion: "TLSv1.2" },
      logger: false,
      bodyLimit: 1024,
      requestTimeout: 30_000,
      // Paths end in "/" as TAXII writes them; both spellings reach the same route.
      ignoreTrailingSlash: true,
      querystringParser: (s) => Object.fromEntries(parseQueryPairs(s)),
    });
    this.routes(this.app);
  }

  private registry(): RegistryEntry[] {
    return this.opts.policy.current().subscribers() as RegistryEntry[];
  }

  private routes(app: FastifyInstance): void {
    installRateLimits(
      app,
      { perAddressPerMinute: this.opts.rateLimit.perAddressPerMinute, perPrincipalPerMinute: this.opts.rateLimit.perPrincipalPerMinute, principal: (req) => req.taxii?.partner.id },
      rateLimitedCounter(this.opts.metrics),
    );
    // Exactly TAXII's media type, as clients compare it (fastify would add a charset and quote the version).
    app.addHook("onSend", async (_req, reply, payload) => {
      reply.header("content-type", TAXII_MEDIA_TYPE);
      return payload;
    });
    app.addHook("onRequest", async (req, reply) => {
      reply.header("content-type", TAXII_MEDIA_TYPE);
      await this.authenticate(req);
      if (!acceptsTaxii(req.headers.accept)) throw new Refusal(406, "NOT_ACCEPTABLE", `this server answers ${TAXII_MEDIA_TYPE} only`);
    });
    app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
      if (err instanceof Refusal) {
        void reply.code(err.status).header("content-type", TAXII_MEDIA_TYPE).send(taxiiError(err.status, titleOf(err.status), err.code, err.message, err.details));
        return;
      }
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) this.log.error({ err }, "TAXII request failed");
      const code = status === 429 ? "RATE_LIMITED" : status === 500 ? "INTERNAL" : (err.code ?? "BAD_REQUEST");
      void reply.code(status).header("content-type", TAXII_MEDIA_TYPE).send(taxiiError(status, titleOf(status), code, status === 500 ? "internal error" : err.message));
    });
    app.setNotFoundHandler((_req, reply) => {
      void reply.code(404).header("content-type", TAXII_MEDIA_TYPE).send(taxiiError(404, "Not found", "NOT_FOUND", "no such TAXII resource"));
    });

    app.get("/taxii2/", async (req) => discovery(`https://${req.headers.host ?? `${this.opts.host}:${this.opts.port}`}`));
    app.get(`/${API_ROOT}/`, async () => apiRoot(MAX_CONTENT_LENGTH));
    app.get(`/${API_ROOT}/collections/`, async (req) => ({ collections: [collection(req.taxii!.partner)] }));
    app.get<{ Params: { id: string } }>(`/${API_ROOT}/collections/:id/`, async (req) => collection(await this.own(req)));
    app.get<{ Params: { id: string } }>(`/${API_ROOT}/collections/:id/objects/`, async (req, reply) => this.objects(req, reply, undefined));
    app.get<{ Params: { id: string; objectId: string } }>(`/${API_ROOT}/collections/:id/objects/:objectId/`, async (req, reply) => this.objects(req, reply, req.params.objectId));
    app.get<{ Params: { id: string } }>(`/${API_ROOT}/collections/:id/manifest/`, async (req, reply) => this.manifest(req, reply));
    app.get<{ Params: { id: string; objectId: string } }>(`/${API_ROOT}/collections/:id/objects/:objectId/versions/`, async (req, reply) => this.versions(req, reply));
    // Read-only: a partner's contribution is not taken here.
    for (const url of [`/${API_ROOT}/collections/:id/objects/`, `/${API_ROOT}/collections/:id/objects/:objectId/`]) {
      app.post(url, async (req) => {
        await this.own(req as FastifyRequest<{ Params: { id: string } }>);
        throw new Refusal(403, "COLLECTION_READ_ONLY", "this collection is read-only (can_write false)");
      });
      app.delete(url, async (req) => {
        await this.own(req as FastifyRequest<{ Params: { id: string } }>);
        throw new Refusal(403, "COLLECTION_READ_ONLY", "this collection is read-only (can_write false)");
      });
    }
  }

  /** Who is asking: the certificate's subscriber, a foreign partner in the registry in force, not revoked. Refusals audited. */
  private async authenticate(req: FastifyRequest): Promise<void> {
    const session = newSession(req.url);
    const socket = req.raw.socket as TLSSocket;
    const peer = socket.getPeerCertificate?.(false) as PeerCertificate | undefined;
    const who = identify(peer && Object.keys(peer).length > 0 ? peer : undefined);
    if (!who.ok) {
      await this.deny(session, { subscriberId: "", certificateSha256: who.certificateSha256 }, "", who.reason, 403, "the client certificate names no subscriber (expected one URI SAN spiffe://takitini.local/subscriber/<id>)");
    }
    const identity = (who as { identity: Identity }).identity;
    if (this.opts.revocation && this.opts.revocation.revokes(certificateRef(peer!.raw))) {
      await this.deny(session, identity, "", TAXII_DENIAL.CERTIFICATE_REVOKED, 403, "the client certificate has been revoked; ask the mesh's operator for a new one");
    }
    const partner = partnerOf(identity, this.registry());
    if (!partner.ok) {
      const message = partner.reason === TAXII_DENIAL.NOT_FOREIGN_PARTNER ? "the TAXII server serves international partners only; domestic partners subscribe over gRPC" : "the certificate's subscriber is not in the sharing policy's registry";
      await this.deny(session, identity, "", partner.reason, 403, message);
    }
    req.taxii = { identity, partner: (partner as { partner: ForeignPartner }).partner, session };
  }

  /** Audit a refusal, then refuse (a failed audit write is logged; the refusal stands). */
  private async deny(session: TaxiiSession, who: { subscriberId: string; certificateSha256: string }, requested: string, reason: string, status: number, message: string): Promise<never> {
    this.denials.inc({ reason });
    try {
      await this.record([taxiiDenied(session, who, requested, reason, new Date())]);
    } catch (err) {
      this.log.error({ err, sessionId: session.sessionId, reason }, "could not write the access record of a refused TAXII request");
    }
    this.log.info({ sessionId: session.sessionId, subscriber: who.subscriberId || undefined, reason }, "TAXII request refused");
    throw new Refusal(status, reason, message);
  }

  private async record(records: Parameters<typeof accessMessage>[0][]): Promise<void> {
    const trace = continueTrace({});
    await this.audit.send({ topic: this.opts.auditTopic, acks: -1, messages: records.map((r) => accessMessage(r, trace.traceparent)) });
  }

  /** The collection a request names, if it is the partner's own (another's: 403, audited; no such collection: 404). */
  private async own(req: FastifyRequest<{ Params: { id: string } }>): Promise<ForeignPartner> {
    const auth = req.taxii!;
    const access = collectionAccess(auth.partner, req.params.id, this.registry());
    if (access.ok) return access.partner;
    if (access.status === 404) throw new Refusal(404, "COLLECTION_NOT_FOUND", "no such collection");
    return this.deny(auth.session, auth.identity, access.requested, access.reason, 403, "a partner may read only its own collection");
  }

  private ensureServing(): void {
    if (this.closing) throw new Refusal(503, "SHUTTING_DOWN", "the server is shutting down; retry later");
    if (!this.feed?.caughtUp()) throw new Refusal(503, "COLLECTIONS_LOADING", "the collections are being read; retry shortly");
  }

  private page(req: FastifyRequest<{ Params: { id: string } }>, partner: ForeignPartner, objectId: string | undefined, versions?: "all") {
    const query = req.query as Record<string, unknown>;
    const parsed = parsePageQuery(objectId === undefined ? query : { ...query, "match[id]": objectId }, this.opts.maxPage);
    if (!parsed.ok) throw new Refusal(400, "INVALID_PARAMETER", parsed.message, { parameter: parsed.parameter });
    return this.store.page(partner.id, versions ? { ...parsed.query, versions: new Set([versions]) } : parsed.query, Date.now() - this.opts.settleMs);
  }

  private pagingHeaders(reply: FastifyReply, items: Served[]): void {
    if (items.length === 0) return;
    reply.header("X-TAXII-Date-Added-First", taxiiTimestamp(items[0]!.entry.dateAddedMs));
    reply.header("X-TAXII-Date-Added-Last", taxiiTimestamp(items[items.length - 1]!.entry.dateAddedMs));
  }

  private async objects(req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply, objectId: string | undefined) {
    const partner = await this.own(req);
    this.ensureServing();
    const page = this.page(req, partner, objectId);
    if (objectId !== undefined && page.items.length === 0) throw new Refusal(404, "OBJECT_NOT_FOUND", "no such object in this collection");
    // One access record per delivery whose objects this page hands over, all acknowledged before anything is sent.
    const byEntry = new Map<Served["entry"], string[]>();
    for (const s of page.items) byEntry.set(s.entry, [...(byEntry.get(s.entry) ?? []), s.object.id]);
    const auth = req.taxii!;
    if (byEntry.size > 0) {
      const now = new Date();
      try {
        await this.record([...byEntry].map(([entry, ids]) => taxiiDelivered(auth.session, auth.identity, entry, ids, now)));
      } catch (err) {
        this.log.error({ err, sessionId: auth.session.sessionId }, "access records could not be written; nothing served");
        throw new Refusal(503, "AUDIT_UNAVAILABLE", "access cannot be audited right now; nothing was served; retry later");
      }
    }
    this.served.inc({ subscriber: partner.id }, page.items.length);
    this.pagingHeaders(reply, page.items);
    return stixEnvelope(
      page.items.map((s) => s.object),
      page.more,
      page.more && page.next ? encodeNext(page.next) : undefined,
    );
  }

  private async manifest(req: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) {
    const partner = await this.own(req);
    this.ensureServing();
    const page = this.page(req, partner, undefined);
    this.pagingHeaders(reply, page.items);
    return {
      more: page.more,
      ...(page.more && page.next ? { next: encodeNext(page.next) } : {}),
      ...(page.items.length > 0 ? { objects: page.items.map((s) => manifestEntry(s.object, new Date(s.entry.dateAddedMs))) } : {}),
    };
  }

  private async versions(req: FastifyRequest<{ Params: { id: string; objectId: string } }>, reply: FastifyReply) {
    const partner = await this.own(req);
    this.ensureServing();
    const page = this.page(req, partner, req.params.objectId, "all");
    if (page.items.length === 0) throw new Refusal(404, "OBJECT_NOT_FOUND", "no such object in this collection");
    this.pagingHeaders(reply, page.items);
    return { more: page.more, versions: [...new Set(page.items.map((s) => versionOf(s.object, s.entry.dateAddedMs)))] };
  }

  /** (Re)start the feed when the registry's foreign partners or their topics change. */
  private async syncFeed(): Promise<void> {
    const partners = foreignPartners(this.registry());
    const key = JSON.stringify(partners);
    // A feed whose consumer crashed for good (kafkajs gave up on it) is started afresh.
    if (this.feed && !this.feed.isRunning()) {
      this.log.warn("the TAXII feed stopped; starting it again");
      this.feedTopics = "";
    }
    if (key === this.feedTopics) return;
    const before = this.feedTopics === "" ? [] : (JSON.parse(this.feedTopics) as ForeignPartner[]);
    this.feedTopics = key;
    // The new feed reads every topic again from the oldest; until it has, requests are answered 503.
    await this.feed?.stop();
    for (const p of before) this.store.clear(p.id);
    const feed = new CollectionFeed({
      kafka: this.opts.kafka,
      logger: this.opts.logger,
      store: this.store,
      partners,
      groupPrefix: this.opts.groupPrefix,
      sessionTimeoutMs: this.opts.sessionTimeoutMs,
      onEntry: (id) => this.entries.set({ subscriber: id }, this.store.size(id)),
    });
    this.feed = feed;
    try {
      await feed.start();
    } catch (err) {
      // Tried again on the next tick of the watch (a broker away, a topic not yet created): not ready meanwhile.
      this.feedTopics = "";
      await feed.stop().catch(() => undefined);
      this.feed = undefined;
      throw err;
    }
  }

  async start(): Promise<number> {
    await this.audit.connect();
    const sync = () => {
      if (this.syncing || this.closing) return;
      this.syncing = this.syncFeed()
        .catch((err: unknown) => this.log.error({ err }, "the TAXII feed could not start; trying again"))
        .finally(() => (this.syncing = undefined));
    };
    sync();
    // Starts the feed again after a failure, and when the registry's foreign partners change.
    this.watch = setInterval(sync, 2_000);
    this.watch.unref();
    await this.app.listen({ host: this.opts.host, port: this.opts.port });
    this.bound = true;
    const port = (this.app.server.address() as { port: number }).port;
    this.log.info({ port, media: STIX_MEDIA_TYPE }, "TAXII 2.1 listening (mutual TLS)");
    return port;
  }

  isReady(): boolean {
    return this.bound && !this.closing && (this.feed?.caughtUp() ?? false) && (this.feed?.isRunning() ?? false);
  }

  async stop(): Promise<void> {
    this.closing = true;
    clearInterval(this.watch);
    await this.syncing;
    await this.app.close();
    this.bound = false;
    await this.feed?.stop();
    await this.audit.disconnect();
  }
}


function titleOf(status: number): string {
  return { 400: "Bad request", 401: "Unauthenticated", 403: "Forbidden", 404: "Not found", 406: "Not acceptable", 429: "Too many requests", 503: "Unavailable" }[status] ?? "Error";
}

/** Query pairs as given, a repeated key kept as an array (so "given twice" is an error, not a silent pick). */
export function parseQueryPairs(s: string): [string, string | string[]][] {
  const out = new Map<string, string | string[]>();
  for (const [k, v] of new URLSearchParams(s)) {
    const had = out.get(k);
    out.set(k, had === undefined ? v : [...(Array.isArray(had) ? had : [had]), v]);
  }
  return [...out];
}
