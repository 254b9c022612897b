import { createLogger } from "@takitini/runtime";
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { leaderGateWithTokens } from "./accounts.fixture.js";
import { briefingAppForTests } from "./app.fixture.js";
import { MAIL_SECRET } from "./mail.fixture.js";
import { recipientId, signUnsubscribe, type UnsubscribeClaim } from "./tokens.js";
import { registerUnsubscribe } from "./unsubscribe.js";

const NOW = new Date("2026-12-03T12:00:00Z");
const claim = { subscriber: "community-eastern", recipient: recipientId(MAIL_SECRET, "rangi@example.org"), expiresAt: new Date("2027-01-01T00:00:00Z") };
const TOKEN = signUnsubscribe(MAIL_SECRET, claim);

function harness(o: { fails?: boolean } = {}) {
  const logs: string[] = [];
  const logger = createLogger("briefing", "info", new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
  const { app } = briefingAppForTests({ gate: leaderGateWithTokens({}), logger });
  const unsubscribed: UnsubscribeClaim[] = [];
  registerUnsubscribe(app, {
    secret: MAIL_SECRET,
    now: () => NOW,
    unsubscribe: async (c) => {
      if (o.fails) throw new Error("broker down");
      unsubscribed.push(c);
    },
  });
  return { app, unsubscribed, logs };
}

const json = { accept: "application/json" };

describe("the unsubscribe link", () => {
  it("GET shows a confirmation page and unsubscribes no one (a link scanner may follow it)", async () => {
    const { app, unsubscribed } = harness();
    const res = await app.inject({ url: `/unsubscribe?token=${TOKEN}` });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/text\/html/);
    expect(res.body).toContain(`<form method="post" action="/unsubscribe?token=${TOKEN}">`);
    expect(unsubscribed).toEqual([]);
  });

  it("POST from the page (an empty form) unsubscribes the token's recipient from its subscriber's digest", async () => {
    const { app, unsubscribed } = harness();
    const res = await app.inject({ method: "POST", url: `/unsubscribe?token=${TOKEN}`, headers: { "content-type": "application/x-www-form-urlencoded" }, payload: "" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain("You are unsubscribed");
    expect(unsubscribed.map((c) => [c.subscriber, c.recipient])).toEqual([[claim.subscriber, claim.recipient]]);
  });

  it("POST one-click (RFC 8058), urlencoded or multipart, unsubscribes", async () => {
    const { app, unsubscribed } = harness();
    const a = await app.inject({ method: "POST", url: `/unsubscribe?token=${TOKEN}`, headers: { "content-type": "application/x-www-form-urlencoded", ...json }, payload: "List-Unsubscribe=One-Click" });
    expect(a.statusCode).toBe(200);
    expect(a.json()).toEqual({ unsubscribed: true, subscriber: "community-eastern" });
    const boundary = "----x";
    const b = await app.inject({ method: "POST", url: `/unsubscribe?token=${TOKEN}`, headers: { "content-type": `multipart/form-data; boundary=${boundary}` }, payload: `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n` });
    expect(b.statusCode).toBe(200);
    expect(unsubscribed).toHaveLength(2);
  });

  it("refuses a forged token 403 UNSUBSCRIBE_TOKEN_INVALID, an expired one 403 UNSUBSCRIBE_TOKEN_EXPIRED, a damaged one 400 UNSUBSCRIBE_TOKEN_MALFORMED; nothing unsubscribed", async () => {
    const { app, unsubscribed } = harness();
    const forged = signUnsubscribe(Buffer.from("not the service's secret, but 32 bytes or more"), claim);
    const expired = signUnsubscribe(MAIL_SECRET, { ...claim, expiresAt: new Date("2026-12-01T00:00:00Z") });
    for (const [token, status, code] of [
      [forged, 403, "UNSUBSCRIBE_TOKEN_INVALID"],
      [expired, 403, "UNSUBSCRIBE_TOKEN_EXPIRED"],
      [TOKEN.slice(0, -3), 400, "UNSUBSCRIBE_TOKEN_MALFORMED"],
      ["", 400, "UNSUBSCRIBE_TOKEN_MALFORMED"],
    ] as const) {
      for (const method of ["GET", "POST"] as const) {
        const res = await app.inject({ method, url: `/unsubscribe?token=${encodeURIComponent(token)}`, headers: json });
        expect(res.statusCode, `${method} ${code}`).toBe(status);
        expect(res.json().error).toMatchObject({ code, issues: [{ path: "token" }] });
      }
    }
    const page = await app.inject({ method: "POST", url: `/unsubscribe?token=${forged}` });
    expect(page.statusCode).toBe(403);
    expect(page.body).toContain("UNSUBSCRIBE_TOKEN_INVALID");
    expect((await app.inject({ method: "POST", url: "/unsubscribe" })).statusCode).toBe(400);
    expect(unsubscribed).toEqual([]);
  });

  it("answers 503 MAIL_UNAVAILABLE when the unsubscribe cannot be recorded, and never logs the token", async () => {
    const { app, logs } = harness({ fails: true });
    const res = await app.inject({ method: "POST", url: `/unsubscribe?token=${TOKEN}`, headers: json });
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe("MAIL_UNAVAILABLE");
    expect(logs.join("")).not.toContain(TOKEN.slice(-20));
  });
});
