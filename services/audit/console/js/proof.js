/**
 * The proof verification status of one record, computed in the browser from
 * what GET /v1/records/:id returns — nothing the server says about validity is
 * taken on trust:
 *
 *   0. the leaf hash is computed here from the leaf entry's bytes (RFC 6962:
 *      SHA-256 of 0x00 || entry), never taken from the server; the entry must
 *      name the record shown (index, kind, id), and for the kinds recorded.js
 *      reads, the record's fields decoded from those bytes must equal the
 *      server's copy (the index's columns and doc) — else "failed";
 *   1. the record sits at the ledger index the proof is for;
 *   2. the proof is against the signed head it carries (same size, same root);
 *   3. the inclusion path leads from that leaf hash to the head's
 *      root (RFC 9162 §2.1.3.2);
 *   4. the head's key id is SHA-256 of the public key given;
 *   5. the Ed25519 signature over the head's canonical encoding verifies;
 *   6. if the officer has pinned trusted key ids, the key is one of them — a
 *      key the service presents proves nothing about the operators by itself.
 *
 * "pending" when no signed head covers the record yet. Pure: no DOM.
 */
import { leafHashOf, parseEntry } from "./entry.js";
import { bytesEqual, fromBase64, fromHex, pemToDer, toHex } from "./hex.js";
import { encodeTreeHead, keyIdOf, timestampMsOf, verifyEd25519 } from "./head.js";
import { rootFromInclusion } from "./merkle.js";
import { differences, recordedFields } from "./recorded.js";

/** @typedef {import("./types.js").RecordDetail} RecordDetail */

/**
 * @typedef {"verified" | "failed" | "pending" | "unchecked"} ProofStatus
 * @typedef {{ id: string, label: string, ok: boolean, detail: string }} ProofCheck
 * @typedef {{
 *   status: ProofStatus,
 *   summary: string,
 *   checks: ProofCheck[],
 *   keyId: string | null,
 *   keyPinned: boolean,
 *   treeSize: number | null,
 *   issuedAt: string | null,
 *   signed?: SignedRecord,
 * }} ProofVerdict
 * @typedef {{ entry: import("./entry.js").LeafEntry, fields: import("./recorded.js").RecordedFields | undefined }} SignedRecord
 *   what the leaf entry's bytes say (fields: undefined for a kind the console does not read)
 */

/**
 * @param {ProofCheck[]} checks
 * @param {Partial<ProofVerdict>} extra
 * @returns {ProofVerdict}
 */
function failed(checks, extra = {}) {
  const first = checks.find((c) => !c.ok);
  return {
    status: "failed",
    summary: first ? `${first.label}: ${first.detail}` : "the proof did not verify",
    checks,
    keyId: null,
    keyPinned: false,
    treeSize: null,
    issuedAt: null,
    ...extra,
  };
}

/**
 * The record's verdict from the entry bytes the server sent: steps 0–6.
 * @param {RecordDetail} detail
 * @param {{ trustedKeyIds?: readonly string[] }} [options] key ids (hex) the officer has pinned
 * @returns {Promise<ProofVerdict>}
 */
export async function checkRecordProof(detail, options = {}) {
  const bytes = fromBase64(detail.ledger?.entry);
  const entry = bytes ? parseEntry(bytes) : undefined;
  /** @type {ProofCheck[]} */
  const own = [
    {
      id: "entry",
      label: "Leaf entry",
      ok: entry !== undefined,
      detail: entry ? `${bytes?.length} bytes, hashed here` : "the server sent no well-formed leaf entry for this record",
    },
  ];
  if (!entry || !bytes) return failed(own);
  /** @type {SignedRecord} */
  let signed;
  try {
    signed = { entry, fields: recordedFields(entry.kind, entry.payload, entry.appendedAtMs) };
  } catch (err) {
    return failed([...own, { id: "content", label: "Record content", ok: false, detail: `the ${entry.kind} record's bytes do not decode (${err instanceof Error ? err.message : String(err)})` }]);
  }
  const named = entry.index === detail.ledger?.index && entry.recordId === detail.record?.id && entry.kind === detail.record?.kind;
  own.push({ id: "record", label: "Record named", ok: named, detail: named ? `the entry is ${entry.kind} ${entry.recordId} at leaf ${entry.index}` : `the entry is ${entry.kind} ${entry.recordId} at leaf ${entry.index}, not the record shown` });
  if (signed.fields) {
    const differ = differences(signed.fields, /** @type {Record<string, unknown>} */ (/** @type {unknown} */ (detail.record)));
    own.push({
      id: "content",
      label: "Record content",
      ok: differ.length === 0,
      detail: differ.length === 0 ? "every field shown is decoded from the signed bytes" : `the server's copy differs from the signed record in ${differ.join(", ")}`,
    });
  }
  const v = await checkLeafProof(detail, await leafHashOf(bytes), options);
  const checks = [own[0], ...v.checks, ...own.slice(1)].filter((c) => c !== undefined);
  const bad = own.find((c) => !c.ok);
  if (bad) return { ...v, status: "failed", summary: `${bad.label}: ${bad.detail}`, checks, signed };
  return { ...v, checks, signed };
}

