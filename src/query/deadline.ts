/**
 * A query's deadline (`query.timeout`): a signal that aborts with Loki's timeout error (504), so
 * whatever is waiting on the query pool rejects with it and the pool terminates the workers still
 * running the query. `done()` clears the timer once the query has answered.
 */
import { LogwharfError } from '../api/errors.js';

/** Loki's words for a query that ran out of time (its ErrDeadlineExceeded). */
export const QUERY_TIMEOUT_MESSAGE =
  'request timed out, decrease the duration of the request or add more label matchers (prefer exact match over regex match) to reduce the amount of data processed';

export interface Deadline {
  signal: AbortSignal;
  done(): void;
}

export function queryDeadline(timeoutMs: number): Deadline {
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new LogwharfError('timeout', QUERY_TIMEOUT_MESSAGE, { timeoutMs })), timeoutMs);
  timer.unref();
  return { signal: ac.signal, done: () => clearTimeout(timer) };
}

/** Runs `run` under a deadline of `timeoutMs`, clearing its timer when it settles. */
export async function withQueryDeadline<T>(timeoutMs: number, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const deadline = queryDeadline(timeoutMs);
  try {
    return await run(deadline.signal);
  } finally {
    deadline.done();
  }
}
