import type { Briefing, PublishedAssessment, PublishedBand, PublishedLocalities, PublishedNotice, PublishedTable, Section, Trend, WastewaterTrend } from "./briefing.js";
import { barChart } from "./chart.js";
import { esc } from "./escape.js";
import { CATALOGUES, ENGLISH, HTML_LANG, LANGS, messages, withLang, type Messages } from "./messages.js";
import type { PublishedCount } from "./sdc/index.js";
import { REGIONS } from "./regions.js";

/**
 * HTML renderings: a briefing page, the index, the sign-in form and error
 * pages. Every value is escaped; no script; one stylesheet inline that reads
 * on a phone and prints on A4. Every word is the reader's language's, from the
 * catalogues (`locales/*.json`, see messages.ts); every page has a skip link,
 * landmarks (banner, navigation, main, contentinfo), a language switch and
 * visible focus (WCAG 2.2 AA, checked with axe-core in a11y.browser.test.ts).
 * Pure.
 */

/** Who a page is for: their language, where they are (for the language switch), and whether links carry `?lang=`. */
export interface View {
  m: Messages;
  /** This page's path and query, e.g. "/public/eastern?quarter=2026-Q3". */
  here: string;
  /** Links carry `lang=` (the reader chose a language, or it is not the default). */
  keepLang: boolean;
}

export const ENGLISH_VIEW: View = { m: ENGLISH, here: "/", keepLang: false };

/** A link inside the site, keeping the reader's language when they chose one. */
export const href = (v: View, path: string) => esc(v.keepLang ? withLang(path, v.m.lang) : path);

