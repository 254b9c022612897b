import { RefusalSummary } from "@takitini/proto";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { addressKey } from "./throttle.js";

/**
 * Refusals of unauthenticated requests, counted per window instead of one
 * ledger row each (anyone can send requests without a credential, so one row
 * per request would let anyone grow the ledger at will).
 *
 * `RefusalWindows` is the pure aggregator: `note()` counts a refusal under its
 * (door, code, route) in the open window; `drain(now)` closes the window once it
 * has lasted `windowMs` (or at once, with `force`) and returns one
 * `RefusalSummary` per key: the count and how many distinct client addresses
 * (IPv6 by /64, as the sign-in throttle keys them) — never the addresses, never
 * the URL. Windows are contiguous: the next opens when one is drained.
 *
 * Memory is bounded whatever arrives:
 * - at most `maxKeys` (default 256) distinct (door, code, route) keys per window;
 *   refusals under any further key are counted under the fixed `OVERFLOW` key
 *   (door "overflow", code "REFUSAL_KEYS_OVERFLOW", route "overflow");
 * - at most `maxAddresses` (default 4096) distinct addresses remembered per
 *   window, over all keys; past that a key's new addresses are not remembered
 *   and its summary says `distinct_addresses_capped` (its count is then a lower
 *   bound). Refusals are always counted;
 * - door, code and route are cut to 32, 64 and 200 characters, an address key to 64.
 */

/** One refusal of a caller who did not authenticate. */
export interface RefusalNote {
  /** "http", "grpc", "import", ... */
  door: string;
  /** The stable error code answered, e.g. "CREDENTIAL_INVALID", "UNAUTHENTICATED". */
  code: string;
  /** The matched route pattern or RPC path; `UNMATCHED_ROUTE` when no route matched. Never the raw URL. */
  route: string;
  /** The client address (counted, never kept beyond the window nor emitted). */
  address: string;
}

/** The route of a request no route matched (the raw URL is never recorded). */
export const UNMATCHED_ROUTE = "unmatched";

/** Where refusals beyond the key bound are counted. */
export const OVERFLOW = { door: "overflow", code: "REFUSAL_KEYS_OVERFLOW", route: "overflow" } as const;

export const REFUSAL_LIMITS = { door: 32, code: 64, route: 200, address: 64 } as const;

export interface RefusalWindowsOptions {
  /** The refusing service, e.g. "audit", "briefing", "police-adapter". */
  service: string;
  /** How long a window lasts before `drain` closes it. */
  windowMs: number;
  /** Distinct (door, code, route) keys per window, besides `OVERFLOW`. Default 256. */
  maxKeys?: number;
  /** Distinct client addresses remembered per window, over all keys. Default 4096. */
  maxAddresses?: number;
}

interface Tally {
  door: string;
  code: string;
  route: string;
  count: number;
  addresses: Set<string>;
  capped: boolean;
}

const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s);

export class RefusalWindows {
  readonly service: string;
  readonly windowMs: number;
  readonly maxKeys: number;
  readonly maxAddresses: number;
  private start: number;
  private tallies = new Map<string, Tally>();
  private addressCount = 0;
  private total = 0;

  constructor(opts: RefusalWindowsOptions, startedAt: Date = new Date()) {
    if (!(opts.windowMs > 0)) throw new RangeError("windowMs must be positive");
    this.service = opts.service;
    this.windowMs = opts.windowMs;
    this.maxKeys = Math.max(0, Math.floor(opts.maxKeys ?? 256));
    this.maxAddresses = Math.max(0, Math.floor(opts.maxAddresses ?? 4096));
    this.start = startedAt.getTime();
  }

  /** Count one refusal in the open window. */
  note(n: RefusalNote): void {
    let door = cut(n.door, REFUSAL_LIMITS.door);
    let code = cut(n.code, REFUSAL_LIMITS.code);
    let route = cut(n.route, REFUSAL_LIMITS.route);
    let key = JSON.stringify([door, code, route]);
    let tally = this.tallies.get(key);
    if (!tally) {
      const overflowKey = JSON.stringify([OVERFLOW.door, OVERFLOW.code, OVERFLOW.route]);
      const keys = this.tallies.size - (this.tallies.has(overflowKey) ? 1 : 0);
      if (keys >= this.maxKeys || key === overflowKey) {
        ({ door, code, route } = OVERFLOW);
        key = overflowKey;
        tally = this.tallies.get(key);
      }
      if (!tally) {
        tally = { door, code, route, count: 0, addresses: new Set(), capped: false };
        this.tallies.set(key, tally);
      }
    }
    tally.count += 1;
    this.total += 1;
    const address = cut(addressKey(n.address), REFUSAL_LIMITS.address);
    if (!tally.addresses.has(address)) {
      if (this.addressCount < this.maxAddresses) {
        tally.addresses.add(address);
        this.addressCount += 1;
      } else {
        tally.capped = true;
      }
    }
  }

  /** Refusals counted in the open window. */
  get pending(): number {
    return this.total;
  }

  /** When the open window began. */
  get openedAt(): Date {
    return new Date(this.start);
  }

  /** Whether the open window has lasted its length at `now`. */
  due(now: Date): boolean {
    return now.getTime() - this.start >= this.windowMs;
  }

  /**
   * Close the open window if it has lasted `windowMs` (or `force`), returning one
   * summary per key counted in it (none for a window without refusals), and open
   * the next at `now`. Before that, nothing: the window stays open.
   */
  drain(now: Date, opts: { force?: boolean; newId?: () => string } = {}): RefusalSummary[] {
    if (!opts.force && !this.due(now)) return [];
    const end = Math.max(now.getTime(), this.start);
    const newId = opts.newId ?? randomUUID;
    const out = [...this.tallies.values()].map((t) =>
      RefusalSummary.fromPartial({
        id: newId(),
        service: this.service,
        door: t.door,
        code: t.code,
        route: t.route,
        windowStart: new Date(this.start),
        windowEnd: new Date(end),
        count: t.count,
        distinctAddresses: t.addresses.size,
        distinctAddressesCapped: t.capped,
      }),
    );
    this.tallies = new Map();
    this.addressCount = 0;
    this.total = 0;
    this.start = end;
    return out;
  }
}

const ms = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * The zod fields a service's configuration names its refusal settings with
 * (`REFUSAL_WINDOW_MS: refusalFields.windowMs`, ...).
 */
export const refusalFields = {
  /** Where refusals go: RefusalRecord and RefusalSummary messages (role `refusals`). */
  topic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, "expected a Kafka topic name").default("takitini.audit.refusals.v1"),
  /** How long unauthenticated refusals are counted before their summaries are written. */
  windowMs: ms(1000, 3_600_000).default(60_000),
  /** Messages held while Kafka is slow or down; beyond that each is dropped and counted. */
  queueMax: z.coerce.number().int().min(10).max(1_000_000).default(10_000),
  /** Distinct (door, code, route) keys per window before the overflow key. */
  maxKeys: z.coerce.number().int().min(1).max(10_000).default(256),
  /** Distinct client addresses counted per window. */
  maxAddresses: z.coerce.number().int().min(1).max(1_000_000).default(4096),
};
