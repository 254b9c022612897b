import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MatchKey, normaliseSubjects, tokeniseRecord } from "@takitini/linkage";
import { Agency, DecisionRecord, IntelligenceEvent, LinkAlertView, LinkRule, NoticeCause, Outcome, View, WithdrawalNotice, WithdrawalReason } from "@takitini/proto";
import fc from "fast-check";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { axeViolations, launchBrowser } from "./browser.js";
import { client, createRunTopics, header, readTopic, registryWith, type Seen } from "./kafka.js";
import { publish, publisherOf } from "./publishers.js";
import { auditEnv, OVERSIGHT_TOKEN, oversightHeaders, ROOT, startService, type RunningService } from "./stack.js";

/**
 * Fusion on the real broker: a Police noting names a person of interest; a Customs
 * seizure's consignee carries the same passport under a differently written name.
 * The real linkage service raises ONE link alert; the real exchange decides it for
 * every subscriber with the shipped policy — Police and Customs (each may see both
 * records) receive a LinkAlertView, no one else does — and the audit's ledger holds
 * each decision with the legal bases of both records, and answers "who has seen
 * this person" with the alert under the Police subject — and, across agencies,
 * the Customs record's disclosures through the link, in the API and in the
 * console (headless Chromium). No identifier, normalised
 * value or match token reaches the alert, a view or a log line. The run has its
 * own topics and consumer groups.
 */

const brokers = inject("brokers");
const kafka = client(brokers);
const run = randomUUID().slice(0, 8);
const T = {
  police: `takitini.e2e.${run}.intel.police.v1`,
  customs: `takitini.e2e.${run}.intel.customs.v1`,
  links: `takitini.e2e.${run}.intel.linkage.v1`,
  index: `takitini.e2e.${run}.linkage-index.v1`,
  decisions: `takitini.e2e.${run}.audit.v1`,
  deliver: (id: string) => `takitini.e2e.${run}.deliver.${id}.v1`,
};

/** What identifies the person in either record: none of it may leave the agencies' own topics. */
/** Six digits of the run that never occur in the run id itself (which the records' own ids carry). */
const PASSPORT = (() => {
  let n = (Number.parseInt(run.slice(0, 6), 16) % 900_000) + 100_000;
  while (run.includes(String(n))) n = ((n + 7919) % 900_000) + 100_000;
  return `LA${n}`;
})();
const IDENTIFYING = ["Tāne", "Pōmare", "Pomare", "POMARE", "1988-07-02", "Te Irirangi", "021 555 0147", "+64215550147", PASSPORT, PASSPORT.slice(2)];

let dir: string;
let subscribers: string[] = [];
const services: RunningService[] = [];
let audit: RunningService;
let linkage: RunningService;
let police: RunningService;
let customs: RunningService;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "takitini-e2e-linkage-"));
  const registryFile = registryWith(dir, (id) => T.deliver(id), ROOT);
  subscribers = Object.keys(JSON.parse(readFileSync(registryFile, "utf8")) as Record<string, unknown>);
  await createRunTopics(
    [
      { name: T.police, role: "intel" },
      { name: T.customs, role: "intel" },
      { name: T.links, role: "links" },
      { name: T.index, role: "linkage-index", partitions: 1 },
      { name: T.decisions, role: "decisions" },
      ...subscribers.map((id) => ({ name: T.deliver(id), role: "delivery" as const })),
    ],
    registryFile,
  );
  const keyFile = join(dir, "match.key");
  writeFileSync(keyFile, randomBytes(32).toString("hex"), { mode: 0o600 });
  const common = { KAFKA_BROKERS: brokers.join(",") };
  const start = async (name: string, env: Record<string, string>) => {
    const s = await startService(name, env);
    services.push(s);
    return s;
  };
  audit = await start("audit", { ...common, ...auditEnv(inject("databaseUrl"), run), GROUP_ID: `takitini-audit-e2e-linkage-${run}`, AUDIT_TOPIC: T.decisions, INTEL_TOPICS: [T.police, T.customs, T.links].join(",") });
  await start("exchange", {
    ...common,
    INTEL_TOPICS: [T.police, T.customs, T.links].join(","),
    AUDIT_TOPIC: T.decisions,
    GROUP_ID: `takitini-exchange-e2e-linkage-${run}`,
    INSTANCE_ID: `e2e-linkage-${run}`,
    POLICY_WASM: join(ROOT, "policies/build/policy.wasm"),
    POLICY_DATA_DIR: dir,
  });
  linkage = await start("linkage", {
    ...common,
    INTEL_TOPICS: [T.police, T.customs].join(","),
    LINKS_TOPIC: T.links,
    LINKAGE_INDEX_TOPIC: T.index,
    LINKAGE_KEY_FILE: keyFile,
    GROUP_ID: `takitini-linkage-e2e-${run}`,
    TRANSACTIONAL_ID: `takitini-linkage.e2e-${run}`,
    INSTANCE_ID: `e2e-linkage-${run}`,
  });
  police = await start("police-adapter", { ...common, TOPIC: T.police, GRPC_PORT: "0", DEMO_RECORDS_PER_MINUTE: "0" });
  customs = await start("customs-adapter", { ...common, TOPIC: T.customs, GRPC_PORT: "0", DEMO_RECORDS_PER_MINUTE: "0" });
}, 240_000);

