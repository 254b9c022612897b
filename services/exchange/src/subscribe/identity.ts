import { certificateSha256, parseSubjectAltName, takitiniIdentity, type PeerCertificateLike } from "@takitini/runtime";

/**
 * Who is asking, and may they have the stream they ask for. Pure: the gRPC shell
 * hands in the peer certificate (as Node's TLS layer reports it) and the policy's
 * current registry; nothing here touches the network.
 */

const SUBSCRIBER_URI = /^spiffe:\/\/takitini\.local\/subscriber\/([a-z0-9][a-z0-9-]{0,62})$/;

/** Stable reason codes, carried in AccessRecord.reason and the error metadata. */
export const DENIAL = {
  /** Plaintext (insecure) mode, or a TLS connection without a verified client certificate. */
  NO_CLIENT_CERTIFICATE: "NO_CLIENT_CERTIFICATE",
  /** A verified certificate that names no subscriber (or more than one). */
  NO_SUBSCRIBER_IDENTITY: "NO_SUBSCRIBER_IDENTITY",
  /** The certificate's subscriber is not in the policy registry in force. */
  UNKNOWN_SUBSCRIBER: "UNKNOWN_SUBSCRIBER",
  /** The request names another subscriber's stream. */
  NOT_OWN_STREAM: "NOT_OWN_STREAM",
  /** An open stream whose subscriber left the registry in force (or whose delivery topic changed, or its tier). */
  SUBSCRIBER_REVOKED: "SUBSCRIBER_REVOKED",
  /**
   * The subscriber is not a partner agency: community tiers and the public get
   * briefings, never a stream of views (and the exchange's Kafka principal may
   * not read their topics for anyone).
   */
  NOT_PARTNER_AGENCY: "NOT_PARTNER_AGENCY",
  /** The partner already holds its most open streams (GRPC_MAX_STREAMS_PER_SUBSCRIBER). */
  TOO_MANY_STREAMS_FOR_SUBSCRIBER: "TOO_MANY_STREAMS_FOR_SUBSCRIBER",
  /** The partner opened more Subscribe calls this minute than SUBSCRIBE_RATE_LIMIT_PER_SUBSCRIBER_PER_MINUTE allows. */
  RATE_LIMITED: "RATE_LIMITED",
  /**
   * The client certificate is on the CRL in force (SUBSCRIBE_CRL_FILE, written by
   * infra/pki/revoke.sh): a new call is refused, and an open stream ends when a
   * reloaded CRL lists its certificate.
   */
  CERTIFICATE_REVOKED: "CERTIFICATE_REVOKED",
} as const;
export type DenialReason = (typeof DENIAL)[keyof typeof DENIAL];

export type { PeerCertificateLike };

export interface Identity {
  subscriberId: string;
  /** SHA-256 of the certificate's DER, lowercase hex. */
  certificateSha256: string;
}

export type IdentityResult =
  | { ok: true; identity: Identity }
  | { ok: false; reason: typeof DENIAL.NO_CLIENT_CERTIFICATE | typeof DENIAL.NO_SUBSCRIBER_IDENTITY; certificateSha256: string };

export { certificateSha256, parseSubjectAltName };

/**
 * The subscriber a verified client certificate names: exactly one URI SAN
 * `spiffe://takitini.local/subscriber/<id>` and no other takitini identity.
 * Anything else — no certificate, a service certificate, two identities, a
 * quoted or malformed SAN — is refused.
 */
export function identify(cert: PeerCertificateLike | undefined): IdentityResult {
  if (!cert?.raw || cert.raw.length === 0) return { ok: false, reason: DENIAL.NO_CLIENT_CERTIFICATE, certificateSha256: "" };
  const sha = certificateSha256(cert.raw);
  const refuse = { ok: false as const, reason: DENIAL.NO_SUBSCRIBER_IDENTITY, certificateSha256: sha };
  // Exactly one takitini identity, unquoted (runtime's takitiniIdentity), and a subscriber's.
  const m = SUBSCRIBER_URI.exec(takitiniIdentity(cert) ?? "");
  if (!m) return refuse;
  return { ok: true, identity: { subscriberId: m[1]!, certificateSha256: sha } };
}

export interface RegisteredSubscriber {
  id: string;
  tier: string;
  delivery_topic: string;
}

/** The only tier Subscribe serves. */
export const SUBSCRIBE_TIER = "partner_agency";

export type Authorisation =
  | { ok: true; subscriberId: string; deliveryTopic: string }
  | { ok: false; reason: typeof DENIAL.UNKNOWN_SUBSCRIBER | typeof DENIAL.NOT_OWN_STREAM | typeof DENIAL.NOT_PARTNER_AGENCY; requested: string };

/**
 * May this identity have the stream it asks for? Only its own (an empty request
 * means "mine"), and only while the policy registry in force still knows it.
 */
export function authorise(identity: Identity, requestedSubscriberId: string, registry: readonly RegisteredSubscriber[]): Authorisation {
  const requested = requestedSubscriberId === "" ? identity.subscriberId : requestedSubscriberId;
  if (requested !== identity.subscriberId) return { ok: false, reason: DENIAL.NOT_OWN_STREAM, requested };
  const entry = registry.find((s) => s.id === identity.subscriberId);
  if (!entry) return { ok: false, reason: DENIAL.UNKNOWN_SUBSCRIBER, requested };
  if (entry.tier !== SUBSCRIBE_TIER) return { ok: false, reason: DENIAL.NOT_PARTNER_AGENCY, requested };
  return { ok: true, subscriberId: entry.id, deliveryTopic: entry.delivery_topic };
}

/**
 * Does the registry in force still give this subscriber this delivery topic? An
 * open stream is ended when it does not (a partner removed from the policy data).
 */
export function stillAuthorised(subscriberId: string, deliveryTopic: string, registry: readonly RegisteredSubscriber[]): boolean {
  return registry.some((s) => s.id === subscriberId && s.delivery_topic === deliveryTopic && s.tier === SUBSCRIBE_TIER);
}

/** Whether a subscriber holding `held` open (or opening) streams may open one more. Pure. */
export function withinSubscriberLimit(held: number, limit: number): boolean {
  return held < limit;
}
