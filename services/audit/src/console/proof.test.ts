import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { leafHash } from "../merkle/hash.js";
import { createSigner } from "../merkle/head.js";
import { verifyInclusion } from "../../console/js/merkle.js";
import { fromHex } from "../../console/js/hex.js";
import { checkLeafProof } from "../../console/js/proof.js";
import type { RecordDetail } from "../../console/js/types.js";

const load = (p: string) => JSON.parse(readFileSync(new URL(`../../test-vectors/${p}`, import.meta.url), "utf8"));
const tree8 = load("known/tree8.json") as { leaves: string[]; roots: Record<string, string>; inclusion: { index: number; size: number; proof: string[] }[] };
const generated = [...load("generated/small-trees.json").trees, ...load("generated/large-trees.json").trees] as {
  size: number;
  root: string;
  inclusion: { index: number; leaf_hash: string; proof: string[] }[];
}[];
const adversarial = load("adversarial/inclusion.json").cases as { desc: string; claim: unknown; want: { ok: boolean } }[];

const signer = createSigner(generateKeyPairSync("ed25519").privateKey);
const keyIdHex = signer.keyId.toString("hex");
const ISSUED_AT = "2026-11-20T09:15:00.123Z";

/** What GET /v1/records/:id returns for leaf `index` of a tree, with a head signed over `size` and `root`. */
function detailFor(index: number, leaf: string, size: number, root: string, inclusion: string[]): RecordDetail {
  const rootBytes = typeof root === "string" ? Buffer.from(root, "hex") : Buffer.alloc(0);
  const signed =
    Number.isSafeInteger(size) && size >= 0 && rootBytes.length === 32
      ? signer.sign({ treeSize: size, timestampMs: Date.parse(ISSUED_AT), rootHash: rootBytes }).signature.toString("base64")
      : Buffer.alloc(64).toString("base64");
  return {
    record: {
      index,
      id: "6b0c2f9e-0000-4000-8000-000000000001",
      kind: "decision",
      occurred_at: ISSUED_AT,
      agency: "police",
      subscriber_id: "customs",
      event_type: "police.organised_crime_noting",
      region: "eastern",
      outcome: "allow",
      view: "full",
      legal_basis: "Privacy Act 2020, IPP 11(1)(e)(i)",
      policy_revision: "rev-1",
      event_id: "6b0c2f9e-0000-4000-8000-000000000002",
      action: "",
      subject_ids: ["S-1"],
      reasons: ["sharing.customs_drug_supply"],
      redacted_paths: [],
      delivery_topic: "takitini.deliver.customs.v1",
      trace_id: "4bf92f3577b34da6a3ce929d0e0e4736",
      detail: {},
    },
    ledger: { index, leaf_hash: leaf, appended_at: ISSUED_AT, entry: "" },
    proof: {
      tree_size: size,
      root_hash: root,
      inclusion: Array.isArray(inclusion) ? [...inclusion] : inclusion,
      head: { tree_size: size, root_hash: root, issued_at: ISSUED_AT, key_id: keyIdHex, public_key: signer.publicKeyPem, signature: signed },
    },
  };
}

/** Steps 1–6 against the leaf hash the detail names (the RFC vectors give hashes, not entries; entries: recorded.test.ts). */
const checkRecordProof = (d: RecordDetail, options?: { trustedKeyIds?: readonly string[] }) => checkLeafProof(d, fromHex(d.ledger.leaf_hash), options);

const tree8Leaf = (i: number) => leafHash(Buffer.from(tree8.leaves[i]!, "hex")).toString("hex");
const good = () => {
  const p = tree8.inclusion.find((c) => c.index === 5 && c.size === 8)!;
  return detailFor(5, tree8Leaf(5), 8, tree8.roots["8"]!, p.proof);
};
const flip = (hex: string, byte = 0) => {
  const b = Buffer.from(hex, "hex");
  b[byte]! ^= 0x08;
  return b.toString("hex");
};

describe("inclusion in WebCrypto (RFC 9162 §2.1.3.2)", () => {
  it.each(tree8.inclusion)("accepts the known proof for leaf $index of $size", async ({ index, size, proof }) => {
    const got = await verifyInclusion(fromHex(tree8Leaf(index))!, index, size, proof.map((p) => fromHex(p)!), fromHex(tree8.roots[String(size)])!);
    expect(got).toEqual({ ok: true });
  });

  it("accepts every generated proof", async () => {
    let n = 0;
    for (const t of generated) {
      for (const c of t.inclusion) {
        expect(await verifyInclusion(fromHex(c.leaf_hash)!, c.index, t.size, c.proof.map((p) => fromHex(p)!), fromHex(t.root)!), `${c.index}/${t.size}`).toEqual({ ok: true });
        n++;
      }
    }
    expect(n).toBeGreaterThan(20);
  });
});

