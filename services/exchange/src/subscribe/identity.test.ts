import { execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authorise, certificateSha256, DENIAL, identify, parseSubjectAltName, stillAuthorised, withinSubscriberLimit, type Identity } from "./identity.js";

const DER = Buffer.from("not really DER, but bytes to hash");
const cert = (subjectaltname?: string) => ({ raw: DER, ...(subjectaltname === undefined ? {} : { subjectaltname }) });
const SHA = createHash("sha256").update(DER).digest("hex");

const registry = [
  { id: "customs", tier: "partner_agency", delivery_topic: "takitini.deliver.customs.v1" },
  { id: "police", tier: "partner_agency", delivery_topic: "takitini.deliver.police.v1" },
];

describe("identity from a peer certificate", () => {
  it("takes the subscriber from the one spiffe URI SAN", () => {
    expect(identify(cert("URI:spiffe://takitini.local/subscriber/customs"))).toEqual({
      ok: true,
      identity: { subscriberId: "customs", certificateSha256: SHA },
    });
    expect(identify(cert("DNS:customs.example, URI:spiffe://takitini.local/subscriber/community-eastern, IP Address:10.0.0.1"))).toMatchObject({
      ok: true,
      identity: { subscriberId: "community-eastern" },
    });
  });

  it("hashes the certificate's DER as lowercase hex SHA-256", () => {
    expect(certificateSha256(DER)).toBe(SHA);
    expect(SHA).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses a connection without a certificate", () => {
    expect(identify(undefined)).toEqual({ ok: false, reason: DENIAL.NO_CLIENT_CERTIFICATE, certificateSha256: "" });
    expect(identify({ subjectaltname: "URI:spiffe://takitini.local/subscriber/customs" })).toMatchObject({ ok: false, reason: DENIAL.NO_CLIENT_CERTIFICATE });
    expect(identify({ raw: Buffer.alloc(0), subjectaltname: "URI:spiffe://takitini.local/subscriber/customs" })).toMatchObject({ ok: false, reason: DENIAL.NO_CLIENT_CERTIFICATE });
  });

  it.each([
    ["no SAN at all", undefined],
    ["only a DNS name", "DNS:customs"],
    ["a service identity", "URI:spiffe://takitini.local/service/exchange"],
    ["another trust domain", "URI:spiffe://evil.example/subscriber/customs"],
    ["a look-alike trust domain", "URI:spiffe://takitini.local.evil.example/subscriber/customs"],
    ["two subscribers", "URI:spiffe://takitini.local/subscriber/customs, URI:spiffe://takitini.local/subscriber/police"],
    ["a subscriber and a service", "URI:spiffe://takitini.local/subscriber/customs, URI:spiffe://takitini.local/service/exchange"],
    ["a path below the id", "URI:spiffe://takitini.local/subscriber/customs/extra"],
    ["an upper-case id", "URI:spiffe://takitini.local/subscriber/Customs"],
    ["an empty id", "URI:spiffe://takitini.local/subscriber/"],
    ["a query", "URI:spiffe://takitini.local/subscriber/customs?x=1"],
    ["a quoted (escaped) value", 'URI:"spiffe://takitini.local/subscriber/customs"'],
    ["a quoted value smuggling a second entry", 'DNS:"a, URI:spiffe://takitini.local/subscriber/police"'],
    ["a malformed SAN", "spiffe://takitini.local/subscriber/customs"],
  ])("refuses a certificate with %s", (_what, san) => {
    expect(identify(cert(san))).toEqual({ ok: false, reason: DENIAL.NO_SUBSCRIBER_IDENTITY, certificateSha256: SHA });
  });

  it("parses Node's SAN rendering, quoted values kept whole", () => {
    expect(parseSubjectAltName('DNS:a, URI:"x, URI:y", IP Address:127.0.0.1')).toEqual([
      { type: "DNS", value: "a", quoted: false },
      { type: "URI", value: "x, URI:y", quoted: true },
      { type: "IP Address", value: "127.0.0.1", quoted: false },
    ]);
    expect(parseSubjectAltName("")).toEqual([]);
    expect(() => parseSubjectAltName('URI:"unterminated')).toThrow(/malformed/);
  });
});

