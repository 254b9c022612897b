/**
 * WCAG 2.2 AA on every page of the briefing, in English and te reo Māori:
 * axe-core (injected with addScriptTag) in headless Chromium (Debian's
 * chromium, driven by playwright-core) on the pages the real briefing app
 * serves — index, sign-in (and its refusals), the public briefing, the leader's
 * briefing after signing in through the form, the leader's submission form (and
 * it sent back with problems) and their submissions, and the error pages (403,
 * 404, 400) — at desktop and phone width; the check shown to catch broken pages;
 * keyboard use (skip link, visible focus); and the leader's briefing printed to
 * A4. Throws — never skips — when Chromium cannot be launched.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LANGS, type Lang } from "./messages.js";
import { SAMPLE_QUARTER, SAMPLE_WEEK, startSampleApp, type SampleApp } from "./tools/sample.js";

const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");
const TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

let browser: Browser;
let sample: SampleApp;

beforeAll(async () => {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install Debian's chromium package (npm test does) or set CHROMIUM_PATH`);
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  sample = await startSampleApp();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await sample?.close();
});

interface Violation {
  id: string;
  impact: string | null;
  nodes: { target: unknown[] }[];
}

/** axe-core's WCAG 2.2 AA rules on the page as it stands: the violations, each with the elements at fault. */
async function axe(page: Page): Promise<{ violations: string[]; passes: number }> {
  await page.addScriptTag({ path: AXE });
  const result = await page.evaluate(async (tags) => {
    const r = await (globalThis as unknown as { axe: { run: (c: unknown, o: unknown) => Promise<{ violations: Violation[]; passes: unknown[] }> } }).axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return { violations: r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")}`), passes: r.passes.length };
  }, TAGS);
  return result;
}

/** A browser context signed in as the sample's Eastern leader, through the sign-in form, in a language. */
async function signedIn(lang: Lang, viewport = DESKTOP): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport, locale: "en-NZ" });
  const page = await context.newPage();
  await page.goto(`${sample.base}/briefings/eastern?week=${SAMPLE_WEEK}&lang=${lang}`);
  expect(new URL(page.url()).pathname).toBe("/login");
  await page.fill("#token", sample.token);
  await Promise.all([page.waitForURL(/\/briefings\/eastern/), page.click("button[type=submit]")]);
  return { context, page };
}

describe.each(LANGS)("every page in %s", (lang) => {
  const pages: [string, string][] = [
    ["index", "/"],
    ["sign-in", "/login"],
    ["sign-in after a session ended", "/login?session=ended"],
    ["public briefing", `/public/eastern?quarter=${SAMPLE_QUARTER}`],
    ["public briefing with no figures", "/public/southern"],
    ["404: no such region", "/public/atlantis"],
    ["400: a bad period", "/public/eastern?quarter=Q3"],
  ];

  it.each(pages)("has no WCAG 2.2 AA violation: %s, at desktop and phone width", async (_name, path) => {
    for (const viewport of [DESKTOP, PHONE]) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      const res = await page.goto(`${sample.base}${path}${path.includes("?") ? "&" : "?"}lang=${lang}`);
      expect(res!.headers()["content-type"]).toMatch(/text\/html/);
      expect(await page.getAttribute("html", "lang")).toBe(lang === "mi" ? "mi" : "en-NZ");
      const { violations, passes } = await axe(page);
      expect(violations, `${path} at ${viewport.width}px`).toEqual([]);
      expect(passes).toBeGreaterThan(10);
      await context.close();
    }
  }, 60_000);

  it("has no violation on the leader's pages after signing in: their briefing, an earlier week, another region (403), a refused sign-in", async () => {
    for (const viewport of [DESKTOP, PHONE]) {
      const { context, page } = await signedIn(lang, viewport);
      expect(await page.getAttribute("html", "lang")).toBe(lang === "mi" ? "mi" : "en-NZ");
      expect(await page.locator("section[data-available=true] table").count()).toBeGreaterThan(4);
      expect((await axe(page)).violations).toEqual([]);
      // Links keep the language.
      await Promise.all([page.waitForURL(/week=2026-W46/), page.click("a[rel=prev]")]);
      expect(page.url()).toContain(`lang=${lang}`);
      expect((await axe(page)).violations).toEqual([]);
      const refused = await page.goto(`${sample.base}/briefings/northland?week=${SAMPLE_WEEK}`);
      expect(refused!.status()).toBe(403);
      expect(await page.getAttribute("html", "lang")).toBe(lang === "mi" ? "mi" : "en-NZ"); // kept by the cookie
      expect((await axe(page)).violations).toEqual([]);
      await context.close();
    }
    // Talking back: the form, the form sent back with its problems, the leader's submissions with their status.
    for (const viewport of [DESKTOP, PHONE]) {
      const { context, page } = await signedIn(lang, viewport);
      await page.goto(`${sample.base}/submit?region=eastern`);
      expect(await page.getAttribute("html", "lang")).toBe(lang === "mi" ? "mi" : "en-NZ");
      expect((await axe(page)).violations).toEqual([]);
      await Promise.all([page.waitForLoadState("load"), page.click("form.submit button[type=submit]")]);
      expect(await page.locator("[aria-invalid=true]").count()).toBeGreaterThan(0);
      expect((await axe(page)).violations).toEqual([]);
      await page.selectOption("#f-topic", "drug_supply");
      await page.fill("#f-text", "Cars come and go from the house by the river every night.");
      await Promise.all([page.waitForURL(/\/submissions\?received=TK-/), page.click("form.submit button[type=submit]")]);
      expect(await page.locator("tr[data-status=shared]").count()).toBeGreaterThan(0);
      expect((await axe(page)).violations).toEqual([]);
      await context.close();
    }
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${sample.base}/login?lang=${lang}`);
    await page.fill("#token", "not-a-token-anyone-holds");
    await Promise.all([page.waitForLoadState("load"), page.click("button[type=submit]")]);
    expect(await page.locator("[role=alert]").count()).toBe(1);
    expect((await axe(page)).violations).toEqual([]);
    await context.close();
  }, 120_000);
});

describe("the accessibility check", () => {
  it("catches a broken page: an image without alt, an unlabelled field, a missing language", async () => {
    const page = await browser.newPage();
    await page.setContent(`<!doctype html><html><head><title>Broken</title></head><body><main><h1>Broken</h1><img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text"></main></body></html>`);
    const ids = (await axe(page)).violations.map((v) => v.split(" ")[0]);
    expect(ids).toEqual(expect.arrayContaining(["image-alt", "label", "html-has-lang"]));
    await page.close();
  });

  it("catches a briefing page broken after rendering: text too faint, the language removed", async () => {
    const { context, page } = await signedIn("en");
    expect((await axe(page)).violations).toEqual([]);
    await page.evaluate(() => {
      document.documentElement.style.setProperty("--muted", "#bbb");
      document.documentElement.removeAttribute("lang");
    });
    const ids = (await axe(page)).violations.map((v) => v.split(" ")[0]);
    expect(ids).toEqual(expect.arrayContaining(["color-contrast", "html-has-lang"]));
    await context.close();
  }, 60_000);
});

