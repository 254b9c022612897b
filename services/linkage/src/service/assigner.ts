import { AssignerProtocol, type PartitionAssigner } from "kafkajs";

/**
 * One active linker, the others standing by. The index is one whole: a link
 * between a record on one partition and a record on another is found only if one
 * process sees both. So the group's assignor gives every partition to ONE member
 * and none to the rest; when that member leaves (or dies and its session
 * expires), the next rebalance makes another active, which fences the old one's
 * transactional id and rebuilds the index from the index topic before consuming.
 *
 * The active member is the longest-running one (each member states when it
 * started, in its metadata), so a standby joining does not move the work; ties
 * go to the lowest member id.
 */

export const ALL_TO_ONE = "TakitiniAllToOne";

interface Candidate {
  memberId: string;
  startedAt: number;
}

/** The member that takes every partition: the earliest started, then the lowest id. Pure. */
export function chooseActive(candidates: readonly Candidate[]): string | undefined {
  return [...candidates].sort((a, b) => a.startedAt - b.startedAt || (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0))[0]?.memberId;
}

/** A member's start time from its metadata's user data ("started at" in ms); unknown → +∞ (chosen last). Pure. */
export function startedAtOf(userData: Buffer | null | undefined): number {
  if (!userData || userData.length === 0) return Number.POSITIVE_INFINITY;
  const n = Number(userData.toString("utf8"));
  return Number.isFinite(n) ? n : Number.POSITIVE_INFINITY;
}

/** The kafkajs assigner: every partition of every topic to `chooseActive`'s member, an empty assignment to each other. */
export function allToOneAssigner(startedAt: number): PartitionAssigner {
  return ({ cluster }) => ({
    name: ALL_TO_ONE,
    version: 1,
    async assign({ members, topics }) {
      const candidates = members.map((m) => ({ memberId: m.memberId, startedAt: startedAtOf(AssignerProtocol.MemberMetadata.decode(m.memberMetadata)?.userData) }));
      const active = chooseActive(candidates);
      const everything: Record<string, number[]> = {};
      for (const topic of topics) everything[topic] = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId).sort((a, b) => a - b);
      return members.map((m) => ({
        memberId: m.memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment: m.memberId === active ? everything : {}, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return { name: ALL_TO_ONE, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.from(String(startedAt), "utf8") }) };
    },
  });
}
