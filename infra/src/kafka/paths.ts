import { homedir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** infra/ (this package's root), whether running from src/ or dist/. */
export const INFRA_DIR = fileURLToPath(new URL("../../", import.meta.url));
export const REPO_ROOT = join(INFRA_DIR, "..");
export const KAFKA_DIR = join(INFRA_DIR, "kafka");
export const POM_PATH = join(KAFKA_DIR, "pom.xml");
export const TOPICS_PATH = join(KAFKA_DIR, "topics.json");

/** Downloads shared between runs and clones: `$TAKITINI_CACHE` or `~/.cache/takitini`. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TAKITINI_CACHE || join(homedir(), ".cache", "takitini");
}

/** The CLI's broker: `$TAKITINI_KAFKA_DATA` or `<repo>/.takitini/kafka` (gitignored). */
export function localDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TAKITINI_KAFKA_DATA || join(REPO_ROOT, ".takitini", "kafka");
}

/** The CLI's multi-node cluster (`start --brokers 3`): `$TAKITINI_KAFKA_CLUSTER_DATA` or `<repo>/.takitini/kafka-cluster` (gitignored). */
export function localClusterDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TAKITINI_KAFKA_CLUSTER_DATA || join(REPO_ROOT, ".takitini", "kafka-cluster");
}
