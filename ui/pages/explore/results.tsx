import type { ExploreProps } from './explore.js';

/** Placeholder until the histogram, log list and metric chart land. */
export function Results({ state }: ExploreProps) {
  return <div class="empty">{state.query ? `Results of ${state.query}` : 'Write a LogQL query and press Shift+Enter.'}</div>;
}
