import type { K8sObject } from "./chart.js";
import type { StrimziAclRule, StrimziTopic, StrimziUser } from "./strimzi.js";

/**
 * What a rendering of the chart must satisfy, as pure functions over the parsed
 * objects: each returns the problems it finds (empty: none), naming the object
 * and the field, so a test shows every problem at once.
 */

/** A Deployment's containers (init containers are checked for security and resources only). */
interface Container {
  name: string;
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: unknown; fieldRef?: { fieldPath: string } } }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  livenessProbe?: { httpGet?: { path?: string; port?: string | number } };
  readinessProbe?: { httpGet?: { path?: string; port?: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; runAsNonRoot?: boolean };
  ports?: { name?: string; containerPort: number }[];
  volumeMounts?: { name: string; mountPath: string }[];
}

const byKind = (objects: readonly K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const podSpec = (d: K8sObject) => (d.spec?.template?.spec ?? {}) as { containers?: Container[]; initContainers?: Container[]; securityContext?: { runAsNonRoot?: boolean } };

/** Kubernetes memory quantity in bytes (Ki, Mi, Gi, k, M, G, plain). Pure. */
export function memoryBytes(q: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|k|M|G|T)?$/.exec(q);
  if (!m) return NaN;
  const unit: Record<string, number> = { "": 1, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };
  return Number(m[1]) * unit[m[2] ?? ""]!;
}

/**
 * Every Deployment: liveness on /healthz and readiness on /readyz of the admin
 * port; CPU and memory requests and limits (memory at most `maxMemory`) on every
 * container; non-root, read-only root file system, no privilege escalation.
 */
export function deploymentProblems(objects: readonly K8sObject[], maxMemory = "256Mi"): string[] {
  const problems: string[] = [];
  for (const d of byKind(objects, "Deployment")) {
    const spec = podSpec(d);
    const where = `Deployment ${d.metadata.name}`;
    if (!spec.containers?.length) problems.push(`${where}: no containers`);
    if (spec.securityContext?.runAsNonRoot !== true) problems.push(`${where}: pod securityContext.runAsNonRoot is not true`);
    for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
      const at = `${where} container ${c.name}`;
      for (const kind of ["requests", "limits"] as const) {
        for (const r of ["cpu", "memory"]) if (!c.resources?.[kind]?.[r]) problems.push(`${at}: resources.${kind}.${r} missing`);
      }
      const limit = c.resources?.limits?.memory;
      if (limit && !(memoryBytes(limit) <= memoryBytes(maxMemory))) problems.push(`${at}: memory limit ${limit} above ${maxMemory}`);
      if (c.securityContext?.readOnlyRootFilesystem !== true) problems.push(`${at}: securityContext.readOnlyRootFilesystem is not true`);
      if (c.securityContext?.allowPrivilegeEscalation !== false) problems.push(`${at}: securityContext.allowPrivilegeEscalation is not false`);
    }
    for (const c of spec.containers ?? []) {
      const at = `${where} container ${c.name}`;
      const admin = c.ports?.find((p) => p.name === "admin");
      const onAdmin = (port: string | number | undefined) => port === "admin" || (admin !== undefined && port === admin.containerPort);
      if (c.livenessProbe?.httpGet?.path !== "/healthz" || !onAdmin(c.livenessProbe.httpGet.port)) problems.push(`${at}: livenessProbe is not GET /healthz on the admin port`);
      if (c.readinessProbe?.httpGet?.path !== "/readyz" || !onAdmin(c.readinessProbe.httpGet.port)) problems.push(`${at}: readinessProbe is not GET /readyz on the admin port`);
    }
  }
  return problems;
}

const matches = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** Every Deployment has a PodDisruptionBudget selecting its pods (and that budget allows less than all of them to go). */
export function disruptionBudgetProblems(objects: readonly K8sObject[]): string[] {
  const pdbs = byKind(objects, "PodDisruptionBudget");
  const problems: string[] = [];
  for (const d of byKind(objects, "Deployment")) {
    const labels = d.spec?.template?.metadata?.labels as Record<string, string> | undefined;
    const own = pdbs.filter((p) => matches(p.spec?.selector?.matchLabels, labels));
    if (own.length === 0) problems.push(`Deployment ${d.metadata.name}: no PodDisruptionBudget selects its pods`);
    for (const p of own) {
      const min = p.spec?.minAvailable;
      if (typeof min === "number" && min >= (d.spec?.replicas ?? 1)) problems.push(`PodDisruptionBudget ${p.metadata.name}: minAvailable ${min} leaves no pod of ${d.metadata.name} evictable`);
    }
  }
  return problems;
}

