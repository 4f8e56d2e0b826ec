/**
 * Retrying one request of a long client command (export, import) the way the agent's shipper
 * does: 429, 5xx and unreachable/timeouts are retried with exponential backoff and jitter
 * (src/util/backoff.ts), a Retry-After header is honoured (up to MAX_RETRY_AFTER_MS); any other
 * 4xx is final. Unlike the agent, a command gives up after `attempts` tries so a dead server ends
 * it with an error (export can then be continued with --resume).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { LokiClientError } from '../api/client.js';
import { createBackoff, parseRetryAfter } from '../util/backoff.js';

export const DEFAULT_ATTEMPTS = 10;
const MIN_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 30_000;
/** A server asking for more than this is asked again after this long. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

export interface RetryOptions {
  attempts: number;
  /** Told about every retry (the command prints it on stderr). */
  onRetry?: (err: LokiClientError, waitMs: number, attempt: number) => void;
  signal?: AbortSignal;
}

export function retryable(e: unknown): e is LokiClientError {
  return e instanceof LokiClientError && (e.status === undefined || e.status === 429 || e.status >= 500);
}

export async function withRetry<T>(fn: () => Promise<T>, o: RetryOptions): Promise<T> {
  const backoff = createBackoff(MIN_BACKOFF_MS, MAX_BACKOFF_MS);
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!retryable(e) || attempt >= o.attempts) throw e;
      const after = parseRetryAfter(e.retryAfter, Date.now());
      const wait = after !== undefined ? Math.min(after, MAX_RETRY_AFTER_MS) : backoff.next();
      o.onRetry?.(e, wait, attempt);
      await sleep(wait, undefined, o.signal ? { signal: o.signal } : {});
    }
  }
}
