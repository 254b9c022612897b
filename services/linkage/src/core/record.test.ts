import { Agency, IntelligenceEvent, LinkRule } from "@takitini/proto";
import { describe, expect, it } from "vitest";
import { nzDay, recordDay, tokeniseRecord } from "./record.js";
import { MatchKey, matchToken } from "./tokens.js";
import { KEY_BYTES, passport, person, police, record, vehicle } from "./test-helpers.fixture.js";

const key = new MatchKey(KEY_BYTES);

describe("a record's tokens", () => {
  const event = police("e-1", person({ name: "Hēmi Tāwhiri", dob: "1991-03-14", phones: ["021 555 0147"], documents: [passport("LA9981234")] }), person({ name: "Moana", phones: ["021 555 0147"] }), vehicle("QZX 482"));

  it("are the subjects' keyed tokens under their rules, with who the record is from, and no identifier", () => {
    const { record: r, issues } = tokeniseRecord(event, key, "2026-06-01");
    expect(issues).toEqual([]);
    expect([r.eventId, r.sourceAgency, r.eventType]).toEqual(["e-1", Agency.AGENCY_POLICE, "police.organised_crime_noting"]);
    // The one-word name with only a phone has nothing to match on: left out.
    expect(r.subjects.map((s) => [s.subjectIndex, s.kind, s.tokens.map((t) => t.rule)])).toEqual([
      [0, "PERSON", [LinkRule.LINK_RULE_IDENTITY_DOCUMENT, LinkRule.LINK_RULE_NAME_AND_DATE_OF_BIRTH]],
      [2, "VEHICLE", [LinkRule.LINK_RULE_VEHICLE_PLATE]],
    ]);
    expect(r.subjects[1]!.tokens[0]!.token.equals(matchToken(key, LinkRule.LINK_RULE_VEHICLE_PLATE, ["QZX482"]))).toBe(true);
    const text = JSON.stringify(r) + r.subjects.flatMap((s) => s.tokens.map((t) => t.token.toString("latin1"))).join("");
    for (const s of ["Hēmi", "hemi", "tawhiri", "1991", "LA9981234", "QZX", "555"]) expect(text).not.toContain(s);
  });

  it("check dates of birth against the record's own day, not the caller's", () => {
    // Born the day after the record was published: impossible, whatever day it is now.
    const e = police("e-2", person({ name: "Hēmi Tāwhiri", dob: "2026-06-02" }));
    expect(tokeniseRecord(e, key, "2099-01-01").issues.map((i) => [i.path, i.code])).toEqual([["subjects[0].person.dateOfBirth", "DATE_OUT_OF_RANGE"]]);
    // A record without a date falls back to the caller's day.
    const undated = IntelligenceEvent.fromPartial({ ...e, publishedAt: undefined, occurredAt: undefined });
    expect(tokeniseRecord(undated, key, "2099-01-01").issues).toEqual([]);
  });

  it("take the record's day in New Zealand", () => {
    // 11:30 UTC on 1 June is 23:30 on 1 June in Auckland (NZST, +12); 12:30 UTC is already 2 June.
    expect(nzDay(new Date("2026-06-01T11:30:00Z"))).toBe("2026-06-01");
    expect(nzDay(new Date("2026-06-01T12:30:00Z"))).toBe("2026-06-02");
    // Daylight time (+13) in January.
    expect(nzDay(new Date("2026-01-15T10:59:00Z"))).toBe("2026-01-15");
    expect(nzDay(new Date("2026-01-15T11:00:00Z"))).toBe("2026-01-16");
    expect(recordDay(record(Agency.AGENCY_MSD, "e", [], new Date("2026-06-01T12:30:00Z")))).toBe("2026-06-02");
    expect(recordDay({ publishedAt: undefined, occurredAt: undefined })).toBeUndefined();
  });
});
