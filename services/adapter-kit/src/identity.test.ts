/**
 * Who is publishing, from the verified client certificate the TLS layer hands in:
 * exactly one `spiffe://takitini.local/publisher/<agency>/<system>` URI SAN of the
 * adapter's own agency. Every other certificate the mesh's CA signs — a partner's
 * Subscribe identity, a service's, one with two identities — names no publisher.
 */
import { certificateSha256 } from "@takitini/runtime";
import { describe, expect, it } from "vitest";
import { identifyPublisher, PUBLISHER_REFUSALS } from "./identity.js";

const raw = Buffer.from("not really DER, but bytes the TLS layer verified");
const cert = (subjectaltname: string) => ({ raw, subjectaltname });

describe("identifyPublisher", () => {
  it("names the agency system of a publisher certificate of the adapter's agency", () => {
    expect(identifyPublisher(cert("URI:spiffe://takitini.local/publisher/police/nia, DNS:nia.police.example"), true, "POLICE")).toEqual({
      ok: true,
      publisher: { agency: "police", system: "nia", uri: "spiffe://takitini.local/publisher/police/nia", certificateSha256: certificateSha256(raw) },
    });
  });

  it.each([
    ["a partner's Subscribe certificate", "URI:spiffe://takitini.local/subscriber/customs"],
    ["a service's certificate", "URI:spiffe://takitini.local/service/exchange, DNS:localhost"],
    ["no Takitini identity at all", "DNS:localhost, IP Address:127.0.0.1"],
    ["two identities (which one is asking?)", "URI:spiffe://takitini.local/publisher/police/nia, URI:spiffe://takitini.local/publisher/police/other"],
    ["an unknown agency", "URI:spiffe://takitini.local/publisher/interpol/i24"],
    ["a system name outside the allowed form", "URI:spiffe://takitini.local/publisher/police/NIA_2"],
    ["a publisher path with more segments", "URI:spiffe://takitini.local/publisher/police/nia/extra"],
  ])("refuses %s with 403 NOT_A_PUBLISHER, naming what it was shown", (_, san) => {
    const r = identifyPublisher(cert(san), true, "POLICE");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect([r.code, PUBLISHER_REFUSALS[r.code], r.certificateSha256]).toEqual(["NOT_A_PUBLISHER", 403, certificateSha256(raw)]);
  });

  it("refuses another agency's system with 403 PUBLISHER_NOT_FOR_AGENCY", () => {
    const r = identifyPublisher(cert("URI:spiffe://takitini.local/publisher/customs/cusmod"), true, "POLICE");
    expect(r).toMatchObject({ ok: false, code: "PUBLISHER_NOT_FOR_AGENCY", identity: "spiffe://takitini.local/publisher/customs/cusmod" });
  });

  it("treats a certificate the TLS layer did not verify, or none, as no certificate: 401 PUBLISHER_CERTIFICATE_REQUIRED", () => {
    for (const r of [identifyPublisher(cert("URI:spiffe://takitini.local/publisher/police/nia"), false, "POLICE"), identifyPublisher(undefined, true, "POLICE"), identifyPublisher({ raw: Buffer.alloc(0) }, true, "POLICE")]) {
      expect(r).toMatchObject({ ok: false, code: "PUBLISHER_CERTIFICATE_REQUIRED", identity: "", certificateSha256: "" });
    }
    expect(PUBLISHER_REFUSALS.PUBLISHER_CERTIFICATE_REQUIRED).toBe(401);
  });
});
