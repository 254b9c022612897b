import fc from "fast-check";
import { Agency, Classification, HandlingCaveat, IntelligenceEvent, SubmissionKind, SubmissionTopic } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { regionBySlug } from "../regions.js";
import { cleanLine, cleanText, LIMITS, newReference, parseSubmission, REFERENCE, SUBMISSION_EVENT_TYPES, submissionEvent, submissionNote } from "./submission.js";

const EASTERN = regionBySlug("eastern")!;
const NOW = new Date("2026-11-25T03:04:05Z");
const ctx = { reference: "TK-7Q4M-2WXC", eventId: "5b0c7a1e-2f4d-4c6b-9a8e-0d1f2e3c4b5a", region: EASTERN, subscriberId: "community-eastern", organisation: "Eastern community leaders", account: "aroha@eastern", now: NOW };

describe("a leader's words, cleaned", () => {
  it("drops script and style with their content, other tags, controls and bidirectional overrides; keeps macrons and line breaks", () => {
    expect(cleanText("Kei  Ōpōtiki<script>alert(1)</script> te \u202Ekino\u0007\r\n\r\n\r\n\r\nwhānau <b>bold</b>")).toBe("Kei Ōpōtiki te kino\n\nwhānau bold");
    expect(cleanText("a <style>x{}</style>b <img src=x onerror=alert(1)> c <scr<script>ipt>alert(1)</script>")).toBe("a b c <scr");
    expect(cleanText("unclosed <script>alert(1)")).toBe("unclosed");
    // Composed and decomposed macrons are stored alike.
    expect(cleanText("Ta\u0304maki")).toBe("Tāmaki");
    expect(cleanLine("  Kawerau\n  township ")).toBe("Kawerau township");
  });

  it("is idempotent and never keeps a control, an override or a tag, for any input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 300 }), fc.string({ maxLength: 50 }), (noise, text) => {
        const s = `${noise}<script>${text}</script><b>${text}</b>${noise}`;
        const once = cleanText(s);
        expect(cleanText(once)).toBe(once);
        expect(once).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/);
        expect(once).not.toMatch(/<\/?[a-zA-Z!][^<>]*>/);
        expect(once.toLowerCase()).not.toContain("<script");
      }),
    );
  });
});

describe("parseSubmission", () => {
  it("accepts an observation, a support need and feedback on a week", () => {
    expect(parseSubmission({ region: "eastern", kind: "observation", topic: "drug_supply", text: "  Cars at the house on Church St every night. ", locality: "Ōpōtiki" })).toEqual({
      ok: true,
      submission: { region: "eastern", kind: "observation", topic: "drug_supply", text: "Cars at the house on Church St every night.", locality: "Ōpōtiki", week: "" },
    });
    expect(parseSubmission({ region: "eastern", kind: "support_need", text: "A youth worker for the marae" }).ok).toBe(true);
    expect(parseSubmission({ region: "eastern", kind: "briefing_feedback", text: "Useful", week: "2026-W47" }).ok).toBe(true);
  });

  it("names every problem by its field path, never its value", () => {
    const r = parseSubmission({ region: "eastern", kind: "gossip", text: 7, colour: "red" });
    expect(!r.ok && r.issues.map((i) => i.path).sort()).toEqual(["colour", "kind", "text"]);
    const words = parseSubmission({ region: "eastern", kind: "observation", text: "<script>only</script>", week: "2026-W47" });
    expect(!words.ok && words.issues.map((i) => `${i.path}:${i.code}`)).toEqual(["text:empty", "topic:required", "week:not_allowed"]);
    const long = parseSubmission({ region: "eastern", kind: "support_need", topic: "firearms", text: "ā".repeat(LIMITS.text + 1), locality: "x".repeat(81) });
    expect(!long.ok && long.issues.map((i) => `${i.path}:${i.code}`)).toEqual(["text:too_long", "locality:too_long", "topic:not_allowed"]);
    const feedback = parseSubmission({ region: "eastern", kind: "briefing_feedback", text: "x", week: "2026-W60" });
    expect(!feedback.ok && feedback.issues).toEqual([expect.objectContaining({ path: "week", code: "invalid_week" })]);
    expect(JSON.stringify(parseSubmission({ region: "eastern", kind: "observation", topic: "firearms", text: "y".repeat(20_000) }))).not.toContain("yyyy");
    expect(parseSubmission(undefined).ok).toBe(false);
  });

  it("counts characters, not bytes or UTF-16 units: 4,000 macrons or emoji fit", () => {
    expect(parseSubmission({ region: "eastern", kind: "support_need", text: "ō".repeat(LIMITS.text) }).ok).toBe(true);
    expect(parseSubmission({ region: "eastern", kind: "support_need", text: "🌿".repeat(LIMITS.text) }).ok).toBe(true);
  });
});

describe("references", () => {
  it("look like TK-XXXX-XXXX in Crockford's base32 and are not derived from anything", () => {
    const refs = new Set(Array.from({ length: 2000 }, () => newReference()));
    expect(refs.size).toBe(2000);
    for (const r of refs) expect(r).toMatch(REFERENCE);
    expect(newReference(() => new Uint8Array(5))).toBe("TK-0000-0000");
    expect(newReference(() => new Uint8Array([255, 255, 255, 255, 255]))).toBe("TK-ZZZZ-ZZZZ");
  });
});

describe("the event and the note", () => {
  const submission = { region: "eastern", kind: "observation" as const, topic: "exploitation" as const, text: "Workers sleeping in the packhouse", locality: "Ōpōtiki", week: "" };

  it("publishes the leader's words as AGENCY_COMMUNITY, IN-CONFIDENCE, never for any community, with its legal basis", () => {
    const e = submissionEvent(submission, ctx);
    expect(e).toMatchObject({
      id: ctx.eventId,
      sourceAgency: Agency.AGENCY_COMMUNITY,
      eventType: SUBMISSION_EVENT_TYPES.observation,
      region: "POLICE_DISTRICT_EASTERN",
      classification: Classification.CLASSIFICATION_IN_CONFIDENCE,
      handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_NO_COMMUNITY_RELEASE] },
      sourceRecordId: "TK-7Q4M-2WXC",
      subjects: [],
      legalBasis: { instrument: "Privacy Act 2020", provision: "IPP 11(1)(a) and (c)" },
    });
    expect(e.payload).toEqual({
      $case: "communitySubmission",
      value: { kind: SubmissionKind.SUBMISSION_KIND_OBSERVATION, topic: SubmissionTopic.SUBMISSION_TOPIC_EXPLOITATION, text: submission.text, locality: "Ōpōtiki", briefingWeek: "", reference: "TK-7Q4M-2WXC", organisation: "Eastern community leaders", subscriberId: "community-eastern" },
    });
    // It survives the wire, and names no account.
    const bytes = IntelligenceEvent.encode(e).finish();
    expect(IntelligenceEvent.decode(bytes)).toEqual(e);
    expect(Buffer.from(bytes).toString("utf8")).not.toContain("aroha");
  });

  it("notes who, what and when for the status page, never the words", () => {
    const n = submissionNote(submission, ctx);
    expect(n).toMatchObject({ reference: "TK-7Q4M-2WXC", account: "aroha@eastern", subscriberId: "community-eastern", kind: SubmissionKind.SUBMISSION_KIND_OBSERVATION, region: "POLICE_DISTRICT_EASTERN", submittedAt: NOW });
    expect(JSON.stringify(n)).not.toContain("packhouse");
  });
});
