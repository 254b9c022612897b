import { refSubjectId as kitRefSubjectId, type SubjectRef } from "@takitini/adapter-kit";

export { checkNoRepeats, checkSubjectRef, checkUniqueSubjectIds, subjectRef, type SubjectRef } from "@takitini/adapter-kit";

/** The envelope subject id a Customs reference resolves to, or "" when there is none. */
export const refSubjectId = (ref: SubjectRef | undefined): string => kitRefSubjectId("CUSTOMS", ref);
