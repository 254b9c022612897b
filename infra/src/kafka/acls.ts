import { intelTopicAgency } from "@takitini/runtime";
import type { TopicDeclaration } from "./topics.js";

/**
 * Kafka's authorisation of the mesh, derived — never hand-written — from the
 * topic declarations (infra/kafka/topics.json: each topic's `role`) and the
 * sharing policy's subscriber registry (policies/data/subscribers.json: each
 * subscriber's tier and delivery topic). One pure function, `meshAcls`, gives
 * every principal the least it needs; anything not granted is refused, since
 * the brokers run StandardAuthorizer with allow.everyone.if.no.acl.found=false.
 * The brokers' own principal and the operator are super users and get no ACLs.
 */

/** The subscriber registry's fields the ACLs depend on. */
export interface AclSubscriber {
  id: string;
  tier: "partner_agency" | "foreign_partner" | "community_leader" | "public" | "oversight";
  delivery_topic: string;
}

export type AclResourceType = "TOPIC" | "GROUP" | "TRANSACTIONAL_ID";
export type AclPatternType = "LITERAL" | "PREFIXED";
export type AclOperation = "READ" | "WRITE";

/** One ALLOW binding (from any host): `principal` may `operation` on the resource. */
export interface AclEntry {
  principal: string;
  resourceType: AclResourceType;
  patternType: AclPatternType;
  resourceName: string;
  operation: AclOperation;
  /** Why the principal needs it, for people reading the printed set. */
  why: string;
}

/** Super users (broker.properties `super.users`): the brokers themselves and one operator for tooling. */
export const SUPER_USERS = ["broker", "operator"] as const;

/** The mesh's own services' principals. */
export const SERVICE_PRINCIPALS = ["exchange", "audit", "briefing", "linkage"] as const;

/**
 * The oversight body's principal: its witness reads the audit's signed tree
 * heads (and nothing else), so a history rewritten with its heads in the
 * database is still caught against the heads it kept.
 */
export const OVERSIGHT_PRINCIPAL = "oversight";

/** Principal of the adapter publishing an agency's intelligence. */
export const adapterPrincipal = (agency: string) => `${agency}-adapter`;
/** Principal of a partner agency reading its own delivery topic. */
export const partnerPrincipal = (subscriberId: string) => `partner-${subscriberId}`;

/**
 * Consumer groups and transactional ids each principal may use: everything it
 * names must start with one of its prefixes (the services' defaults do).
 */
export const GROUP_PREFIX = {
  adapter: (agency: string) => `takitini-${adapterPrincipal(agency)}`,
  exchange: "takitini-exchange",
  subscribe: "takitini-subscribe-",
  audit: "takitini-audit",
  briefing: "takitini-briefing",
  oversight: "takitini-oversight",
  linkage: "takitini-linkage",
  partner: (subscriberId: string) => `${partnerPrincipal(subscriberId)}.`,
} as const;
export const TRANSACTIONAL_ID_PREFIX = {
  adapter: (agency: string) => `takitini-${adapterPrincipal(agency)}.`,
  exchange: "takitini-exchange.",
  briefing: "takitini-briefing-",
  linkage: "takitini-linkage.",
} as const;

export class AclGenerationError extends Error {
  constructor(readonly problems: string[]) {
    super(`cannot derive the Kafka ACLs:\n${problems.map((p) => `  ${p}`).join("\n")}`);
    this.name = "AclGenerationError";
  }
}

const PRINCIPAL = /^[a-z0-9][a-z0-9-]*$/;

/** Every principal the mesh's ACLs and PKI know, super users first. Pure. */
export function meshPrincipals(topics: readonly TopicDeclaration[], subscribers: readonly AclSubscriber[]): string[] {
  const agencies = [...new Set(topics.filter((t) => t.role === "intel").map((t) => intelTopicAgency(t.name)).filter((a): a is string => a !== undefined))].sort();
  const partners = subscribers.filter((s) => s.tier === "partner_agency").map((s) => partnerPrincipal(s.id)).sort();
  return [...SUPER_USERS, ...agencies.map(adapterPrincipal), ...SERVICE_PRINCIPALS, OVERSIGHT_PRINCIPAL, ...partners];
}

/**
 * The ACLs of the mesh. Pure. Throws naming every inconsistency between the
 * declarations and the registry (a delivery topic not declared as one, a
 * declared delivery topic nobody receives, an intelligence topic whose name
 * does not say its agency), since a silently missing or extra grant is exactly
 * what this function exists to prevent.
 */
