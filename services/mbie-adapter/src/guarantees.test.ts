import { checkDateWindow, checkHistoryRecords, checkHostileBodies, checkMarkingFloor, checkResubmissions, checkRevisions } from "@takitini/adapter-kit/testing";
import { describe } from "vitest";
import { mbieAdapter } from "./adapter.js";
import { exploitationComplaint } from "./kinds/exploitation-complaint.js";
import { traffickingIndicator } from "./kinds/trafficking-indicator.js";

/*
 * What every door promises for every MBIE record kind (adapter-kit): hostile
 * bodies are refused with a stable code and never published, MBIE's default
 * markings (trafficking indicators' stricter ones) are a floor, a changed
 * resubmission is a conflict, and every date is in its plausible window.
 */

const at = new Date("2026-11-20T00:00:00Z");
const now = new Date("2026-12-01T00:00:00Z");

describe("hostile bodies", () => checkHostileBodies(mbieAdapter));
describe("marking floor", () => checkMarkingFloor(mbieAdapter, at));
describe("resubmissions", () => checkResubmissions(mbieAdapter));
describe("corrections and withdrawals", () => checkRevisions(mbieAdapter));
describe("dates", () => {
  checkDateWindow(mbieAdapter, exploitationComplaint, [{ path: "received_at", type: "datetime" }, { path: "worker.dob", type: "date" }, { path: "persons.0.dob", type: "date" }], now);
  checkDateWindow(mbieAdapter, traffickingIndicator, [{ path: "reported_at", type: "datetime" }, { path: "persons.0.dob", type: "date" }], now);
});
// A newcomer's first look, a week into December and at the turn of a quarter.
describe("demo history", () => checkHistoryRecords(mbieAdapter, new Date("2026-12-06T01:00:00Z")));
describe("demo history at a quarter's turn", () => checkHistoryRecords(mbieAdapter, new Date("2026-10-01T03:00:00Z")));
