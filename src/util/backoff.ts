/**
 * Retry delays for the agent's pushes and the ruler's senders: exponential from min to max with
 * "equal jitter" (half fixed, half random), so many clients that lost the same server do not come
 * back in lockstep.
 */

export interface Backoff {
  /** The delay before the next attempt, in ms; grows with each call until reset. */
  next(): number;
  reset(): void;
}

export function createBackoff(minMs: number, maxMs: number, random: () => number = Math.random): Backoff {
  let attempt = 0;
  return {
    next() {
      const base = Math.min(maxMs, minMs * 2 ** Math.min(attempt, 30));
      attempt++;
      return Math.round(base / 2 + (base / 2) * random());
    },
    reset() {
      attempt = 0;
    },
  };
}

/**
 * Parses a Retry-After header (seconds, or an HTTP date) into ms from `now`; undefined when absent
 * or unreadable.
 */
export function parseRetryAfter(value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}