const CSS = `
:root{--ink:#1b1b1b;--muted:#555;--line:#ccc;--accent:#00566b;--bg:#fff;--soft:#eef5f6;--focus:#1b1b1b}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:var(--bg)}
header,main,footer{max-width:48rem;margin:0 auto;padding:0 1rem}
header{padding-top:.5rem;border-bottom:3px solid var(--accent)}
.skip{position:absolute;left:-100vw;top:0;background:var(--bg);padding:.5rem 1rem;z-index:1}
.skip:focus{left:.5rem;top:.5rem}
:focus-visible{outline:3px solid var(--focus);outline-offset:2px}
main:focus{outline:none}
.bar{display:flex;flex-wrap:wrap;justify-content:space-between;align-items:center;gap:.25rem 1rem;font-size:.95rem}
.bar a.site{font-weight:600;display:inline-block;padding:.25rem 0}
nav.lang ul{list-style:none;margin:0;padding:0;display:flex;gap:.5rem}
nav.lang a{display:inline-block;padding:.25rem .5rem;min-height:24px}
nav.lang a[aria-current]{font-weight:700;text-decoration:none;border-bottom:2px solid var(--accent)}
h1{font-size:1.5rem;margin:.25rem 0}
h2{font-size:1.25rem;margin:2rem 0 .5rem;color:var(--accent)}
h3{font-size:1.05rem;margin:1.25rem 0 .25rem}
.tier{display:inline-block;font-size:.8rem;padding:.1rem .5rem;border-radius:1rem;background:var(--soft);color:var(--accent)}
.period{color:var(--muted);margin:.25rem 0 1rem}
nav.periods{display:flex;justify-content:space-between;gap:1rem;margin:.5rem 0}
nav.periods a{display:inline-block;padding:.25rem 0}
nav.contents ul{display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:0;list-style:none;margin:.5rem 0 1rem}
nav.contents a{display:inline-block;padding:.125rem 0}
a{color:var(--accent)}
ul.regions a{display:inline-block;padding:.25rem 0;min-height:24px}
section{border-bottom:1px solid var(--line);padding-bottom:1rem}
.summary{background:var(--soft);padding:.5rem 1rem;border-radius:.25rem}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0;font-variant-numeric:tabular-nums}
caption{text-align:left;font-weight:600;padding:.25rem 0}
th,td{border-bottom:1px solid var(--line);padding:.3rem .5rem;text-align:left}
td.n,th.n{text-align:right}
tr.total td,tr.total th{font-weight:700;border-top:2px solid var(--ink)}
.s{color:var(--muted)}
figure{margin:1rem 0}
svg.chart{width:100%;max-width:36rem;height:auto;display:block;margin:.5rem 0}
svg .bar{fill:var(--accent)} svg .bar-s{fill:none;stroke:var(--muted);stroke-dasharray:2 2}
svg .axis{stroke:var(--ink)} svg .tick,svg .val{font-size:10px;fill:var(--ink)}
.unavailable{font-style:italic}
ul.contacts li{margin:.25rem 0}
.notice{border:1px solid var(--line);border-radius:.25rem;padding:.5rem 1rem;margin:.5rem 0}
footer{color:var(--muted);font-size:.9rem;padding-bottom:2rem}
form.login{display:grid;gap:.5rem;max-width:24rem}
form.submit{display:grid;gap:.5rem;max-width:36rem}
fieldset{border:1px solid var(--line);border-radius:.25rem;padding:.5rem 1rem}
fieldset label{display:block;padding:.25rem 0;min-height:24px}
textarea,select{font:inherit;padding:.5rem;border:2px solid var(--ink);border-radius:.25rem}
textarea{min-height:10rem}
.linkrow{display:flex;flex-wrap:wrap;gap:.5rem 1.5rem;margin:.5rem 0}
.linkrow a{display:inline-block;padding:.25rem 0}
.hint{color:var(--muted);font-size:.9rem;margin:0}
input,button{font:inherit;padding:.5rem;min-height:44px}
input{border:2px solid var(--ink);border-radius:.25rem}
button{background:var(--accent);color:#fff;border:0;border-radius:.25rem;cursor:pointer}
[role=alert]{border-left:4px solid #a4262c;padding:.25rem .75rem;background:#fdf3f4}
@media (max-width:30rem){body{font-size:15px}th,td{padding:.25rem}}
@page{size:A4;margin:15mm 14mm 16mm}
@media print{.skip,nav,form,.noprint{display:none!important}body{font-size:10.5pt;line-height:1.4}header,main,footer{max-width:none;padding:0}a{color:inherit;text-decoration:none}h2{break-after:avoid;margin-top:1.25rem}h3,caption,figcaption{break-after:avoid}.table-wrap{overflow:visible;break-inside:avoid}table{break-inside:auto}thead{display:table-header-group}tr,.notice,svg.chart,ul.contacts li{break-inside:avoid}figure{break-inside:avoid}svg.chart{max-width:13cm}header{border-bottom:1px solid #000}.summary{background:none;border:1px solid #999}.tier{background:none;border:1px solid #999;color:inherit}footer{color:inherit}}
`;

export function page(title: string, parts: { header: string; main: string; footer?: string }, v: View = ENGLISH_VIEW): string {
  const m = v.m;
  const bar = `<div class="bar"><a class="site" href="${href(v, "/")}">${esc(m.t("page.site"))}</a>${languages(v)}</div>`;
  return (
    `<!doctype html><html lang="${HTML_LANG[m.lang]}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${CSS}</style></head>` +
    `<body><a class="skip" href="#main">${esc(m.t("page.skip"))}</a><header>${bar}${parts.header}</header><main id="main" tabindex="-1">${parts.main}</main>${parts.footer === undefined ? "" : `<footer>${parts.footer}</footer>`}</body></html>`
  );
}

