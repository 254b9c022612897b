/**
 * The catalogue of what can be wrong with an identifier. Callers and tests match
 * the code, never the message. A message names the kind of identifier and what
 * is wrong with it, never its value: issues are logged and counted, and a value
 * in a log line is an identifier leaving the service.
 */
export const ISSUE_CODES = {
  /** It cannot be read as an identifier of its kind (letters in a phone number, a plate of 9 characters, …). */
  IDENTIFIER_MALFORMED: "the identifier cannot be read as one of its kind",
  /** A part it needs is missing (a document without its kind or issuing country). */
  IDENTIFIER_INCOMPLETE: "a part of the identifier is missing",
  /** A date of birth that is a real date, but in the future or before 1900. */
  DATE_OUT_OF_RANGE: "the date is outside the range a date of birth can take",
  /** An issuing country that is not an ISO 3166 alpha-2 code we know, or three letters. */
  COUNTRY_UNKNOWN: "the country is not an ISO 3166 code",
} as const;

export type IssueCode = keyof typeof ISSUE_CODES;

/** Something wrong with one identifier of a record, named by its field path. */
export interface NormaliseIssue {
  /** The field in the record, e.g. `subjects[2].person.documents[0].number`. */
  path: string;
  code: IssueCode;
  /** For people: what is wrong, never the value. */
  message: string;
}

export function issue(path: string, code: IssueCode, message: string): NormaliseIssue {
  return { path, code, message };
}
