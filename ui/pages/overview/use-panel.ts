/**
 * One Overview panel's data: loaded when its inputs change (range, refresh tick, tenant), the last
 * answer kept on screen while the next one loads, and its own error, so one failing panel never
 * takes the others down.
 */
import { useEffect, useState } from 'preact/hooks';
import { ApiError } from '../../lib/api.js';

export interface PanelState<T> {
  data?: T;
  error?: string;
  loading: boolean;
}

export function usePanel<T>(load: (signal: AbortSignal) => Promise<T>, deps: unknown[]): PanelState<T> {
  const [state, setState] = useState<PanelState<T>>({ loading: true });
  useEffect(() => {
    const ctl = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    load(ctl.signal).then(
      (data) => !ctl.signal.aborted && setState({ data, loading: false }),
      (e: unknown) => {
        if (ctl.signal.aborted) return;
        const message = e instanceof ApiError || e instanceof Error ? e.message : String(e);
        setState({ error: message, loading: false });
      },
    );
    return () => ctl.abort();
  }, deps);
  return state;
}
