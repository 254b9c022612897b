#!/usr/bin/env node
/**
 * `npm run -w @takitini/infra k8s:generate` — regenerate the chart's Strimzi data
 * (infra/helm/takitini/generated/strimzi.yaml) from topics.json and the ACLs;
 * `k8s:check` — exit 1 if the committed file is stale.
 */
import { relative } from "node:path";
import { REPO_ROOT } from "../kafka/paths.js";
import { STRIMZI_DATA_PATH, strimziDataIsCurrent, writeStrimziData } from "./generate.js";

const [command] = process.argv.slice(2);
const where = relative(REPO_ROOT, STRIMZI_DATA_PATH);
try {
  if (command === "generate") {
    console.log(writeStrimziData() ? `wrote ${where}` : `${where} is up to date`);
  } else if (command === "check") {
    if (!strimziDataIsCurrent().current) {
      console.error(`${where} is stale: run npm run -w @takitini/infra k8s:generate and commit it`);
      process.exit(1);
    }
    console.log(`${where} is up to date`);
  } else {
    console.error("usage: takitini-k8s <generate|check>");
    process.exit(2);
  }
} catch (err) {
  console.error(`takitini-k8s: ${(err as Error).message}`);
  process.exit(1);
}