/** The language switch: every language by its own name, each a link to this page in it. */
function languages(v: View): string {
  const here = /^\/(?!\/)/.test(v.here) ? v.here.slice(0, 300) : "/";
  const items = LANGS.map((l) => {
    const current = l === v.m.lang ? ' aria-current="true"' : "";
    return `<li><a href="${esc(withLang(here, l))}" lang="${HTML_LANG[l]}" hreflang="${HTML_LANG[l]}"${current}>${esc(messages(l, CATALOGUES[l]).t("language.name"))}</a></li>`;
  }).join("");
  return `<nav class="lang" aria-label="${esc(v.m.t("language.switch"))}"><ul>${items}</ul></nav>`;
}

const n = (p: PublishedCount, m: Messages) => (p.suppressed ? `<span class="s" title="${esc(m.t("page.suppressed"))}">s</span>` : esc(p.value.toLocaleString("en-NZ")));

/** A table in a scrollable region a keyboard can reach, named by its caption. */
const wrap = (id: string, data: string, caption: string, inner: string) =>
  `<div class="table-wrap" role="region" tabindex="0" aria-labelledby="cap-${esc(id)}"><table ${data}="${esc(id)}"><caption id="cap-${esc(id)}">${esc(caption)}</caption>${inner}</table></div>`;

const unitName = (unit: string, m: Messages) => cap(m.t(`unit.${unit}`));

function table(t: PublishedTable, m: Messages): string {
  const rows = t.columns.map((c, i) => `<tr><th scope="row">${esc(c.label)}</th><td class="n">${n(t.values[i]!, m)}</td>${t.sums.map((s) => `<td class="n">${n(s.values[i]!, m)}</td>`).join("")}</tr>`).join("");
  return wrap(
    t.id,
    "data-table",
    t.title,
    `<thead><tr><th scope="col">${esc(m.t("table.category"))}</th><th scope="col" class="n">${esc(unitName(t.unit, m))}</th>${t.sums.map((s) => `<th scope="col" class="n">${esc(s.label)}</th>`).join("")}</tr></thead>` +
      `<tbody>${rows}<tr class="total"><th scope="row">${esc(m.t("table.total"))}</th><td class="n">${n(t.total, m)}</td>${t.sums.map((s) => `<td class="n">${n(s.total, m)}</td>`).join("")}</tr></tbody>`,
  ) + (t.localities ? localities(t.localities, m) : "");
}

/** A table's count by town or suburb: the localities shown, "elsewhere", the district's total, and the rule under it. */
function localities(l: PublishedLocalities, m: Messages): string {
  const row = (name: string, p: PublishedCount) => `<tr><th scope="row">${esc(name)}</th><td class="n">${n(p, m)}</td></tr>`;
  return (
    wrap(
      l.id,
      "data-table",
      l.title,
      `<thead><tr><th scope="col">${esc(m.t("localities.locality"))}</th><th scope="col" class="n">${esc(unitName(l.unit, m))}</th></tr></thead>` +
        `<tbody>${l.rows.map((r) => row(r.locality, r.value)).join("")}${row(l.elsewhere.label, l.elsewhere.value)}<tr class="total"><th scope="row">${esc(m.t("table.total"))}</th><td class="n">${n(l.total, m)}</td></tr></tbody>`,
    ) + `<p class="hint">${esc(l.note)}</p>`
  );
}

function trend(t: Trend, id: string, m: Messages): string {
  const alt = wrap(
    t.id,
    "data-trend",
    m.t("trend.values", { title: t.title }),
    `<thead><tr><th scope="col">${esc(m.t("trend.period"))}</th><th scope="col" class="n">${esc(unitName(t.unit, m))}</th></tr></thead><tbody>${t.points.map((p) => `<tr><th scope="row">${esc(p.period)}</th><td class="n">${n(p.value, m)}</td></tr>`).join("")}</tbody>`,
  );
  return `<figure><figcaption><h3>${esc(t.title)}</h3></figcaption>${barChart(t, id, m)}${alt}</figure>`;
}

const band = (b: PublishedBand, m: Messages) => (b.suppressed ? `<span class="s" title="${esc(m.t("page.suppressed"))}">s</span>` : esc(b.label));

