/**
 * The report's PDF, printed by headless Chromium (Debian's `chromium`, driven by
 * playwright-core, as the end-to-end suite does): the HTML page set as content
 * with JavaScript off and every network request refused, printed to A4 with its
 * own @page rules. One browser per rendering, closed after it: reports are rare,
 * and nothing is left running.
 *
 * playwright-core is imported at the first rendering, not at start: loading it
 * costs the process about 30 MiB of heap and 70 MiB of resident memory
 * (test/bench/README.md, "Memory"), which the audit would otherwise carry for a
 * report printed a few times a year.
 */
import { existsSync } from "node:fs";

export class PdfUnavailableError extends Error {}

export interface PdfRenderer {
  render(html: string): Promise<Buffer>;
}

export function chromiumPdf(executablePath: string, timeoutMs = 60_000): PdfRenderer {
  // One Chromium at a time, whoever asks: a burst of requests for many reports queues, never forks a browser each.
  let queue: Promise<unknown> = Promise.resolve();
  const one = async (html: string): Promise<Buffer> => {
    if (!existsSync(executablePath)) throw new PdfUnavailableError(`Chromium not found at ${executablePath} (install Debian's chromium package or set CHROMIUM_PATH)`);
    // Running as root (as CI does) needs --no-sandbox.
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath, headless: true, timeout: timeoutMs, args: ["--no-sandbox", "--disable-dev-shm-usage"] });
    try {
      const context = await browser.newContext({ javaScriptEnabled: false });
      await context.route("**/*", (route) => route.abort());
      const page = await context.newPage();
      page.setDefaultTimeout(timeoutMs);
      await page.setContent(html, { waitUntil: "load" });
      return await page.pdf({ format: "A4", printBackground: true, preferCSSPageSize: true, tagged: true, outline: true });
    } finally {
      await browser.close();
    }
  };
  return {
    render(html) {
      const run = queue.then(() => one(html));
      queue = run.catch(() => undefined);
      return run;
    },
  };
}
