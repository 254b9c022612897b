import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import { INFRA_DIR } from "../kafka/paths.js";
import { CHART_DIR } from "./generate.js";

/**
 * The chart through the pinned Helm (infra/helm/VERSION): installed by
 * infra/helm/install.sh (Go toolchain, cached), linted and rendered, and the
 * rendering parsed into objects for the checks in checks.ts.
 */

export const HELM_INSTALL_SCRIPT = join(INFRA_DIR, "helm", "install.sh");

/** A rendered Kubernetes object (only the fields the checks read are typed). */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  [key: string]: unknown;
}

/** Install the pinned Helm if it is not there yet (a few minutes the first time) and return its path. Throws if it cannot. */
export function ensureHelm(): string {
  const out = execFileSync("bash", [HELM_INSTALL_SCRIPT], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
  const bin = out.trim().split("\n").pop();
  if (!bin) throw new Error(`${HELM_INSTALL_SCRIPT} printed no path`);
  return bin;
}

/** `--set` pairs and values files for a rendering. */
export interface RenderOptions {
  set?: Record<string, string>;
  valuesFiles?: string[];
  release?: string;
  namespace?: string;
  chartDir?: string;
}

function valueArgs(o: RenderOptions): string[] {
  return [...(o.valuesFiles ?? []).flatMap((f) => ["--values", f]), ...Object.entries(o.set ?? {}).flatMap(([k, v]) => ["--set", `${k}=${v}`])];
}

/** `helm lint --strict`; throws with Helm's output when it fails. */
export function helmLint(helm: string, o: RenderOptions = {}): string {
  return execFileSync(helm, ["lint", "--strict", o.chartDir ?? CHART_DIR, ...valueArgs(o)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** `helm template`: the rendered manifests. */
export function helmTemplate(helm: string, o: RenderOptions = {}): string {
  return execFileSync(helm, ["template", o.release ?? "takitini", o.chartDir ?? CHART_DIR, "--namespace", o.namespace ?? "takitini", ...valueArgs(o)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Parse a multi-document rendering; throws on any YAML error (duplicate keys included). Pure. */
export function parseManifests(text: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text, { uniqueKeys: true })) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors.map((e) => e.message).join("; ")}`);
    const value = doc.toJS() as K8sObject | null;
    if (value !== null) objects.push(value);
  }
  return objects;
}
