import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { Counter, Gauge, type Logger, type Registry } from "@takitini/runtime";
import { CrlError, isStale, parseRevocationList, type CertificateRef, type RevocationList } from "./revocation.js";

/**
 * The Subscribe door's CRL file (SUBSCRIBE_CRL_FILE), re-read when it changes,
 * without a restart — the way the project's accounts files are: its inode, size and
 * times are polled every `pollMs` and a changed file is parsed and verified in full
 * against the CA partners' certificates chain to (GRPC_TLS_CA).
 *
 * At start the file must exist, parse and verify, or `load` throws and the service
 * does not start. Afterwards a good new CRL replaces the one in force and the
 * listeners are told (the server then ends the streams of newly revoked
 * certificates); a bad one — unreadable, not a CRL, not signed by the CA — or a
 * missing file is refused: the last good CRL stays in force, an error is logged
 * (the file's path and a stable code, never its contents) and
 * `exchange_subscribe_crl_reloads_total{outcome="rejected"}` counts it, once per
 * change. A CRL past its nextUpdate stays in force too (it still revokes what it
 * lists) but logs a warning and sets `exchange_subscribe_crl_stale` to 1.
 *
 * Log codes: CRL_LOADED, CRL_RELOADED (info), CRL_REFUSED, CRL_FILE_MISSING (error),
 * CRL_STALE (warn, when it becomes stale), CRL_FRESH (info, when it is no longer).
 */

export interface RevocationSource {
  /** Whether the CRL in force revokes this certificate. */
  revokes(cert: CertificateRef): boolean;
  /** Call `listener` after each newly loaded CRL; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

export interface CrlFileOptions {
  path: string;
  /** PEM of the CA (or CAs) the CRL must be signed by: GRPC_TLS_CA's contents. */
  caPem: Buffer | string;
  logger: Logger;
  metrics: Registry;
  /** How often the file is looked at. Default 5000 ms. */
  pollMs?: number;
  now?: () => Date;
}

export type CrlReload = "unchanged" | "replaced" | "refused" | "missing";

