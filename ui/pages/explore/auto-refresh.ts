/**
 * Auto-refresh (`&refresh=30s`): a counter that ticks every interval while the tab is visible. A tick
 * missed while the tab was hidden is made up as soon as it is visible again, so a returning user sees
 * fresh results without waiting a whole interval.
 */
import { useEffect, useState } from 'preact/hooks';
import { parseDuration } from '../../lib/time.js';

export function useAutoRefresh(refresh: string, enabled: boolean): number {
  const [tick, setTick] = useState(0);
  const ms = enabled ? parseDuration(refresh) : undefined;
  useEffect(() => {
    if (!ms) return;
    let missed = false;
    const timer = setInterval(() => {
      if (document.hidden) missed = true;
      else setTick((n) => n + 1);
    }, ms);
    const onVisible = () => {
      if (!document.hidden && missed) {
        missed = false;
        setTick((n) => n + 1);
      }
    };
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [ms]);
  return tick;
}
