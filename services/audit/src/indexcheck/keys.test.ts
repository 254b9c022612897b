import { describe, expect, it } from "vitest";
import { newKey, newRef, sealSubject } from "../subjects/seal.js";
import { byteOrder, checkKeys, MAX_KEY_PROBLEMS, type NamedRefRow, type PurgedRefRow, type StoredKeyRow } from "./keys.js";

/** A subject with their ref and key, as subject_keys holds them. */
function person(tag: string) {
  return { id: `police/person/${tag}`, ref: newRef(), key: newKey() };
}
type Person = ReturnType<typeof person>;

/** Leaves at `indices` naming `p`, each sealing p's id under p's key (as the writer seals it). */
const names = (p: Person, ...indices: number[]): NamedRefRow[] => indices.map((index) => ({ ref: p.ref, index, ciphertext: sealSubject(p.id, p, `record-${index}`, 0).ciphertext }));
/** A purge record at `index` destroying the people's refs. */
const purge = (index: number, ...ps: Person[]): PurgedRefRow[] => ps.map((p) => ({ ref: p.ref, index }));
/** p's subject_keys row. */
const row = (p: Person): StoredKeyRow => ({ ref: p.ref, subjectId: p.id, key: p.key });

async function* each<T>(rows: readonly T[]) {
  yield* rows;
}
const byRef = <T extends { ref: string; index?: number }>(rows: T[]) => [...rows].sort((a, b) => byteOrder(a.ref, b.ref) || (a.index ?? 0) - (b.index ?? 0));

interface World {
  named: NamedRefRow[];
  purged?: PurgedRefRow[];
  keys: StoredKeyRow[];
  leafCount?: number;
  keysRead?: boolean;
}
const check = (w: World) => checkKeys(each(byRef(w.named)), each(byRef(w.purged ?? [])), each(byRef(w.keys)), { leafCount: w.leafCount ?? 20, keysRead: w.keysRead ?? true });

/** Aroha named at leaves 1 and 4, Ben at 2, Chen at 3, 5 and 9: every key held. */
function world() {
  const [aroha, ben, chen] = [person("AROHA"), person("BEN"), person("CHEN")] as const;
  return { aroha, ben, chen, named: [...names(aroha, 1, 4), ...names(ben, 2), ...names(chen, 3, 5, 9)], keys: [row(aroha), row(ben), row(chen)] };
}

