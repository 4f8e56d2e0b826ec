/**
 * One rule group being evaluated: its rules in order, each rule's alerts and health. The manager
 * (./manager.ts) decides when a group runs; this file decides what one evaluation does, as
 * Prometheus' rule group does: every rule at the same evaluation time, in order; a rule that fails
 * keeps its alerts as they were (a broken query resolves nothing) and sends nothing; the others run.
 *
 * Invariants: `rules[i]` belongs to `group.rules[i]`; an alerting rule's `alerts` map is replaced
 * (never mutated in place) by each evaluation, so a snapshot taken for the API stays consistent;
 * only one evaluation or update runs at a time (the manager's `running` guard and `exclusive`).
 */
import { performance } from 'node:perf_hooks';
import type { Labels } from '../api/model.js';
import type { MetricResult, QueryService } from '../query/service.js';
import type { AlertSink, PostableAlert } from '../api/alertmanager.js';
import type { SampleSink, SeriesSamples } from '../api/remote-write.js';
import { alertFingerprint, needsSending, stepAlerts, type AlertInstance, type FoundAlert } from '../rules/alert-state.js';
import type { AlertingRule, RecordingRule, Rule, RuleGroup } from '../rules/model.js';
import { expandLabelsAndAnnotations } from '../rules/template.js';
import type { Logger } from '../util/logger.js';
import type { RulerMetrics, GroupLabels } from './evaluation-metrics.js';
import { ruleGroupLabel } from './evaluation-metrics.js';
import { generatorUrl, toPostableAlert, withExternalLabels } from './notification.js';
import { ruleKeys } from './rule-key.js';
import type { PersistedGroup, StateStore } from './state-file.js';

export type RuleHealth = 'unknown' | 'ok' | 'err';

/** One rule's runtime state (the alerting rule's alerts by fingerprint). */
export interface RuleState {
  readonly rule: Rule;
  readonly key: string;
  alerts: ReadonlyMap<string, AlertInstance>;
  health: RuleHealth;
  lastError: string;
  /** Evaluation time (ms) of the last evaluation; undefined before the first. */
  lastEvaluation?: number;
  /** Wall-clock seconds the last evaluation took. */
  evaluationSeconds: number;
}

export interface GroupDeps {
  query: QueryService;
  alerts?: AlertSink;
  samples?: SampleSink;
  externalLabels: Labels;
  /** Base URL for generatorURL and templates' externalURL. */
  externalUrl: () => string;
  resendDelayMs: number;
  metrics: RulerMetrics;
  state: StateStore;
  log: Logger;
}

/** A sample of a rule's result: Prometheus turns a scalar result into one sample without labels. */
interface Sample {
  metric: Labels;
  value: number;
}

export class GroupRun {
  group: RuleGroup;
  rules: RuleState[];
  /** Evaluation time (ms) of the last evaluation; undefined before the first. */
  lastEvaluation?: number;
  /** The evaluation time of the saved state this group was restored from, until it evaluates. */
  restoredEvaluation?: number;
  lastEvaluationSeconds = 0;
  readonly labels: GroupLabels;
  private readonly log: Logger;

  constructor(
    group: RuleGroup,
    private readonly deps: GroupDeps,
    restored?: Map<string, AlertInstance[]>,
  ) {
    this.group = group;
    this.labels = { tenant: group.tenant, rule_group: ruleGroupLabel(group.namespace, group.name) };
    this.log = deps.log;
    this.rules = makeRuleStates(group.rules, restored ?? new Map());
    deps.metrics.interval.set(this.labels, group.intervalMs / 1000);
    deps.metrics.rules.set(this.labels, group.rules.length);
  }

  /**
   * A new version of the group (same identity): rules keep their state by rule key (./rule-key.ts).
   * Returns the alerts of rules that no longer exist, for the caller to resolve.
   */
  update(group: RuleGroup): RuleAlert[] {
    const byKey = new Map(this.rules.map((r) => [r.key, r]));
    const keys = ruleKeys(group.rules);
    this.rules = group.rules.map((rule, i) => {
      const old = byKey.get(keys[i]!);
      byKey.delete(keys[i]!);
      if (!old) return freshRuleState(rule, keys[i]!, []);
      return { ...old, rule };
    });
    this.group = group;
    this.deps.metrics.interval.set(this.labels, group.intervalMs / 1000);
    this.deps.metrics.rules.set(this.labels, group.rules.length);
    return alertsOf(byKey.values());
  }

