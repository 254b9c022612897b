/**
 * Group commit (pure: the work is a function it is given). Callers submit
 * items concurrently; while one group's work runs, what arrives waits, and the
 * next group takes everything that waited (up to `maxWeight`) in one call. No
 * timer and no added wait: a lone caller's item goes at once, and a caller
 * waits only for work that was running anyway.
 *
 * The ingest submits each partition's chunk of ledger records, so partitions
 * consumed at once share one PostgreSQL transaction (and its commit) instead
 * of taking the append lock in turn; and its offsets, so they share one
 * OffsetCommit request. Each caller gets its own item's result, or the
 * group's error: a group either did all its items' work or none of it, so
 * every caller whose group failed may retry (appends are idempotent per record
 * id, offsets commits per partition).
 *
 * With `concurrency` 2, a second group is taken while the first runs: the
 * ingest's appends prepare (seal) a group while the one before it holds the
 * ledger's append lock. Groups are taken in arrival order; they may end in
 * any order.
 */
export interface GroupCommitOptions<T> {
  /** A group's items' total weight is at most this, unless one item alone weighs more (it goes alone). */
  maxWeight: number;
  /** An item's weight (default 1). */
  weightOf?: (item: T) => number;
  /** Groups whose work runs at once (default 1). */
  concurrency?: number;
}

interface Waiting<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<T, R> {
  private readonly waiting: Waiting<T, R>[] = [];
  private running = 0;
  private readonly weightOf: (item: T) => number;
  private readonly concurrency: number;

  /** `work` does a group's items at once and returns one result per item, in order. */
  constructor(
    private readonly work: (items: T[]) => Promise<R[]>,
    private readonly opts: GroupCommitOptions<T>,
  ) {
    if (!(opts.maxWeight > 0)) throw new RangeError(`maxWeight must be positive, got ${opts.maxWeight}`);
    this.weightOf = opts.weightOf ?? (() => 1);
    this.concurrency = opts.concurrency ?? 1;
    if (!(Number.isInteger(this.concurrency) && this.concurrency >= 1)) throw new RangeError(`concurrency must be a whole number ≥ 1, got ${opts.concurrency}`);
  }

  /** Items waiting for the group in progress to end. */
  get queued(): number {
    return this.waiting.length;
  }

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      if (this.running < this.concurrency) void this.drain();
    });
  }

  /** The next group: items in arrival order while they fit, and always at least one. */
  private take(): Waiting<T, R>[] {
    let weight = 0;
    let n = 0;
    while (n < this.waiting.length) {
      const w = this.weightOf(this.waiting[n]!.item);
      if (n > 0 && weight + w > this.opts.maxWeight) break;
      weight += w;
      n++;
    }
    return this.waiting.splice(0, n);
  }

  private async drain(): Promise<void> {
    this.running++;
    try {
      while (this.waiting.length > 0) {
        const group = this.take();
        try {
          const results = await this.work(group.map((g) => g.item));
          if (results.length !== group.length) throw new Error(`a group of ${group.length} items gave ${results.length} results`);
          group.forEach((g, i) => g.resolve(results[i]!));
        } catch (err) {
          for (const g of group) g.reject(err);
        }
      }
    } finally {
      this.running--;
    }
  }
}
