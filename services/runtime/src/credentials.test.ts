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
});
