/**
 * Writes generated/*.json and adversarial/*.json. Run: npm run vectors -w @takitini/audit
 *
 * Self-contained on purpose: a third, naive implementation of RFC 6962 — MTH,
 * PATH and PROOF exactly as §2.1 defines them, recursing over leaf hashes — so
 * the vectors cross-check both the writer's stored-node proofs and the
 * verifier. known/ holds the published vectors this reference reproduces (the
 * script refuses to write anything if it does not).
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const sha = (...parts: Buffer[]) => createHash("sha256").update(Buffer.concat(parts)).digest();
const leaf = (d: Buffer) => sha(Buffer.from([0]), d);
const node = (l: Buffer, r: Buffer) => sha(Buffer.from([1]), l, r);
const hex = (b: Buffer) => b.toString("hex");

function k(n: number): number {
  let p = 1;
  while (p * 2 < n) p *= 2;
  return p;
}
function mth(h: Buffer[]): Buffer {
  if (h.length === 0) return sha();
  if (h.length === 1) return h[0]!;
  const s = k(h.length);
  return node(mth(h.slice(0, s)), mth(h.slice(s)));
}
function path(m: number, h: Buffer[]): Buffer[] {
  if (h.length <= 1) return [];
  const s = k(h.length);
  return m < s ? [...path(m, h.slice(0, s)), mth(h.slice(s))] : [...path(m - s, h.slice(s)), mth(h.slice(0, s))];
}
function subproof(m: number, h: Buffer[], b: boolean): Buffer[] {
  if (m === h.length) return b ? [] : [mth(h)];
  const s = k(h.length);
  return m <= s ? [...subproof(m, h.slice(0, s), b), mth(h.slice(s))] : [...subproof(m - s, h.slice(s), false), mth(h.slice(0, s))];
}
const proof = (m: number, h: Buffer[]) => (m === 0 || m === h.length ? [] : subproof(m, h, true));

// --- the reference must reproduce the published vectors ---------------------
const known = JSON.parse(readFileSync(here("./known/tree8.json"), "utf8"));
const tree8 = (known.leaves as string[]).map((d) => leaf(Buffer.from(d, "hex")));
for (const [size, root] of Object.entries(known.roots as Record<string, string>)) {
  if (hex(mth(tree8.slice(0, Number(size)))) !== root) throw new Error(`reference MTH differs from known root of size ${size}`);
}
for (const v of known.inclusion) {
  if (path(v.index, tree8.slice(0, v.size)).map(hex).join() !== v.proof.join()) throw new Error(`reference PATH differs for ${v.index}/${v.size}`);
}
for (const v of known.consistency) {
  if (proof(v.size1, tree8.slice(0, v.size2)).map(hex).join() !== v.proof.join()) throw new Error(`reference PROOF differs for ${v.size1}/${v.size2}`);
}

// --- generated known-answer vectors -----------------------------------------
/** Leaf data of the generated trees: UTF-8 "takitini-leaf-<i>". */
const data = (i: number) => Buffer.from(`takitini-leaf-${i}`, "utf8");

function treeCases(n: number, indices: number[], sizes1: number[]) {
  const h = Array.from({ length: n }, (_, i) => leaf(data(i)));
  return {
    size: n,
    root: hex(mth(h)),
    inclusion: indices.map((i) => ({ index: i, leaf_hash: hex(h[i]!), proof: path(i, h).map(hex) })),
    consistency: sizes1.map((m) => ({ size1: m, root1: hex(mth(h.slice(0, m))), proof: proof(m, h).map(hex) })),
  };
}

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
const small = range(1, 21).map((n) => treeCases(n, range(0, n), range(0, n + 1)));
const large = [255, 256, 257, 1000, 4097].map((n) =>
  treeCases(
    n,
    [...new Set([0, 1, Math.floor(n / 3), n - 2, n - 1])].filter((i) => i >= 0 && i < n),
    [...new Set([1, 2, 7, 128, Math.floor(n / 2), n - 1, n])].filter((m) => m <= n),
  ),
);
const header = { leaf_data: "UTF-8 bytes of 'takitini-leaf-<index>'", generated_by: "test-vectors/generate.ts (naive RFC 6962 §2.1 reference)" };
writeFileSync(here("./generated/small-trees.json"), JSON.stringify({ ...header, trees: small }) + "\n");
writeFileSync(here("./generated/large-trees.json"), JSON.stringify({ ...header, trees: large }, null, 1) + "\n");

