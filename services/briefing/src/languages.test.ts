/**
 * English and te reo Māori on the briefing's HTTP door: the language chosen by
 * ?lang=, the lang cookie or Accept-Language; <html lang> set; a switch, a skip
 * link and landmarks on every page; links (and sign-in) keeping the language.
 */
import { describe, expect, it } from "vitest";
import { leaderGateWithTokens } from "./accounts.fixture.js";
import { briefingAppForTests } from "./app.fixture.js";

const TOKEN = "eastern-leaders-token-0123456789";
const harness = () => briefingAppForTests({ gate: leaderGateWithTokens({ [TOKEN]: "community-eastern" }) });
const bearer = { authorization: `Bearer ${TOKEN}` };
const langOf = (html: string) => /<html lang="([^"]+)"/.exec(html)?.[1];

describe("the pages' language", () => {
  it("is te reo Māori with ?lang=mi: <html lang>, every heading, and a cookie that keeps it", async () => {
    const { app } = harness();
    const res = await app.inject({ url: "/public/eastern?quarter=2026-Q3&lang=mi" });
    expect(res.statusCode).toBe(200);
    expect(langOf(res.body)).toBe("mi");
    expect(res.body).toContain("Pānui tūmatanui");
    expect(res.body).toContain("Te kino o te tarukino");
    expect(res.body).toContain("Hauwhā 3, 2026");
    expect(res.body).not.toContain("What is happening");
    expect(res.headers.vary).toBe("Accept-Language, Cookie");
    expect(String(res.headers["set-cookie"])).toMatch(/^lang=mi; Path=\/; Max-Age=31536000; SameSite=Lax$/);
    // Links keep it.
    expect(res.body).toContain('href="/public/eastern?quarter=2026-Q2&amp;lang=mi" rel="prev"');
    expect(res.body).toContain('href="/v1/public/eastern?quarter=2026-Q3&amp;lang=mi"');
    const next = await app.inject({ url: "/", headers: { cookie: "lang=mi" } });
    expect(langOf(next.body)).toBe("mi");
    expect(next.body).toContain('href="/public/eastern?lang=mi"');
  });

  it("follows Accept-Language when nothing was chosen, and is English by default", async () => {
    const { app } = harness();
    expect(langOf((await app.inject({ url: "/", headers: { "accept-language": "mi, en;q=0.8" } })).body)).toBe("mi");
    const english = await app.inject({ url: "/", headers: { "accept-language": "en-NZ, mi;q=0.5" } });
    expect(langOf(english.body)).toBe("en-NZ");
    expect(english.headers["set-cookie"]).toBeUndefined();
    expect(english.body).toContain('href="/public/eastern"');
    // A chosen language beats the browser's.
    expect(langOf((await app.inject({ url: "/?lang=en", headers: { "accept-language": "mi" } })).body)).toBe("en-NZ");
  });

  it("is switchable from every page: each language by its own name, a link to this page in it", async () => {
    const { app } = harness();
    const pages = [
      await app.inject({ url: "/" }),
      await app.inject({ url: "/login" }),
      await app.inject({ url: "/public/eastern?quarter=2026-Q3" }),
      await app.inject({ url: "/briefings/eastern?week=2026-W47", headers: bearer }),
      await app.inject({ url: "/briefings/northland?week=2026-W47", headers: bearer }),
      await app.inject({ url: "/public/atlantis" }),
    ];
    expect(pages.map((p) => p.statusCode)).toEqual([200, 200, 200, 200, 403, 404]);
    for (const p of pages) {
      expect(p.body).toMatch(/<a class="skip" href="#main">Skip to the main content<\/a>/);
      expect(p.body).toMatch(/<header>.*<\/header><main id="main" tabindex="-1">/);
      expect(p.body).toMatch(/<nav class="lang" aria-label="Language"><ul><li><a href="[^"]*lang=en" lang="en-NZ" hreflang="en-NZ" aria-current="true">English<\/a><\/li><li><a href="[^"]*lang=mi" lang="mi" hreflang="mi">Te reo Māori<\/a><\/li><\/ul><\/nav>/);
    }
    expect(pages[3]!.body).toContain('href="/briefings/eastern?week=2026-W47&amp;lang=mi" lang="mi"');
  });

  it("renders errors in the reader's language with their stable code", async () => {
    const { app } = harness();
    const missing = await app.inject({ url: "/public/atlantis?lang=mi" });
    expect(missing.statusCode).toBe(404);
    expect(missing.body).toContain("Kāore he rohe pānui e pērā ana te ingoa.");
    expect(missing.body).toContain("<code>REGION_NOT_FOUND</code>");
    expect(missing.body).toContain("<li>counties-manukau</li>");
    const out = await app.inject({ url: "/briefings/northland?week=2026-W47", headers: { ...bearer, cookie: "lang=mi" } });
    expect(out.body).toContain("Kāore koe e whakaaetia ki tēnā rohe.");
    // An unknown language is bad input: 400 with its field path, the page in the language negotiated otherwise.
    const bad = await app.inject({ url: "/public/eastern?lang=fr", headers: { "accept-language": "mi" } });
    expect(bad.statusCode).toBe(400);
    expect(langOf(bad.body)).toBe("mi");
    expect(bad.body).toContain("<code>lang</code>: <code>invalid_value</code>");
    expect((await app.inject({ url: "/v1/public/eastern?lang=fr" })).json().error.issues[0].path).toBe("lang");
  });

  it("keeps the language through sign-in and sign-out", async () => {
    const { app } = harness();
    const sent = await app.inject({ url: "/briefings/eastern?lang=mi" });
    expect(sent.headers.location).toBe("/login?next=%2Fbriefings%2Feastern%3Flang%3Dmi&lang=mi");
    const form = await app.inject({ url: String(sent.headers.location) });
    expect(form.body).toContain('<form class="login" method="post" action="/login?lang=mi">');
    expect(form.body).toContain('<label for="token">Tohu uru</label>');
    expect(form.body).toContain('value="/briefings/eastern?lang=mi"');
    const post = { method: "POST" as const, url: "/login?lang=mi", headers: { "content-type": "application/x-www-form-urlencoded" } };
    const wrong = await app.inject({ ...post, payload: "token=nope-nope-nope-nope" });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('<p role="alert">Kāore i mōhiotia tēnā tohu.</p>');
    const ok = await app.inject({ ...post, payload: `token=${TOKEN}` });
    expect(ok.headers.location).toBe("/briefings/eastern?lang=mi");
    const session = String(ok.headers["set-cookie"]).split(",").find((c) => c.startsWith("takitini_briefing="))!.split(";")[0]!;
    const page = await app.inject({ url: "/briefings/eastern?week=2026-W47&lang=mi", headers: { cookie: session } });
    expect(page.body).toContain('<form method="post" action="/logout?lang=mi" class="noprint"><button type="submit">Takiputa</button></form>');
    const out = await app.inject({ method: "POST", url: "/logout?lang=mi", headers: { cookie: session } });
    expect(out.headers.location).toBe("/?lang=mi");
    // A next page outside a leader's briefing, or with anything but a week and a language, is not followed.
    for (const next of ["/public/eastern", "/briefings/eastern?lang=fr", "/briefings/eastern?week=2026-W47&week=2026-W46", "/briefings/eastern?x=1", "//evil.example/briefings/x"]) {
      const res = await app.inject({ ...post, payload: `token=${TOKEN}&next=${encodeURIComponent(next)}` });
      expect(res.headers.location, next).toBe("/briefings/eastern?lang=mi");
    }
  });

  it("answers JSON in the language asked for with ?lang=, English otherwise", async () => {
    const { app } = harness();
    const mi = (await app.inject({ url: "/v1/briefings/eastern?week=2026-W47&lang=mi", headers: bearer })).json();
    expect(mi.sections.map((s: { title: string }) => s.title)).toEqual(["Te kino o te tarukino", "Te tūkino i ngā kaimahi manene", "Te tinihanga me ngā hīanga", "Te tautoko me ngā ratonga", "Ngā whakahaere me ngā pānui tautoko"]);
    expect(mi.period.label).toBe("Wiki 47, 2026");
    const en = (await app.inject({ url: "/v1/briefings/eastern?week=2026-W47", headers: { ...bearer, cookie: "lang=mi", "accept-language": "mi" } })).json();
    expect(en.sections[0].title).toBe("Drug harm");
  });
});
