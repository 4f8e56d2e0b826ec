/**
 * The one HTTP error mapper. Loki answers errors as a plain-text body with the status code, and
 * clients (Promtail, Alloy, Grafana) read that text, so we do the same; the request id goes in a header
 * and in our JSON log line.
 */
import type { ServerResponse } from 'node:http';
import { LogwharfError, isLogwharfError } from '../api/errors.js';
import type { Logger } from '../util/logger.js';

export function toLogwharfError(e: unknown): LogwharfError {
  if (isLogwharfError(e)) return e;
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOSPC' || code === 'EIO' || code === 'EROFS' || code === 'EDQUOT') {
    return new LogwharfError('store_unavailable', `storage unavailable: ${(e as Error).message}`, undefined, { cause: e });
  }
  return new LogwharfError('internal', 'internal error', undefined, { cause: e });
}

export function sendError(res: ServerResponse, log: Logger, e: unknown, requestId: string, format: 'text' | 'json-string' = 'text'): void {
  const err = toLogwharfError(e);
  const fields = { code: err.code, status: err.status, err: err.message, ...(err.details ?? {}) };
  if (err.status >= 500) log.error({ ...fields, cause: err.cause instanceof Error ? err.cause.stack : undefined }, 'request failed');
  else log.info(fields, 'request rejected');
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const text = err.status >= 500 && err.code === 'internal' ? `internal error (request id ${requestId})` : err.message;
  const body = format === 'json-string' ? JSON.stringify(text) : text + '\n';
  const headers: Record<string, string | number> = { 'Content-Type': format === 'json-string' ? 'application/json' : 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'X-Request-Id': requestId };
  // A busy server says when to come back (clients such as Promtail retry 429 and 5xx with backoff anyway).
  const retryAfter = err.details?.retryAfterSeconds;
  if (typeof retryAfter === 'number') headers['Retry-After'] = Math.max(1, Math.ceil(retryAfter));
  res.writeHead(err.status, headers);
  res.end(body);
}
