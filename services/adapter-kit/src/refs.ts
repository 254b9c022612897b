import type { core } from "zod";
import { z } from "zod";
import { nativeId, subjectId } from "./fields.js";
import type { AgencyCode } from "./kind.js";

/**
 * Cross-field checks for records that name one of their own subjects ("the
 * consignee", "the employer"), for use in a schema's superRefine after
 * subjectFields: references resolve, ids are unique, lists do not repeat.
 */

/** A reference to one of the record's own persons or organisations. */
export const subjectRef = z.strictObject({
  type: z.enum(["person", "organisation"]),
  id: nativeId,
});

export type SubjectRef = z.infer<typeof subjectRef>;

export interface SubjectLists {
  persons: readonly { person_id: string }[];
  organisations: readonly { org_id: string }[];
  vehicles: readonly { vehicle_id: string }[];
}

type Ctx = core.$RefinementCtx<unknown>;

/**
 * Each subject id appears once in its list, so a reference is never ambiguous.
 * `reserved` are person ids already taken elsewhere in the record.
 */
export function checkUniqueSubjectIds(r: SubjectLists, ctx: Ctx, reserved: readonly string[] = []): void {
  const lists = [
    ["persons", "person_id", r.persons.map((p) => p.person_id), reserved],
    ["organisations", "org_id", r.organisations.map((o) => o.org_id), []],
    ["vehicles", "vehicle_id", r.vehicles.map((v) => v.vehicle_id), []],
  ] as const;
  for (const [list, key, ids, taken] of lists) {
    const seen = new Set<string>(taken);
    ids.forEach((id, i) => {
      if (seen.has(id)) ctx.addIssue({ code: "custom", path: [list, i, key], message: `duplicate ${key} "${id}"` });
      seen.add(id);
    });
  }
}

/** The reference names a person or organisation the record carries. */
export function checkSubjectRef(r: SubjectLists, ref: SubjectRef | undefined, path: string, ctx: Ctx): void {
  if (!ref) return;
  const found = ref.type === "person" ? r.persons.some((p) => p.person_id === ref.id) : r.organisations.some((o) => o.org_id === ref.id);
  if (!found) {
    const [list, key] = ref.type === "person" ? ["persons", "person_id"] : ["organisations", "org_id"];
    ctx.addIssue({ code: "custom", path: [path, "id"], message: `no entry in ${list} has ${key} "${ref.id}"` });
  }
}

/** The id names one of the record's own organisations. */
export function checkOrganisationRef(r: SubjectLists, id: string | undefined, path: string, ctx: Ctx): void {
  if (id !== undefined && !r.organisations.some((o) => o.org_id === id)) {
    ctx.addIssue({ code: "custom", path: [path], message: `no entry in organisations has org_id "${id}"` });
  }
}

/** The envelope subject id a reference resolves to, or "" when there is none. */
export function refSubjectId(agency: AgencyCode, ref: SubjectRef | undefined): string {
  return ref ? subjectId(agency, ref.type, ref.id) : "";
}

/** Flag repeated entries of a list field, e.g. the same indicator twice. */
export function checkNoRepeats(values: readonly string[], path: string, ctx: Ctx): void {
  values.forEach((v, i) => {
    if (values.indexOf(v) !== i) ctx.addIssue({ code: "custom", path: [path, i], message: `"${v}" is listed twice` });
  });
}
