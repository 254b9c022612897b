import { describe, expect, it } from "vitest";
import { accountKey, addressKey, FailureTable, SignInThrottle } from "./throttle.js";

describe("the sign-in throttle", () => {
  it("lets a few failures through, then backs off exponentially up to a ceiling", () => {
    let now = 0;
    const t = new FailureTable({ freeFailures: 3, baseDelayMs: 1000, maxDelayMs: 8000, now: () => now });
    expect(t.fail("k")).toBe(0);
    expect(t.fail("k")).toBe(0);
    expect(t.blockedFor("k")).toBe(0);
    expect(t.fail("k")).toBe(1000);
    expect(t.blockedFor("k")).toBe(1000);
    now = 600;
    expect(t.blockedFor("k")).toBe(400);
    now = 1000;
    expect(t.blockedFor("k")).toBe(0);
    expect(t.fail("k")).toBe(2000);
    now = 3000;
    expect(t.fail("k")).toBe(4000);
    now = 7000;
    expect(t.fail("k")).toBe(8000);
    now = 15_000;
    expect(t.fail("k")).toBe(8000); // the ceiling
    expect(t.failures("k")).toBe(7);
    expect(t.blockedFor("other")).toBe(0);
    t.clear("k");
    expect(t.blockedFor("k")).toBe(0);
  });

  it("forgets a key some time after its last failure, and sweeps forgotten keys", () => {
    let now = 0;
    const t = new FailureTable({ freeFailures: 1, baseDelayMs: 1000, maxDelayMs: 4000, forgetAfterMs: 60_000, now: () => now });
    t.fail("a");
    t.fail("a");
    t.fail("b");
    expect(t.size).toBe(2);
    now = 59_999;
    expect(t.sweep()).toBe(0);
    expect(t.failures("a")).toBe(2);
    now = 60_000;
    expect(t.sweep()).toBe(2);
    expect(t.size).toBe(0);
    // Forgotten: counting starts again.
    expect(t.fail("a")).toBe(1000);
  });

  it("holds a bounded number of keys whatever is thrown at it, dropping the oldest", () => {
    let now = 0;
    const t = new FailureTable({ freeFailures: 0, maxEntries: 100, now: () => now });
    for (let i = 0; i < 10_000; i++) {
      now = i;
      t.fail(`203.0.113.${i}`);
    }
    expect(t.size).toBe(100);
    expect(t.failures("203.0.113.9999")).toBe(1);
    expect(t.failures("203.0.113.0")).toBe(0);
  });

  it("counts per account name and per client address; a success clears the account's count only", () => {
    let now = 0;
    const t = new SignInThrottle({ freeFailures: 2, baseDelayMs: 1000, now: () => now });
    t.failure({ account: "Aroha", address: "10.0.0.1" });
    t.failure({ account: "aroha", address: "10.0.0.2" });
    // The account has had two (names compare without case); each address one.
    expect(t.blockedFor({ account: "AROHA", address: "10.0.0.3" })).toBe(1000);
    expect(t.blockedFor({ address: "10.0.0.1" })).toBe(0);
    t.failure({ address: "10.0.0.1" });
    expect(t.blockedFor({ address: "10.0.0.1" })).toBe(1000);
    now = 1000;
    t.success({ account: "Aroha", address: "10.0.0.1" });
    expect(t.blockedFor({ account: "Aroha", address: "10.0.0.9" })).toBe(0);
    // The address keeps its count: one good credential buys no extra guesses.
    expect(t.addresses.failures(addressKey("10.0.0.1"))).toBe(2);
  });

  it("keys addresses by IPv4, IPv4-mapped IPv6 as IPv4, IPv6 by its /64", () => {
    expect(addressKey("192.0.2.7")).toBe("192.0.2.7");
    expect(addressKey("::ffff:192.0.2.7")).toBe("192.0.2.7");
    expect(addressKey("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:db8:1:2::99")).toBe("2001:db8:1:2::/64");
    expect(addressKey("2001:DB8:1:2::1")).toBe(addressKey("2001:db8:1:2:ffff::1"));
    expect(addressKey("::1")).toBe("0:0:0:0::/64");
    expect(addressKey("fe80::1%eth0")).toBe("fe80:0:0:0::/64");
    expect(addressKey("not-an-ip")).toBe("not-an-ip");
    expect(accountKey("Ōpōtiki")).toBe(accountKey("O\u0304po\u0304tiki".toUpperCase()));
  });
});
