/**
 * The oversight API from the browser: same-origin JSON with the session cookie.
 * A 401 sends the officer to sign in and come back; other errors surface with
 * their stable code and field paths.
 */

/** @typedef {import("./types.js").ApiIssue} ApiIssue */

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   * @param {ApiIssue[]} issues
   */
  constructor(status, code, message, issues) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.issues = issues;
  }
}

const NEXT_KEY = "takitini.console.next";

/** Send the officer to sign in, remembering where to come back to. */
export function signInAgain() {
  try {
    sessionStorage.setItem(NEXT_KEY, location.pathname + location.search);
  } catch {
    /* storage unavailable: return to the search page instead */
  }
  location.assign("/console/login?error=session");
}

/** Where to return to after signing in, once; undefined if nowhere. */
export function takeReturnPath() {
  try {
    const next = sessionStorage.getItem(NEXT_KEY);
    sessionStorage.removeItem(NEXT_KEY);
    return next ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * @param {Response} res
 * @returns {Promise<ApiError>}
 */
async function errorOf(res) {
  /** @type {unknown} */
  let body = null;
  try {
    body = await res.json();
  } catch {
    /* not JSON */
  }
  const e = typeof body === "object" && body !== null && "error" in body ? /** @type {{ error: Partial<import("./types.js").ApiErrorBody["error"]> }} */ (body).error : {};
  return new ApiError(res.status, String(e.code ?? `HTTP_${res.status}`), String(e.message ?? res.statusText), Array.isArray(e.issues) ? e.issues : []);
}

/**
 * @template T
 * @param {string} url
 * @param {RequestInit} [init]
 * @returns {Promise<T>}
 */
export async function requestJson(url, init = {}) {
  const res = await fetch(url, { credentials: "same-origin", cache: "no-store", ...init, headers: { accept: "application/json", ...init.headers } });
  if (res.status === 401) {
    signInAgain();
    throw await errorOf(res);
  }
  if (!res.ok) throw await errorOf(res);
  return /** @type {Promise<T>} */ (res.json());
}

/**
 * @template T
 * @param {string} url
 * @returns {Promise<T>}
 */
export function getJson(url) {
  return requestJson(url);
}

/**
 * @template T
 * @param {string} url
 * @returns {Promise<T>}
 */
export function postJson(url) {
  return requestJson(url, { method: "POST" });
}
