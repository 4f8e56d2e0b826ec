import { useState } from 'preact/hooks';
import type { ExploreProps } from './explore.js';
import { useQueryError } from './query-error.js';

/** Placeholder until the CodeMirror editor and the time picker land (h/editor replaces this file). */
export function QueryBar({ state, update }: ExploreProps) {
  const [text, setText] = useState(state.query);
  const error = useQueryError();
  return (
    <div>
      <form class="query-bar" onSubmit={(e) => (e.preventDefault(), update({ query: text }))}>
        <input class="query-input" aria-label="LogQL query" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        <button type="submit">Run query</button>
      </form>
      {error && (
        <div class="error-box" role="alert">
          {error.message}
        </div>
      )}
    </div>
  );
}
