import { describe, expect, it } from "vitest";
import { decodeDescribeQuorumV0, decodeFindCoordinatorV1, decodeResponseHeader, encodeDescribeQuorumV0, encodeFindCoordinatorV1, encodeRequest, parseAddress, Reader } from "./wire.js";

const hex = (b: Buffer) => b.toString("hex");

describe("encodeRequest", () => {
  it("frames a v1 header: size, api key, version, correlation id, client id", () => {
    const frame = encodeRequest({ apiKey: 10, apiVersion: 1, correlationId: 7, clientId: "ab", flexible: false }, Buffer.from([0xff]));
    expect(hex(frame)).toBe("0000000d" + "000a" + "0001" + "00000007" + "0002" + "6162" + "ff");
  });

  it("adds empty tagged fields for a flexible (v2) header", () => {
    const frame = encodeRequest({ apiKey: 55, apiVersion: 0, correlationId: 1, clientId: "", flexible: true }, Buffer.alloc(0));
    expect(hex(frame)).toBe("0000000b" + "0037" + "0000" + "00000001" + "0000" + "00");
  });
});

describe("FindCoordinator v1", () => {
  it("encodes the key and its type (1 = transaction, 0 = group)", () => {
    expect(hex(encodeFindCoordinatorV1("tx", "transaction"))).toBe("0002" + "7478" + "01");
    expect(hex(encodeFindCoordinatorV1("g", "group"))).toBe("0001" + "67" + "00");
  });

  it("decodes the coordinator's node, host and port", () => {
    const body = Buffer.from("00000000" + "0000" + "ffff" + "00000002" + "0009" + Buffer.from("127.0.0.1").toString("hex") + "00002384", "hex");
    expect(decodeFindCoordinatorV1(new Reader(body))).toEqual({ errorCode: 0, errorMessage: null, nodeId: 2, host: "127.0.0.1", port: 9092 });
  });

  it("decodes an error with its message", () => {
    const body = Buffer.from("00000000" + "000f" + "0002" + "6e6f" + "ffffffff" + "0000" + "ffffffff", "hex");
    const r = decodeFindCoordinatorV1(new Reader(body));
    expect(r.errorCode).toBe(15);
    expect(r.errorMessage).toBe("no");
    expect(r.nodeId).toBe(-1);
  });

  it("refuses a truncated answer", () => {
    expect(() => decodeFindCoordinatorV1(new Reader(Buffer.from("0000000000", "hex")))).toThrow(/truncated/);
  });
});

describe("DescribeQuorum v0", () => {
  const topic = Buffer.from("__cluster_metadata").toString("hex"); // 18 bytes: compact length 19 = 0x13

  it("asks about __cluster_metadata partition 0", () => {
    expect(hex(encodeDescribeQuorumV0())).toBe("02" + "13" + topic + "02" + "00000000" + "00" + "00" + "00");
  });

  it("decodes the leader, epoch and voters", () => {
    const voter = (id: number, leo: number) => id.toString(16).padStart(8, "0") + leo.toString(16).padStart(16, "0") + "00";
    const body = Buffer.from(
      "0000" + // error_code
        "02" + "13" + topic + // one topic
        "02" + "00000000" + "0000" + "00000003" + "00000007" + "0000000000000064" + // partition 0: leader 3, epoch 7, hw 100
        "04" + voter(1, 100) + voter(2, 99) + voter(3, 100) + // three voters
        "01" + // no observers
        "00" + // partition tags
        "00" + // topic tags
        "00", // top-level tags
      "hex",
    );
    const r = decodeDescribeQuorumV0(new Reader(body));
    expect(r.errorCode).toBe(0);
    expect(r.topics[0]!.topicName).toBe("__cluster_metadata");
    const p = r.topics[0]!.partitions[0]!;
    expect(p.leaderId).toBe(3);
    expect(p.leaderEpoch).toBe(7);
    expect(p.highWatermark).toBe(100n);
    expect(p.currentVoters.map((v) => v.replicaId)).toEqual([1, 2, 3]);
    expect(p.observers).toEqual([]);
  });

  it("skips tagged fields it does not know", () => {
    // A response header v1 with one tagged field (tag 0, 2 bytes) before the body.
    const { correlationId, body } = decodeResponseHeader(Buffer.from("0000002a" + "01" + "00" + "02" + "abcd" + "0005", "hex"), true);
    expect(correlationId).toBe(42);
    expect(body.int16()).toBe(5);
  });
});

describe("parseAddress", () => {
  it("splits host and port", () => {
    expect(parseAddress("127.0.0.1:9092")).toEqual({ host: "127.0.0.1", port: 9092 });
    expect(parseAddress("[::1]:9093")).toEqual({ host: "::1", port: 9093 });
  });
  it("rejects what is not an address", () => {
    for (const bad of ["localhost", ":9092", "h:0", "h:x"]) expect(() => parseAddress(bad), bad).toThrow(/host:port/);
  });
});
