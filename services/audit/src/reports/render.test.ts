import { generateKeyPairSync } from "node:crypto";
import { ReportRecord } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { buildReport } from "./model.js";
import { parseQuarter, previousQuarter } from "./quarter.js";
import { reportSigner, reportToApi, sha256, signReport, verifyReport } from "./record.js";
import { changeText, renderCsv, renderHtml } from "./render.js";

const Q3 = parseQuarter("2026-Q3")!;
const at = new Date("2026-08-01T00:00:00Z");
const before = new Date("2026-05-01T00:00:00Z");
const report = buildReport({
  quarter: Q3,
  previous: previousQuarter(Q3),
  region: "eastern",
  current: {
    publishes: [{ at, region: "eastern", eventType: "t", outcome: [{ measure: "arrests", category: "", value: 39 }, { measure: "funding_cents", category: "", value: 123_456 }] }],
    decisions: [{ at, region: "eastern", subscriberId: "customs", outcome: "allow", legalBasis: '=HYPERLINK("x"), "quoted" <b>' }],
    refusals: [],
  },
  prior: { publishes: [{ at: before, region: "eastern", eventType: "t", outcome: [{ measure: "arrests", category: "", value: 78 }] }], decisions: [], refusals: [] },
});
const provenance = { treeSize: 42, rootHash: "ab".repeat(32), keyId: "cd".repeat(32) };

describe("the report's HTML", () => {
  const html = renderHtml(report, "July–September 2026", provenance);

  it("is a page in New Zealand English with one h1 and, per table, an h2, a caption, column and row headers", () => {
    expect(html).toMatch(/^<!doctype html>\n<html lang="en-NZ">/);
    expect(html.match(/<h1>/g)).toHaveLength(1);
    expect(html.match(/<h2 /g)).toHaveLength(report.tables.length);
    expect(html.match(/<caption>/g)).toHaveLength(report.tables.length);
    expect(html).toContain('<th scope="col">2026-Q3</th><th scope="col">2026-Q2</th><th scope="col">Change</th>');
    expect(html).toContain('<th scope="row">Arrests</th><td class="n">39</td><td class="n">78</td><td class="down">▼ down 39 (−50%)</td>');
    expect(html).not.toMatch(/<script/i);
  });

  it("escapes what the ledger holds (a legal basis is data)", () => {
    expect(html).toContain("=HYPERLINK(&quot;x&quot;), &quot;quoted&quot; &lt;b&gt;");
    expect(html).not.toContain("<b>");
  });

  it("says each change in words, the arrow only repeating them", () => {
    const row = { labels: ["x"], current: 5, previous: 0, change: 5, changeRatio: null };
    expect(changeText(row, "count")).toBe("new: 5 (none the quarter before)");
    expect(changeText({ ...row, current: 0, change: 0 }, "count")).toBe("no change");
    expect(changeText({ labels: ["x"], current: 1234.5, previous: 1000, change: 234.5, changeRatio: 0.2345 }, "nzd")).toBe("▲ up $234.50 (+23.5%)");
  });

  it("is the same bytes for the same report (its hash is what is signed)", () => {
    expect(renderHtml(report, "July–September 2026", provenance)).toBe(html);
  });
});

describe("the report's CSV", () => {
  it("one table: labels, both quarters, change, ratio, unit; quoted, formulas neutralised, CRLF", () => {
    const csv = renderCsv(report, report.tables.find((t) => t.id === "disclosures")!);
    const lines = csv.split("\r\n");
    expect(lines[0]).toBe("Partner,Legal basis,2026-Q3,2026-Q2,change,change_ratio,unit");
    expect(lines[1]).toBe(`customs,"'=HYPERLINK(""x""), ""quoted"" <b>",1,0,1,,count`);
    expect(lines.at(-1)).toBe("");
    const funding = renderCsv(report, report.tables.find((t) => t.id === "funding")!).split("\r\n");
    expect(funding[1]).toBe("Funding reported (NZD),1234.56,0,1234.56,,nzd");
  });
});

describe("the report's record", () => {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const signer = reportSigner(privateKey, publicKey, Buffer.alloc(32, 7));
  const renderings = { html: "<p>page</p>", pdf: Buffer.from("%PDF-1.7"), csv: new Map([["operations", "a,b\r\n"], ["denials", "c\r\n"]]) };
  const record = signReport({ quarter: "2026-Q3", region: "eastern", generatedAt: at, treeSize: 42, rootHash: provenance.rootHash }, renderings, signer);

  it("names the hash of each rendering and verifies under the ledger's key", () => {
    expect(record.htmlSha256).toBe(sha256("<p>page</p>"));
    expect(record.pdfSha256).toBe(sha256(renderings.pdf));
    expect(record.csv.map((c) => c.table)).toEqual(["denials", "operations"]);
    expect(record.id).toMatch(/^2026-Q3:eastern:[0-9a-f]{32}$/);
    expect(verifyReport(record, publicKey)).toBe(true);
    // Through its protobuf bytes too (what the leaf holds).
    expect(verifyReport(ReportRecord.decode(ReportRecord.encode(record).finish()), publicKey)).toBe(true);
    expect(reportToApi(record)).toMatchObject({ quarter: "2026-Q3", region: "eastern", tree_size: 42, csv: { operations: sha256("a,b\r\n") } });
  });

  it("fails for any field changed, another key, or a bad signature", () => {
    expect(verifyReport({ ...record, pdfSha256: sha256("another") }, publicKey)).toBe(false);
    expect(verifyReport({ ...record, csv: [{ table: "operations", sha256: sha256("x") }, record.csv[0]!] }, publicKey)).toBe(false);
    expect(verifyReport({ ...record, region: "southern" }, publicKey)).toBe(false);
    expect(verifyReport(record, generateKeyPairSync("ed25519").publicKey)).toBe(false);
    expect(verifyReport({ ...record, signature: "not base64 at all" }, publicKey)).toBe(false);
  });
});
