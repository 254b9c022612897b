import { checkDateWindow, checkHistoryRecords, checkHostileBodies, checkMarkingFloor, checkResubmissions, checkRevisions } from "@takitini/adapter-kit/testing";
import { describe } from "vitest";
import { customsAdapter } from "./adapter.js";
import { borderSeizure } from "./kinds/border-seizure.js";
import { EXPECTED_ARRIVAL_HORIZON_DAYS, suspiciousConsignment } from "./kinds/suspicious-consignment.js";

/*
 * What every door promises for every Customs record kind (adapter-kit): hostile
 * bodies are refused with a stable code and never published, Customs' default
 * markings are a floor, a changed resubmission is a conflict, and every date is
 * in its plausible window (an expected arrival up to 180 days ahead).
 */

const at = new Date("2026-11-20T00:00:00Z");
const now = new Date("2026-12-01T00:00:00Z");

describe("hostile bodies", () => checkHostileBodies(customsAdapter));
describe("marking floor", () => checkMarkingFloor(customsAdapter, at));
describe("resubmissions", () => checkResubmissions(customsAdapter));
describe("corrections and withdrawals", () => checkRevisions(customsAdapter));
describe("dates", () => {
  checkDateWindow(customsAdapter, borderSeizure, [{ path: "seized_at", type: "datetime" }, { path: "persons.0.dob", type: "date" }], now);
  checkDateWindow(customsAdapter, suspiciousConsignment, [{ path: "raised_at", type: "datetime" }, { path: "expected_arrival", type: "datetime", aheadDays: EXPECTED_ARRIVAL_HORIZON_DAYS }, { path: "persons.0.dob", type: "date" }], now);
});
// A newcomer's first look, a week into December and at the turn of a quarter.
describe("demo history", () => checkHistoryRecords(customsAdapter, new Date("2026-12-06T01:00:00Z")));
describe("demo history at a quarter's turn", () => checkHistoryRecords(customsAdapter, new Date("2026-10-01T03:00:00Z")));
