/**
 * The built-in notifier's silences (matchers, creator, comment, ends at) with "Expire"; when alerts
 * go to an external Alertmanager, where the silences live instead (a link; nothing is asked of it).
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../../lib/api.js';
import { RelativeTime } from '../../components/relative-time.js';
import type { Loaded } from './alerts.js';
import { StateBadge } from './firing.js';
import { alertmanagerLinks, formatMatcher, sortSilences } from './model.js';
import type { Silence } from './types.js';

export interface SilencesSectionProps {
  notifier: boolean;
  alertmanagerUrl: string;
  loaded: Loaded<Silence[]>;
  onExpired(id: string): void;
}

export function SilencesSection({ notifier, alertmanagerUrl, loaded, onExpired }: SilencesSectionProps) {
  const [showExpired, setShowExpired] = useState(false);
  const [error, setError] = useState<string | undefined>();
  if (!notifier) {
    const links = alertmanagerLinks(alertmanagerUrl);
    return (
      <section class="silences" aria-label="Silences">
        <h2>Silences</h2>
        <div class="empty silences-external">
          Alerts go to an external Alertmanager (<code>ruler.alertmanager_url</code>): silences live there.{' '}
          {links.map((l) => (
            <a key={l} href={l} target="_blank" rel="noreferrer">
              Open {l}
            </a>
          ))}
        </div>
      </section>
    );
  }
  const all = sortSilences(loaded.value ?? []);
  const expired = all.filter((s) => s.status.state === 'expired').length;
  const shown = showExpired ? all : all.filter((s) => s.status.state !== 'expired');
  const expire = async (s: Silence) => {
    if (!confirm(`Expire silence ${s.id}? Alerts it holds will notify again.`)) return;
    setError(undefined);
    try {
      await api(`/alertmanager/api/v2/silence/${encodeURIComponent(s.id)}`, {}, { method: 'DELETE' });
      onExpired(s.id);
    } catch (e) {
      setError(`Silence ${s.id} was not expired. ${e instanceof ApiError ? e.message : String(e)}`);
    }
  };
  return (
    <section class="silences" aria-label="Silences">
      <h2>
        Silences
        {expired > 0 && (
          <label class="show-expired">
            <input type="checkbox" checked={showExpired} onChange={(e) => setShowExpired((e.target as HTMLInputElement).checked)} /> show {expired} expired
          </label>
        )}
      </h2>
      {(loaded.error || error) && (
        <div class="error-box" role="alert">
          {error ?? `Could not load the silences: ${loaded.error}`}
        </div>
      )}
      {loaded.value && shown.length === 0 && <div class="empty">No active silence. Silence a firing alert with its “Silence…” button.</div>}
      {shown.length > 0 && (
        <table class="grid silences-table">
          <thead>
            <tr>
              <th>State</th>
              <th>Matchers</th>
              <th>Created by</th>
              <th>Comment</th>
              <th>Ends</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {shown.map((s) => (
              <tr key={s.id} class={`silence-row state-${s.status.state}`} data-silence={s.id}>
                <td>
                  <StateBadge state={s.status.state} />
                </td>
                <td class="silence-matchers">
                  {s.matchers.map((m) => (
                    <code key={formatMatcher(m)} class="label-chip">
                      {formatMatcher(m)}
                    </code>
                  ))}
                </td>
                <td>{s.createdBy}</td>
                <td>{s.comment}</td>
                <td>
                  <RelativeTime time={s.endsAt} />
                </td>
                <td>
                  {s.status.state !== 'expired' && (
                    <button type="button" onClick={() => void expire(s)}>
                      Expire
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
