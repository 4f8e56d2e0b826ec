/**
 * What every decoder fuzz property checks (issue #8): on any input a decoder either answers or
 * throws our own error with a 4xx status and a message, within a time bound. Anything else (a
 * TypeError, a RangeError, a 5xx, a hang) fails the property with the input fast-check shrank to.
 */
import { isLogwharfError } from '../../src/api/errors.js';

/** Longest one decoder call may take on one fuzz input; inputs are at most a few KiB. */
export const FUZZ_TIME_BOUND_MS = 1000;

/** Runs `fn`; returns its result, or undefined when it threw a 4xx LogwharfError; throws otherwise. */
export async function answersOrClientError<T>(fn: () => T | Promise<T>, allowed: readonly number[] = [400, 413, 415]): Promise<T | undefined> {
  const started = performance.now();
  try {
    return await fn();
  } catch (e) {
    if (!isLogwharfError(e)) throw new Error(`not a LogwharfError: ${(e as Error)?.stack ?? String(e)}`);
    if (!allowed.includes(e.status)) throw new Error(`status ${e.status} (${e.code}): ${e.message}`);
    if (e.message.trim().length === 0) throw new Error(`empty message for ${e.code}`);
    return undefined;
  } finally {
    const ms = performance.now() - started;
    if (ms > FUZZ_TIME_BOUND_MS) throw new Error(`took ${Math.round(ms)} ms (bound ${FUZZ_TIME_BOUND_MS} ms)`);
  }
}
