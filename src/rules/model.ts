/**
 * Rule groups as Prometheus' rule-file format defines them (and Loki's ruler stores them), with LogQL
 * in `expr`. `RuleGroupSpec` is the wire shape: what a user writes in YAML and what the ruler API
 * returns, durations kept as written so a GET answers with the text that was sent. `RuleGroup` is the
 * same group checked and normalised for evaluation (durations in ms, maps never absent).
 */
import type { Labels } from '../api/model.js';

export type RuleOrigin = 'api' | 'dir' | 'builtin';

/** One rule as written: exactly one of `alert` or `record`. */
export interface RuleSpec {
  alert?: string;
  record?: string;
  expr: string;
  /** Prometheus duration (`5m`); alerting rules only. */
  for?: string;
  /** Prometheus duration; alerting rules only. */
  keep_firing_for?: string;
  labels?: Labels;
  /** Alerting rules only. */
  annotations?: Labels;
}

/** One group as written. */
export interface RuleGroupSpec {
  name: string;
  /** Prometheus duration; absent means `ruler.evaluation_interval`. */
  interval?: string;
  /** Most alerts (or series) one evaluation of a rule may produce; 0 or absent = no limit. */
  limit?: number;
  rules: RuleSpec[];
}

export interface AlertingRule {
  kind: 'alerting';
  name: string;
  expr: string;
  forMs: number;
  keepFiringForMs: number;
  labels: Labels;
  annotations: Labels;
}

export interface RecordingRule {
  kind: 'recording';
  name: string;
  expr: string;
  labels: Labels;
}

export type Rule = AlertingRule | RecordingRule;

export interface RuleGroup {
  tenant: string;
  namespace: string;
  name: string;
  /** Evaluation interval in ms (the group's own, else the ruler's default). */
  intervalMs: number;
  limit: number;
  rules: Rule[];
  /** The group as written, for the ruler API's answers. */
  spec: RuleGroupSpec;
  /** Where it came from: the API (stored under the data directory) or `ruler.rules_dir` (read-only). */
  /** Where the group comes from: the ruler API, `ruler.rules_dir`, or the server's own defaults (overridable). */
  origin: RuleOrigin;
}

/** Identifies a group across tenants: groups are unique per (tenant, namespace, name). */
export function groupKey(tenant: string, namespace: string, name: string): string {
  return JSON.stringify([tenant, namespace, name]);
}