const signatureOf = (s: { ino: number; size: number; mtimeMs: number; ctimeMs: number }) => `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
const digest = (b: Buffer) => createHash("sha256").update(b).digest("hex");
/** A CRL file is small; anything larger is not one (and is not read into memory whole). */
const MAX_BYTES = 16 * 1024 * 1024;

interface Metrics {
  reloads: Counter<"outcome">;
  stale: Gauge;
  nextUpdate: Gauge;
  revoked: Gauge;
}

function metricsIn(registry: Registry): Metrics {
  // One CRL file per process: reuse the metrics if a test registers twice.
  const get = <T>(name: string, make: () => T): T => (registry.getSingleMetric(name) as T | undefined) ?? make();
  return {
    reloads: get("exchange_subscribe_crl_reloads_total", () => new Counter({ name: "exchange_subscribe_crl_reloads_total", help: "Subscribe CRL files read after a change, by outcome (loaded: in force; rejected: unreadable, missing or not signed by the CA, the last good one kept)", labelNames: ["outcome"], registers: [registry] })),
    stale: get("exchange_subscribe_crl_stale", () => new Gauge({ name: "exchange_subscribe_crl_stale", help: "1 while the Subscribe CRL in force is past its nextUpdate (reissue it: infra/pki/revoke.sh)", registers: [registry] })),
    nextUpdate: get("exchange_subscribe_crl_next_update_seconds", () => new Gauge({ name: "exchange_subscribe_crl_next_update_seconds", help: "nextUpdate of the Subscribe CRL in force, Unix seconds (0: none given)", registers: [registry] })),
    revoked: get("exchange_subscribe_crl_revoked_certificates", () => new Gauge({ name: "exchange_subscribe_crl_revoked_certificates", help: "Certificates the Subscribe CRL in force revokes", registers: [registry] })),
  };
}

async function readBounded(path: string): Promise<Buffer> {
  const s = await stat(path);
  if (!s.isFile()) throw new Error("not a regular file");
  if (s.size > MAX_BYTES) throw new CrlError("CRL_UNREADABLE", `larger than ${MAX_BYTES} bytes`);
  return readFile(path);
}

export class CrlFile implements RevocationSource {
  readonly path: string;
  private list: RevocationList;
  private signature: string;
  private content: string;
  private stale: boolean;
  private missing = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<CrlReload> | undefined;
  private readonly listeners = new Set<() => void>();
  private readonly m: Metrics;
  private readonly now: () => Date;

  private constructor(
    private readonly o: CrlFileOptions,
    first: { list: RevocationList; signature: string; content: string },
  ) {
    this.path = o.path;
    this.list = first.list;
    this.signature = first.signature;
    this.content = first.content;
    this.now = o.now ?? (() => new Date());
    this.m = metricsIn(o.metrics);
    this.m.reloads.inc({ outcome: "loaded" }, 0);
    this.m.reloads.inc({ outcome: "rejected" }, 0);
    this.stale = isStale(this.list, this.now());
    this.publish();
    o.logger.info({ code: "CRL_LOADED", ...this.describe() }, "Subscribe CRL loaded");
    if (this.stale) this.warnStale();
  }

  /**
   * Read and verify the file now. Throws if it is missing, unreadable, not a CRL or
   * not signed by a CA of `caPem` (a CrlError names which), so the service does not start.
   */
  static async load(o: CrlFileOptions): Promise<CrlFile> {
    // Looked at before it is read: a change in between is seen at the next look.
    const signature = signatureOf(await stat(o.path));
    const bytes = await readBounded(o.path);
    const list = await parseRevocationList(bytes, o.caPem);
    return new CrlFile(o, { list, signature, content: digest(bytes) });
  }

  /** The CRL in force. */
  current(): RevocationList {
    return this.list;
  }

  revokes(cert: CertificateRef): boolean {
    return this.list.revokes(cert);
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Start polling (a timer that does not keep the process alive). */
  start(): this {
    if (!this.timer) {
      this.timer = setInterval(() => void this.reload(), this.o.pollMs ?? 5000);
      this.timer.unref();
    }
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Look at the file now: re-read it if it changed, and check the one in force for staleness. Never throws. */
  reload(): Promise<CrlReload> {
    this.running ??= this.look().finally(() => (this.running = undefined));
    return this.running;
  }

  private async look(): Promise<CrlReload> {
    const outcome = await this.read();
    this.checkStale();
    return outcome;
  }

  private async read(): Promise<CrlReload> {
    const { logger, path } = this.o;
    let signature: string | undefined;
    let bytes: Buffer;
    try {
      signature = signatureOf(await stat(path));
      if (signature === this.signature) return "unchanged";
      bytes = await readBounded(path);
    } catch (err) {
      if (err instanceof CrlError && signature !== undefined) return this.refuse(signature, err);
      // Reported once until it is back (an operator's editor may be mid-save).
      if (!this.missing) {
        this.missing = true;
        this.m.reloads.inc({ outcome: "rejected" });
        logger.error({ code: "CRL_FILE_MISSING", file: path, err: { message: (err as Error).message } }, "Subscribe CRL file unreadable; keeping the CRL in force");
      }
      this.signature = "missing";
      return "missing";
    }
    this.missing = false;
    // Looked at once per change: a refused file is not re-parsed (nor re-logged) until it changes again.
    this.signature = signature;
    const content = digest(bytes);
    if (content === this.content) return "unchanged";
    this.content = content;
    let list: RevocationList;
    try {
      list = await parseRevocationList(bytes, this.o.caPem);
    } catch (err) {
      return this.refuse(signature, err);
    }
    const before = this.list;
    this.list = list;
    this.stale = isStale(list, this.now());
    this.publish();
    this.m.reloads.inc({ outcome: "loaded" });
    logger.info({ code: "CRL_RELOADED", ...this.describe(), previousSha256: before.sha256 }, "Subscribe CRL reloaded");
    if (this.stale) this.warnStale();
    for (const listener of this.listeners) {
      try {
        listener();
      } catch (err) {
        logger.error({ err }, "a CRL change listener failed");
      }
    }
    return "replaced";
  }

  private refuse(signature: string, err: unknown): CrlReload {
    this.signature = signature;
    this.m.reloads.inc({ outcome: "rejected" });
    const code = err instanceof CrlError ? err.code : "CRL_UNREADABLE";
    const message = err instanceof Error ? err.message : String(err);
    this.o.logger.error({ code: "CRL_REFUSED", reason: code, file: this.o.path, error: message, inForce: this.list.sha256 }, "Subscribe CRL refused; keeping the CRL in force");
    return "refused";
  }

  private checkStale(): void {
    const stale = isStale(this.list, this.now());
    if (stale === this.stale) return;
    this.stale = stale;
    this.m.stale.set(stale ? 1 : 0);
    if (stale) this.warnStale();
    else this.o.logger.info({ code: "CRL_FRESH", ...this.describe() }, "Subscribe CRL is current again");
  }

  private warnStale(): void {
    this.o.logger.warn(
      { code: "CRL_STALE", ...this.describe() },
      "Subscribe CRL is past its nextUpdate: it still revokes what it lists, but reissue it (bash infra/pki/revoke.sh --out <pki dir>)",
    );
  }

  private publish(): void {
    this.m.stale.set(this.stale ? 1 : 0);
    this.m.nextUpdate.set(this.list.nextUpdate ? Math.floor(this.list.nextUpdate.getTime() / 1000) : 0);
    this.m.revoked.set(this.list.revokedCount);
  }

  private describe() {
    const l = this.list;
    return { file: this.o.path, sha256: l.sha256, issuer: l.issuer, thisUpdate: l.thisUpdate.toISOString(), nextUpdate: l.nextUpdate?.toISOString(), revoked: l.revokedCount };
  }
}
