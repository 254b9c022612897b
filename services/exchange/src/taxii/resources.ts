import { randomUUID } from "node:crypto";
import { AccessAction, AccessRecord } from "@takitini/proto";
import type { Identity, RegisteredSubscriber } from "../subscribe/identity.js";
import { TAKITINI_STIX_NAMESPACE, uuidv5 } from "./stix.js";
import type { Entry } from "./store.js";

/**
 * The TAXII 2.1 door's resources and who may have them. Pure: the server hands in
 * the certificate's identity and the registry in force.
 */

/** TAXII 2.1's media type (every response), and STIX 2.1's (a collection's content). */
export const TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1";
export const STIX_MEDIA_TYPE = "application/stix+json;version=2.1";
/** The door, as recorded in AccessRecord.channel. */
export const TAXII_CHANNEL = "taxii.objects";
/** The one API root's path segment. */
export const API_ROOT = "api";
/** The tier the TAXII door serves. */
export const FOREIGN_TIER = "foreign_partner";

/** Stable reason codes of refusals (AccessRecord.reason, and the error's `error_code`). */
export const TAXII_DENIAL = {
  NO_SUBSCRIBER_IDENTITY: "NO_SUBSCRIBER_IDENTITY",
  UNKNOWN_SUBSCRIBER: "UNKNOWN_SUBSCRIBER",
  /** A domestic partner, community tier or the public: they have Subscribe or briefings, never TAXII. */
  NOT_FOREIGN_PARTNER: "NOT_FOREIGN_PARTNER",
  /** Another partner's collection. */
  NOT_OWN_COLLECTION: "NOT_OWN_COLLECTION",
  CERTIFICATE_REVOKED: "CERTIFICATE_REVOKED",
  RATE_LIMITED: "RATE_LIMITED",
} as const;
export type TaxiiDenial = (typeof TAXII_DENIAL)[keyof typeof TAXII_DENIAL];

export interface ForeignPartner {
  id: string;
  name: string;
  country: string;
  deliveryTopic: string;
}

/** The registry's subscriber fields this door reads. */
export interface RegistryEntry extends RegisteredSubscriber {
  name?: string;
  country?: string;
}

/** The foreign partners in a registry. */
export function foreignPartners(registry: readonly RegistryEntry[]): ForeignPartner[] {
  return registry
    .filter((s) => s.tier === FOREIGN_TIER)
    .map((s) => ({ id: s.id, name: s.name ?? s.id, country: s.country ?? "", deliveryTopic: s.delivery_topic }))
    .sort((a, b) => a.id.localeCompare(b.id));
}

/** The collection id of a partner: a UUID (TAXII 2.1 identifiers are), stable, derived from its subscriber id. */
export function collectionId(subscriberId: string): string {
  return uuidv5(TAKITINI_STIX_NAMESPACE, JSON.stringify(["taxii-collection", subscriberId]));
}

/** A refusal names the partner whose collection was asked for (empty when the id is no collection). */
export type CollectionAccess = { ok: true; partner: ForeignPartner } | { ok: false; reason: TaxiiDenial; status: 403 | 404; requested: string };

/** Who the certificate's subscriber is as this door sees it: a foreign partner in the registry in force, or refused. */
export function partnerOf(identity: Identity, registry: readonly RegistryEntry[]): { ok: true; partner: ForeignPartner } | { ok: false; reason: TaxiiDenial } {
  const entry = registry.find((s) => s.id === identity.subscriberId);
  if (!entry) return { ok: false, reason: TAXII_DENIAL.UNKNOWN_SUBSCRIBER };
  if (entry.tier !== FOREIGN_TIER) return { ok: false, reason: TAXII_DENIAL.NOT_FOREIGN_PARTNER };
  return { ok: true, partner: foreignPartners([entry])[0]! };
}

/**
 * May this partner have the collection it asks for? Its own only. Another foreign
 * partner's collection is 403 (and audited); an id that is no collection at all is
 * 404, as TAXII asks, so that guessing ids tells nothing.
 */
export function collectionAccess(partner: ForeignPartner, requestedId: string, registry: readonly RegistryEntry[]): CollectionAccess {
  if (requestedId === collectionId(partner.id)) return { ok: true, partner };
  const other = foreignPartners(registry).find((p) => collectionId(p.id) === requestedId);
  return other ? { ok: false, reason: TAXII_DENIAL.NOT_OWN_COLLECTION, status: 403, requested: other.id } : { ok: false, reason: TAXII_DENIAL.UNKNOWN_SUBSCRIBER, status: 404, requested: "" };
}

