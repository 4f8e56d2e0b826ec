/**
 * The one error catalogue. Every error we answer with or log has a code from here; the HTTP layer
 * (src/http/error-mapper.ts) maps it to a status and Loki's error body. Statuses follow Loki, because
 * clients act on them: 400 is dropped by clients, 429 and 5xx are retried.
 */

export const ERRORS = {
  bad_request: { status: 400, message: 'bad request' },
  invalid_push: { status: 400, message: 'invalid push request' },
  parse_error: { status: 400, message: 'parse error' },
  invalid_param: { status: 400, message: 'invalid parameter' },
  line_too_long: { status: 400, message: 'line too long' },
  invalid_labels: { status: 400, message: 'invalid labels' },
  too_old: { status: 400, message: 'entry too far behind' },
  too_new: { status: 400, message: 'entry too far in the future' },
  out_of_order: { status: 400, message: 'entry out of order' },
  unsupported_media_type: { status: 415, message: 'unsupported content type' },
  payload_too_large: { status: 413, message: 'request body too large' },
  rate_limited: { status: 429, message: 'ingestion rate limit exceeded' },
  stream_limit: { status: 429, message: 'maximum active stream limit exceeded' },
  query_limit: { status: 400, message: 'query limit exceeded' },
  not_found: { status: 404, message: 'not found' },
  conflict: { status: 409, message: 'conflict' },
  read_only: { status: 403, message: 'read-only' },
  method_not_allowed: { status: 405, message: 'method not allowed' },
  unauthorized: { status: 401, message: 'no org id' },
  forbidden: { status: 403, message: 'forbidden' },
  store_unavailable: { status: 503, message: 'storage unavailable' },
  overloaded: { status: 503, message: 'server busy, retry later' },
  timeout: { status: 504, message: 'query timed out' },
  internal: { status: 500, message: 'internal error' },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** An error with a catalogue code. `message` is what the user reads; keep it specific. */
export class LogwharfError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** Optional structured details (for logs and JSON bodies). */
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message?: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? ERRORS[code].message, options);
    this.name = 'LogwharfError';
    this.code = code;
    this.status = ERRORS[code].status;
    if (details) this.details = details;
  }
}

export function isLogwharfError(e: unknown): e is LogwharfError {
  return e instanceof LogwharfError;
}
