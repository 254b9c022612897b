import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { parseRegistry } from "@takitini/policies";
import { Accounts, createAccountGate, createLogger, createMetricsRegistry, parseAccounts, tokenHash } from "@takitini/runtime";
import { Agency, SubmissionKind, SubmissionNote, SubmissionReceipt } from "@takitini/proto";
import { buildApp } from "../app.js";
import { SubmissionQuota } from "../submissions/quota.js";
import { SubmissionIndex } from "../submissions/status.js";
import { audiencesFrom } from "../audiences.js";
import { leaderAccounts } from "../auth.js";
import type { Input } from "../inputs.js";
import { addWeeks } from "../periods.js";
import { AggregateStore } from "../store.js";

/**
 * The briefing's real HTTP door (buildApp: pages, sign-in, every word from the
 * catalogues) over in-memory aggregates holding a seeded, synthetic half-year
 * of Eastern's community records — what the accessibility checks and the docs'
 * screenshots look at. Nothing here is a real figure; the same seed gives the
 * same pages. Access records are counted, not written to Kafka.
 */

/** The moment the sample is seen at: week 2026-W47 is the last completed one. */
export const SAMPLE_NOW = new Date("2026-11-25T00:00:00Z");
export const SAMPLE_WEEK = "2026-W47";
export const SAMPLE_QUARTER = "2026-Q3";

/** A small deterministic generator (mulberry32), so the sample is the same every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 26 weeks of one region's aggregate views, a support notice and an agency's assessment, ending with `last`. */
export function sampleInputs(region = "EASTERN", last = SAMPLE_WEEK, seed = 47): Input[] {
  const r = random(seed);
  const between = (lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1));
  const out: Input[] = [];
  const agg = (eventType: string, week: string, measures: [string, string, number][], site?: string, locality?: string) =>
    out.push({ kind: "aggregate", deliveryId: randomUUID(), eventType, region, week, measures: measures.map(([measure, category, value]) => ({ measure, category, value })), ...(site && { site }), ...(locality && region === "EASTERN" && { locality }) });
  // Where firearms seizures and complaints were (registered Eastern localities, or none; other regions' records name
  // none), by the record's place in its week — not drawn from the generator, so every other figure stays as it was.
  // Fraud and scams from a generator of their own, so the figures above stay as they were.
  const f = random(seed + 1_000);
  const fb = (lo: number, hi: number) => lo + Math.floor(f() * (hi - lo + 1));
  const SCAMS = [["impersonation", "phone_call", 3, 8], ["online_shopping", "online_marketplace", 4, 9], ["phishing_remote_access", "text_message", 3, 7], ["investment", "social_media", 0, 3]] as const;
  const FIREARMS_AT = ["Hastings", "Hastings", "Hastings", "Hastings", "Hastings", "Hastings", "Wairoa", "", "Napier"];
  const COMPLAINTS_AT: Record<string, (k: number) => string> = { horticulture: () => "Hastings", construction: () => "Gisborne", hospitality: (k) => (k === 1 ? "" : "Napier") };
  for (let i = 25; i >= 0; i--) {
    const week = addWeeks(last, -i);
    for (const [commodity, lo, hi] of [["methamphetamine", 6, 14], ["cocaine", 1, 4], ["mdma", 5, 9], ["precursors", 0, 2]] as const) {
      for (let k = between(lo, hi); k > 0; k--) agg("customs.border_seizure", week, [["seizures", commodity, 1], ["grams", commodity, between(20, 900)]]);
    }
    for (let k = between(6, 9); k > 0; k--) agg("police.firearms_seizure", week, [["seizures", "firearms", 1], ["firearms", "firearms", between(1, 3)]], undefined, FIREARMS_AT[k - 1]);
    for (const [industry, lo, hi] of [["horticulture", 5, 10], ["construction", 6, 8], ["hospitality", 1, 4]] as const) {
      for (let k = between(lo, hi); k > 0; k--) agg("mbie.exploitation_complaint", week, [["complaints", industry, 1], ["workers", industry, between(1, 6)]], undefined, COMPLAINTS_AT[industry]!(k));
    }
    for (const service of ["whanau_navigation", "addiction_treatment", "rangatahi_mentoring"]) {
      for (let k = between(6, 10); k > 0; k--) agg("msd.whanau_support_referral", week, [["referrals", service, 1], ["whanau", service, 1], ["children", service, between(0, 4)]]);
      agg("msd.community_resilience_report", week, [["people_served", service, between(20, 60)], ["sessions", service, between(8, 20)]]);
    }
    // Methamphetamine in wastewater halves after the first 13 weeks (as in Ōpōtiki after Operation Highwater).
    agg("police.wastewater_indicator", week, [["estimated_weekly_grams", "methamphetamine", (i >= 13 ? 1000 : 500) + between(-40, 40)]]);
    // …and at one named treatment site (a registered site with a large enough catchment).
    agg("police.wastewater_indicator", week, [["estimated_weekly_grams", "methamphetamine", (i >= 13 ? 400 : 200) + between(-20, 20)]], "Gisborne");
    agg("police.wastewater_indicator", week, [["estimated_weekly_grams", "cocaine", 60 + between(-10, 10)]]);
    agg("police.wastewater_indicator", week, [["estimated_weekly_grams", "mdma", 120 + between(-15, 15)]]);
    // Scams reported to Police (losses already rounded to $100 by the exchange), FIU summaries, asset restraints.
    for (const [category, channel, lo, hi] of SCAMS) {
      for (let k = fb(lo, hi); k > 0; k--) agg("police.scam_report", week, [["reports", category, 1], ["reports_by_channel", channel, 1], ["loss_nzd", category, f() < 0.35 ? 0 : fb(1, 200) * 100]], undefined, k % 3 === 0 ? "Hastings" : "");
    }
    for (let k = fb(6, 9); k > 0; k--) {
      const sector = k % 3 === 0 ? "money_service" : "bank";
      const reports = fb(1, 4);
      agg("police.fiu_suspicious_activity", week, [["reports", sector, reports], ["reports_by_typology", k % 2 === 0 ? "structuring" : "money_mule_accounts", reports]]);
    }
    for (let k = fb(0, 7); k > 0; k--) agg("police.asset_restraint", week, [["assets_restrained", "vehicle", 1], ["value_nzd_restrained", "vehicle", fb(8, 90) * 1_000], ["assets_restrained", "cash", 1], ["value_nzd_restrained", "cash", fb(2, 60) * 1_000]]);
  }
  out.push({ kind: "notice", deliveryId: randomUUID(), region, week: last, phase: "resolution", stage: "clear", families: "10_to_19", children: "20_to_49", support: ["whanau_navigation", "addiction_treatment"] });
  out.push({
    kind: "assessment",
    deliveryId: randomUUID(),
    region,
    agency: "police",
    title: "Methamphetamine harm in the region, July to September",
    periodStart: "2026-07-01",
    periodEnd: "2026-09-30",
    body: "Methamphetamine in wastewater halved over the quarter after the supply network was disrupted.\nHarm remains above the national average, and agencies expect attempts to re-establish supply before summer.",
    keyPoints: ["Wastewater methamphetamine halved.", "Supply was disrupted in August."],
    recommendedActions: ["Share where whānau can find addiction support.", "Tell Police what you see."],
    approverRole: "District Commander",
    approvalRef: "POLICE-RA-APP-2026-031",
  });
  return out;
}