export function meshAcls(topics: readonly TopicDeclaration[], subscribers: readonly AclSubscriber[]): AclEntry[] {
  const problems: string[] = [];
  const byRole = (role: TopicDeclaration["role"]) => topics.filter((t) => t.role === role).map((t) => t.name);
  const declared = new Map(topics.map((t) => [t.name, t.role]));

  const deliveryOf = new Map<string, AclSubscriber>();
  for (const s of subscribers) {
    if (!PRINCIPAL.test(s.id)) problems.push(`subscriber "${s.id}": ids must be lowercase letters, digits and '-' to name a principal`);
    const role = declared.get(s.delivery_topic);
    if (role === undefined) problems.push(`subscriber "${s.id}": delivery topic ${s.delivery_topic} is not declared`);
    else if (role !== "delivery") problems.push(`subscriber "${s.id}": delivery topic ${s.delivery_topic} is declared with role "${role}", not "delivery"`);
    const other = deliveryOf.get(s.delivery_topic);
    if (other) problems.push(`subscribers "${other.id}" and "${s.id}" share the delivery topic ${s.delivery_topic}`);
    deliveryOf.set(s.delivery_topic, s);
  }
  for (const name of byRole("delivery")) if (!deliveryOf.has(name)) problems.push(`topic ${name} is declared as a delivery topic but no subscriber receives it`);
  const intel = byRole("intel").map((name) => ({ name, agency: intelTopicAgency(name) }));
  for (const t of intel) if (t.agency === undefined) problems.push(`topic ${t.name} has role "intel" but its name does not end in intel.<agency>.v<N>`);
  // The link alerts' topic is named like an agency's (intel.linkage.v<N>: the exchange's provenance check reads
  // "linkage" from it); declared as intel, it would get a linkage-adapter principal that could forge alerts.
  for (const t of intel) if (t.agency === "linkage") problems.push(`topic ${t.name} has role "intel" but holds the linkage service's alerts: declare it with role "links"`);
  const claims = byRole("claims").map((name) => ({ name, agency: /(?:^|\.)claims\.([a-z0-9-]+)\.v\d+$/.exec(name)?.[1] }));
  for (const t of claims) {
    if (t.agency === undefined) problems.push(`topic ${t.name} has role "claims" but its name does not end in claims.<agency>.v<N>`);
    else if (!intel.some((i) => i.agency === t.agency)) problems.push(`topic ${t.name} holds claims of agency "${t.agency}", which has no intel topic`);
  }
  if (problems.length > 0) throw new AclGenerationError(problems);

  const acls: AclEntry[] = [];
  const topic = (principal: string, operation: AclOperation, names: readonly string[], why: string) => {
    for (const resourceName of names) acls.push({ principal, resourceType: "TOPIC", patternType: "LITERAL", resourceName, operation, why });
  };
  const group = (principal: string, prefix: string, why: string) => acls.push({ principal, resourceType: "GROUP", patternType: "PREFIXED", resourceName: prefix, operation: "READ", why });
  const txn = (principal: string, prefix: string, why: string) => acls.push({ principal, resourceType: "TRANSACTIONAL_ID", patternType: "PREFIXED", resourceName: prefix, operation: "WRITE", why });

  const decisions = byRole("decisions");
  const access = byRole("briefing-access");
  const refusals = byRole("refusals");
  const deadLetter = byRole("dead-letter");
  const briefings = byRole("briefings");
  const heads = byRole("heads");
  const submissions = byRole("submissions");
  const receipts = byRole("receipts");
  const links = byRole("links");
  const linkageIndex = byRole("linkage-index");
  const exchangeRecords = byRole("exchange-records");
  const deliveries = subscribers.map((s) => s.delivery_topic);
  const partnerTopics = subscribers.filter((s) => s.tier === "partner_agency").map((s) => s.delivery_topic);
  // Foreign partners never get a principal: the exchange alone writes their topics and
  // reads them back to serve them over HTTPS (STIX/TAXII).
  const foreignTopics = subscribers.filter((s) => s.tier === "foreign_partner").map((s) => s.delivery_topic);
  // Oversight-tier topics (none registered today) are written by the exchange and read by no service.
  const communityTopics = subscribers.filter((s) => s.tier === "community_leader" || s.tier === "public").map((s) => s.delivery_topic);
  const intelNames = intel.map((t) => t.name);

  // Each agency's adapter: publishes to its own agency's topic only — each event
  // with its claim on its own claims topic, in one transaction per claims
  // partition (transactional ids under its own prefix), reading the claims back
  // as its idempotency index; it never reads the intelligence topic. It reports
  // the refusals at its doors to the refusals topic (write only: it never reads
  // another service's refusals). Kafka 3: IDEMPOTENT_WRITE is implied by WRITE (KIP-679).
  for (const agency of [...new Set(intel.map((t) => t.agency!))].sort()) {
    const p = adapterPrincipal(agency);
    const own = intel.filter((t) => t.agency === agency).map((t) => t.name);
    const ownClaims = claims.filter((t) => t.agency === agency).map((t) => t.name);
    topic(p, "WRITE", own, `publish ${agency} intelligence (transactional, with its claims)`);
    topic(p, "WRITE", ownClaims, "claim each event id in the event's transaction");
    topic(p, "READ", ownClaims, "its idempotency index: every instance's committed claims");
    topic(p, "WRITE", refusals, "report refusals at its doors (idempotent producer)");
    group(p, GROUP_PREFIX.adapter(agency), "its claims-tail consumer groups");
    txn(p, TRANSACTIONAL_ID_PREFIX.adapter(agency), "one transactional writer per claims partition, shared by its instances (fencing)");
  }

  // The exchange: reads every agency's events, decides them, and writes the
  // permitted views, the decision records and dead letters in transactions; it
  // reads partners' delivery topics to serve them over Subscribe (mutual TLS,
  // audited) and writes those accesses to the decisions topic, and foreign
  // partners' to serve them over HTTPS (STIX/TAXII).
  topic("exchange", "READ", intelNames, "consume agency events for decision");
  topic("exchange", "READ", submissions, "consume community leaders' submissions for decision");
  topic("exchange", "READ", links, "consume the linkage service's link alerts for decision");
  topic("exchange", "WRITE", receipts, "tell the briefing whom each submission was shared with (in the decision's transaction)");
  topic("exchange", "WRITE", deliveries, "deliver permitted views");
  topic("exchange", "WRITE", decisions, "decision and Subscribe access records");
  topic("exchange", "WRITE", deadLetter, "undecodable or mis-attributed records");
  topic("exchange", "READ", partnerTopics, "stream partners' views over gRPC Subscribe");
  topic("exchange", "READ", foreignTopics, "serve foreign partners' views over HTTPS (STIX/TAXII)");
  topic("exchange", "WRITE", exchangeRecords, "remember who received each record, in the deliveries' transaction");
  topic("exchange", "READ", exchangeRecords, "who received each record, before a correction or a withdrawal is decided");
  group("exchange", GROUP_PREFIX.exchange, "the exchange's consumer group (offsets committed in its transactions)");
  group("exchange", GROUP_PREFIX.subscribe, "one throwaway group per Subscribe stream");
  txn("exchange", TRANSACTIONAL_ID_PREFIX.exchange, "one transactional writer per instance (takitini-exchange.<group>.<instance>), fenced by the group's generation (KIP-447)");

  // The audit: the ledger of decisions, accesses, refusals and publishes (a hash
  // and metadata of each agency event, never its content).
  topic("audit", "READ", decisions, "decision and Subscribe access records into the ledger");
  topic("audit", "READ", access, "briefing access records into the ledger");
  topic("audit", "READ", refusals, "refusals and unauthenticated-refusal summaries into the ledger");
  topic("audit", "READ", intelNames, "publish records (metadata and hash) into the ledger");
  topic("audit", "READ", submissions, "publish records of leaders' submissions into the ledger");
  topic("audit", "READ", links, "publish records of link alerts into the ledger");
  topic("audit", "WRITE", deadLetter, "records that fail validation");
  topic("audit", "WRITE", heads, "publish every signed tree head for the oversight body's witness");
  group("audit", GROUP_PREFIX.audit, "the ledger ingest's consumer group");

  // The linkage service: reads every agency's events (read committed) and, in one
  // transaction per batch under its own transactional id, writes the link alerts
  // it raises and its index entries (keyed match tokens: HMACs, never raw
  // identifiers, but secret), committing its offsets with them. It reads its own
  // index back at start to rebuild it. Nobody else may read or write either of
  // its topics but the exchange and the audit, which read the alerts.
  topic("linkage", "READ", intelNames, "consume agency events to link (read committed)");
  topic("linkage", "WRITE", links, "publish link alerts (transactional, with their index entries)");
  topic("linkage", "WRITE", linkageIndex, "index each record's match tokens in the alerts' transaction");
  topic("linkage", "READ", linkageIndex, "rebuild its index at start");
  group("linkage", GROUP_PREFIX.linkage, "its consumer group (one active member; offsets committed in its transactions) and index-rebuild readers");
  txn("linkage", TRANSACTIONAL_ID_PREFIX.linkage, "the active instance's transactional writer (whoever becomes active fences the previous one)");

  // The oversight body: its witness follows the signed tree heads, nothing more.
  topic(OVERSIGHT_PRINCIPAL, "READ", heads, "witness the audit ledger's signed tree heads");
  group(OVERSIGHT_PRINCIPAL, GROUP_PREFIX.oversight, "the witness's consumer groups");

  // The briefing: community topics only (aggregate views and de-identified
  // notices), its own access records, the summaries of unauthenticated requests
  // it refused, and the weekly digests (which it reads back to know which it has
  // published); the door of leaders' submissions (it writes them, never reads
  // another agency's events) and the exchange's receipts for them.
  topic("briefing", "READ", communityTopics, "rebuild community aggregates");
  topic("briefing", "WRITE", access, "record every briefing viewed or refused");
  topic("briefing", "WRITE", refusals, "unauthenticated requests, counted per window");
  topic("briefing", "WRITE", briefings, "publish weekly digests");
  topic("briefing", "READ", briefings, "know which digests are already out");
  topic("briefing", "WRITE", submissions, "publish signed-in leaders' submissions (no adapter: the briefing is their door)");
  topic("briefing", "READ", receipts, "each submission's status for its leader: whom it was shared with");
  group("briefing", GROUP_PREFIX.briefing, "its feed and digest-index consumer groups");
  txn("briefing", TRANSACTIONAL_ID_PREFIX.briefing, "digest and its access record in one transaction");

  // Each partner agency: its own delivery topic, read with groups of its own.
  // Community tiers never read Kafka: they get briefings; nor do foreign partners:
  // the exchange serves them.
  for (const s of subscribers.filter((x) => x.tier === "partner_agency").sort((a, b) => a.id.localeCompare(b.id))) {
    const p = partnerPrincipal(s.id);
    topic(p, "READ", [s.delivery_topic], `${s.id}'s permitted views`);
    group(p, GROUP_PREFIX.partner(s.id), `${s.id}'s own consumer groups`);
  }
  return acls;
}

