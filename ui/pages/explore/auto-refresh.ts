/**
 * Auto-refresh (`&refresh=30s`): a counter that ticks one interval after each run has finished (so a
 * query slower than the interval is never cancelled by the next tick, and runs never pile up), and
 * not while the tab is hidden: the tick waits until the tab is visible again, then comes at once.
 */
import { useEffect, useState } from 'preact/hooks';
import { parseDuration } from '../../lib/time.js';

/** `finished` changes each time a run ends (answer or error); the returned tick asks for the next run. */
export function useAutoRefresh(refresh: string, enabled: boolean, finished: number): number {
  const [tick, setTick] = useState(0);
  const ms = enabled ? parseDuration(refresh) : undefined;
  useEffect(() => {
    if (!ms) return;
    let due = false;
    const fire = () => {
      if (document.hidden) due = true;
      else setTick((n) => n + 1);
    };
    const onVisible = () => {
      if (due && !document.hidden) {
        due = false;
        setTick((n) => n + 1);
      }
    };
    const timer = setTimeout(fire, ms);
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [ms, finished]);
  return tick;
}
