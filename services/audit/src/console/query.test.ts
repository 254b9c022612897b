import { describe, expect, it } from "vitest";
import {
  disclosuresApiUrl,
  isoToLocalInput,
  localInputToIso,
  readParams,
  RECORD_FILTERS,
  RECORD_PARAMS,
  recordApiUrl,
  recordsApiUrl,
  safeNext,
  searchPageUrl,
  statsApiUrl,
} from "../../console/js/query.js";

describe("search query strings", () => {
  it("has a filter for every parameter of GET /v1/records", () => {
    expect(RECORD_PARAMS).toEqual(["kind", "agency", "subscriber_id", "event_type", "region", "subject_id", "outcome", "legal_basis", "from", "to", "limit", "cursor"]);
    const options = Object.fromEntries(RECORD_FILTERS.filter((f) => f.options).map((f) => [f.name, f.options!.map(([v]) => v)]));
    expect(options.kind).toEqual(["decision", "access", "publish", "oversight_query", "policy_revision", "refusal", "refusal_summary", "conflict", "report", "purge"]);
    expect(options.agency).toEqual(["police", "customs", "mbie", "msd"]);
    expect(options.outcome).toEqual(["allow", "deny"]);
    expect(options.region).toHaveLength(12);
    expect(options.region).toContain("bay_of_plenty");
  });

  it("builds the API URL and the page URL from the same filters, in one canonical order, without empty values", () => {
    const filters = { subscriber_id: "customs", kind: "decision", outcome: "", region: "bay_of_plenty" };
    expect(recordsApiUrl(filters)).toBe("/v1/records?kind=decision&subscriber_id=customs&region=bay_of_plenty");
    expect(searchPageUrl(filters, "abc")).toBe("/console/?kind=decision&subscriber_id=customs&region=bay_of_plenty&cursor=abc");
    expect(recordsApiUrl({})).toBe("/v1/records");
    expect(searchPageUrl({}, null)).toBe("/console/");
  });

  it("encodes what needs encoding and round-trips through the address bar", () => {
    const filters = { legal_basis: "Privacy Act 2020, IPP 11(1)(e)(i) & s 9", from: "2026-11-20T00:00:00+13:00", subject_id: "Ōpōtiki/1" };
    const url = searchPageUrl(filters);
    expect(url).not.toMatch(/\s/);
    expect(url).toContain("legal_basis=Privacy+Act+2020%2C+IPP+11%281%29%28e%29%28i%29+%26+s+9");
    expect(url).toContain("from=2026-11-20T00%3A00%3A00%2B13%3A00");
    expect(readParams(url.slice(url.indexOf("?")), RECORD_PARAMS)).toEqual(filters);
  });

  it("reads only known, non-empty parameters", () => {
    expect(readParams("?kind=decision&evil=1&agency=&subscriber_id=%20customs%20", RECORD_PARAMS)).toEqual({ kind: "decision", subscriber_id: "customs" });
  });

  it("puts path parameters through encodeURIComponent", () => {
    expect(recordApiUrl("../tree/heads")).toBe("/v1/records/..%2Ftree%2Fheads");
    expect(disclosuresApiUrl("S 1/2", "c1")).toBe("/v1/subjects/S%201%2F2/disclosures?cursor=c1");
    expect(disclosuresApiUrl("S-1")).toBe("/v1/subjects/S-1/disclosures");
    expect(statsApiUrl({ bucket: "day", from: "2026-11-01T00:00:00.000Z" })).toBe("/v1/stats/disclosures?from=2026-11-01T00%3A00%3A00.000Z&bucket=day");
  });
});

describe("datetime inputs", () => {
  it("round-trip an instant through the browser's local time at minute precision", () => {
    for (const iso of ["2026-11-20T09:15:00.000Z", "2026-04-05T13:59:00.000Z", "2026-09-27T14:30:00.000Z"]) {
      expect(localInputToIso(isoToLocalInput(iso))).toBe(iso);
    }
  });

  it("refuse what is not a datetime-local value", () => {
    expect(localInputToIso("20/11/2026")).toBeUndefined();
    expect(localInputToIso("")).toBeUndefined();
    expect(isoToLocalInput("not a date")).toBe("");
  });
});

describe("returning after sign-in", () => {
  it("goes back only to the console's own pages", () => {
    expect(safeNext("/console/record?id=6b0c")).toBe("/console/record?id=6b0c");
    expect(safeNext("/console/?kind=decision")).toBe("/console/?kind=decision");
    for (const bad of ["//evil.example/console/", "https://evil.example/console/", "/v1/records", "/console/login", "/console/../v1", "/console/record?id=1#x", 5]) {
      expect(safeNext(bad), String(bad)).toBeUndefined();
    }
  });
});
