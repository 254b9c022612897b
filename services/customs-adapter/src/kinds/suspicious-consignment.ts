import {
  between,
  countryCode,
  district,
  envelope,
  grading,
  isoDateTime,
  lastSyntheticDay,
  legalBasis,
  mapSubjects,
  markingFields,
  nativeId,
  pick,
  plausibleDateTime,
  subjectFields,
  text,
  type RecordKind,
} from "@takitini/adapter-kit";
import { Commodity, ConsignmentRiskIndicator } from "@takitini/proto";
import { z } from "zod";
import { CUSTOMS_DEFAULTS } from "../defaults.js";
import { COMMODITY, commodity, ORIGINS, type CommodityName } from "../goods.js";
import { PORTS, PORT_NAMES, PORT_WEIGHTS, portOfEntry, regionOf, type PortName } from "../ports.js";
import { checkNoRepeats, checkSubjectRef, checkUniqueSubjectIds, refSubjectId, subjectRef } from "../subjects.js";
import { dateOfBirth, dayOf, digits, importerName, nzDateTime, nzMobile, nzName, nzbn } from "../synthetic.js";

export const RISK_INDICATOR = {
  misdeclared_goods: ConsignmentRiskIndicator.CONSIGNMENT_RISK_INDICATOR_MISDECLARED_GOODS,
  high_risk_origin: ConsignmentRiskIndicator.CONSIGNMENT_RISK_INDICATOR_HIGH_RISK_ORIGIN,
  unusual_routing: ConsignmentRiskIndicator.CONSIGNMENT_RISK_INDICATOR_UNUSUAL_ROUTING,
  new_importer: ConsignmentRiskIndicator.CONSIGNMENT_RISK_INDICATOR_NEW_IMPORTER,
  payment_anomaly: ConsignmentRiskIndicator.CONSIGNMENT_RISK_INDICATOR_PAYMENT_ANOMALY,
  imaging_anomaly: ConsignmentRiskIndicator.CONSIGNMENT_RISK_INDICATOR_IMAGING_ANOMALY,
  detector_dog_indication: ConsignmentRiskIndicator.CONSIGNMENT_RISK_INDICATOR_DETECTOR_DOG_INDICATION,
} as const;

type RiskIndicatorName = keyof typeof RISK_INDICATOR;

const RISK_INDICATOR_NAMES = Object.keys(RISK_INDICATOR) as [RiskIndicatorName, ...RiskIndicatorName[]];

/**
 * How far ahead an expected arrival may be: alerts are raised from manifests and
 * bookings, weeks and sometimes months before the goods land. Every other date of
 * a record is not in the future (adapter-kit's plausible window).
 */
export const EXPECTED_ARRIVAL_HORIZON_DAYS = 180;

/** Indicators that need the goods in Customs' hands: an x-ray image, a dog at the container. */
const ON_HAND: readonly RiskIndicatorName[] = ["imaging_anomaly", "detector_dog_indication"];

/**
 * Customs' native suspicious-consignment alert (targeting system export),
 * raised before or on arrival. Indicators are listed once each; physical
 * indicators (imaging, detector dog) need the consignment to have arrived by
 * the time the alert is raised. The consignee, when known, is one of the
 * record's own persons or organisations.
 */
