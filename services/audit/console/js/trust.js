/**
 * Ledger signing keys the officer has pinned as trusted, by key id (hex
 * SHA-256 of the SPKI), kept in this browser's localStorage. The service hands
 * out a public key with every head; only a key pinned from an independent
 * source (the published key id) shows that the operators did not re-sign.
 */

const KEY = "takitini.console.trusted-key-ids";

/** @returns {string[]} */
export function trustedKeyIds() {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? "[]");
    return Array.isArray(raw) ? raw.filter((k) => typeof k === "string" && /^[0-9a-f]{64}$/.test(k)) : [];
  } catch {
    return [];
  }
}

/** @param {string[]} ids */
function save(ids) {
  localStorage.setItem(KEY, JSON.stringify([...new Set(ids)]));
}

/** @param {string} keyId */
export function pinKey(keyId) {
  save([...trustedKeyIds(), keyId.toLowerCase()]);
}

/** @param {string} keyId */
export function unpinKey(keyId) {
  save(trustedKeyIds().filter((k) => k !== keyId.toLowerCase()));
}
