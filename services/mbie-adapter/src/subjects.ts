export { checkNoRepeats, checkOrganisationRef, checkUniqueSubjectIds } from "@takitini/adapter-kit";
