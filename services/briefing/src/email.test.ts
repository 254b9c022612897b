import { describe, expect, it } from "vitest";
import { digestEmail } from "./email.js";
import { easternBriefing } from "./mail.fixture.js";

const briefing = easternBriefing("2026-W48");
const email = digestEmail({
  briefing,
  from: "briefings@example.org",
  to: "rangi@example.org",
  messageId: "<abc@briefings.example>",
  pageUrl: "https://briefings.example/briefings/eastern?week=2026-W48",
  unsubscribeUrl: "https://briefings.example/unsubscribe?token=u1.x&y",
});

describe("the digest email", () => {
  it("names the region and week, and carries the unsubscribe link in its headers (one-click) and in both bodies", () => {
    expect(email.subject).toBe(`Community leaders’ briefing: ${briefing.region.name}, ${briefing.period.label}`);
    expect(email.headers).toEqual({ "List-Unsubscribe": "<https://briefings.example/unsubscribe?token=u1.x&y>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click", "Auto-Submitted": "auto-generated" });
    expect(email.text).toContain("To stop receiving it: https://briefings.example/unsubscribe?token=u1.x&y");
    expect(email.html).toContain('<a href="https://briefings.example/unsubscribe?token=u1.x&amp;y">Unsubscribe</a>');
    expect(email.messageId).toBe("<abc@briefings.example>");
  });

  it("shows the briefing's published figures, a suppressed cell as s, in text and HTML", () => {
    const drugs = briefing.sections.find((s) => s.id === "drugs")!;
    const table = drugs.tables[0]!;
    const shown = table.values.findIndex((v) => !v.suppressed);
    const hidden = table.values.findIndex((v) => v.suppressed);
    expect(shown).toBeGreaterThanOrEqual(0);
    expect(hidden).toBeGreaterThanOrEqual(0);
    const value = String(table.values[shown]!.value);
    for (const [i, v] of [[shown, value], [hidden, "s"]] as const) {
      const label = table.columns[i]!.label;
      expect(email.text).toContain(`  ${label}: ${v} ${table.unit}`);
      expect(email.html).toContain(`<th scope="row" style="text-align:left">${label}</th><td style="text-align:right">${v}</td>`);
    }
  });

  it("escapes everything it puts in HTML", () => {
    const hostile = { ...briefing, region: { ...briefing.region, name: `<script>alert("x")</script>` } };
    const html = digestEmail({ briefing: hostile, from: "a@example.org", to: "b@example.org", messageId: "<m@x>", pageUrl: "https://x/\"><b>", unsubscribeUrl: "https://x/u" }).html;
    expect(html).not.toContain("<script>");
    expect(html).not.toContain('"><b>');
    expect(html).toContain("&lt;script&gt;");
  });
});
