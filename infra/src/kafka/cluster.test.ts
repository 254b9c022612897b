import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { clusterFiles, clusterLayout, readClusterManifest, readClusterState } from "./cluster.js";

const dir = mkdtempSync(join(tmpdir(), "takitini-cluster-unit-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("clusterLayout", () => {
  it("numbers nodes from 1, client and controller ports in pairs from the base port", () => {
    expect(clusterLayout(3, 9092)).toEqual([
      { id: 1, port: 9092, controllerPort: 9093 },
      { id: 2, port: 9094, controllerPort: 9095 },
      { id: 3, port: 9096, controllerPort: 9097 },
    ]);
  });
  it("rejects no nodes and ports past 65535", () => {
    expect(() => clusterLayout(0, 9092)).toThrow(RangeError);
    expect(() => clusterLayout(3, 65531)).toThrow(/no room/);
  });
});

describe("the cluster manifest", () => {
  it("puts each node in its own dir", () => {
    expect(clusterFiles("/d").nodeDir(2)).toBe("/d/node-2");
  });

  it("is absent from a dir that holds no cluster", () => {
    expect(readClusterManifest(join(dir, "none"))).toBeUndefined();
    expect(readClusterState(join(dir, "none"))).toBeUndefined();
  });

  it("reads the recorded nodes; none is running without pid files", () => {
    writeFileSync(clusterFiles(dir).manifest, JSON.stringify({ clusterId: "abc", nodes: clusterLayout(3, 20000) }));
    expect(readClusterManifest(dir)?.nodes.map((n) => n.id)).toEqual([1, 2, 3]);
    expect(readClusterState(dir)?.nodes.map((n) => [n.address, n.running])).toEqual([
      ["127.0.0.1:20000", false],
      ["127.0.0.1:20002", false],
      ["127.0.0.1:20004", false],
    ]);
  });

  it("refuses a damaged manifest naming the file", () => {
    writeFileSync(clusterFiles(dir).manifest, JSON.stringify({ clusterId: "", nodes: [] }));
    expect(() => readClusterManifest(dir)).toThrow(/cluster\.json is not a cluster manifest/);
  });
});
