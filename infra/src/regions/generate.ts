import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { communityTopicDeclarations, DEFAULT_DATA_DIR, formatDataJson, loadRegions, registryWithCommunities, SUBSCRIBERS_FILE, type RegionsFile } from "@takitini/policies";
import { TOPICS_PATH } from "../kafka/paths.js";

/**
 * Every region's community-leader subscriber and delivery topic come from one data
 * file, policies/data/regions.json: this writes them into the registry
 * (policies/data/subscribers.json) and the topic declarations (infra/kafka/topics.json);
 * the Kafka ACLs and the Strimzi resources follow from those two (k8s/generate.ts).
 */

const COMMUNITY_TOPIC = /^takitini\.deliver\.community-[a-z-]+\.v\d+$/;

/** topics.json with its community delivery topics replaced by the regions' (where the first stood). Pure. */
export function topicsWithCommunities(topicsFile: { topics: { name: string }[] } & Record<string, unknown>, regions: RegionsFile): Record<string, unknown> {
  const at = topicsFile.topics.findIndex((t) => COMMUNITY_TOPIC.test(t.name));
  const rest = topicsFile.topics.filter((t) => !COMMUNITY_TOPIC.test(t.name));
  const insertAt = at === -1 ? rest.length : at;
  return { ...topicsFile, topics: [...rest.slice(0, insertAt), ...communityTopicDeclarations(regions), ...rest.slice(insertAt)] };
}

export interface GeneratedFile {
  path: string;
  expected: string;
  current: boolean;
}

function compare(path: string, expected: string): GeneratedFile {
  let actual: string | undefined;
  try {
    actual = readFileSync(path, "utf8");
  } catch {
    actual = undefined;
  }
  return { path, expected, current: actual === expected };
}

/** The registry and topic declarations as the regions file makes them, against what is committed. */
export function regionArtefacts(opts: { regionsPath?: string; dataDir?: string; topicsPath?: string } = {}): GeneratedFile[] {
  const regions = loadRegions(opts.regionsPath);
  const registryPath = join(opts.dataDir ?? DEFAULT_DATA_DIR, SUBSCRIBERS_FILE);
  const topicsPath = opts.topicsPath ?? TOPICS_PATH;
  const registry = JSON.parse(readFileSync(registryPath, "utf8")) as Record<string, unknown>;
  const topics = JSON.parse(readFileSync(topicsPath, "utf8")) as { topics: { name: string }[] };
  return [compare(registryPath, formatDataJson(registryWithCommunities(registry, regions))), compare(topicsPath, formatDataJson(topicsWithCommunities(topics, regions)))];
}

/** Write the stale ones; returns the paths written. */
export function writeRegionArtefacts(): string[] {
  const stale = regionArtefacts().filter((f) => !f.current);
  for (const f of stale) writeFileSync(f.path, f.expected);
  return stale.map((f) => f.path);
}