export const suspiciousConsignmentSchema = z
  .strictObject({
    alert_id: nativeId,
    consignment_ref: nativeId,
    raised_at: isoDateTime,
    /** When the consignment arrives (up to EXPECTED_ARRIVAL_HORIZON_DAYS ahead) or arrived. */
    expected_arrival: plausibleDateTime({ aheadDays: EXPECTED_ARRIVAL_HORIZON_DAYS }),
    port_of_entry: portOfEntry,
    district: district.optional(),
    indicators: z.array(z.enum(RISK_INDICATOR_NAMES)).min(1).max(RISK_INDICATOR_NAMES.length),
    risk_score: z.number().int().min(0).max(100),
    suspected_commodity: commodity.optional(),
    origin_country: countryCode,
    consignee: subjectRef.optional(),
    operation: text(100).optional(),
    ...markingFields,
    grading: grading.optional(),
    legal_basis: legalBasis.optional(),
    ...subjectFields,
  })
  .superRefine((r, ctx) => {
    checkNoRepeats(r.indicators, "indicators", ctx);
    if (Date.parse(r.expected_arrival) > Date.parse(r.raised_at)) {
      r.indicators.forEach((indicator, i) => {
        if (ON_HAND.includes(indicator)) {
          ctx.addIssue({ code: "custom", path: ["indicators", i], message: `${indicator} needs the consignment on hand, but expected_arrival is after raised_at` });
        }
      });
    }
    checkUniqueSubjectIds(r, ctx);
    checkSubjectRef(r, r.consignee, "consignee", ctx);
  });

export type SuspiciousConsignmentRecord = z.infer<typeof suspiciousConsignmentSchema>;

export const SUSPICIOUS_CONSIGNMENT_EVENT_TYPE = "customs.suspicious_consignment";

export function mapSuspiciousConsignment(r: SuspiciousConsignmentRecord, publishedAt: Date) {
  return envelope({
    agency: "CUSTOMS",
    eventType: SUSPICIOUS_CONSIGNMENT_EVENT_TYPE,
    nativeId: r.alert_id,
    occurredAt: r.raised_at,
    publishedAt,
    district: regionOf(r),
    defaults: CUSTOMS_DEFAULTS,
    classification: r.classification,
    caveats: r.caveats,
    releasableTo: r.releasable_to,
    releasableToCountries: r.releasable_to_countries,
    grading: r.grading,
    legalBasis: r.legal_basis,
    operationRef: r.operation,
    subjects: mapSubjects("CUSTOMS", r),
    payload: {
      $case: "customsSuspiciousConsignment",
      value: {
        consignmentRef: r.consignment_ref,
        indicators: r.indicators.map((i) => RISK_INDICATOR[i]),
        riskScore: r.risk_score,
        portOfEntry: PORTS[r.port_of_entry].code,
        expectedArrival: new Date(r.expected_arrival),
        suspectedCommodity: r.suspected_commodity ? COMMODITY[r.suspected_commodity] : Commodity.COMMODITY_UNSPECIFIED,
        originCountry: r.origin_country,
        consigneeSubjectId: refSubjectId(r.consignee),
      },
    },
  });
}

const example = {
  alert_id: "TGT-2026-07731",
  consignment_ref: "MSKU7745210",
  raised_at: "2026-11-12T14:05:00+13:00",
  expected_arrival: "2026-11-24T05:30:00+13:00",
  port_of_entry: "Port of Tauranga",
  indicators: ["misdeclared_goods", "high_risk_origin", "new_importer", "payment_anomaly"],
  risk_score: 82,
  suspected_commodity: "cocaine",
  origin_country: "EC",
  consignee: { type: "organisation", id: "O-5512" },
  grading: { source: "B", information: 3 },
  organisations: [{ org_id: "O-5512", name: "Kōwhai Trading Limited", type: "company", registration_number: "9429049912345" }],
  persons: [{ person_id: "P-30418", name: "Rāwiri Tākerei", dob: "1979-05-23", phones: ["027 555 0112"], role: "associate" }],
};

/** Air-waybill, container or mail-item reference in the shape the port handles. */
function consignmentRef(rng: () => number, port: PortName): string {
  switch (PORTS[port].kind) {
    case "airport":
      return `${pick(rng, ["176", "618", "086", "157", "160"])}-${digits(rng, 8)}`;
    case "seaport":
      return `${pick(rng, ["MSKU", "MSCU", "CMAU", "OOLU", "HLBU", "TGHU"])}${digits(rng, 7)}`;
    case "mail":
      return `${pick(rng, ["EE", "LX", "RR", "CP"])}${digits(rng, 9)}${pick(rng, ["US", "CN", "GB", "DE", "TH", "MY"])}`;
  }
}