describe("authorisation", () => {
  const customs: Identity = { subscriberId: "customs", certificateSha256: SHA };

  it("grants a partner its own stream, asked for by name or by default", () => {
    expect(authorise(customs, "", registry)).toEqual({ ok: true, subscriberId: "customs", deliveryTopic: "takitini.deliver.customs.v1" });
    expect(authorise(customs, "customs", registry)).toEqual({ ok: true, subscriberId: "customs", deliveryTopic: "takitini.deliver.customs.v1" });
  });

  it("refuses another partner's stream, whether or not that partner exists", () => {
    expect(authorise(customs, "police", registry)).toEqual({ ok: false, reason: DENIAL.NOT_OWN_STREAM, requested: "police" });
    expect(authorise(customs, "nobody", registry)).toEqual({ ok: false, reason: DENIAL.NOT_OWN_STREAM, requested: "nobody" });
  });

  it("refuses a subscriber that is not a partner agency (community tiers get briefings, never a stream)", () => {
    const tiers = [
      { id: "community-eastern", tier: "community_leader", delivery_topic: "takitini.deliver.community-eastern.v1" },
      { id: "public", tier: "public", delivery_topic: "takitini.deliver.public.v1" },
      { id: "watchdog", tier: "oversight", delivery_topic: "takitini.deliver.watchdog.v1" },
    ];
    for (const s of tiers) {
      expect(authorise({ subscriberId: s.id, certificateSha256: SHA }, "", tiers), s.id).toEqual({ ok: false, reason: DENIAL.NOT_PARTNER_AGENCY, requested: s.id });
    }
  });

  it("refuses a foreign partner (served over HTTPS, never a Subscribe stream), by name or by default", () => {
    const withForeign = [...registry, { id: "aus-abf", tier: "foreign_partner", delivery_topic: "takitini.deliver.aus-abf.v1" }];
    const abf: Identity = { subscriberId: "aus-abf", certificateSha256: SHA };
    expect(authorise(abf, "", withForeign)).toEqual({ ok: false, reason: DENIAL.NOT_PARTNER_AGENCY, requested: "aus-abf" });
    expect(authorise(abf, "aus-abf", withForeign)).toEqual({ ok: false, reason: DENIAL.NOT_PARTNER_AGENCY, requested: "aus-abf" });
    expect(stillAuthorised("aus-abf", "takitini.deliver.aus-abf.v1", withForeign)).toBe(false);
  });

  it("refuses a subscriber the registry in force no longer (or never) knew", () => {
    const mbie: Identity = { subscriberId: "mbie", certificateSha256: SHA };
    expect(authorise(mbie, "", registry)).toEqual({ ok: false, reason: DENIAL.UNKNOWN_SUBSCRIBER, requested: "mbie" });
    expect(authorise(mbie, "mbie", registry)).toEqual({ ok: false, reason: DENIAL.UNKNOWN_SUBSCRIBER, requested: "mbie" });
  });
});

describe("revocation of an open stream", () => {
  it("holds while the registry in force gives the subscriber the same topic", () => {
    expect(stillAuthorised("customs", "takitini.deliver.customs.v1", registry)).toBe(true);
  });

  it("ends when the subscriber left the registry or its topic changed", () => {
    expect(stillAuthorised("customs", "takitini.deliver.customs.v1", registry.filter((s) => s.id !== "customs"))).toBe(false);
    expect(stillAuthorised("customs", "takitini.deliver.customs.v1", [{ id: "customs", tier: "partner_agency", delivery_topic: "takitini.deliver.customs.v2" }])).toBe(false);
    // …or it is no longer a partner agency.
    expect(stillAuthorised("customs", "takitini.deliver.customs.v1", [{ id: "customs", tier: "community_leader", delivery_topic: "takitini.deliver.customs.v1" }])).toBe(false);
    expect(stillAuthorised("customs", "takitini.deliver.customs.v1", [])).toBe(false);
  });
});