/** The discovery resource (GET /taxii2/). `base` is the server's origin as the client reached it. */
export function discovery(base: string) {
  return {
    title: "Takitini TAXII server",
    description: "New Zealand's intelligence-sharing mesh: each international partner's permitted views as STIX 2.1, released by country under an agreement.",
    contact: "the mesh's operator",
    default: `${base}/${API_ROOT}/`,
    api_roots: [`${base}/${API_ROOT}/`],
  };
}

export function apiRoot(maxContentLength: number) {
  return {
    title: "Takitini: released to international partners",
    description: "One read-only collection per partner: the views New Zealand agencies released to it.",
    versions: [TAXII_MEDIA_TYPE],
    max_content_length: maxContentLength,
  };
}

/** A partner's collection resource: read-only. */
export function collection(partner: ForeignPartner) {
  return {
    id: collectionId(partner.id),
    title: `Released to ${partner.name}`,
    description: `Intelligence New Zealand agencies released to ${partner.name} (${partner.country}) under a sharing agreement, as STIX 2.1.`,
    alias: partner.id,
    can_read: true,
    can_write: false,
    media_types: [STIX_MEDIA_TYPE],
  };
}

/** A TAXII 2.1 error message. `error_code` is the stable code; `details.parameter` names a bad query parameter. */
export function taxiiError(status: number, title: string, code: string, description: string, details?: Record<string, string>) {
  return {
    title,
    description,
    error_id: randomUUID(),
    error_code: code,
    http_status: String(status),
    ...(details ? { details } : {}),
  };
}

/** Does the Accept header allow a TAXII 2.1 answer? Absent or a wildcard does. */
export function acceptsTaxii(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === "") return true;
  return accept.split(",").some((part) => {
    const [type, ...params] = part.split(";").map((s) => s.trim().toLowerCase());
    if (type === "*/*" || type === "application/*") return true;
    if (type !== "application/taxii+json") return false;
    const version = params.find((p) => p.startsWith("version="));
    return version === undefined || version === "version=2.1";
  });
}

export interface TaxiiSession {
  /** Per-request id tying a request's access records together. */
  sessionId: string;
  /** What was asked for: the path and query, cut to a bounded length. */
  resource: string;
}

const MAX_RESOURCE = 500;
export const resourceOf = (url: string): string => url.slice(0, MAX_RESOURCE);

/** A refused TAXII request, audited before the partner is answered. */
export function taxiiDenied(session: TaxiiSession, who: { subscriberId: string; certificateSha256: string }, requested: string, reason: string, now: Date): AccessRecord {
  return AccessRecord.fromPartial({
    id: randomUUID(),
    action: AccessAction.ACCESS_ACTION_COLLECTION_DENIED,
    subscriberId: who.subscriberId,
    requestedSubscriberId: requested.slice(0, 200),
    channel: TAXII_CHANNEL,
    certificateSha256: who.certificateSha256,
    reason,
    sessionId: session.sessionId,
    resource: session.resource,
    occurredAt: now,
  });
}

/** One delivery's objects served over TAXII: the decision, the agreement's legal basis, the STIX ids handed over. */
export function taxiiDelivered(session: TaxiiSession, identity: Identity, entry: Entry, objectIds: readonly string[], now: Date): AccessRecord {
  return AccessRecord.fromPartial({
    id: randomUUID(),
    action: AccessAction.ACCESS_ACTION_DELIVERED,
    subscriberId: identity.subscriberId,
    requestedSubscriberId: identity.subscriberId,
    channel: TAXII_CHANNEL,
    certificateSha256: identity.certificateSha256,
    eventId: entry.eventId,
    decisionId: entry.decisionId,
    deliveryTopic: entry.topic,
    deliveryPartition: entry.partition,
    deliveryOffset: entry.offset,
    sessionId: session.sessionId,
    resource: session.resource,
    occurredAt: now,
    traceId: entry.traceId,
    legalBasis: entry.legalBasis,
    stixObjectIds: [...objectIds],
  });
}

/** A fresh session for a request. */
export const newSession = (url: string): TaxiiSession => ({ sessionId: randomUUID(), resource: resourceOf(url) });
