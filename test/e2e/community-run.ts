import { randomUUID } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRegions } from "@takitini/policies";
import { createRunTopics, registryWith } from "./kafka.js";
import { ROOT, startService, type RunningService } from "./stack.js";

/**
 * A run of Police records through the real exchange to every region's
 * community leaders, on this run's own topics: Police's intel topic, the
 * decisions, the public's and each district's community topic (the registry as
 * generated from policies/data/regions.json, delivered to them). Starts the
 * exchange and the Police adapter; `stop` ends both.
 */
export interface CommunityRun {
  run: string;
  T: { police: string; public: string; decisions: string; community: (slug: string) => string };
  /** Each district's community topic, in the regions file's order. */
  communityTopics: string[];
  police: RunningService;
  services: RunningService[];
}

export async function startCommunityRun(label: string, brokers: string[]): Promise<CommunityRun> {
  const run = randomUUID().slice(0, 8);
  const T = {
    police: `takitini.e2e.${run}.intel.police.v1`,
    public: `takitini.e2e.${run}.deliver.public.v1`,
    decisions: `takitini.e2e.${run}.audit.v1`,
    community: (slug: string) => `takitini.e2e.${run}.deliver.community-${slug}.v1`,
  };
  const communityTopics = loadRegions().regions.map((r) => T.community(r.slug));
  const dir = mkdtempSync(join(tmpdir(), `takitini-e2e-${label}-`));
  // The registry as generated, each district's leaders (and the public) delivered to this run's topics.
  const registryFile = registryWith(dir, (id, topic) => (id === "public" ? T.public : id.startsWith("community-") ? T.community(id.slice("community-".length)) : topic), ROOT);
  await createRunTopics(
    [
      { name: T.police, role: "intel" },
      { name: T.public, role: "delivery" },
      { name: T.decisions, role: "decisions" },
      ...communityTopics.map((name) => ({ name, role: "delivery" as const })),
    ],
    registryFile,
  );
  const services: RunningService[] = [];
  const common = { KAFKA_BROKERS: brokers.join(","), AUDIT_TOPIC: T.decisions };
  const start = async (name: string, env: Record<string, string>) => {
    const s = await startService(name, env);
    services.push(s);
    return s;
  };
  await start("exchange", {
    ...common,
    INTEL_TOPICS: T.police,
    GROUP_ID: `takitini-exchange-e2e-${label}-${run}`,
    INSTANCE_ID: `e2e-${label}-${run}`,
    POLICY_WASM: join(ROOT, "policies/build/policy.wasm"),
    POLICY_DATA_DIR: dir,
  });
  const police = await start("police-adapter", { ...common, TOPIC: T.police, GRPC_PORT: "0", DEMO_RECORDS_PER_MINUTE: "0" });
  return { run, T, communityTopics, police, services };
}
