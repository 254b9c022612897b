/**
 * The naming convention of the agencies' topics: `[<prefix>.]intel.<agency>.v<N>`
 * (`takitini.intel.police.v1`; tests use per-run prefixes). The agency a topic
 * belongs to is read from its name only — never from what is published on it.
 */
const INTEL_TOPIC = /(?:^|\.)intel\.([a-z][a-z0-9-]*)\.v\d+$/;

/** The agency code (lowercase, e.g. "police") whose intelligence topic this is, if it is one. Pure. */
export function intelTopicAgency(topic: string): string | undefined {
  return INTEL_TOPIC.exec(topic)?.[1];
}
