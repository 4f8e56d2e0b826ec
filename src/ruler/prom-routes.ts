/**
 * Prometheus' rules and alerts API, per tenant, as Loki serves it (GET /prometheus/api/v1/rules and
 * /prometheus/api/v1/alerts): what Grafana's alert list and `cortextool`/`lokitool` read. Only active
 * alerts (pending, firing) are listed, as Prometheus lists them; a resolved alert is gone from here
 * while its resolution is still being sent. Loki's /api/prom/rules is its YAML ruler API, not this one.
 */
import {
  formatGoExponent,
  formatGoTime,
  parsePromRulesFilter,
  type PromAlert,
  type PromAlertingRule,
  type PromAlertsResponse,
  type PromRecordingRule,
  type PromRuleGroup,
  type PromRulesFilter,
  type PromRulesResponse,
} from '../api/prom-rules.js';
import { sortLabels } from '../api/model.js';
import { sendJson } from '../http/context.js';
import type { RouteOptions, Router } from '../http/router.js';
import type { AlertInstance } from '../rules/alert-state.js';
import type { GroupSnapshot, RuleManager, RuleSnapshot } from './manager.js';

/** Errors in Prometheus' envelope, which Grafana's alert list decodes. */
const PROMETHEUS_ERRORS: RouteOptions = { errorBody: 'prometheus', role: 'read' };

export function registerPromRuleRoutes(router: Router, manager: RuleManager): void {
  router.add('GET', '/prometheus/api/v1/rules', (ctx) => {
    const filter = parsePromRulesFilter(ctx.url.searchParams);
    const body: PromRulesResponse = { status: 'success', data: { groups: promRuleGroups(manager.groups(ctx.tenant), filter) } };
    sendJson(ctx, 200, body);
  }, PROMETHEUS_ERRORS);
  router.add('GET', '/prometheus/api/v1/alerts', (ctx) => {
    const alerts: PromAlert[] = [];
    for (const g of manager.groups(ctx.tenant)) for (const r of g.rules) if (r.rule.kind === 'alerting') for (const a of activeAlerts(r)) alerts.push(a);
    const body: PromAlertsResponse = { status: 'success', data: { alerts } };
    sendJson(ctx, 200, body);
  }, PROMETHEUS_ERRORS);
}

/** Groups in Prometheus' shape, filtered; a group without (matching) rules is not listed, as in Loki and Prometheus. */
export function promRuleGroups(groups: readonly GroupSnapshot[], filter: PromRulesFilter): PromRuleGroup[] {
  const out: PromRuleGroup[] = [];
  const wanted = (list: string[], v: string): boolean => list.length === 0 || list.includes(v);
  for (const g of groups) {
    if (!wanted(filter.ruleGroup, g.group.name) || !wanted(filter.file, g.group.namespace)) continue;
    const rules: PromRuleGroup['rules'] = [];
    for (const r of g.rules) {
      if (!wanted(filter.ruleName, r.rule.name)) continue;
      if (r.rule.kind === 'alerting' && filter.type !== 'record') rules.push(alertingRule(r));
      if (r.rule.kind === 'recording' && filter.type !== 'alert') rules.push(recordingRule(r));
    }
    if (rules.length === 0) continue;
    out.push({
      name: g.group.name,
      file: g.group.namespace,
      rules,
      interval: g.group.intervalMs / 1000,
      limit: g.group.limit,
      evaluationTime: g.evaluationSeconds,
      lastEvaluation: formatGoTime(g.lastEvaluation),
    });
  }
  return out;
}

function alertingRule(r: RuleSnapshot): PromAlertingRule {
  if (r.rule.kind !== 'alerting') throw new Error('not an alerting rule');
  const alerts = activeAlerts(r);
  const state = alerts.some((a) => a.state === 'firing') ? 'firing' : alerts.length > 0 ? 'pending' : 'inactive';
  const out: PromAlertingRule = {
    state,
    name: r.rule.name,
    query: r.rule.expr,
    duration: r.rule.forMs / 1000,
    keepFiringFor: r.rule.keepFiringForMs / 1000,
    labels: sortLabels(r.rule.labels),
    annotations: sortLabels(r.rule.annotations),
    alerts,
    health: r.health,
    evaluationTime: r.evaluationSeconds,
    lastEvaluation: formatGoTime(r.lastEvaluation),
    type: 'alerting',
  };
  return withLastError(out, r.lastError);
}

function recordingRule(r: RuleSnapshot): PromRecordingRule {
  const out: PromRecordingRule = { name: r.rule.name, query: r.rule.expr, health: r.health, evaluationTime: r.evaluationSeconds, lastEvaluation: formatGoTime(r.lastEvaluation), type: 'recording' };
  if (Object.keys(r.rule.labels).length > 0) out.labels = sortLabels(r.rule.labels);
  return withLastError(out, r.lastError);
}

/** Inserts lastError after health, where Prometheus writes it, when there is one. */
function withLastError<T extends { health: string; lastError?: string }>(rule: T, lastError: string): T {
  if (lastError === '') return rule;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(rule)) {
    out[k] = v;
    if (k === 'health') out.lastError = lastError;
  }
  return out as T;
}

function activeAlerts(r: RuleSnapshot): PromAlert[] {
  return r.alerts.filter((a): a is AlertInstance & { state: 'pending' | 'firing' } => a.state !== 'inactive').map(promAlert);
}

function promAlert(a: AlertInstance & { state: 'pending' | 'firing' }): PromAlert {
  // Prometheus' label sets marshal in name order.
  const out: PromAlert = { labels: sortLabels(a.labels), annotations: sortLabels(a.annotations), state: a.state, activeAt: formatGoTime(a.activeAt), value: formatGoExponent(a.value) };
  if (a.keepFiringSince !== undefined) {
    // Prometheus writes it between activeAt and value.
    return { labels: out.labels, annotations: out.annotations, state: out.state, activeAt: out.activeAt, keepFiringSince: formatGoTime(a.keepFiringSince), value: out.value };
  }
  return out;
}