  /** Every rule at evaluation time `t` (ms), then the state saved if it changed. */
  async evaluate(t: number): Promise<void> {
    const started = performance.now();
    let samples = 0;
    for (const rs of this.rules) samples += await this.evaluateRule(rs, t);
    await this.save(t);
    // Set last, so a group showing this evaluation has finished it, saving included.
    this.lastEvaluation = t;
    this.lastEvaluationSeconds = (performance.now() - started) / 1000;
    const m = this.deps.metrics;
    m.groupDuration.observe(this.lastEvaluationSeconds);
    m.lastDuration.set(this.labels, this.lastEvaluationSeconds);
    m.lastEvaluation.set(this.labels, t / 1000);
    m.lastSamples.set(this.labels, samples);
  }

  /** Sends the firing ones of `alerts` (of removed rules or groups) as resolved at `t`. */
  async resolve(alerts: readonly RuleAlert[], t: number): Promise<void> {
    const resolved = alerts
      .filter(({ alert }) => alert.state === 'firing')
      .map(({ alert, expr }) => toPostableAlert({ ...alert, state: 'inactive', resolvedAt: t }, t, this.notificationOptions(expr)));
    await this.send(resolved);
  }

  /** Every alert of the group, with its rule's expression (for removal). */
  allAlerts(): RuleAlert[] {
    return alertsOf(this.rules);
  }

  persisted(lastEvaluation = this.lastEvaluation ?? this.restoredEvaluation ?? 0): PersistedGroup {
    return {
      tenant: this.group.tenant,
      namespace: this.group.namespace,
      name: this.group.name,
      lastEvaluation,
      rules: this.rules.filter((r) => r.alerts.size > 0).map((r) => ({ key: r.key, expr: r.rule.expr, alerts: [...r.alerts.values()] })),
    };
  }

  /** Saves the alerts as of the evaluation at `lastEvaluation` (default: the last one). */
  async save(lastEvaluation?: number): Promise<void> {
    try {
      await this.deps.state.save(this.persisted(lastEvaluation));
    } catch (e) {
      // The alerts stay in memory and the next evaluation writes again; a restart before then loses
      // only the changes since the last successful write.
      this.log.error({ err: e }, 'could not save the rule group\'s alert state');
    }
  }

  private async evaluateRule(rs: RuleState, t: number): Promise<number> {
    const started = performance.now();
    const m = this.deps.metrics;
    m.evaluations.inc(this.labels);
    let samples = 0;
    try {
      const result = await this.deps.query.instant({ tenant: this.group.tenant, query: rs.rule.expr, time: BigInt(t) * 1_000_000n });
      const vector = toSamples(result);
      samples = vector.length;
      if (rs.rule.kind === 'alerting') await this.evaluateAlerting(rs, rs.rule, vector, t);
      else await this.evaluateRecording(rs.rule, vector, t);
      rs.health = 'ok';
      rs.lastError = '';
    } catch (e) {
      rs.health = 'err';
      rs.lastError = e instanceof Error ? e.message : String(e);
      m.failures.inc(this.labels);
      this.log.warn({ rule: rs.rule.name, expr: rs.rule.expr, err: rs.lastError }, 'rule evaluation failed');
    }
    rs.lastEvaluation = t;
    rs.evaluationSeconds = (performance.now() - started) / 1000;
    m.evaluationDuration.observe(rs.evaluationSeconds);
    return samples;
  }

  private async evaluateAlerting(rs: RuleState, rule: AlertingRule, vector: Sample[], t: number): Promise<void> {
    const found: FoundAlert[] = [];
    const seen = new Set<string>();
    const env = { externalLabels: this.deps.externalLabels, externalURL: this.deps.externalUrl() };
    for (const s of vector) {
      // Labels and annotations rendered from the rule's templates, against the series' labels and value.
      const { labels, annotations } = expandLabelsAndAnnotations(rule, { labels: s.metric, value: s.value }, env);
      const fp = alertFingerprint(labels);
      if (seen.has(fp)) throw new Error('vector contains metrics with the same labelset after applying alert labels');
      seen.add(fp);
      found.push({ labels, annotations, value: s.value });
    }
    const next = stepAlerts(rs.alerts, found, { forMs: rule.forMs, keepFiringForMs: rule.keepFiringForMs }, t);
    let active = 0;
    for (const a of next.values()) if (a.state !== 'inactive') active++;
    const limit = this.group.limit;
    if (limit > 0 && active > limit) {
      // Prometheus: every alert of the rule, active, pending or inactive, is cleared, and the
      // evaluation fails (docs/configuration/recording_rules.md, "Limiting alerts and series").
      rs.alerts = new Map();
      throw new Error(`exceeded limit of ${limit} with ${active} alerts`);
    }
    rs.alerts = next;
    await this.sendDue(rs, rule, t);
  }

