import type { Briefing, PublishedBand, PublishedNotice, PublishedTable, Section, Trend, WastewaterTrend } from "./briefing.js";
import { barChart } from "./chart.js";
import { esc } from "./escape.js";
import type { PublishedCount } from "./sdc/index.js";
import { REGIONS } from "./regions.js";

/**
 * HTML renderings: a briefing page, the index, the sign-in form and error
 * pages. Every value is escaped; no script; one stylesheet inline that reads
 * on a phone and prints cleanly. Pure.
 */

const CSS = `
:root{--ink:#1b1b1b;--muted:#555;--line:#ccc;--accent:#00566b;--bg:#fff;--soft:#eef5f6}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header,main,footer{max-width:48rem;margin:0 auto;padding:0 1rem}
header{padding-top:1rem;border-bottom:3px solid var(--accent)}
h1{font-size:1.5rem;margin:.25rem 0}
h2{font-size:1.25rem;margin:2rem 0 .5rem;color:var(--accent)}
h3{font-size:1.05rem;margin:1.25rem 0 .25rem}
.tier{display:inline-block;font-size:.8rem;padding:.1rem .5rem;border-radius:1rem;background:var(--soft);color:var(--accent)}
.period{color:var(--muted);margin:.25rem 0 1rem}
nav.periods{display:flex;justify-content:space-between;gap:1rem;margin:.5rem 0}
a{color:var(--accent)}
section{border-bottom:1px solid var(--line);padding-bottom:1rem}
.summary{background:var(--soft);padding:.5rem 1rem;border-radius:.25rem}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left}
td.n,th.n{text-align:right}
tr.total td,tr.total th{font-weight:700;border-top:2px solid var(--ink)}
.s{color:var(--muted)}
svg.chart{width:100%;max-width:36rem;height:auto;display:block;margin:.5rem 0}
svg .bar{fill:var(--accent)} svg .bar-s{fill:none;stroke:var(--muted);stroke-dasharray:2 2}
svg .axis{stroke:var(--ink)} svg .tick,svg .val{font-size:10px;fill:var(--ink)}
.unavailable{font-style:italic}
ul.contacts li{margin:.25rem 0}
.notice{border:1px solid var(--line);border-radius:.25rem;padding:.5rem 1rem;margin:.5rem 0}
footer{color:var(--muted);font-size:.9rem;padding-bottom:2rem}
form.login{display:grid;gap:.5rem;max-width:24rem}
input,button{font:inherit;padding:.5rem}
button{background:var(--accent);color:#fff;border:0;border-radius:.25rem}
@media (max-width:30rem){body{font-size:15px}th,td{padding:.25rem}}
@media print{nav,form,.noprint{display:none!important}body{font-size:11pt}a{color:inherit;text-decoration:none}section{break-inside:avoid-page}h2{break-after:avoid}header{border-bottom:1px solid #000}.summary{background:none;border:1px solid #999}}
`;

export function page(title: string, body: string): string {
  return `<!doctype html><html lang="en-NZ"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head><body>${body}</body></html>`;
}

const n = (p: PublishedCount) => (p.suppressed ? `<span class="s" title="suppressed">s</span>` : esc(p.value.toLocaleString("en-NZ")));

function table(t: PublishedTable): string {
  const rows = t.columns.map((c, i) => `<tr><th scope="row">${esc(c.label)}</th><td class="n">${n(t.values[i]!)}</td>${t.sums.map((s) => `<td class="n">${n(s.values[i]!)}</td>`).join("")}</tr>`).join("");
  return (
    `<div class="table-wrap"><table data-table="${esc(t.id)}"><caption>${esc(t.title)}</caption>` +
    `<thead><tr><th scope="col"></th><th scope="col" class="n">${esc(cap(t.unit))}</th>${t.sums.map((s) => `<th scope="col" class="n">${esc(s.label)}</th>`).join("")}</tr></thead>` +
    `<tbody>${rows}<tr class="total"><th scope="row">Total</th><td class="n">${n(t.total)}</td>${t.sums.map((s) => `<td class="n">${n(s.total)}</td>`).join("")}</tr></tbody></table></div>`
  );
}

function trend(t: Trend, id: string): string {
  const alt = `<div class="table-wrap"><table data-trend="${esc(t.id)}"><caption>${esc(t.title)} (the chart's values)</caption><thead><tr><th scope="col">Period</th><th scope="col" class="n">${esc(cap(t.unit))}</th></tr></thead><tbody>${t.points.map((p) => `<tr><th scope="row">${esc(p.period)}</th><td class="n">${n(p.value)}</td></tr>`).join("")}</tbody></table></div>`;
  return `<figure><figcaption><h3>${esc(t.title)}</h3></figcaption>${barChart(t, id)}${alt}</figure>`;
}

function wastewater(w: NonNullable<Section["wastewater"]>): string {
  const change = (d: WastewaterTrend) => (d.change.suppressed ? `<span class="s">not enough samples</span>` : `${d.change.percent > 0 ? "+" : ""}${d.change.percent}% (${d.change.direction === "steady" ? "about the same" : d.change.direction})`);
  return (
    `<div class="table-wrap"><table data-table="wastewater"><caption>Wastewater testing: estimated use, average grams a week (${esc(w.window)} against ${esc(w.previousWindow)})</caption>` +
    `<thead><tr><th scope="col">Drug</th><th scope="col" class="n">Before</th><th scope="col" class="n">Now</th><th scope="col" class="n">Change</th></tr></thead><tbody>` +
    w.drugs.map((d) => `<tr><th scope="row">${esc(d.label)}</th><td class="n">${n(d.previous)}</td><td class="n">${n(d.current)}</td><td class="n">${change(d)}</td></tr>`).join("") +
    `</tbody></table></div>`
  );
}