// --- adversarial cases ------------------------------------------------------
type Want = { ok: true } | { ok: false; reason?: string };
const reject = (reason?: string): Want => (reason ? { ok: false, reason } : { ok: false });
const someHash = "abacaba000000000000000000000000000000000000000000060061e00123456";
const emptyTree = hex(sha());
const flip = (h: string, byte: number, bit: number) => {
  const b = Buffer.from(h, "hex");
  b[byte]! ^= 1 << bit;
  return hex(b);
};

interface InclusionClaim {
  leaf_hash: unknown;
  index: unknown;
  size: unknown;
  proof: unknown;
  root: unknown;
}
const inclusionCases: { desc: string; claim: InclusionClaim; want: Want }[] = [];

function corruptInclusion(base: { leaf_hash: string; index: number; size: number; proof: string[]; root: string }, tag: string) {
  const add = (desc: string, patch: Partial<InclusionClaim>, want: Want) => inclusionCases.push({ desc: `${tag}: ${desc}`, claim: { ...base, ...patch }, want });
  const p = base.proof;
  add("happy path", {}, { ok: true });
  if (base.index > 0) add("index - 1", { index: base.index - 1 }, reject());
  add("index + 1", { index: base.index + 1 }, reject());
  add("index xor 2", { index: base.index ^ 2 }, reject());
  add("index = size", { index: base.size }, reject("index-out-of-range"));
  add("index > size", { index: base.size + 5 }, reject("index-out-of-range"));
  add("size * 2", { size: base.size * 2 }, reject());
  add("size / 2", { size: Math.floor(base.size / 2) }, reject());
  add("size 0", { size: 0 }, reject("index-out-of-range"));
  add("wrong leaf (9 bytes)", { leaf_hash: Buffer.from("WrongLeaf").toString("hex") }, reject("bad-hash-length"));
  add("wrong leaf (some hash)", { leaf_hash: someHash }, reject("root-mismatch"));
  add("empty-tree root", { root: emptyTree }, reject("root-mismatch"));
  add("random root", { root: someHash }, reject("root-mismatch"));
  add("trailing garbage (empty element)", { proof: [...p, ""] }, reject("bad-hash-length"));
  add("trailing root", { proof: [...p, base.root] }, reject("proof-too-long"));
  add("preceding garbage (empty element)", { proof: ["", ...p] }, reject("bad-hash-length"));
  add("preceding root", { proof: [base.root, ...p] }, reject("proof-too-long"));
  p.forEach((_, i) => add(`modified proof[${i}] bit 3`, { proof: p.map((h, j) => (j === i ? flip(h, 0, 3) : h)) }, reject("root-mismatch")));
  p.forEach((_, i) => add(`modified proof[${i}] last bit`, { proof: p.map((h, j) => (j === i ? flip(h, 31, 0) : h)) }, reject("root-mismatch")));
  if (p.length > 0) {
    add("removed last component", { proof: p.slice(0, -1) }, reject("proof-too-short"));
    add("empty proof", { proof: [] }, reject("proof-too-short"));
    add("proof[0] 31 bytes", { proof: [p[0]!.slice(0, 62), ...p.slice(1)] }, reject("bad-hash-length"));
    add("proof[0] 33 bytes", { proof: [p[0]! + "00", ...p.slice(1)] }, reject("bad-hash-length"));
  }
  if (p.length > 1) add("inserted component", { proof: [p[0]!, someHash, ...p.slice(1)] }, reject("proof-too-long"));
  if (p.length > 1) add("components swapped", { proof: [p[1]!, p[0]!, ...p.slice(2)] }, reject("root-mismatch"));
  add("garbage hex in proof", { proof: ["zz" + "00".repeat(31), ...p.slice(1)] }, reject("malformed"));
  add("odd-length hex root", { root: base.root.slice(1) }, reject("malformed"));
  add("non-string proof element", { proof: [42, ...p.slice(1)] }, reject("malformed"));
  add("proof not an array", { proof: p.join("") }, reject("malformed"));
  add("negative index", { index: -1 }, reject("malformed"));
  add("fractional size", { size: base.size + 0.5 }, reject("malformed"));
  add("index as string", { index: String(base.index) }, reject("malformed"));
  add("missing root", { root: undefined }, reject("malformed"));
}

