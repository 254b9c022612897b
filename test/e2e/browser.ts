import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
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
