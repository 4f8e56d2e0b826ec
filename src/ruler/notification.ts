/**
 * What the ruler hands to the Alertmanager (or the built-in notifier) for an alert, as Prometheus'
 * rule manager builds it: `startsAt` is when the alert started firing, `endsAt` is the resolution
 * time once resolved and otherwise a validity window of four resend periods (so an Alertmanager that
 * stops hearing from us resolves the alert by itself), and external labels are added without
 * overriding the alert's own.
 */
import type { PostableAlert } from '../api/alertmanager.js';
import type { Labels } from '../api/model.js';
import type { AlertInstance } from '../rules/alert-state.js';

/**
 * The link from an alert to its query. Our UI does not exist yet, so it opens the query API; when
 * it does, this one function changes (issue #9: "in our UI when it exists, else the query API").
 */
export function generatorUrl(base: string, expr: string): string {
  return `${base.replace(/\/+$/, '')}/loki/api/v1/query_range?query=${encodeURIComponent(expr)}`;
}

/** Adds `external` labels the alert does not already have. */
export function withExternalLabels(labels: Labels, external: Labels): Labels {
  const out: Labels = { ...labels };
  for (const [k, v] of Object.entries(external)) if (!(k in out) || out[k] === '') out[k] = v;
  return out;
}

export interface NotificationOptions {
  externalLabels: Labels;
  generatorURL: string;
  /** ms: max(evaluation interval, resend delay); a firing alert is valid for four of these. */
  resendPeriodMs: number;
}

export function toPostableAlert(a: AlertInstance, t: number, opts: NotificationOptions): PostableAlert {
  const endsAt = a.state === 'inactive' && a.resolvedAt !== undefined ? a.resolvedAt : t + 4 * opts.resendPeriodMs;
  return {
    labels: withExternalLabels(a.labels, opts.externalLabels),
    annotations: a.annotations,
    startsAt: new Date(a.firedAt ?? a.activeAt).toISOString(),
    endsAt: new Date(endsAt).toISOString(),
    generatorURL: opts.generatorURL,
  };
}
