import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loadAclSubscribers, loadMeshAcls } from "./acl-admin.js";
import { aclCommands, aclKey, AclGenerationError, meshAcls, meshPrincipals, topicAccessTable, type AclEntry, type AclSubscriber } from "./acls.js";
import { loadTopicDeclarations, type TopicDeclaration } from "./topics.js";

const declared = loadTopicDeclarations(undefined, {});
const subscribers = loadAclSubscribers();
const { acls, principals } = loadMeshAcls(declared);

const topicsOf = (role: TopicDeclaration["role"]) => declared.filter((t) => t.role === role).map((t) => t.name);
/** Topics `principal` may do `op` on (every topic grant is literal). */
const can = (set: readonly AclEntry[], principal: string, op: "READ" | "WRITE") =>
  set.filter((a) => a.principal === principal && a.resourceType === "TOPIC" && a.operation === op).map((a) => a.resourceName).sort();
const groupsOf = (set: readonly AclEntry[], principal: string) => set.filter((a) => a.principal === principal && a.resourceType === "GROUP").map((a) => a.resourceName);

describe("the mesh's Kafka ACLs, derived from topics.json and the subscriber registry", () => {
  it("names one principal per adapter, service and partner agency, with the super users first", () => {
    expect(principals).toEqual([
      "broker",
      "operator",
      "customs-adapter",
      "mbie-adapter",
      "msd-adapter",
      "police-adapter",
      "exchange",
      "audit",
      "briefing",
      "linkage",
      "oversight",
      "partner-customs",
      "partner-mbie",
      "partner-msd",
      "partner-oranga-tamariki",
      "partner-police",
    ]);
    // Community tiers never read Kafka; super users need no ACLs.
    expect(acls.some((a) => a.principal.startsWith("community") || a.principal === "public" || a.principal === "broker" || a.principal === "operator")).toBe(false);
  });

  it("gives foreign partners no principal: the exchange alone writes their delivery topics and reads them back to serve them over HTTPS", () => {
    const foreign = subscribers.filter((s) => s.tier === "foreign_partner");
    expect(foreign.map((s) => s.delivery_topic).sort()).toEqual(["takitini.deliver.aus-abf.v1", "takitini.deliver.aus-afp.v1", "takitini.deliver.fji-police.v1", "takitini.deliver.gbr-nca.v1"]);
    for (const s of foreign) {
      expect(principals.filter((p) => p.includes(s.id)), s.id).toEqual([]);
      expect(acls.filter((a) => a.principal.includes(s.id)), s.id).toEqual([]);
      const on = (op: "READ" | "WRITE") => acls.filter((a) => a.resourceType === "TOPIC" && a.operation === op && a.resourceName === s.delivery_topic).map((a) => a.principal);
      expect(on("WRITE"), s.id).toEqual(["exchange"]);
      expect(on("READ"), s.id).toEqual(["exchange"]);
    }
  });

  it("lets each adapter write only its own agency's topic and claims, and its refusals; read only its claims, never the intelligence topic", () => {
    for (const agency of ["police", "customs", "mbie", "msd"]) {
      expect(can(acls, `${agency}-adapter`, "WRITE")).toEqual([`takitini.claims.${agency}.v1`, `takitini.intel.${agency}.v1`, ...topicsOf("refusals")].sort());
      expect(can(acls, `${agency}-adapter`, "READ")).toEqual([`takitini.claims.${agency}.v1`]);
      expect(groupsOf(acls, `${agency}-adapter`)).toEqual([`takitini-${agency}-adapter`]);
      const txns = acls.filter((a) => a.principal === `${agency}-adapter` && a.resourceType === "TRANSACTIONAL_ID").map((a) => `${a.patternType}:${a.resourceName}:${a.operation}`);
      expect(txns).toEqual([`PREFIXED:takitini-${agency}-adapter.:WRITE`]);
    }
    // Claims are the adapter's alone.
    const claimUsers = new Set(acls.filter((a) => a.resourceType === "TOPIC" && topicsOf("claims").includes(a.resourceName)).map((a) => a.principal));
    expect([...claimUsers].sort()).toEqual(["customs-adapter", "mbie-adapter", "msd-adapter", "police-adapter"]);
  });

  it("refuses a claims topic whose name names no agency with an intel topic", () => {
    const intel = decl("takitini.intel.police.v1", "intel");
    expect(() => meshAcls([intel, decl("takitini.claims.nobody.v1", "claims")], [])).toThrow(/claims topic|no intel topic/);
    expect(() => meshAcls([intel, decl("claims-police", "claims")], [])).toThrow(/claims\.<agency>\.v<N>/);
  });

  it("lets no principal but the exchange write a delivery or decision topic", () => {
    const guarded = new Set([...topicsOf("delivery"), ...topicsOf("decisions")]);
    const writers = new Set(acls.filter((a) => a.resourceType === "TOPIC" && a.operation === "WRITE" && guarded.has(a.resourceName)).map((a) => a.principal));
    expect([...writers]).toEqual(["exchange"]);
    expect(can(acls, "exchange", "WRITE")).toEqual([...guarded, ...topicsOf("dead-letter"), ...topicsOf("receipts"), ...topicsOf("exchange-records")].sort());
  });

  it("lets the exchange alone read and write its records of who received what", () => {
    expect(topicsOf("exchange-records")).toEqual(["takitini.exchange-records.v1"]);
    const users = new Set(acls.filter((a) => a.resourceType === "TOPIC" && a.resourceName === "takitini.exchange-records.v1").map((a) => `${a.principal}:${a.operation}`));
    expect([...users].sort()).toEqual(["exchange:READ", "exchange:WRITE"]);
  });

  it("lets each partner read only its own delivery topic, with consumer groups of its own", () => {
    for (const s of subscribers.filter((x) => x.tier === "partner_agency")) {
      expect(can(acls, `partner-${s.id}`, "READ")).toEqual([s.delivery_topic]);
      expect(can(acls, `partner-${s.id}`, "WRITE")).toEqual([]);
      expect(groupsOf(acls, `partner-${s.id}`)).toEqual([`partner-${s.id}.`]);
    }
    // No partner's group prefix is a prefix of another's.
    const prefixes = subscribers.filter((x) => x.tier === "partner_agency").map((s) => `partner-${s.id}.`);
    for (const a of prefixes) for (const b of prefixes) if (a !== b) expect(b.startsWith(a)).toBe(false);
  });

  it("lets the briefing read only community topics, its own state and the receipts of submissions, and write only its access records, refusals, state and leaders' submissions", () => {
    const community = subscribers.filter((s) => s.tier === "community_leader" || s.tier === "public").map((s) => s.delivery_topic);
    expect(can(acls, "briefing", "READ")).toEqual([...community, ...topicsOf("briefings"), ...topicsOf("receipts")].sort());
    expect(can(acls, "briefing", "WRITE")).toEqual([...topicsOf("briefing-access"), ...topicsOf("refusals"), ...topicsOf("briefings"), ...topicsOf("submissions")].sort());
    // It is the door of leaders' submissions, and reads no one's submissions back: their status comes from the receipts.
    expect(can(acls, "briefing", "READ")).not.toContain("takitini.intel.community.v1");
    for (const t of [...topicsOf("intel"), ...subscribers.filter((s) => s.tier === "partner_agency" || s.tier === "foreign_partner").map((s) => s.delivery_topic)]) {
      expect(can(acls, "briefing", "READ")).not.toContain(t);
    }
  });

  it("lets the audit read the decision, access, refusal, agency, submission and link-alert topics and write only dead letters and its signed heads", () => {
    expect(can(acls, "audit", "READ")).toEqual([...topicsOf("decisions"), ...topicsOf("briefing-access"), ...topicsOf("refusals"), ...topicsOf("intel"), ...topicsOf("submissions"), ...topicsOf("links")].sort());
    expect(can(acls, "audit", "WRITE")).toEqual([...topicsOf("heads"), ...topicsOf("dead-letter")].sort());
  });

  it("lets the oversight principal read the signed heads and nothing else; only the audit writes them", () => {
    expect(topicsOf("heads")).toEqual(["takitini.audit.heads.v1"]);
    expect(can(acls, "oversight", "READ")).toEqual(["takitini.audit.heads.v1"]);
    expect(can(acls, "oversight", "WRITE")).toEqual([]);
    const on = (op: "READ" | "WRITE") => acls.filter((a) => a.resourceType === "TOPIC" && a.operation === op && a.resourceName === "takitini.audit.heads.v1").map((a) => a.principal).sort();
    expect(on("WRITE")).toEqual(["audit"]);
    expect(on("READ")).toEqual(["oversight"]);
    expect(acls.filter((a) => a.principal === "oversight" && a.resourceType === "GROUP").map((a) => a.resourceName)).toEqual(["takitini-oversight"]);
  });

  it("declares one refusals topic, written by the four adapters and the briefing and read by the audit only", () => {
    expect(topicsOf("refusals")).toEqual(["takitini.audit.refusals.v1"]);
    const on = (op: "READ" | "WRITE") => acls.filter((a) => a.resourceType === "TOPIC" && a.operation === op && a.resourceName === "takitini.audit.refusals.v1").map((a) => a.principal).sort();
    expect(on("WRITE")).toEqual(["briefing", "customs-adapter", "mbie-adapter", "msd-adapter", "police-adapter"]);
    expect(on("READ")).toEqual(["audit"]);
    // Neither the exchange nor a partner touches it.
    expect(can(acls, "exchange", "WRITE")).not.toContain("takitini.audit.refusals.v1");
    for (const s of subscribers.filter((x) => x.tier === "partner_agency")) expect(can(acls, `partner-${s.id}`, "WRITE")).not.toContain("takitini.audit.refusals.v1");
  });

  it("declares one submissions topic, written by the briefing alone and read by the exchange and the audit; receipts written by the exchange and read by the briefing", () => {
    expect(topicsOf("submissions")).toEqual(["takitini.intel.community.v1"]);
    expect(topicsOf("receipts")).toEqual(["takitini.community-receipts.v1"]);
    const on = (op: "READ" | "WRITE", topic: string) => acls.filter((a) => a.resourceType === "TOPIC" && a.operation === op && a.resourceName === topic).map((a) => a.principal).sort();
    expect(on("WRITE", "takitini.intel.community.v1")).toEqual(["briefing"]);
    expect(on("READ", "takitini.intel.community.v1")).toEqual(["audit", "exchange"]);
    expect(on("WRITE", "takitini.community-receipts.v1")).toEqual(["exchange"]);
    expect(on("READ", "takitini.community-receipts.v1")).toEqual(["briefing"]);
    // No community-adapter principal: the topic is not an agency's intel topic.
    expect(principals).not.toContain("community-adapter");
  });

  it("lets the exchange read every agency's events, leaders' submissions, link alerts, partners' and foreign partners' views and its own records, and nothing else", () => {
    const served = subscribers.filter((s) => s.tier === "partner_agency" || s.tier === "foreign_partner").map((s) => s.delivery_topic);
    expect(can(acls, "exchange", "READ")).toEqual([...topicsOf("intel"), ...topicsOf("submissions"), ...topicsOf("links"), ...topicsOf("exchange-records"), ...served].sort());
    expect(can(acls, "exchange", "READ")).not.toContain("takitini.linkage-index.v1");
  });

  it("lets the linkage service read the agencies' events and its index, and write only its alerts and its index, under its own group and transactional-id prefixes", () => {
    expect(topicsOf("links")).toEqual(["takitini.intel.linkage.v1"]);
    expect(topicsOf("linkage-index")).toEqual(["takitini.linkage-index.v1"]);
    expect(can(acls, "linkage", "READ")).toEqual([...topicsOf("intel"), "takitini.linkage-index.v1"].sort());
    expect(can(acls, "linkage", "WRITE")).toEqual(["takitini.intel.linkage.v1", "takitini.linkage-index.v1"]);
    // Never the leaders' words (no structured subjects), a delivery, decision or refusal topic, nor dead letters.
    expect(can(acls, "linkage", "READ")).not.toContain("takitini.intel.community.v1");
    expect(groupsOf(acls, "linkage")).toEqual(["takitini-linkage"]);
    const txns = acls.filter((a) => a.principal === "linkage" && a.resourceType === "TRANSACTIONAL_ID").map((a) => `${a.patternType}:${a.resourceName}:${a.operation}`);
    expect(txns).toEqual(["PREFIXED:takitini-linkage.:WRITE"]);
    // The service's defaults (group takitini-linkage, its rebuild readers takitini-linkage.rebuild-…, transactional id takitini-linkage.index) fall under them.
    for (const g of ["takitini-linkage", "takitini-linkage.rebuild-0f1e"]) expect(g.startsWith(groupsOf(acls, "linkage")[0]!)).toBe(true);
    expect("takitini-linkage.index".startsWith("takitini-linkage.")).toBe(true);
    // No other principal's group or transactional-id prefix is a prefix of the linkage service's, or the reverse.
    for (const a of acls.filter((x) => x.principal !== "linkage" && x.resourceType !== "TOPIC")) {
      expect(a.resourceName.startsWith("takitini-linkage") || "takitini-linkage".startsWith(a.resourceName), `${a.principal} ${a.resourceName}`).toBe(false);
    }
  });

  it("lets only the linkage service write the link alerts and its index; only the exchange and the audit read the alerts; only the linkage service reads its index", () => {
    const on = (op: "READ" | "WRITE", topic: string) => acls.filter((a) => a.resourceType === "TOPIC" && a.operation === op && a.resourceName === topic).map((a) => a.principal).sort();
    expect(on("WRITE", "takitini.intel.linkage.v1")).toEqual(["linkage"]);
    expect(on("READ", "takitini.intel.linkage.v1")).toEqual(["audit", "exchange"]);
    expect(on("WRITE", "takitini.linkage-index.v1")).toEqual(["linkage"]);
    expect(on("READ", "takitini.linkage-index.v1")).toEqual(["linkage"]);
    // Named one by one: no partner, not the briefing, no adapter, not the oversight witness.
    const outsiders = [...subscribers.filter((x) => x.tier === "partner_agency").map((x) => `partner-${x.id}`), "briefing", "oversight", ...["police", "customs", "mbie", "msd"].map((a) => `${a}-adapter`)];
    for (const p of outsiders) {
      for (const t of ["takitini.intel.linkage.v1", "takitini.linkage-index.v1"]) {
        expect(can(acls, p, "READ"), `${p} reads ${t}`).not.toContain(t);
        expect(can(acls, p, "WRITE"), `${p} writes ${t}`).not.toContain(t);
      }
    }
    // The alerts' topic is named like an agency's, yet no "linkage-adapter" exists to write it.
    expect(principals).not.toContain("linkage-adapter");
  });

  it("never grants a wildcard, a cluster-wide right or a prefixed topic", () => {
    for (const a of acls) {
      expect(a.resourceName).not.toBe("*");
      if (a.resourceType === "TOPIC") expect(a.patternType).toBe("LITERAL");
      expect(["TOPIC", "GROUP", "TRANSACTIONAL_ID"]).toContain(a.resourceType);
    }
    expect(new Set(acls.map(aclKey)).size).toBe(acls.length);
  });
});

