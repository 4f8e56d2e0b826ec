/**
 * `usePolling(fn, intervalMs)`: runs `fn` at once, then `intervalMs` after each run finishes (runs
 * never overlap, so a slow server is not queued up), and not at all while the tab is hidden: a
 * background tab costs the server nothing, and polling resumes at once when the tab is shown again.
 * `fn` reports its own errors (put them in state next to what failed); a rejection is only logged.
 * `fn` gets an AbortSignal (pass it to `api`) that aborts when the page goes away or `refresh()`
 * starts a new run, so an old answer never overwrites a newer one; an AbortError is ignored.
 * Returns `refresh()`, which runs `fn` now (after a user's action) and restarts the interval.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export function usePolling(fn: (signal: AbortSignal) => unknown, intervalMs: number): () => void {
  // The latest fn, so callers may pass a fresh closure on every render without restarting the loop.
  const fnRef = useRef(fn);
  fnRef.current = fn;
  const [restarts, setRestarts] = useState(0);
  useEffect(() => {
    let stopped = false;
    const abort = new AbortController();
    let running = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      timer = undefined;
      if (stopped || document.hidden) return; // visibilitychange starts it again
      running = true;
      try {
        await fnRef.current(abort.signal);
      } catch (e) {
        if ((e as Error).name !== 'AbortError') console.warn('polling:', e);
      } finally {
        running = false;
      }
      if (!stopped && !document.hidden) timer = setTimeout(tick, intervalMs);
    };
    const onVisibility = () => {
      if (!document.hidden && !running && timer === undefined) void tick();
    };
    document.addEventListener('visibilitychange', onVisibility);
    void tick();
    return () => {
      stopped = true;
      abort.abort();
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [intervalMs, restarts]);
  return useCallback(() => setRestarts((n) => n + 1), []);
}
