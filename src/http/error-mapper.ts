/**
 * The one HTTP error mapper. Loki answers errors as a plain-text body with the status code, and
 * clients (Promtail, Alloy, Grafana) read that text, so we do the same; the request id goes in a header
 * and in our JSON log line.
 */
import type { ServerResponse } from 'node:http';
import { LogwharfError, isLogwharfError } from '../api/errors.js';
import type { Logger } from '../util/logger.js';
import type { ErrorBodyFormat } from './router.js';

export function toLogwharfError(e: unknown): LogwharfError {
  if (isLogwharfError(e)) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EIO' || code === 'EROFS' || code === 'EDQUOT') {
    return new LogwharfError('store_unavailable', `storage unavailable: ${(e as Error).message}`, undefined, { cause: e });
  }
  return new LogwharfError('internal', 'internal error', undefined, { cause: e });
}

/** Prometheus' errorType for a status (its web API: bad_data, not_found, timeout, unavailable, internal). */
function prometheusErrorType(err: LogwharfError): string {
  if (err.code === 'timeout') return 'timeout';
  if (err.status === 404) return 'not_found';
  if (err.status === 503) return 'unavailable';
  return err.status < 500 ? 'bad_data' : 'internal';
}

function errorBody(err: LogwharfError, text: string, format: ErrorBodyFormat): { body: string; type: string } {
  switch (format) {
    case 'json-string':
      return { body: JSON.stringify(text), type: 'application/json' };
    case 'prometheus':
      return { body: JSON.stringify({ status: 'error', errorType: prometheusErrorType(err), error: text }), type: 'application/json' };
    default:
      return { body: text + '\n', type: 'text/plain; charset=utf-8' };
  }
}

export function sendError(res: ServerResponse, log: Logger, e: unknown, requestId: string, format: ErrorBodyFormat = 'text'): void {
  const err = toLogwharfError(e);
  const fields = { code: err.code, status: err.status, err: err.message, ...(err.details ?? {}) };
  if (err.status >= 500) log.error({ ...fields, cause: err.cause instanceof Error ? err.cause.stack : undefined }, 'request failed');
  else log.info(fields, 'request rejected');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = err.status >= 500 && err.code === 'internal' ? `internal error (request id ${requestId})` : err.message;
  const { body, type } = errorBody(err, text, format);
  const headers: Record<string, string | number> = { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'X-Request-Id': requestId };
  // A busy server says when to come back (clients such as Promtail retry 429 and 5xx with backoff anyway).
  const retryAfter = err.details?.retryAfterSeconds;
  if (typeof retryAfter === 'number') headers['Retry-After'] = Math.max(1, Math.ceil(retryAfter));
  res.writeHead(err.status, headers);
  res.end(body);
}
