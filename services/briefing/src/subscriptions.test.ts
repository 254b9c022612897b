import { parseAccounts } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { leaderAccounts } from "./auth.js";
import { easternDigest, leader, MAIL_SECRET } from "./mail.fixture.js";
import { deliveryKey, deliveryValue, dueMails, retryDelay, MailIndex, mailingSince, recipientsFrom, unsubscribeKey, unsubscribeValue } from "./subscriptions.js";
import { recipientId } from "./tokens.js";

// Thursday of 2026-W49: the last completed week is 2026-W48.
const NOW = new Date("2026-12-03T12:00:00Z");
const OPTS = { leaseMs: 600_000, maxAttempts: 3, lookback: 1, retryBaseMs: 60_000 };

function indexWith(...weeks: string[]): MailIndex {
  const index = new MailIndex();
  for (const w of weeks) {
    const d = easternDigest(w);
    index.applyDigest(d.key, d.value, "2000-W01");
  }
  return index;
}

const rangi = recipientsFrom([leader("Rangi Parata", { email: "rangi@example.org" })], MAIL_SECRET, NOW);

describe("recipients", () => {
  it("come from the leader accounts file's optional email, checked as an address", () => {
    const entry = { name: "Rangi Parata", role: "leader", subscriber: "community-eastern", credential: `scrypt$32768$8$1$${"A".repeat(22)}$${"B".repeat(43)}`, expires_at: "2030-01-01T00:00:00Z" };
    const parsed = parseAccounts(JSON.stringify({ accounts: [{ ...entry, email: "rangi@example.org" }, { ...entry, name: "Aroha", credential: entry.credential.replace("B".repeat(43), "C".repeat(43)) }] }), "f", leaderAccounts).accounts;
    expect(parsed.map((a) => a.email)).toEqual(["rangi@example.org", undefined]);
    expect(() => parseAccounts(JSON.stringify({ accounts: [{ ...entry, email: "not an address" }] }), "f", leaderAccounts)).toThrow(/accounts\[0\]\.email/);
  });


  it("are the live accounts with an address, each by its keyed id", () => {
    const accounts = [
      leader("Rangi Parata", { email: "Rangi@example.org" }),
      leader("No Address"),
      leader("Disabled", { email: "d@example.org", disabled: true }),
      leader("Expired", { email: "e@example.org", expiresAt: new Date("2026-01-01T00:00:00Z") }),
      leader("Northland", { email: "n@example.org", subscriber: "community-northland" }),
    ];
    expect(recipientsFrom(accounts, MAIL_SECRET, NOW)).toEqual([
      { subscriber: "community-eastern", recipient: recipientId(MAIL_SECRET, "rangi@example.org"), email: "Rangi@example.org", account: { name: "Rangi Parata", role: "leader" } },
      { subscriber: "community-northland", recipient: recipientId(MAIL_SECRET, "n@example.org"), email: "n@example.org", account: { name: "Northland", role: "leader" } },
    ]);
  });
});

describe("the mail index", () => {
  it("holds leader digests from the window on, not the public tier's nor older ones", () => {
    const index = new MailIndex();
    const d = easternDigest("2026-W48");
    expect(index.applyDigest(d.key, d.value, "2026-W48")).toBe(true);
    const old = easternDigest("2026-W47");
    expect(index.applyDigest(old.key, old.value, "2026-W48")).toBe(false);
    const pub = Buffer.from(JSON.stringify({ ...JSON.parse(d.value.toString()), audience: "public" }));
    expect(index.applyDigest("eastern/public/2026-Q3", pub, "2026-W48")).toBe(false);
    expect(index.applyDigest("x", Buffer.from("not json"), "2026-W48")).toBe(false);
    expect([...index.digests.keys()]).toEqual([d.key]);
    index.prune("2026-W49");
    expect(index.digests.size).toBe(0);
  });

  it("reads deliveries and unsubscribes, and ignores what it cannot read", () => {
    const index = new MailIndex();
    expect(index.applyMail("mail/a/r1", deliveryValue({ state: "sent", at: NOW.getTime(), attempt: 1 }))).toBe(true);
    expect(index.applyMail("unsubscribed/community-eastern/r1", unsubscribeValue(NOW))).toBe(true);
    expect(index.applyMail("mail/a/r2", Buffer.from(JSON.stringify({ schema: "other", state: "sent" })))).toBe(false);
    expect(index.applyMail("mail/a/r3", Buffer.from(JSON.stringify({ schema: "takitini.briefing.mail.v1", state: "lost", at: NOW.toISOString(), attempt: 1 })))).toBe(false);
    expect(index.deliveries.get("mail/a/r1")).toEqual({ state: "sent", at: NOW.getTime(), attempt: 1 });
    expect(index.unsubscribed.has("unsubscribed/community-eastern/r1")).toBe(true);
  });
});

