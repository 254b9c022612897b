import type { Briefing, PublishedBand, PublishedTable, Section, WastewaterTrend } from "./briefing.js";
import { esc } from "./escape.js";
import type { PublishedCount } from "./sdc/index.js";

/**
 * The digest email: the leader digest's own briefing (the figures already
 * through disclosure control, the same the page shows — a suppressed cell is
 * "s" here too) as plain text and as simple HTML (tables, no script, no
 * images), with the unsubscribe link in the body and in the List-Unsubscribe
 * headers (RFC 2369; one-click, RFC 8058). Pure.
 */

export interface DigestEmailInput {
  briefing: Briefing;
  from: string;
  to: string;
  messageId: string;
  /** The briefing's page, e.g. https://briefings.example/briefings/eastern?week=2026-W47. */
  pageUrl: string;
  /** The signed unsubscribe link (GET: a confirmation page; POST: unsubscribes). */
  unsubscribeUrl: string;
}

export interface DigestEmail {
  from: string;
  to: string;
  subject: string;
  messageId: string;
  text: string;
  html: string;
  headers: Record<string, string>;
}

const num = (p: PublishedCount) => (p.suppressed ? "s" : p.value.toLocaleString("en-NZ"));
/** A notice's count, as its band ("10–19"); the lowest band is "s", as on the page. */
const band = (b: PublishedBand) => (b.suppressed ? "s" : b.label);
const change = (d: WastewaterTrend) => (d.change.suppressed ? "not enough samples" : `${d.change.percent > 0 ? "+" : ""}${d.change.percent}%`);
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function tableRows(t: PublishedTable): string[][] {
  const head = ["", cap(t.unit), ...t.sums.map((s) => s.label)];
  const rows = t.columns.map((c, i) => [c.label, num(t.values[i]!), ...t.sums.map((s) => num(s.values[i]!))]);
  return [head, ...rows, ["Total", num(t.total), ...t.sums.map((s) => num(s.total))]];
}

function sectionText(s: Section): string[] {
  const out = [s.title.toUpperCase(), ...s.summary];
  for (const t of s.tables) {
    out.push("", t.title);
    const [head, ...rows] = tableRows(t);
    out.push(...rows.map((r) => `  ${r[0]}: ${r.slice(1).map((v, j) => `${v} ${head![j + 1]!.toLowerCase()}`).join(", ")}`));
  }
  if (s.wastewater) {
    out.push("", `Wastewater testing (${s.wastewater.window} against ${s.wastewater.previousWindow}), average grams a week:`);
    for (const d of s.wastewater.drugs) out.push(`  ${d.label}: before ${num(d.previous)}, now ${num(d.current)}, change ${change(d)}`);
    for (const site of s.wastewater.sites) {
      out.push(`  At the ${site.site} treatment site:`);
      for (const d of site.drugs) out.push(`    ${d.label}: before ${num(d.previous)}, now ${num(d.current)}, change ${change(d)}`);
    }
  }
  for (const n of s.notices ?? []) out.push("", `Support notice (${n.week}, ${n.phase}): families affected ${band(n.families)}, children affected ${band(n.children)}; support needed: ${n.support.map((x) => x.label).join(", ") || "not stated"}`);
  out.push("", "How to report it:", ...s.report.map((c) => `  ${c.label}: ${c.how}`));
  return out;
}

