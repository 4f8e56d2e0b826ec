/**
 * Creating a silence from a firing alert: its labels as matchers (each can be left out), a duration
 * (1 h, 4 h, 24 h), the author (remembered in this browser) and a comment, POSTed to the built-in
 * notifier's Alertmanager API. The server's refusal shows here, next to the form, in plain words.
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../../lib/api.js';
import { formatMatcher, matchersFor, silenceBody, silenceProblem, SILENCE_DURATIONS } from './model.js';
import type { Labels } from './types.js';

const AUTHOR_KEY = 'logwharf.silenceAuthor';

function savedAuthor(): string {
  try {
    return localStorage.getItem(AUTHOR_KEY) ?? '';
  } catch {
    return '';
  }
}

export interface SilenceFormProps {
  labels: Labels;
  onCreated(id: string): void;
  onCancel(): void;
}

export function SilenceForm({ labels, onCreated, onCancel }: SilenceFormProps) {
  const all = matchersFor(labels);
  const [included, setIncluded] = useState<boolean[]>(() => all.map(() => true));
  const [durationMs, setDurationMs] = useState<number>(SILENCE_DURATIONS[0].ms);
  const [author, setAuthor] = useState(savedAuthor);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const matchers = all.filter((_, i) => included[i]);

  const submit = async (e: Event) => {
    e.preventDefault();
    const problem = silenceProblem(matchers, author, comment);
    if (problem) return setError(problem);
    setBusy(true);
    setError(undefined);
    try {
      const res = await api<{ silenceID: string }>('/alertmanager/api/v2/silences', {}, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(silenceBody(matchers, durationMs, author, comment, Date.now())),
      });
      try {
        localStorage.setItem(AUTHOR_KEY, author.trim());
      } catch {
        // private mode: nothing to remember it in
      }
      onCreated(res.silenceID);
    } catch (err) {
      setError(err instanceof ApiError ? `The silence was not created. ${err.message}` : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="silence-form" aria-label="New silence" onSubmit={submit}>
      <fieldset>
        <legend>Silence alerts matching</legend>
        {all.map((m, i) => (
          <label key={m.name} class="matcher-choice">
            <input
              type="checkbox"
              checked={included[i]}
              onChange={(e) => setIncluded(included.map((v, j) => (j === i ? (e.target as HTMLInputElement).checked : v)))}
            />
            <code>{formatMatcher(m)}</code>
          </label>
        ))}
      </fieldset>
      <div class="silence-fields">
        <label>
          For{' '}
          <select value={String(durationMs)} onChange={(e) => setDurationMs(Number((e.target as HTMLSelectElement).value))}>
            {SILENCE_DURATIONS.map((d) => (
              <option key={d.ms} value={String(d.ms)}>
                {d.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Author <input name="createdBy" value={author} onInput={(e) => setAuthor((e.target as HTMLInputElement).value)} />
        </label>
        <label class="silence-comment">
          Comment <input name="comment" value={comment} placeholder="why, and what is being done" onInput={(e) => setComment((e.target as HTMLInputElement).value)} />
        </label>
      </div>
      {error && (
        <div class="error-box" role="alert">
          {error}
        </div>
      )}
      <div class="silence-actions">
        <button type="submit" class="primary" disabled={busy}>
          Create silence
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
