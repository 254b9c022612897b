import { randomUUID } from "node:crypto";
import { readFile } from "node:fs/promises";
import * as grpc from "@grpc/grpc-js";
import { DeliveryServiceService, type AccessRecord, type DeliveryServiceServer } from "@takitini/proto";
import { continueTrace, Counter, Gauge, grpcRateLimiter, HEADERS, type GrpcRateLimiter, type GrpcRateLimits, type Logger, type Registry } from "@takitini/runtime";
import type { Kafka, Producer } from "kafkajs";
import type { PolicySource } from "../policy/reloading.js";
import { accessDenied, accessGranted, accessMessage } from "./access.js";
import type { RevocationSource } from "./crl-file.js";
import { CursorError, decodeCursor } from "./cursor.js";
import { authorise, DENIAL, identify, stillAuthorised, withinSubscriberLimit, type Identity } from "./identity.js";
import { certificateRef, type CertificateRef } from "./revocation.js";
import { DeliveryStream, type SubscribeCall } from "./stream.js";

/** Metadata keys carrying the stable error code and the field issues (JSON) on a failed call (as the adapters' door). */
export const GRPC_ERROR_CODE_KEY = "takitini-error-code";
export const GRPC_ISSUES_KEY = "takitini-issues-bin";

export interface TlsMaterial {
  /** PEM of the CA that signs partners' client certificates. */
  ca: Buffer;
  /** PEM certificate chain and private key of this server. */
  cert: Buffer;
  key: Buffer;
}

/** Read the server's TLS files (paths from the configuration). */
export async function readTls(paths: { ca: string; cert: string; key: string }): Promise<TlsMaterial> {
  const [ca, cert, key] = await Promise.all([readFile(paths.ca), readFile(paths.cert), readFile(paths.key)]);
  return { ca, cert, key };
}

export interface DeliveryServerOptions {
  kafka: Kafka;
  policy: PolicySource;
  logger: Logger;
  metrics: Registry;
  auditTopic: string;
  host: string;
  port: number;
  /** Mutual TLS material, or "insecure": plaintext, and then every Subscribe is refused. */
  tls: TlsMaterial | "insecure";
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  maxStreams: number;
  /** Most streams one subscriber may hold open at once (default: maxStreams). */
  maxStreamsPerSubscriber?: number;
  /**
   * Subscribe calls per minute per client address (before the certificate's
   * identity is read: refused RESOURCE_EXHAUSTED RATE_LIMITED, counted, not
   * audited) and per partner (refused and audited as RATE_LIMITED). 0: off.
   */
  rateLimit?: GrpcRateLimits;
  consumerSessionTimeoutMs: number;
  /** How often open streams are checked against the policy registry (and the CRL) in force; default 2000 ms. */
  revocationCheckMs?: number;
  /**
   * The CRL in force (SUBSCRIBE_CRL_FILE), if any: a certificate it revokes is
   * refused, and open streams are checked again as soon as it changes.
   */
  revocation?: RevocationSource;
}

/** Why an open stream is ended. */
type EndReason = typeof DENIAL.SUBSCRIBER_REVOKED | typeof DENIAL.CERTIFICATE_REVOKED;

const END_MESSAGE: Record<EndReason, string> = {
  SUBSCRIBER_REVOKED: "the subscriber is no longer in the sharing policy's registry",
  CERTIFICATE_REVOKED: "the client certificate has been revoked",
};

/** An open stream's checks: why it should end now (if it should), and the function that ends it. */
interface OpenStream {
  ended: () => EndReason | undefined;
  end: (reason: EndReason) => void;
}

function failure(code: grpc.status, reason: string, message: string, issues: { path: string; code: string; message: string }[] = []): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  metadata.set(GRPC_ERROR_CODE_KEY, reason);
  if (issues.length > 0) metadata.set(GRPC_ISSUES_KEY, Buffer.from(JSON.stringify(issues)));
  const details = `${reason}: ${message}`;
  return Object.assign(new Error(details), { code, details, metadata });
}

/**
 * The gRPC door partners receive their deliveries through:
 * DeliveryService.Subscribe over mutual TLS. Identity is the client certificate
 * (a certificate from another CA, or none, never gets past the handshake); each
 * grant, denial and delivered view is written to the audit topic before the
 * partner is told or given anything.
 */
