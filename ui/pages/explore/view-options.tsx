/** Explore's view options over a list of lines, shared by the results and live tail: UTC, wrap, order (all kept in the URL). */
import type { ExploreProps } from './explore.js';

export function ViewOptions({ state, update }: ExploreProps) {
  return (
    <>
      <button type="button" aria-pressed={state.utc} onClick={() => update({ utc: !state.utc }, true)} title="Show times in UTC or in this browser's time zone">
        UTC
      </button>
      <button type="button" aria-pressed={state.wrap} onClick={() => update({ wrap: !state.wrap }, true)}>
        Wrap lines
      </button>
      <label>
        Order{' '}
        <select value={state.order} onChange={(e) => update({ order: (e.target as HTMLSelectElement).value === 'forward' ? 'forward' : 'backward' }, true)}>
          <option value="backward">Newest first</option>
          <option value="forward">Oldest first</option>
        </select>
      </label>
    </>
  );
}
