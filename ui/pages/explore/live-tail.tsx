import type { ExploreProps } from './explore.js';

/** Placeholder until live tail lands. */
export function LiveTail({ state }: ExploreProps) {
  return <div class="empty">Live tail of {state.query}</div>;
}
