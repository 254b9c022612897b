import { Writable } from "node:stream";
import {
  Agency,
  Classification,
  ClearHoldBuildPhase,
  Commodity,
  HandlingCaveat,
  agencyToJSON,
  IdentityDocumentKind,
  Industry,
  IntelligenceEvent,
  INTEL_SCHEMA_VERSION,
  OperationPhase,
  PoliceDistrict,
  SubjectRole,
  SupportService,
  type Subject,
} from "@takitini/proto";
import { loadSharingPolicy } from "@takitini/policies";
import { Accounts, createAccountGate, createLogger, createMetricsRegistry, isoWeekOf, parseAccounts } from "@takitini/runtime";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { planRecord } from "../../services/exchange/dist/plan.js";
import { buildApp } from "../../services/briefing/dist/app.js";
import { audiencesFrom } from "../../services/briefing/dist/audiences.js";
import { leaderAccounts, tokenHash } from "../../services/briefing/dist/auth.js";
import { assembleBriefing } from "../../services/briefing/dist/briefing.js";
import { atomFeed } from "../../services/briefing/dist/atom.js";
import { digestKey, digestMessage } from "../../services/briefing/dist/digest.js";
import { briefingText, digestEmail } from "../../services/briefing/dist/email.js";
import { briefingPage } from "../../services/briefing/dist/html.js";
import { decodeInput } from "../../services/briefing/dist/inputs.js";
import { quarterOfWeek } from "../../services/briefing/dist/periods.js";
import { REGIONS } from "../../services/briefing/dist/regions.js";
import { AggregateStore } from "../../services/briefing/dist/store.js";
import { SubmissionQuota } from "../../services/briefing/dist/submissions/quota.js";
import { SubmissionIndex } from "../../services/briefing/dist/submissions/status.js";
import { submissionEvent, type Submission } from "../../services/briefing/dist/submissions/submission.js";

/**
 * Never an identifier: thousands of generated events, each carrying planted
 * names, plates, phone and document numbers in every field that could hold
 * them, go through the real pure path — the exchange's planRecord with the real
 * compiled policy, the community tiers' messages, the briefing's aggregation —
 * and out as rendered HTML, JSON, digests and the briefing's own log lines.
 * None of the planted strings may appear in any of them — nor in what the
 * community topics themselves hold (every record's value, key and headers, the
 * de-identified support notices among them), where no event id, native record
 * id or decision id may appear either: community outputs carry random delivery ids.
 * Leaders' own submissions carry the planted strings in their words and place:
 * they go through the real briefing door and the exchange's plan too, and may
 * reach no community topic, no receipt, no status page or API answer, no log line.
 */

const SECRET = Buffer.from("property-test rounding secret, 32+ bytes");
const RECEIPTS = "takitini.community-receipts.v1";
const TOKEN = "property-test-leader-token-0123456789";
const DISTRICTS = REGIONS.map((r) => r.district);

interface Planted {
  name: string;
  plate: string;
  phone: string;
  document: string;
}

// Distinctive shapes, so a match can only be a leak: names start "Xq", plates and documents are letter+digit runs.
const SHAPES = {
  name: /Xq[a-zāēīōū]{4,8} [A-Z][a-zāēīōū]{4,8}/,
  plate: /[A-Z]{3}[0-9]{3}/,
  phone: /02[1-9] [0-9]{3} [0-9]{4}/,
  document: /[A-Z]{2}[0-9]{6}/,
} satisfies Record<keyof Planted, RegExp>;
const whole = (shape: RegExp) => new RegExp(`^${shape.source}$`);
const planted: fc.Arbitrary<Planted> = fc.record({
  name: fc.tuple(fc.stringMatching(/^Xq[a-zāēīōū]{4,8}$/), fc.stringMatching(/^[A-Z][a-zāēīōū]{4,8}$/)).map(([a, b]) => `${a} ${b}`),
  plate: fc.stringMatching(whole(SHAPES.plate)),
  phone: fc.stringMatching(whole(SHAPES.phone)),
  document: fc.stringMatching(whole(SHAPES.document)),
});

/**
 * The planted strings that occur anywhere in `text`. Exact, and one scan of `text` per kind
 * instead of one per planted string (the outputs are megabytes and a run plants hundreds):
 * every occurrence of a planted string begins where its kind's shape begins, so only those
 * places are compared. A planted string not of its kind's shape throws, rather than going
 * unchecked.
 */