describe("certificates from infra/pki/issue.sh", () => {
  const script = fileURLToPath(new URL("../../../../infra/pki/issue.sh", import.meta.url));
  const subscribers = JSON.parse(readFileSync(fileURLToPath(new URL("../../../../policies/data/subscribers.json", import.meta.url)), "utf8")) as Record<string, { tier: string }>;
  const partners = Object.entries(subscribers).filter(([, s]) => s.tier === "partner_agency").map(([id]) => id).sort();
  const foreign = Object.entries(subscribers).filter(([, s]) => s.tier === "foreign_partner").map(([id]) => id).sort();
  let dir: string;
  const issue = () => execFileSync("bash", [script, "--out", dir, "--rogue-ca"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
  const x509 = (path: string) => new X509Certificate(readFileSync(join(dir, path)));

  beforeAll(() => {
    dir = join(mkdtempSync(join(tmpdir(), "takitini-pki-")), "pki");
    expect(issue()).toBe(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("issues one client certificate per partner agency that identifies as that partner", () => {
    expect(partners).toEqual(["customs", "mbie", "msd", "oranga-tamariki", "police"]);
    const ca = x509("ca.crt");
    for (const id of partners) {
      const c = x509(`subscriber/${id}.crt`);
      expect(c.verify(ca.publicKey)).toBe(true);
      expect(c.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
      expect(identify({ raw: c.raw, subjectaltname: c.subjectAltName! })).toEqual({
        ok: true,
        identity: { subscriberId: id, certificateSha256: createHash("sha256").update(c.raw).digest("hex") },
      });
    }
    expect(() => statSync(join(dir, "subscriber/community-eastern.crt"))).toThrow();
    expect(statSync(join(dir, "subscriber/customs.key")).mode & 0o077).toBe(0);
  });

  it("issues each foreign partner a client certificate in the same form, which Subscribe still refuses", () => {
    expect(foreign).toEqual(["aus-abf", "aus-afp", "fji-police", "gbr-nca"]);
    const ca = x509("ca.crt");
    const registered = Object.entries(subscribers).map(([id, s]) => ({ id, tier: s.tier, delivery_topic: `takitini.deliver.${id}.v1` }));
    for (const id of foreign) {
      const c = x509(`subscriber/${id}.crt`);
      expect(c.verify(ca.publicKey)).toBe(true);
      expect(c.subjectAltName).toBe(`URI:spiffe://takitini.local/subscriber/${id}`);
      const who = identify({ raw: c.raw, subjectaltname: c.subjectAltName! });
      expect(who).toMatchObject({ ok: true, identity: { subscriberId: id } });
      if (!who.ok) continue;
      expect(authorise(who.identity, "", registered)).toEqual({ ok: false, reason: DENIAL.NOT_PARTNER_AGENCY, requested: id });
      expect(statSync(join(dir, `subscriber/${id}.key`)).mode & 0o077).toBe(0);
      expect(x509(`rogue/subscriber/${id}.crt`).verify(ca.publicKey)).toBe(false);
    }
  });

  it("issues the exchange a server certificate for localhost that is no partner identity", () => {
    const c = x509("service/exchange.crt");
    expect(c.verify(x509("ca.crt").publicKey)).toBe(true);
    expect(c.checkHost("localhost")).toBe("localhost");
    expect(c.checkIP("127.0.0.1")).toBe("127.0.0.1");
    expect(c.subjectAltName).toContain("URI:spiffe://takitini.local/service/exchange");
    expect(identify({ raw: c.raw, subjectaltname: c.subjectAltName! })).toMatchObject({ ok: false, reason: DENIAL.NO_SUBSCRIBER_IDENTITY });
  });

  it("issues rogue certificates with the same names that the real CA did not sign", () => {
    const rogue = x509("rogue/subscriber/customs.crt");
    expect(rogue.issuer).toBe(x509("ca.crt").subject);
    expect(rogue.verify(x509("ca.crt").publicKey)).toBe(false);
    expect(rogue.verify(x509("rogue/ca.crt").publicKey)).toBe(true);
  });

  it("is idempotent: a second run keeps every certificate", () => {
    const before = partners.map((id) => x509(`subscriber/${id}.crt`).fingerprint256);
    const ca = x509("ca.crt").fingerprint256;
    issue();
    expect(partners.map((id) => x509(`subscriber/${id}.crt`).fingerprint256)).toEqual(before);
    expect(x509("ca.crt").fingerprint256).toBe(ca);
  });

  it("re-issues a certificate that is missing or was signed by another CA", () => {
    rmSync(join(dir, "subscriber/mbie.crt"));
    execFileSync("cp", [join(dir, "rogue/subscriber/msd.crt"), join(dir, "subscriber/msd.crt")]);
    execFileSync("cp", [join(dir, "rogue/subscriber/msd.key"), join(dir, "subscriber/msd.key")]);
    issue();
    const ca = x509("ca.crt");
    expect(x509("subscriber/mbie.crt").verify(ca.publicKey)).toBe(true);
    expect(x509("subscriber/msd.crt").verify(ca.publicKey)).toBe(true);
  });
});

describe("streams per subscriber", () => {
  it("admits up to the limit and refuses the next", () => {
    expect(withinSubscriberLimit(0, 1)).toBe(true);
    expect(withinSubscriberLimit(7, 8)).toBe(true);
    expect(withinSubscriberLimit(8, 8)).toBe(false);
    expect(withinSubscriberLimit(9, 8)).toBe(false);
  });
});