export class DeliveryServer {
  private readonly server: grpc.Server;
  private readonly audit: Producer;
  /** Open streams, each with the functions that tell and end it when its partner or certificate is revoked. */
  private readonly streams = new Map<DeliveryStream, OpenStream>();
  /** Open and opening streams per subscriber, for GRPC_MAX_STREAMS_PER_SUBSCRIBER. */
  private readonly perSubscriber = new Map<string, number>();
  /** Granted calls whose stream is not yet open (they count against the stream limit). */
  private opening = 0;
  private revocations: NodeJS.Timeout | undefined;
  private unwatchCrl: (() => void) | undefined;
  private readonly log: Logger;
  private bound = false;
  private closing = false;
  private readonly active: Gauge<"subscriber">;
  private readonly delivered: Counter<"subscriber">;
  private readonly denials: Counter<"reason">;
  private readonly pauses: Counter<"subscriber">;

  private readonly limiter: GrpcRateLimiter;

  constructor(private readonly opts: DeliveryServerOptions) {
    this.log = opts.logger.child({ component: "subscribe" });
    this.limiter = grpcRateLimiter(opts.rateLimit, opts.metrics);
    this.server = new grpc.Server({
      "grpc.keepalive_time_ms": opts.keepaliveTimeMs,
      "grpc.keepalive_timeout_ms": opts.keepaliveTimeoutMs,
      // Partners may ping an idle stream to keep middleboxes from dropping it.
      "grpc.keepalive_permit_without_calls": 1,
      "grpc.max_receive_message_length": 64 * 1024,
    });
    // acks -1 on every send, one request in flight (order kept). Not idempotent: its
    // bounded retries would void that guarantee anyway, and a retried record keeps its id.
    this.audit = opts.kafka.producer({ maxInFlightRequests: 1, allowAutoTopicCreation: false });
    this.active = new Gauge({ name: "exchange_subscribe_active_streams", help: "Open Subscribe streams by subscriber", labelNames: ["subscriber"], registers: [opts.metrics] });
    this.delivered = new Counter({ name: "exchange_subscribe_deliveries_total", help: "Views streamed to partners over Subscribe (each audited first)", labelNames: ["subscriber"], registers: [opts.metrics] });
    this.pauses = new Counter({ name: "exchange_subscribe_backpressure_pauses_total", help: "Times a full Subscribe stream paused its consumer until the client caught up", labelNames: ["subscriber"], registers: [opts.metrics] });
    this.denials = new Counter({ name: "exchange_subscribe_denials_total", help: "Refused Subscribe calls by reason", labelNames: ["reason"], registers: [opts.metrics] });
    const impl: DeliveryServiceServer = { subscribe: (call) => void this.subscribe(call) };
    this.server.addService(DeliveryServiceService, impl);
  }