/** Strings that are credentials, wherever they appear. */
const SECRET_PATTERNS: { what: string; re: RegExp }[] = [
  { what: "a PEM private key", re: /-----BEGIN [A-Z ]*PRIVATE KEY-----/ },
  { what: "a PEM certificate (certificates come from Secrets)", re: /-----BEGIN CERTIFICATE-----/ },
  { what: "a URL with a password", re: /[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i },
  { what: "a JSON web token", re: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\./ },
  { what: "a long hex string (a key?)", re: /\b[0-9a-f]{32,}\b/i },
  { what: "a long base64 string (a key?)", re: /[A-Za-z0-9+/]{40,}={0,2}/ },
  { what: "a scrypt credential hash", re: /\bscrypt\$/ },
];

function walkStrings(value: unknown, path: string, visit: (s: string, path: string) => void): void {
  if (typeof value === "string") visit(value, path);
  else if (Array.isArray(value)) value.forEach((v, i) => walkStrings(v, `${path}[${i}]`, visit));
  else if (value !== null && typeof value === "object") for (const [k, v] of Object.entries(value)) walkStrings(v, `${path}.${k}`, visit);
}

/**
 * No Secret carries data (the chart names Secrets the operator made, it never makes
 * one), and no string anywhere looks like a credential. The checksum annotations
 * (hex digests of the settings) are the one known long hex string.
 */
export function secretValueProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const o of objects) {
    const name = `${o.kind} ${o.metadata?.name}`;
    if (o.kind === "Secret" && (o.data !== undefined || o.stringData !== undefined)) problems.push(`${name}: the chart renders a Secret with data`);
    walkStrings(o, "", (s, path) => {
      if (/^\.metadata\.annotations\.checksum\//.test(path) || /^\.spec\.template\.metadata\.annotations\.checksum\//.test(path)) return;
      for (const { what, re } of SECRET_PATTERNS) if (re.test(s)) problems.push(`${name} ${path}: looks like ${what}`);
    });
  }
  return problems;
}

/** Where a variable of a container comes from: a literal value, a Secret's key or a field of the pod. */
export type EnvSource = { value: string } | { secret: { name: string; key: string } } | { field: string };

/** Each container's environment as it will see it: its ConfigMaps' data, then its own env. Pure. */
export function containerEnv(objects: readonly K8sObject[], deployment: K8sObject, container?: string): Map<string, EnvSource> {
  const configMaps = new Map(byKind(objects, "ConfigMap").map((c) => [c.metadata.name, c.data ?? {}]));
  const c = (podSpec(deployment).containers ?? []).find((x) => container === undefined || x.name === container);
  const env = new Map<string, EnvSource>();
  for (const from of c?.envFrom ?? []) {
    if (from.configMapRef) for (const [k, v] of Object.entries(configMaps.get(from.configMapRef.name) ?? {})) env.set(k, { value: String(v) });
  }
  for (const e of c?.env ?? []) {
    if (e.value !== undefined) env.set(e.name, { value: e.value });
    else if (e.valueFrom?.secretKeyRef) env.set(e.name, { secret: e.valueFrom.secretKeyRef });
    else if (e.valueFrom?.fieldRef) env.set(e.name, { field: e.valueFrom.fieldRef.fieldPath });
  }
  return env;
}

/** The variables every service of a kind must be given (its README and src/config.ts: required ones, and those without a safe default in a cluster). */
export const REQUIRED_ENV: Record<"adapter" | "exchange" | "audit" | "briefing" | "linkage", readonly string[]> = (() => {
  const common = ["HOST", "PORT", "ADMIN_PORT", "INSTANCE_ID", "KAFKA_BROKERS", "KAFKA_TLS_CA_FILE", "KAFKA_TLS_CERT_FILE", "KAFKA_TLS_KEY_FILE"];
  const door = ["HTTP_TLS_CERT_FILE", "HTTP_TLS_KEY_FILE"];
  return {
    adapter: [...common, ...door, "HTTP_TLS_CA_FILE", "EVENT_ID_KEY_FILE", "GRPC_PORT"],
    exchange: [...common, "GRPC_PORT", "GRPC_TLS_CERT", "GRPC_TLS_KEY", "GRPC_TLS_CA"],
    audit: [...common, ...door, "GRPC_PORT", "GRPC_TLS_CERT", "GRPC_TLS_KEY", "DATABASE_URL", "LEDGER_SIGNING_KEY_FILE", "AUDIT_OVERSIGHT_ACCOUNTS_FILE"],
    briefing: [...common, ...door, "BRIEFING_ROUNDING_SECRET_FILE", "BRIEFING_LEADER_ACCOUNTS_FILE"],
    linkage: [...common, ...door, "LINKAGE_KEY_FILE"],
  };
})();

/** Variables that name a file the service reads. */
const isFileVariable = (name: string) => /_FILE$/.test(name) || /^GRPC_TLS_(CERT|KEY|CA)$/.test(name);

