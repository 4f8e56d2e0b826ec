/**
 * The timers long-running parts schedule with (the ruler's groups, the notifier's groups and retries):
 * the real ones, or a test's clock (test/helpers/manual-clock.ts) that steps time.
 */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Node cannot wait longer than 2^31-1 ms (it would run the timer at once): clamped, that is "effectively never". */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** Real timers; unref'd, so a pending one never keeps a stopping process alive. */
export const REAL_TIMERS: Timers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS));
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** Resolves after `ms` on `timers`, or rejects as soon as `signal` aborts. */
export function delay(timers: Timers, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const h = timers.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      timers.clearTimeout(h);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
