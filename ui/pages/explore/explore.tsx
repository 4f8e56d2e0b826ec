/**
 * Explore: the query bar (editor + time range), then either the live tail, or the volume histogram
 * and log lines of a log query, or the chart and table of a metric query.
 */
import { useCallback } from 'preact/hooks';
import { navigate } from '../../lib/route.js';
import type { UiSettings } from '../../lib/settings.js';
import { readState, writeState, type ExploreState } from './state.js';
import { QueryBar } from './query-bar.js';
import { Results } from './results.js';
import { LiveTail } from './live-tail.js';

export function ExplorePage({ params }: { params: URLSearchParams; settings: UiSettings }) {
  const state = readState(params);
  /** Changes the state: a new history entry for a run, a replaced one for view toggles. */
  const update = useCallback((patch: Partial<ExploreState>, replace = false) => {
    navigate('explore', writeState({ ...readState(new URLSearchParams(location.search)), ...patch }), replace);
  }, []);
  return (
    <div class="explore">
      <QueryBar state={state} update={update} />
      {state.live ? <LiveTail state={state} update={update} /> : <Results state={state} update={update} />}
    </div>
  );
}

/** What every part of Explore receives: the state from the URL and the one way to change it. */
export interface ExploreProps {
  state: ExploreState;
  update: (patch: Partial<ExploreState>, replace?: boolean) => void;
}
