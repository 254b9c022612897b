import { AccessAction, IntelligenceEvent, SubmissionNote } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { leaderGateWithTokens } from "../accounts.fixture.js";
import { briefingAppForTests } from "../app.fixture.js";
import { decodeAccessMessage } from "./routes.fixture.js";
import { SubmissionQuota } from "./quota.js";
import { SubmissionIndex } from "./status.js";
import { REFERENCE } from "./submission.js";
import type { TopicMessages } from "./writer.js";

const AROHA = "eastern-leader-aroha-0123456789";
const HEMI = "eastern-leader-hemi-01234567890";
const TOPICS = { intel: "takitini.intel.community.v1", notes: "takitini.briefing-submissions.v1", access: "takitini.audit.briefing-access.v1" };

function harness(o: { writeFails?: boolean; max?: number; ready?: boolean } = {}) {
  const transactions: TopicMessages[][] = [];
  const index = new SubmissionIndex();
  const built = briefingAppForTests({
    gate: leaderGateWithTokens({ [AROHA]: "community-eastern", [HEMI]: "community-eastern" }),
    deps: {
      submissions: {
        index,
        write: async (records) => {
          if (o.writeFails) throw new Error("broker away");
          transactions.push(records);
        },
        quota: new SubmissionQuota({ max: o.max ?? 10, windowMs: 3_600_000 }),
        topics: TOPICS,
        organisation: () => "Eastern community leaders (ROCC regional partners)",
        ready: () => o.ready ?? true,
      },
    },
  });
  return { ...built, transactions, index };
}
const as = (token: string) => ({ authorization: `Bearer ${token}` });
const observation = { region: "eastern", kind: "observation", topic: "drug_supply", text: "A tinny house on Church Street, Ōpōtiki <script>alert(1)</script>", locality: "Ōpōtiki" };