function plantedIn(text: string, people: readonly Planted[]): string[] {
  const found = new Set<string>();
  for (const kind of Object.keys(SHAPES) as (keyof Planted)[]) {
    const strings = [...new Set(people.map((p) => p[kind]))];
    for (const s of strings) if (!whole(SHAPES[kind]).test(s)) throw new Error(`planted ${kind} "${s}" is not of its shape ${SHAPES[kind]}`);
    if (strings.length === 0) continue;
    for (const m of text.matchAll(new RegExp(`(?=${SHAPES[kind].source})`, "g"))) {
      for (const s of strings) if (text.startsWith(s, m.index)) found.add(s);
    }
  }
  return [...found];
}

const person = (p: Planted, i: number): Subject => ({
  entity: {
    $case: "person",
    value: { subjectId: `prop/person/${i}`, fullName: p.name, aliases: [p.name.split(" ")[0]!], dateOfBirth: "1990-01-01", address: `${p.phone.slice(4, 7)} ${p.name} Road`, phoneNumbers: [p.phone], documents: [{ kind: IdentityDocumentKind.IDENTITY_DOCUMENT_KIND_PASSPORT, number: p.document, issuingCountry: "NZ" }], role: SubjectRole.SUBJECT_ROLE_VICTIM, isMinor: false },
  },
});
const vehicle = (p: Planted, i: number): Subject => ({ entity: { $case: "vehicle", value: { subjectId: `prop/vehicle/${i}`, plate: p.plate, make: "Toyota", model: "Hilux", colour: "silver" } } });

const TEXT = (p: Planted) => `${p.name} ${p.plate} ${p.phone} ${p.document}`;

type Kind = "seizure" | "firearms" | "wastewater" | "complaint" | "referral" | "resilience" | "operation" | "submission";

const eventArb = fc.record({
  kind: fc.constantFrom<Kind>("seizure", "firearms", "wastewater", "complaint", "referral", "resilience", "operation", "submission"),
  submission: fc.constantFrom<Pick<Submission, "kind" | "topic">>({ kind: "observation", topic: "drug_supply" }, { kind: "observation", topic: "exploitation" }, { kind: "support_need" }, { kind: "briefing_feedback" }),
  district: fc.constantFrom(...DISTRICTS.slice(4, 8)), // Waikato, Bay of Plenty, Eastern, Central: Eastern's leaders see a quarter of it
  weeksAgo: fc.integer({ min: 1, max: 20 }),
  n: fc.integer({ min: 0, max: 40 }),
  people: fc.array(planted, { minLength: 1, maxLength: 3 }),
});

