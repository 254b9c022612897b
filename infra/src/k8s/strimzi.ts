import { SUPER_USERS, type AclEntry } from "../kafka/acls.js";
import { PRINCIPAL_MAPPING_RULE } from "../kafka/properties.js";
import { topicConfigEntries, type TopicDeclaration } from "../kafka/topics.js";

/**
 * The mesh's Kafka resources for the Strimzi operator, derived — never
 * hand-written — from the same sources as the local launcher's: the topic
 * declarations (infra/kafka/topics.json, replication for the `cluster`
 * environment) and the ACLs of `meshAcls` (topics' roles and the subscriber
 * registry). The chart (infra/helm/takitini) renders one KafkaTopic per topic
 * and one KafkaUser per principal from the generated data file (generate.ts).
 */

/** Strimzi's ACL rule (KafkaUser `spec.authorization.acls[]`). */
export interface StrimziAclRule {
  resource: { type: "topic" | "group" | "transactionalId"; name: string; patternType: "literal" | "prefix" };
  operations: ("Read" | "Write")[];
  host: "*";
}

/** A KafkaTopic's name and spec. */
export interface StrimziTopic {
  name: string;
  spec: { topicName: string; partitions: number; replicas: number; config: Record<string, string | number> };
}

/** A KafkaUser's name and spec: its certificate comes from the mesh's PKI (`tls-external`), its ACLs from meshAcls. */
export interface StrimziUser {
  name: string;
  spec: { authentication: { type: "tls-external" }; authorization: { type: "simple"; acls: StrimziAclRule[] } };
}

/** What the Kafka CR needs from the generators: who is a super user and how a certificate becomes a principal. */
export interface StrimziClusterSecurity {
  /** Kafka.spec.kafka.authorization.superUsers (`CN=<principal>`). */
  superUsers: string[];
  /**
   * The mesh listener's `ssl.principal.mapping.rules`: the local broker's rule
   * (only `O=Takitini, OU=kafka, CN=<name>` is anyone), mapped to `CN=<name>` —
   * the user name Strimzi's User Operator writes its ACLs for.
   */
  principalMappingRule: string;
}

/** The brokers' own principal: Strimzi's brokers authenticate with certificates of its cluster CA, never the mesh's. */
export const BROKER_PRINCIPAL = "broker";

/** Strimzi's user name of a TLS principal (its ACLs and super users are written for it). Pure. */
export const strimziUserName = (principal: string) => `CN=${principal}`;

/** Config values as Strimzi takes them: numbers stay numbers (retention.ms -1 is "forever"). */
function configValue(v: string): string | number {
  return /^-?\d+$/.test(v) ? Number(v) : v;
}

/** One KafkaTopic per declared topic, replication and min ISR as declared for a cluster. Pure. */
export function strimziTopics(topics: readonly TopicDeclaration[]): StrimziTopic[] {
  return [...topics]
    .sort((a, b) => a.name.localeCompare(b.name))
    .map((t) => ({
      name: t.name,
      spec: {
        topicName: t.name,
        partitions: t.partitions,
        replicas: t.replication_factor,
        config: Object.fromEntries(topicConfigEntries(t).map((e) => [e.name, configValue(e.value)])),
      },
    }));
}

/** One Strimzi rule per binding. Pure. */
export function strimziAclRule(a: AclEntry): StrimziAclRule {
  const type = ({ TOPIC: "topic", GROUP: "group", TRANSACTIONAL_ID: "transactionalId" } as const)[a.resourceType];
  return {
    resource: { type, name: a.resourceName, patternType: a.patternType === "PREFIXED" ? "prefix" : "literal" },
    operations: [a.operation === "READ" ? "Read" : "Write"],
    host: "*",
  };
}

/**
 * One KafkaUser per principal of `principals` (meshPrincipals) except the
 * brokers', each with exactly its bindings of `acls`; the operator (a super
 * user) has none. Throws if a binding names a principal not in the list. Pure.
 */
export function strimziUsers(acls: readonly AclEntry[], principals: readonly string[]): StrimziUser[] {
  const known = new Set(principals);
  const stray = [...new Set(acls.map((a) => a.principal).filter((p) => !known.has(p)))];
  if (stray.length > 0) throw new Error(`ACLs name principals that are not the mesh's: ${stray.join(", ")}`);
  return principals
    .filter((p) => p !== BROKER_PRINCIPAL)
    .map((name) => ({
      name,
      spec: {
        authentication: { type: "tls-external" as const },
        authorization: { type: "simple" as const, acls: acls.filter((a) => a.principal === name).map(strimziAclRule) },
      },
    }));
}

/** The super users and principal mapping of the Kafka CR. Pure. */
export function strimziClusterSecurity(): StrimziClusterSecurity {
  const rule = /^RULE:(.*)\/\$1\/$/.exec(PRINCIPAL_MAPPING_RULE);
  if (rule === null) throw new Error(`unexpected principal mapping rule ${PRINCIPAL_MAPPING_RULE}`);
  return {
    superUsers: SUPER_USERS.filter((p) => p !== BROKER_PRINCIPAL).map(strimziUserName),
    principalMappingRule: `RULE:${rule[1]}/${strimziUserName("$1")}/`,
  };
}