for (const v of known.inclusion.filter((v: { proof: string[] }) => v.proof.length > 0)) {
  corruptInclusion({ leaf_hash: hex(tree8[v.index]!), index: v.index, size: v.size, proof: v.proof, root: known.roots[String(v.size)] }, `tree8 leaf ${v.index} of ${v.size}`);
}
{
  const t = large.find((x) => x.size === 1000)!;
  const inc = t.inclusion[2]!;
  corruptInclusion({ leaf_hash: inc.leaf_hash, index: inc.index, size: t.size, proof: inc.proof, root: t.root }, `generated leaf ${inc.index} of ${t.size}`);
}
inclusionCases.push(
  { desc: "single leaf: leaf hash is the root", claim: { leaf_hash: hex(tree8[0]!), index: 0, size: 1, proof: [], root: hex(tree8[0]!) }, want: { ok: true } },
  { desc: "single leaf: wrong root", claim: { leaf_hash: hex(tree8[0]!), index: 0, size: 1, proof: [], root: someHash }, want: reject("root-mismatch") },
  { desc: "single leaf: empty leaf hash", claim: { leaf_hash: "", index: 0, size: 1, proof: [], root: hex(tree8[0]!) }, want: reject("bad-hash-length") },
  { desc: "single leaf: extra element", claim: { leaf_hash: hex(tree8[0]!), index: 0, size: 1, proof: [someHash], root: hex(tree8[0]!) }, want: reject("proof-too-long") },
  { desc: "empty tree has no leaf 0", claim: { leaf_hash: someHash, index: 0, size: 0, proof: [], root: emptyTree }, want: reject("index-out-of-range") },
  { desc: "not an object", claim: "garbage" as unknown as InclusionClaim, want: reject("malformed") },
);

interface ConsistencyClaim {
  size1: unknown;
  size2: unknown;
  root1: unknown;
  root2: unknown;
  proof: unknown;
}
const consistencyCases: { desc: string; claim: ConsistencyClaim; want: Want }[] = [];

function corruptConsistency(base: { size1: number; size2: number; root1: string; root2: string; proof: string[] }, tag: string) {
  const add = (desc: string, patch: Partial<ConsistencyClaim>, want: Want) => consistencyCases.push({ desc: `${tag}: ${desc}`, claim: { ...base, ...patch }, want });
  const p = base.proof;
  add("happy path", {}, { ok: true });
  add("size1 - 1", { size1: base.size1 - 1 }, reject());
  add("size1 + 1", { size1: base.size1 + 1 }, reject());
  add("size1 xor 2", { size1: base.size1 ^ 2 }, reject());
  add("size2 * 2", { size2: base.size2 * 2 }, reject());
  add("size2 / 2", { size2: Math.floor(base.size2 / 2) }, reject());
  add("size1 > size2", { size1: base.size2 + 1 }, reject("size-order"));
  add("wrong root1 (9 bytes)", { root1: Buffer.from("WrongRoot").toString("hex") }, reject("bad-hash-length"));
  add("wrong root2 (9 bytes)", { root2: Buffer.from("WrongRoot").toString("hex") }, reject("bad-hash-length"));
  add("wrong root1", { root1: someHash }, reject("root-mismatch"));
  add("wrong root2", { root2: someHash }, reject("root-mismatch"));
  add("swapped roots", { root1: base.root2, root2: base.root1 }, reject("root-mismatch"));
  add("empty proof", { proof: [] }, reject("empty-proof"));
  add("trailing garbage (empty element)", { proof: [...p, ""] }, reject("bad-hash-length"));
  add("trailing root1", { proof: [...p, base.root1] }, reject());
  add("trailing root2", { proof: [...p, base.root2] }, reject());
  add("preceding garbage (empty element)", { proof: ["", ...p] }, reject("bad-hash-length"));
  add("preceding root1", { proof: [base.root1, ...p] }, reject());
  add("preceding root2", { proof: [base.root2, ...p] }, reject());
  add("preceding proof[0]", { proof: [p[0]!, ...p] }, reject());
  add("truncated proof", { proof: p.slice(0, -1) }, reject());
  p.forEach((_, i) => add(`modified proof[${i}] bit 4`, { proof: p.map((h, j) => (j === i ? flip(h, 0, 4) : h)) }, reject("root-mismatch")));
  add("garbage hex in proof", { proof: ["g".repeat(64), ...p.slice(1)] }, reject("malformed"));
  add("uppercase-and-garbage root2", { root2: "XYZ" + base.root2.slice(3) }, reject("malformed"));
  add("negative size2", { size2: -base.size2 }, reject("malformed"));
  add("size1 as string", { size1: String(base.size1) }, reject("malformed"));
  add("proof null", { proof: null }, reject("malformed"));
}