describe("meshAcls, for any registry", () => {
  const id = fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/);
  const registry = fc.uniqueArray(fc.record({ id, tier: fc.constantFrom("partner_agency" as const, "foreign_partner" as const, "community_leader" as const, "public" as const) }), {
    selector: (s) => s.id,
    minLength: 1,
    maxLength: 8,
  });

  it("gives every partner exactly its own topic, and every delivery topic exactly one writer: the exchange", () => {
    fc.assert(
      fc.property(registry, (regs) => {
        const subs: AclSubscriber[] = regs.map((r) => ({ ...r, delivery_topic: `takitini.deliver.${r.id}.v1` }));
        const topics: TopicDeclaration[] = [
          ...["police", "customs"].map((a) => decl(`takitini.intel.${a}.v1`, "intel")),
          ...subs.map((s) => decl(s.delivery_topic, "delivery")),
          decl("takitini.audit.decisions.v1", "decisions"),
        ];
        const set = meshAcls(topics, subs);
        for (const s of subs) {
          const readers = set.filter((a) => a.resourceType === "TOPIC" && a.operation === "READ" && a.resourceName === s.delivery_topic).map((a) => a.principal).sort();
          const writers = set.filter((a) => a.resourceType === "TOPIC" && a.operation === "WRITE" && a.resourceName === s.delivery_topic).map((a) => a.principal);
          expect(writers).toEqual(["exchange"]);
          if (s.tier === "partner_agency") expect(readers).toEqual(["exchange", `partner-${s.id}`]);
          else if (s.tier === "foreign_partner") expect(readers).toEqual(["exchange"]);
          else expect(readers).toEqual(["briefing"]);
        }
        expect(meshPrincipals(topics, subs).filter((p) => p.startsWith("partner-")).length).toBe(subs.filter((s) => s.tier === "partner_agency").length);
      }),
    );
  });

  it("gives the link alerts exactly the linkage service as writer and the exchange and the audit as readers, and its index the linkage service alone", () => {
    const agencyNames = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/).filter((a) => a !== "linkage"), { minLength: 1, maxLength: 6 });
    fc.assert(
      fc.property(registry, agencyNames, (regs, agencies) => {
        const subs: AclSubscriber[] = regs.map((r) => ({ ...r, delivery_topic: `takitini.deliver.${r.id}.v1` }));
        const topics: TopicDeclaration[] = [
          ...agencies.map((a) => decl(`takitini.intel.${a}.v1`, "intel")),
          ...subs.map((s) => decl(s.delivery_topic, "delivery")),
          decl("takitini.audit.decisions.v1", "decisions"),
          decl("takitini.intel.linkage.v1", "links"),
          decl("takitini.linkage-index.v1", "linkage-index"),
        ];
        const set = meshAcls(topics, subs);
        const on = (op: "READ" | "WRITE", t: string) => set.filter((a) => a.resourceType === "TOPIC" && a.operation === op && a.resourceName === t).map((a) => a.principal).sort();
        expect(on("WRITE", "takitini.intel.linkage.v1")).toEqual(["linkage"]);
        expect(on("READ", "takitini.intel.linkage.v1")).toEqual(["audit", "exchange"]);
        expect(on("WRITE", "takitini.linkage-index.v1")).toEqual(["linkage"]);
        expect(on("READ", "takitini.linkage-index.v1")).toEqual(["linkage"]);
        // It reads every agency's topic, and writes nothing an agency or the exchange owns.
        expect(set.filter((x) => x.principal === "linkage" && x.resourceType === "TOPIC" && x.operation === "READ").map((x) => x.resourceName).sort()).toEqual([...agencies.map((a) => `takitini.intel.${a}.v1`), "takitini.linkage-index.v1"].sort());
      }),
    );
  });

  it("gives the refusals topics exactly the adapters of the declared agencies and the briefing as writers, and the audit alone as reader", () => {
    const agencyNames = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,8}$/).filter((a) => a !== "linkage"), { minLength: 1, maxLength: 6 });
    const refusalNames = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9-]{0,10}$/).map((n) => `takitini.audit.refusals-${n}.v1`), { minLength: 0, maxLength: 3 });
    fc.assert(
      fc.property(registry, agencyNames, refusalNames, (regs, agencies, refusalTopics) => {
        const subs: AclSubscriber[] = regs.map((r) => ({ ...r, delivery_topic: `takitini.deliver.${r.id}.v1` }));
        const topics: TopicDeclaration[] = [
          ...agencies.map((a) => decl(`takitini.intel.${a}.v1`, "intel")),
          ...subs.map((s) => decl(s.delivery_topic, "delivery")),
          decl("takitini.audit.decisions.v1", "decisions"),
          ...refusalTopics.map((t) => decl(t, "refusals")),
        ];
        const set = meshAcls(topics, subs);
        for (const t of refusalTopics) {
          const on = (op: "READ" | "WRITE") => set.filter((a) => a.resourceType === "TOPIC" && a.operation === op && a.resourceName === t).map((a) => a.principal).sort();
          expect(on("WRITE")).toEqual([...agencies.map((a) => `${a}-adapter`), "briefing"].sort());
          expect(on("READ")).toEqual(["audit"]);
        }
        // An adapter writes only its own agency's topics and the refusals topics.
        for (const a of agencies) {
          expect(set.filter((x) => x.principal === `${a}-adapter` && x.resourceType === "TOPIC" && x.operation === "WRITE").map((x) => x.resourceName).sort()).toEqual([`takitini.intel.${a}.v1`, ...refusalTopics].sort());
        }
        // No partner and not the exchange.
        expect(set.some((x) => refusalTopics.includes(x.resourceName) && (x.principal === "exchange" || x.principal.startsWith("partner-")))).toBe(false);
      }),
    );
  });
});