  private async sendDue(rs: RuleState, rule: AlertingRule, t: number): Promise<void> {
    const due = [...rs.alerts.entries()].filter(([, a]) => needsSending(a, t, this.deps.resendDelayMs));
    if (due.length === 0 || !this.deps.alerts) return;
    const opts = this.notificationOptions(rule.expr);
    const sent = await this.send(due.map(([, a]) => toPostableAlert(a, t, opts)));
    if (!sent) return;
    const next = new Map(rs.alerts);
    for (const [fp, a] of due) next.set(fp, { ...a, lastSentAt: t });
    rs.alerts = next;
  }

  private async send(alerts: PostableAlert[]): Promise<boolean> {
    if (!this.deps.alerts || alerts.length === 0) return false;
    try {
      await this.deps.alerts.send(this.group.tenant, alerts);
      return true;
    } catch (e) {
      // Not sent: lastSentAt stays, so the next evaluation sends them again.
      this.log.warn({ err: e instanceof Error ? e.message : String(e), alerts: alerts.length }, 'could not hand alerts to the notifier; retrying at the next evaluation');
      return false;
    }
  }

  private notificationOptions(expr: string) {
    return {
      externalLabels: this.deps.externalLabels,
      generatorURL: generatorUrl(this.deps.externalUrl(), expr),
      resendPeriodMs: Math.max(this.group.intervalMs, this.deps.resendDelayMs),
    };
  }

  private async evaluateRecording(rule: RecordingRule, vector: Sample[], t: number): Promise<void> {
    const limit = this.group.limit;
    if (limit > 0 && vector.length > limit) throw new Error(`exceeded limit of ${limit} with ${vector.length} series`);
    const series: SeriesSamples[] = [];
    const seen = new Set<string>();
    for (const s of vector) {
      const labels = withExternalLabels({ ...s.metric, __name__: rule.name, ...rule.labels }, this.deps.externalLabels);
      const fp = alertFingerprint(labels);
      if (seen.has(fp)) throw new Error('vector contains metrics with the same labelset after applying rule labels');
      seen.add(fp);
      series.push({ labels, samples: [{ t, v: s.value }] });
    }
    if (series.length > 0 && this.deps.samples) await this.deps.samples.write(this.group.tenant, series);
  }
}

/** An alert with the expression of the rule that made it (for its generatorURL). */
export interface RuleAlert {
  alert: AlertInstance;
  expr: string;
}

function alertsOf(rules: Iterable<RuleState>): RuleAlert[] {
  const out: RuleAlert[] = [];
  for (const r of rules) for (const alert of r.alerts.values()) out.push({ alert, expr: r.rule.expr });
  return out;
}

function toSamples(r: MetricResult): Sample[] {
  const d = r.data;
  if (d.resultType === 'vector') return d.result.map((s) => ({ metric: s.metric, value: s.value }));
  if (d.resultType === 'scalar') return [{ metric: {}, value: d.result.value }];
  throw new Error('rule result is not a vector or scalar');
}

function makeRuleStates(rules: readonly Rule[], restored: Map<string, AlertInstance[]>): RuleState[] {
  const keys = ruleKeys(rules);
  return rules.map((rule, i) => freshRuleState(rule, keys[i]!, rule.kind === 'alerting' ? (restored.get(keys[i]!) ?? []) : []));
}

function freshRuleState(rule: Rule, key: string, alerts: AlertInstance[]): RuleState {
  return { rule, key, alerts: new Map(alerts.map((a) => [alertFingerprint(a.labels), a])), health: 'unknown', lastError: '', evaluationSeconds: 0 };
}
