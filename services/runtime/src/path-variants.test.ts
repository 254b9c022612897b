import { describe, expect, it } from "vitest";
import { pathVariants } from "./path-variants.js";

describe("pathVariants", () => {
  const v = pathVariants("/v1/records?limit=5");
  it("encodes each character of the leading segments, in both hex cases", () => {
    expect(v).toContain("/%761/records?limit=5");
    expect(v).toContain("/v%31/records?limit=5");
    expect(v).toContain("/v1/%72ecords?limit=5");
    expect(v).toContain("/%2e/v1/records?limit=5");
    expect(v).toContain("/%76%31/%72%65%63%6F%72%64%73?limit=5");
  });
  it("spells slashes, dots, case and a trailing slash otherwise", () => {
    for (const p of ["/v1%2Frecords", "/v1%2frecords", "//v1//records", "/./v1/records", "/x/../v1/records", "/x/%2e%2e/v1/records", "/V1/RECORDS", "/V1/Records", "/v1/records/"]) {
      expect(v).toContain(`${p}?limit=5`);
    }
  });
  it("never includes the canonical path itself", () => {
    expect(v).not.toContain("/v1/records?limit=5");
    expect(new Set(v).size).toBe(v.length);
  });
});