function sectionHtml(s: Section): string {
  const parts = [`<h2 style="color:#00566b;font-size:18px;margin:24px 0 8px">${esc(s.title)}</h2>`, ...s.summary.map((p) => `<p>${esc(p)}</p>`)];
  for (const t of s.tables) {
    const [head, ...rows] = tableRows(t);
    parts.push(
      `<table data-table="${esc(t.id)}" style="border-collapse:collapse;margin:8px 0" cellpadding="4"><caption style="text-align:left;font-weight:bold">${esc(t.title)}</caption>` +
        `<tr>${head!.map((h) => `<th scope="col" style="text-align:left;border-bottom:1px solid #ccc">${esc(h)}</th>`).join("")}</tr>` +
        rows.map((r) => `<tr>${r.map((v, j) => (j === 0 ? `<th scope="row" style="text-align:left">${esc(v)}</th>` : `<td style="text-align:right">${esc(v)}</td>`)).join("")}</tr>`).join("") +
        `</table>`,
    );
  }
  if (s.wastewater) {
    parts.push(
      `<table data-table="wastewater" cellpadding="4"><caption style="text-align:left;font-weight:bold">Wastewater testing: average grams a week (${esc(s.wastewater.window)} against ${esc(s.wastewater.previousWindow)})</caption><tr><th scope="col">Drug</th><th scope="col">Before</th><th scope="col">Now</th><th scope="col">Change</th></tr>` +
        s.wastewater.drugs.map((d) => `<tr><th scope="row" style="text-align:left">${esc(d.label)}</th><td>${esc(num(d.previous))}</td><td>${esc(num(d.current))}</td><td>${esc(change(d))}</td></tr>`).join("") +
        `</table>`,
    );
    if (s.wastewater.sites.length > 0) {
      parts.push(
        `<table data-table="wastewater-sites" cellpadding="4"><caption style="text-align:left;font-weight:bold">Wastewater testing by treatment site: average grams a week</caption><tr><th scope="col">Site</th><th scope="col">Drug</th><th scope="col">Before</th><th scope="col">Now</th><th scope="col">Change</th></tr>` +
          s.wastewater.sites
            .flatMap((site) => site.drugs.map((d) => `<tr><th scope="row" style="text-align:left">${esc(site.site)}</th><th scope="row" style="text-align:left">${esc(d.label)}</th><td>${esc(num(d.previous))}</td><td>${esc(num(d.current))}</td><td>${esc(change(d))}</td></tr>`))
            .join("") +
          `</table>`,
      );
    }
  }
  for (const n of s.notices ?? []) parts.push(`<p>Support notice (${esc(n.week)}, ${esc(n.phase)}): families affected ${esc(band(n.families))}, children affected ${esc(band(n.children))}; support needed: ${esc(n.support.map((x) => x.label).join(", ") || "not stated")}</p>`);
  parts.push(`<h3 style="font-size:15px">How to report it</h3><ul>${s.report.map((c) => `<li><strong>${esc(c.label)}:</strong> ${esc(c.how)}</li>`).join("")}</ul>`);
  return parts.join("");
}

/** The briefing as plain text, section by section (the email's body, and each Atom entry's content). */
export function briefingText(b: Briefing): string[] {
  return [`${b.period.from} to ${b.period.to}`, "", DISCLOSURE_NOTE, "", ...b.sections.flatMap((s) => [...sectionText(s), ""])];
}

const DISCLOSURE_NOTE = "Figures are disclosure-controlled: “s” marks a number withheld to protect people’s privacy, and the others are rounded.";

export function digestEmail(i: DigestEmailInput): DigestEmail {
  const b = i.briefing;
  const subject = `Community leaders’ briefing: ${b.region.name}, ${b.period.label}`;
  const note = DISCLOSURE_NOTE;
  const text = [
    subject,
    ...briefingText(b),
    `Read it online (sign in first): ${i.pageUrl}`,
    "",
    `You receive this weekly digest as a community leader for ${b.region.name}. To stop receiving it: ${i.unsubscribeUrl}`,
  ].join("\n");
  const html =
    `<!doctype html><html lang="en-NZ"><head><meta charset="utf-8"><title>${esc(subject)}</title></head>` +
    `<body style="font:15px/1.5 system-ui,sans-serif;color:#1b1b1b;max-width:40rem;margin:0 auto;padding:0 12px">` +
    `<h1 style="font-size:22px">${esc(b.region.name)}: ${esc(b.period.label)}</h1><p style="color:#555">${esc(b.period.from)} to ${esc(b.period.to)}</p><p>${esc(note)}</p>` +
    b.sections.map(sectionHtml).join("") +
    `<p><a href="${esc(i.pageUrl)}">Read it online</a> (sign in first).</p>` +
    `<p style="color:#555;font-size:13px">You receive this weekly digest as a community leader for ${esc(b.region.name)}. <a href="${esc(i.unsubscribeUrl)}">Unsubscribe</a>.</p>` +
    `</body></html>`;
  return {
    from: i.from,
    to: i.to,
    subject,
    messageId: i.messageId,
    text,
    html,
    headers: { "List-Unsubscribe": `<${i.unsubscribeUrl}>`, "List-Unsubscribe-Post": "List-Unsubscribe=One-Click", "Auto-Submitted": "auto-generated" },
  };
}
