import { AssignerProtocol } from "kafkajs";
import { describe, expect, it } from "vitest";
import { allToOneAssigner, chooseActive, startedAtOf } from "./assigner.js";

describe("one active linker, the others standing by", () => {
  it("chooses the longest-running member, then the lowest id", () => {
    expect(chooseActive([{ memberId: "b", startedAt: 5 }, { memberId: "a", startedAt: 9 }])).toBe("b");
    expect(chooseActive([{ memberId: "b", startedAt: 5 }, { memberId: "a", startedAt: 5 }])).toBe("a");
    expect(chooseActive([{ memberId: "x", startedAt: Number.POSITIVE_INFINITY }, { memberId: "y", startedAt: 1 }])).toBe("y");
    expect(chooseActive([])).toBeUndefined();
  });

  it("reads a member's start from its user data; anything else sorts last", () => {
    expect(startedAtOf(Buffer.from("1733450000000"))).toBe(1733450000000);
    for (const bad of [undefined, null, Buffer.alloc(0), Buffer.from("soon")]) expect(startedAtOf(bad)).toBe(Number.POSITIVE_INFINITY);
  });

  it("gives every partition of every topic to that member and an empty assignment to each other", async () => {
    const partitions: Record<string, number[]> = { "takitini.intel.police.v1": [2, 0, 1], "takitini.intel.msd.v1": [0] };
    const cluster = { findTopicPartitionMetadata: (t: string) => partitions[t]!.map((partitionId) => ({ partitionId })) };
    const member = (startedAt: number) => allToOneAssigner(startedAt)({ cluster } as never).protocol({ topics: Object.keys(partitions) }).metadata;
    const assigner = allToOneAssigner(0)({ cluster } as never);
    const out = await assigner.assign({
      members: [
        { memberId: "m-new", memberMetadata: member(2000) },
        { memberId: "m-old", memberMetadata: member(1000) },
        { memberId: "m-newer", memberMetadata: member(3000) },
      ],
      topics: Object.keys(partitions),
    } as never);
    const decoded = Object.fromEntries(out.map((o) => [o.memberId, AssignerProtocol.MemberAssignment.decode(o.memberAssignment)?.assignment]));
    expect(decoded).toEqual({ "m-old": { "takitini.intel.police.v1": [0, 1, 2], "takitini.intel.msd.v1": [0] }, "m-new": {}, "m-newer": {} });
  });
});
