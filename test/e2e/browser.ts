import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/**
 * Headless Chromium for end-to-end checks of rendered pages: Debian's chromium
 * package (installed by `npm test` when missing, see infra/bin/takitini) driven
 * by playwright-core. Throws — never skips — when it cannot be launched.
 */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Chromium not found at ${CHROMIUM_PATH}: install Debian's chromium package (npm test does) or set CHROMIUM_PATH`);
  }
  // Running as root (as CI does) needs --no-sandbox.
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
}
