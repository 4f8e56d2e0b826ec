/**
 * Explore's query bar: the LogQL editor and Run query, the server's error under it, recent queries,
 * the time range and auto-refresh interval (results.tsx runs the timer), live tail on/off, and Share (copies the link, which holds the view).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type { ExploreProps } from './explore.js';
import { LogqlEditor } from './editor.js';
import { TimePicker } from './time-picker.js';
import { addToHistory, loadHistory } from './history.js';
import { useQueryError } from './query-error.js';
import { requestRun } from './run-signal.js';
import { useDismiss } from './dismiss.js';
import './query-bar.css';

export function QueryBar({ state, update }: ExploreProps) {
  // What the editor holds, read when running; typing does not re-render the bar.
  const text = useRef(state.query);
  // Text put into the editor from outside: a link, back/forward, another part of Explore, a history pick.
  const [shown, setShown] = useState({ text: state.query });
  useEffect(() => setShown({ text: state.query }), [state.query]);
  const error = useQueryError();

  const run = (query: string) => {
    addToHistory(query);
    // Running the query already in the URL must still fetch again (new data, relative range moved).
    if (query === state.query) requestRun();
    else update({ query });
  };

  return (
    <div class="query-bar-wrap">
      <div class="query-bar">
        <LogqlEditor value={shown} onChange={(t) => (text.current = t)} onRun={run} errorAt={error?.position} range={{ from: state.from, to: state.to }} />
        <button type="button" class="primary run-query" onClick={() => run(text.current)} title="Shift+Enter">
          Run query
        </button>
      </div>
      {error && (
        <div class="query-error error-box" role="alert">
          {error.message}
        </div>
      )}
      <div class="query-tools">
        <QueryHistory onPick={(q) => setShown({ text: q })} />
        <TimePicker state={state} update={update} />
        <button type="button" class="live-toggle" aria-pressed={state.live} onClick={() => update({ live: !state.live })}>
          {state.live ? 'Stop live' : 'Live'}
        </button>
        <ShareButton />
      </div>
    </div>
  );
}

function QueryHistory({ onPick }: { onPick: (q: string) => void }) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  useDismiss(box, open, () => setOpen(false));
  const items = open ? loadHistory() : [];
  return (
    <div class="query-history" ref={box}>
      <button type="button" aria-haspopup="listbox" aria-expanded={open} onClick={() => setOpen(!open)}>
        History
      </button>
      {open && (
        <ul class="query-history-list" aria-label="Recent queries">
          {items.length === 0 && <li class="empty">No query run yet in this browser.</li>}
          {items.map((q) => (
            <li key={q}>
              <button type="button" onClick={() => (onPick(q), setOpen(false))}>
                {q}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

function ShareButton() {
  const [notice, setNotice] = useState<'copied' | 'manual'>();
  const field = useRef<HTMLInputElement>(null);
  const share = async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      setNotice('copied');
    } catch {
      // No clipboard access (permissions, plain http on another host): show the link selected instead.
      setNotice('manual');
    }
  };
  useEffect(() => {
    if (notice === 'manual') field.current?.select();
    if (notice !== 'copied') return;
    const t = setTimeout(() => setNotice(undefined), 3000);
    return () => clearTimeout(t);
  }, [notice]);
  return (
    <div class="share">
      <button type="button" onClick={share}>
        Share
      </button>
      {notice === 'copied' && (
        <span class="share-notice" role="status">
          Link copied
        </span>
      )}
      {notice === 'manual' && (
        <label class="share-manual">
          Copy this link <input ref={field} readOnly value={location.href} onBlur={() => setNotice(undefined)} />
        </label>
      )}
    </div>
  );
}
