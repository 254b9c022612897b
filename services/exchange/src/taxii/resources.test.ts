import { AccessAction } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { acceptsTaxii, collection, collectionAccess, collectionId, foreignPartners, partnerOf, taxiiDelivered, taxiiDenied, TAXII_DENIAL, type RegistryEntry } from "./resources.js";

const registry: RegistryEntry[] = [
  { id: "aus-abf", tier: "foreign_partner", country: "AUS", name: "Australian Border Force", delivery_topic: "takitini.deliver.aus-abf.v1" },
  { id: "gbr-nca", tier: "foreign_partner", country: "GBR", name: "National Crime Agency", delivery_topic: "takitini.deliver.gbr-nca.v1" },
  { id: "customs", tier: "partner_agency", delivery_topic: "takitini.deliver.customs.v1" },
  { id: "public", tier: "public", delivery_topic: "takitini.deliver.public.v1" },
];
const who = (subscriberId: string) => ({ subscriberId, certificateSha256: "ab".repeat(32) });

describe("who may have which collection", () => {
  it("serves foreign partners only", () => {
    expect(partnerOf(who("aus-abf"), registry)).toMatchObject({ ok: true, partner: { id: "aus-abf", country: "AUS" } });
    expect(partnerOf(who("customs"), registry)).toEqual({ ok: false, reason: TAXII_DENIAL.NOT_FOREIGN_PARTNER });
    expect(partnerOf(who("public"), registry)).toEqual({ ok: false, reason: TAXII_DENIAL.NOT_FOREIGN_PARTNER });
    expect(partnerOf(who("fra-police"), registry)).toEqual({ ok: false, reason: TAXII_DENIAL.UNKNOWN_SUBSCRIBER });
    expect(foreignPartners(registry).map((p) => p.id)).toEqual(["aus-abf", "gbr-nca"]);
  });

  it("gives a partner its own collection; another partner's is 403, an unknown id 404", () => {
    const aus = foreignPartners(registry)[0]!;
    expect(collectionAccess(aus, collectionId("aus-abf"), registry)).toMatchObject({ ok: true });
    expect(collectionAccess(aus, collectionId("gbr-nca"), registry)).toEqual({ ok: false, reason: TAXII_DENIAL.NOT_OWN_COLLECTION, status: 403, requested: "gbr-nca" });
    expect(collectionAccess(aus, collectionId("customs"), registry)).toMatchObject({ ok: false, status: 404 });
    expect(collectionAccess(aus, "aus-abf", registry)).toMatchObject({ ok: false, status: 404 });
  });

  it("names collections by stable, distinct UUIDs; read-only", () => {
    expect(collectionId("aus-abf")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(collectionId("aus-abf")).toBe(collectionId("aus-abf"));
    expect(collectionId("aus-abf")).not.toBe(collectionId("aus-afp"));
    expect(collection(foreignPartners(registry)[0]!)).toMatchObject({ can_read: true, can_write: false, alias: "aus-abf", media_types: ["application/stix+json;version=2.1"] });
  });
});

describe("content negotiation", () => {
  it.each([
    [undefined, true],
    ["application/taxii+json;version=2.1", true],
    ["application/taxii+json", true],
    ["text/html, */*;q=0.1", true],
    ["application/taxii+json;version=2.0", false],
    ["application/json", false],
    ["text/html", false],
  ])("Accept %s → %s", (accept, ok) => expect(acceptsTaxii(accept)).toBe(ok));
});

describe("access records", () => {
  const session = { sessionId: "s-1", resource: "/api/collections/x/objects/" };
  it("records a refusal with what was asked for", () => {
    const r = taxiiDenied(session, who("aus-abf"), "gbr-nca", TAXII_DENIAL.NOT_OWN_COLLECTION, new Date(0));
    expect(r).toMatchObject({ action: AccessAction.ACCESS_ACTION_COLLECTION_DENIED, subscriberId: "aus-abf", requestedSubscriberId: "gbr-nca", channel: "taxii.objects", reason: "NOT_OWN_COLLECTION", resource: session.resource });
  });
  it("records a delivery served with its decision, legal basis and STIX ids", () => {
    const entry = { subscriberId: "aus-abf", dateAddedMs: 1, topic: "t", partition: 2, offset: "7", decisionId: "d", eventId: "e", legalBasis: "s 318", traceId: "", objects: [] };
    const r = taxiiDelivered(session, who("aus-abf"), entry, ["report--1"], new Date(0));
    expect(r).toMatchObject({ action: AccessAction.ACCESS_ACTION_DELIVERED, decisionId: "d", eventId: "e", deliveryTopic: "t", deliveryPartition: 2, deliveryOffset: "7", legalBasis: "s 318", stixObjectIds: ["report--1"] });
  });
});

describe("query pairs", () => {
  it("keeps a repeated parameter as a list, so that giving one twice is refused rather than one silently picked", async () => {
    const { parseQueryPairs } = await import("./server.js");
    expect(Object.fromEntries(parseQueryPairs("limit=5&added_after=a&added_after=b&match%5Btype%5D=report"))).toEqual({ limit: "5", added_after: ["a", "b"], "match[type]": "report" });
    expect(parseQueryPairs("")).toEqual([]);
  });
});