let browser: Browser | undefined;

afterAll(async () => {
  await browser?.close();
  const codes = await Promise.all(services.map((s) => s.stop("SIGTERM")));
  expect(codes.every((c) => c === 0)).toBe(true);
});

const noting = () => ({
  noting_id: `NIC-E2E-${run}`,
  recorded_at: "2026-11-20T09:15:00+13:00",
  observed_at: "2026-11-19T22:40:00+13:00",
  district: "Counties Manukau",
  locality: "Flat Bush",
  reporting_unit: "National Organised Crime Group",
  group: "Courier network",
  activity: "drug_supply",
  commodities: ["methamphetamine"],
  summary: "Courier seen collecting packages for a local supply network.",
  grading: { source: "B", information: 2 },
  persons: [
    {
      person_id: `P-E2E-${run}`,
      name: "Tāne Pōmare",
      dob: "1988-07-02",
      phones: ["021 555 0147"],
      documents: [{ type: "passport", number: PASSPORT, country: "NZ" }],
      role: "person_of_interest",
    },
  ],
});

const seizure = () => ({
  seizure_id: `SZ-E2E-${run}`,
  case_ref: `CI-E2E-${run}`,
  seized_at: "2026-11-18T06:42:00+13:00",
  port_of_entry: "Auckland Airport",
  commodity: "methamphetamine",
  weight_grams: 4870.5,
  origin_country: "US",
  concealment: "passenger_baggage",
  consignee: { type: "person", id: `C-E2E-${run}` },
  grading: { source: "A", information: 1 },
  persons: [
    {
      person_id: `C-E2E-${run}`,
      // The same person, written otherwise: surname first, no macrons, upper case.
      name: "POMARE, Tane",
      dob: "1988-07-02",
      address: "14 Te Irirangi Drive, Flat Bush, Auckland",
      documents: [{ type: "passport", number: `${PASSPORT.slice(0, 2).toLowerCase()}-${PASSPORT.slice(2)}`, country: "NZ" }],
      role: "person_of_interest",
    },
  ],
});

