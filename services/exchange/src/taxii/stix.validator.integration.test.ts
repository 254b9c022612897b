/**
 * The mapping's output against the real OASIS STIX 2.1 validator (stix2-validator,
 * pinned in infra/python/requirements.txt, installed by infra/python/install.sh into
 * <repo>/.takitini/venv; the first run takes a minute, later ones a second or two).
 *
 * Strict: every best-practice check runs and a warning fails like an error, relationship
 * references must resolve in the bundle. One check is off, and the second test pins that it
 * is the only one the output needs off: {103} uuid-check, "SDO/SRO/marking ids SHOULD be
 * UUIDv4" — our ids are UUIDv5 on purpose (deterministic: a re-delivery yields the same
 * objects; services/exchange/STIX-MAPPING.md).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Classification, IntelligenceEvent } from "@takitini/proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fullEvent } from "../events.fixture.js";
import { type ForeignDelivery, MAPPED_EVENT_TYPES, type StixObject, toStix } from "./stix.js";

const ROOT = resolve(import.meta.dirname, "../../../..");
const INSTALL = join(ROOT, "infra/python/install.sh");
const VALIDATE = join(ROOT, "infra/python/validate_stix.py");
/** The uuid-check: our ids are deterministic UUIDv5 by design. */
const ACCEPTED = ["103"];

interface ObjectResult {
  id: string;
  valid: boolean;
  errors: string[];
  warnings: string[];
}
interface Validation {
  validator: string;
  results: { file: string; valid: boolean; fatal: string | null; objects: ObjectResult[] }[];
}

let python = "";
let dir = "";

beforeAll(() => {
  // Never skipped: without Python (and no root to install it) install.sh fails, and says why.
  const r = spawnSync("bash", [INSTALL], { encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) throw new Error(`bash infra/python/install.sh failed (exit ${r.status ?? r.signal}); the STIX validator test needs Python 3.9+ with venv:\n${r.stderr}${r.error ?? ""}`);
  python = join(r.stdout.trim().split("\n").at(-1)!, "bin/python");
  dir = mkdtempSync(join(tmpdir(), "takitini-stix-"));
}, 620_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function delivery(type: string, fields: Partial<IntelligenceEvent> = {}): ForeignDelivery {
  return {
    partner: { id: "aus-abf", country: "AUS" },
    decisionId: "decision-7f1c",
    policyRevision: "rev-2026-11-01",
    view: "full",
    legalBasis: "agreement",
    event: fullEvent(type, { handling: { caveats: [], releasableTo: ["aus-abf"], releasableToCountries: ["AUS", "USA"] }, ...fields }),
    dateAdded: new Date("2026-11-20T01:02:03.456Z"),
  };
}

/** A bundle file of these objects (a bundle's id is random, as STIX recommends: it is not the mapping's). */
function bundleFile(name: string, objects: StixObject[]): string {
  const file = join(dir, `${name.replace(/[^a-z0-9_.+-]/gi, "_")}.json`);
  writeFileSync(file, JSON.stringify({ type: "bundle", id: `bundle--${randomUUID()}`, objects }, null, 2));
  return file;
}

function validate(files: string[], args: string[] = []): Validation {
  try {
    return JSON.parse(execFileSync(python, [VALIDATE, ...args, ...files], { encoding: "utf8", maxBuffer: 64 << 20 })) as Validation;
  } catch (err) {
    const e = err as { status?: number; stdout?: string; stderr?: string };
    if (e.status === 1 && e.stdout) return JSON.parse(e.stdout) as Validation;
    throw new Error(`validate_stix.py failed: ${e.stderr ?? String(err)}`);
  }
}

/** Every error and warning, led by its file: what a failing test prints. */
const problems = (v: Validation) => v.results.flatMap((r) => [...(r.fatal ? [`${r.file}: ${r.fatal}`] : []), ...r.objects.flatMap((o) => [...o.errors, ...o.warnings].map((m) => `${r.file}: ${m}`))]);

const CLASSIFICATIONS = [
  Classification.CLASSIFICATION_UNCLASSIFIED,
  Classification.CLASSIFICATION_IN_CONFIDENCE,
  Classification.CLASSIFICATION_RESTRICTED,
  Classification.CLASSIFICATION_SECRET,
];

/** Each mapped type under each TLP level, a redacted view (no subjects, no group), and a type mapped to the report only. */
function bundles(): string[] {
  const files: string[] = [];
  for (const type of MAPPED_EVENT_TYPES) for (const c of CLASSIFICATIONS) files.push(bundleFile(`${type}-${c}`, toStix(delivery(type, { classification: c }))));
  const noting = fullEvent("police.organised_crime_noting");
  const p = noting.payload?.$case === "policeNoting" ? noting.payload.value : undefined;
  files.push(bundleFile("noting-redacted", toStix(delivery("police.organised_crime_noting", { subjects: [], operationRef: "", payload: { $case: "policeNoting", value: { ...p!, groupName: "", summary: "" } } }))));
  files.push(bundleFile("operation-update", toStix(delivery("police.operation_update"))));
  // Every mapped type in one bundle, as a TAXII page would hold them (the shared marking-definitions once).
  const all = new Map<string, StixObject>();
  for (const type of MAPPED_EVENT_TYPES) for (const o of toStix(delivery(type, { id: randomUUID() }))) all.set(o.id, o);
  files.push(bundleFile("all", [...all.values()]));
  return files;
}

describe("the OASIS STIX 2.1 validator", () => {
  it("finds no error and no warning in the mapping's output (strict, references enforced)", () => {
    const v = validate(bundles(), ["--disable", ACCEPTED.join(",")]);
    expect(v.validator).toBe("3.3.2");
    expect(v.results.length).toBe(MAPPED_EVENT_TYPES.length * CLASSIFICATIONS.length + 3);
    expect(problems(v)).toEqual([]);
    expect(v.results.every((r) => r.valid)).toBe(true);
  });

  it("with every check on, warns only of the accepted uuid-check {103}", () => {
    const v = validate(bundles(), ["--lenient"]);
    const all = problems(v);
    expect(all.length).toBeGreaterThan(0);
    expect(all.filter((m) => !ACCEPTED.some((code) => m.includes(`{${code}}`)))).toEqual([]);
  });

  it("rejects a custom x_takitini_decision_id property (so the decision id stays out of STIX)", () => {
    const objects = toStix(delivery("customs.border_seizure")).map((o) => (o.type === "report" ? { ...o, x_takitini_decision_id: "decision-7f1c" } : o));
    const v = validate([bundleFile("custom-property", objects)], ["--disable", ACCEPTED.join(",")]);
    expect(v.results[0]!.valid).toBe(false);
    expect(problems(v).join("\n")).toMatch(/\{401\} Custom property 'x_takitini_decision_id'/);
  });
});
