/**
 * Alerts read back from disk after the ruler was down, adjusted for the time nothing was evaluated.
 *
 * - Firing alerts stay firing with their activeAt, firedAt and lastSentAt: the next evaluation that
 *   still finds the series keeps them firing (the same `startsAt` goes to the Alertmanager, and no
 *   re-send before the resend delay); one that no longer finds it resolves them, honouring
 *   keep_firing_for, so nothing firing is forgotten.
 * - Resolved alerts keep waiting for their resolution to be sent.
 * - Pending alerts keep their activeAt when the outage was no longer than one evaluation interval
 *   (a restart: no evaluation was missed, nothing unobserved is counted). After a longer outage the
 *   time no evaluation ran does not count toward `for`: activeAt moves forward by the outage minus
 *   one interval. Prometheus does the same when it restores `for` state (rules.alert.for-grace-period
 *   adds a further minimum wait there, because it restores from samples that may be stale; we keep
 *   exact state, so no grace period is added). An alert must have been seen for `for` before it fires.
 */
import type { AlertInstance } from '../rules/alert-state.js';

export function restoreAlerts(alerts: readonly AlertInstance[], lastEvaluation: number, firstEvaluation: number, intervalMs: number): AlertInstance[] {
  const unobserved = firstEvaluation - lastEvaluation - intervalMs;
  return alerts.map((a) => (a.state === 'pending' && unobserved > 0 ? { ...a, activeAt: a.activeAt + unobserved } : a));
}
