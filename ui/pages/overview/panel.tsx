/** The frame of one Overview panel: its title, its error in plain words, or its content. */
import type { ComponentChildren } from 'preact';
import type { PanelState } from './use-panel.js';

export function Panel<T>({ title, name, state, wide, children }: { title: string; name: string; state: PanelState<T>; wide?: boolean; children: (data: T) => ComponentChildren }) {
  return (
    <section class={`panel panel-${name}${wide ? ' wide' : ''}`} aria-label={title} aria-busy={state.loading}>
      <h2>{title}</h2>
      {state.error !== undefined ? (
        <div class="error-box" role="alert">
          {state.error}
        </div>
      ) : state.data === undefined ? (
        <div class="panel-loading">Loading…</div>
      ) : (
        children(state.data)
      )}
    </section>
  );
}
