import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensurePki, loadMeshAcls } from "@takitini/infra";
import type { TestProject } from "vitest/node";

/**
 * The fault suite's PKI only: the principals' Kafka certificates, the services'
 * server certificates and the publishers' client certificates (infra/pki/issue.sh),
 * as the e2e harness (publishers.ts, stack.ts) finds it through `kafkaPkiDir`.
 * The three-node cluster, PostgreSQL and the supervised mesh are started by the
 * suite's one test file (faults.test.ts), which must own the cluster's nodes to
 * kill and restart them and the PostgreSQL server to restart it.
 */
export default function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "takitini-faults-pki-"));
  const pkiDir = ensurePki(join(dir, "pki"), loadMeshAcls().principals, { rogue: true });
  project.provide("kafkaPkiDir", pkiDir);
  // The cluster is the test file's own (faults.test.ts): no suite-wide broker or database.
  project.provide("brokers", []);
  project.provide("kafkaMode", "local");
  project.provide("databaseUrl", "");
  return () => rmSync(dir, { recursive: true, force: true });
}