describe("fusion across agencies, on the real broker", () => {
  let alert: IntelligenceEvent;
  let ids: { police: string; customs: string };

  it("a Customs consignee holding a Police person of interest's passport raises one alert", async () => {
    const p = await publish(`${police.url}/v1/reports`, noting(), { publisher: publisherOf("police-adapter") });
    expect(p.status, p.text).toBe(202);
    const c = await publish(`${customs.url}/v1/seizures`, seizure(), { publisher: publisherOf("customs-adapter") });
    expect(c.status, c.text).toBe(202);
    ids = { police: p.json().event_id as string, customs: c.json().event_id as string };

    await readTopic(kafka, T.links, { until: () => true, timeoutMs: 60_000 });
    const alerts: Seen[] = await readTopic(kafka, T.links, { idleMs: 3000 });
    expect(alerts).toHaveLength(1);
    alert = IntelligenceEvent.decode(alerts[0]!.message.value!);
    expect([alert.sourceAgency, alert.eventType, header(alerts[0]!.message, "event-type")]).toEqual([Agency.AGENCY_LINKAGE, "linkage.link_alert", "linkage.link_alert"]);
    const value = alert.payload?.$case === "linkAlert" ? alert.payload.value : undefined;
    expect(value?.rule).toBe(LinkRule.LINK_RULE_IDENTITY_DOCUMENT);
    expect(value?.records.map((r) => [r.eventId, r.sourceAgency]).sort()).toEqual(
      [
        [ids.police, Agency.AGENCY_POLICE],
        [ids.customs, Agency.AGENCY_CUSTOMS],
      ].sort(),
    );
    const raw = alerts[0]!.message.value!.toString("utf8");
    for (const s of IDENTIFYING) expect(raw).not.toContain(s);
  });

  it("is delivered to Police and Customs only — each may see both records — with both legal bases in the ledger", async () => {
    const decisions = (await readTopic(kafka, T.decisions, { until: countDecisionsOf(alert.id, subscribers.length), timeoutMs: 90_000 }))
      .map((s) => DecisionRecord.decode(s.message.value!))
      .filter((d) => d.eventId === alert.id);
    expect(decisions).toHaveLength(subscribers.length);
    const allowed = decisions.filter((d) => d.outcome === Outcome.OUTCOME_ALLOW).map((d) => d.subscriberId).sort();
    expect(allowed).toEqual(["customs", "police"]);
    const customsDecision = decisions.find((d) => d.subscriberId === "customs")!;
    expect(customsDecision.legalBasis).toMatch(/POLICE/);
    expect(customsDecision.legalBasis).toMatch(/CUSTOMS/);

    // What each partner holds: a LinkAlertView naming the two records, never the facts or the alert itself.
    for (const id of ["police", "customs"]) {
      // The partner's topic also holds the other agency's record itself (each may see it).
      await readTopic(kafka, T.deliver(id), { until: (s) => header(s.message, "event-type") === "link_alert.view", timeoutMs: 60_000 });
      const got = (await readTopic(kafka, T.deliver(id), { idleMs: 2000 })).filter((s) => header(s.message, "event-type") === "link_alert.view");
      expect(got).toHaveLength(1);
      const view = LinkAlertView.decode(got[0]!.message.value!);
      expect(view.records.map((r) => r.eventId).sort()).toEqual([ids.police, ids.customs].sort());
      const bytes = got[0]!.message.value!.toString("utf8");
      for (const s of IDENTIFYING) expect(bytes).not.toContain(s);
    }
    const nobodyElse = await readTopic(kafka, subscribers.filter((id) => id !== "police" && id !== "customs").map(T.deliver), { idleMs: 3000 });
    expect(nobodyElse.filter((s) => header(s.message, "event-type") === "link_alert.view")).toEqual([]);

    // In the ledger, with its legal basis; and under the Police person, "who has seen" shows it.
    const ledger = await until("the ledger's decisions of the alert", async () => {
      const r = await fetch(`${audit.url}/v1/decisions?event_id=${alert.id}&limit=500`, { headers: oversightHeaders });
      const body = (await r.json()) as { decisions: { subscriber_id: string; outcome: string; legal_basis?: string }[] };
      return body.decisions.length >= subscribers.length ? body.decisions : undefined;
    });
    expect(ledger.find((d) => d.subscriber_id === "customs")).toMatchObject({ outcome: "allow", legal_basis: customsDecision.legalBasis });
    const policeSubject = (alert.payload?.$case === "linkAlert" ? alert.payload.value.records : []).find((r) => r.sourceAgency === Agency.AGENCY_POLICE)!.subjectId;
    const seen = await until("who has seen the Police person", async () => {
      const r = await fetch(`${audit.url}/v1/subjects/${encodeURIComponent(policeSubject)}/disclosures`, { headers: oversightHeaders });
      const body = (await r.json()) as { disclosures: { event_id?: string; subscriber_id: string }[] };
      const ofAlert = body.disclosures.filter((d) => d.event_id === alert.id);
      return ofAlert.length >= 2 ? ofAlert : undefined;
    });
    expect(seen.map((d) => d.subscriber_id).sort()).toEqual(["customs", "police"]);
  });

  it("answers who has seen the Police person across agencies: the Customs record's disclosures through the link, with its confidence", async () => {
    const records = alert.payload?.$case === "linkAlert" ? alert.payload.value.records : [];
    const policeSubject = records.find((r) => r.sourceAgency === Agency.AGENCY_POLICE)!.subjectId;
    const customsSubject = records.find((r) => r.sourceAgency === Agency.AGENCY_CUSTOMS)!.subjectId;
    type Link = { link_id: string; rule: string; confidence: number; linked_subject_id: string; linked_record: { event_id: string; agency: string }; disclosures: { event_id: string; agency: string; subscriber_id: string; legal_basis: string }[] };
    const link = await until("the Customs record's disclosures through the link", async () => {
      const r = await fetch(`${audit.url}/v1/subjects/${encodeURIComponent(policeSubject)}/disclosures`, { headers: oversightHeaders });
      const body = (await r.json()) as { links?: Link[] };
      const l = body.links?.find((x) => x.link_id === alert.id);
      return l?.disclosures.some((d) => d.event_id === ids.customs) ? l : undefined;
    });
    expect(link).toMatchObject({ rule: "identity_document", confidence: 0.99, linked_subject_id: customsSubject, linked_record: { event_id: ids.customs, agency: "customs" } });
    // Police received the Customs record itself (it may see it): that disclosure, under its own legal basis.
    const ofCustoms = link.disclosures.filter((d) => d.event_id === ids.customs);
    expect(ofCustoms.map((d) => [d.agency, d.subscriber_id])).toContainEqual(["customs", "police"]);
    expect(ofCustoms.every((d) => d.legal_basis !== "")).toBe(true);
    for (const s of IDENTIFYING) expect(JSON.stringify(link)).not.toContain(s);

    // The console shows the person across both agencies, accessibly.
    browser = await launchBrowser();
    const problems: string[] = [];
    const personPage = async (opts: { bypassCSP: boolean }) => {
      const page = await (await browser!.newContext({ locale: "en-NZ", timezoneId: "Pacific/Auckland", ...opts })).newPage();
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      await page.goto(`${audit.url}/console/login`);
      await page.fill("#token", OVERSIGHT_TOKEN);
      await Promise.all([page.waitForURL(`${audit.url}/console/`), page.click("#login-form button[type=submit]")]);
      await page.goto(`${audit.url}/console/person?subject_id=${encodeURIComponent(policeSubject)}`);
      await page.locator(`#links article[data-link-id="${alert.id}"]`).waitFor();
      return page;
    };
    const page = await personPage({ bypassCSP: false });
    const article = page.locator(`#links article[data-link-id="${alert.id}"]`);
    expect(await article.locator("code.linked-subject").textContent()).toBe(customsSubject);
    expect(await article.locator(".link-rule").textContent()).toBe("the same identity document");
    expect(await article.locator(".link-confidence").textContent()).toBe("99%");
    expect(await article.locator("table caption").textContent()).toContain(customsSubject);
    const rows = await article.locator("table tbody tr").evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent ?? "")));
    expect(rows.length).toBe(link.disclosures.length);
    expect(rows.some((cells) => cells[1] === "police" && cells[5] === "customs" && cells[6] === "customs.border_seizure")).toBe(true);
    const text = (await page.textContent("main")) ?? "";
    for (const s of IDENTIFYING) expect(text).not.toContain(s);
    expect(problems).toEqual([]);
    // axe-core is injected as a script, which the console's Trusted Types policy refuses: the same page, its CSP bypassed.
    expect(await axeViolations(await personPage({ bypassCSP: true }))).toEqual([]);
  });

  it("raises nothing more when the same records are sent again, and logs no identifier", async () => {
    // Each is a resubmission (the adapters answer 200, duplicate); the linkage service must not count it twice either way.
    for (const [url, body, as] of [[`${police.url}/v1/reports`, noting(), "police-adapter"], [`${customs.url}/v1/seizures`, seizure(), "customs-adapter"]] as const) {
      const r = await publish(url, body, { publisher: publisherOf(as) });
      expect([r.status, r.json().duplicate]).toEqual([200, true]);
    }
    const alerts = await readTopic(kafka, T.links, { idleMs: 4000 });
    expect(alerts).toHaveLength(1);
    const log = linkage.output();
    expect(log).toMatch(/link alerts published/);
    for (const s of IDENTIFYING) expect(log).not.toContain(s);
  });

  it("a withdrawal of the Police record reaches every partner that received it, and the ledger links it to the record", async () => {
    // Who received the Police noting: each partner the exchange delivered a view to.
    const onNoting = (await readTopic(kafka, T.decisions, { until: countDecisionsOf(ids.police, subscribers.length), timeoutMs: 60_000 }))
      .map((s) => DecisionRecord.decode(s.message.value!))
      .filter((d) => d.eventId === ids.police);
    const holders = onNoting.filter((d) => d.outcome === Outcome.OUTCOME_ALLOW && (d.view === View.VIEW_FULL || d.view === View.VIEW_REDACTED)).map((d) => d.subscriberId).sort();
    expect(holders).toContain("customs");
    const w = await publish(`${police.url}/v1/records/${ids.police}/withdrawal`, { reason: "entered_in_error", explanation: "Recorded against the wrong person." }, { publisher: publisherOf("police-adapter") });
    expect(w.status, w.text).toBe(202);
    const withdrawalId = w.json().event_id as string;
    expect(w.json()).toMatchObject({ withdrawn_event_id: ids.police, duplicate: false });
    // Withdrawing it again is the same withdrawal.
    const again = await publish(`${police.url}/v1/records/${ids.police}/withdrawal`, { reason: "other" }, { publisher: publisherOf("police-adapter") });
    expect([again.status, again.json().event_id, again.json().duplicate]).toEqual([200, withdrawalId, true]);

    const onWithdrawal = (await readTopic(kafka, T.decisions, { until: countDecisionsOf(withdrawalId, subscribers.length), timeoutMs: 90_000 }))
      .map((s) => DecisionRecord.decode(s.message.value!))
      .filter((d) => d.eventId === withdrawalId);
    expect(onWithdrawal).toHaveLength(subscribers.length);
    const told = onWithdrawal.filter((d) => d.reasons.includes("exchange.withdrawal_notice_to_recipient")).map((d) => d.subscriberId).sort();
    expect(told).toEqual(holders);
    for (const holder of holders) {
      const d = onWithdrawal.find((x) => x.subscriberId === holder)!;
      expect([d.outcome, d.deliveryTopic, d.legalBasis]).toEqual([Outcome.OUTCOME_ALLOW, T.deliver(holder), expect.stringMatching(/Privacy Act 2020/)]);
      const notices = await readTopic(kafka, T.deliver(holder), { until: (s) => header(s.message, "delivery-id") === d.deliveryId, timeoutMs: 60_000 });
      const notice = WithdrawalNotice.decode(notices.find((s) => header(s.message, "delivery-id") === d.deliveryId)!.message.value!);
      expect(notice).toMatchObject({ eventId: ids.police, cause: NoticeCause.NOTICE_CAUSE_WITHDRAWN, reason: WithdrawalReason.WITHDRAWAL_REASON_ENTERED_IN_ERROR, explanation: "Recorded against the wrong person." });
    }
    // Nobody else was sent anything about it.
    const others = await readTopic(kafka, subscribers.filter((id) => !holders.includes(id)).map(T.deliver), { idleMs: 2000 });
    expect(others.filter((s) => header(s.message, "event-type") === "record.withdrawal_notice")).toEqual([]);

    // The ledger: the record's history, the withdrawal linked to it, each holder's decision under it.
    const history = await until("the record's versions in the ledger", async () => {
      const r = await fetch(`${audit.url}/v1/records/${ids.police}/versions`, { headers: oversightHeaders });
      if (r.status !== 200) return undefined;
      const body = (await r.json()) as { withdrawn: boolean; versions: { event_id: string; version: string; withdrawn_event_id?: string; reason?: string; decisions: { subscriber_id: string; outcome: string }[] }[] };
      const last = body.versions.at(-1);
      return body.withdrawn && last && last.decisions.length >= subscribers.length ? body : undefined;
    });
    expect(history.versions.map((v) => [v.event_id, v.version])).toEqual([
      [ids.police, "first"],
      [withdrawalId, "withdrawal"],
    ]);
    expect(history.versions[1]).toMatchObject({ withdrawn_event_id: ids.police, reason: "entered_in_error" });
    expect(history.versions[1]!.decisions.filter((d) => d.outcome === "allow").map((d) => d.subscriber_id).sort()).toEqual(holders);
    // The explanation is for the partners that held the record, not the ledger.
    expect(JSON.stringify(history)).not.toContain("wrong person");
  });
});

