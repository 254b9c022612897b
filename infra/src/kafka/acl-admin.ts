import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_DATA_DIR, parseRegistry, SUBSCRIBERS_FILE } from "@takitini/policies";
import kafkajs, { type AclEntry as KafkajsAcl } from "kafkajs";
import { aclKey, meshAcls, meshPrincipals, type AclEntry, type AclOperation, type AclPatternType, type AclResourceType, type AclSubscriber } from "./acls.js";
import { infraKafka, type KafkaAccess } from "./client.js";
import { loadTopicDeclarations, type TopicDeclaration } from "./topics.js";

// kafkajs is CommonJS and Node's ESM loader cannot see these enums as named exports.
const { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } = kafkajs;
type AclResourceTypes = (typeof AclResourceTypes)[keyof typeof AclResourceTypes];
type ResourcePatternTypes = (typeof ResourcePatternTypes)[keyof typeof ResourcePatternTypes];
type AclOperationTypes = (typeof AclOperationTypes)[keyof typeof AclOperationTypes];

/** The subscriber registry's id, tier and delivery topic of each subscriber (policies/data/subscribers.json or `dataDir`). */
export function loadAclSubscribers(dataDir: string = DEFAULT_DATA_DIR): AclSubscriber[] {
  const registry = parseRegistry(readFileSync(join(dataDir, SUBSCRIBERS_FILE), "utf8"), join(dataDir, SUBSCRIBERS_FILE));
  return Object.entries(registry).map(([id, s]) => ({ id, tier: s.tier, delivery_topic: s.delivery_topic }));
}

/** The mesh's ACLs and principals from the shipped declarations and registry. */
export function loadMeshAcls(topics: TopicDeclaration[] = loadTopicDeclarations(), dataDir?: string): { acls: AclEntry[]; principals: string[] } {
  const subscribers = loadAclSubscribers(dataDir);
  return { acls: meshAcls(topics, subscribers), principals: meshPrincipals(topics, subscribers) };
}

const RESOURCE: Record<AclResourceType, AclResourceTypes> = {
  TOPIC: AclResourceTypes.TOPIC,
  GROUP: AclResourceTypes.GROUP,
  TRANSACTIONAL_ID: AclResourceTypes.TRANSACTIONAL_ID,
};
const PATTERN: Record<AclPatternType, ResourcePatternTypes> = { LITERAL: ResourcePatternTypes.LITERAL, PREFIXED: ResourcePatternTypes.PREFIXED };
const OPERATION: Record<AclOperation, AclOperationTypes> = { READ: AclOperationTypes.READ, WRITE: AclOperationTypes.WRITE };

function toKafkajs(a: AclEntry): KafkajsAcl {
  return {
    principal: `User:${a.principal}`,
    host: "*",
    resourceType: RESOURCE[a.resourceType],
    resourceName: a.resourceName,
    resourcePatternType: PATTERN[a.patternType],
    operation: OPERATION[a.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

const invert = <K extends string, V>(m: Record<K, V>) => new Map([...Object.entries(m)].map(([k, v]) => [v as V, k as K]));
const RESOURCE_NAME = invert(RESOURCE);
const PATTERN_NAME = invert(PATTERN);
const OPERATION_NAME = invert(OPERATION);

/** A binding as the broker holds it, in our terms (undefined for kinds we never create). */
interface Existing {
  key: string | undefined;
  principal: string;
  raw: KafkajsAcl;
}

export interface ApplyAclsResult {
  created: number;
  kept: number;
  /** Bindings of the mesh's principals that the generated set no longer holds, removed. */
  removed: string[];
}

/**
 * Make the cluster's ACLs for the mesh's principals exactly `acls`: create the
 * missing bindings and remove any other binding those principals hold (a
 * narrowed policy takes effect; a hand-added widening does not survive).
 * Bindings of principals outside `principals` are left alone. Runs as a super user.
 */
export async function applyAcls(cluster: KafkaAccess, acls: readonly AclEntry[], principals: readonly string[]): Promise<ApplyAclsResult> {
  const admin = infraKafka(cluster, "takitini-acls").admin();
  await admin.connect();
  try {
    const described = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY,
      resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    });
    const existing: Existing[] = described.resources.flatMap((r) =>
      r.acls.map((a) => {
        const raw: KafkajsAcl = { ...a, resourceType: r.resourceType, resourceName: r.resourceName, resourcePatternType: r.resourcePatternType };
        const principal = a.principal.startsWith("User:") ? a.principal.slice(5) : a.principal;
        const resourceType = RESOURCE_NAME.get(r.resourceType);
        const patternType = PATTERN_NAME.get(r.resourcePatternType);
        const operation = OPERATION_NAME.get(a.operation);
        const ours = a.host === "*" && a.permissionType === AclPermissionTypes.ALLOW && resourceType && patternType && operation;
        return { key: ours ? aclKey({ principal, resourceType, patternType, resourceName: r.resourceName, operation }) : undefined, principal, raw };
      }),
    );
    const want = new Map(acls.map((a) => [aclKey(a), a]));
    const have = new Set(existing.map((e) => e.key).filter((k): k is string => k !== undefined));
    const missing = [...want.entries()].filter(([k]) => !have.has(k)).map(([, a]) => a);
    const managed = new Set(principals);
    const stale = existing.filter((e) => managed.has(e.principal) && (e.key === undefined || !want.has(e.key)));
    if (missing.length > 0) await admin.createAcls({ acl: missing.map(toKafkajs) });
    if (stale.length > 0) {
      await admin.deleteAcls({
        filters: stale.map((e) => ({ ...e.raw })),
      });
    }
    return {
      created: missing.length,
      kept: want.size - missing.length,
      removed: stale.map((e) => e.key ?? `User:${e.principal}|${e.raw.resourceName}`),
    };
  } finally {
    await admin.disconnect();
  }
}
