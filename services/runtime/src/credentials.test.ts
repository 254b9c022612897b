import { describe, expect, it } from "vitest";
import { bearer, cookie, sessionCookie, Sessions, tokenHash } from "./credentials.js";

describe("credentials", () => {
  it("read bearer headers and cookies strictly", () => {
    expect(bearer("Bearer abc.DEF-123")).toBe("abc.DEF-123");
    expect(bearer("Basic abc")).toBeUndefined();
    expect(bearer("Bearer a b")).toBeUndefined();
    expect(bearer(undefined)).toBeUndefined();
    expect(cookie("a=1; takitini_x=xyz; b=2", "takitini_x")).toBe("xyz");
    expect(cookie("takitini_xy=1", "takitini_x")).toBeUndefined();
    expect(cookie(undefined, "takitini_x")).toBeUndefined();
  });

  it("hash tokens, never keep them", () => {
    expect(tokenHash("s3cret")).toMatch(/^[0-9a-f]{64}$/);
    expect(tokenHash("s3cret")).not.toBe(tokenHash("s3creT"));
  });

  it("open sessions under random ids that expire and can be closed", () => {
    let now = 1_000;
    const sessions = new Sessions<string>(500, () => now);
    const id = sessions.open("Officer Aroha");
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(sessions.open("Officer Aroha")).not.toBe(id);
    expect(sessions.get(id)).toBe("Officer Aroha");
    now = 1_499;
    expect(sessions.get(id)).toBe("Officer Aroha");
    now = 1_500;
    expect(sessions.get(id)).toBeUndefined();
    const other = sessions.open("x");
    sessions.close(other);
    expect(sessions.get(other)).toBeUndefined();
    expect(sessions.get("forged")).toBeUndefined();
  });

  it("write session cookies the browser keeps to this site and out of scripts", () => {
    expect(sessionCookie("s", "v", 60)).toBe("s=v; HttpOnly; SameSite=Strict; Path=/; Max-Age=60");
    expect(sessionCookie("s", "", 0, true)).toBe("s=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0; Secure");
  });

  it("end a session after its idle timeout, pushed on by each use, and at its lifetime however busy", () => {
    let now = 0;
    const sessions = new Sessions<string>({ ttlMs: 10_000, idleMs: 3_000, now: () => now });
    expect(sessions.ttlMs).toBe(10_000);
    expect(sessions.idleMs).toBe(3_000);
    const id = sessions.open("Aroha");
    for (now = 2_999; now < 10_000; now += 2_999) expect(sessions.get(id)).toBe("Aroha");
    now = 10_000;
    expect(sessions.get(id)).toBeUndefined();
    const idle = sessions.open("Hemi");
    now += 3_000;
    expect(sessions.get(idle)).toBeUndefined();
  });

  it("sweep ended sessions, end someone's sessions at once, and hold no more than a bound", () => {
    let now = 0;
    const sessions = new Sessions<{ name: string }>({ ttlMs: 10_000, idleMs: 1_000, max: 3, now: () => now });
    const a = sessions.open({ name: "Aroha" });
    sessions.open({ name: "Hemi" });
    sessions.open({ name: "Aroha" });
    expect(sessions.closeWhere((w) => w.name === "Aroha")).toBe(2);
    expect(sessions.get(a)).toBeUndefined();
    expect(sessions.size).toBe(1);
    const b = sessions.open({ name: "Mere" });
    const c = sessions.open({ name: "Tama" });
    // A fourth ends the oldest.
    const d = sessions.open({ name: "Wiremu" });
    expect(sessions.size).toBe(3);
    expect([b, c, d].map((x) => sessions.get(x)?.name)).toEqual(["Mere", "Tama", "Wiremu"]);
    now = 500;
    sessions.get(d);
    now = 1_000;
    expect(sessions.sweep()).toBe(2);
    expect(sessions.size).toBe(1);
    expect(sessions.get(d)?.name).toBe("Wiremu");
    expect(() => new Sessions({ ttlMs: 0 })).toThrow(RangeError);
  });

  it("sweep on a timer that does not keep the process alive", async () => {
    let now = 0;
    const sessions = new Sessions<string>({ ttlMs: 100, now: () => now });
    sessions.open("x");
    const stop = sessions.sweepEvery(5);
    now = 100;
    await new Promise((r) => setTimeout(r, 30));
    expect(sessions.size).toBe(0);
    stop();
  });
});