/**
 * The canary, as a property: people generated across Māori, Pasifika and other
 * names, each written one way in a Police noting and another way in a Customs
 * seizure (order, case, macrons, ʻokina, hyphens, passport punctuation), linked by
 * the real linkage service. Nothing it derives — a match token (in any encoding),
 * a normalised identifier that differs from what the agencies wrote, a link id —
 * may appear on any subscriber's topic (partners' views and every community
 * output), the decisions topic, or any service's log; a link id only in a partner's
 * LinkAlertView, never on a community topic.
 */
describe("canary: no token, normalised identifier or link leaves where it belongs", () => {
  const GIVEN = ["Tāne", "Mereana", "Sione", "Losaline", "Tuʻilagi", "Ānaru", "Wiremu", "Mele", "Priya", "Wei"];
  const FAMILY = ["Pōmare-Ngata", "Tuʻipulotu", "Fa'amausili", "Te Whāiti", "Havili", "Ranginui", "Taufa", "Chen", "Naidu", "Rāwiri"];
  const person = fc.record({
    given: fc.constantFrom(...GIVEN),
    family: fc.constantFrom(...FAMILY),
    dob: fc.date({ min: new Date("1950-01-01T00:00:00Z"), max: new Date("2005-12-31T00:00:00Z"), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)),
    passport: fc.stringMatching(/^[A-Z]{2}[0-9]{6}$/),
    phone: fc.stringMatching(/^2[1-9][0-9]{6}$/),
  });
  /** How Customs writes the same person: surname first, upper case, no macrons or ʻokina, passport in lower case with a hyphen. */
  const otherwise = (p: { given: string; family: string; passport: string }) => ({
    name: `${p.family}, ${p.given}`.normalize("NFD").replace(/[\u0300-\u036f\u02bb']/g, "").toUpperCase(),
    passport: `${p.passport.slice(0, 2).toLowerCase()}-${p.passport.slice(2)}`,
  });

  it("across generated people linked by the real services", async () => {
    const people = fc.sample(person, { numRuns: 8, seed: Number.parseInt(run.slice(0, 6), 16) }).map((p, i) => ({ ...p, passport: `${p.passport.slice(0, 2)}${String(i)}${p.passport.slice(3)}` }));
    const published: { police: string; customs: string }[] = [];
    for (const [i, p] of people.entries()) {
      const n = noting();
      n.noting_id = `NIC-CANARY-${run}-${i}`;
      n.persons = [{ person_id: `P-CANARY-${run}-${i}`, name: `${p.given} ${p.family}`, dob: p.dob, phones: [`0${p.phone}`], documents: [{ type: "passport", number: p.passport, country: "NZ" }], role: "person_of_interest" }];
      const c = seizure();
      c.seizure_id = `SZ-CANARY-${run}-${i}`;
      c.case_ref = `CI-CANARY-${run}-${i}`;
      c.consignee = { type: "person", id: `C-CANARY-${run}-${i}` };
      const o = otherwise(p);
      c.persons = [{ person_id: `C-CANARY-${run}-${i}`, name: o.name, dob: p.dob, address: "", documents: [{ type: "passport", number: o.passport, country: "NZ" }], role: "person_of_interest" }];
      const rp = await publish(`${police.url}/v1/reports`, n, { publisher: publisherOf("police-adapter") });
      const rc = await publish(`${customs.url}/v1/seizures`, c, { publisher: publisherOf("customs-adapter") });
      expect([rp.status, rc.status], `${rp.text} ${rc.text}`).toEqual([202, 202]);
      published.push({ police: rp.json().event_id as string, customs: rc.json().event_id as string });
    }
    // Every pair linked: one alert each (beyond the first test's).
    const alerts = await readTopic(kafka, T.links, { until: countAlerts(1 + people.length), timeoutMs: 90_000 });
    const linked = alerts.map((s) => IntelligenceEvent.decode(s.message.value!)).filter((a) => a.payload?.$case === "linkAlert");
    for (const pair of published) expect(linked.some((a) => a.payload?.$case === "linkAlert" && a.payload.value.records.some((r) => r.eventId === pair.police))).toBe(true);
    const linkIds = linked.flatMap((a) => [a.id, a.payload?.$case === "linkAlert" ? a.payload.value.linkId : ""]).filter((x) => x !== "");

    // What the linkage service derived from the records as published: every token, every normalised value.
    const key = new MatchKey(Buffer.from(readFileSync(join(dir, "match.key"), "utf8").trim(), "hex"));
    const records = (await readTopic(kafka, [T.police, T.customs], { idleMs: 2000 })).map((s) => IntelligenceEvent.decode(s.message.value!));
    const raw = new Set(records.flatMap((e) => JSON.stringify(IntelligenceEvent.toJSON(e)).match(/"[^"]*"/g) ?? []).map((q) => q.slice(1, -1)));
    const tokens: string[] = [];
    const normalised: string[] = [];
    for (const e of records) {
      const { record } = tokeniseRecord(e, key, "2026-12-01");
      for (const sub of record.subjects) for (const t of sub.tokens) tokens.push(t.token.toString("hex"), t.token.toString("base64"), t.token.toString("base64url"), t.token.toString("latin1"));
      for (const sub of normaliseSubjects(e, "2026-12-01").subjects) {
        if (sub.kind !== "PERSON") continue;
        for (const nm of sub.names) normalised.push(nm.key);
        for (const d of sub.documents) normalised.push(d.number, `${d.kind}|${d.country}|${d.number}`);
        normalised.push(...sub.phones);
      }
    }
    expect(tokens.length).toBeGreaterThan(people.length * 4);
    // A normalised form the agencies wrote themselves (a passport already in upper case) is theirs to share; the others are the service's.
    const derived = [...new Set(normalised)].filter((v) => v.length >= 6 && ![...raw].some((r) => r.includes(v)));
    expect(derived.length).toBeGreaterThan(people.length);

    const topics = subscribers.map(T.deliver);
    const delivered = await readTopic(kafka, [...topics, T.decisions], { idleMs: 3000 });
    const community = new Set(subscribers.filter((id) => id.startsWith("community-") || id === "public").map(T.deliver));
    for (const s of delivered) {
      const bytes = s.message.value!.toString("latin1");
      const headers = JSON.stringify(Object.fromEntries(Object.entries(s.message.headers ?? {}).map(([k, v]) => [k, String(v)])));
      const text = `${bytes} ${headers}`;
      for (const t of tokens) expect(text.includes(t), `a match token on ${s.topic}`).toBe(false);
      for (const v of derived) expect(text.includes(v), `a normalised identifier on ${s.topic}`).toBe(false);
      const isAlertView = header(s.message, "event-type") === "link_alert.view";
      if (community.has(s.topic) || (!isAlertView && s.topic !== T.decisions)) for (const l of linkIds) expect(text.includes(l), `a link on ${s.topic} (${header(s.message, "event-type")})`).toBe(false);
    }
    for (const svc of services) {
      const log = svc.output();
      for (const t of tokens.filter((x) => /^[0-9a-f]+$/.test(x) || /^[A-Za-z0-9+/=_-]{20,}$/.test(x))) expect(log.includes(t), `a match token in ${svc.name}'s log`).toBe(false);
      for (const v of derived) expect(log.includes(v), `a normalised identifier in ${svc.name}'s log`).toBe(false);
      if (svc !== audit) for (const l of linkIds) expect(log.includes(l), `a link in ${svc.name}'s log`).toBe(false);
    }
  });
});

/** An `until` satisfied once `n` link alerts have been seen. */
function countAlerts(n: number): (s: Seen) => boolean {
  let seen = 0;
  return () => (seen += 1) >= n;
}

/** An `until` satisfied once `n` decisions of `eventId` have been seen. */
function countDecisionsOf(eventId: string, n: number): (s: Seen) => boolean {
  let seen = 0;
  return (s) => {
    if (DecisionRecord.decode(s.message.value!).eventId === eventId) seen += 1;
    return seen >= n;
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got !== undefined) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
