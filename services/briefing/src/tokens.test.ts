import { describe, expect, it } from "vitest";
import { messageId, recipientId, signUnsubscribe, verifyUnsubscribe } from "./tokens.js";

const SECRET = Buffer.from("mail secret for the tests, at least 32 bytes long");
const OTHER = Buffer.from("another secret, also at least 32 bytes long!!");
const NOW = new Date("2026-12-01T00:00:00Z");
const claim = { subscriber: "community-eastern", recipient: recipientId(SECRET, "Rangi@Example.org "), expiresAt: new Date("2027-01-01T00:00:00Z") };

describe("recipient ids", () => {
  it("are a keyed hash of the trimmed, lower-cased address, never the address", () => {
    expect(recipientId(SECRET, "rangi@example.org")).toBe(claim.recipient);
    expect(claim.recipient).toMatch(/^r[A-Za-z0-9_-]{22}$/);
    expect(claim.recipient).not.toContain("rangi");
    expect(recipientId(OTHER, "rangi@example.org")).not.toBe(claim.recipient);
    expect(recipientId(SECRET, "aroha@example.org")).not.toBe(claim.recipient);
  });
});

describe("Message-IDs", () => {
  it("are the same for the same digest and recipient, and differ otherwise", () => {
    const id = messageId(SECRET, "eastern/leader.community-eastern/2026-W47", claim.recipient, "briefings.example");
    expect(id).toMatch(/^<[A-Za-z0-9_-]{32}@briefings\.example>$/);
    expect(messageId(SECRET, "eastern/leader.community-eastern/2026-W47", claim.recipient, "briefings.example")).toBe(id);
    expect(messageId(SECRET, "eastern/leader.community-eastern/2026-W48", claim.recipient, "briefings.example")).not.toBe(id);
  });
});

describe("unsubscribe tokens", () => {
  const token = signUnsubscribe(SECRET, claim);

  it("verify to what was signed, and are URL-safe", () => {
    expect(encodeURIComponent(token)).toBe(token);
    expect(verifyUnsubscribe(SECRET, token, NOW)).toEqual({ ok: true, claim: { ...claim, expiresAt: new Date(Math.floor(claim.expiresAt.getTime() / 1000) * 1000) } });
  });

  it("refuse a token signed under another secret as forged", () => {
    expect(verifyUnsubscribe(SECRET, signUnsubscribe(OTHER, claim), NOW)).toEqual({ ok: false, code: "UNSUBSCRIBE_TOKEN_INVALID" });
  });

  it("refuse a token whose subscriber, recipient or expiry was changed", () => {
    const parts = token.split(".");
    const altered = [
      [parts[0], "community-northland", ...parts.slice(2)],
      [parts[0], parts[1], recipientId(SECRET, "someone@example.org"), ...parts.slice(3)],
      [...parts.slice(0, 3), String(Number(parts[3]) + 86_400 * 365), parts[4]],
    ];
    for (const p of altered) expect(verifyUnsubscribe(SECRET, p.join("."), NOW)).toEqual({ ok: false, code: "UNSUBSCRIBE_TOKEN_INVALID" });
  });

  it("refuse a changed MAC, including another spelling of the same bytes", () => {
    const mac = token.slice(token.lastIndexOf(".") + 1);
    const flip = (c: string) => (c === "A" ? "B" : "A");
    expect(verifyUnsubscribe(SECRET, `${token.slice(0, -mac.length)}${flip(mac[0]!)}${mac.slice(1)}`, NOW)).toEqual({ ok: false, code: "UNSUBSCRIBE_TOKEN_INVALID" });
    const last = mac.at(-1)!;
    const sibling = "AEIMQUYcgkosw048".includes(last) ? String.fromCharCode(last.charCodeAt(0) + 1) : "A";
    expect(verifyUnsubscribe(SECRET, `${token.slice(0, -1)}${sibling}`, NOW)).toEqual({ ok: false, code: "UNSUBSCRIBE_TOKEN_INVALID" });
  });

  it("refuse an expired token, but only once its MAC is good", () => {
    const late = new Date("2027-01-01T00:00:00Z");
    expect(verifyUnsubscribe(SECRET, token, late)).toEqual({ ok: false, code: "UNSUBSCRIBE_TOKEN_EXPIRED" });
    expect(verifyUnsubscribe(OTHER, token, late)).toEqual({ ok: false, code: "UNSUBSCRIBE_TOKEN_INVALID" });
  });

  it("refuse anything not shaped like a token as malformed", () => {
    for (const bad of [undefined, "", 42, ["u1"], token.slice(0, -1), `${token}.x`, token.replace("u1.", "u2."), `${token} `, "x".repeat(300)]) {
      expect(verifyUnsubscribe(SECRET, bad, NOW)).toEqual({ ok: false, code: "UNSUBSCRIBE_TOKEN_MALFORMED" });
    }
  });
});
