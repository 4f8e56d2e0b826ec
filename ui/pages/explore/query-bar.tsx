import { useState } from 'preact/hooks';
import type { ExploreProps } from './explore.js';

/** Placeholder until the CodeMirror editor and the time picker land. */
export function QueryBar({ state, update }: ExploreProps) {
  const [text, setText] = useState(state.query);
  return (
    <form class="query-bar" onSubmit={(e) => (e.preventDefault(), update({ query: text }))}>
      <input class="query-input" aria-label="LogQL query" value={text} onInput={(e) => setText((e.target as HTMLInputElement).value)} />
      <button type="submit">Run query</button>
    </form>
  );
}
