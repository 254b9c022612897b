import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadAclSubscribers } from "../kafka/acl-admin.js";
import { meshAcls, meshPrincipals } from "../kafka/acls.js";
import { REPO_ROOT } from "../kafka/paths.js";
import { loadTopicDeclarations } from "../kafka/topics.js";
import { ensureHelm, helmLint, helmTemplate, parseManifests, type K8sObject } from "./chart.js";
import { containerEnv, deploymentProblems, disruptionBudgetProblems, envProblems, memoryBytes, secretValueProblems, topicProblems, userProblems } from "./checks.js";
import { loadStrimziData, strimziDataIsCurrent } from "./generate.js";
import { SERVICE_NODE_FLAGS } from "../supervisor/node-flags.js";

/**
 * The chart (infra/helm/takitini) rendered by the pinned Helm, installed here by
 * infra/helm/install.sh if missing (it needs the Go toolchain; without it this
 * suite fails — it never skips), and checked in TypeScript.
 */

const SERVICES = ["audit", "exchange", "briefing", "linkage", "police-adapter", "customs-adapter", "mbie-adapter", "msd-adapter"];
let helm: string;
let objects: K8sObject[];
let rendered: string;
const expected = loadStrimziData();
const deployment = (service: string) => objects.find((o) => o.kind === "Deployment" && o.metadata.labels?.["app.kubernetes.io/name"] === service)!;

beforeAll(() => {
  helm = ensureHelm();
  rendered = helmTemplate(helm);
  objects = parseManifests(rendered);
}, 900_000);