/** An ACL binding's identity (what Kafka compares). Pure. */
export const aclKey = (a: Pick<AclEntry, "principal" | "resourceType" | "patternType" | "resourceName" | "operation">): string =>
  `User:${a.principal}|${a.resourceType}|${a.patternType}|${a.resourceName}|${a.operation}`;

/**
 * The `kafka-acls.sh` commands that create the same bindings on an existing
 * cluster (for operators who apply ACLs with Kafka's own tool). Pure.
 */
export function aclCommands(acls: readonly AclEntry[], bootstrap = "<bootstrap>", commandConfig = "<operator.properties>"): string[] {
  const flag: Record<AclResourceType, string> = { TOPIC: "--topic", GROUP: "--group", TRANSACTIONAL_ID: "--transactional-id" };
  return acls.map(
    (a) =>
      `kafka-acls.sh --bootstrap-server ${bootstrap} --command-config ${commandConfig} --add --allow-principal User:${a.principal} --operation ${a.operation === "READ" ? "Read" : "Write"} ${flag[a.resourceType]} ${a.resourceName}${a.patternType === "PREFIXED" ? " --resource-pattern-type prefixed" : ""}`,
  );
}

/** Who may read and write which topic, for the README's diagram and `acls --print`. Pure. */
export function topicAccessTable(acls: readonly AclEntry[]): { topic: string; readers: string[]; writers: string[] }[] {
  const rows = new Map<string, { readers: Set<string>; writers: Set<string> }>();
  for (const a of acls) {
    if (a.resourceType !== "TOPIC") continue;
    const row = rows.get(a.resourceName) ?? { readers: new Set(), writers: new Set() };
    (a.operation === "READ" ? row.readers : row.writers).add(a.principal);
    rows.set(a.resourceName, row);
  }
  return [...rows.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([topic, r]) => ({ topic, readers: [...r.readers].sort(), writers: [...r.writers].sort() }));
}
