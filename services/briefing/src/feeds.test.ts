import { AccessAction } from "@takitini/proto";
import { Accounts, createLogger, parseAccounts, tokenHash } from "@takitini/runtime";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { leaderGateOver } from "./accounts.fixture.js";
import { briefingAppForTests } from "./app.fixture.js";
import { leaderAccounts, type LeaderAccount } from "./auth.js";
import { AUDIENCES, SECRET, seizures } from "./briefing.fixture.js";
import { feedKeyOf, registerFeeds } from "./feeds.js";
import { MAIL_SECRET } from "./mail.fixture.js";
import { AggregateStore } from "./store.js";
import { feedKey } from "./tokens.js";

const TOKEN = "eastern-leaders-token-0123456789";
const NOW = new Date("2026-11-25T00:00:00Z");

function harness(o: { disabled?: boolean } = {}) {
  const file = JSON.stringify({ [tokenHash(TOKEN)]: "community-eastern" });
  const list = parseAccounts(file, "test tokens", leaderAccounts).accounts;
  const gate = leaderGateOver(new Accounts<LeaderAccount>(list));
  const h = briefingAppForTests({ gate });
  registerFeeds(h.app, {
    audiences: AUDIENCES,
    store: storeOf,
    caughtUp: () => true,
    secret: SECRET,
    feedSecret: MAIL_SECRET,
    accounts: () => list.map((a) => ({ ...a, disabled: o.disabled ?? false })),
    gate,
    recordAccess: async (r) => void h.records.push(r),
    refusals: { unauthenticated: (n) => void h.refusals.push(n) },
    publicUrl: "https://briefings.example",
    logger: createLogger("t", "silent"),
    now: () => NOW,
  });
  return { ...h, key: feedKey(MAIL_SECRET, list[0]!) };
}

// The same holdings as the fixture's pages (seven methamphetamine seizures in Eastern, 2026-W47): the feed is compared with the JSON API.
const eastern = new AggregateStore();
for (const i of seizures("2026-W47", "methamphetamine", 7)) eastern.apply(i);
const empty = new AggregateStore();
const storeOf = (id: string) => (id === "community-eastern" ? eastern : empty);

const parse = (body: string) => new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@" }).parse(body).feed;
const basic = (key: string) => ({ authorization: `Basic ${Buffer.from(`feed:${key}`).toString("base64")}` });