/**
 * Every Deployment of a known kind (label app.kubernetes.io/component) is given
 * the variables of REQUIRED_ENV; every file variable names a file under one of its
 * container's mounts; HOST is reachable from outside the pod; the ports the
 * variables name are the ports the container declares.
 */
export function envProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const d of byKind(objects, "Deployment")) {
    const kind = d.metadata.labels?.["app.kubernetes.io/component"] as keyof typeof REQUIRED_ENV | undefined;
    const where = `Deployment ${d.metadata.name}`;
    if (kind === undefined || !(kind in REQUIRED_ENV)) {
      problems.push(`${where}: label app.kubernetes.io/component is not a service kind (${Object.keys(REQUIRED_ENV).join(", ")})`);
      continue;
    }
    const c = podSpec(d).containers?.[0];
    const env = containerEnv(objects, d);
    for (const name of REQUIRED_ENV[kind]) if (!env.has(name)) problems.push(`${where}: ${name} is not set`);
    const mounts = (c?.volumeMounts ?? []).map((m) => m.mountPath.replace(/\/?$/, "/"));
    for (const [name, source] of env) {
      if (!isFileVariable(name) || !("value" in source)) continue;
      if (!mounts.some((m) => source.value.startsWith(m))) problems.push(`${where}: ${name}=${source.value} is under none of the container's mounts`);
    }
    const host = env.get("HOST");
    if (!(host && "value" in host && host.value === "0.0.0.0")) problems.push(`${where}: HOST is not 0.0.0.0 (the probes and the Service could not reach it)`);
    const ports = new Map((c?.ports ?? []).map((p) => [p.name, p.containerPort]));
    for (const [variable, port] of [["PORT", "door"], ["ADMIN_PORT", "admin"], ["GRPC_PORT", "grpc"]] as const) {
      const v = env.get(variable);
      if (v && "value" in v && Number(v.value) !== ports.get(port)) problems.push(`${where}: ${variable}=${v.value} but the container's ${port} port is ${ports.get(port)}`);
    }
  }
  return problems;
}

const aclRuleKey = (r: StrimziAclRule) => `${r.resource.type}|${r.resource.patternType}|${r.resource.name}|${[...r.operations].sort().join("+")}|${r.host}`;
const stable = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (x !== null && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));

/** The rendered KafkaTopics are exactly `expected` (the generator's): none missing, none extra, each spec equal. */
export function topicProblems(objects: readonly K8sObject[], expected: readonly StrimziTopic[]): string[] {
  const rendered = new Map(byKind(objects, "KafkaTopic").map((t) => [t.metadata.name, t]));
  const problems: string[] = [];
  for (const t of expected) {
    const r = rendered.get(t.name);
    if (r === undefined) problems.push(`KafkaTopic ${t.name}: missing`);
    else if (stable(r.spec) !== stable(t.spec)) problems.push(`KafkaTopic ${t.name}: spec ${stable(r.spec)} is not the generated ${stable(t.spec)}`);
  }
  const names = new Set(expected.map((t) => t.name));
  for (const name of rendered.keys()) if (!names.has(name)) problems.push(`KafkaTopic ${name}: not a declared topic`);
  return problems;
}

/** The rendered KafkaUsers are exactly `expected`: the same users, each with the same authentication and exactly the same ACL rules. */
export function userProblems(objects: readonly K8sObject[], expected: readonly StrimziUser[]): string[] {
  const rendered = new Map(byKind(objects, "KafkaUser").map((u) => [u.metadata.name, u]));
  const problems: string[] = [];
  for (const u of expected) {
    const r = rendered.get(u.name);
    if (r === undefined) {
      problems.push(`KafkaUser ${u.name}: missing`);
      continue;
    }
    if (stable(r.spec?.authentication) !== stable(u.spec.authentication)) problems.push(`KafkaUser ${u.name}: authentication ${stable(r.spec?.authentication)}, generated ${stable(u.spec.authentication)}`);
    if (r.spec?.authorization?.type !== "simple") problems.push(`KafkaUser ${u.name}: authorization is not simple`);
    const have = new Set(((r.spec?.authorization?.acls ?? []) as StrimziAclRule[]).map(aclRuleKey));
    const want = new Set(u.spec.authorization.acls.map(aclRuleKey));
    for (const k of want) if (!have.has(k)) problems.push(`KafkaUser ${u.name}: ACL ${k} missing`);
    for (const k of have) if (!want.has(k)) problems.push(`KafkaUser ${u.name}: ACL ${k} is not generated`);
  }
  const names = new Set(expected.map((u) => u.name));
  for (const name of rendered.keys()) if (!names.has(name)) problems.push(`KafkaUser ${name}: not a principal of the mesh`);
  return problems;
}