describe("leaders talk back: POST /v1/submissions", () => {
  it("writes the event, the note and the access record in one transaction, then answers 201 with a reference", async () => {
    const { app, transactions, records } = harness();
    const res = await app.inject({ method: "POST", url: "/v1/submissions", headers: as(AROHA), payload: observation });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body.reference).toMatch(REFERENCE);
    expect(body).toMatchObject({ status: "received", submission: { kind: "observation", topic: "drug_supply", region: "eastern", status: "received" } });
    expect(res.headers.location).toBe(`/v1/submissions/${body.reference}`);
    expect(transactions).toHaveLength(1);
    const [intel, notes, access] = transactions[0]!;
    expect([intel!.topic, notes!.topic, access!.topic]).toEqual([TOPICS.intel, TOPICS.notes, TOPICS.access]);
    const event = IntelligenceEvent.decode(intel!.messages[0]!.value as Buffer);
    expect(event).toMatchObject({ sourceAgency: "AGENCY_COMMUNITY", eventType: "community.observation", region: "POLICE_DISTRICT_EASTERN", sourceRecordId: body.reference });
    expect(event.payload?.$case === "communitySubmission" && event.payload.value.text).toBe("A tinny house on Church Street, Ōpōtiki");
    expect(intel!.messages[0]!.headers).toMatchObject({ "event-type": "community.observation", "schema-version": "takitini.intel.v1" });
    expect(SubmissionNote.decode(notes!.messages[0]!.value as Buffer)).toMatchObject({ reference: body.reference, subscriberId: "community-eastern" });
    expect(decodeAccessMessage(access!.messages[0]!)).toMatchObject({ action: AccessAction.ACCESS_ACTION_SUBMISSION_RECEIVED, subscriberId: "community-eastern", eventId: event.id, resource: `/v1/submissions#${body.reference}`, regions: ["EASTERN"] });
    // Nothing went through the plain access path: the access record is in the transaction.
    expect(records).toEqual([]);
  });

  it("refuses bad input with 400 INVALID_SUBMISSION naming each field, and writes nothing", async () => {
    const { app, transactions } = harness();
    const res = await app.inject({ method: "POST", url: "/v1/submissions", headers: as(AROHA), payload: { region: "eastern", kind: "observation", text: "\u0000\u0007", extra: 1 } });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe("INVALID_SUBMISSION");
    expect(res.json().error.issues.map((i: { path: string }) => i.path).sort()).toEqual(["extra"]);
    const empty = await app.inject({ method: "POST", url: "/v1/submissions", headers: as(AROHA), payload: { region: "eastern", kind: "observation", text: "\u0000\u0007" } });
    expect(empty.json().error.issues.map((i: { path: string; code: string }) => `${i.path}:${i.code}`)).toEqual(["text:empty", "topic:required"]);
    const unknown = await app.inject({ method: "POST", url: "/v1/submissions", headers: as(AROHA), payload: { ...observation, region: "atlantis" } });
    expect(unknown.json().error.issues).toEqual([expect.objectContaining({ path: "region", code: "unknown_region" })]);
    const notJson = await app.inject({ method: "POST", url: "/v1/submissions", headers: { ...as(AROHA), "content-type": "application/json" }, payload: "{" });
    expect(notJson.statusCode).toBe(400);
    const huge = await app.inject({ method: "POST", url: "/v1/submissions", headers: as(AROHA), payload: { ...observation, text: "x".repeat(70_000) } });
    expect(huge.statusCode).toBe(413);
    expect(transactions).toEqual([]);
  });

  it("refuses another region with 403, audited before the answer, and publishes nothing", async () => {
    const { app, transactions, records } = harness();
    const res = await app.inject({ method: "POST", url: "/v1/submissions", headers: as(AROHA), payload: { ...observation, region: "northland" } });
    expect(res.statusCode).toBe(403);
    expect(res.json().error.code).toBe("REGION_OUT_OF_SCOPE");
    expect(records).toEqual([expect.objectContaining({ action: AccessAction.ACCESS_ACTION_SUBMISSION_DENIED, reason: "REGION_OUT_OF_SCOPE", regions: ["NORTHLAND"], subscriberId: "community-eastern", resource: "/v1/submissions" })]);
    expect(transactions).toEqual([]);
  });

  it("limits each leader: 429 with Retry-After past the quota, the other leader unaffected", async () => {
    const { app, transactions } = harness({ max: 2 });
    for (let i = 0; i < 2; i++) expect((await app.inject({ method: "POST", url: "/v1/submissions", headers: as(AROHA), payload: observation })).statusCode).toBe(201);
    const over = await app.inject({ method: "POST", url: "/v1/submissions", headers: as(AROHA), payload: observation });
    expect(over.statusCode).toBe(429);
    expect(over.json().error.code).toBe("RATE_LIMITED");
    expect(Number(over.headers["retry-after"])).toBeGreaterThan(0);
    expect((await app.inject({ method: "POST", url: "/v1/submissions", headers: as(HEMI), payload: observation })).statusCode).toBe(201);
    expect(transactions).toHaveLength(3);
  });

  it("answers 503 SUBMIT_FAILED with Retry-After when the transaction fails, and the attempt does not count", async () => {
    const failing = harness({ writeFails: true, max: 1 });
    for (let i = 0; i < 2; i++) {
      const res = await failing.app.inject({ method: "POST", url: "/v1/submissions", headers: as(AROHA), payload: observation });
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe("SUBMIT_FAILED");
      expect(res.headers["retry-after"]).toBe("5");
    }
    expect(failing.index.forAccount("aroha")).toEqual([]);
    const notReady = harness({ ready: false });
    expect((await notReady.app.inject({ method: "POST", url: "/v1/submissions", headers: as(AROHA), payload: observation })).json().error.code).toBe("SUBMIT_FAILED");
  });

  it("refuses a browser's request from another site (403 CROSS_SITE_REQUEST), whatever its credential", async () => {
    const { app, transactions } = harness();
    for (const headers of [{ origin: "https://evil.example", host: "localhost:80" }, { "sec-fetch-site": "cross-site" }]) {
      const res = await app.inject({ method: "POST", url: "/v1/submissions", headers: { ...as(AROHA), ...headers }, payload: observation });
      expect([res.statusCode, res.json().error.code]).toEqual([403, "CROSS_SITE_REQUEST"]);
    }
    // The same origin, and an API client that sends neither header, are served.
    expect((await app.inject({ method: "POST", url: "/v1/submissions", headers: { ...as(AROHA), origin: "https://localhost", host: "localhost:443", "sec-fetch-site": "same-origin" }, payload: observation })).statusCode).toBe(201);
    expect(transactions).toHaveLength(1);
  });

  it("refuses a caller without a credential (401) and writes nothing", async () => {
    const { app, transactions, refusals } = harness();
    const res = await app.inject({ method: "POST", url: "/v1/submissions", payload: observation });
    expect(res.statusCode).toBe(401);
    expect(refusals).toEqual([expect.objectContaining({ code: "UNAUTHENTICATED", route: "/v1/submissions" })]);
    expect(transactions).toEqual([]);
  });
});

