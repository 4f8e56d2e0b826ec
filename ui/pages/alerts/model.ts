/**
 * The alerts page's logic without the DOM: the order of alerts, a silence built from a firing
 * alert's labels, how matchers read, which silences hold an alert, and the external Alertmanager's
 * address fit to show. Unit-tested under node.
 */
import type { Labels, NotifierAlert, PostableSilence, PromAlert, Silence, SilenceMatcher } from './types.js';

/** The durations a silence made from the page can have. */
export const SILENCE_DURATIONS = [
  { label: '1 hour', ms: 3_600_000 },
  { label: '4 hours', ms: 4 * 3_600_000 },
  { label: '24 hours', ms: 24 * 3_600_000 },
] as const;

/** Firing before pending, then the longest active first, then by name. */
export function sortAlerts(alerts: PromAlert[]): PromAlert[] {
  const rank = (a: PromAlert) => (a.state === 'firing' ? 0 : 1);
  return [...alerts].sort(
    (a, b) => rank(a) - rank(b) || Date.parse(a.activeAt) - Date.parse(b.activeAt) || (a.labels.alertname ?? '').localeCompare(b.labels.alertname ?? ''),
  );
}

/** One equality matcher per label of the alert, alertname first: a silence for exactly this alert. */
export function matchersFor(labels: Labels): SilenceMatcher[] {
  const names = Object.keys(labels).sort((a, b) => (a === 'alertname' ? -1 : b === 'alertname' ? 1 : a.localeCompare(b)));
  return names.map((name) => ({ name, value: labels[name]!, isRegex: false, isEqual: true }));
}

/** The POST /alertmanager/api/v2/silences body: from now for `durationMs`. */
export function silenceBody(matchers: SilenceMatcher[], durationMs: number, createdBy: string, comment: string, now: number): PostableSilence {
  return { matchers, startsAt: new Date(now).toISOString(), endsAt: new Date(now + durationMs).toISOString(), createdBy: createdBy.trim(), comment: comment.trim() };
}

/** Why a silence cannot be created yet, in words; undefined when it can. */
export function silenceProblem(matchers: SilenceMatcher[], createdBy: string, comment: string): string | undefined {
  if (matchers.length === 0) return 'Keep at least one matcher: a silence without matchers would silence everything.';
  if (!createdBy.trim()) return 'Say who creates the silence (author).';
  if (!comment.trim()) return 'Say why (comment): the next person on call will read it.';
  return undefined;
}

/** `name="value"`, `name=~"re"`, `name!="value"`, `name!~"re"` (PromQL's spelling). */
export function formatMatcher(m: SilenceMatcher): string {
  const equal = m.isEqual ?? true;
  const op = m.isRegex ? (equal ? '=~' : '!~') : equal ? '=' : '!=';
  return `${m.name}${op}${JSON.stringify(m.value)}`;
}

/** Active first, then pending, then expired; within each, the one ending first first. */
export function sortSilences(list: Silence[]): Silence[] {
  const rank = { active: 0, pending: 1, expired: 2 } as const;
  return [...list].sort((a, b) => rank[a.status.state] - rank[b.status.state] || Date.parse(a.endsAt) - Date.parse(b.endsAt));
}

/**
 * The ids of the silences holding an alert, from the notifier's own view of it (it decides, with
 * its RE2 matchers): the notifier's alert whose labels include every label of the rule's alert (the
 * notifier's may carry external labels besides).
 */
export function silencedBy(alert: PromAlert, notifierAlerts: NotifierAlert[]): string[] {
  const entries = Object.entries(alert.labels);
  const match = notifierAlerts.find((n) => entries.every(([k, v]) => n.labels[k] === v));
  return match?.status.silencedBy ?? [];
}

/**
 * The external Alertmanagers of `ruler.alertmanager_url` (comma-separated) as links a person can
 * open: credentials removed (never shown), the API path (`/api/v2/alerts`) cut back to the UI's root.
 */
export function alertmanagerLinks(config: string): string[] {
  const out: string[] = [];
  for (const raw of config.split(',')) {
    const t = raw.trim();
    if (!t) continue;
    try {
      const u = new URL(t);
      u.username = '';
      u.password = '';
      u.pathname = u.pathname.replace(/\/api\/v[12]\/alerts\/?$/, '/');
      u.search = '';
      u.hash = '';
      out.push(u.toString());
    } catch {
      // Not a URL the browser can open: leave it out rather than show something broken.
    }
  }
  return out;
}
