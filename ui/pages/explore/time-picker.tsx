/**
 * Explore's time range: relative presets (Last 5 minutes … Last 7 days), an absolute From/To form that
 * takes RFC 3339, Unix times or `now-…` (a value that cannot be read is explained and not applied), and
 * the auto-refresh interval (the results run the timer: auto-refresh.ts).
 */
import { useRef, useState } from 'preact/hooks';
import type { ExploreProps } from './explore.js';
import { PRESETS, REFRESH_CHOICES, rangeLabel, rangeProblem } from './time-range.js';
import { useDismiss } from './dismiss.js';

export function TimePicker({ state, update }: ExploreProps) {
  const [open, setOpen] = useState(false);
  const [from, setFrom] = useState(state.from);
  const [to, setTo] = useState(state.to);
  const [problem, setProblem] = useState<string>();
  const box = useRef<HTMLDivElement>(null);
  useDismiss(box, open, () => setOpen(false));

  const toggle = () => {
    if (!open) (setFrom(state.from), setTo(state.to), setProblem(undefined));
    setOpen(!open);
  };
  const apply = (e: Event) => {
    e.preventDefault();
    const p = rangeProblem(from, to);
    setProblem(p);
    if (p) return;
    update({ from: from.trim(), to: to.trim() });
    setOpen(false);
  };

  return (
    <div class="time-picker" ref={box}>
      <button type="button" class="time-range-button" aria-haspopup="dialog" aria-expanded={open} aria-label={`Time range: ${rangeLabel(state.from, state.to)}`} onClick={toggle}>
        {rangeLabel(state.from, state.to)}
      </button>
      {open && (
        <div class="time-popover" role="dialog" aria-label="Time range">
          <form class="time-absolute" onSubmit={apply}>
            <label>
              From <input name="from" value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} spellcheck={false} />
            </label>
            <label>
              To <input name="to" value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} spellcheck={false} />
            </label>
            {problem && (
              <div class="time-error" role="alert">
                {problem}
              </div>
            )}
            <button type="submit">Apply time range</button>
          </form>
          <ul class="time-presets">
            {PRESETS.map((p) => (
              <li key={p.from}>
                <button type="button" aria-pressed={state.from === p.from && state.to === 'now'} onClick={() => (update({ from: p.from, to: 'now' }), setOpen(false))}>
                  {p.label}
                </button>
              </li>
            ))}
          </ul>
        </div>
      )}
      <select aria-label="Auto-refresh" value={state.refresh} onChange={(e) => update({ refresh: (e.target as HTMLSelectElement).value }, true)}>
        {REFRESH_CHOICES.map((r) => (
          <option key={r} value={r}>
            {r ? `Refresh every ${r}` : 'Auto-refresh off'}
          </option>
        ))}
      </select>
    </div>
  );
}
