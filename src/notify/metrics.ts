/**
 * The notifier's metrics, under Alertmanager's own names so its dashboards and alerts apply:
 * notification attempts, failures and latency per integration, and alerts and silences by state
 * (summed over tenants, counted at scrape time).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { isResolved, type Alert } from './alerts.js';
import type { DeliveryMetrics } from './integrations.js';
import { silenceState, type Silences } from './silences.js';

export interface CountedState {
  alerts: Map<string, Alert>;
  silences: Silences;
}

export function deliveryMetrics(registry: Registry): DeliveryMetrics {
  const labelNames = ['integration'] as const;
  return {
    total: new Counter({ name: 'alertmanager_notifications_total', help: 'The total number of attempted notifications.', labelNames, registers: [registry] }),
    failed: new Counter({ name: 'alertmanager_notifications_failed_total', help: 'The total number of failed notifications.', labelNames, registers: [registry] }),
    latency: new Histogram({ name: 'alertmanager_notification_latency_seconds', help: 'The latency of notifications in seconds.', labelNames, buckets: [1, 5, 10, 15, 20], registers: [registry] }),
  };
}

export function registerStateGauges(registry: Registry, all: () => Iterable<CountedState>, now: () => number): void {
  new Gauge({
    name: 'alertmanager_alerts',
    help: 'How many alerts by state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const at = now();
      let active = 0;
      let suppressed = 0;
      for (const t of all()) {
        for (const a of t.alerts.values()) {
          if (isResolved(a, at)) continue;
          if (t.silences.silencing(a.labels, at).length > 0) suppressed++;
          else active++;
        }
      }
      this.set({ state: 'active' }, active);
      this.set({ state: 'suppressed' }, suppressed);
    },
  });
  new Gauge({
    name: 'alertmanager_silences',
    help: 'How many silences by state.',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const at = now();
      const n = { active: 0, pending: 0, expired: 0 };
      for (const t of all()) for (const s of t.silences.list()) n[silenceState(s, at)]++;
      for (const [state, v] of Object.entries(n)) this.set({ state }, v);
    },
  });
}