let seq = 0;
type EventSpec = typeof eventArb extends fc.Arbitrary<infer T> ? T : never;
function toEvent(e: EventSpec, now: Date): IntelligenceEvent {
  const p = e.people[0]!;
  const when = new Date(now.getTime() - e.weeksAgo * 7 * 86_400_000);
  const week = isoWeekOf(when);
  const subjects = [...e.people.map(person), ...e.people.map(vehicle)];
  const base = {
    id: `00000000-0000-4000-8000-${String(++seq).padStart(12, "0")}`,
    occurredAt: when,
    publishedAt: when,
    region: e.district,
    classification: Classification.CLASSIFICATION_IN_CONFIDENCE,
    handling: { caveats: [], releasableTo: [], releasableToCountries: [] },
    sourceRecordId: `REC-${p.document}`,
    subjects,
  };
  switch (e.kind) {
    case "seizure":
      return IntelligenceEvent.fromPartial({ ...base, sourceAgency: Agency.AGENCY_CUSTOMS, eventType: "customs.border_seizure", payload: { $case: "customsBorderSeizure", value: { commodity: Commodity.COMMODITY_METHAMPHETAMINE, weightGrams: e.n * 10, units: 0, originCountry: "US", consigneeSubjectId: "prop/person/0", caseRef: `CASE-${p.document}` } } });
    case "firearms":
      return IntelligenceEvent.fromPartial({ ...base, sourceAgency: Agency.AGENCY_POLICE, eventType: "police.firearms_seizure", classification: Classification.CLASSIFICATION_RESTRICTED, handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY], releasableTo: [], releasableToCountries: [] }, payload: { $case: "policeFirearmsSeizure", value: { firearmsCount: e.n % 7, firearmTypes: [], ammunitionRounds: 0, locality: p.name, linkedGroup: TEXT(p), underWarrant: true } } });
    case "wastewater":
      return IntelligenceEvent.fromPartial({ ...base, subjects: [], sourceAgency: Agency.AGENCY_POLICE, eventType: "police.wastewater_indicator", classification: Classification.CLASSIFICATION_UNCLASSIFIED, payload: { $case: "policeWastewaterIndicator", value: { site: TEXT(p), drug: Commodity.COMMODITY_METHAMPHETAMINE, sampleWeek: week, estimatedWeeklyGrams: 10 + e.n, populationServed: 5000 } } });
    case "complaint":
      return IntelligenceEvent.fromPartial({ ...base, sourceAgency: Agency.AGENCY_MBIE, eventType: "mbie.exploitation_complaint", payload: { $case: "mbieExploitationComplaint", value: { complaintRef: `LI-${p.document}`, industry: Industry.INDUSTRY_HORTICULTURE, indicators: [], workersAffected: e.n, employerSubjectId: "prop/person/0", locality: TEXT(p) } } });
    case "referral":
      return IntelligenceEvent.fromPartial({ ...base, sourceAgency: Agency.AGENCY_MSD, eventType: "msd.whanau_support_referral", payload: { $case: "msdWhanauSupportReferral", value: { referralBatchRef: `RB-${p.document}`, service: SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION, whanauCount: e.n % 9, childrenCount: e.n, referralWeek: week, provider: TEXT(p) } } });
    case "resilience":
      return IntelligenceEvent.fromPartial({ ...base, subjects: [], sourceAgency: Agency.AGENCY_MSD, eventType: "msd.community_resilience_report", payload: { $case: "msdCommunityResilienceReport", value: { programme: TEXT(p), provider: p.name, periodStart: "2026-01-01", periodEnd: "2026-03-31", fundingCents: "100000", services: [{ service: SupportService.SUPPORT_SERVICE_RANGATAHI_MENTORING, peopleServed: e.n, sessions: e.n * 2 }] } } });
    case "submission": {
      // A leader's submission as the briefing's door publishes it: their words and place hold the planted identifiers.
      const region = REGIONS.find((r) => r.district === e.district)!;
      return submissionEvent(
        { ...e.submission, region: region.slug, text: `${TEXT(p)} seen at ${p.name}'s house`, locality: p.name, week: e.submission.kind === "briefing_feedback" ? week : "" },
        { reference: `TK-${p.document.slice(0, 4)}-${p.document.slice(4, 8).padEnd(4, "0")}`, eventId: base.id, region, subscriberId: `community-${region.slug}`, organisation: "leaders", account: p.name, now: when },
      );
    }
    case "operation":
      return IntelligenceEvent.fromPartial({
        ...base,
        operationRef: `Operation ${p.name}`,
        sourceAgency: Agency.AGENCY_POLICE,
        eventType: "police.operation_update",
        classification: Classification.CLASSIFICATION_RESTRICTED,
        handling: { caveats: [HandlingCaveat.HANDLING_CAVEAT_LAW_ENFORCEMENT_ONLY], releasableTo: [], releasableToCountries: [] },
        payload: { $case: "policeOperationUpdate", value: { codeName: `Operation ${p.name}`, phase: OperationPhase.OPERATION_PHASE_RESOLUTION, clearHoldBuild: ClearHoldBuildPhase.CLEAR_HOLD_BUILD_PHASE_CLEAR, targetGroup: TEXT(p), arrests: e.n, charges: e.n * 3, familiesAffected: e.n % 13, childrenAffected: e.n, supportNeeded: [SupportService.SUPPORT_SERVICE_WHANAU_NAVIGATION], summary: `${TEXT(p)} arrested`, localities: [p.name] } },
      });
  }
}

let policy: Awaited<ReturnType<typeof loadSharingPolicy>>;
beforeAll(async () => {
  policy = await loadSharingPolicy();
});

describe("the leak search", () => {
  it("finds exactly the planted strings a naive search finds, anywhere in the text", () => {
    const piece = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom("Xq", "02", "AB", " ", "1"));
    fc.assert(
      fc.property(fc.array(planted, { minLength: 1, maxLength: 4 }), fc.array(fc.tuple(piece, fc.nat()), { maxLength: 12 }), (people, pieces) => {
        const strings = people.flatMap((p) => [p.name, p.plate, p.phone, p.document]);
        // Planted strings (whole, or cut short) between arbitrary text, some touching each other.
        const text = pieces.map(([t, i]) => (i % 3 === 0 ? t : i % 3 === 1 ? strings[i % strings.length]! : strings[i % strings.length]!.slice(0, -1) + t)).join("");
        expect(plantedIn(text, people).sort()).toEqual([...new Set(strings.filter((s) => text.includes(s)))].sort());
      }),
      { numRuns: 500 },
    );
  });

  it("refuses a planted string not of its kind's shape", () => {
    expect(() => plantedIn("", [{ name: "Ann Smith", plate: "ABC123", phone: "021 123 4567", document: "AB123456" }])).toThrow(/planted name/);
  });
});

