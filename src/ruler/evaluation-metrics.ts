/**
 * The ruler's metrics, named as Prometheus' rule manager names them (issue #9), so existing
 * dashboards and alerts on a Prometheus or Loki ruler apply. Labels: `rule_group` is
 * `<namespace>;<group>` (Prometheus writes `<file>;<group>`, and a namespace is our file), and
 * `tenant` (one process serves every tenant). Alerts by state have no Prometheus equivalent (it
 * writes the `ALERTS` series instead), hence the logwharf_ name.
 */
import { Counter, Gauge, Summary, type Registry } from 'prom-client';
import type { AlertStateName } from '../rules/alert-state.js';

export type GroupLabels = { tenant: string; rule_group: string };

export interface RulerMetrics {
  evaluations: Counter<'tenant' | 'rule_group'>;
  failures: Counter<'tenant' | 'rule_group'>;
  evaluationDuration: Summary;
  groupDuration: Summary;
  iterations: Counter<'tenant' | 'rule_group'>;
  iterationsMissed: Counter<'tenant' | 'rule_group'>;
  lastEvaluation: Gauge<'tenant' | 'rule_group'>;
  lastDuration: Gauge<'tenant' | 'rule_group'>;
  lastSamples: Gauge<'tenant' | 'rule_group'>;
  interval: Gauge<'tenant' | 'rule_group'>;
  rules: Gauge<'tenant' | 'rule_group'>;
  /** Drops a removed group's series. */
  forget(labels: GroupLabels): void;
}

export function ruleGroupLabel(namespace: string, name: string): string {
  return `${namespace};${name}`;
}

/** `countAlerts` is read at each scrape: active alerts per tenant and state. */
export function createRulerMetrics(registry: Registry, countAlerts: () => Iterable<{ tenant: string; state: AlertStateName; count: number }>): RulerMetrics {
  const labelNames = ['tenant', 'rule_group'] as const;
  const registers = [registry];
  // Prometheus' summaries keep the last 10 minutes, with these quantiles.
  const summary = { percentiles: [0.5, 0.9, 0.99], maxAgeSeconds: 600, ageBuckets: 5, registers };
  const m = {
    evaluations: new Counter({ name: 'prometheus_rule_evaluations_total', help: 'The total number of rule evaluations.', labelNames, registers }),
    failures: new Counter({ name: 'prometheus_rule_evaluation_failures_total', help: 'The total number of rule evaluation failures.', labelNames, registers }),
    evaluationDuration: new Summary({ name: 'prometheus_rule_evaluation_duration_seconds', help: 'The duration for a rule to execute.', ...summary }),
    groupDuration: new Summary({ name: 'prometheus_rule_group_duration_seconds', help: 'The duration of rule group evaluations.', ...summary }),
    iterations: new Counter({ name: 'prometheus_rule_group_iterations_total', help: 'The total number of scheduled rule group evaluations, whether executed or missed.', labelNames, registers }),
    iterationsMissed: new Counter({ name: 'prometheus_rule_group_iterations_missed_total', help: 'The total number of rule group evaluations missed due to slow rule group evaluation.', labelNames, registers }),
    lastEvaluation: new Gauge({ name: 'prometheus_rule_group_last_evaluation_timestamp_seconds', help: 'The timestamp of the last rule group evaluation in seconds.', labelNames, registers }),
    lastDuration: new Gauge({ name: 'prometheus_rule_group_last_duration_seconds', help: 'The duration of the last rule group evaluation.', labelNames, registers }),
    lastSamples: new Gauge({ name: 'prometheus_rule_group_last_evaluation_samples', help: 'The number of samples returned during the last rule group evaluation.', labelNames, registers }),
    interval: new Gauge({ name: 'prometheus_rule_group_interval_seconds', help: 'The interval of a rule group.', labelNames, registers }),
    rules: new Gauge({ name: 'prometheus_rule_group_rules', help: 'The number of rules.', labelNames, registers }),
  };
  new Gauge({
    name: 'logwharf_ruler_alerts',
    help: 'Active alerts of the ruler by tenant and state (pending, firing).',
    labelNames: ['tenant', 'state'] as const,
    registers,
    collect() {
      this.reset();
      for (const c of countAlerts()) this.set({ tenant: c.tenant, state: c.state }, c.count);
    },
  });
  const perGroup = [m.evaluations, m.failures, m.iterations, m.iterationsMissed, m.lastEvaluation, m.lastDuration, m.lastSamples, m.interval, m.rules];
  return {
    ...m,
    forget(labels) {
      for (const metric of perGroup) metric.remove(labels);
    },
  };
}
