import type { Decision, SharingPolicy, Subscriber } from "@takitini/policies";
import type { IntelligenceEvent } from "@takitini/proto";
import { policyInput } from "../projection.js";
import { safeDecide } from "../plan.js";

/**
 * Impact analysis: the same events decided by the current policy and by a
 * candidate, and what would change for each subscriber — so the oversight body
 * can review a policy change before it ships. Pure: events and two policies in,
 * a report out (`npm run policy:impact` is the Kafka shell around it).
 */

export const CHANGE_KINDS = ["newly_shared", "newly_withheld", "view_changed", "redaction_changed", "reasons_changed"] as const;
export type ChangeKind = (typeof CHANGE_KINDS)[number];

const CHANGE_LABEL: Record<ChangeKind, string> = {
  newly_shared: "newly shared",
  newly_withheld: "newly withheld",
  view_changed: "view changed",
  redaction_changed: "redaction changed",
  reasons_changed: "same outcome, other rule or legal basis",
};

export type DecisionSummary = Pick<Decision, "allow" | "view" | "redact" | "reasons" | "legal_basis">;

export interface ImpactChange {
  kind: ChangeKind;
  event_id: string;
  event_type: string;
  region: string;
  before: DecisionSummary;
  after: DecisionSummary;
  /** Paths the candidate removes that the current policy does not (both allowed). */
  newly_redacted: string[];
  /** Paths the current policy removes that the candidate no longer does (both allowed). */
  no_longer_redacted: string[];
}

export interface SubscriberImpact {
  subscriber: string;
  tier: string;
  /** Registered in the current / candidate data (a subscriber in only one is decided as unknown by the other). */
  in_current: boolean;
  in_candidate: boolean;
  decided: number;
  unchanged: number;
  changes: Record<ChangeKind, ImpactChange[]>;
}

export interface ImpactReport {
  events: number;
  current_revision: string;
  candidate_revision: string;
  subscribers: SubscriberImpact[];
}

const summary = (d: Decision): DecisionSummary => ({ allow: d.allow, view: d.view, redact: d.redact, reasons: d.reasons, legal_basis: d.legal_basis });

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/** How one decision changed, or undefined if it did not. Pure. */
export function classify(before: DecisionSummary, after: DecisionSummary): ChangeKind | undefined {
  if (!before.allow && after.allow) return "newly_shared";
  if (before.allow && !after.allow) return "newly_withheld";
  if (before.view !== after.view) return "view_changed";
  if (!sameList([...before.redact].sort(), [...after.redact].sort())) return "redaction_changed";
  if (!sameList(before.reasons, after.reasons) || before.legal_basis !== after.legal_basis) return "reasons_changed";
  return undefined;
}

const code = (value: string, prefix: string) => (value.startsWith(prefix) ? value.slice(prefix.length) : value);

/** Decide every event for every subscriber of either policy, with both, and collect what differs. Pure. */
export function compareDecisions(events: readonly IntelligenceEvent[], current: SharingPolicy, candidate: SharingPolicy): ImpactReport {
  const byId = new Map<string, { subscriber: Subscriber; inCurrent: boolean; inCandidate: boolean }>();
  for (const s of current.subscribers()) byId.set(s.id, { subscriber: s, inCurrent: true, inCandidate: false });
  for (const s of candidate.subscribers()) {
    const known = byId.get(s.id);
    if (known) known.inCandidate = true;
    else byId.set(s.id, { subscriber: s, inCurrent: false, inCandidate: true });
  }
  const subscribers: SubscriberImpact[] = [...byId.values()]
    .sort((a, b) => (a.subscriber.id < b.subscriber.id ? -1 : 1))
    .map(({ subscriber, inCurrent, inCandidate }) => ({
      subscriber: subscriber.id,
      tier: subscriber.tier,
      in_current: inCurrent,
      in_candidate: inCandidate,
      decided: 0,
      unchanged: 0,
      changes: Object.fromEntries(CHANGE_KINDS.map((k) => [k, [] as ImpactChange[]])) as Record<ChangeKind, ImpactChange[]>,
    }));

  for (const event of events) {
    for (const impact of subscribers) {
      const input = policyInput(event, impact.subscriber);
      const before = summary(safeDecide(current.decide, input, current.revision));
      const after = summary(safeDecide(candidate.decide, input, candidate.revision));
      impact.decided++;
      const kind = classify(before, after);
      if (kind === undefined) {
        impact.unchanged++;
        continue;
      }
      // Path by path only between two views the subscriber gets (a withheld event loses everything).
      const both = before.allow && after.allow;
      const removedBefore = new Set(both && before.view === "redacted" ? before.redact : []);
      const removedAfter = new Set(both && after.view === "redacted" ? after.redact : []);
      impact.changes[kind].push({
        kind,
        event_id: event.id,
        event_type: event.eventType,
        region: code(event.region, "POLICE_DISTRICT_"),
        before,
        after,
        newly_redacted: [...removedAfter].filter((p) => !removedBefore.has(p)).sort(),
        no_longer_redacted: [...removedBefore].filter((p) => !removedAfter.has(p)).sort(),
      });
    }
  }
  return { events: events.length, current_revision: current.revision, candidate_revision: candidate.revision, subscribers };
}

const outcome = (d: DecisionSummary) => (d.allow ? `${d.view} under ${d.reasons.join(", ")}` : `none (${d.reasons.join(", ")})`);

function describe(change: ImpactChange): string {
  const head = `${change.event_id} ${change.event_type} ${change.region}: ${outcome(change.before)} → ${outcome(change.after)}`;
  const details: string[] = [];
  if (change.newly_redacted.length > 0) details.push(`now removes ${change.newly_redacted.join(", ")}`);
  if (change.no_longer_redacted.length > 0) details.push(`no longer removes ${change.no_longer_redacted.join(", ")}`);
  if (change.kind === "reasons_changed" && change.before.legal_basis !== change.after.legal_basis) details.push(`legal basis now "${change.after.legal_basis}"`);
  return details.length > 0 ? `${head}; ${details.join("; ")}` : head;
}

/** The report as text for a reviewer: per subscriber, each kind of change with a count and examples. Pure. */
export function renderImpact(report: ImpactReport, examples = 5): string {
  const lines = [
    `Policy impact over ${report.events} event(s)`,
    `  current   ${report.current_revision}`,
    `  candidate ${report.candidate_revision}`,
  ];
  const changed = report.subscribers.reduce((n, s) => n + s.decided - s.unchanged, 0);
  lines.push(changed === 0 ? "  no decision changes." : `  ${changed} of ${report.subscribers.reduce((n, s) => n + s.decided, 0)} decisions change.`);
  for (const s of report.subscribers) {
    const registered = s.in_current && s.in_candidate ? "" : s.in_candidate ? " — new in the candidate" : " — removed by the candidate";
    lines.push("", `${s.subscriber} (${s.tier.replace("_", " ")})${registered}`);
    if (s.unchanged === s.decided) {
      lines.push(`  no changes (${s.unchanged} decisions)`);
      continue;
    }
    for (const kind of CHANGE_KINDS) {
      const changes = s.changes[kind];
      if (changes.length === 0) continue;
      lines.push(`  ${CHANGE_LABEL[kind].padEnd(40)} ${String(changes.length).padStart(6)}`);
      for (const c of changes.slice(0, examples)) lines.push(`      ${describe(c)}`);
      if (changes.length > examples) lines.push(`      … and ${changes.length - examples} more`);
    }
    lines.push(`  ${"unchanged".padEnd(40)} ${String(s.unchanged).padStart(6)}`);
  }
  return lines.join("\n");
}
