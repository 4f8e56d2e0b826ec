/**
 * Prometheus' rules and alerts API (GET /api/v1/rules, /api/v1/alerts) as Loki serves it under
 * /prometheus/api/v1: the wire shape Grafana's alert list reads, and its request parameters. Field
 * names, order and omissions follow Prometheus' web API (lastError and empty recording-rule labels
 * omitted, keepFiringSince only while it applies); `file` is the rule namespace, as in Loki.
 */
import { LogwharfError } from './errors.js';
import type { Labels } from './model.js';

export type PromRuleHealth = 'ok' | 'err' | 'unknown';

export interface PromAlert {
  labels: Labels;
  annotations: Labels;
  state: 'pending' | 'firing';
  activeAt: string;
  keepFiringSince?: string;
  /** Go's strconv.FormatFloat(v, 'e', -1, 64), e.g. "1e+00". */
  value: string;
}

export interface PromAlertingRule {
  state: 'inactive' | 'pending' | 'firing';
  name: string;
  query: string;
  /** `for`, seconds. */
  duration: number;
  /** `keep_firing_for`, seconds. */
  keepFiringFor: number;
  labels: Labels;
  annotations: Labels;
  alerts: PromAlert[];
  health: PromRuleHealth;
  lastError?: string;
  /** Seconds. */
  evaluationTime: number;
  lastEvaluation: string;
  type: 'alerting';
}

export interface PromRecordingRule {
  name: string;
  query: string;
  labels?: Labels;
  health: PromRuleHealth;
  lastError?: string;
  evaluationTime: number;
  lastEvaluation: string;
  type: 'recording';
}

export interface PromRuleGroup {
  name: string;
  /** The rule namespace. */
  file: string;
  rules: Array<PromAlertingRule | PromRecordingRule>;
  /** Seconds. */
  interval: number;
  limit: number;
  evaluationTime: number;
  lastEvaluation: string;
}

export interface PromRulesResponse {
  status: 'success';
  data: { groups: PromRuleGroup[] };
}

export interface PromAlertsResponse {
  status: 'success';
  data: { alerts: PromAlert[] };
}

/** GET /api/v1/rules filters; an empty list means no filtering. */
export interface PromRulesFilter {
  type?: 'alert' | 'record';
  ruleName: string[];
  ruleGroup: string[];
  file: string[];
}

/**
 * Reads the filters. Prometheus spells repeated parameters `rule_name[]`; Loki reads `rule_name`:
 * both are accepted. `type` is case-insensitive, as in Loki.
 */
export function parsePromRulesFilter(search: URLSearchParams): PromRulesFilter {
  const list = (name: string): string[] => [...search.getAll(`${name}[]`), ...search.getAll(name)].filter((v) => v !== '');
  const type = (search.get('type') ?? '').toLowerCase();
  if (type !== '' && type !== 'alert' && type !== 'record') throw new LogwharfError('invalid_param', `not supported value ${JSON.stringify(type)}`);
  const f: PromRulesFilter = { ruleName: list('rule_name'), ruleGroup: list('rule_group'), file: list('file') };
  if (type !== '') f.type = type;
  return f;
}

/** Go's strconv.FormatFloat(v, 'e', -1, 64): shortest digits, exponent of at least two digits. */
export function formatGoExponent(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = Object.is(v, -0) ? '-0e+0' : v.toExponential();
  const e = s.indexOf('e');
  const sign = s[e + 1]!;
  const digits = s.slice(e + 2);
  return s.slice(0, e + 1) + sign + (digits.length < 2 ? '0' + digits : digits);
}

/** Go's time.Time JSON (RFC 3339 with nanoseconds, trailing zeros trimmed), in UTC; Go's zero time when never. */
export function formatGoTime(ms: number | undefined): string {
  if (ms === undefined) return '0001-01-01T00:00:00Z';
  return new Date(ms).toISOString().replace(/\.?0*Z$/, 'Z');
}
