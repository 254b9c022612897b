import { describe, expect, it } from "vitest";
import { clusterHealthProblems, leaderOf, quorumLeader, type PartitionHealth } from "./faults.js";

const part = (partition: number, leader: number, isr: number[], replicas = [1, 2, 3]): PartitionHealth => ({ topic: "t", partition, leader, replicas, isr, offlineReplicas: [], errorCode: 0 });

describe("clusterHealthProblems", () => {
  it("is healthy with every broker registered and every partition led with its full ISR", () => {
    expect(clusterHealthProblems([1, 2, 3], [part(0, 1, [1, 2, 3]), part(1, 2, [2, 3, 1])], 3)).toEqual([]);
  });

  it("names a missing broker", () => {
    expect(clusterHealthProblems([1, 3], [], 3)).toEqual(["2 of 3 brokers registered (1, 3)"]);
  });

  it("names a partition without a leader, or led by a broker that is not registered", () => {
    expect(clusterHealthProblems([1, 2, 3], [part(0, -1, [2, 3])], 3)).toEqual(["t[0]: no leader"]);
    expect(clusterHealthProblems([1, 2], [part(0, 3, [3])], 2)).toEqual(["t[0]: no leader"]);
  });

  it("names a partition whose in-sync set is short of its replicas, or with an offline replica", () => {
    expect(clusterHealthProblems([1, 2, 3], [part(4, 1, [1, 2])], 3)).toEqual(["t[4]: in sync 1,2 of replicas 1,2,3"]);
    expect(clusterHealthProblems([1, 2, 3], [{ ...part(0, 1, [1, 2, 3]), offlineReplicas: [3] }], 3)).toHaveLength(1);
  });

  it("names a partition's error", () => {
    expect(clusterHealthProblems([1, 2, 3], [{ ...part(0, 1, [1, 2, 3]), errorCode: 5 }], 3)).toEqual(["t[0]: LEADER_NOT_AVAILABLE"]);
  });
});

describe("leaderOf", () => {
  const topics = [{ name: "t", partitions: [{ partitionId: 0, leader: 2 }, { partitionId: 1, leader: -1 }] }];
  it("finds the partition's leader", () => expect(leaderOf(topics, "t", 0)).toBe(2));
  it("is undefined without a leader, topic or partition", () => {
    expect(leaderOf(topics, "t", 1)).toBeUndefined();
    expect(leaderOf(topics, "u", 0)).toBeUndefined();
    expect(leaderOf(topics, "t", 9)).toBeUndefined();
  });
});

describe("quorumLeader", () => {
  const answer = (leaderId: number, errorCode = 0, partitionError = 0) => ({
    errorCode,
    topics: [{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 0, errorCode: partitionError, leaderId, leaderEpoch: 3, highWatermark: 10n, currentVoters: [], observers: [] }] }],
  });
  it("is the metadata partition's leader", () => expect(quorumLeader(answer(2))).toBe(2));
  it("throws during an election (no leader) or on an error", () => {
    expect(() => quorumLeader(answer(-1))).toThrow(/no leader/);
    expect(() => quorumLeader(answer(1, 31))).toThrow(/CLUSTER_AUTHORIZATION_FAILED/);
    expect(() => quorumLeader(answer(1, 0, 41))).toThrow(/NOT_CONTROLLER/);
    expect(() => quorumLeader({ errorCode: 0, topics: [] })).toThrow(/no answer/);
  });
});
