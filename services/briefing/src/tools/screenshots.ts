import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { LANGS } from "../messages.js";
import { SAMPLE_WEEK, startSampleApp } from "./sample.js";

/**
 * The screenshots in `services/briefing/docs/`: an Eastern community leader's
 * briefing for the sample week, signed in through the sign-in form of the
 * real briefing app (src/tools/sample.ts: a seeded synthetic half-year), in
 * each language, at phone (390×844) and desktop (1280×800) width: whole pages
 * in English, the first screen in te reo Māori.
 *
 *   npm run -w @takitini/briefing docs:screenshots [-- <out dir>]
 *
 * Chromium: Debian's (CHROMIUM_PATH, default /usr/bin/chromium).
 */

const SIZES = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } } as const;

async function main(): Promise<void> {
  const out = process.argv[2] ?? fileURLToPath(new URL("../../docs/", import.meta.url));
  mkdirSync(out, { recursive: true });
  const sample = await startSampleApp();
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
  try {
    for (const lang of LANGS) {
      for (const [name, viewport] of Object.entries(SIZES)) {
        const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
        const page = await context.newPage();
        await page.goto(`${sample.base}/briefings/eastern?week=${SAMPLE_WEEK}&lang=${lang}`);
        await page.fill("#token", sample.token);
        await Promise.all([page.waitForURL(/\/briefings\/eastern/), page.click("button[type=submit]")]);
        const file = `${out.replace(/\/?$/, "/")}leader-briefing-${lang}-${name}.png`;
        // English whole pages; te reo Māori the first screen (the words are the catalogue's, reviewed there).
        await page.screenshot({ path: file, fullPage: lang === "en" });
        process.stdout.write(`${file}\n`);
        await context.close();
      }
    }
  } finally {
    await browser.close();
    await sample.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`screenshots: ${(err as Error).message}\n`);
  process.exit(1);
});
