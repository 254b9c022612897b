import { isIPv4, isIPv6 } from "node:net";

/**
 * Throttling of failed sign-ins (and failed bearer credentials): failures are
 * counted per account and per client address; after `freeFailures` of them each
 * further failure blocks that key for an exponentially growing delay (base,
 * 2·base, 4·base, … up to `maxDelayMs`). A key is forgotten `forgetAfterMs`
 * after its last failure, a success clears the account's count, and each table
 * holds at most `maxEntries` keys (expired ones swept first, then the oldest
 * dropped), so memory is bounded whatever is thrown at it. Time comes from an
 * injected clock.
 */

export interface ThrottleOptions {
  /** Failures allowed before any delay. Default 5. */
  freeFailures?: number;
  /** The first delay. Default 1 s. */
  baseDelayMs?: number;
  /** The longest delay. Default 15 min. */
  maxDelayMs?: number;
  /** A key with no failure for this long is forgotten. Default: twice the longest delay, at least 15 min. */
  forgetAfterMs?: number;
  /** Most keys held per table. Default 10 000. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  last: number;
  blockedUntil: number;
}

/** One table of failure counts by key. */
export class FailureTable {
  private readonly entries = new Map<string, Entry>();
  private readonly free: number;
  private readonly base: number;
  private readonly maxDelay: number;
  private readonly forget: number;
  private readonly maxEntries: number;
  private readonly now: () => number;

  constructor(o: ThrottleOptions = {}) {
    this.free = o.freeFailures ?? 5;
    this.base = o.baseDelayMs ?? 1000;
    this.maxDelay = o.maxDelayMs ?? 15 * 60_000;
    this.forget = o.forgetAfterMs ?? Math.max(2 * this.maxDelay, 15 * 60_000);
    this.maxEntries = o.maxEntries ?? 10_000;
    this.now = o.now ?? Date.now;
    if (!(this.free >= 0 && this.base > 0 && this.maxDelay >= this.base && this.maxEntries > 0)) throw new RangeError("invalid throttle settings");
  }

  /** How long the key must still wait, in ms (0: not blocked). */
  blockedFor(key: string): number {
    const e = this.live(key);
    return e ? Math.max(0, e.blockedUntil - this.now()) : 0;
  }

  /** Count a failure; returns how long the key is now blocked for (0 while failures are still free). */
  fail(key: string): number {
    const now = this.now();
    const e = this.live(key) ?? { failures: 0, last: now, blockedUntil: 0 };
    e.failures++;
    e.last = now;
    const over = e.failures - this.free;
    const delay = over >= 0 ? Math.min(this.maxDelay, this.base * 2 ** Math.min(over, 40)) : 0;
    e.blockedUntil = delay > 0 ? now + delay : 0;
    // Re-inserted, so the table's order is by last failure and the oldest is dropped first.
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.sweep();
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
    this.entries.set(key, e);
    return delay;
  }

  failures(key: string): number {
    return this.live(key)?.failures ?? 0;
  }

  clear(key: string): void {
    this.entries.delete(key);
  }

  /** Forget keys whose last failure is older than the forget window; returns how many. */
  sweep(): number {
    const now = this.now();
    let n = 0;
    for (const [key, e] of this.entries) {
      if (now - e.last >= this.forget && e.blockedUntil <= now) {
        this.entries.delete(key);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.entries.size;
  }

  private live(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    const now = this.now();
    if (now - e.last >= this.forget && e.blockedUntil <= now) {
      this.entries.delete(key);
      return undefined;
    }
    return e;
  }
}

/** Who is trying: the account the presented credential names (when it names one) and the client's address. */
export interface Attempt {
  account?: string | undefined;
  address: string;
}

/** Failures per account name and per client address. */
export class SignInThrottle {
  readonly accounts: FailureTable;
  readonly addresses: FailureTable;

  constructor(o: ThrottleOptions = {}) {
    this.accounts = new FailureTable(o);
    this.addresses = new FailureTable(o);
  }

  /** Milliseconds the attempt must wait (the longer of its account's and its address's), or 0. */
  blockedFor(a: Attempt): number {
    const byAddress = this.addresses.blockedFor(addressKey(a.address));
    const byAccount = a.account === undefined ? 0 : this.accounts.blockedFor(accountKey(a.account));
    return Math.max(byAddress, byAccount);
  }

  /** Count a failure; returns how long the attempt's account or address is now blocked for (0: failures still free). */
  failure(a: Attempt): number {
    const byAddress = this.addresses.fail(addressKey(a.address));
    const byAccount = a.account === undefined ? 0 : this.accounts.fail(accountKey(a.account));
    return Math.max(byAddress, byAccount);
  }

  /**
   * A credential verified: the account's count starts again. The address's is
   * left to expire — one good credential must not buy more guesses at others
   * from the same place.
   */
  success(a: Attempt): void {
    if (a.account !== undefined) this.accounts.clear(accountKey(a.account));
  }

  sweep(): number {
    return this.accounts.sweep() + this.addresses.sweep();
  }
}

/** Account names compare without regard to case or Unicode normalisation. */
export function accountKey(name: string): string {
  return name.normalize("NFC").toLowerCase();
}

/**
 * The throttling key of a client address: an IPv4 address as it is (an
 * IPv4-mapped IPv6 address as its IPv4), an IPv6 address by its /64 (one host
 * usually holds a whole /64), anything else as given.
 */
export function addressKey(address: string): string {
  const bare = address.replace(/%.*$/, "");
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare);
  if (mapped && isIPv4(mapped[1]!)) return mapped[1]!;
  if (isIPv4(bare)) return bare;
  if (!isIPv6(bare)) return address;
  const groups = expandIPv6(bare);
  return `${groups.slice(0, 4).join(":")}::/64`;
}

function expandIPv6(ip: string): string[] {
  const [head, tail] = ip.includes("::") ? (ip.split("::") as [string, string]) : [ip, undefined];
  const part = (s: string | undefined) => (s ? s.split(":").flatMap((g) => (g.includes(".") ? ["0", "0"] : [g])) : []);
  const h = part(head);
  const t = part(tail);
  const zeros = tail === undefined ? [] : Array.from({ length: 8 - h.length - t.length }, () => "0");
  return [...h, ...zeros, ...t].map((g) => (Number.parseInt(g, 16) || 0).toString(16));
}
