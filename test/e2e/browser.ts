import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { chromium, type Browser, type Page } from "playwright-core";
import { serviceSpki, TLS_SERVICES } from "./stack.js";

/**
 * Headless Chromium for end-to-end checks of rendered pages: Debian's chromium
 * package (installed by `npm test` when missing, see infra/bin/takitini) driven
 * by playwright-core. Throws — never skips — when it cannot be launched.
 *
 * The audit's and the briefing's pages are HTTPS with the suite's certificates
 * (stack.ts): Chromium accepts exactly those certificates' keys
 * (--ignore-certificate-errors-spki-list, the SHA-256 of each one's public key),
 * and refuses any other certificate its roots do not vouch for.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install Debian's chromium package (npm test does) or set CHROMIUM_PATH`);
  }
  // Running as root (as CI does) needs --no-sandbox.
  const spki = [...TLS_SERVICES].map(serviceSpki).join(",");
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage", `--ignore-certificate-errors-spki-list=${spki}`] });
}

/** The WCAG 2.2 AA rules axe-core checks (wcag2a … wcag22aa). */
export const WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/**
 * axe-core (injected into the page) on the page as it stands: each WCAG 2.2 AA
 * violation as "rule (impact): the elements at fault"; none is [].
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: createRequire(import.meta.url).resolve("axe-core/axe.min.js") });
  return page.evaluate(async (tags) => {
    type Result = { violations: { id: string; impact: string | null; nodes: { target: unknown[] }[] }[] };
    const axe = (globalThis as unknown as { axe: { run: (context: unknown, options: unknown) => Promise<Result> } }).axe;
    const r = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return r.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(", ")}`);
  }, WCAG_TAGS);
}