function wastewater(w: NonNullable<Section["wastewater"]>, m: Messages): string {
  const change = (d: WastewaterTrend) =>
    d.change.suppressed ? `<span class="s">${esc(m.t("wastewater.notEnough"))}</span>` : esc(m.t(`wastewater.${d.change.direction}`, { percent: `${d.change.percent > 0 ? "+" : ""}${d.change.percent}` }));
  const cells = (d: WastewaterTrend) => `<td class="n">${n(d.previous, m)}</td><td class="n">${n(d.current, m)}</td><td class="n">${change(d)}</td>`;
  const head = (first: string) =>
    `<thead><tr>${first}<th scope="col" class="n">${esc(m.t("wastewater.before"))}</th><th scope="col" class="n">${esc(m.t("wastewater.now"))}</th><th scope="col" class="n">${esc(m.t("wastewater.change"))}</th></tr></thead>`;
  const district = wrap(
    "wastewater",
    "data-table",
    m.t("wastewater.caption", { window: w.window, previous: w.previousWindow }),
    head(`<th scope="col">${esc(m.t("wastewater.drug"))}</th>`) + `<tbody>${w.drugs.map((d) => `<tr><th scope="row">${esc(d.label)}</th>${cells(d)}</tr>`).join("")}</tbody>`,
  );
  if (w.sites.length === 0) return district;
  // Sites with a large enough catchment only (the exchange's rule); one row per drug sampled there.
  const rows = w.sites.flatMap((s) => s.drugs.map((d, i) => `<tr>${i === 0 ? `<th scope="rowgroup" rowspan="${s.drugs.length}">${esc(s.site)}</th>` : ""}<th scope="row">${esc(d.label)}</th>${cells(d)}</tr>`));
  return (
    district +
    wrap(
      "wastewater-sites",
      "data-table",
      m.t("wastewater.sites.caption", { window: w.window, previous: w.previousWindow }),
      head(`<th scope="col">${esc(m.t("wastewater.site"))}</th><th scope="col">${esc(m.t("wastewater.drug"))}</th>`) + `<tbody>${rows.join("")}</tbody>`,
    )
  );
}

function notice(x: PublishedNotice, m: Messages): string {
  const stage = x.stage === "clear" || x.stage === "hold" || x.stage === "build" ? ` · ${esc(m.t(`notice.${x.stage}`))}` : "";
  return (
    `<div class="notice"><p><strong>${esc(m.t(`notice.${x.phase}`))}</strong> · ${esc(x.week)}${stage}</p>` +
    `<p>${esc(m.t("notice.families"))}: ${band(x.families, m)} · ${esc(m.t("notice.children"))}: ${band(x.children, m)}</p>` +
    `<p>${esc(m.t("notice.support"))}: ${x.support.length === 0 ? esc(m.t("notice.notStated")) : x.support.map((s) => esc(s.label)).join(", ")}</p></div>`
  );
}

function assessmentsSection(list: readonly PublishedAssessment[], m: Messages): string {
  if (list.length === 0) return "";
  const one = (a: PublishedAssessment) =>
    `<article class="notice"><h3>${esc(a.title)}</h3>` +
    `<p>${esc(a.agencyName)} · ${esc(m.t("assessments.period", { from: a.periodStart, to: a.periodEnd }))}</p>` +
    a.body.split("\n").filter((p) => p.trim() !== "").map((p) => `<p>${esc(p)}</p>`).join("") +
    (a.keyPoints.length > 0 ? `<h4>${esc(m.t("assessments.keyPoints"))}</h4><ul>${a.keyPoints.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>` : "") +
    (a.recommendedActions.length > 0 ? `<h4>${esc(m.t("assessments.actions"))}</h4><ul>${a.recommendedActions.map((x) => `<li>${esc(x)}</li>`).join("")}</ul>` : "") +
    `<p>${esc(m.t("assessments.approved", { role: a.approverRole, agency: a.agencyName, ref: a.approvalRef }))}</p></article>`;
  return `<section id="assessments" aria-labelledby="h-assessments"><h2 id="h-assessments">${esc(m.t("assessments.heading"))}</h2><p>${esc(m.t("assessments.intro"))}</p>${list.map(one).join("")}</section>`;
}

