/** What every console page shares: the current-page marker, the return after sign-in, error display. */
import { ApiError, takeReturnPath } from "./api.js";
import { el, fill } from "./dom.js";
import { safeNext } from "./query.js";

/**
 * Run once per page before its own code. Returns false when the page is about
 * to be replaced (returning to where the officer was before signing in).
 */
export function startPage() {
  const next = safeNext(takeReturnPath());
  if (next && next !== location.pathname + location.search) {
    location.replace(next);
    return false;
  }
  for (const a of document.querySelectorAll("nav.site a")) {
    if (a instanceof HTMLAnchorElement && a.pathname === location.pathname) a.setAttribute("aria-current", "page");
  }
  return true;
}

/**
 * Show an error in the page's alert region; field issues are listed by path.
 * @param {unknown} err
 */
export function showError(err) {
  const region = document.getElementById("page-error");
  if (!region) return;
  if (err instanceof ApiError && err.status === 401) return; // on the way to sign-in
  const title = err instanceof ApiError ? `${err.message} (${err.code})` : err instanceof Error ? err.message : String(err);
  const issues = err instanceof ApiError ? err.issues : [];
  fill(region, el("p", {}, title), issues.length ? el("ul", {}, ...issues.map((i) => el("li", {}, el("code", {}, i.path || "(query)"), `: ${i.message}`))) : null);
  region.hidden = false;
}

export function clearError() {
  const region = document.getElementById("page-error");
  if (!region) return;
  region.replaceChildren();
  region.hidden = true;
}

/**
 * Mark the page busy (aria-busy) while work runs.
 * @template T
 * @param {() => Promise<T>} work
 */
export async function busy(work) {
  const main = document.querySelector("main");
  main?.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    main?.removeAttribute("aria-busy");
  }
}
