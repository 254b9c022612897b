#!/usr/bin/env node
/**
 * `npm run regions:generate` — write every region's community-leader subscriber
 * (policies/data/subscribers.json) and delivery topic (infra/kafka/topics.json) from
 * policies/data/regions.json, then the chart's Strimzi data that follows from them;
 * `check` exits 1 if any of them is stale.
 */
import { relative } from "node:path";
import { REPO_ROOT } from "../kafka/paths.js";
import { STRIMZI_DATA_PATH, strimziDataIsCurrent, writeStrimziData } from "../k8s/generate.js";
import { regionArtefacts, writeRegionArtefacts } from "./generate.js";

const [command] = process.argv.slice(2);
const rel = (p: string) => relative(REPO_ROOT, p);
try {
  if (command === "generate") {
    for (const p of writeRegionArtefacts()) console.log(`wrote ${rel(p)}`);
    if (writeStrimziData()) console.log(`wrote ${rel(STRIMZI_DATA_PATH)}`);
  } else if (command === "check") {
    const stale = [...regionArtefacts().filter((f) => !f.current).map((f) => f.path), ...(strimziDataIsCurrent().current ? [] : [STRIMZI_DATA_PATH])];
    if (stale.length > 0) {
      console.error(`stale: ${stale.map(rel).join(", ")}; run npm run regions:generate and commit them`);
      process.exit(1);
    }
    console.log("every region's subscriber, topic and Strimzi resources are up to date");
  } else {
    console.error("usage: takitini-regions <generate|check>");
    process.exit(2);
  }
} catch (err) {
  console.error(`takitini-regions: ${(err as Error).message}`);
  process.exit(1);
}
