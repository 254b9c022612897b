import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { certificateRef, CRL_ERROR, CrlError, isStale, parseRevocationList } from "./revocation.js";

/**
 * Real CRLs, made by infra/pki/revoke.sh (openssl ca -gencrl) in a temporary PKI
 * from infra/pki/issue.sh, checked by the pure module the Subscribe door uses.
 */
const ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
let tmp: string;
let pki: string;
const read = (path: string) => readFileSync(join(pki, path));
const sh = (script: string, ...args: string[]) =>
  execFileSync("bash", [join(ROOT, "infra/pki", script), "--out", pki, ...args], { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });

let emptyCrl: Buffer;
let customsCrl: Buffer;
let rogueCrl: Buffer;

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), "takitini-crl-"));
  pki = join(tmp, "pki");
  sh("issue.sh", "--rogue-ca");
  // No argument: just the current (empty) CRL.
  expect(sh("revoke.sh").trim()).toBe(join(pki, "crl.pem"));
  emptyCrl = read("crl.pem");
  expect(sh("revoke.sh", "customs").trim()).toBe(join(pki, "crl.pem"));
  customsCrl = read("crl.pem");
  // The rogue CA (same name as the real one) gets a PKI directory and a CRL of its own.
  execFileSync("bash", [join(ROOT, "infra/pki/revoke.sh"), "--out", join(pki, "rogue"), "customs"], { stdio: ["ignore", "pipe", "pipe"] });
  rogueCrl = readFileSync(join(pki, "rogue/crl.pem"));
}, 60_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("a CRL from revoke.sh", () => {
  it("verifies an empty CRL against its CA: it revokes nothing, and has a nextUpdate", async () => {
    const list = await parseRevocationList(emptyCrl, read("ca.crt"));
    expect(list.revokedCount).toBe(0);
    expect(list.revokes(certificateRef(read("subscriber/customs.crt")))).toBe(false);
    expect(list.issuer).toContain("Takitini local CA");
    expect(list.sha256).toMatch(/^[0-9a-f]{64}$/);
    // revoke.sh's default: 7 days from now.
    const days = (list.nextUpdate!.getTime() - list.thisUpdate.getTime()) / 86_400_000;
    expect(days).toBeCloseTo(7, 3);
    expect(Math.abs(list.thisUpdate.getTime() - Date.now())).toBeLessThan(5 * 60_000);
  });

  it("revokes the certificate it lists, by issuer and serial, and nothing else", async () => {
    const list = await parseRevocationList(customsCrl, read("ca.crt"));
    expect(list.revokedCount).toBe(1);
    expect(list.revokes(certificateRef(read("subscriber/customs.crt")))).toBe(true);
    expect(list.revokes(certificateRef(read("subscriber/police.crt")))).toBe(false);
    // PEM or DER of the same certificate, the same answer.
    const der = new (await import("node:crypto")).X509Certificate(read("subscriber/customs.crt")).raw;
    expect(list.revokes(certificateRef(der))).toBe(true);
    // The same serial from another issuer (here an empty name) is another certificate.
    const ref = certificateRef(read("subscriber/customs.crt"));
    expect(list.revokes({ ...ref, issuer: "3000" })).toBe(false);
    expect(list.revokes({ ...ref, serialNumber: `00${ref.serialNumber.toUpperCase()}` })).toBe(true);
  });

  it("takes the serial as openssl reports it", async () => {
    const ref = certificateRef(read("subscriber/customs.crt"));
    const openssl = execFileSync("openssl", ["x509", "-in", join(pki, "subscriber/customs.crt"), "-noout", "-serial"], { encoding: "utf8" });
    expect(ref.serialNumber).toBe(openssl.trim().replace(/^serial=/, "").replace(/^0+/, "").toLowerCase());
  });

  it("is idempotent: revoking again, by name or by file, lists the certificate once", async () => {
    sh("revoke.sh", "customs", join(pki, "subscriber/customs.crt"));
    const list = await parseRevocationList(read("crl.pem"), read("ca.crt"));
    expect(list.revokedCount).toBe(1);
    const listed = sh("revoke.sh", "--list").trim().split("\n");
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatch(new RegExp(`^0*${certificateRef(read("subscriber/customs.crt")).serialNumber}\\t\\d{12}Z\\t.*subscriber customs`, "i"));
  });

  it("refuses a CRL signed by another CA with the same name", async () => {
    await expect(parseRevocationList(rogueCrl, read("ca.crt"))).rejects.toMatchObject({ code: CRL_ERROR.CRL_NOT_SIGNED_BY_CA });
    // …which its own CA does verify.
    expect((await parseRevocationList(rogueCrl, read("rogue/ca.crt"))).revokedCount).toBe(1);
  });

  it("verifies against a CA bundle that holds the signer among others", async () => {
    const bundle = Buffer.concat([read("rogue/ca.crt"), read("ca.crt")]);
    expect((await parseRevocationList(customsCrl, bundle)).revokedCount).toBe(1);
  });

  it("refuses a CRL whose signed part was altered", async () => {
    const pem = customsCrl.toString("latin1");
    const body = pem.split("\n").filter((l) => l && !l.startsWith("-----")).join("");
    const der = Buffer.from(body, "base64");
    // Flip a byte inside the revoked serial number (within the signed TBSCertList).
    // The reference drops leading zeros, so its hex may be of odd length: pad it to whole bytes.
    const hexSerial = certificateRef(read("subscriber/customs.crt")).serialNumber;
    const serial = Buffer.from(hexSerial.length % 2 === 0 ? hexSerial : `0${hexSerial}`, "hex");
    const at = der.indexOf(serial);
    expect(at).toBeGreaterThan(0);
    der[at + serial.length - 1]! ^= 0x01;
    const tampered = `-----BEGIN X509 CRL-----\n${der.toString("base64").replace(/(.{64})/g, "$1\n")}\n-----END X509 CRL-----\n`;
    await expect(parseRevocationList(tampered, read("ca.crt"))).rejects.toMatchObject({ code: CRL_ERROR.CRL_NOT_SIGNED_BY_CA });
  });

  it.each([
    ["garbage", "this is not a CRL"],
    ["an empty file", ""],
    ["a certificate instead of a CRL", "CERT"],
    ["two CRLs in one file", "TWO"],
    ["a CRL block of garbage", "-----BEGIN X509 CRL-----\nAAAABBBBCCCC\n-----END X509 CRL-----\n"],
  ])("refuses %s", async (_what, text) => {
    const input = text === "CERT" ? read("subscriber/customs.crt") : text === "TWO" ? Buffer.concat([emptyCrl, customsCrl]) : text;
    const err = await parseRevocationList(input, read("ca.crt")).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CrlError);
    expect((err as CrlError).code).toBe(CRL_ERROR.CRL_UNREADABLE);
  });

  it("refuses when the CA file holds no certificate", async () => {
    await expect(parseRevocationList(customsCrl, "not a certificate")).rejects.toMatchObject({ code: CRL_ERROR.CA_UNREADABLE });
  });

  it("tells a CRL past its nextUpdate", async () => {
    const list = await parseRevocationList(emptyCrl, read("ca.crt"));
    expect(isStale(list, new Date())).toBe(false);
    expect(isStale(list, new Date(list.nextUpdate!.getTime() + 1000))).toBe(true);
    expect(isStale({ nextUpdate: undefined }, new Date(8.64e15))).toBe(false);
  });

  it("rewrites crl.pem whole, with the CA's signature, and refuses what the CA did not sign", () => {
    writeFileSync(join(tmp, "foreign.crt"), read("rogue/subscriber/police.crt"));
    expect(() => sh("revoke.sh", join(tmp, "foreign.crt"))).toThrow(/not signed by the CA/);
    expect(() => sh("revoke.sh", "nobody")).toThrow(/no certificate for subscriber nobody/);
    // Nothing was revoked by the refused calls.
    expect(sh("revoke.sh", "--list").trim().split("\n")).toHaveLength(1);
    execFileSync("openssl", ["crl", "-in", join(pki, "crl.pem"), "-noout", "-CAfile", join(pki, "ca.crt")], { stdio: "pipe" });
  });
});