function section(s: Section, i: number, m: Messages): string {
  const parts = [`<section id="${esc(s.id)}" data-available="${s.available}" aria-labelledby="h-${esc(s.id)}"><h2 id="h-${esc(s.id)}">${esc(s.title)}</h2>`];
  parts.push(`<div class="summary"><h3>${esc(m.t("section.happening"))}</h3>${s.summary.map((p) => `<p${s.available ? "" : ' class="unavailable"'}>${esc(p)}</p>`).join("")}</div>`);
  for (const t of s.tables) parts.push(table(t, m));
  if (s.wastewater) parts.push(wastewater(s.wastewater, m));
  s.trends.forEach((t, j) => parts.push(trend(t, `chart-${i}-${j}`, m)));
  if (s.notices && s.notices.length > 0) parts.push(`<h3>${esc(m.t("section.notices"))}</h3>${s.notices.map((x) => notice(x, m)).join("")}`);
  if (s.services && s.services.length > 0) parts.push(`<h3>${esc(m.t("section.services"))}</h3><ul>${s.services.map((x) => `<li><strong>${esc(x.label)}</strong>: ${esc(x.description)}</li>`).join("")}</ul>`);
  parts.push(`<h3>${esc(m.t("section.drivers"))}</h3><ul>${s.drivers.map((d) => `<li>${esc(d)}</li>`).join("")}</ul>`);
  parts.push(`<h3>${esc(m.t("section.watchFor"))}</h3><ul>${s.watchFor.map((d) => `<li>${esc(d)}</li>`).join("")}</ul>`);
  parts.push(`<h3>${esc(m.t("section.report"))}</h3><ul class="contacts">${s.report.map((c) => `<li><strong>${esc(c.label)}:</strong> ${esc(c.how)}</li>`).join("")}</ul>`);
  parts.push(`</section>`);
  return parts.join("");
}

export interface PageLinks {
  previous?: string;
  next?: string;
  json: string;
  signedIn?: boolean;
}

/** A briefing page; its words must be the briefing's language (assembled with the same `lang`). */
export function briefingPage(b: Briefing, links: PageLinks, v: View = ENGLISH_VIEW): string {
  const m = v.m;
  const tier = m.t(`briefing.tier.${b.tier}`);
  const nav =
    `<nav class="periods" aria-label="${esc(m.t("briefing.periods"))}">` +
    `${links.previous ? `<a href="${href(v, links.previous)}" rel="prev">${esc(m.t("briefing.earlier"))}</a>` : "<span></span>"}` +
    `${links.next ? `<a href="${href(v, links.next)}" rel="next">${esc(m.t("briefing.later"))}</a>` : "<span></span>"}</nav>`;
  const contents = `<nav class="contents" aria-label="${esc(m.t("briefing.contents"))}"><ul>${b.sections.map((s) => `<li><a href="#${esc(s.id)}">${esc(s.title)}</a></li>`).join("")}</ul></nav>`;
  const signOut = links.signedIn ? `<form method="post" action="${href(v, "/logout")}" class="noprint"><button type="submit">${esc(m.t("briefing.signOut"))}</button></form>` : "";
  // A signed-in leader can talk back: tell the agencies what they see, and follow what became of it.
  const talkBack = links.signedIn
    ? `<p class="linkrow noprint"><a href="${href(v, `/submit?region=${encodeURIComponent(b.region.slug)}`)}">${esc(m.t("briefing.tellAgencies"))}</a><a href="${href(v, "/submissions")}">${esc(m.t("briefing.yourSubmissions"))}</a></p>`
    : "";
  return page(
    m.t("briefing.title", { tier, region: b.region.name, period: b.period.label }),
    {
      header: `<span class="tier">${esc(tier)}</span><h1>${esc(b.region.name)}</h1><p class="period">${esc(b.period.label)} · ${esc(m.t("briefing.dates", { from: b.period.from, to: b.period.to }))}</p>${nav}${talkBack}`,
      main: contents + b.sections.map((s, i) => section(s, i, m)).join("") + assessmentsSection(b.assessments ?? [], m),
      footer: `<h2>${esc(m.t("briefing.about"))}</h2><ul>${b.disclosureControl.notes.map((x) => `<li>${esc(x)}</li>`).join("")}</ul><p class="noprint"><a href="${href(v, links.json)}">${esc(m.t("briefing.json"))}</a></p>${signOut}`,
    },
    v,
  );
}