export interface SampleApp {
  base: string;
  /** An Eastern community leader's token (sign in with it at /login). */
  token: string;
  /** How many access records the pages served would have written. */
  accessRecords: () => number;
  close: () => Promise<void>;
}

/** The briefing app on 127.0.0.1 (a free port), over the sample. */
const SAMPLE_TOPICS = { intel: "sample.intel.community", notes: "sample.briefing-submissions", access: "sample.access" };

export async function startSampleApp(o: { policyData?: URL } = {}): Promise<SampleApp> {
  const registry = parseRegistry(readFileSync(o.policyData ?? new URL("../../../../policies/data/subscribers.json", import.meta.url), "utf8"));
  const audiences = audiencesFrom(registry, { publicSubscriber: "public" });
  const leaders = new AggregateStore();
  const everyone = new AggregateStore();
  for (const input of sampleInputs()) {
    leaders.apply(input);
    everyone.apply(input);
  }
  const stores = new Map([
    ["community-eastern", leaders],
    ["public", everyone],
  ]);
  const token = `sample-leader-${randomUUID()}`;
  const logger = createLogger("briefing-sample", "silent");
  const accounts = parseAccounts(JSON.stringify({ [tokenHash(token)]: "community-eastern" }), "sample leaders", leaderAccounts).accounts;
  const gate = createAccountGate(new Accounts(accounts), { sessionTtlMs: 3_600_000, sessionIdleMs: 3_600_000, freeFailures: 50, backoffBaseMs: 1000, backoffMaxMs: 1000, cacheTtlMs: 60_000 }, logger);
  let recorded = 0;
  const submissions = new SubmissionIndex();
  const { app } = buildApp({
    logger,
    metrics: createMetricsRegistry("briefing_sample"),
    readiness: [],
    audiences,
    store: (id) => stores.get(id) ?? new AggregateStore(),
    caughtUp: () => true,
    secret: Buffer.from("takitini sample briefing: not a real rounding secret"),
    gate,
    cookieSecure: false,
    recordAccess: async () => void recorded++,
    now: () => SAMPLE_NOW,
    // Leaders talk back: what is "written" is noted at once, and the exchange's receipt simulated by kind.
    submissions: {
      index: submissions,
      write: async (records) => {
        for (const r of records) {
          for (const m of r.messages) {
            if (r.topic !== SAMPLE_TOPICS.notes) continue;
            const note = SubmissionNote.decode(m.value as Buffer);
            const sharedWith = note.kind === SubmissionKind.SUBMISSION_KIND_SUPPORT_NEED ? [Agency.AGENCY_MSD] : [Agency.AGENCY_POLICE];
            submissions.receipt(SubmissionReceipt.fromPartial({ reference: note.reference, subscriberId: note.subscriberId, sharedWith, decidedAt: SAMPLE_NOW }));
          }
        }
      },
      quota: new SubmissionQuota({ max: 1000, windowMs: 60_000 }),
      topics: SAMPLE_TOPICS,
      organisation: (id) => registry[id]?.name ?? id,
      ready: () => true,
    },
  });
  await app.listen({ host: "127.0.0.1", port: 0 });
  return {
    base: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    token,
    accessRecords: () => recorded,
    close: async () => {
      gate.stop();
      await app.close();
    },
  };
}
