/**
 * The SMTP transport as configured (SMTP_* through smtpSettings, nodemailer)
 * against a real SMTP server on loopback (nodemailer's smtp-server) with a
 * certificate from a throwaway CA made with the openssl CLI: STARTTLS required
 * and verified against SMTP_TLS_CA_FILE, authentication with the password from
 * SMTP_PASSWORD_FILE; no fallback to plaintext, no unverified certificate; and
 * the configuration's refusals.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nodemailer from "nodemailer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { headersOf, localSmtp, type LocalSmtp } from "../../../test/mail/smtp.ts";
import { readConfig, smtpSettings, type Config } from "./config.js";
import { digestEmail } from "./email.js";
import { easternBriefing } from "./mail.fixture.js";

let dir: string;
let ca: string;
let tlsServer: LocalSmtp;
let plainServer: LocalSmtp;
const KAFKA = { BRIEFING_ROUNDING_SECRET_FILE: "/dev/null", TAKITINI_INSECURE_KAFKA: "true" };
const BASE = { ...KAFKA, SMTP_FROM: "briefings@takitini.example", BRIEFING_MAIL_SECRET_FILE: "/x", BRIEFING_PUBLIC_URL: "https://b.example" };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "takitini-smtp-test-"));
  const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
  run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=test SMTP CA", "-days", "1", "-keyout", "ca.key", "-out", "ca.crt", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign");
  run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "smtp.key", "-out", "smtp.csr");
  writeFileSync(join(dir, "ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
  run("x509", "-req", "-in", "smtp.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1", "-extfile", "ext", "-out", "smtp.crt");
  ca = join(dir, "ca.crt");
  writeFileSync(join(dir, "password"), "s3cret-for-the-relay\n");
  tlsServer = await localSmtp({ tls: { key: readFileSync(join(dir, "smtp.key"), "utf8"), cert: readFileSync(join(dir, "smtp.crt"), "utf8") }, auth: { user: "briefing", pass: "s3cret-for-the-relay" } });
  plainServer = await localSmtp();
});
afterAll(async () => {
  await tlsServer?.close();
  await plainServer?.close();
});

const config = (env: Record<string, string>): Config => readConfig({ ...BASE, SMTP_HOST: "127.0.0.1", ...env });
const send = (c: Config) =>
  nodemailer.createTransport(smtpSettings(c, (p) => readFileSync(p, "utf8"))!).sendMail(
    digestEmail({ briefing: easternBriefing("2026-W48"), from: c.SMTP_FROM!, to: "rangi@example.org", messageId: "<m1@takitini.example>", pageUrl: "https://b.example/p", unsubscribeUrl: "https://b.example/u?token=t" }),
  );

describe("the SMTP transport from the configuration", () => {
  it("sends over STARTTLS, verifying the server against SMTP_TLS_CA_FILE, authenticated with the password file", async () => {
    await send(config({ SMTP_PORT: String(tlsServer.port), SMTP_TLS: "starttls", SMTP_TLS_CA_FILE: ca, SMTP_USER: "briefing", SMTP_PASSWORD_FILE: join(dir, "password") }));
    expect(tlsServer.received).toHaveLength(1);
    expect(tlsServer.received[0]).toMatchObject({ to: ["rangi@example.org"], secure: true, user: "briefing" });
    expect(headersOf(tlsServer.received[0]!.raw)).toMatch(/^Message-ID: <m1@takitini\.example>\r?$/m);
  });

  it("refuses a server whose certificate it cannot verify (no CA file), and never falls back to plaintext", async () => {
    const before = tlsServer.received.length;
    await expect(send(config({ SMTP_PORT: String(tlsServer.port), SMTP_TLS: "starttls", SMTP_USER: "briefing", SMTP_PASSWORD_FILE: join(dir, "password") }))).rejects.toThrow(/certificate/i);
    // STARTTLS required: a server that does not offer it gets nothing.
    await expect(send(config({ SMTP_PORT: String(plainServer.port), SMTP_TLS: "starttls" }))).rejects.toThrow(/STARTTLS/i);
    expect(tlsServer.received.length).toBe(before);
    expect(plainServer.received).toHaveLength(0);
  });

  it("sends plaintext only when told SMTP_TLS=none", async () => {
    await send(config({ SMTP_PORT: String(plainServer.port), SMTP_TLS: "none" }));
    expect(plainServer.received).toHaveLength(1);
    expect(plainServer.received[0]!.secure).toBe(false);
  });

  it("refuses an incomplete mail configuration, naming each variable", () => {
    const issues = (env: Record<string, string | undefined>) => {
      try {
        readConfig({ ...KAFKA, ...env });
        return [];
      } catch (err) {
        return ((err as { issues?: { path: string }[] }).issues ?? []).map((i) => i.path);
      }
    };
    expect(issues({ SMTP_HOST: "smtp.example.org" }).sort()).toEqual(["BRIEFING_MAIL_SECRET_FILE", "BRIEFING_PUBLIC_URL", "SMTP_FROM"]);
    expect(issues({ ...BASE, SMTP_HOST: "smtp.example.org", SMTP_USER: "u" })).toEqual(["SMTP_PASSWORD_FILE"]);
    expect(issues({ ...BASE, SMTP_HOST: "smtp.example.org", SMTP_TLS: "sometimes" })).toEqual(["SMTP_TLS"]);
    expect(issues({ ...BASE, SMTP_HOST: "smtp.example.org", SMTP_TIMEOUT_MS: "60000", BRIEFING_MAIL_CLAIM_LEASE_MS: "60000" })).toEqual(["BRIEFING_MAIL_CLAIM_LEASE_MS"]);
    expect(issues({ ...BASE, SMTP_HOST: "smtp.example.org", BRIEFING_MAIL_TOPIC: "takitini.briefings.v1" })).toEqual(["BRIEFING_MAIL_TOPIC"]);
    expect(issues({})).toEqual([]);
    expect(smtpSettings(readConfig(KAFKA), () => "")).toBeUndefined();
  });
});
