import { checkDateWindow, checkHistoryRecords, checkHostileBodies, checkMarkingFloor, checkResubmissions, checkRevisions } from "@takitini/adapter-kit/testing";
import { describe } from "vitest";
import { policeAdapter } from "./adapter.js";
import { assetRestraint } from "./kinds/asset-restraint.js";
import { fiuSuspiciousActivity } from "./kinds/fiu-suspicious-activity.js";
import { firearmsSeizure } from "./kinds/firearms-seizure.js";
import { EFFECTIVE_AT_HORIZON_DAYS, operationUpdate } from "./kinds/operation-update.js";
import { organisedCrimeNoting } from "./kinds/organised-crime-noting.js";
import { scamReport } from "./kinds/scam-report.js";
import { NOTICE_WEEK_HORIZON_DAYS, supportAdvanceNotice } from "./kinds/support-advance-notice.js";
import { wastewaterIndicator } from "./kinds/wastewater-indicator.js";

/*
 * What every door promises for every Police record kind (adapter-kit): hostile
 * bodies are refused with a stable code and never published, Police's default
 * markings are a floor, a changed resubmission is a conflict, and every date is
 * in its plausible window.
 */

const at = new Date("2026-11-20T00:00:00Z");
const now = new Date("2026-12-01T00:00:00Z");

describe("hostile bodies", () => checkHostileBodies(policeAdapter));
describe("marking floor", () => checkMarkingFloor(policeAdapter, at));
describe("resubmissions", () => checkResubmissions(policeAdapter));
describe("corrections and withdrawals", () => checkRevisions(policeAdapter));
describe("dates", () => {
  checkDateWindow(policeAdapter, organisedCrimeNoting, [{ path: "recorded_at", type: "datetime" }, { path: "observed_at", type: "datetime" }, { path: "persons.0.dob", type: "date" }], now);
  checkDateWindow(policeAdapter, operationUpdate, [{ path: "recorded_at", type: "datetime" }, { path: "effective_at", type: "datetime", aheadDays: EFFECTIVE_AT_HORIZON_DAYS }], now);
  checkDateWindow(policeAdapter, firearmsSeizure, [{ path: "seized_at", type: "datetime" }, { path: "persons.0.dob", type: "date" }], now);
  checkDateWindow(policeAdapter, wastewaterIndicator, [{ path: "sample_week", type: "week" }], now);
  checkDateWindow(policeAdapter, fiuSuspiciousActivity, [{ path: "issued_at", type: "datetime" }, { path: "persons.0.dob", type: "date" }], now);
  checkDateWindow(policeAdapter, assetRestraint, [{ path: "ordered_at", type: "datetime" }, { path: "persons.0.dob", type: "date" }], now);
  checkDateWindow(policeAdapter, scamReport, [{ path: "reported_at", type: "datetime" }], now);
  checkDateWindow(policeAdapter, supportAdvanceNotice, [{ path: "week", type: "week", aheadDays: NOTICE_WEEK_HORIZON_DAYS }], now);
});
// A newcomer's first look, a week into December and at the turn of a quarter.
describe("demo history", () => checkHistoryRecords(policeAdapter, new Date("2026-12-06T01:00:00Z")));
describe("demo history at a quarter's turn", () => checkHistoryRecords(policeAdapter, new Date("2026-10-01T03:00:00Z")));
