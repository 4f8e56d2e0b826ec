/**
 * Alerts as the v2 API lists them (GettableAlert): status from the tenant's silences (nothing is
 * ever inhibited or unprocessed here), Alertmanager's filters (`filter` matchers, `active`,
 * `silenced`, `receiver`), resolved alerts left out, sorted by fingerprint as Alertmanager sorts.
 */
import type { GettableAlert } from '../api/alertmanager.js';
import { formatTime, isResolved, type Alert } from './alerts.js';
import { matchesEvery, type LabelMatcher } from './matchers.js';
import type { Silences } from './silences.js';

export interface AlertFilter {
  matchers?: LabelMatcher[];
  active?: boolean;
  silenced?: boolean;
  /** Accepted for compatibility: no alert is inhibited or unprocessed here. */
  inhibited?: boolean;
  unprocessed?: boolean;
  /** Anchored regex test on the receiver name. */
  receiver?: (name: string) => boolean;
}

export function toGettableAlert(a: Alert, silencedBy: string[], receiver: string): GettableAlert {
  const out: GettableAlert = {
    annotations: a.annotations,
    endsAt: formatTime(a.endsAt),
    fingerprint: a.fingerprint,
    receivers: receiver ? [{ name: receiver }] : [],
    startsAt: formatTime(a.startsAt),
    status: { inhibitedBy: [], silencedBy, state: silencedBy.length > 0 ? 'suppressed' : 'active' },
    updatedAt: formatTime(a.updatedAt),
    labels: a.labels,
  };
  if (a.generatorURL) out.generatorURL = a.generatorURL;
  return out;
}

function kept(a: Alert, g: GettableAlert, f: AlertFilter, at: number): boolean {
  if (isResolved(a, at)) return false;
  if (f.receiver && !g.receivers.some((r) => f.receiver!(r.name))) return false;
  if (f.matchers && !matchesEvery(f.matchers, a.labels)) return false;
  const silenced = g.status.silencedBy.length > 0;
  return silenced ? f.silenced !== false : f.active !== false;
}

export function listAlerts(alerts: Iterable<Alert>, silences: Silences, receiver: string, f: AlertFilter, at: number): GettableAlert[] {
  const out: GettableAlert[] = [];
  for (const a of alerts) {
    const g = toGettableAlert(a, silences.silencing(a.labels, at), receiver);
    if (kept(a, g, f, at)) out.push(g);
  }
  return out.sort((x, y) => (x.fingerprint < y.fingerprint ? -1 : x.fingerprint > y.fingerprint ? 1 : 0));
}