describe("the chart, rendered by the pinned Helm", () => {
  it("passes helm lint --strict", () => {
    expect(helmLint(helm)).toMatch(/1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  it("has a Deployment, Service, ConfigMap and PodDisruptionBudget for every service", () => {
    for (const kind of ["Deployment", "Service", "ConfigMap", "PodDisruptionBudget"]) {
      const names = objects.filter((o) => o.kind === kind).map((o) => o.metadata.labels?.["app.kubernetes.io/name"]).sort();
      expect(names, kind).toEqual([...SERVICES].sort());
    }
  });

  it("gives every Deployment probes on the admin port, requests and limits, and a locked-down container", () => {
    expect(deploymentProblems(objects)).toEqual([]);
  });

  it("gives every Deployment a PodDisruptionBudget that still lets one pod go", () => {
    expect(disruptionBudgetProblems(objects)).toEqual([]);
  });

  it("runs at least two of every service: adapters, briefing and exchange scale out, the audit and the linkage service are an active instance and a standby", () => {
    for (const s of SERVICES) expect(deployment(s).spec.replicas, s).toBeGreaterThanOrEqual(2);
    expect(deployment("audit").spec.replicas).toBe(2);
    expect(deployment("linkage").spec.replicas).toBe(2);
  });

  it("runs every service with the V8 flags it runs with everywhere (supervisor/node-flags.ts) on node's command line, under a heap limit", () => {
    for (const s of SERVICES) {
      const command: string[] = deployment(s).spec.template.spec.containers[0].command;
      expect(command, s).toEqual(["node", ...SERVICE_NODE_FLAGS, `services/${s}/dist/main.js`]);
      const options = containerEnv(objects, deployment(s)).get("NODE_OPTIONS")?.value?.split(/\s+/) ?? [];
      expect(options.some((o) => o.startsWith("--max-old-space-size=")), s).toBe(true);
    }
  });

  it("gives every service the variables its configuration requires, each file under a mount", () => {
    expect(envProblems(objects)).toEqual([]);
  });

  it("gives the audit its ledger signing key readable by its own user only: copied at 0600 into a memory-backed directory", () => {
    const spec = deployment("audit").spec.template.spec;
    const init = spec.initContainers.find((c: { name: string }) => c.name === "ledger-signing-key");
    expect(init.command.join(" ")).toMatch(/copyFileSync\("\/etc\/takitini\/ledger\/ledger-signing-key.pem", "\/run\/takitini\/ledger-signing-key.pem"\).*chmodSync\("\/run\/takitini\/ledger-signing-key.pem", 0o600\)/s);
    expect(spec.volumes).toContainEqual({ name: "run", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } });
    expect(containerEnv(objects, deployment("audit")).get("LEDGER_SIGNING_KEY_FILE")).toEqual({ value: "/run/takitini/ledger-signing-key.pem" });
  });

  it("gives the linkage service its match key readable by its own user only, and no other service the key", () => {
    const spec = deployment("linkage").spec.template.spec;
    const init = spec.initContainers.find((c: { name: string }) => c.name === "match-key");
    expect(init.command.join(" ")).toMatch(/copyFileSync\("\/etc\/takitini\/match-key\/match.key", "\/run\/takitini\/match.key"\).*chmodSync\("\/run\/takitini\/match.key", 0o600\)/s);
    expect(spec.volumes).toContainEqual({ name: "run", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } });
    expect(spec.volumes).toContainEqual({ name: "match-key", secret: { secretName: "takitini-linkage-match-key", defaultMode: 288, items: [{ key: "match.key", path: "match.key" }] } });
    const env = containerEnv(objects, deployment("linkage"));
    expect(env.get("LINKAGE_KEY_FILE")).toEqual({ value: "/run/takitini/match.key" });
    expect(env.get("KAFKA_TLS_CERT_FILE")).toEqual({ value: "/etc/takitini/kafka/tls.crt" });
    expect(spec.volumes).toContainEqual({ name: "kafka-client", secret: { secretName: "takitini-kafka-linkage", defaultMode: 288 } });
    // The match key's Secret is mounted by the linkage pods alone.
    const mounting = objects.filter((o) => o.kind === "Deployment" && JSON.stringify(o.spec.template.spec.volumes).includes("takitini-linkage-match-key")).map((o) => o.metadata.name);
    expect(mounting).toEqual(["takitini-linkage"]);
  });

  it("exposes the exchange's TAXII door (foreign partners) beside its gRPC door, and tells the exchange its port", () => {
    const svc = objects.find((o) => o.kind === "Service" && o.metadata.labels?.["app.kubernetes.io/name"] === "exchange")!;
    expect(svc.spec.ports).toContainEqual({ name: "taxii", port: 9443, targetPort: "taxii", protocol: "TCP" });
    const ports = deployment("exchange").spec.template.spec.containers[0].ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]);
    expect(ports).toContainEqual(["taxii", 9443]);
    expect(containerEnv(objects, deployment("exchange")).get("TAXII_PORT")).toEqual({ value: "9443" });
    // No other service has one.
    const others = objects.filter((o) => o.kind === "Service" && o.metadata.labels?.["app.kubernetes.io/name"] !== "exchange" && JSON.stringify(o.spec.ports ?? []).includes("taxii"));
    expect(others).toEqual([]);
  });

  it("exposes only the linkage service's admin port in its Service: its door serves /healthz and /readyz, nothing else", () => {
    const svc = objects.find((o) => o.kind === "Service" && o.metadata.labels?.["app.kubernetes.io/name"] === "linkage")!;
    expect(svc.spec.ports).toEqual([{ name: "admin", port: 8188, targetPort: "admin", protocol: "TCP" }]);
    const ports = deployment("linkage").spec.template.spec.containers[0].ports.map((p: { name: string; containerPort: number }) => [p.name, p.containerPort]);
    expect(ports).toEqual([["door", 8088], ["admin", 8188]]);
  });

  it("takes every credential from a Secret by name: no Secret is rendered and nothing looks like a credential", () => {
    expect(objects.filter((o) => o.kind === "Secret")).toEqual([]);
    expect(secretValueProblems(objects)).toEqual([]);
    expect(containerEnv(objects, deployment("audit")).get("DATABASE_URL")).toEqual({ secret: { name: "takitini-audit-database", key: "url" } });
    // Least privilege: no owner's URL in the audit by default (audit:migrate runs before a rollout).
    expect(containerEnv(objects, deployment("audit")).has("AUDIT_MIGRATION_DATABASE_URL")).toBe(false);
  });

  it("schedules the audit's retention purge as the ledger's owner, from a Secret the audit's pods never see", () => {
    const jobs = objects.filter((o) => o.kind === "CronJob");
    expect(jobs.map((j) => j.metadata.name)).toEqual(["takitini-audit-retention"]);
    const job = jobs[0]!;
    expect(job.spec.concurrencyPolicy).toBe("Forbid");
    expect(job.spec.schedule).toMatch(/^\S+ \S+ \S+ \S+ \S+$/);
    const pod = job.spec.jobTemplate.spec.template.spec;
    expect(pod.restartPolicy).toBe("Never");
    const [c] = pod.containers;
    // The purge tool the image holds (built from this file) and who ran it, recorded in each purge record.
    expect(c.command.slice(0, 2)).toEqual(["node", "services/audit/dist/tools/purge.js"]);
    expect(existsSync(join(REPO_ROOT, "services/audit/src/tools/purge.ts"))).toBe(true);
    expect(c.command).toContain("--by");
    expect(c.env).toContainEqual({ name: "AUDIT_MIGRATION_DATABASE_URL", valueFrom: { secretKeyRef: { name: "takitini-audit-retention-owner", key: "url" } } });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, runAsNonRoot: true });
    expect(memoryBytes(c.resources.limits.memory)).toBeLessThanOrEqual(memoryBytes("256Mi"));
    expect(rendered.match(/takitini-audit-retention-owner/g)).toHaveLength(1);
  });

  it("renders a KafkaTopic for exactly the declared topics, as the generator makes them from topics.json (cluster replication)", () => {
    expect(topicProblems(objects, expected.topics)).toEqual([]);
    const declared = loadTopicDeclarations(undefined, {}, "cluster");
    expect(objects.filter((o) => o.kind === "KafkaTopic").map((o) => o.metadata.name).sort()).toEqual(declared.map((t) => t.name).sort());
    for (const t of declared) {
      const r = objects.find((o) => o.kind === "KafkaTopic" && o.metadata.name === t.name)!;
      expect(r.spec).toMatchObject({ partitions: t.partitions, replicas: t.replication_factor, config: { "retention.ms": t.retention_ms, "cleanup.policy": t.cleanup_policy } });
      expect(r.metadata.labels?.["strimzi.io/cluster"]).toBe("takitini");
    }
  });

  it("renders a KafkaUser for every principal but the brokers', with exactly the ACLs meshAcls derives", () => {
    expect(userProblems(objects, expected.users)).toEqual([]);
    const topics = loadTopicDeclarations(undefined, {}, "cluster");
    const subscribers = loadAclSubscribers();
    const acls = meshAcls(topics, subscribers);
    const users = objects.filter((o) => o.kind === "KafkaUser");
    expect(users.map((u) => u.metadata.name).sort()).toEqual(meshPrincipals(topics, subscribers).filter((p) => p !== "broker").sort());
    // Both directions against meshAcls itself, not only the generated file: one rule per binding.
    const fromUsers = users.flatMap((u) => (u.spec.authorization.acls as { resource: { type: string; name: string; patternType: string }; operations: string[] }[]).map((r) => `${u.metadata.name}|${r.resource.type}|${r.resource.patternType}|${r.resource.name}|${r.operations.join("+")}`)).sort();
    const type = { TOPIC: "topic", GROUP: "group", TRANSACTIONAL_ID: "transactionalId" } as const;
    const fromAcls = acls.map((a) => `${a.principal}|${type[a.resourceType]}|${a.patternType === "PREFIXED" ? "prefix" : "literal"}|${a.resourceName}|${a.operation === "READ" ? "Read" : "Write"}`).sort();
    expect(fromUsers).toEqual(fromAcls);
    for (const u of users) expect(u.spec.authentication, u.metadata.name).toEqual({ type: "tls-external" });
  });

  it("renders a three-node KRaft cluster: replication 3, min ISR 2, the transaction log replicated, mutual TLS on the mesh listener", () => {
    const pool = objects.find((o) => o.kind === "KafkaNodePool")!;
    expect(pool.spec.replicas).toBe(3);
    expect(pool.spec.roles.sort()).toEqual(["broker", "controller"]);
    const kafka = objects.find((o) => o.kind === "Kafka")!;
    expect(kafka.spec.kafka.config).toMatchObject({
      "default.replication.factor": 3,
      "min.insync.replicas": 2,
      "offsets.topic.replication.factor": 3,
      "transaction.state.log.replication.factor": 3,
      "transaction.state.log.min.isr": 2,
      "unclean.leader.election.enable": false,
      "auto.create.topics.enable": false,
    });
    const [listener] = kafka.spec.kafka.listeners;
    expect(listener).toMatchObject({ tls: true, authentication: { type: "custom", listenerConfig: { "ssl.client.auth": "required", "ssl.principal.mapping.rules": expected.cluster.principalMappingRule } } });
    expect(kafka.spec.kafka.authorization).toEqual({ type: "simple", superUsers: ["CN=operator"] });
    // The services reach that listener.
    expect(containerEnv(objects, deployment("exchange")).get("KAFKA_BROKERS")).toEqual({ value: `takitini-kafka-bootstrap:${listener.port}` });
  });

  it("commits the generated Strimzi data as the generators make it now (else: npm run -w @takitini/infra k8s:generate)", () => {
    expect(strimziDataIsCurrent().current).toBe(true);
  });
});