describe("checkKeys: subject_keys against the refs the leaves seal", () => {
  it("passes the keys the writer holds, opening one ciphertext per ref", async () => {
    const w = world();
    const r = await check(w);
    expect(r).toMatchObject({ ok: true, keysRead: true, refs: 3, keys: 3, destroyed: 0, opened: 3, problemCount: 0, problems: [] });
    expect(r.firstBad).toBeUndefined();
  });

  it("key-missing: a row deleted, at the first leaf naming the ref", async () => {
    const w = world();
    w.keys = w.keys.filter((k) => k.ref !== w.chen.ref);
    const r = await check(w);
    expect(r.problems).toEqual([expect.objectContaining({ kind: "key-missing", table: "subject_keys", index: 3, ref: w.chen.ref })]);
    expect(r.problems[0]!.detail).toContain("3 leaves name it");
  });

  it("passes a ref a later purge record destroyed, and counts it", async () => {
    const w = world();
    const r = await check({ ...w, purged: purge(6, w.aroha), keys: [row(w.ben), row(w.chen)] });
    expect(r).toMatchObject({ ok: true, destroyed: 1, keys: 2, opened: 2 });
  });

  it("key-missing: a ref named again after its purge record, at the first leaf after it", async () => {
    const w = world();
    const r = await check({ ...w, purged: purge(4, w.chen), keys: [row(w.aroha), row(w.ben)] });
    expect(r.firstBad).toMatchObject({ kind: "key-missing", index: 5, ref: w.chen.ref });
    // Two purge records: the later one covers all.
    expect((await check({ ...w, purged: [...purge(4, w.chen), ...purge(12, w.chen)], keys: [row(w.aroha), row(w.ben)] })).ok).toBe(true);
  });

  it("key-not-destroyed: a row for a ref a purge record destroyed, at that purge record", async () => {
    const w = world();
    const r = await check({ ...w, purged: [...purge(7, w.ben), ...purge(11, w.ben)] });
    expect(r.problems).toEqual([expect.objectContaining({ kind: "key-not-destroyed", index: 7, ref: w.ben.ref })]);
    // A purge of a key no leaf named (retention: a key made for nothing) whose row stayed.
    const idle = person("IDLE");
    expect((await check({ ...w, purged: purge(7, idle), keys: [...w.keys, row(idle)] })).firstBad).toMatchObject({ kind: "key-not-destroyed", index: 7, ref: idle.ref });
  });

  it("key-mismatch: a row relabelled to another subject, at the first leaf naming the ref", async () => {
    const w = world();
    w.keys = w.keys.map((k) => (k.ref === w.aroha.ref ? { ...k, subjectId: "police/person/SOMEONE-ELSE" } : k));
    const r = await check(w);
    expect(r.problems).toEqual([expect.objectContaining({ kind: "key-mismatch", index: 1, ref: w.aroha.ref })]);
    expect(r.problems[0]!.detail).toContain("relabelled");
  });

  it("key-mismatch: subject ids swapped between two rows", async () => {
    const w = world();
    w.keys = [{ ...row(w.aroha), subjectId: w.ben.id }, { ...row(w.ben), subjectId: w.aroha.id }, row(w.chen)];
    const r = await check(w);
    expect(r.problems.map((p) => [p.kind, p.index])).toEqual(expect.arrayContaining([["key-mismatch", 1], ["key-mismatch", 2]]));
    expect(r.problemCount).toBe(2);
  });

  it("key-mismatch: a key that does not open the leaf's ciphertext (replaced, or another ref's)", async () => {
    const w = world();
    w.keys = [{ ...row(w.aroha), key: newKey() }, { ...row(w.ben), key: w.chen.key }, row(w.chen)];
    const r = await check(w);
    expect(r.problems.map((p) => [p.kind, p.index]).sort()).toEqual([
      ["key-mismatch", 1],
      ["key-mismatch", 2],
    ]);
    expect(r.problems.every((p) => p.detail.includes("does not open"))).toBe(true);
    // A row moved to another ref (its key under the wrong ref: the ciphertext's additional data is the ref).
    const m = world();
    m.keys = [row(m.aroha), { ...row(m.chen), ref: m.ben.ref }];
    expect((await check(m)).problems.map((p) => [p.kind, p.ref])).toEqual(
      byRef([
        { ref: m.ben.ref, kind: "key-mismatch" },
        { ref: m.chen.ref, kind: "key-missing" },
      ]).map((p) => [p.kind, p.ref]),
    );
  });

  it("key-extra: a row whose ref no leaf names, at the tree size; a second row for one ref, at its first leaf", async () => {
    const w = world();
    const stranger = person("STRANGER");
    const r = await check({ ...w, keys: [...w.keys, row(stranger)], leafCount: 10 });
    expect(r.problems).toEqual([expect.objectContaining({ kind: "key-extra", index: 10, ref: stranger.ref })]);
    const d = await check({ ...w, keys: [...w.keys, { ...row(w.ben), subjectId: "police/person/DUPLICATE" }] });
    expect(d.problems.map((p) => [p.kind, p.index])).toEqual([
      ["key-extra", 2],
      ["key-mismatch", 2],
    ]);
  });

  it("with the refs alone (no subject ids or keys readable): presence is checked, opening is not", async () => {
    const w = world();
    const refsOnly = (keys: StoredKeyRow[]) => keys.map((k) => ({ ref: k.ref }));
    const ok = await check({ ...w, keys: refsOnly(w.keys), keysRead: false });
    expect(ok).toMatchObject({ ok: true, keysRead: false, keys: 3, opened: 0 });
    const missing = await check({ ...w, keys: refsOnly([row(w.aroha), row(w.chen)]), keysRead: false });
    expect(missing.firstBad).toMatchObject({ kind: "key-missing", index: 2, ref: w.ben.ref });
  });

  it("leaves a ref whose leaf holds no ciphertext for it unjudged (the index check reports that row)", async () => {
    const w = world();
    w.named = w.named.map((n) => (n.ref === w.ben.ref ? { ref: n.ref, index: n.index } : n));
    w.keys = w.keys.map((k) => (k.ref === w.ben.ref ? { ...k, subjectId: "police/person/X" } : k));
    expect(await check(w)).toMatchObject({ ok: true, opened: 2 });
  });

  it("opens the first ciphertext a ref's rows carry (the store attaches it to the first row only)", async () => {
    const w = world();
    w.named = w.named.map((n) => (n.ref === w.chen.ref && n.index === 3 ? { ref: n.ref, index: n.index } : n));
    expect(await check(w)).toMatchObject({ ok: true, opened: 3 });
  });

  it("names the lowest index first, lists a bounded number and counts them all; never a subject id or a key", async () => {
    const w = world();
    const r = await check({ ...w, keys: [row(w.chen)] });
    expect(r.firstBad).toMatchObject({ kind: "key-missing", index: 1 });
    expect(r.problemCount).toBe(2);
    const many = Array.from({ length: MAX_KEY_PROBLEMS + 5 }, (_, i) => person(`MANY-${i}`));
    const m = await check({ named: many.flatMap((p, i) => names(p, i)), keys: many.map((p) => ({ ...row(p), subjectId: `${p.id}-relabelled` })) });
    expect(m.problemCount).toBe(MAX_KEY_PROBLEMS + 5);
    expect(m.problems).toHaveLength(MAX_KEY_PROBLEMS);
    expect(m.firstBad).toMatchObject({ kind: "key-mismatch", index: 0 });
    const text = JSON.stringify([r, m]);
    expect(text).not.toContain("police/person/");
    for (const p of [...many, w.aroha, w.ben]) {
      expect(text).not.toContain(p.key.toString("hex"));
      expect(text).not.toContain(p.key.toString("base64"));
    }
  });

  it("merges many refs in byte order whatever their interleaving", async () => {
    const people = Array.from({ length: 300 }, (_, i) => person(`P${i}`));
    const named = people.flatMap((p, i) => names(p, i, i + 300));
    const keys = people.filter((_, i) => i % 7 !== 0).map(row);
    const purged = people.filter((_, i) => i % 14 === 0).flatMap((p) => purge(1000, p));
    const r = await check({ named, keys, purged, leafCount: 1001 });
    // Every seventh person's key is gone; those a purge record destroyed are not missing.
    const missing = people.filter((_, i) => i % 7 === 0 && i % 14 !== 0);
    expect(r.problems.map((p) => p.ref).sort()).toEqual(missing.map((p) => p.ref).sort());
    expect(r.problems.every((p) => p.kind === "key-missing")).toBe(true);
    expect(r).toMatchObject({ refs: 300, keys: keys.length, destroyed: purged.length, opened: keys.length });
  });
});

describe("byteOrder", () => {
  it("is UTF-8 byte order (PostgreSQL's COLLATE \"C\"), astral characters included", () => {
    const samples = ["s_abc", "s_ab", "s_", "S_abc", "s_ab2", "s_ab7", "é", "e", "\u{1F600}", "\uFFFD", "\uE000", "", "a\u{10000}b", "a\uFFFFb"];
    for (const a of samples) {
      for (const b of samples) expect(Math.sign(byteOrder(a, b)), `${a} vs ${b}`).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
    }
  });
});