export function indexPage(v: View = ENGLISH_VIEW): string {
  const m = v.m;
  const items = REGIONS.map((r) => `<li><a href="${href(v, `/public/${r.slug}`)}">${esc(r.name)}</a></li>`).join("");
  return page(
    m.t("index.title"),
    {
      header: `<h1>${esc(m.t("index.heading"))}</h1><p class="period">${esc(m.t("index.intro"))}</p>`,
      main: `<h2>${esc(m.t("index.public"))}</h2><ul class="regions">${items}</ul><h2>${esc(m.t("index.leaders"))}</h2><p><a href="${href(v, "/login")}">${esc(m.t("index.signIn"))}</a></p>`,
    },
    v,
  );
}

/** The sign-in form; `notice` is already in the reader's language. */
export function loginPage(notice?: string, next = "", v: View = ENGLISH_VIEW): string {
  const m = v.m;
  return page(
    m.t("login.title"),
    {
      header: `<h1>${esc(m.t("login.heading"))}</h1><p class="period">${esc(m.t("login.intro"))}</p>`,
      main:
        `${notice ? `<p role="alert">${esc(notice)}</p>` : ""}` +
        `<form class="login" method="post" action="${href(v, "/login")}"><label for="token">${esc(m.t("login.token"))}</label><p class="hint" id="token-hint">${esc(m.t("login.tokenHint"))}</p>` +
        `<input id="token" name="token" type="password" autocomplete="current-password" required aria-describedby="token-hint"><input type="hidden" name="next" value="${esc(next)}"><button type="submit">${esc(m.t("login.submit"))}</button></form>`,
    },
    v,
  );
}

export interface ErrorView {
  status: number;
  code: string;
  issues?: readonly { path: string; code: string }[];
  validRegions?: readonly string[];
}

/** An error page: what went wrong in the reader's words, and the stable code (and field paths) in everyone's. */
export function errorPage(e: ErrorView, v: View = ENGLISH_VIEW): string {
  const m = v.m;
  const headline = m.has(`error.${e.code}`) ? m.t(`error.${e.code}`) : m.t("error.other");
  const issues = e.issues && e.issues.length > 0 ? `<h2>${esc(m.t("error.fields"))}</h2><ul>${e.issues.map((i) => `<li><code>${esc(i.path)}</code>: <code>${esc(i.code)}</code></li>`).join("")}</ul>` : "";
  const regions = e.validRegions ? `<h2>${esc(m.t("error.validRegions"))}</h2><ul>${e.validRegions.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>` : "";
  return page(
    m.t("error.title", { status: e.status, code: e.code }),
    {
      header: `<h1>${esc(e.status)}: ${esc(headline)}</h1>`,
      main: `<p>${esc(m.t("error.code"))}: <code>${esc(e.code)}</code></p>${issues}${regions}<p><a href="${href(v, "/")}">${esc(m.t("page.home"))}</a></p>`,
    },
    v,
  );
}

const cap = (s: string) => s.charAt(0).toLocaleUpperCase() + s.slice(1);
