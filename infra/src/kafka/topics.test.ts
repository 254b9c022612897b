import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadAclSubscribers } from "./acl-admin.js";
import { environmentFor, loadTopicDeclarations, minInsyncReplicas, parseTopicDeclarations, replicationOverride, resolveReplication, topicConfigEntries, TopicDeclarationError, type TopicDeclaration } from "./topics.js";

const good: TopicDeclaration = {
  name: "takitini.test.v1",
  role: "dead-letter",
  partitions: 3,
  replication_factor: 1,
  retention_ms: 604800000,
  cleanup_policy: "delete",
  description: "a test topic",
};

function issuesOf(json: unknown): { path: string; message: string }[] {
  try {
    parseTopicDeclarations(json);
  } catch (err) {
    expect(err).toBeInstanceOf(TopicDeclarationError);
    return (err as TopicDeclarationError).issues;
  }
  throw new Error("expected the declarations to be rejected");
}

const DAY = 24 * 60 * 60 * 1000;

describe("the project's topic declarations (infra/kafka/topics.json)", () => {
  const topics = loadTopicDeclarations(undefined, {});
  const byName = new Map(topics.map((t) => [t.name, t]));

  it("declare every topic of the mesh with its partitions and retention", () => {
    for (const agency of ["police", "customs", "mbie", "msd"]) {
      expect(byName.get(`takitini.intel.${agency}.v1`)).toMatchObject({ partitions: 6, retention_ms: 7 * DAY });
    }
    for (const sub of ["police", "customs", "mbie", "msd", "oranga-tamariki"]) {
      expect(byName.get(`takitini.deliver.${sub}.v1`)).toMatchObject({ partitions: 3, retention_ms: 7 * DAY });
    }
    // Foreign partners' views, served by the exchange over HTTPS: kept like the partners'.
    for (const sub of ["aus-abf", "aus-afp", "gbr-nca", "fji-police"]) {
      expect(byName.get(`takitini.deliver.${sub}.v1`)).toMatchObject({ role: "delivery", partitions: 3, retention_ms: 7 * DAY });
    }
    // Community tiers' views (aggregates, de-identified notices) feed quarter-on-quarter briefings.
    for (const sub of ["community-eastern", "community-bay-of-plenty", "community-southern", "public"]) {
      expect(byName.get(`takitini.deliver.${sub}.v1`)).toMatchObject({ partitions: 3, retention_ms: 400 * DAY });
    }
    expect(byName.get("takitini.audit.decisions.v1")).toMatchObject({ partitions: 6, retention_ms: -1 });
    expect(byName.get("takitini.deadletter.v1")).toMatchObject({ partitions: 1, retention_ms: 30 * DAY });
    expect(byName.get("takitini.briefings.v1")).toMatchObject({ partitions: 3, retention_ms: 365 * DAY, role: "briefings" });
    // The briefing's access records have a topic of their own: only the exchange writes decisions.
    expect(byName.get("takitini.audit.briefing-access.v1")).toMatchObject({ retention_ms: -1, role: "briefing-access" });
    // Refusals at the doors (adapters, briefing), for the audit's ledger; kept forever like the other audit topics.
    expect(byName.get("takitini.audit.refusals.v1")).toMatchObject({ partitions: 3, retention_ms: -1, role: "refusals" });
    // Each agency adapter's claims: compacted, kept forever, partitioned like its intel topic.
    for (const agency of ["police", "customs", "mbie", "msd"]) {
      expect(byName.get(`takitini.claims.${agency}.v1`)).toMatchObject({ role: "claims", cleanup_policy: "compact", retention_ms: -1, partitions: byName.get(`takitini.intel.${agency}.v1`)!.partitions });
    }
    // The audit's signed tree heads, for the oversight body's witness: one partition (in order), kept forever, never compacted.
    expect(byName.get("takitini.audit.heads.v1")).toMatchObject({ partitions: 1, retention_ms: -1, cleanup_policy: "delete", role: "heads" });
    // The briefing's digest-email state (claims, sent records, unsubscribes): compacted, kept forever, its own (role briefings).
    expect(byName.get("takitini.briefing-mail.v1")).toMatchObject({ partitions: 3, retention_ms: -1, cleanup_policy: "compact", role: "briefings" });
    // Leaders' submissions (written by the briefing), the briefing's index of them, and the exchange's receipts.
    expect(byName.get("takitini.intel.community.v1")).toMatchObject({ partitions: 3, retention_ms: 7 * DAY, cleanup_policy: "delete", role: "submissions" });
    expect(byName.get("takitini.briefing-submissions.v1")).toMatchObject({ retention_ms: -1, cleanup_policy: "compact", role: "briefings" });
    expect(byName.get("takitini.community-receipts.v1")).toMatchObject({ retention_ms: -1, cleanup_policy: "compact", role: "receipts" });
    // Fusion: the linkage service's alerts (an intel topic in name, so the exchange's provenance check reads its
    // "agency" as linkage, but role links: no adapter writes it) and its own index of match tokens.
    expect(byName.get("takitini.intel.linkage.v1")).toMatchObject({ partitions: 3, retention_ms: 7 * DAY, cleanup_policy: "delete", role: "links" });
    expect(byName.get("takitini.linkage-index.v1")).toMatchObject({ partitions: 1, retention_ms: -1, cleanup_policy: "compact", role: "linkage-index" });
    expect(byName.get("takitini.exchange-records.v1")).toMatchObject({ partitions: 6, retention_ms: -1, cleanup_policy: "compact", role: "exchange-records" });
    // One delivery topic per registered subscriber (policies/data/subscribers.json), and 21 others.
    expect(topics.filter((t) => t.role === "delivery").map((t) => t.name).sort()).toEqual(loadAclSubscribers().map((s) => s.delivery_topic).sort());
    expect(topics.filter((t) => t.role !== "delivery")).toHaveLength(21);
  });

  it("give every topic the role its ACLs are derived from", () => {
    for (const t of topics) {
      const expected = t.name === "takitini.intel.community.v1" ? "submissions" : t.name === "takitini.intel.linkage.v1" ? "links" : t.name.includes(".intel.") ? "intel" : t.name.includes(".deliver.") ? "delivery" : t.role;
      expect(t.role, t.name).toBe(expected);
    }
    expect(byName.get("takitini.audit.decisions.v1")?.role).toBe("decisions");
    expect(byName.get("takitini.deadletter.v1")?.role).toBe("dead-letter");
    // One topic of each of the linkage service's roles.
    expect(topics.filter((t) => t.role === "links").map((t) => t.name)).toEqual(["takitini.intel.linkage.v1"]);
    expect(topics.filter((t) => t.role === "linkage-index").map((t) => t.name)).toEqual(["takitini.linkage-index.v1"]);
  });

  it("use replication factor 1 locally, and every topic says what it is for", () => {
    for (const t of topics) {
      expect(t.replication_factor).toBe(1);
      const compacted = t.role === "claims" || t.role === "receipts" || t.role === "linkage-index" || t.role === "exchange-records" || ["takitini.briefing-mail.v1", "takitini.briefing-submissions.v1"].includes(t.name);
      expect(t.cleanup_policy, t.name).toBe(compacted ? "compact" : "delete");
      expect(t.description.length).toBeGreaterThan(10);
    }
  });

  it("use replication factor 3 on a cluster, with two replicas in sync required", () => {
    for (const t of loadTopicDeclarations(undefined, {}, "cluster")) {
      expect(t.replication_factor, t.name).toBe(3);
      expect(topicConfigEntries(t), t.name).toContainEqual({ name: "min.insync.replicas", value: "2" });
    }
  });

  it("take TAKITINI_TOPIC_REPLICATION for an existing cluster, in either environment", () => {
    expect(loadTopicDeclarations(undefined, { TAKITINI_TOPIC_REPLICATION: "3" }).every((t) => t.replication_factor === 3)).toBe(true);
    expect(loadTopicDeclarations(undefined, { TAKITINI_TOPIC_REPLICATION: "2" }, "cluster").every((t) => t.replication_factor === 2)).toBe(true);
    expect(() => loadTopicDeclarations(undefined, { TAKITINI_TOPIC_REPLICATION: "three" })).toThrow(/TAKITINI_TOPIC_REPLICATION/);
    expect(() => replicationOverride({ TAKITINI_TOPIC_REPLICATION: "0" })).toThrow(/whole number/);
    expect(replicationOverride({ TAKITINI_TOPIC_REPLICATION: "" })).toBeUndefined();
  });
});