describe("a record's proof verification status", () => {
  it("is verified for a correct proof under a correctly signed head", async () => {
    const v = await checkRecordProof(good());
    expect(v.status).toBe("verified");
    expect(v.checks.map((c) => [c.id, c.ok])).toEqual([
      ["form", true],
      ["index", true],
      ["head", true],
      ["inclusion", true],
      ["key-id", true],
      ["signature", true],
    ]);
    expect(v.keyId).toBe(keyIdHex);
    expect(v.keyPinned).toBe(false);
  });

  it("is pending while no signed head covers the record", async () => {
    expect((await checkRecordProof({ ...good(), proof: null })).status).toBe("pending");
  });

  it("fails for a modified inclusion path", async () => {
    const d = good();
    d.proof!.inclusion[1] = flip(d.proof!.inclusion[1]!);
    const v = await checkRecordProof(d);
    expect(v.status).toBe("failed");
    expect(v.checks.find((c) => c.id === "inclusion")?.ok).toBe(false);
  });

  it("fails for a proof of another leaf or position", async () => {
    const d = good();
    d.ledger.leaf_hash = tree8Leaf(4);
    expect((await checkRecordProof(d)).status).toBe("failed");
    const moved = good();
    moved.ledger.index = 4;
    moved.record.index = 4;
    expect((await checkRecordProof(moved)).status).toBe("failed");
    const mismatched = good();
    mismatched.record.index = 6;
    expect((await checkRecordProof(mismatched)).checks.find((c) => c.id === "index")?.ok).toBe(false);
  });

  it("fails for a root that differs from the signed head's, even if both are consistent with each other", async () => {
    const d = good();
    d.proof!.root_hash = flip(d.proof!.root_hash);
    expect((await checkRecordProof(d)).status).toBe("failed");
    // the operator rewrites the head's root too: the signature no longer covers it
    const both = good();
    both.proof!.root_hash = flip(both.proof!.root_hash);
    both.proof!.head.root_hash = both.proof!.root_hash;
    const v = await checkRecordProof(both);
    expect(v.status).toBe("failed");
    expect(v.checks.find((c) => c.id === "signature")?.ok).toBe(false);
  });

  it("fails for a modified signature, head size or timestamp", async () => {
    const d = good();
    const sig = Buffer.from(d.proof!.head.signature, "base64");
    sig[10]! ^= 1;
    d.proof!.head.signature = sig.toString("base64");
    expect((await checkRecordProof(d)).status).toBe("failed");
    const t = good();
    t.proof!.head.issued_at = "2026-11-20T09:15:00.124Z";
    expect((await checkRecordProof(t)).checks.find((c) => c.id === "signature")?.ok).toBe(false);
    const s = good();
    s.proof!.head.tree_size = 9;
    expect((await checkRecordProof(s)).status).toBe("failed");
  });

  it("fails for a head re-signed by another key, whether it claims the original key id or its own", async () => {
    const forger = createSigner(generateKeyPairSync("ed25519").privateKey);
    const d = good();
    const forged = forger.sign({ treeSize: 8, timestampMs: Date.parse(ISSUED_AT), rootHash: Buffer.from(tree8.roots["8"]!, "hex") });
    d.proof!.head.signature = forged.signature.toString("base64");
    expect((await checkRecordProof(d)).status).toBe("failed");
    // A consistent head from another key: the maths holds, only pinning catches it.
    const own = good();
    own.proof!.head = { ...own.proof!.head, key_id: forger.keyId.toString("hex"), public_key: forger.publicKeyPem, signature: forged.signature.toString("base64") };
    const unpinned = await checkRecordProof(own);
    expect(unpinned.status, JSON.stringify(unpinned.checks)).toBe("verified");
    const pinned = await checkRecordProof(own, { trustedKeyIds: [keyIdHex] });
    expect(pinned.status).toBe("failed");
    expect(pinned.checks.find((c) => c.id === "trust")?.ok).toBe(false);
    const trusted = await checkRecordProof(good(), { trustedKeyIds: [keyIdHex.toUpperCase()] });
    expect([trusted.status, trusted.keyPinned]).toEqual(["verified", true]);
  });

  it("fails when the key id is not the public key's", async () => {
    const d = good();
    d.proof!.head.key_id = flip(d.proof!.head.key_id);
    const v = await checkRecordProof(d);
    expect(v.status).toBe("failed");
    expect(v.checks.find((c) => c.id === "key-id")?.ok).toBe(false);
  });

  it("fails for malformed proof data rather than guessing", async () => {
    const cases: ((d: RecordDetail) => void)[] = [
      (d) => (d.ledger.leaf_hash = "zz"),
      (d) => (d.proof!.inclusion = [...d.proof!.inclusion, "00"]),
      (d) => (d.proof!.head.signature = "not base64!"),
      (d) => (d.proof!.head.public_key = "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----"),
      (d) => (d.proof!.head.issued_at = "2026-11-20T09:15:00.123456Z"),
      (d) => ((d.proof as unknown as { inclusion: unknown }).inclusion = "abc"),
    ];
    for (const mutate of cases) {
      const d = good();
      mutate(d);
      const v = await checkRecordProof(d);
      expect(v.status, mutate.toString()).toBe("failed");
      expect(v.checks[0]).toMatchObject({ id: "form", ok: false });
    }
  });

  it.each(adversarial)("adversarial vector: $desc", async ({ claim, want }) => {
    const c = (typeof claim === "object" && claim !== null ? claim : {}) as Record<string, any>;
    const d = detailFor(c.index, c.leaf_hash, c.size, c.root, c.proof);
    const v = await checkRecordProof(d);
    expect(v.status).toBe(want.ok ? "verified" : "failed");
  });
});
