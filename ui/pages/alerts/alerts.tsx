/**
 * Alerts: the ruler's rules with their state and last evaluation, the firing and pending alerts, and
 * the built-in notifier's silences (create one from a firing alert, expire one), refreshed every
 * 15 s. What the server has decides what shows (`settings.features`): with the ruler off the page
 * says so and how to turn it on; with an external Alertmanager the silences live there.
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../../lib/api.js';
import type { UiSettings } from '../../lib/settings.js';
import { usePolling } from '../../components/poll.js';
import { RulesSection } from './rules.js';
import { AlertsSection } from './firing.js';
import { SilencesSection } from './silences.js';
import type { NotifierAlert, PromAlert, RuleGroup, Silence } from './types.js';
import './alerts.css';

export const ALERTS_REFRESH_MS = 15_000;

/** One API answer as the page holds it: the value, or the plain-words error of the last try. */
export interface Loaded<T> {
  value?: T;
  error?: string;
}

/** Fetches into a Loaded; an abort (the page went away, or a newer run started) is passed on. */
async function load<T>(path: string, signal: AbortSignal, set: (l: Loaded<T>) => void): Promise<void> {
  try {
    set({ value: await api<T>(path, {}, { signal }) });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    set({ error: e instanceof ApiError ? e.message : String(e) });
  }
}

export function AlertsPage({ settings }: { settings: UiSettings }) {
  const { ruler, notifier, alertmanagerUrl } = settings.features;
  const [rules, setRules] = useState<Loaded<{ data: { groups: RuleGroup[] } }>>({});
  const [alerts, setAlerts] = useState<Loaded<{ data: { alerts: PromAlert[] } }>>({});
  const [silences, setSilences] = useState<Loaded<Silence[]>>({});
  const [notified, setNotified] = useState<Loaded<NotifierAlert[]>>({});
  const [notice, setNotice] = useState<string | undefined>();
  const refresh = usePolling(async (signal) => {
    await Promise.all([
      ruler && load('/prometheus/api/v1/rules', signal, setRules),
      ruler && load('/prometheus/api/v1/alerts', signal, setAlerts),
      notifier && load('/alertmanager/api/v2/silences', signal, setSilences),
      notifier && ruler && load('/alertmanager/api/v2/alerts', signal, setNotified),
    ]);
  }, ALERTS_REFRESH_MS);

  const active = alerts.value?.data.alerts ?? [];
  const firing = active.filter((a) => a.state === 'firing').length;
  return (
    <div class="alerts-page">
      <div class="alerts-head">
        <h1>Alerts</h1>
        {ruler && alerts.value && (
          <span class={`alerts-summary ${firing > 0 ? 'has-firing' : ''}`} role="status">
            {firing} firing, {active.length - firing} pending
          </span>
        )}
      </div>
      {notice && (
        <div class="alerts-notice" role="status">
          {notice}{' '}
          <button type="button" onClick={() => setNotice(undefined)} aria-label="Dismiss">
            ×
          </button>
        </div>
      )}
      {ruler ? (
        <>
          <AlertsSection
            loaded={alerts}
            notifierAlerts={notified.value ?? []}
            canSilence={notifier}
            onSilenced={(id) => {
              setNotice(`Silence ${id} created.`);
              refresh();
            }}
          />
          <RulesSection loaded={rules} />
        </>
      ) : (
        <RulerOff />
      )}
      <SilencesSection
        notifier={notifier}
        alertmanagerUrl={alertmanagerUrl}
        loaded={silences}
        onExpired={(id) => {
          setNotice(`Silence ${id} expired.`);
          refresh();
        }}
      />
    </div>
  );
}

function RulerOff() {
  return (
    <section class="ruler-off" aria-label="Ruler">
      <h2>The ruler is off on this server</h2>
      <p>
        This server runs with <code>ruler.enabled: false</code>, so it evaluates no alerting or recording rules and there are no rules or alerts to show.
      </p>
      <p>
        To turn it on, remove that setting (the ruler is on by default) or set it to <code>true</code> in the server's configuration and restart. Then add
        rules with <code>logwharf rules sync</code>, through the ruler API (<code>/loki/api/v1/rules</code>, as Grafana and lokitool send them), or from a
        directory (<code>ruler.rules_dir</code>).
      </p>
    </section>
  );
}