describe("a leader's submissions and their status: GET /v1/submissions", () => {
  it("lists only the leader's own, and answers another's reference as none (404)", async () => {
    const { app } = harness();
    const mine = (await app.inject({ method: "POST", url: "/v1/submissions", headers: as(AROHA), payload: observation })).json().reference;
    const theirs = (await app.inject({ method: "POST", url: "/v1/submissions", headers: as(HEMI), payload: { region: "eastern", kind: "support_need", text: "A kaupapa Māori addiction service" } })).json().reference;
    const list = await app.inject({ url: "/v1/submissions", headers: as(AROHA) });
    expect(list.json().submissions.map((s: { reference: string }) => s.reference)).toEqual([mine]);
    expect((await app.inject({ url: `/v1/submissions/${mine}`, headers: as(AROHA) })).json()).toMatchObject({ reference: mine, status: "received" });
    const other = await app.inject({ url: `/v1/submissions/${theirs}`, headers: as(AROHA) });
    expect(other.statusCode).toBe(404);
    expect(other.json().error).toMatchObject({ code: "SUBMISSION_NOT_FOUND", issues: [expect.objectContaining({ path: "reference" })] });
    expect((await app.inject({ url: "/v1/submissions/not-a-reference", headers: as(AROHA) })).statusCode).toBe(404);
  });
});

describe("the form", () => {
  const form = { "content-type": "application/x-www-form-urlencoded" };
  const signIn = async (app: ReturnType<typeof harness>["app"], token: string) => String((await app.inject({ method: "POST", url: "/login", headers: form, payload: `token=${token}` })).headers["set-cookie"]).split(";")[0]!;

  it("sends a signed-in leader's words and shows them their reference and status, in te reo Māori when chosen", async () => {
    const { app, transactions } = harness();
    const cookie = await signIn(app, AROHA);
    const page = await app.inject({ url: "/submit?region=eastern&lang=mi", headers: { cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<html lang="mi"');
    expect(page.body).toContain("Kōrero atu ki ngā tari");
    const sent = await app.inject({ method: "POST", url: "/submit?lang=mi", headers: { ...form, cookie, origin: "http://localhost:80", host: "localhost:80" }, payload: "region=eastern&kind=observation&topic=firearms&text=Shots+heard+near+the+river&locality=&week=" });
    expect(sent.statusCode).toBe(303);
    const location = String(sent.headers.location);
    expect(location).toMatch(/^\/submissions\?received=TK-[0-9A-Z]{4}-[0-9A-Z]{4}&lang=mi$/);
    const status = await app.inject({ url: location, headers: { cookie } });
    expect(status.body).toContain("Kua tae mai");
    expect(status.body).toMatch(/data-status="received"/);
    expect(transactions).toHaveLength(1);
  });

  it("sends the form back with its values and each problem by field (400), escaped", async () => {
    const { app, transactions } = harness();
    const cookie = await signIn(app, AROHA);
    const res = await app.inject({ method: "POST", url: "/submit", headers: { ...form, cookie }, payload: `region=eastern&kind=observation&text=${encodeURIComponent('"><img src=x onerror=alert(1)>')}&locality=${encodeURIComponent("<b>x</b>")}` });
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain('href="#f-topic"');
    expect(res.body).toContain('aria-invalid="true"');
    expect(res.body).not.toContain("<img src=x");
    expect(res.body).toContain("&lt;b&gt;x&lt;/b&gt;");
    expect(transactions).toEqual([]);
  });

  it("refuses a form posted from another site (403 CROSS_SITE_REQUEST) before anything else", async () => {
    const { app, transactions } = harness();
    const cookie = await signIn(app, AROHA);
    for (const headers of [{ origin: "https://evil.example", host: "localhost:80" }, { "sec-fetch-site": "cross-site" }]) {
      const res = await app.inject({ method: "POST", url: "/submit", headers: { ...form, cookie, ...headers }, payload: "region=eastern&kind=support_need&text=x" });
      expect(res.statusCode).toBe(403);
      expect(res.body).toContain("CROSS_SITE_REQUEST");
    }
    expect(transactions).toEqual([]);
  });

  it("links a signed-in leader's briefing to the form and their submissions", async () => {
    const { app } = harness();
    const cookie = await signIn(app, AROHA);
    const page = await app.inject({ url: "/briefings/eastern?week=2026-W47", headers: { cookie } });
    expect(page.body).toContain('href="/submit?region=eastern"');
    expect(page.body).toContain('href="/submissions"');
  });
});
