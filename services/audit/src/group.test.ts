import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { GroupCommit } from "./group.js";

/** Work that records each group and waits for the test to let it finish. */
function gated<T>() {
  const groups: T[][] = [];
  const gates: (() => void)[] = [];
  const work = (items: T[]) => {
    groups.push(items);
    return new Promise<string[]>((resolve) => gates.push(() => resolve(items.map((i) => `done:${String(i)}`))));
  };
  const open = async () => {
    while (gates.length === 0) await new Promise((r) => setImmediate(r));
    gates.shift()!();
    await new Promise((r) => setImmediate(r));
  };
  return { groups, work, open };
}

describe("GroupCommit", () => {
  it("does a lone item at once, on its own", async () => {
    const g = gated<number>();
    const gc = new GroupCommit(g.work, { maxWeight: 10 });
    const p = gc.submit(1);
    expect(g.groups).toEqual([[1]]);
    await g.open();
    await expect(p).resolves.toBe("done:1");
  });

  it("groups what arrives while a group runs, and each caller gets its own item's result", async () => {
    const g = gated<number>();
    const gc = new GroupCommit(g.work, { maxWeight: 10 });
    const first = gc.submit(1);
    const rest = [gc.submit(2), gc.submit(3), gc.submit(4)];
    expect(gc.queued).toBe(3);
    await g.open();
    expect(g.groups).toEqual([[1], [2, 3, 4]]);
    await g.open();
    await expect(first).resolves.toBe("done:1");
    await expect(Promise.all(rest)).resolves.toEqual(["done:2", "done:3", "done:4"]);
    expect(gc.queued).toBe(0);
  });

  it("keeps a group within maxWeight, and sends an item heavier than that alone", async () => {
    const g = gated<number>();
    const gc = new GroupCommit(g.work, { maxWeight: 10, weightOf: (n) => n });
    const all = [gc.submit(1), gc.submit(4), gc.submit(5), gc.submit(2), gc.submit(30), gc.submit(3)];
    for (let i = 0; i < 5; i++) await g.open();
    expect(g.groups).toEqual([[1], [4, 5], [2], [30], [3]]);
    await expect(Promise.all(all)).resolves.toHaveLength(6);
  });

  it("rejects every item of a failed group with its error, and goes on with the next group", async () => {
    let calls = 0;
    let release!: () => void;
    const gc = new GroupCommit<number, number>(
      async (items) => {
        calls++;
        if (calls === 1) await new Promise<void>((r) => (release = r));
        if (calls === 2) throw new Error("database went away");
        return items.map((i) => i * 10);
      },
      { maxWeight: 2 },
    );
    const a = gc.submit(1);
    const b = gc.submit(2);
    const c = gc.submit(3);
    const d = gc.submit(4);
    release();
    await expect(a).resolves.toBe(10);
    await expect(b).rejects.toThrow("database went away");
    await expect(c).rejects.toThrow("database went away");
    await expect(d).resolves.toBe(40);
    // Retrying after a failure is a new submission, done like any other.
    await expect(gc.submit(2)).resolves.toBe(20);
  });

  it("refuses work that gives a result count other than the group's", async () => {
    const gc = new GroupCommit<number, number>(async () => [], { maxWeight: 5 });
    await expect(gc.submit(1)).rejects.toThrow("a group of 1 items gave 0 results");
  });

  it("refuses a maxWeight that is not positive, and a concurrency that is not a whole number ≥ 1", () => {
    expect(() => new GroupCommit(async () => [], { maxWeight: 0 })).toThrow(RangeError);
    for (const concurrency of [0, 1.5, -1]) expect(() => new GroupCommit(async () => [], { maxWeight: 1, concurrency })).toThrow(RangeError);
  });

  it("with concurrency 2, takes a second group while the first runs, and a third only when one ends", async () => {
    const g = gated<number>();
    const gc = new GroupCommit(g.work, { maxWeight: 10, concurrency: 2 });
    const all = [gc.submit(1), gc.submit(2), gc.submit(3), gc.submit(4)];
    expect(g.groups).toEqual([[1], [2]]);
    await g.open();
    expect(g.groups).toEqual([[1], [2], [3, 4]]);
    await g.open();
    await g.open();
    await expect(Promise.all(all)).resolves.toEqual(["done:1", "done:2", "done:3", "done:4"]);
  });

  it("property: every item is done once, groups taken in arrival order, each within maxWeight unless alone, never more at once than the concurrency", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 20 }), fc.integer({ min: 1, max: 3 }), async (waves, max, concurrency) => {
        const groups: number[][] = [];
        let inFlight = 0;
        let most = 0;
        const gc = new GroupCommit<number, number>(
          async (items) => {
            groups.push(items);
            most = Math.max(most, ++inFlight);
            // Groups end after a varying number of turns, so with concurrency > 1 they end out of order.
            for (let k = 0; k < 1 + (items[0]! % 3); k++) await new Promise((r) => setImmediate(r));
            inFlight--;
            return items.map((i) => -i);
          },
          { maxWeight: max, weightOf: (id) => id % 100, concurrency },
        );
        let next = 0;
        const all: Promise<number>[] = [];
        const ids: number[] = [];
        for (const wave of waves) {
          // Items are ids here (weight = the id's weight from the wave), arriving in waves between groups.
          for (const w of wave) {
            const id = next++ * 100 + w;
            ids.push(id);
            all.push(gc.submit(id).then((r) => (expect(r).toBe(-id), r)));
          }
          await new Promise((r) => setImmediate(r));
        }
        await Promise.all(all);
        expect(groups.flat()).toEqual(ids);
        expect(most).toBeLessThanOrEqual(concurrency);
        for (const grp of groups) if (grp.length > 1) expect(grp.reduce((s, id) => s + (id % 100), 0)).toBeLessThanOrEqual(max);
      }),
      { numRuns: 100 },
    );
  });
});