function synthesize(rng: () => number, index: number) {
  const port = pick(rng, PORT_NAMES, PORT_NAMES.map((p) => PORT_WEIGHTS[p]));
  const c = rng() < 0.85 ? pick(rng, Object.keys(COMMODITY) as CommodityName[], [45, 14, 10, 10, 6, 15]) : undefined;
  const origin = c ? pick(rng, ORIGINS[c].countries, ORIGINS[c].weights) : pick(rng, ["CN", "US", "AU", "HK", "MY"]);
  const day = dayOf(rng);
  const arrived = rng() < 0.35;
  // Pre-arrival alerts come from manifests days to weeks out; on-arrival ones after the goods land.
  // Never after SYNTHETIC_UNTIL: a record dated in the future would be refused.
  const raisedDay = arrived ? Math.min(lastSyntheticDay(2026), day + between(rng, 0, 2)) : Math.max(0, day - between(rng, 1, PORTS[port].kind === "seaport" ? 21 : 4));
  const raised = nzDateTime(2026, raisedDay, between(rng, 7, 19), between(rng, 0, 59));
  let expected = nzDateTime(2026, day, between(rng, 0, 23), between(rng, 0, 59));
  if (arrived && Date.parse(expected) > Date.parse(raised)) expected = raised;
  const pool: RiskIndicatorName[] = arrived ? RISK_INDICATOR_NAMES : RISK_INDICATOR_NAMES.filter((i) => !ON_HAND.includes(i));
  const indicators = pool.filter(() => rng() < 0.35);
  if (indicators.length === 0) indicators.push(pick(rng, pool));
  const score = Math.min(100, 25 + indicators.length * between(rng, 8, 16) + between(rng, 0, 10));
  const organisations: unknown[] = [];
  const persons: unknown[] = [];
  let consignee: { type: "person" | "organisation"; id: string } | undefined;
  if (PORTS[port].kind === "mail") {
    persons.push({ person_id: `P-SYN-${index}`, name: nzName(rng), phones: [nzMobile(rng)], role: "person_of_interest" });
    consignee = { type: "person", id: `P-SYN-${index}` };
  } else if (rng() < 0.9) {
    organisations.push({ org_id: `O-SYN-${index}`, name: importerName(rng), type: "company", registration_number: nzbn(rng) });
    consignee = { type: "organisation", id: `O-SYN-${index}` };
    if (rng() < 0.4) persons.push({ person_id: `P-SYN-${index}`, name: nzName(rng), dob: dateOfBirth(rng, 2026, 25, 70), role: "associate" });
  }
  return {
    alert_id: `TGT-SYN-${index}`,
    consignment_ref: consignmentRef(rng, port),
    raised_at: raised,
    expected_arrival: expected,
    port_of_entry: port,
    indicators,
    risk_score: score,
    ...(c ? { suspected_commodity: c } : {}),
    origin_country: origin,
    ...(consignee ? { consignee } : {}),
    grading: { source: pick(rng, ["B", "C", "F"] as const, [4, 4, 2]), information: pick(rng, [2, 3, 4, 6] as const, [3, 5, 1, 1]) },
    organisations,
    persons,
  };
}

export const suspiciousConsignment: RecordKind<SuspiciousConsignmentRecord> = {
  recordType: "suspicious_consignment",
  eventType: SUSPICIOUS_CONSIGNMENT_EVENT_TYPE,
  httpPath: "/v1/consignment-alerts",
  summary: "Submit a suspicious-consignment alert (risk indicators and score, port, expected arrival, consignee)",
  schema: suspiciousConsignmentSchema,
  nativeId: (r) => r.alert_id,
  map: mapSuspiciousConsignment,
  example,
  synthesize,
};
