import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadSharingPolicy } from "./index.js";
import { loadMatrix } from "./matrix.js";
import { compactPaths, renderVisibilityTable, replaceTable, TABLE_BEGIN, TABLE_END } from "./table.js";

const readme = () => readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");

describe("the README's visibility table", () => {
  it("is the one generated from the matrix samples (else run: npm run policy:table)", async () => {
    const table = renderVisibilityTable(loadMatrix(), (await loadSharingPolicy()).subscribers());
    const text = readme();
    expect(text.slice(text.indexOf(TABLE_BEGIN), text.indexOf(TABLE_END) + TABLE_END.length)).toBe(table);
  });

  it("has a row per matrix sample and a column per subscriber, the districts' community leaders as two", async () => {
    const subscribers = (await loadSharingPolicy()).subscribers();
    const table = renderVisibilityTable(loadMatrix(), subscribers);
    const rows = table.split("\n").filter((l) => l.startsWith("| `"));
    expect(rows).toHaveLength(loadMatrix().length);
    const others = subscribers.filter((s) => s.tier !== "community_leader");
    for (const r of rows) expect(r.split(" | ")).toHaveLength(others.length + 2 + 1);
  });
});

describe("rendering", () => {
  const row = {
    id: "x",
    name: "A | noting",
    event: { event_type: "police.organised_crime_noting" } as never,
    expected: {
      a: { allow: true, view: "redacted" as const, redact: ["subjects[*].person.full_name", "subjects[*].person.address", "source_record_id"], reasons: ["sharing.a"], legal_basis: "IPP 11" },
      b: { allow: false, view: "none" as const, redact: [], reasons: ["sharing.default_deny"], legal_basis: "" },
    },
  };
  const subscribers = [
    { id: "a", tier: "partner_agency" as const },
    { id: "b", tier: "public" as const },
  ];

  it("shows views, denial reasons and what was removed", () => {
    const table = renderVisibilityTable([row], subscribers);
    expect(table).toContain("| `police.organised_crime_noting`<br>A \\| noting | **redacted** | — <sub>default_deny</sub> |");
    expect(table).toContain("`a` — redacted under `sharing.a`: IPP 11. Removed: `source_record_id`, `subjects[*].person.{address, full_name}`.");
  });

  it("shows the event's district's leaders and every other district's as two columns", () => {
    const notice = { ...row, event: { event_type: "police.operation_update", region: "SOUTHERN" } as never, expected: { ...row.expected, "c-s": row.expected.a, "c-e": row.expected.b, "c-n": row.expected.b } };
    const leaders = [
      { id: "c-e", tier: "community_leader" as const, regions: ["EASTERN"] },
      { id: "c-n", tier: "community_leader" as const, regions: ["NORTHLAND"] },
      { id: "c-s", tier: "community_leader" as const, regions: ["SOUTHERN"] },
    ];
    const table = renderVisibilityTable([notice], [...subscribers, ...leaders]);
    expect(table).toContain("| **redacted** | **redacted** | — <sub>default_deny</sub> | — <sub>default_deny</sub> |");
    expect(table).toContain("`c-s` — redacted under `sharing.a`");
    const mixed = renderVisibilityTable([{ ...notice, expected: { ...notice.expected, "c-n": row.expected.a } }], [...subscribers, ...leaders]);
    expect(mixed).toContain("| **redacted** | **redacted** | — <sub>default_deny</sub> / **redacted** | — <sub>default_deny</sub> |");
  });

  it("shows a row about no district (a link alert across two) with every district's leaders as others", () => {
    const leaders = [
      { id: "c-e", tier: "community_leader" as const, regions: ["EASTERN"] },
      { id: "c-n", tier: "community_leader" as const, regions: ["NORTHLAND"] },
    ];
    const alert = { ...row, event: { event_type: "linkage.link_alert", region: "UNSPECIFIED" } as never, expected: { ...row.expected, "c-e": row.expected.b, "c-n": row.expected.b } };
    expect(renderVisibilityTable([alert], [...subscribers, ...leaders])).toContain("| **redacted** | <sub>(no district)</sub> | — <sub>default_deny</sub> | — <sub>default_deny</sub> |");
  });

  it("shows foreign partners after the community tiers, with their country", () => {
    const abroad = { ...row, expected: { ...row.expected, f: { allow: false, view: "none" as const, redact: [], reasons: ["sharing.not_releasable_to_country"], legal_basis: "" } } };
    const table = renderVisibilityTable([abroad], [{ id: "f", tier: "foreign_partner" as const, country: "AUS" }, ...subscribers]);
    expect(table).toContain("| `a`<br><sub>partner agency</sub> | `b`<br><sub>public</sub> | `f`<br><sub>foreign partner, AUS</sub> |");
    expect(table).toContain("| **redacted** | — <sub>default_deny</sub> | — <sub>not_releasable_to_country</sub> |");
  });

  it("groups sibling paths", () => {
    expect(compactPaths(["subjects", "b.x", "a.y", "b.w"])).toEqual(["subjects", "a.y", "b.{w, x}"]);
  });

  it("replaces only what lies between the markers", () => {
    expect(replaceTable(`intro\n${TABLE_BEGIN}\nold\n${TABLE_END}\noutro`, "NEW")).toBe("intro\nNEW\noutro");
    expect(() => replaceTable("no markers", "NEW")).toThrow(/markers/);
  });
});