/**
 * Steps 1–6 for a leaf hash already computed (the unit tests drive the RFC test vectors through this).
 * @param {RecordDetail} detail
 * @param {Uint8Array | undefined} leafHash
 * @param {{ trustedKeyIds?: readonly string[] }} [options] key ids (hex) the officer has pinned
 * @returns {Promise<ProofVerdict>}
 */
export async function checkLeafProof(detail, leafHash, options = {}) {
  const trusted = (options.trustedKeyIds ?? []).map((k) => k.toLowerCase());
  /** @type {ProofCheck[]} */
  const checks = [];
  /**
   * @param {string} id
   * @param {string} label
   * @param {boolean} ok
   * @param {string} text
   */
  const check = (id, label, ok, text) => {
    checks.push({ id, label, ok, detail: text });
    return ok;
  };

  const proof = detail.proof;
  if (proof === null || proof === undefined) {
    return {
      status: "pending",
      summary: "No signed tree head covers this record yet; it is in the ledger but cannot be proved until the next head is signed.",
      checks,
      keyId: null,
      keyPinned: false,
      treeSize: null,
      issuedAt: null,
    };
  }
  const head = proof.head;
  const index = detail.ledger?.index;
  const root = fromHex(proof.root_hash);
  const headRoot = fromHex(head?.root_hash);
  const keyId = fromHex(head?.key_id);
  const signature = fromBase64(head?.signature);
  const spki = pemToDer(head?.public_key);
  const timestampMs = timestampMsOf(head?.issued_at);
  const path = Array.isArray(proof.inclusion) ? proof.inclusion.map(fromHex) : [];

  const wellFormed =
    Number.isSafeInteger(index) &&
    leafHash?.length === 32 &&
    root?.length === 32 &&
    headRoot?.length === 32 &&
    keyId?.length === 32 &&
    signature !== undefined &&
    spki !== undefined &&
    timestampMs !== undefined &&
    Number.isSafeInteger(proof.tree_size) &&
    Number.isSafeInteger(head?.tree_size) &&
    Array.isArray(proof.inclusion) &&
    path.every((p) => p?.length === 32);
  if (!check("form", "Proof data", wellFormed, wellFormed ? "all hashes, the key and the signature are well formed" : "a hash, the key, the signature or a size is malformed")) {
    return failed(checks);
  }
  // Narrowed by wellFormed; restated for the type checker.
  if (!leafHash || !root || !headRoot || !keyId || !signature || !spki || timestampMs === undefined || index === undefined) return failed(checks);
  const hashes = /** @type {Uint8Array[]} */ (path);
  const extra = { keyId: toHex(keyId), treeSize: head.tree_size, issuedAt: head.issued_at };

  check("index", "Ledger position", detail.record?.index === index, detail.record?.index === index ? `record is leaf ${index}` : `record says index ${detail.record?.index}, ledger says ${index}`);
  const sameHead = proof.tree_size === head.tree_size && bytesEqual(root, headRoot);
  check("head", "Proof against the signed head", sameHead, sameHead ? `tree of ${head.tree_size} records` : "the proof's tree size or root differs from the signed head's");

  const got = await rootFromInclusion(leafHash, index, proof.tree_size, hashes);
  const included = got.ok && bytesEqual(got.root, headRoot);
  check(
    "inclusion",
    "Inclusion (RFC 9162)",
    included,
    included ? `the path of ${hashes.length} hashes leads from the leaf to the signed root` : got.ok ? "the path leads to a different root" : `the path is invalid (${got.reason})`,
  );

  const actualKeyId = await keyIdOf(spki);
  const keyMatches = bytesEqual(actualKeyId, keyId);
  check("key-id", "Key id", keyMatches, keyMatches ? `key ${toHex(keyId).slice(0, 16)}… is SHA-256 of the public key` : "the key id is not SHA-256 of the public key given");

  const message = encodeTreeHead({ treeSize: head.tree_size, timestampMs, rootHash: headRoot, keyId });
  const verdict = await verifyEd25519(spki, signature, message);
  if (verdict === "unsupported") {
    return {
      status: "unchecked",
      summary: "This browser cannot check Ed25519 signatures (WebCrypto); use a current Chromium or the command-line verifier.",
      checks,
      keyPinned: false,
      ...extra,
    };
  }
  check(
    "signature",
    "Ed25519 signature",
    verdict === "ok",
    verdict === "ok" ? "the head's signature verifies" : verdict === "bad-key" ? "the public key is not an Ed25519 key" : "the signature does not match the head",
  );

  const keyPinned = trusted.includes(toHex(keyId));
  if (trusted.length > 0) check("trust", "Trusted key", keyPinned, keyPinned ? "the key is one you pinned" : "signed by a key you have not pinned as trusted");

  if (checks.some((c) => !c.ok)) return failed(checks, { ...extra, keyPinned });
  return {
    status: "verified",
    summary: keyPinned
      ? `Included in the ledger's tree of ${head.tree_size} records, whose head is signed by a key you trust.`
      : `Included in the ledger's tree of ${head.tree_size} records, whose head's signature verifies. Pin the key id to detect a head signed by any other key.`,
    checks,
    keyPinned,
    ...extra,
  };
}