  /** Connect the audit producer, then bind. Resolves with the bound port. */
  async start(): Promise<number> {
    await this.audit.connect();
    const creds =
      this.opts.tls === "insecure"
        ? grpc.ServerCredentials.createInsecure()
        : grpc.ServerCredentials.createSsl(this.opts.tls.ca, [{ cert_chain: this.opts.tls.cert, private_key: this.opts.tls.key }], true);
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync(`${this.opts.host}:${this.opts.port}`, creds, (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.bound = true;
    // Idle streams see no batch: check them against the registry in force on a timer too.
    this.revocations = setInterval(() => this.checkRevocations(), this.opts.revocationCheckMs ?? 2_000);
    this.revocations.unref();
    // A newly loaded CRL ends the streams of the certificates it revokes at once.
    this.unwatchCrl = this.opts.revocation?.onChange(() => this.checkRevocations());
    if (this.opts.tls === "insecure") {
      this.log.warn({ port }, "GRPC_INSECURE: Subscribe listens in plaintext and refuses every call (no client certificate, no partner identity)");
    } else {
      this.log.info({ port }, "Subscribe listening (mutual TLS)");
    }
    return port;
  }

  isReady(): boolean {
    return this.bound && !this.closing;
  }

  private checkRevocations(): void {
    for (const open of this.streams.values()) {
      const reason = open.ended();
      if (reason) open.end(reason);
    }
  }

  /**
   * Why a stream should end now: its certificate is on the CRL in force, or the
   * registry in force no longer gives its partner this delivery topic as a partner agency.
   */
  private endReason(subscriberId: string, deliveryTopic: string, cert: CertificateRef | undefined): EndReason | undefined {
    if (cert && this.opts.revocation?.revokes(cert)) return DENIAL.CERTIFICATE_REVOKED;
    if (!stillAuthorised(subscriberId, deliveryTopic, this.opts.policy.current().subscribers())) return DENIAL.SUBSCRIBER_REVOKED;
    return undefined;
  }

  /** The function that ends a stream whose partner or certificate was revoked: audited, then PERMISSION_DENIED. */
  private revoker(stream: DeliveryStream, sessionId: string, identity: Identity, traceparent: string): (reason: EndReason) => void {
    let revoked = false;
    return (reason) => {
      if (revoked) return;
      revoked = true;
      this.denials.inc({ reason });
      this.log.info({ sessionId, subscriber: identity.subscriberId, reason }, "subscribe stream revoked");
      void this.record(accessDenied({ sessionId }, identity, identity.subscriberId, reason, new Date()), traceparent)
        .catch((err: unknown) => this.log.error({ err, sessionId, reason }, "could not write the access record of a revoked stream"))
        // A whole ServiceError: its code also travels in the takitini-error-code trailer, as for a refused call.
        .finally(() => stream.stop(failure(grpc.status.PERMISSION_DENIED, reason, END_MESSAGE[reason])));
    };
  }

  private async record(record: AccessRecord, traceparent: string): Promise<void> {
    const m = accessMessage(record, traceparent);
    await this.audit.send({ topic: this.opts.auditTopic, acks: -1, messages: [m] });
  }

  /** Audit a refusal, then refuse. A failed audit write is logged; the refusal stands. */
  private async deny(
    call: SubscribeCall,
    sessionId: string,
    traceparent: string,
    who: { subscriberId: string; certificateSha256: string },
    reason: string,
    status: grpc.status,
    message: string,
  ): Promise<void> {
    this.denials.inc({ reason });
    try {
      await this.record(accessDenied({ sessionId }, who, call.request.subscriberId, reason, new Date()), traceparent);
    } catch (err) {
      this.log.error({ err, sessionId, reason }, "could not write the access record of a refused Subscribe");
    }
    this.log.info({ sessionId, subscriber: who.subscriberId || undefined, reason }, "subscribe refused");
    call.emit("error", failure(status, reason, message));
  }

  private async subscribe(call: SubscribeCall): Promise<void> {
    const sessionId = randomUUID();
    const first = (key: string) => {
      const v = call.metadata.get(key)[0];
      return v === undefined ? undefined : String(v);
    };
    const trace = continueTrace({ traceparent: first(HEADERS.TRACEPARENT), tracestate: first(HEADERS.TRACESTATE) });
    try {
      if (this.closing) {
        call.emit("error", failure(grpc.status.UNAVAILABLE, "SHUTTING_DOWN", "the server is shutting down; retry with the last cursor"));
        return;
      }
      const addressWait = await this.limiter.address(call.getPeer());
      if (addressWait !== undefined) {
        const err = failure(grpc.status.RESOURCE_EXHAUSTED, "RATE_LIMITED", `too many Subscribe calls from this address; retry after ${addressWait} s`);
        err.metadata.set("retry-after", String(addressWait));
        call.emit("error", err);
        return;
      }
      const peer = this.opts.tls === "insecure" ? undefined : call.getAuthContext().sslPeerCertificate;
      const who = identify(peer);
      if (!who.ok) {
        const message =
          who.reason === DENIAL.NO_CLIENT_CERTIFICATE
            ? "a client certificate issued to a partner is required"
            : "the client certificate names no subscriber (expected one URI SAN spiffe://takitini.local/subscriber/<id>)";
        await this.deny(call, sessionId, trace.traceparent, { subscriberId: "", certificateSha256: who.certificateSha256 }, who.reason, grpc.status.UNAUTHENTICATED, message);
        return;
      }
      const identity = who.identity;
      const partnerWait = await this.limiter.principal(identity.subscriberId);
      if (partnerWait !== undefined) {
        await this.deny(call, sessionId, trace.traceparent, identity, DENIAL.RATE_LIMITED, grpc.status.RESOURCE_EXHAUSTED, `too many Subscribe calls from this partner; retry after ${partnerWait} s`);
        return;
      }
      // A certificate the CRL in force lists is refused whatever it asks for.
      let cert: CertificateRef | undefined;
      if (this.opts.revocation) {
        cert = certificateRef(peer!.raw!);
        if (this.opts.revocation.revokes(cert)) {
          await this.deny(call, sessionId, trace.traceparent, identity, DENIAL.CERTIFICATE_REVOKED, grpc.status.PERMISSION_DENIED, "the client certificate has been revoked; ask the mesh's operator for a new one");
          return;
        }
      }
      const auth = authorise(identity, call.request.subscriberId, this.opts.policy.current().subscribers());
      if (!auth.ok) {
        const message =
          auth.reason === DENIAL.NOT_OWN_STREAM
            ? "a partner may subscribe only to its own deliveries"
            : auth.reason === DENIAL.NOT_PARTNER_AGENCY
              ? "only partner agencies subscribe; community tiers receive briefings, international partners TAXII"
              : "the certificate's subscriber is not in the sharing policy's registry";
        await this.deny(call, sessionId, trace.traceparent, identity, auth.reason, grpc.status.PERMISSION_DENIED, message);
        return;
      }
      let positions: ReadonlyMap<number, string>;
      try {
        positions = decodeCursor(call.request.cursor, auth.deliveryTopic).positions;
      } catch (err) {
        if (!(err instanceof CursorError)) throw err;
        call.emit("error", failure(grpc.status.INVALID_ARGUMENT, err.code, err.message, [{ path: err.path, code: "invalid_cursor", message: err.message }]));
        return;
      }
      if (this.streams.size + this.opening >= this.opts.maxStreams) {
        call.emit("error", failure(grpc.status.RESOURCE_EXHAUSTED, "TOO_MANY_STREAMS", "the server is at its stream limit; retry later"));
        return;
      }
      const held = this.perSubscriber.get(identity.subscriberId) ?? 0;
      if (!withinSubscriberLimit(held, this.opts.maxStreamsPerSubscriber ?? this.opts.maxStreams)) {
        await this.deny(call, sessionId, trace.traceparent, identity, DENIAL.TOO_MANY_STREAMS_FOR_SUBSCRIBER, grpc.status.RESOURCE_EXHAUSTED, "this partner already holds its most open streams; close one or retry later");
        return;
      }
      this.perSubscriber.set(identity.subscriberId, held + 1);
      let counted = true;
      const release = () => {
        if (!counted) return;
        counted = false;
        const n = (this.perSubscriber.get(identity.subscriberId) ?? 1) - 1;
        if (n <= 0) this.perSubscriber.delete(identity.subscriberId);
        else this.perSubscriber.set(identity.subscriberId, n);
      };
      this.opening++;
      try {
        await this.record(accessGranted({ sessionId }, identity, new Date()), trace.traceparent);
      } catch (err) {
        this.log.error({ err, sessionId }, "could not write the access record of a granted Subscribe; refusing it");
        call.emit("error", failure(grpc.status.UNAVAILABLE, "AUDIT_UNAVAILABLE", "access cannot be audited right now; retry later"));
        release();
        return;
      } finally {
        this.opening--;
      }
      if (call.cancelled || this.closing) {
        release();
        return;
      }
      let revoke: (reason: EndReason) => void = () => undefined;
      const ended = () => this.endReason(identity.subscriberId, auth.deliveryTopic, cert);
      const stream: DeliveryStream = new DeliveryStream(
        {
          kafka: this.opts.kafka,
          audit: this.audit,
          auditTopic: this.opts.auditTopic,
          logger: this.log,
          sessionTimeoutMs: this.opts.consumerSessionTimeoutMs,
          onDelivered: (subscriber) => this.delivered.inc({ subscriber }),
          onPaused: (subscriber) => this.pauses.inc({ subscriber }),
          authorised: () => ended() === undefined,
          revoke: () => revoke(ended() ?? DENIAL.SUBSCRIBER_REVOKED),
        },
        call,
        { sessionId, identity, topic: auth.deliveryTopic, positions },
      );
      revoke = this.revoker(stream, sessionId, identity, trace.traceparent);
      this.streams.set(stream, { ended, end: (reason) => revoke(reason) });
      this.active.inc({ subscriber: identity.subscriberId });
      void stream.done.then(() => {
        this.streams.delete(stream);
        this.active.dec({ subscriber: identity.subscriberId });
        release();
      });
      try {
        await stream.start();
      } catch (err) {
        this.log.error({ err, sessionId }, "subscribe stream could not start");
        await stream.stop({ code: grpc.status.UNAVAILABLE, details: "DELIVERY_UNAVAILABLE: the delivery topic cannot be read right now; retry with the last cursor" });
      }
    } catch (err) {
      this.log.error({ err, sessionId }, "subscribe failed");
      if (!call.cancelled && !call.writableEnded) call.emit("error", failure(grpc.status.INTERNAL, "INTERNAL", "internal error"));
    }
  }

  /** Refuse new calls, end every open stream (UNAVAILABLE: resume with the last cursor), unbind, close the audit producer. */
  async stop(graceMs: number): Promise<void> {
    this.closing = true;
    clearInterval(this.revocations);
    this.unwatchCrl?.();
    await Promise.all(
      [...this.streams.keys()].map((s) => s.stop({ code: grpc.status.UNAVAILABLE, details: "SHUTTING_DOWN: the server is shutting down; resume with the last cursor" })),
    );
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.server.forceShutdown();
        resolve();
      }, graceMs);
      this.server.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    this.bound = false;
    await this.audit.disconnect();
  }
}
