import { describe, expect, it } from "vitest";
import { parseAuditRolesOutput, parseStartOutput, postgresSettings, redactUrl, startArgs } from "./launcher.js";

describe("the PostgreSQL launcher's arguments", () => {
  it("turns off durability only for throwaway clusters", () => {
    expect(postgresSettings()).toMatchObject({ fsync: false, synchronous_commit: false, full_page_writes: false, max_connections: 40 });
    const durable = postgresSettings({ durable: true, maxConnections: 10 });
    expect(durable).not.toHaveProperty("fsync");
    expect(durable.max_connections).toBe(10);
  });

  it("passes each setting as -c name=value, booleans as on/off", () => {
    expect(startArgs({ dir: "/tmp/x", port: 5555, settings: { fsync: false, max_connections: 7, shared_buffers: "64MB" } })).toEqual([
      "start",
      "--dir",
      "/tmp/x",
      "--port",
      "5555",
      "-c",
      "fsync=off",
      "-c",
      "max_connections=7",
      "-c",
      "shared_buffers=64MB",
    ]);
  });

  it("refuses bad ports and setting names", () => {
    expect(() => startArgs({ dir: "/tmp/x", port: 0, settings: {} })).toThrow(RangeError);
    expect(() => startArgs({ dir: "/tmp/x", port: 70000, settings: {} })).toThrow(RangeError);
    expect(() => startArgs({ dir: "/tmp/x", port: 5432, settings: { "fsync = off; x": 1 } })).toThrow(/invalid setting name/);
  });

  it("reads what postgres.sh start prints", () => {
    const out = "noise\nurl=postgres://takitini:pw@127.0.0.1:5555/postgres\nport=5555\ndir=/tmp/takitini-pg-1\npid=4242\nlog=/tmp/takitini-pg-1/postgres.log\n";
    expect(parseStartOutput(out)).toEqual({ url: "postgres://takitini:pw@127.0.0.1:5555/postgres", port: 5555, dir: "/tmp/takitini-pg-1", pid: 4242, log: "/tmp/takitini-pg-1/postgres.log" });
    expect(() => parseStartOutput("port=1\n")).toThrow(/no url=/);
    expect(() => parseStartOutput("url=x\nport=abc\ndir=/d\npid=1\nlog=l\n")).toThrow(/port=abc/);
  });

  it("hides the password in logged URLs", () => {
    expect(redactUrl("postgres://takitini:secret@127.0.0.1:5555/postgres")).toBe("postgres://takitini:***@127.0.0.1:5555/postgres");
    expect(redactUrl("not a url")).toBe("(unparseable URL)");
  });
});

describe("postgres.sh audit-roles output", () => {
  it("gives the service's and the owner's URLs, and refuses output without them", () => {
    expect(parseAuditRolesOutput("audit_url=postgres://takitini_audit:a@h:1/db\naudit_owner_url=postgres://takitini_audit_owner:b@h:1/db\n")).toEqual({
      serviceUrl: "postgres://takitini_audit:a@h:1/db",
      ownerUrl: "postgres://takitini_audit_owner:b@h:1/db",
    });
    expect(() => parseAuditRolesOutput("audit_url=postgres://x\n")).toThrow(/audit_owner_url/);
  });
});
