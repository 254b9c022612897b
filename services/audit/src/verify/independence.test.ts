import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/** The verifier may share the hash definition with the writer, and nothing else. */
describe("the verifier's independence", () => {
  const dir = new URL("./", import.meta.url);
  const sources = readdirSync(dir).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));

  it.each(sources)("%s imports only node built-ins, its own modules and merkle/hash", (file) => {
    const text = readFileSync(new URL(file, dir), "utf8");
    const imports = [...text.matchAll(/^\s*(?:import|export)[^'"]*?from\s+["']([^"']+)["']/gm)].map((m) => m[1]!);
    for (const spec of imports) {
      const allowed = spec.startsWith("node:") || /^\.\/[a-z-]+\.js$/.test(spec) || spec === "../merkle/hash.js";
      expect(allowed, `${file} imports ${spec}`).toBe(true);
    }
  });

  it("found the verifier's modules", () => {
    expect(sources).toEqual(expect.arrayContaining(["proofs.ts", "ledger.ts", "head.ts", "entry.ts"]));
  });
});