describe("parseTopicDeclarations", () => {
  it("accepts a good declaration", () => {
    expect(parseTopicDeclarations({ topics: [good] })).toEqual([good]);
  });

  it("knows the refusals and linkage roles, and refuses a role it does not know by path", () => {
    expect(parseTopicDeclarations({ topics: [{ ...good, role: "refusals" }] })[0]?.role).toBe("refusals");
    expect(parseTopicDeclarations({ topics: [{ ...good, role: "links" }, { ...good, name: "takitini.linkage-index.v1", role: "linkage-index" }] }).map((t) => t.role)).toEqual(["links", "linkage-index"]);
    expect(issuesOf({ topics: [{ ...good, role: "link" }] }).map((i) => i.path)).toEqual(["topics[0].role"]);
    expect(issuesOf({ topics: [{ ...good, role: "refusal" }] }).map((i) => i.path)).toEqual(["topics[0].role"]);
  });

  it("maps declarations to broker topic configs", () => {
    expect(topicConfigEntries({ ...good, retention_ms: -1, cleanup_policy: "compact" })).toEqual([
      { name: "retention.ms", value: "-1" },
      { name: "cleanup.policy", value: "compact" },
    ]);
    expect(topicConfigEntries({ ...good, replication_factor: 3 })).toContainEqual({ name: "min.insync.replicas", value: "2" });
  });

  it("resolves a replication factor per environment, local by default", () => {
    const declared = { ...good, replication_factor: { local: 1, cluster: 3 } };
    expect(parseTopicDeclarations({ topics: [declared] })[0]?.replication_factor).toBe(1);
    expect(parseTopicDeclarations({ topics: [declared] }, { environment: "cluster" })[0]?.replication_factor).toBe(3);
    expect(parseTopicDeclarations({ topics: [declared] }, { environment: "cluster", replication: 2 })[0]?.replication_factor).toBe(2);
    // One number holds everywhere.
    expect(parseTopicDeclarations({ topics: [{ ...good, replication_factor: 2 }] }, { environment: "cluster" })[0]?.replication_factor).toBe(2);
    expect(resolveReplication({ local: 1, cluster: 5 }, "cluster")).toBe(5);
  });

  it("refuses a per-environment replication factor with a missing, unknown or bad environment, by path", () => {
    expect(issuesOf({ topics: [{ ...good, replication_factor: { local: 1 } }] }).map((i) => i.path)).toEqual(["topics[0].replication_factor"]);
    expect(issuesOf({ topics: [{ ...good, replication_factor: { local: 1, cluster: 3, staging: 2 } }] }).map((i) => i.path)).toEqual(["topics[0].replication_factor"]);
    expect(issuesOf({ topics: [{ ...good, replication_factor: { local: 1, cluster: 0 } }] }).map((i) => i.path)).toEqual(["topics[0].replication_factor.cluster"]);
    expect(issuesOf({ topics: [{ ...good, replication_factor: { local: 1 } }] })[0]?.message).toMatch(/one per environment/);
  });

  it("chooses the environment by the cluster's size: three or more brokers is a cluster", () => {
    expect([1, 2, 3, 5].map(environmentFor)).toEqual(["local", "local", "cluster", "cluster"]);
  });

  it("requires two replicas in sync with three or more, one with two, and leaves one replica alone", () => {
    expect([1, 2, 3, 5].map(minInsyncReplicas)).toEqual([undefined, 1, 2, 2]);
  });

  it("names the field path of each bad value", () => {
    const issues = issuesOf({
      topics: [good, { ...good, name: "bad name!", partitions: 0 }, { ...good, name: "ok.v1", retention_ms: -2, cleanup_policy: "forever" }],
    });
    const paths = issues.map((i) => i.path).sort();
    expect(paths).toEqual(["topics[1].name", "topics[1].partitions", "topics[2].cleanup_policy", "topics[2].retention_ms"]);
  });

  it("rejects missing and unknown fields, by path", () => {
    const { description: _d, ...noDescription } = good;
    const issues = issuesOf({ topics: [noDescription, { ...good, name: "x.v1", retentionMs: 5 }] });
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(["topics[0].description", "topics[1]"]));
    expect(issues.find((i) => i.path === "topics[1]")?.message).toMatch(/retentionMs/);
  });

  it("rejects wrong types and fractional numbers", () => {
    const issues = issuesOf({ topics: [{ ...good, partitions: "3", replication_factor: 1.5 }] });
    expect(issues.map((i) => i.path).sort()).toEqual(["topics[0].partitions", "topics[0].replication_factor"]);
  });

  it("rejects duplicate topic names, pointing at the second", () => {
    const issues = issuesOf({ topics: [good, { ...good }] });
    expect(issues).toEqual([{ path: "topics[1].name", message: expect.stringMatching(/duplicate/) }]);
  });

  it("rejects Kafka's internal names and an empty or missing list", () => {
    expect(issuesOf({ topics: [{ ...good, name: "__consumer_offsets" }] })[0]?.path).toBe("topics[0].name");
    expect(issuesOf({ topics: [] })[0]?.path).toBe("topics");
    expect(issuesOf({})[0]?.path).toBe("topics");
    expect(issuesOf([])[0]?.path).toBe("");
  });

  it("puts every issue in the error message", () => {
    expect(() => parseTopicDeclarations({ topics: [{ ...good, partitions: -1 }] })).toThrow(/topics\[0\]\.partitions/);
  });

  it("reports a file that is not JSON with its path", () => {
    const dir = mkdtempSync(join(tmpdir(), "takitini-topics-"));
    const file = join(dir, "topics.json");
    writeFileSync(file, "{ not json");
    expect(() => loadTopicDeclarations(file, {})).toThrow(file);
    writeFileSync(file, JSON.stringify({ topics: [{ ...good, partitions: 0 }] }));
    expect(() => loadTopicDeclarations(file, {})).toThrow(new RegExp(`invalid ${file.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}`));
    rmSync(dir, { recursive: true, force: true });
  });
});