describe("the chart with an operator's values", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "takitini-chart-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("takes the Kafka cluster's name, Secret names and extra settings from values", () => {
    const values = join(dir, "values.yaml");
    writeFileSync(values, "kafka:\n  clusterName: mesh\nsecrets:\n  auditDatabase: pg-url\n  auditDatabaseOwner: pg-owner-url\n  exchangeCrl: ''\nservices:\n  exchange:\n    kind: exchange\n    replicas: 3\n    port: 8082\n    adminPort: 8182\n    grpcPort: 9082\n    env:\n      GRPC_MAX_STREAMS: 128\n");
    const objs = parseManifests(helmTemplate(helm, { valuesFiles: [values] }));
    const ex = objs.find((o) => o.kind === "Deployment" && o.metadata.name === "takitini-exchange")!;
    const env = containerEnv(objs, ex);
    expect(ex.spec.replicas).toBe(3);
    expect(env.get("GRPC_MAX_STREAMS")).toEqual({ value: "128" });
    expect(env.has("SUBSCRIBE_CRL_FILE")).toBe(false);
    expect(env.get("KAFKA_BROKERS")).toEqual({ value: "mesh-kafka-bootstrap:9094" });
    const audit = objs.find((o) => o.kind === "Deployment" && o.metadata.name === "takitini-audit")!;
    expect(containerEnv(objs, audit).get("DATABASE_URL")).toEqual({ secret: { name: "pg-url", key: "url" } });
    expect(containerEnv(objs, audit).get("AUDIT_MIGRATION_DATABASE_URL")).toEqual({ secret: { name: "pg-owner-url", key: "url" } });
    expect(objs.filter((o) => o.kind === "KafkaTopic").every((t) => t.metadata.labels?.["strimzi.io/cluster"] === "mesh")).toBe(true);
    expect(envProblems(objs)).toEqual([]);
  });

  it("leaves the retention CronJob out when another scheduler runs the purge, and needs its Secret when it is in", () => {
    expect(parseManifests(helmTemplate(helm, { set: { "auditRetention.enabled": "false" } })).filter((o) => o.kind === "CronJob")).toEqual([]);
    expect(() => helmTemplate(helm, { set: { "secrets.auditRetentionOwner": "" } })).toThrow(/secrets\.auditRetentionOwner is required/);
  });

  it("refuses a service of an unknown kind", () => {
    expect(() => helmTemplate(helm, { set: { "services.rogue.kind": "shell", "services.rogue.replicas": "1", "services.rogue.port": "1", "services.rogue.adminPort": "2" } })).toThrow(/services\.rogue\.kind: shell is not/);
  });
});

