import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { Accounts, type AccountBase } from "./accounts.js";
import { newCredential } from "./credential-hash.js";
import { commonErrors } from "./errors.js";
import { createLogger } from "./logger.js";
import { createAccountGate, credentialErrors, refusalError, signInFields, SignInThrottledError, type GateOutcome } from "./sign-in.js";

const aroha = await newCredential();
const hemi = await newCredential();
const DAY = 86_400_000;

function harness(over: { expires?: number; disabled?: boolean } = {}) {
  let now = 1_000_000;
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger("t", "info", new Writable({ write: (c, _e, cb) => (lines.push(JSON.parse(String(c)) as Record<string, unknown>), cb()) }));
  const accounts = new Accounts<AccountBase<"reviewer" | "administrator">>(
    [
      { name: "Aroha", role: "reviewer", credential: aroha.credential, expiresAt: new Date(over.expires ?? now + 90 * DAY), disabled: over.disabled ?? false, legacy: false },
      { name: "Hemi", role: "administrator", credential: hemi.credential, expiresAt: new Date(now + 90 * DAY), disabled: false, legacy: false },
    ],
    { cacheTtlMs: 60_000, now: () => now },
  );
  const gate = createAccountGate(accounts, { sessionTtlMs: 8 * 3_600_000, sessionIdleMs: 30 * 60_000, freeFailures: 3, backoffBaseMs: 1000, backoffMaxMs: 60_000, cacheTtlMs: 60_000 }, logger);
  return { gate, accounts, lines, at: (t: number) => (now = t), advance: (ms: number) => (now += ms), now: () => now };
}
const wrong = (token: string) => `${token.slice(0, -4)}AAAA`;
/** The refusal's code, or "ok". */
const codeOf = (o: GateOutcome<unknown>) => (o.ok ? "ok" : o.code);

