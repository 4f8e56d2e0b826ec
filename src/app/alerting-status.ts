/**
 * The ruler's and the notifier's health (GET /api/v1/status, components `ruler` and `notifier`):
 * rules and their evaluation failures, alerts firing, and notifications that failed — to the
 * built-in notifier's receivers, or to the Alertmanagers of `ruler.alertmanager_url`.
 */
import type { HealthProblem } from '../api/status.js';
import { levelOf } from '../api/status.js';
import type { HealthContributor } from '../health/monitor.js';
import type { RuleManager } from '../ruler/manager.js';
import type { ServerWindow } from '../web/overview-status.js';

export function rulerContributor(manager: RuleManager, window: () => Promise<ServerWindow>): HealthContributor {
  return {
    name: 'ruler',
    async status() {
      const w = await window();
      const groups = manager.groups();
      let rules = 0;
      let firing = 0;
      const failing: string[] = [];
      for (const g of groups) {
        for (const r of g.rules) {
          rules++;
          if (r.health === 'err') failing.push(`${g.group.tenant}/${g.group.namespace}/${g.group.name}/${r.rule.name}: ${r.lastError}`);
          firing += r.alerts.filter((a) => a.state === 'firing').length;
        }
      }
      const failures = w.increase('prometheus_rule_evaluation_failures_total');
      const problems: HealthProblem[] = [];
      if (failing.length > 0) {
        problems.push({ check: 'rule_evaluation_failing', status: 'warning', message: `${failing.length} rule(s) failed their last evaluation: ${failing.slice(0, 3).join('; ')}${failing.length > 3 ? '; …' : ''}` });
      }
      return {
        status: levelOf(problems),
        figures: { groups: groups.length, rules, rules_failing: failing.length, evaluation_failures: failures, window_seconds: w.windowSeconds, alerts_firing: firing },
        problems,
      };
    },
  };
}

/** `target`: 'built-in' or the Alertmanager URLs the ruler sends to. */
export function notifierContributor(target: string, window: () => Promise<ServerWindow>): HealthContributor {
  const builtIn = target === 'built-in';
  return {
    name: 'notifier',
    async status() {
      const w = await window();
      // The built-in notifier counts under Alertmanager's names; the sender to an Alertmanager under Prometheus'.
      const failed = builtIn ? w.increase('alertmanager_notifications_failed_total') : w.increase('prometheus_notifications_errors_total') + w.increase('prometheus_notifications_dropped_total');
      const sent = builtIn ? w.increase('alertmanager_notifications_total') : w.increase('prometheus_notifications_sent_total');
      const problems: HealthProblem[] = [];
      if (failed > 0) {
        problems.push({ check: 'notifications_failing', status: 'warning', message: `${failed} notification(s) failed in the last ${w.windowSeconds}s to ${builtIn ? 'the built-in notifier\'s receivers' : target} (see the server's log)` });
      }
      return { status: levelOf(problems), figures: { target, window_seconds: w.windowSeconds, attempted: sent, failed }, problems };
    },
  };
}
