import { describe, expect, it } from "vitest";
import { credentialId, credentialProblem, hashSecret, newCredential, parseCredential, SCRYPT_DEFAULTS, splitToken, verifySecret } from "./credential-hash.js";

describe("scrypt credentials", () => {
  it("encode as scrypt$N$r$p$salt$hash with N ≥ 2^15, r 8, p 1 and a 16-byte salt, and verify only the secret they were made from", async () => {
    const encoded = await hashSecret("correct horse battery staple");
    expect(encoded).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/);
    const parsed = parseCredential(encoded);
    expect(parsed).toMatchObject({ N: 2 ** 15, r: 8, p: 1 });
    expect(parsed.salt).toHaveLength(16);
    expect(parsed.hash).toHaveLength(32);
    expect(await verifySecret("correct horse battery staple", encoded)).toBe(true);
    expect(await verifySecret("correct horse battery stapLe", encoded)).toBe(false);
    expect(await verifySecret("", encoded)).toBe(false);
    // A fresh salt each time: the same secret never hashes the same.
    expect(await hashSecret("correct horse battery staple")).not.toBe(encoded);
    expect(SCRYPT_DEFAULTS).toEqual({ N: 32768, r: 8, p: 1 });
  });

  it("refuse encodings that are weak, malformed or ask for too much memory", async () => {
    const salt = Buffer.alloc(16, 1).toString("base64");
    const hash = Buffer.alloc(32, 2).toString("base64");
    expect(credentialProblem(`scrypt$32768$8$1$${salt}$${hash}`)).toBeUndefined();
    expect(credentialProblem(`scrypt$16384$8$1$${salt}$${hash}`)).toMatch(/power of two from 2\^15/);
    expect(credentialProblem(`scrypt$40000$8$1$${salt}$${hash}`)).toMatch(/power of two/);
    expect(credentialProblem(`scrypt$1048576$8$1$${salt}$${hash}`)).toMatch(/2\^17/);
    expect(credentialProblem(`scrypt$32768$4$1$${salt}$${hash}`)).toMatch(/r must be/);
    expect(credentialProblem(`scrypt$32768$8$9$${salt}$${hash}`)).toMatch(/p must be/);
    expect(credentialProblem(`scrypt$32768$8$1$${Buffer.alloc(8).toString("base64")}$${hash}`)).toMatch(/salt must be 16 bytes/);
    expect(credentialProblem(`scrypt$32768$8$1$${salt}$not base64!`)).toMatch(/hash must be 32 bytes/);
    expect(credentialProblem("sha256$abcd")).toMatch(/expected scrypt/);
    expect(credentialProblem(`scrypt$0x8000$8$1$${salt}$${hash}`)).toMatch(/positive integers/);
    await expect(hashSecret("x", { N: 1024, r: 8, p: 1 })).rejects.toThrow(/refusing/);
    expect(await verifySecret("x", "garbage")).toBe(false);
  });

  it("make tokens tkt.<id>.<secret> whose id is derived from the credential, so a token names one entry", async () => {
    const { token, credential } = await newCredential();
    const parts = splitToken(token)!;
    expect(token).toMatch(/^tkt\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{43}$/);
    expect(parts.id).toBe(credentialId(credential));
    expect(await verifySecret(parts.secret, credential)).toBe(true);
    // A rotated credential (new salt and hash) has a new id: the old token names nothing.
    const rotated = await newCredential();
    expect(credentialId(rotated.credential)).not.toBe(parts.id);
    expect(splitToken("e2e-oversight-token-7c1d0b")).toBeUndefined();
    expect(splitToken(`${token}x`)).toBeUndefined();
  });
});
