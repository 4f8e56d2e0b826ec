/** The firing and pending alerts: labels, summary and description, active since, and "Silence…". */
import { useState } from 'preact/hooks';
import { RelativeTime } from '../../components/relative-time.js';
import type { Loaded } from './alerts.js';
import { silencedBy, sortAlerts } from './model.js';
import { SilenceForm } from './silence-form.js';
import type { NotifierAlert, PromAlert } from './types.js';

export interface AlertsSectionProps {
  loaded: Loaded<{ data: { alerts: PromAlert[] } }>;
  notifierAlerts: NotifierAlert[];
  /** The built-in notifier receives the alerts, so silences can be made here. */
  canSilence: boolean;
  onSilenced(id: string): void;
}

/** A stable key for an alert: its labels, which identify it. */
const keyOf = (a: PromAlert) => JSON.stringify(Object.entries(a.labels).sort());

export function AlertsSection({ loaded, notifierAlerts, canSilence, onSilenced }: AlertsSectionProps) {
  const [silencing, setSilencing] = useState<string | undefined>();
  const alerts = sortAlerts(loaded.value?.data.alerts ?? []);
  return (
    <section class="alerts-active" aria-label="Firing and pending alerts">
      <h2>Firing and pending alerts</h2>
      {loaded.error && (
        <div class="error-box" role="alert">
          Could not load the alerts: {loaded.error}
        </div>
      )}
      {loaded.value && alerts.length === 0 && <div class="empty">No alert is firing or pending.</div>}
      {alerts.length > 0 && (
        <table class="grid alerts-table">
          <thead>
            <tr>
              <th>State</th>
              <th>Alert</th>
              <th>Labels</th>
              <th>Summary</th>
              <th>Active since</th>
              <th>Value</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {alerts.map((a) => {
              const key = keyOf(a);
              const silenced = silencedBy(a, notifierAlerts);
              const { alertname, ...rest } = a.labels;
              return [
                <tr key={key} class={`alert-row state-${a.state}`} data-alertname={alertname}>
                  <td>
                    <StateBadge state={a.state} />
                    {silenced.length > 0 && (
                      <div class="badge badge-silenced" title={`Silenced by ${silenced.join(', ')}`}>
                        silenced
                      </div>
                    )}
                  </td>
                  <td class="alert-name">{alertname}</td>
                  <td>
                    <LabelChips labels={rest} />
                  </td>
                  <td class="alert-annotations">
                    {a.annotations.summary && <div class="alert-summary">{a.annotations.summary}</div>}
                    {a.annotations.description && <div class="alert-description">{a.annotations.description}</div>}
                  </td>
                  <td>
                    <RelativeTime time={a.activeAt} />
                  </td>
                  <td class="num">{formatValue(a.value)}</td>
                  <td>
                    {canSilence && (
                      <button type="button" onClick={() => setSilencing(silencing === key ? undefined : key)} aria-expanded={silencing === key}>
                        Silence…
                      </button>
                    )}
                  </td>
                </tr>,
                silencing === key && (
                  <tr key={`${key}-form`} class="silence-form-row">
                    <td colSpan={7}>
                      <SilenceForm
                        labels={a.labels}
                        onCancel={() => setSilencing(undefined)}
                        onCreated={(id) => {
                          setSilencing(undefined);
                          onSilenced(id);
                        }}
                      />
                    </td>
                  </tr>
                ),
              ];
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge badge-${state}`}>{state}</span>;
}

export function LabelChips({ labels }: { labels: Record<string, string> }) {
  return (
    <span class="label-chips">
      {Object.entries(labels).map(([k, v]) => (
        <span key={k} class="label-chip">
          {k}={v}
        </span>
      ))}
    </span>
  );
}

/** Go's `1.2e+01` as `12`; anything unreadable as sent. */
function formatValue(v: string): string {
  const n = Number(v);
  return Number.isFinite(n) ? String(Math.round(n * 1000) / 1000) : v;
}
