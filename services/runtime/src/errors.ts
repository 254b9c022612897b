/** One offending field: where it is and what is wrong with it. */
export interface FieldIssue {
  /** Field path in dotted/indexed form, e.g. "persons[0].dob". Empty for the whole body. */
  path: string;
  /** Machine-readable issue kind, e.g. "invalid_type", "unrecognized_keys". */
  code: string;
  message: string;
}

export interface ErrorSpec {
  status: number;
  message: string;
}

/**
 * An error from a service's catalogue: a stable code clients and tests match
 * on, an HTTP status, and the offending field paths.
 */
export class ServiceError extends Error {
  constructor(
    readonly code: string,
    readonly statusCode: number,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = "ServiceError";
  }

  toBody(): { error: { code: string; message: string; issues: FieldIssue[] } } {
    return { error: { code: this.code, message: this.message, issues: this.issues } };
  }
}

/**
 * Declare a service's error catalogue once; each entry becomes a factory.
 *
 *   const errors = defineErrors({ VALIDATION_FAILED: { status: 400, message: "…" } });
 *   throw errors.VALIDATION_FAILED(issues);
 */
export function defineErrors<K extends string>(
  specs: Record<K, ErrorSpec>,
): Record<K, (issues?: FieldIssue[], message?: string) => ServiceError> & {
  readonly specs: Record<K, ErrorSpec>;
} {
  const factories: Record<string, unknown> = { specs };
  for (const code of Object.keys(specs) as K[]) {
    const spec = specs[code];
    factories[code] = (issues: FieldIssue[] = [], message: string = spec.message) =>
      new ServiceError(code, spec.status, message, issues);
  }
  return factories as Record<K, (issues?: FieldIssue[], message?: string) => ServiceError> & {
    readonly specs: Record<K, ErrorSpec>;
  };
}

/** Errors every HTTP service can answer with, whatever its own catalogue. */
export const commonErrors = defineErrors({
  MALFORMED_JSON: { status: 400, message: "request body is not valid JSON" },
  FORBIDDEN_KEY: {
    status: 400,
    message: "request body contains a forbidden key (__proto__ or constructor.prototype)",
  },
  BODY_TOO_LARGE: { status: 413, message: "request body exceeds the size limit" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: "content-type must be application/json" },
  EMPTY_BODY: { status: 400, message: "request body is empty" },
  INVALID_QUERY: { status: 400, message: "query parameters are invalid" },
  NOT_FOUND: { status: 404, message: "no such route" },
  METHOD_NOT_ALLOWED: { status: 405, message: "method not allowed" },
  RATE_LIMITED: { status: 429, message: "too many requests: retry after the number of seconds in Retry-After" },
  NOT_READY: { status: 503, message: "service is not ready" },
  INTERNAL: { status: 500, message: "internal error" },
});

/** Render a path array as "a.b[0].c". */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out.length === 0 ? String(seg) : `.${String(seg)}`;
  }
  return out;
}