function decl(name: string, role: TopicDeclaration["role"]): TopicDeclaration {
  return { name, role, partitions: 1, replication_factor: 1, retention_ms: 1000, cleanup_policy: "delete", description: "t" };
}

describe("meshAcls refuses inconsistent inputs, naming each problem", () => {
  const base = [decl("takitini.intel.police.v1", "intel"), decl("takitini.deliver.customs.v1", "delivery")];
  const customs: AclSubscriber = { id: "customs", tier: "partner_agency", delivery_topic: "takitini.deliver.customs.v1" };
  const problems = (topics: TopicDeclaration[], subs: AclSubscriber[]) => {
    try {
      meshAcls(topics, subs);
    } catch (err) {
      expect(err).toBeInstanceOf(AclGenerationError);
      return (err as AclGenerationError).problems;
    }
    throw new Error("expected a refusal");
  };

  it("a subscriber's delivery topic that is not declared", () => {
    expect(problems(base, [customs, { id: "mbie", tier: "partner_agency", delivery_topic: "takitini.deliver.mbie.v1" }])).toEqual(['subscriber "mbie": delivery topic takitini.deliver.mbie.v1 is not declared']);
  });
  it("a delivery topic declared with another role", () => {
    expect(problems([...base, decl("takitini.deliver.mbie.v1", "briefings")], [customs, { id: "mbie", tier: "partner_agency", delivery_topic: "takitini.deliver.mbie.v1" }])[0]).toMatch(/role "briefings", not "delivery"/);
  });
  it("a declared delivery topic nobody receives", () => {
    expect(problems([...base, decl("takitini.deliver.orphan.v1", "delivery")], [customs])).toEqual(["topic takitini.deliver.orphan.v1 is declared as a delivery topic but no subscriber receives it"]);
  });
  it("an intel topic whose name does not say its agency", () => {
    expect(problems([...base, decl("takitini.police-events", "intel")], [customs])[0]).toMatch(/takitini.police-events has role "intel"/);
  });
  it("the link alerts' topic declared as an agency's (a linkage-adapter could then forge alerts)", () => {
    expect(problems([...base, decl("takitini.intel.linkage.v1", "intel")], [customs])).toEqual(['topic takitini.intel.linkage.v1 has role "intel" but holds the linkage service\'s alerts: declare it with role "links"']);
  });
  it("two subscribers sharing a topic, and an id that cannot name a principal", () => {
    const p = problems(base, [customs, { id: "Evil One", tier: "partner_agency", delivery_topic: "takitini.deliver.customs.v1" }]);
    expect(p).toEqual(expect.arrayContaining([expect.stringMatching(/Evil One.*lowercase/), expect.stringMatching(/share the delivery topic/)]));
  });
});

describe("printing the ACLs", () => {
  it("as kafka-acls.sh commands, one per binding", () => {
    const lines = aclCommands(acls, "broker:9093", "op.properties");
    expect(lines).toHaveLength(acls.length);
    expect(lines).toContain("kafka-acls.sh --bootstrap-server broker:9093 --command-config op.properties --add --allow-principal User:police-adapter --operation Write --topic takitini.intel.police.v1");
    expect(lines).toContain("kafka-acls.sh --bootstrap-server broker:9093 --command-config op.properties --add --allow-principal User:partner-customs --operation Read --group partner-customs. --resource-pattern-type prefixed");
    expect(lines.some((l) => l.includes("--transactional-id takitini-exchange. --resource-pattern-type prefixed"))).toBe(true);
  });
  it("as who reads and writes each topic", () => {
    const row = topicAccessTable(acls).find((r) => r.topic === "takitini.deliver.customs.v1");
    expect(row).toEqual({ topic: "takitini.deliver.customs.v1", readers: ["exchange", "partner-customs"], writers: ["exchange"] });
  });
});
