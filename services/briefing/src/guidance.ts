import { ENGLISH, type Messages } from "./messages.js";

/**
 * The plain-language part of each briefing section (June 2025 report §58–62):
 * what drives the harm, how to spot it, and who to tell and how. Written for a
 * community reader, not an analyst. Static text: no figures, no places, no
 * names. The words are in the catalogues (`locales/*.json`: `guidance.*`,
 * `contact.*`, `label.*`, `service.*`); this says which go where. Pure.
 */

export interface Contact {
  label: string;
  how: string;
}

export interface Guidance {
  drivers: string[];
  watchFor: string[];
  report: Contact[];
}

export type GuidanceSection = "drugs" | "exploitation" | "fraud" | "support" | "operations";

/** Who to tell, per section: contact keys in the catalogues. */
const REPORT: Record<GuidanceSection, string[]> = {
  drugs: ["emergency", "police", "crimestoppers", "drugHelp"],
  exploitation: ["emergency", "exploitation", "crimestoppers"],
  fraud: ["moneySent", "scam", "police"],
  support: ["whanauSupport", "talk", "childUnsafe"],
  operations: ["emergency", "police", "crimestoppers"],
};

export const GUIDANCE_SECTIONS = Object.keys(REPORT) as GuidanceSection[];

export function guidance(section: GuidanceSection, m: Messages = ENGLISH): Guidance {
  return {
    drivers: m.list(`guidance.${section}.drivers`),
    watchFor: m.list(`guidance.${section}.watchFor`),
    report: REPORT[section].map((c) => ({ label: m.t(`contact.${c}`), how: m.t(`contact.${c}.how`) })),
  };
}

/** The readable name of a code the mesh counts by; a code no catalogue names yet (new in the data) is shown as itself. */
export function label(code: string, m: Messages = ENGLISH): string {
  const key = `label.${code === "" ? "all" : code}`;
  return m.has(key) ? m.t(key) : code.replaceAll("_", " ").replace(/^./, (c) => c.toUpperCase());
}

/** What a support service is, for the "services available" list. */
export function serviceDescription(code: string, m: Messages = ENGLISH): string {
  return m.has(`service.${code}`) ? m.t(`service.${code}`) : "";
}
