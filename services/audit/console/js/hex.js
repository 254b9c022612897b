/** Strict decoding of the hex, base64 and PEM text the API returns. Pure: no DOM. */

const HEX = /^(?:[0-9a-fA-F]{2})*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The bytes of an even-length hex string, or undefined for anything else.
 * @param {unknown} text
 * @returns {Uint8Array | undefined}
 */
export function fromHex(text) {
  if (typeof text !== "string" || !HEX.test(text)) return undefined;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * @param {Uint8Array} bytes
 * @returns {string} lower-case hex
 */
export function toHex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/**
 * The bytes of padded standard base64, or undefined for anything else.
 * @param {unknown} text
 * @returns {Uint8Array | undefined}
 */
export function fromBase64(text) {
  if (typeof text !== "string" || !BASE64.test(text)) return undefined;
  const bin = atob(text);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * The DER bytes of the one PEM block with the given label (default PUBLIC KEY,
 * i.e. a SubjectPublicKeyInfo), or undefined when the text is not exactly that.
 * @param {unknown} pem
 * @param {string} [label]
 * @returns {Uint8Array | undefined}
 */
export function pemToDer(pem, label = "PUBLIC KEY") {
  if (typeof pem !== "string") return undefined;
  const begin = `-----BEGIN ${label}-----`;
  const end = `-----END ${label}-----`;
  const text = pem.trim();
  if (!text.startsWith(begin) || !text.endsWith(end)) return undefined;
  const body = text.slice(begin.length, text.length - end.length).replace(/[\r\n]/g, "");
  if (body.length === 0) return undefined;
  return fromBase64(body);
}

/**
 * Constant-time comparison of two byte strings (lengths are not secret).
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
export function bytesEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
