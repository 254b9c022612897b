import type { FieldIssue } from "@takitini/runtime";
import { esc } from "../escape.js";
import { href, page, type View } from "../html.js";
import type { Region } from "../regions.js";
import type { SubmissionStatus } from "./status.js";
import { LIMITS, OBSERVATION_TOPICS, SUBMISSION_KINDS } from "./submission.js";

/**
 * The leader's pages for talking back: the form (its fields kept and its
 * problems named when it is sent back), and their submissions with what became
 * of each. Every value escaped, every word from the catalogues, labels on every
 * control and problems tied to their fields (WCAG 2.2 AA). Pure.
 */

/** What the form was filled in with, to show it again. */
export interface FormValues {
  region?: string;
  kind?: string;
  topic?: string;
  text?: string;
  locality?: string;
  week?: string;
}

export function submitPage(opts: { regions: readonly Region[]; values: FormValues; issues?: readonly FieldIssue[]; exampleWeek: string }, v: View): string {
  const m = v.m;
  const values = opts.values;
  const issues = opts.issues ?? [];
  const problem = (field: string) => issues.filter((i) => i.path === field);
  const describedBy = (field: string, hint?: string) => {
    const ids = [...(hint ? [hint] : []), ...(problem(field).length > 0 ? [`err-${field}`] : [])];
    return ids.length > 0 ? ` aria-describedby="${ids.join(" ")}"` : "";
  };
  const invalid = (field: string) => (problem(field).length > 0 ? ' aria-invalid="true"' : "");
  const errorFor = (field: string) => (problem(field).length > 0 ? `<p class="hint" id="err-${field}" role="alert">${problem(field).map((i) => `${esc(i.message)} (<code>${esc(i.code)}</code>)`).join("; ")}</p>` : "");
  const summary =
    issues.length > 0
      ? `<div role="alert"><h2>${esc(m.t("submit.problems"))}</h2><ul>${issues.map((i) => `<li><a href="#f-${esc(i.path.split(".")[0])}"><code>${esc(i.path)}</code></a>: ${esc(i.message)}</li>`).join("")}</ul></div>`
      : "";
  const regionOptions = opts.regions.map((r) => `<option value="${esc(r.slug)}"${r.slug === values.region ? " selected" : ""}>${esc(r.name)}</option>`).join("");
  const kind = values.kind ?? "observation";
  const kinds = SUBMISSION_KINDS.map(
    (k) => `<label><input type="radio" name="kind" value="${k}"${k === kind ? " checked" : ""}${k === SUBMISSION_KINDS[0] ? ` id="f-kind"` : ""}> ${esc(m.t(`submit.kind.${k}`))}</label>`,
  ).join("");
  const topics = [`<option value="">${esc(m.t("submit.topic.none"))}</option>`, ...OBSERVATION_TOPICS.map((t) => `<option value="${t}"${t === values.topic ? " selected" : ""}>${esc(m.t(`submit.topic.${t}`))}</option>`)].join("");
  return page(
    m.t("submit.title"),
    {
      header: `<h1>${esc(m.t("submit.heading"))}</h1><p class="period">${esc(m.t("submit.intro"))}</p>`,
      main:
        summary +
        `<p class="summary">${esc(m.t("submit.privacy"))}</p>` +
        `<form class="submit" method="post" action="${href(v, "/submit")}" novalidate>` +
        `<label for="f-region">${esc(m.t("submit.region"))}</label><select id="f-region" name="region"${invalid("region")}${describedBy("region")}>${regionOptions}</select>${errorFor("region")}` +
        `<fieldset${describedBy("kind")}><legend>${esc(m.t("submit.kind"))}</legend>${kinds}</fieldset>${errorFor("kind")}` +
        `<label for="f-topic">${esc(m.t("submit.topic"))}</label><select id="f-topic" name="topic"${invalid("topic")}${describedBy("topic")}>${topics}</select>${errorFor("topic")}` +
        `<label for="f-text">${esc(m.t("submit.text"))}</label><p class="hint" id="h-text">${esc(m.t("submit.textHint", { max: LIMITS.text }))}</p>` +
        `<textarea id="f-text" name="text" maxlength="${LIMITS.text}" required${invalid("text")}${describedBy("text", "h-text")}>${esc(values.text ?? "")}</textarea>${errorFor("text")}` +
        `<label for="f-locality">${esc(m.t("submit.locality"))}</label><p class="hint" id="h-locality">${esc(m.t("submit.localityHint"))}</p>` +
        `<input id="f-locality" name="locality" maxlength="${LIMITS.locality}" autocomplete="off" value="${esc(values.locality ?? "")}"${invalid("locality")}${describedBy("locality", "h-locality")}>${errorFor("locality")}` +
        `<label for="f-week">${esc(m.t("submit.week", { example: opts.exampleWeek }))}</label>` +
        `<input id="f-week" name="week" inputmode="text" pattern="\\d{4}-W\\d{2}" autocomplete="off" value="${esc(values.week ?? "")}"${invalid("week")}${describedBy("week")}>${errorFor("week")}` +
        `<button type="submit">${esc(m.t("submit.send"))}</button></form>` +
        `<p class="linkrow"><a href="${href(v, "/submissions")}">${esc(m.t("briefing.yourSubmissions"))}</a></p>`,
    },
    v,
  );
}

export function submissionsPage(opts: { submissions: readonly SubmissionStatus[]; received?: string; regionNames: ReadonlyMap<string, string> }, v: View): string {
  const m = v.m;
  const status = (s: SubmissionStatus) => (s.status === "shared" ? m.t("submissions.status.shared", { agencies: s.shared_with.join(", ") }) : m.t(`submissions.status.${s.status}`));
  const rows = opts.submissions
    .map(
      (s) =>
        `<tr data-reference="${esc(s.reference)}" data-status="${esc(s.status)}"><th scope="row"><code>${esc(s.reference)}</code></th><td>${esc(m.t(`submit.kind.${s.kind}`))}${s.topic ? ` — ${esc(m.t(`submit.topic.${s.topic}`))}` : ""}</td>` +
        `<td>${esc(opts.regionNames.get(s.region) ?? s.region)}</td><td><time datetime="${esc(s.submitted_at)}">${esc(s.submitted_at.slice(0, 16).replace("T", " "))} UTC</time></td><td>${esc(status(s))}</td></tr>`,
    )
    .join("");
  const table =
    opts.submissions.length === 0
      ? `<p>${esc(m.t("submissions.none"))}</p>`
      : `<div class="table-wrap" role="region" tabindex="0" aria-labelledby="cap-submissions"><table data-table="submissions"><caption id="cap-submissions">${esc(m.t("submissions.heading"))}</caption>` +
        `<thead><tr><th scope="col">${esc(m.t("submissions.reference"))}</th><th scope="col">${esc(m.t("submissions.kind"))}</th><th scope="col">${esc(m.t("submissions.region"))}</th><th scope="col">${esc(m.t("submissions.sent"))}</th><th scope="col">${esc(m.t("submissions.status"))}</th></tr></thead><tbody>${rows}</tbody></table></div>`;
  return page(
    m.t("submissions.title"),
    {
      header: `<h1>${esc(m.t("submissions.heading"))}</h1>`,
      main:
        (opts.received ? `<p role="status" class="summary">${esc(m.t("submissions.received", { reference: opts.received }))}</p>` : "") +
        table +
        `<p class="linkrow"><a href="${href(v, "/submit")}">${esc(m.t("submissions.new"))}</a></p>`,
    },
    v,
  );
}
