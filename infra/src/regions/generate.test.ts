import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_DATA_DIR, DEFAULT_REGIONS_PATH, loadRegions, SUBSCRIBERS_FILE } from "@takitini/policies";
import { describe, expect, it } from "vitest";
import { loadAclSubscribers, loadMeshAcls } from "../kafka/acl-admin.js";
import { TOPICS_PATH } from "../kafka/paths.js";
import { loadTopicDeclarations } from "../kafka/topics.js";
import { regionArtefacts, topicsWithCommunities } from "./generate.js";

describe("every region's subscriber and delivery topic", () => {
  it("are what policies/data/regions.json generates (else run: npm run regions:generate)", () => {
    for (const f of regionArtefacts()) expect(f.current, `${f.path} is stale`).toBe(true);
  });

  it("drift is caught: a region renamed in the data file makes both files stale", () => {
    const dir = mkdtempSync(join(tmpdir(), "regions-"));
    const regions = JSON.parse(readFileSync(DEFAULT_REGIONS_PATH, "utf8"));
    regions.regions[9].name.en = "Te Tauihu";
    writeFileSync(join(dir, "regions.json"), JSON.stringify(regions));
    const stale = regionArtefacts({ regionsPath: join(dir, "regions.json") });
    expect(stale.map((f) => f.current)).toEqual([false, false]);
    expect(stale[0]!.expected).toContain("Te Tauihu community leaders");
    expect(stale[1]!.expected).toContain("Views permitted to Te Tauihu district community leaders");
    // and an edited registry entry, with the data file unchanged
    writeFileSync(join(dir, SUBSCRIBERS_FILE), readFileSync(join(DEFAULT_DATA_DIR, SUBSCRIBERS_FILE), "utf8").replace('"regions": ["SOUTHERN"]', '"regions": ["SOUTHERN", "EASTERN"]'));
    expect(regionArtefacts({ dataDir: dir })[0]!.current).toBe(false);
  });

  it("a community delivery topic per district, between the partners' and the public's, each read by the briefing only", () => {
    const names = loadTopicDeclarations(undefined, {}).map((t) => t.name);
    const community = names.filter((n) => n.startsWith("takitini.deliver.community-"));
    expect(community).toHaveLength(12);
    expect(community).toContain("takitini.deliver.community-bay-of-plenty.v1");
    expect(names.indexOf("takitini.deliver.public.v1")).toBe(names.indexOf(community[11]!) + 1);
    const { acls } = loadMeshAcls();
    for (const topic of community) {
      const readers = acls.filter((a) => a.resourceType === "TOPIC" && a.resourceName === topic && a.operation === "READ").map((a) => a.principal);
      expect(readers, topic).toEqual(["briefing"]);
      const writers = acls.filter((a) => a.resourceType === "TOPIC" && a.resourceName === topic && a.operation === "WRITE").map((a) => a.principal);
      expect(writers, topic).toEqual(["exchange"]);
    }
  });

  it("replace the community topics where the first stood, keeping every other topic and field", () => {
    const file = { $comment: "c", topics: [{ name: "a" }, { name: "takitini.deliver.community-old.v1" }, { name: "b" }] };
    const out = topicsWithCommunities(file, loadRegions()) as { $comment: string; topics: { name: string }[] };
    expect(out.$comment).toBe("c");
    expect(out.topics.map((t) => t.name)).toEqual(["a", ...loadRegions().regions.map((r) => `takitini.deliver.community-${r.slug}.v1`), "b"]);
    // The committed file: 21 topics of the mesh and one delivery topic per registered subscriber.
    expect(JSON.parse(readFileSync(TOPICS_PATH, "utf8")).topics).toHaveLength(21 + loadAclSubscribers().length);
  });
});
