import { stat } from "node:fs/promises";
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, join } from "node:path";
import { DEFAULT_DATA_DIR, DEFAULT_WASM_PATH, loadSharingPolicy, SUBSCRIBERS_FILE, type LoadOptions, type SharingPolicy } from "@takitini/policies";
import { Counter, type Logger, type Registry } from "@takitini/runtime";

/**
 * Hot reload of the sharing policy. The exchange asks `current()` once per
 * transaction and decides the whole chunk with that one policy, so a swap is
 * atomic: every decision records the revision of the policy that made it, and no
 * chunk mixes two. A newly built wasm or an edited registry is noticed (fs.watch
 * on both folders, with a stat poll as the safety net), loaded off to the side and
 * swapped in only if it loads whole — a build that is not a loadable policy, fails
 * its self-check or names a subscriber the policy cannot judge is rejected, logged,
 * and the running policy kept. So is one the `accept` hook refuses (the exchange's:
 * a delivery topic that does not exist on the cluster).
 */

/** Where the exchange reads its policy; `current()` never changes during one synchronous stretch of work. */
export interface PolicySource {
  current(): SharingPolicy;
}

export type ReloadOutcome =
  | { outcome: "loaded"; from: string; to: string }
  | { outcome: "unchanged"; revision: string }
  | { outcome: "rejected"; error: string; revision: string };

export interface ReloadingOptions {
  wasmPath?: string;
  dataDir?: string;
  /** Decision memo size for each loaded policy (see @takitini/policies). */
  memo?: number;
  logger: Logger;
  metrics?: Registry;
  /** Wait after a file event for the writer to finish; default 200 ms. */
  debounceMs?: number;
  /** Stat poll, in case a file event is missed (network file systems, editors' swaps); default 5000 ms, 0 off. */
  pollMs?: number;
  /** Watch the folders for file events; default true (false leaves only the poll). */
  watchFiles?: boolean;
  /**
   * A last check on a newly loaded policy before it is swapped in (after the
   * loader's own); throwing rejects it. The exchange checks that every delivery
   * topic exists, since it cannot write a view to a topic that does not.
   */
  accept?: (next: SharingPolicy) => Promise<void>;
  /** Injected for tests. */
  load?: (options: LoadOptions) => Promise<SharingPolicy>;
}

