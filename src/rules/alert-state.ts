/**
 * The life of an alert, as Prometheus' rule manager defines it: a series in the rule's result starts
 * an alert `pending`; once it has been present for the rule's `for` it is `firing`; when it leaves the
 * result a pending alert is dropped, and a firing one stays firing for `keep_firing_for` and then is
 * `resolved` (`inactive` with a resolvedAt), kept for RESOLVED_RETENTION_MS so the resolution is sent.
 *
 * Pure: the ruler's evaluator and `rules test` (the backtest) step the same function, so a backtest
 * shows exactly what the ruler would have done. Times are ms since the epoch.
 */
import { labelsToString, type Labels } from '../api/model.js';

export type AlertStateName = 'pending' | 'firing' | 'inactive';

export interface AlertInstance {
  /** Full label set: the series' labels, the rule's labels, and `alertname`. */
  labels: Labels;
  annotations: Labels;
  state: AlertStateName;
  /** The value of the series at the last evaluation it was present in. */
  value: number;
  /** When the series first appeared (pending since). */
  activeAt: number;
  /** When it became firing. */
  firedAt?: number;
  /** When it left the result while firing (keep_firing_for counts from here). */
  keepFiringSince?: number;
  /** When it resolved (state `inactive`). */
  resolvedAt?: number;
  /** When it was last sent to the notifier. */
  lastSentAt?: number;
}

/** One series of the rule's result at an evaluation, labels and annotations already rendered. */
export interface FoundAlert {
  labels: Labels;
  annotations: Labels;
  value: number;
}

export interface AlertTiming {
  forMs: number;
  keepFiringForMs: number;
}

/** How long a resolved alert is kept (and re-sent as resolved), as in Prometheus. */
export const RESOLVED_RETENTION_MS = 15 * 60_000;
/** Prometheus' default `rules.alert.resend-delay`: a firing alert is re-sent at most this often. */
export const RESEND_DELAY_MS = 60_000;

export function alertFingerprint(labels: Labels): string {
  return labelsToString(labels);
}

/**
 * One evaluation at `t`: returns the new alert map (the input is not changed). Alerts found in
 * `found` but already resolved start over as pending, as in Prometheus.
 */
export function stepAlerts(prev: ReadonlyMap<string, AlertInstance>, found: readonly FoundAlert[], timing: AlertTiming, t: number): Map<string, AlertInstance> {
  const next = new Map<string, AlertInstance>();
  const seen = new Set<string>();
  for (const f of found) {
    const fp = alertFingerprint(f.labels);
    if (seen.has(fp)) continue;
    seen.add(fp);
    const old = prev.get(fp);
    if (old && old.state !== 'inactive') {
      const a: AlertInstance = { ...old, labels: f.labels, annotations: f.annotations, value: f.value };
      delete a.keepFiringSince;
      if (a.state === 'pending' && t - a.activeAt >= timing.forMs) {
        a.state = 'firing';
        a.firedAt = t;
      }
      next.set(fp, a);
    } else {
      // A new alert, even where a resolved one with these labels is still kept: as in Prometheus it
      // starts afresh, so when it fires it is sent at once (not held back by the old one's last send).
      const a: AlertInstance = { labels: f.labels, annotations: f.annotations, state: 'pending', value: f.value, activeAt: t };
      if (timing.forMs === 0) {
        a.state = 'firing';
        a.firedAt = t;
      }
      next.set(fp, a);
    }
  }
  for (const [fp, old] of prev) {
    if (seen.has(fp)) continue;
    if (old.state === 'pending') continue;
    if (old.state === 'inactive') {
      // Prometheus drops it once more than the retention has passed.
      if (old.resolvedAt !== undefined && t - old.resolvedAt <= RESOLVED_RETENTION_MS) next.set(fp, old);
      continue;
    }
    // firing and absent from this evaluation
    const since = old.keepFiringSince ?? t;
    if (timing.keepFiringForMs > 0 && t - since < timing.keepFiringForMs) {
      next.set(fp, { ...old, keepFiringSince: since });
      continue;
    }
    const resolved: AlertInstance = { ...old, state: 'inactive', resolvedAt: t };
    delete resolved.keepFiringSince;
    next.set(fp, resolved);
  }
  return next;
}

/**
 * Prometheus' rule: never pending; a resolution not yet sent at once; else (firing, or resolved and
 * kept) at most every `resendDelayMs`, so a receiver that missed the resolution (an Alertmanager
 * restarted meanwhile) still gets it while the resolved alert is kept.
 */
export function needsSending(a: AlertInstance, t: number, resendDelayMs = RESEND_DELAY_MS): boolean {
  if (a.state === 'pending') return false;
  if (a.lastSentAt === undefined) return true;
  if (a.state === 'inactive' && a.resolvedAt !== undefined && a.lastSentAt < a.resolvedAt) return true;
  return a.lastSentAt + resendDelayMs <= t;
}
