import { Classification, IntelligenceEvent, NoticeCause, WithdrawalNotice } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { fullEvent } from "../events.fixture.js";
import { REVISION_LEGAL_BASIS } from "../revision.js";
import { entryOf } from "./feed.js";
import { isShared, toStix } from "./stix.js";
import type { Entry } from "./store.js";

const PARTNER = { id: "aus-abf", name: "Australian Border Force", country: "AUS", deliveryTopic: "takitini.deliver.aus-abf.v1" };
const event = fullEvent("customs.border_seizure", { classification: Classification.CLASSIFICATION_RESTRICTED, handling: { caveats: [], releasableTo: [], releasableToCountries: ["AUS"] } });
const at = "1764900000000";

function raw(e: IntelligenceEvent, headers: Record<string, string> = {}) {
  return {
    topic: PARTNER.deliveryTopic,
    partition: 1,
    offset: "7",
    timestamp: at,
    value: Buffer.from(IntelligenceEvent.encode(e).finish()),
    headers: { "event-type": e.eventType, "decision-id": "d-1", "policy-revision": "rev", view: "redacted", "legal-basis": "Customs and Excise Act 2018, s 318", ...headers },
  };
}

function notice(eventId: string) {
  const n = WithdrawalNotice.fromPartial({ deliveryId: "dl-1", eventId, eventType: event.eventType, cause: NoticeCause.NOTICE_CAUSE_WITHDRAWN, noticedAt: new Date("2026-12-06T00:00:00Z") });
  return {
    topic: PARTNER.deliveryTopic,
    partition: 1,
    offset: "9",
    timestamp: String(Number(at) + 5000),
    value: Buffer.from(WithdrawalNotice.encode(n).finish()),
    headers: { "event-type": "record.withdrawal_notice", "decision-id": "d-2", "delivery-id": "dl-1", "policy-revision": "rev", view: "none" },
  };
}

describe("a foreign partner's delivery as a collection entry", () => {
  it("maps a released view to its STIX objects, with the decision and the agreement's legal basis", () => {
    const got = entryOf(PARTNER, raw(event));
    expect(got.ok).toBe(true);
    const entry = (got as { entry: Entry }).entry;
    expect(entry).toMatchObject({ subscriberId: "aus-abf", eventId: event.id, decisionId: "d-1", legalBasis: "Customs and Excise Act 2018, s 318", dateAddedMs: Number(at), partition: 1, offset: "7" });
    expect(entry.objects).toEqual(toStix({ partner: { id: "aus-abf", country: "AUS" }, decisionId: "d-1", policyRevision: "rev", view: "redacted", legalBasis: "x", event, dateAdded: new Date(Number(at)) }));
  });

  it("refuses a view without the agreement's legal basis: nothing leaves without it", () => {
    const r = raw(event);
    delete (r.headers as Record<string, string>)["legal-basis"];
    expect(entryOf(PARTNER, r)).toEqual({ ok: false, reason: "NO_LEGAL_BASIS" });
  });

  it("skips what is no raw view (an aggregate), and what the exchange did not write", () => {
    expect(entryOf(PARTNER, raw(event, { view: "aggregate_only" }))).toMatchObject({ ok: false });
    expect(entryOf(PARTNER, { ...raw(event), value: null })).toEqual({ ok: false, reason: "EMPTY_VALUE" });
  });

  it("revokes the objects of the version a withdrawal notice names, under the revision's legal basis", () => {
    const held = (entryOf(PARTNER, raw(event)) as { entry: Entry }).entry;
    const got = entryOf(PARTNER, notice(event.id), (id) => (id === event.id ? held : undefined));
    expect(got.ok).toBe(true);
    const revoked = (got as { entry: Entry }).entry;
    expect(revoked).toMatchObject({ eventId: event.id, decisionId: "d-2", legalBasis: REVISION_LEGAL_BASIS, offset: "9" });
    const before = held.objects.filter((o) => !isShared(o));
    expect(revoked.objects.map((o) => o.id)).toEqual(before.map((o) => o.id));
    for (const o of revoked.objects) {
      expect(o["revoked"]).toBe(true);
      expect(String(o["modified"]) > String(before.find((b) => b.id === o.id)!["modified"])).toBe(true);
    }
    // A version the collection does not hold: nothing to revoke.
    expect(entryOf(PARTNER, notice("other"), () => undefined)).toEqual({ ok: false, reason: "WITHDRAWN_VERSION_NOT_HELD" });
  });

  it("gives a correction the partner receives new versions of the same objects (ids name the record)", () => {
    const first = (entryOf(PARTNER, raw(event)) as { entry: Entry }).entry;
    const corrected = IntelligenceEvent.fromPartial({ ...event, id: "corrected-version", supersedes: event.id, originalEventId: event.id, publishedAt: new Date("2026-12-05T00:00:00Z") });
    const second = (entryOf(PARTNER, raw(corrected)) as { entry: Entry }).entry;
    const ids = (e: Entry) => e.objects.filter((o) => !isShared(o)).map((o) => o.id).sort();
    expect(ids(second)).toEqual(ids(first));
    expect(second.objects.find((o) => o.type === "report")!["modified"]).toBe("2026-12-05T00:00:00.000Z");
  });
});