describe("Atom feeds of briefings", () => {
  it("the public feed is open: the last four quarters, valid Atom, audited as a feed view", async () => {
    const { app, records } = harness();
    const res = await app.inject({ url: "/public/eastern/feed.atom" });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toBe("application/atom+xml; charset=utf-8");
    expect(XMLValidator.validate(res.body)).toBe(true);
    const feed = parse(res.body);
    expect(feed.id).toBe("tag:takitini.local,2026:briefing/public/eastern/feed");
    expect(feed.entry.map((e: { id: string }) => e.id)).toEqual(["2026-Q3", "2026-Q2", "2026-Q1", "2025-Q4"].map((q) => `tag:takitini.local,2026:briefing/public/eastern/${q}`));
    expect(feed.entry[0].link["@href"]).toBe("https://briefings.example/public/eastern?quarter=2026-Q3");
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ action: AccessAction.ACCESS_ACTION_BRIEFING_VIEWED, subscriberId: "public", channel: "briefing.feed", resource: "/public/eastern/feed.atom", regions: ["EASTERN"] });
    expect((await app.inject({ url: "/public/atlantis/feed.atom" })).json().error.code).toBe("REGION_NOT_FOUND");
  });

  it("a leader's feed needs their feed key: none, a forged one, or a disabled account's is 401 with a Basic challenge, and nothing is served or recorded", async () => {
    const { app, records, refusals, key } = harness();
    const forged = feedKey(Buffer.from("someone else's secret, 32 bytes or more"), { name: "x", credential: "y" });
    for (const headers of [{}, basic(forged), { authorization: `Bearer ${forged}` }, { authorization: `Bearer ${TOKEN}` }, basic(key.slice(0, -1))]) {
      const res = await app.inject({ url: "/briefings/eastern/feed.atom", headers });
      expect(res.statusCode).toBe(401);
      expect(res.headers["www-authenticate"]).toMatch(/^Basic realm=/);
      expect(res.json().error.code).toBe("UNAUTHENTICATED");
    }
    // Auth is attached to the route, whatever the spelling of the path.
    expect((await app.inject({ url: "/briefings/%65astern/feed.atom" })).statusCode).toBe(401);
    expect(records).toEqual([]);
    // Counted in the refusal window by route pattern, never the URL or the key.
    expect(refusals).toHaveLength(6);
    expect(new Set(refusals.map((r) => `${r.door} ${r.code} ${r.route}`))).toEqual(new Set(["http UNAUTHENTICATED /briefings/:region/feed.atom"]));
    const disabled = harness({ disabled: true });
    expect((await disabled.app.inject({ url: "/briefings/eastern/feed.atom", headers: basic(key) })).statusCode).toBe(401);
  });

  it("a signed-in leader gets their feed key and URLs; the key opens their region's feed (Basic or bearer) with the same figures as their JSON briefing", async () => {
    const { app, records, refusals, key } = harness();
    const feeds = await app.inject({ url: "/v1/feeds", headers: { authorization: `Bearer ${TOKEN}` } });
    expect(feeds.statusCode).toBe(200);
    expect(feeds.json()).toMatchObject({ feed_key: key, feeds: [{ region: "eastern", url: "https://briefings.example/briefings/eastern/feed.atom" }] });
    expect((await app.inject({ url: "/v1/feeds" })).statusCode).toBe(401);
    expect(refusals.map((r) => r.route)).toEqual(["/v1/feeds"]);

    const res = await app.inject({ url: "/briefings/eastern/feed.atom", headers: basic(key) });
    expect(res.statusCode).toBe(200);
    expect(XMLValidator.validate(res.body)).toBe(true);
    const feed = parse(res.body);
    expect(feed.entry).toHaveLength(8);
    const w47 = feed.entry[0];
    expect(w47.id).toBe("tag:takitini.local,2026:briefing/leader.community-eastern/eastern/2026-W47");
    expect(w47.updated).toBe("2026-11-23T00:00:00.000Z");
    const json = (await app.inject({ url: "/v1/briefings/eastern?week=2026-W47", headers: { authorization: `Bearer ${TOKEN}` } })).json();
    const table = json.sections.find((s: { id: string }) => s.id === "drugs").tables[0];
    expect(table.total.suppressed).toBe(false);
    expect(w47.content["#text"]).toContain(`  Total: ${table.total.value} ${table.unit}`);
    expect(records.filter((r) => r.channel === "briefing.feed")).toHaveLength(1);
    expect(records.find((r) => r.channel === "briefing.feed")).toMatchObject({ subscriberId: "community-eastern", accountName: expect.stringMatching(/^community-eastern \(token [0-9a-f]{8}\)$/), resource: "/briefings/eastern/feed.atom" });
    expect((await app.inject({ url: "/briefings/eastern/feed.atom", headers: { authorization: `Bearer ${key}` } })).statusCode).toBe(200);
  });

  it("another region's leader feed is 403 REGION_OUT_OF_SCOPE, audited as denied", async () => {
    const { app, records, key } = harness();
    const res = await app.inject({ url: "/briefings/northland/feed.atom", headers: basic(key) });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("REGION_OUT_OF_SCOPE");
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ action: AccessAction.ACCESS_ACTION_BRIEFING_DENIED, channel: "briefing.feed", reason: "REGION_OUT_OF_SCOPE", regions: ["NORTHLAND"] });
  });

  it("reads the key from a bearer or a Basic password, and nothing else", () => {
    expect(feedKeyOf("Bearer fk1.abc")).toBe("fk1.abc");
    expect(feedKeyOf(`Basic ${Buffer.from("anyone:fk1.abc").toString("base64")}`)).toBe("fk1.abc");
    expect(feedKeyOf(`Basic ${Buffer.from("no-colon").toString("base64")}`)).toBeUndefined();
    expect(feedKeyOf("Digest x")).toBeUndefined();
    expect(feedKeyOf(undefined)).toBeUndefined();
  });
});
