import { checkDateWindow, checkHistoryRecords, checkHostileBodies, checkMarkingFloor, checkResubmissions, checkRevisions } from "@takitini/adapter-kit/testing";
import { describe } from "vitest";
import { msdAdapter } from "./adapter.js";
import { communityResilienceReport } from "./kinds/community-resilience-report.js";
import { whanauSupportReferral } from "./kinds/whanau-support-referral.js";

/*
 * What every door promises for every MSD record kind (adapter-kit): hostile
 * bodies are refused with a stable code and never published, MSD's default
 * markings are a floor, a changed resubmission is a conflict, and every date and
 * week is in its plausible window.
 */

const at = new Date("2026-11-20T00:00:00Z");
const now = new Date("2026-12-01T00:00:00Z");

describe("hostile bodies", () => checkHostileBodies(msdAdapter));
describe("marking floor", () => checkMarkingFloor(msdAdapter, at));
describe("resubmissions", () => checkResubmissions(msdAdapter));
describe("corrections and withdrawals", () => checkRevisions(msdAdapter));
describe("dates", () => {
  checkDateWindow(msdAdapter, whanauSupportReferral, [{ path: "referral_week", type: "week" }], now);
  checkDateWindow(msdAdapter, communityResilienceReport, [{ path: "period_start", type: "date" }, { path: "period_end", type: "date" }], now);
});
// A newcomer's first look, a week into December and at the turn of a quarter.
describe("demo history", () => checkHistoryRecords(msdAdapter, new Date("2026-12-06T01:00:00Z")));
describe("demo history at a quarter's turn", () => checkHistoryRecords(msdAdapter, new Date("2026-10-01T03:00:00Z")));