/** Adversarial renderings: each check must find what is wrong. */
describe("the checks, on renderings that break them", () => {
  const base = (): K8sObject[] => structuredClone(objects);
  const find = (objs: K8sObject[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.labels?.["app.kubernetes.io/name"] === name)!;
  const main = (d: K8sObject) => d.spec.template.spec.containers[0];

  it("finds a Deployment without a readiness probe or a memory limit, or with a limit above 256Mi", () => {
    const objs = base();
    delete main(find(objs, "Deployment", "exchange")).readinessProbe;
    delete main(find(objs, "Deployment", "audit")).resources.limits.memory;
    main(find(objs, "Deployment", "briefing")).resources.limits.memory = "1Gi";
    main(find(objs, "Deployment", "msd-adapter")).livenessProbe.httpGet.path = "/metrics";
    const problems = deploymentProblems(objs);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/takitini-exchange .*readinessProbe/),
        expect.stringMatching(/takitini-audit .*limits\.memory missing/),
        expect.stringMatching(/takitini-briefing .*1Gi above 256Mi/),
        expect.stringMatching(/takitini-msd-adapter .*livenessProbe/),
      ]),
    );
    expect(problems).toHaveLength(4);
  });

  it("finds a Deployment whose budget was removed", () => {
    const objs = base().filter((o) => !(o.kind === "PodDisruptionBudget" && o.metadata.labels?.["app.kubernetes.io/name"] === "briefing"));
    expect(disruptionBudgetProblems(objs)).toEqual(["Deployment takitini-briefing: no PodDisruptionBudget selects its pods"]);
  });

  it("finds a rendered Secret and credential-looking values", () => {
    const objs = base();
    objs.push({ apiVersion: "v1", kind: "Secret", metadata: { name: "oops" }, stringData: { url: "postgres://ledger:hunter2@db/takitini" } });
    find(objs, "ConfigMap", "briefing").data!.EXTRA = "-----BEGIN PRIVATE KEY-----\nMIG…";
    find(objs, "ConfigMap", "police-adapter").data!.KEY = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
    const problems = secretValueProblems(objs);
    expect(problems).toEqual(
      expect.arrayContaining([
        "Secret oops: the chart renders a Secret with data",
        expect.stringMatching(/Secret oops .*a URL with a password/),
        expect.stringMatching(/ConfigMap takitini-briefing .*EXTRA.*private key/),
        expect.stringMatching(/ConfigMap takitini-police-adapter .*KEY.*hex/),
      ]),
    );
  });

  it("finds a missing variable, a file outside the mounts and a port that disagrees", () => {
    const objs = base();
    delete find(objs, "ConfigMap", "briefing").data!.BRIEFING_ROUNDING_SECRET_FILE;
    find(objs, "ConfigMap", "exchange").data!.GRPC_TLS_CA = "/nowhere/ca.crt";
    find(objs, "ConfigMap", "audit").data!.ADMIN_PORT = "9999";
    main(find(objs, "Deployment", "audit")).env = main(find(objs, "Deployment", "audit")).env.filter((e: { name: string }) => e.name !== "DATABASE_URL");
    expect(envProblems(objs).sort()).toEqual(
      [
        "Deployment takitini-audit: ADMIN_PORT=9999 but the container's admin port is 8183",
        "Deployment takitini-audit: DATABASE_URL is not set",
        "Deployment takitini-briefing: BRIEFING_ROUNDING_SECRET_FILE is not set",
        "Deployment takitini-exchange: GRPC_TLS_CA=/nowhere/ca.crt is under none of the container's mounts",
      ].sort(),
    );
  });

  it("finds a missing topic, an extra one and one whose replication differs", () => {
    const objs = base();
    const topics = objs.filter((o) => o.kind === "KafkaTopic");
    const [first, second] = topics;
    const without = objs.filter((o) => o !== first);
    second!.spec.replicas = 1;
    without.push({ ...structuredClone(second!), metadata: { name: "takitini.rogue.v1" } });
    const problems = topicProblems(without, expected.topics);
    expect(problems).toEqual(
      expect.arrayContaining([`KafkaTopic ${first!.metadata.name}: missing`, expect.stringMatching(new RegExp(`KafkaTopic ${second!.metadata.name.replace(/\./g, "\\.")}: spec`)), "KafkaTopic takitini.rogue.v1: not a declared topic"]),
    );
    expect(problems).toHaveLength(3);
  });

  it("finds a missing ACL, an extra ACL and an extra user", () => {
    const objs = base();
    const users = objs.filter((o) => o.kind === "KafkaUser");
    const exchange = users.find((u) => u.metadata.name === "exchange")!;
    const dropped = exchange.spec.authorization.acls.shift();
    const partner = users.find((u) => u.metadata.name.startsWith("partner-"))!;
    partner.spec.authorization.acls.push({ resource: { type: "topic", name: "takitini.intel.police.v1", patternType: "literal" }, operations: ["Read"], host: "*" });
    objs.push({ ...structuredClone(partner), metadata: { name: "partner-rogue" } });
    expect(userProblems(objs, expected.users)).toEqual([
      `KafkaUser exchange: ACL ${dropped.resource.type}|${dropped.resource.patternType}|${dropped.resource.name}|${dropped.operations.join("+")}|* missing`,
      `KafkaUser ${partner.metadata.name}: ACL topic|literal|takitini.intel.police.v1|Read|* is not generated`,
      "KafkaUser partner-rogue: not a principal of the mesh",
    ]);
  });

  it("reads memory quantities", () => {
    expect(memoryBytes("256Mi")).toBe(268_435_456);
    expect(memoryBytes("1Gi")).toBeGreaterThan(memoryBytes("256Mi"));
    expect(memoryBytes("300M")).toBe(300_000_000);
    expect(memoryBytes("lots")).toBeNaN();
  });
});
