import { INFORMATION_RECORD_TYPES } from "@takitini/adapter-kit";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { customsAdapter } from "./adapter.js";

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");

/** The first JSON block in the README section headed by the record type. */
function readmeExample(recordType: string): unknown {
  const start = readme.indexOf(`## \`${recordType}\``);
  if (start < 0) throw new Error(`README has no section for ${recordType}`);
  const block = /```json\n([\s\S]*?)\n```/.exec(readme.slice(start));
  if (!block) throw new Error(`README section ${recordType} has no JSON example`);
  return JSON.parse(block[1]!);
}

describe("README", () => {
  // The shared information kinds are the adapter-kit's (documented and tested there).
  it.each(customsAdapter.kinds.filter((k) => !INFORMATION_RECORD_TYPES.has(k.recordType)).map((k) => [k.recordType, k] as const))("shows %s's example as the code has it", (_t, kind) => {
    expect(readmeExample(kind.recordType)).toEqual(kind.example);
  });
});
