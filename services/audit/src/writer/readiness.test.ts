import { describe, expect, it } from "vitest";
import { writerLockKeys, LOCK_NAMESPACE } from "./lock.js";
import { writerReady } from "./readiness.js";

describe("writerReady", () => {
  it("an active writer is ready only while ingesting", () => {
    expect(writerReady({ role: "active", ingesting: true, lockAnswering: true })).toEqual({ ready: true, reason: "active writer, ingesting" });
    expect(writerReady({ role: "active", ingesting: false, lockAnswering: true }).ready).toBe(false);
  });
  it("a standby is ready while its lock session answers, whatever the ingest says", () => {
    expect(writerReady({ role: "standby", ingesting: false, lockAnswering: true }).ready).toBe(true);
    expect(writerReady({ role: "standby", ingesting: true, lockAnswering: false }).ready).toBe(false);
  });
  it("starting and stopped are not ready", () => {
    expect(writerReady({ role: "starting", ingesting: true, lockAnswering: true }).ready).toBe(false);
    expect(writerReady({ role: "stopped", ingesting: true, lockAnswering: true }).ready).toBe(false);
  });
});

describe("writerLockKeys", () => {
  it("is the namespace and a non-negative int4 derived from the schema, stable across calls", () => {
    const [ns, k] = writerLockKeys("public");
    expect(ns).toBe(LOCK_NAMESPACE);
    expect(Number.isInteger(k) && k >= 0 && k <= 0x7fffffff).toBe(true);
    expect(writerLockKeys("public")).toEqual([ns, k]);
  });
  it("differs between schemas", () => {
    expect(writerLockKeys("public")[1]).not.toBe(writerLockKeys("ledger_a")[1]);
  });
});