for (const v of known.consistency.filter((v: { proof: string[] }) => v.proof.length > 0)) {
  corruptConsistency({ size1: v.size1, size2: v.size2, root1: known.roots[String(v.size1)], root2: known.roots[String(v.size2)], proof: v.proof }, `tree8 ${v.size1} -> ${v.size2}`);
}
{
  const t = large.find((x) => x.size === 1000)!;
  const c = t.consistency.find((x) => x.size1 === 7)!;
  corruptConsistency({ size1: 7, size2: t.size, root1: c.root1, root2: t.root, proof: c.proof }, `generated 7 -> ${t.size}`);
}
const r1 = known.roots["1"] as string;
const r8 = known.roots["8"] as string;
consistencyCases.push(
  { desc: "same size, same root, empty proof", claim: { size1: 8, size2: 8, root1: r8, root2: r8, proof: [] }, want: { ok: true } },
  { desc: "same size, different roots", claim: { size1: 8, size2: 8, root1: r8, root2: r1, proof: [] }, want: reject("root-mismatch") },
  { desc: "same size, non-empty proof", claim: { size1: 8, size2: 8, root1: r8, root2: r8, proof: [r8] }, want: reject("nonempty-proof") },
  { desc: "from the empty tree, empty proof", claim: { size1: 0, size2: 8, root1: emptyTree, root2: r8, proof: [] }, want: { ok: true } },
  { desc: "from the empty tree, wrong root1", claim: { size1: 0, size2: 8, root1: someHash, root2: r8, proof: [] }, want: reject("root-mismatch") },
  { desc: "from the empty tree, non-empty proof", claim: { size1: 0, size2: 8, root1: emptyTree, root2: r8, proof: [emptyTree] }, want: reject("nonempty-proof") },
  { desc: "empty to empty", claim: { size1: 0, size2: 0, root1: emptyTree, root2: emptyTree, proof: [] }, want: { ok: true } },
  { desc: "time travel (size1 > size2)", claim: { size1: 8, size2: 1, root1: r8, root2: r1, proof: [] }, want: reject("size-order") },
  { desc: "1 -> 2 with an empty proof", claim: { size1: 1, size2: 2, root1: r1, root2: known.roots["2"], proof: [] }, want: reject("empty-proof") },
  { desc: "not an object", claim: null as unknown as ConsistencyClaim, want: reject("malformed") },
);

writeFileSync(here("./adversarial/inclusion.json"), JSON.stringify({ generated_by: header.generated_by, cases: inclusionCases }, null, 1) + "\n");
writeFileSync(here("./adversarial/consistency.json"), JSON.stringify({ generated_by: header.generated_by, cases: consistencyCases }, null, 1) + "\n");
console.log(`wrote ${small.length + large.length} trees, ${inclusionCases.length} inclusion and ${consistencyCases.length} consistency adversarial cases`);