describe("the account gate", () => {
  it("lets an account in by its token, and refuses anything else as CREDENTIAL_INVALID", async () => {
    const { gate } = harness();
    expect(await gate.authenticate(aroha.token, "10.0.0.1")).toMatchObject({ ok: true, account: { name: "Aroha", role: "reviewer" } });
    expect(await gate.authenticate(wrong(hemi.token), "10.0.0.1")).toEqual({ ok: false, code: "CREDENTIAL_INVALID" });
    expect(await gate.authenticate(undefined, "10.0.0.1")).toEqual({ ok: false, code: "CREDENTIAL_INVALID" });
  });

  it("refuses an expired or disabled account with its own code, told only to a holder of the right token", async () => {
    const expired = harness({ expires: 1_000_000 });
    expect(await expired.gate.authenticate(aroha.token, "10.0.0.1")).toEqual({ ok: false, code: "CREDENTIAL_EXPIRED" });
    expect(await expired.gate.authenticate(wrong(aroha.token), "10.0.0.1")).toEqual({ ok: false, code: "CREDENTIAL_INVALID" });
    const disabled = harness({ disabled: true });
    expect(await disabled.gate.authenticate(aroha.token, "10.0.0.1")).toEqual({ ok: false, code: "CREDENTIAL_DISABLED" });
    // Expiry is a matter of time, not of the file changing: a token remembered a moment ago expires too.
    const h = harness({ expires: 1_000_000 + 10_000 });
    expect((await h.gate.authenticate(aroha.token, "10.0.0.1")).ok).toBe(true);
    h.advance(10_000);
    expect(await h.gate.authenticate(aroha.token, "10.0.0.1")).toEqual({ ok: false, code: "CREDENTIAL_EXPIRED" });
  });

  it("throttles failures per account and per address with 429-style backoff that doubles, and says how long to wait", async () => {
    const { gate, advance, lines } = harness();
    const bad = wrong(aroha.token);
    for (let i = 0; i < 3; i++) expect(codeOf(await gate.authenticate(bad, `10.0.0.${i}`))).toBe("CREDENTIAL_INVALID");
    // The account named by the token has had 3 failures from 3 addresses: it backs off, from any address…
    expect(await gate.authenticate(bad, "10.9.9.9")).toEqual({ ok: false, code: "SIGN_IN_THROTTLED", retryAfterSeconds: 1 });
    // …even with the right token (a guess is not checked while backing off).
    expect(codeOf(await gate.authenticate(aroha.token, "10.9.9.9"))).toBe("SIGN_IN_THROTTLED");
    // Another account is not affected.
    expect((await gate.authenticate(hemi.token, "10.9.9.9")).ok).toBe(true);
    advance(1000);
    expect(codeOf(await gate.authenticate(bad, "10.9.9.9"))).toBe("CREDENTIAL_INVALID");
    expect(await gate.authenticate(bad, "10.9.9.9")).toEqual({ ok: false, code: "SIGN_IN_THROTTLED", retryAfterSeconds: 2 });
    advance(1500);
    expect(await gate.authenticate(bad, "10.9.9.9")).toEqual({ ok: false, code: "SIGN_IN_THROTTLED", retryAfterSeconds: 1 });
    advance(500);
    expect((await gate.authenticate(aroha.token, "10.9.9.9")).ok).toBe(true);
    // A success starts the account's count again.
    expect(codeOf(await gate.authenticate(bad, "10.8.8.8"))).toBe("CREDENTIAL_INVALID");
    expect(lines).toContainEqual(expect.objectContaining({ code: "SIGN_IN_BACKOFF", account: "Aroha", backoffMs: 1000, level: "warn" }));
    expect(lines.filter((l) => l["code"] === "SIGN_IN_BACKOFF")).toHaveLength(2); // the 3rd failure and the 4th
    expect(lines.filter((l) => l["code"] === "SIGN_IN_THROTTLED")).toHaveLength(0); // debug only
  });

  it("throttles an address guessing tokens that name no account", async () => {
    const { gate, advance } = harness();
    for (let i = 0; i < 3; i++) expect(codeOf(await gate.authenticate(`guess-${i}`, "2001:db8::1"))).toBe("CREDENTIAL_INVALID");
    // The same /64.
    expect(await gate.authenticate("guess-4", "2001:db8::2")).toEqual({ ok: false, code: "SIGN_IN_THROTTLED", retryAfterSeconds: 1 });
    expect(codeOf(await gate.authenticate("guess-4", "2001:db9::1"))).toBe("CREDENTIAL_INVALID");
    advance(1000);
    expect(codeOf(await gate.authenticate("guess-5", "2001:db8::1"))).toBe("CREDENTIAL_INVALID");
  });

  it("lets a token verified a moment ago through a backoff: it is not a guess", async () => {
    const { gate } = harness();
    expect((await gate.authenticate(aroha.token, "10.0.0.1")).ok).toBe(true);
    for (let i = 0; i < 4; i++) await gate.authenticate(wrong(aroha.token), "10.0.0.1");
    expect(codeOf(await gate.authenticate(wrong(aroha.token), "10.0.0.1"))).toBe("SIGN_IN_THROTTLED");
    expect((await gate.authenticate(aroha.token, "10.0.0.1")).ok).toBe(true);
  });

  it("signs in for a session that ends when idle, at its lifetime, or when the account expires, and sweeps them", async () => {
    const { gate, advance, at } = harness({ expires: 1_000_000 + 20 * 3_600_000 });
    const first = await gate.signIn(aroha.token, "10.0.0.1");
    expect(first).toMatchObject({ ok: true, account: { name: "Aroha" }, session: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect((await gate.signIn(wrong(aroha.token), "10.0.0.1")).session).toBeUndefined();
    // Used every 29 minutes, it lives; 30 minutes idle ends it.
    for (let i = 0; i < 5; i++) {
      advance(29 * 60_000);
      expect(gate.session(first.session)?.name).toBe("Aroha");
    }
    advance(30 * 60_000);
    expect(gate.session(first.session)).toBeUndefined();
    // However busy, it ends at its lifetime (8 hours).
    at(1_000_000);
    const second = (await gate.signIn(aroha.token, "10.0.0.1")).session;
    for (let t = 0; t < 8 * 60; t += 20) {
      at(1_000_000 + t * 60_000);
      expect(gate.session(second)?.name).toBe("Aroha");
    }
    at(1_000_000 + 8 * 3_600_000);
    expect(gate.session(second)).toBeUndefined();
    // Sessions nobody comes back to are swept.
    const idle = [await gate.signIn(aroha.token, "10.0.0.1"), await gate.signIn(hemi.token, "10.0.0.1")];
    expect(gate.sessions.size).toBe(2);
    advance(31 * 60_000);
    expect(gate.sweep().sessions).toBe(2);
    expect(gate.sessions.size).toBe(0);
    expect(idle.every((s) => gate.session(s.session) === undefined)).toBe(true);
    // The account expiring ends its sessions at the next sweep (and at once on use).
    at(1_000_000 + 20 * 3_600_000 - 60_000);
    const late = [(await gate.signIn(aroha.token, "10.0.0.1")).session, (await gate.signIn(hemi.token, "10.0.0.1")).session];
    advance(60_000);
    expect(gate.sweep().sessions).toBe(1);
    expect(gate.session(late[0])).toBeUndefined();
    expect(gate.session(late[1])?.name).toBe("Hemi");
    gate.signOut(late[1]);
    expect(gate.session(late[1])).toBeUndefined();
  });

  it("maps refusals to errors with stable codes, 429 with the delay", () => {
    const invalid = () => commonErrors.NOT_FOUND();
    const throttled = refusalError({ code: "SIGN_IN_THROTTLED", retryAfterSeconds: 7 }, invalid);
    expect(throttled).toBeInstanceOf(SignInThrottledError);
    expect(throttled.statusCode).toBe(429);
    expect(throttled.toBody()).toEqual({ error: { code: "SIGN_IN_THROTTLED", message: "too many failed attempts; try again in 7 s", issues: [], retry_after_seconds: 7 } });
    expect(refusalError({ code: "CREDENTIAL_EXPIRED" }, invalid)).toMatchObject({ code: "CREDENTIAL_EXPIRED", statusCode: 401 });
    expect(refusalError({ code: "CREDENTIAL_DISABLED" }, invalid)).toMatchObject({ code: "CREDENTIAL_DISABLED", statusCode: 401 });
    expect(refusalError({ code: "CREDENTIAL_INVALID" }, invalid).code).toBe("NOT_FOUND");
    expect(Object.keys(credentialErrors.specs)).toEqual(["CREDENTIAL_EXPIRED", "CREDENTIAL_DISABLED", "SIGN_IN_THROTTLED"]);
  });

  it("declares its settings for a service's configuration, with defaults and bounds", () => {
    expect(signInFields.sessionTtlMs(8 * 3_600_000).parse(undefined)).toBe(8 * 3_600_000);
    expect(signInFields.sessionIdleMs(1_800_000).parse("600000")).toBe(600_000);
    expect(signInFields.freeFailures.parse(undefined)).toBe(5);
    expect(signInFields.backoffBaseMs.parse(undefined)).toBe(1000);
    expect(signInFields.backoffMaxMs.parse(undefined)).toBe(900_000);
    expect(signInFields.pollMs.parse(undefined)).toBe(2000);
    expect(signInFields.cacheTtlMs.parse("0")).toBe(0);
    expect(signInFields.sweepMs.parse(undefined)).toBe(60_000);
    expect(signInFields.cacheTtlMs.safeParse("600000").success).toBe(false);
    expect(signInFields.freeFailures.safeParse("0").success).toBe(false);
  });
});
