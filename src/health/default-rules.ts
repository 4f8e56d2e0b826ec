/**
 * The self-monitoring rules shipped with the server (issue #13): ordinary LogQL alerting rules over
 * the health records (./health-records.ts), in namespace `logwharf` of the audit tenant. They are
 * offered to the rule repository as built-in groups: listed by the ruler API like any rule, and
 * overridden Loki's way — a namespace `logwharf` written through the API (or a file in
 * `ruler.rules_dir`) replaces them whole; deleting it brings them back. `health.default_rules: false`
 * leaves them out.
 *
 * Each rule matches the problem records of one check (the thresholds live in one place, the health
 * monitor, which the status endpoint shows too), summed by the subject's fields so an alert names
 * the agent or tenant. The window is three recording rounds: one lost round does not resolve an
 * alert, and an alert resolves within three rounds of the problem going away. A healthy server
 * writes no problem record, so none of them can fire on it.
 */
import type { RuleGroupSpec, RuleSpec } from '../rules/model.js';

export const DEFAULT_RULES_NAMESPACE = 'logwharf';
export const DEFAULT_RULES_GROUP = 'self-monitoring';

/** Checks with a rule of their own; the catch-all rule for critical problems leaves them out. */
const NAMED_CHECKS = ['agent_stale', 'sources_failing', 'coverage_below_100', 'disk_nearly_full'];

/** A Prometheus duration for `ms` (whole seconds when it is). */
function promDuration(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function problems(component: string, check: string, window: string): string {
  return `{service_name="logwharf", log_type="health", component="${component}"} | json | kind="problem" and check="${check}" [${window}]`;
}

/** The default group for a recording interval of `intervalMs`. */
export function defaultRuleGroups(intervalMs: number): RuleGroupSpec[] {
  const window = promDuration(3 * intervalMs);
  const rules: RuleSpec[] = [
    {
      alert: 'LogwharfAgentStale',
      expr: `sum by (tenant, agent, host) (count_over_time(${problems('agents', 'agent_stale', window)})) > 0`,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Agent {{ $labels.agent }} on {{ $labels.host }} (tenant {{ $labels.tenant }}) stopped reporting',
        description: 'The agent has not reported its sources for longer than registry.stale_after: it is down, or cannot reach the server. Its logs are not arriving.',
      },
    },
    {
      alert: 'LogwharfSourcesFailing',
      expr: `sum by (tenant) (count_over_time(${problems('agents', 'sources_failing', window)})) > 0`,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Sources of tenant {{ $labels.tenant }} are failing',
        description: 'Agents report sources in state error (GET /api/v1/sources?state=error names them and their last error).',
      },
    },
    {
      alert: 'LogwharfCoverageBelow100',
      expr: `sum by (tenant) (count_over_time(${problems('agents', 'coverage_below_100', window)})) > 0`,
      // A container that just started has read lines not yet acknowledged; only a lasting gap counts.
      for: '5m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Not every container of tenant {{ $labels.tenant }} has its logs arriving',
        description: 'Coverage (GET /api/v1/sources) has been below 100 % for 5 minutes: some containers that write logs have none stored.',
      },
    },
    {
      alert: 'LogwharfDiskNearlyFull',
      expr: `sum by (status) (count_over_time(${problems('store', 'disk_nearly_full', window)})) > 0`,
      labels: { severity: '{{ $labels.status }}' },
      annotations: {
        summary: 'The data directory\'s filesystem is nearly full',
        description: 'Above health.disk_warning_percent (warning) or health.disk_critical_percent (critical); when it is full, pushes fail. Shorten retention or add space.',
      },
    },
    {
      alert: 'LogwharfComponentCritical',
      expr: `sum by (component, check) (count_over_time({service_name="logwharf", log_type="health"} | json | kind="problem" and status="critical" and check!~"${NAMED_CHECKS.join('|')}" [${window}])) > 0`,
      labels: { severity: 'critical' },
      annotations: {
        summary: 'logwharf component {{ $labels.component }} is critical ({{ $labels.check }})',
        description: 'GET /api/v1/status (or `logwharf status`) says what is wrong.',
      },
    },
  ];
  return [{ name: DEFAULT_RULES_GROUP, interval: promDuration(intervalMs), rules }];
}