/** What identifies a version of the files on disk without reading them. */
async function signature(paths: readonly string[]): Promise<string> {
  const parts = await Promise.all(
    paths.map(async (p) => {
      try {
        const s = await stat(p);
        return `${p}:${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return `${p}:missing`;
      }
    }),
  );
  return parts.join("|");
}

export class ReloadingPolicy implements PolicySource {
  private active: SharingPolicy;
  private readonly wasmPath: string;
  private readonly dataDir: string;
  private readonly watchers: FSWatcher[] = [];
  private poll: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  /** The files last tried (loaded or rejected), so a bad build is reported once, not on every poll. */
  private tried = "";
  private inFlight: Promise<ReloadOutcome> | undefined;
  private again = false;
  private readonly reloads: Counter<"outcome"> | undefined;

  private constructor(
    initial: SharingPolicy,
    initialSignature: string,
    private readonly opts: ReloadingOptions,
  ) {
    this.active = initial;
    this.tried = initialSignature;
    this.wasmPath = opts.wasmPath ?? DEFAULT_WASM_PATH;
    this.dataDir = opts.dataDir ?? DEFAULT_DATA_DIR;
    this.reloads = opts.metrics
      ? new Counter({ name: "exchange_policy_reloads_total", help: "Policy reload attempts, by outcome (loaded, rejected)", labelNames: ["outcome"], registers: [opts.metrics] })
      : undefined;
  }

  /** Load the policy (throwing if the first one cannot be), then watch its files. */
  static async start(opts: ReloadingOptions): Promise<ReloadingPolicy> {
    const files = [opts.wasmPath ?? DEFAULT_WASM_PATH, join(opts.dataDir ?? DEFAULT_DATA_DIR, SUBSCRIBERS_FILE)];
    const before = await signature(files);
    const initial = await (opts.load ?? loadSharingPolicy)(loadOptions(opts));
    const source = new ReloadingPolicy(initial, before, opts);
    source.watch();
    return source;
  }

  current(): SharingPolicy {
    return this.active;
  }

  private files(): string[] {
    return [this.wasmPath, join(this.dataDir, SUBSCRIBERS_FILE)];
  }

  private watch(): void {
    const wanted = new Map<string, Set<string>>();
    for (const f of this.files()) {
      const dir = dirname(f);
      wanted.set(dir, (wanted.get(dir) ?? new Set()).add(basename(f)));
    }
    for (const [dir, names] of this.opts.watchFiles === false ? [] : wanted) {
      try {
        // The build writes policy.wasm.partial and renames it over policy.wasm, so
        // watch the folder (a watch on the file would follow the old inode).
        const w = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || names.has(name.toString())) this.schedule();
        });
        w.on("error", (err) => this.opts.logger.warn({ err, dir }, "policy watch failed; relying on the poll"));
        this.watchers.push(w);
      } catch (err) {
        this.opts.logger.warn({ err, dir }, "cannot watch the policy folder; relying on the poll");
      }
    }
    const pollMs = this.opts.pollMs ?? 5000;
    if (pollMs > 0) {
      this.poll = setInterval(() => void this.reloadIfChanged(), pollMs);
      this.poll.unref();
    }
  }

  private schedule(): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.reloadIfChanged(), this.opts.debounceMs ?? 200);
    this.debounce.unref();
  }

  /** Reload if the files differ from the ones last tried. */
  async reloadIfChanged(): Promise<ReloadOutcome> {
    if ((await signature(this.files())) === this.tried) return { outcome: "unchanged", revision: this.active.revision };
    return this.reload();
  }

  /**
   * Load the files now and swap if they make a different, valid policy. Calls that
   * arrive while one is loading wait for it and then load once more, so the last
   * write always wins.
   */
  async reload(): Promise<ReloadOutcome> {
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = (async () => {
      let outcome: ReloadOutcome;
      do {
        this.again = false;
        outcome = await this.loadOnce();
      } while (this.again);
      return outcome;
    })();
    try {
      return await this.inFlight;
    } finally {
      this.inFlight = undefined;
    }
  }

  private async loadOnce(): Promise<ReloadOutcome> {
    const files = await signature(this.files());
    const from = this.active.revision;
    try {
      const next = await (this.opts.load ?? loadSharingPolicy)(loadOptions(this.opts));
      this.tried = files;
      if (next.revision === from) return { outcome: "unchanged", revision: from };
      await this.opts.accept?.(next);
      this.active = next;
      this.reloads?.inc({ outcome: "loaded" });
      this.opts.logger.info({ from, to: next.revision, subscribers: next.subscribers().map((s) => s.id) }, "policy reloaded");
      return { outcome: "loaded", from, to: next.revision };
    } catch (err) {
      this.tried = files;
      this.reloads?.inc({ outcome: "rejected" });
      const error = err instanceof Error ? err.message : String(err);
      this.opts.logger.error({ error, revision: from }, "new policy rejected; keeping the running one");
      return { outcome: "rejected", error, revision: from };
    }
  }

  /** Stop watching (the current policy stays usable). */
  close(): void {
    for (const w of this.watchers) w.close();
    this.watchers.length = 0;
    if (this.poll) clearInterval(this.poll);
    if (this.debounce) clearTimeout(this.debounce);
  }
}

function loadOptions(opts: ReloadingOptions): LoadOptions {
  const o: LoadOptions = {};
  if (opts.wasmPath !== undefined) o.wasmPath = opts.wasmPath;
  if (opts.dataDir !== undefined) o.dataDir = opts.dataDir;
  if (opts.memo !== undefined) o.memo = opts.memo;
  return o;
}