const band = (b: PublishedBand) => (b.suppressed ? `<span class="s" title="suppressed">s</span>` : esc(b.label));

const PHASE: Record<string, string> = { resolution: "Resolution (arrests made)", concluded: "Concluded" };
const STAGE: Record<string, string> = { clear: "Clear — disrupting the group", hold: "Hold — stopping others moving in", build: "Build — rebuilding the community", unspecified: "" };

function notice(x: PublishedNotice): string {
  return (
    `<div class="notice"><p><strong>${esc(PHASE[x.phase] ?? x.phase)}</strong> · ${esc(x.week)}${STAGE[x.stage] ? ` · ${esc(STAGE[x.stage])}` : ""}</p>` +
    `<p>Families affected: ${band(x.families)} · Children affected: ${band(x.children)}</p>` +
    `<p>Support needed: ${x.support.length === 0 ? "not stated" : x.support.map((s) => esc(s.label)).join(", ")}</p></div>`
  );
}

function section(s: Section, i: number): string {
  const parts = [`<section id="${esc(s.id)}" data-available="${s.available}"><h2>${esc(s.title)}</h2>`];
  parts.push(`<div class="summary"><h3>What is happening</h3>${s.summary.map((p) => `<p${s.available ? "" : ' class="unavailable"'}>${esc(p)}</p>`).join("")}</div>`);
  for (const t of s.tables) parts.push(table(t));
  if (s.wastewater) parts.push(wastewater(s.wastewater));
  s.trends.forEach((t, j) => parts.push(trend(t, `chart-${i}-${j}`)));
  if (s.notices) parts.push(s.notices.length === 0 ? "" : `<h3>Support notices</h3>${s.notices.map(notice).join("")}`);
  if (s.services && s.services.length > 0) parts.push(`<h3>Services available</h3><ul>${s.services.map((x) => `<li><strong>${esc(x.label)}</strong>: ${esc(x.description)}</li>`).join("")}</ul>`);
  parts.push(`<h3>What drives it</h3><ul>${s.drivers.map((d) => `<li>${esc(d)}</li>`).join("")}</ul>`);
  parts.push(`<h3>What to watch for</h3><ul>${s.watchFor.map((d) => `<li>${esc(d)}</li>`).join("")}</ul>`);
  parts.push(`<h3>How to report it</h3><ul class="contacts">${s.report.map((c) => `<li><strong>${esc(c.label)}:</strong> ${esc(c.how)}</li>`).join("")}</ul>`);
  parts.push(`</section>`);
  return parts.join("");
}

export interface PageLinks {
  previous?: string;
  next?: string;
  json: string;
  signedIn?: boolean;
}

export function briefingPage(b: Briefing, links: PageLinks): string {
  const tier = b.tier === "public" ? "Public briefing" : "Community leaders’ briefing";
  const nav = `<nav class="periods" aria-label="Other periods">${links.previous ? `<a href="${esc(links.previous)}" rel="prev">← Earlier</a>` : "<span></span>"}${links.next ? `<a href="${esc(links.next)}" rel="next">Later →</a>` : "<span></span>"}</nav>`;
  const signOut = links.signedIn ? `<form method="post" action="/logout" class="noprint"><button type="submit">Sign out</button></form>` : "";
  const body =
    `<header><span class="tier">${esc(tier)}</span><h1>${esc(b.region.name)}</h1><p class="period">${esc(b.period.label)} · ${esc(b.period.from)} to ${esc(b.period.to)}</p>${nav}</header>` +
    `<main>${b.sections.map(section).join("")}</main>` +
    `<footer><h2>About these figures</h2><ul>${b.disclosureControl.notes.map((x) => `<li>${esc(x)}</li>`).join("")}</ul><p class="noprint"><a href="${esc(links.json)}">These figures as JSON</a></p>${signOut}</footer>`;
  return page(`${tier}: ${b.region.name}, ${b.period.label}`, body);
}

export function indexPage(): string {
  const items = REGIONS.map((r) => `<li><a href="/public/${esc(r.slug)}">${esc(r.name)}</a></li>`).join("");
  return page(
    "Takitini community briefings",
    `<header><h1>Community briefings</h1><p class="period">What is happening in your district, what drives it, how to spot it and how to report it.</p></header><main><h2>Public briefings by Police district</h2><ul>${items}</ul><h2>Community leaders</h2><p><a href="/login">Sign in</a> for your region’s weekly briefing.</p></main>`,
  );
}

export function loginPage(error?: string, next = ""): string {
  return page(
    "Sign in — community briefings",
    `<header><h1>Sign in</h1><p class="period">For community leaders (ROCC regional partners).</p></header><main>${error ? `<p role="alert">${esc(error)}</p>` : ""}<form class="login" method="post" action="/login"><label for="token">Access token</label><input id="token" name="token" type="password" autocomplete="current-password" required><input type="hidden" name="next" value="${esc(next)}"><button type="submit">Sign in</button></form></main>`,
  );
}

export function errorPage(status: number, code: string, message: string, extra = ""): string {
  return page(`${status} — ${code}`, `<header><h1>${esc(status)}: ${esc(message)}</h1></header><main><p>Error code: <code>${esc(code)}</code></p>${extra}<p><a href="/">All briefings</a></p></main>`);
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
