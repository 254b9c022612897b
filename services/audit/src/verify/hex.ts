/** Strict hex decoding for proofs and heads that arrive as text (files, HTTP, the command line). */

const HEX = /^(?:[0-9a-fA-F]{2})*$/;

/** The bytes of an even-length hex string, or undefined for anything else. */
export function fromHex(text: unknown): Buffer | undefined {
  if (typeof text !== "string" || !HEX.test(text)) return undefined;
  return Buffer.from(text, "hex");
}
