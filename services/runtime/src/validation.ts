import { z } from "zod";
import { formatPath, type FieldIssue } from "./errors.js";

/** Flatten zod issues into field issues with paths; unknown keys get their own paths. */
export function zodIssues(error: z.ZodError): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) {
        out.push({
          path: formatPath([...issue.path, key]),
          code: "unrecognized_key",
          message: `unknown field "${key}"`,
        });
      }
      continue;
    }
    out.push({ path: formatPath(issue.path), code: issue.code, message: issue.message });
  }
  return out;
}

// C0 and C1 control characters other than tab, line feed and carriage return,
// plus DEL. Printable non-ASCII (macrons: Ōpōtiki, whānau) is fine.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/u;

/**
 * The longest any free-text field may be (an assessment's body). Hostile-body
 * tests send strings longer than this, so no field may be declared longer.
 */
export const MAX_TEXT_CHARS = 8000;

/** Free text: trimmed, bounded, no control characters, UTF-8 preserved (NFC-normalised). */
export function text(max: number, opts: { min?: number; multiline?: boolean } = {}) {
  if (max > MAX_TEXT_CHARS) throw new RangeError(`a text field of ${max} characters is longer than MAX_TEXT_CHARS (${MAX_TEXT_CHARS})`);
  return z
    .string()
    .max(max)
    .refine((s) => !CONTROL.test(s), { message: "control characters are not allowed" })
    .refine((s) => opts.multiline === true || !/[\r\n\t]/.test(s), {
      message: "line breaks and tabs are not allowed here",
    })
    .transform((s) => s.normalize("NFC").trim())
    .pipe(z.string().min(opts.min ?? 0));
}