describe("due emails", () => {
  it("are the last completed week's leader digest for each subscribed leader of its subscriber", () => {
    expect(mailingSince(NOW, 1)).toBe("2026-W48");
    const index = indexWith("2026-W47", "2026-W48");
    const northland = recipientsFrom([leader("N", { email: "n@example.org", subscriber: "community-northland" })], MAIL_SECRET, NOW);
    const due = dueMails(index, [...rangi, ...northland], NOW, OPTS);
    expect(due.map((d) => [d.key, d.attempt])).toEqual([[deliveryKey("eastern/leader.community-eastern/2026-W48", rangi[0]!.recipient), 1]]);
    expect(dueMails(index, rangi, NOW, { ...OPTS, lookback: 2 })).toHaveLength(2);
  });

  it("are not sent again once sent, nor while a claim is within its lease", () => {
    const index = indexWith("2026-W48");
    const key = dueMails(index, rangi, NOW, OPTS)[0]!.key;
    index.applyMail(key, deliveryValue({ state: "claimed", at: NOW.getTime() - 1000, attempt: 1 }));
    expect(dueMails(index, rangi, NOW, OPTS)).toEqual([]);
    index.applyMail(key, deliveryValue({ state: "sent", at: NOW.getTime(), attempt: 1 }));
    expect(dueMails(index, rangi, new Date(NOW.getTime() + 3_600_000), OPTS)).toEqual([]);
  });

  it("are due again after a claim's lease (its sender died) or a failure, until the attempts run out", () => {
    const index = indexWith("2026-W48");
    const key = dueMails(index, rangi, NOW, OPTS)[0]!.key;
    index.applyMail(key, deliveryValue({ state: "claimed", at: NOW.getTime() - 600_000, attempt: 1 }));
    expect(dueMails(index, rangi, NOW, OPTS).map((d) => d.attempt)).toEqual([2]);
    // Failed attempt 2: the next is due 2 minutes later (1 minute doubled), not before.
    index.applyMail(key, deliveryValue({ state: "failed", at: NOW.getTime(), attempt: 2 }));
    expect(dueMails(index, rangi, new Date(NOW.getTime() + 119_999), OPTS)).toEqual([]);
    expect(dueMails(index, rangi, new Date(NOW.getTime() + 120_000), OPTS).map((d) => d.attempt)).toEqual([3]);
    index.applyMail(key, deliveryValue({ state: "failed", at: NOW.getTime(), attempt: 3 }));
    expect(dueMails(index, rangi, new Date(NOW.getTime() + 86_400_000), OPTS)).toEqual([]);
    expect(retryDelay(1, 60_000)).toBe(60_000);
    expect(retryDelay(20, 60_000)).toBe(6 * 3_600_000);
  });

  it("are not sent to a recipient who unsubscribed from that subscriber's digest", () => {
    const index = indexWith("2026-W48");
    index.applyMail(unsubscribeKey("community-eastern", rangi[0]!.recipient), unsubscribeValue(NOW));
    expect(dueMails(index, rangi, NOW, OPTS)).toEqual([]);
  });
});