describe("keyboard use", () => {
  it.each(LANGS)("starts with a visible skip link to the main content, and shows where the focus is (%s)", async (lang) => {
    const { context, page } = await signedIn(lang);
    await page.keyboard.press("Tab");
    const skip = await page.evaluate(() => {
      const a = document.activeElement as HTMLElement;
      const box = a.getBoundingClientRect();
      const style = getComputedStyle(a);
      return { cls: a.className, href: a.getAttribute("href"), visible: box.left >= 0 && box.top >= 0 && box.width > 0, outline: style.outlineStyle, outlineWidth: style.outlineWidth };
    });
    expect(skip).toMatchObject({ cls: "skip", href: "#main", visible: true, outline: "solid", outlineWidth: "3px" });
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).toBe("main");
    // The next stop is in the main content; the language switch is reachable from the header.
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.closest("main") !== null)).toBe(true);
    await context.close();
  }, 60_000);
});

/** The size of each page of a PDF, in points, from its page objects' MediaBox. */
function pageSizes(pdf: Buffer): { width: number; height: number }[] {
  const text = pdf.toString("latin1");
  return [...text.matchAll(/\/Type\s*\/Page\b[^s][\s\S]*?\/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]/g)].map((m) => ({
    width: Number(m[3]) - Number(m[1]),
    height: Number(m[4]) - Number(m[2]),
  }));
}

const A4 = { width: 595.28, height: 841.89 };

describe("printing a leader's briefing", () => {
  it.each(LANGS)("gives A4 pages, with navigation, sign-out and the language switch left off (%s)", async (lang) => {
    const { context, page } = await signedIn(lang);
    const pdf = await page.pdf({ format: "A4", printBackground: true });
    const sizes = pageSizes(pdf);
    expect(sizes.length).toBeGreaterThan(1);
    for (const s of sizes) {
      expect(Math.abs(s.width - A4.width)).toBeLessThan(2);
      expect(Math.abs(s.height - A4.height)).toBeLessThan(2);
    }
    // The page asks for A4 itself (@page size): printed with the browser's default of Letter, it still comes out A4.
    const own = pageSizes(await page.pdf({ format: "Letter", preferCSSPageSize: true }));
    for (const s of own) expect(Math.abs(s.height - A4.height)).toBeLessThan(2);
    await page.emulateMedia({ media: "print" });
    const hidden = await page.evaluate(() =>
      ["nav.lang", "nav.periods", "nav.contents", ".skip", "form[action^='/logout']"].map((sel) => {
        const el = document.querySelector(sel);
        return el ? getComputedStyle(el).display : "absent";
      }),
    );
    expect(hidden).toEqual(["none", "none", "none", "none", "none"]);
    // A table is kept on one page where it fits; a longer one breaks between rows, its header repeated.
    const tables = await page.evaluate(() => ({
      table: getComputedStyle(document.querySelector(".table-wrap")!).breakInside,
      row: getComputedStyle(document.querySelector("tbody tr")!).breakInside,
      head: getComputedStyle(document.querySelector("thead")!).display,
    }));
    expect(tables).toEqual({ table: "avoid", row: "avoid", head: "table-header-group" });
    await context.close();
  }, 60_000);
});