describe("never an identifier in a briefing", () => {
  it("keeps planted names, plates, phone and document numbers out of every page, API response, digest, digest email, Atom feed and log line", async () => {
    const subscribers = policy.subscribers();
    const registry = Object.fromEntries(subscribers.map(({ id, ...rest }) => [id, rest]));
    const audiences = audiencesFrom(registry, { publicSubscriber: "public" });
    const community = [...audiences.leaders.values(), audiences.public];
    const now = new Date();
    let reached = 0;
    let notices = 0;
    let receipts = 0;
    let submitted = 0;

    await fc.assert(
      fc.asyncProperty(fc.array(eventArb, { minLength: 80, maxLength: 120 }), async (generated) => {
        const stores = new Map(community.map((a) => [a.subscriberId, new AggregateStore()]));
        const index = new SubmissionIndex();
        const noteWire: Buffer[] = [];
        const secrets: string[] = [];
        const people: Planted[] = [];
        const wire: Buffer[] = [];
        const links: string[] = [];
        for (const g of generated) {
          const event = toEvent(g, now);
          for (const person of g.people) secrets.push(person.name, person.plate, person.phone, person.document);
          people.push(...g.people);
          const plan = planRecord(
            { topic: `takitini.intel.${agencyToJSON(event.sourceAgency).replace("AGENCY_", "").toLowerCase()}.v1`, partition: 0, offset: String(seq), key: Buffer.from(event.id), value: Buffer.from(IntelligenceEvent.encode(event).finish()), headers: { "event-type": event.eventType, "schema-version": INTEL_SCHEMA_VERSION } },
            subscribers,
            policy.decide,
            { auditTopic: "audit", deadLetterTopic: "dlq", policyRevision: policy.revision, now, consumer: "prop", receiptsTopic: RECEIPTS },
          );
          if (plan.kind !== "disseminate") throw new Error(`unexpected dead letter: ${plan.reason}`);
          // A submission's reference is the leader's own (its receipt carries it back to them); any other native id is not.
          links.push(event.id, ...(event.sourceAgency === Agency.AGENCY_COMMUNITY ? [] : [event.sourceRecordId]), ...plan.decisions.map((d) => d.id));
          for (const m of plan.messages) {
            // A submission's receipt goes to the briefing, for the leader's status page: nothing of the words in it.
            if (m.topic === RECEIPTS) {
              receipts++;
              wire.push(m.value, Buffer.from(m.key), Buffer.from(JSON.stringify(m.headers)));
              continue;
            }
            const a = community.find((x) => x.topic === m.topic);
            if (!a) continue;
            // What the community topic holds, to the byte.
            wire.push(m.value, Buffer.from(m.key), Buffer.from(JSON.stringify(m.headers)));
            if (m.headers["event-type"] === "support.notice") notices++;
            const decoded = decodeInput(m.value, m.headers);
            if (decoded.ok && stores.get(a.subscriberId)!.apply(decoded.input)) reached++;
          }
        }

        const outputs: string[] = [];
        const logs: string[] = [];
        const logger = createLogger("briefing", "debug", new Writable({ write: (c, _e, cb) => (logs.push(String(c)), cb()) }));
        // The door only (buildApp gives the door and its admin listener); the leader signs in with a token (the old tokens format).
        const gate = createAccountGate(
          new Accounts(parseAccounts(JSON.stringify({ [tokenHash(TOKEN)]: "community-eastern" }), "test tokens", leaderAccounts).accounts),
          { sessionTtlMs: 60_000, sessionIdleMs: 60_000, freeFailures: 5, backoffBaseMs: 1000, backoffMaxMs: 60_000, cacheTtlMs: 60_000 },
          logger,
        );
        const { app } = buildApp({
          logger,
          metrics: createMetricsRegistry("briefing"),
          readiness: [],
          audiences,
          store: (id) => stores.get(id)!,
          caughtUp: () => true,
          secret: SECRET,
          gate,
          cookieSecure: false,
          recordAccess: async () => undefined,
          now: () => now,
          submissions: {
            index,
            // The transaction's records are what leaves the door: the event (for the exchange) is the leader's own words,
            // the note and the access record must hold none of them.
            write: async (records) => {
              for (const r of records) if (r.topic !== "intel") for (const m of r.messages) noteWire.push(m.value as Buffer, Buffer.from(JSON.stringify(m.headers ?? {})));
            },
            quota: new SubmissionQuota({ max: 1000, windowMs: 60_000 }),
            topics: { intel: "intel", notes: "notes", access: "access" },
            organisation: () => "Eastern community leaders",
            ready: () => true,
          },
        });
        const weeks = [...new Set(generated.map((g) => isoWeekOf(new Date(now.getTime() - g.weeksAgo * 7 * 86_400_000))))];
        // The leader submits the generated words through the door, then reads their statuses and pages.
        for (const g of generated.filter((x) => x.kind === "submission").slice(0, 5)) {
          const p = g.people[0]!;
          const res = await app.inject({ method: "POST", url: "/v1/submissions", headers: { authorization: `Bearer ${TOKEN}` }, payload: { region: "eastern", ...g.submission, text: `${TEXT(p)} near the school`, locality: p.name, ...(g.submission.kind === "briefing_feedback" ? { week: weeks[0] } : {}) } });
          if (res.statusCode !== 201) throw new Error(`submission refused: ${res.body}`);
          submitted++;
          outputs.push(res.body);
        }
        outputs.push((await app.inject({ url: "/v1/submissions", headers: { authorization: `Bearer ${TOKEN}` } })).body, (await app.inject({ url: "/submissions", headers: { authorization: `Bearer ${TOKEN}` } })).body);
        for (const a of community) {
          for (const region of a.scope.filter((r) => ["WAIKATO", "BAY_OF_PLENTY", "EASTERN", "CENTRAL"].includes(r.code))) {
            const periods = a.rules.period === "week" ? weeks : [...new Set(weeks.map(quarterOfWeek))];
            for (const period of periods) {
              const b = assembleBriefing({ store: stores.get(a.subscriberId)!, region, periodId: period, rules: a.rules, secret: SECRET, received: a.received });
              outputs.push(JSON.stringify(b), briefingPage(b, { json: "/x" }), digestMessage({ key: digestKey(region, a, period), audience: a, region, period }, b).value.toString("utf8"));
              // The new outputs: the digest email (text and HTML) and the Atom feed entry.
              const email = digestEmail({ briefing: b, from: "b@takitini.example", to: "leader@takitini.example", messageId: "<m@takitini.example>", pageUrl: "https://x/p", unsubscribeUrl: "https://x/u" });
              outputs.push(email.subject, email.text, email.html, atomFeed({ id: "tag:x,2026:f", title: "t", self: "https://x/f", alternate: "https://x/", author: "a", entries: [{ id: "tag:x,2026:e", title: b.region.name, link: "https://x/e", updated: new Date(0), content: briefingText(b).join("\n") }] }));
            }
          }
        }
        const statuses: number[] = [];
        for (const week of weeks.slice(0, 3)) {
          for (const url of [`/v1/briefings/eastern?week=${week}`, `/briefings/eastern?week=${week}`, `/v1/briefings/waikato?week=${week}`]) {
            const res = await app.inject({ url, headers: { authorization: `Bearer ${TOKEN}` } });
            statuses.push(res.statusCode);
            outputs.push(res.body);
          }
          outputs.push((await app.inject({ url: `/v1/public/eastern?quarter=${quarterOfWeek(week)}` })).body);
        }
        outputs.push(...logs);
        await app.close();
        gate.stop();
        // The leader's pages were served (not refused for want of a credential).
        expect(statuses).toContain(200);

        const leaked = plantedIn(outputs.join("\n"), people);
        if (leaked.length > 0) throw new Error(`planted ${leaked.map((s) => `"${s}"`).join(", ")} leaked`);
        const held = Buffer.concat([...wire, ...noteWire]);
        for (const s of new Set([...secrets, ...links])) {
          if (held.includes(Buffer.from(s))) throw new Error(`"${s}" reached a community topic`);
        }
      }),
      { numRuns: 40 },
    );
    // The property is about real traffic: the community tiers did receive thousands of records.
    expect(reached).toBeGreaterThan(1000);
    expect(notices).toBeGreaterThan(0);
    // Leaders' submissions were decided (a receipt each) and made through the door.
    expect(receipts).toBeGreaterThan(100);
    expect(submitted).toBeGreaterThan(20);
  }, 600_000);
});
