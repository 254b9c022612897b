import { LinkRule } from "@takitini/proto";
import type { NormalisedSubject, SubjectKind } from "./normalise.js";

/** A deterministic rule: two subjects link when they share its key. */
export interface RuleDefinition {
  readonly rule: LinkRule;
  /** How sure a link by this rule is, 0 to 1: carried on the link and its alert. */
  readonly confidence: number;
  /** The kind of subject it applies to: a rule never compares a person with an organisation. */
  readonly kind: SubjectKind;
  readonly description: string;
}

/**
 * The rules, strongest first. A pair of subjects is linked once, by the first
 * rule here whose key they share. A person's phone is not a rule: households,
 * workplaces and burner phones are shared, and a phone alone would link
 * strangers. No rule reads an organisation's name: names of companies are
 * reused and abbreviated too freely to identify one, and a company named as a
 * person is named ("Hemi Tawhiri") is not that person.
 */
export const RULES: readonly RuleDefinition[] = [
  { rule: LinkRule.LINK_RULE_IDENTITY_DOCUMENT, confidence: 0.99, kind: "PERSON", description: "the same identity document: kind, issuing country and number" },
  { rule: LinkRule.LINK_RULE_COMPANY_REGISTRATION, confidence: 0.98, kind: "ORGANISATION", description: "the same NZBN, or the same Companies Office number" },
  { rule: LinkRule.LINK_RULE_VEHICLE_PLATE, confidence: 0.9, kind: "VEHICLE", description: "the same plate" },
  { rule: LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH, confidence: 0.9, kind: "PERSON", description: "the same full name or alias (two or more name tokens) and the same date of birth" },
];

const BY_RULE = new Map(RULES.map((r, strength) => [r.rule, { ...r, strength }]));

function definition(rule: LinkRule) {
  const d = BY_RULE.get(rule);
  if (!d) throw new RangeError(`no such rule: ${rule}`);
  return d;
}

/** A rule's confidence. */
export function confidenceOf(rule: LinkRule): number {
  return definition(rule).confidence;
}

/** A rule's rank: 0 for the strongest. Of two rules, the lower rank wins. */
export function strengthOf(rule: LinkRule): number {
  return definition(rule).strength;
}

/** The stronger of two rules. */
export function strongerRule(a: LinkRule, b: LinkRule): LinkRule {
  return strengthOf(a) <= strengthOf(b) ? a : b;
}

/** What a rule hashes for one subject: its normalised values, in a fixed order. */
export interface MatchKeyInput {
  readonly rule: LinkRule;
  readonly values: readonly string[];
}

/**
 * Every rule key of a subject, without repeats: a person's documents (kind,
 * country, number) and, when it has a date of birth, each of its names of two
 * tokens or more with that date; an organisation's registration (which
 * register, number); a vehicle's plate. Pure.
 */
export function matchKeysOf(subject: NormalisedSubject): MatchKeyInput[] {
  const keys: MatchKeyInput[] = [];
  switch (subject.kind) {
    case "PERSON":
      for (const d of subject.documents) keys.push({ rule: LinkRule.LINK_RULE_IDENTITY_DOCUMENT, values: [d.kind, d.country, d.number] });
      if (subject.dateOfBirth !== undefined)
        for (const n of subject.names) if (!n.weak) keys.push({ rule: LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH, values: [n.key, subject.dateOfBirth] });
      break;
    case "ORGANISATION":
      if (subject.registration) keys.push({ rule: LinkRule.LINK_RULE_COMPANY_REGISTRATION, values: [subject.registration.kind, subject.registration.number] });
      break;
    case "VEHICLE":
      if (subject.plate !== undefined) keys.push({ rule: LinkRule.LINK_RULE_VEHICLE_PLATE, values: [subject.plate] });
      break;
  }
  // normaliseSubjects already drops repeated names and documents; a key is hashed once regardless.
  const seen = new Set<string>();
  return keys.filter((k) => {
    // No normalised value holds a NUL: joined on it, different keys stay different.
    const id = `${k.rule}\u0000${k.values.join("\u0000")}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
