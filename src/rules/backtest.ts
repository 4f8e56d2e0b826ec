/**
 * The backtest (`rules test`): an alerting rule replayed over a past range. The rule's expression,
 * evaluated at every step of the range (by `query_range`, whose points are the instant results at
 * each step), is fed step by step through the same state machine the ruler runs (./alert-state.ts),
 * with labels and annotations rendered as the ruler renders them, so the transitions shown are the
 * ones the ruler would have produced.
 */
import { labelsToString, type Labels } from '../api/model.js';
import { stepAlerts, type AlertInstance, type FoundAlert } from './alert-state.js';
import type { AlertingRule } from './model.js';
import { expandLabelsAndAnnotations } from './template.js';

export interface BacktestSeries {
  labels: Labels;
  /** [ms since the epoch, value], any order. */
  samples: ReadonlyArray<readonly [number, number]>;
}

export type TransitionKind = 'pending' | 'firing' | 'resolved' | 'inactive';

export interface Transition {
  t: number;
  /** `pending`/`firing`/`resolved` as Prometheus names them; `inactive`: a pending alert that left the result before `for`. */
  kind: TransitionKind;
  labels: Labels;
  annotations: Labels;
  value: number;
}

export interface BacktestResult {
  transitions: Transition[];
  /** How many times an alert went firing. */
  fired: number;
  /** Alerts (distinct label sets) that fired at least once. */
  firedAlerts: number;
  /** Alerts firing at the last step. */
  firingAtEnd: number;
  /** Evaluation times stepped through. */
  steps: number;
}

export interface BacktestOptions {
  startMs: number;
  endMs: number;
  stepMs: number;
  externalLabels?: Labels;
  externalURL?: string;
}

/**
 * The evaluation times: every step from the range's start to its end, on the grid the samples lie on
 * (Loki aligns range-query steps to multiples of the step; following the samples also fits a server
 * that does not).
 */
export function evaluationTimes(series: readonly BacktestSeries[], o: BacktestOptions): number[] {
  const step = o.stepMs;
  let origin = 0;
  for (const s of series) if (s.samples.length > 0) origin = s.samples[0]![0];
  const offset = ((origin % step) + step) % step;
  const first = Math.ceil((o.startMs - offset) / step) * step + offset;
  const out: number[] = [];
  for (let t = first; t <= o.endMs; t += step) out.push(t);
  return out;
}

export function backtestRule(rule: AlertingRule, series: readonly BacktestSeries[], o: BacktestOptions): BacktestResult {
  const times = evaluationTimes(series, o);
  const at = new Map<number, Array<{ labels: Labels; value: number }>>();
  for (const s of series) {
    for (const [t, v] of s.samples) {
      let list = at.get(t);
      if (!list) at.set(t, (list = []));
      list.push({ labels: s.labels, value: v });
    }
  }
  const env = { externalLabels: o.externalLabels ?? {}, externalURL: o.externalURL ?? '' };
  const timing = { forMs: rule.forMs, keepFiringForMs: rule.keepFiringForMs };
  let state = new Map<string, AlertInstance>();
  const transitions: Transition[] = [];
  const everFired = new Set<string>();
  let fired = 0;
  for (const t of times) {
    const found: FoundAlert[] = (at.get(t) ?? []).map((s) => ({ ...expandLabelsAndAnnotations(rule, s, env), value: s.value }));
    const next = stepAlerts(state, found, timing, t);
    for (const [fp, a] of next) {
      const before = state.get(fp);
      const was = before?.state;
      if (a.state === 'pending' && was !== 'pending') transitions.push(transition(t, 'pending', a));
      else if (a.state === 'firing' && was !== 'firing') {
        transitions.push(transition(t, 'firing', a));
        fired++;
        everFired.add(fp);
      } else if (a.state === 'inactive' && was !== 'inactive') transitions.push(transition(t, 'resolved', a));
    }
    for (const [fp, a] of state) if (a.state === 'pending' && !next.has(fp)) transitions.push(transition(t, 'inactive', a));
    state = next;
  }
  const firingAtEnd = [...state.values()].filter((a) => a.state === 'firing').length;
  return { transitions: sortTransitions(transitions), fired, firedAlerts: everFired.size, firingAtEnd, steps: times.length };
}

function transition(t: number, kind: TransitionKind, a: AlertInstance): Transition {
  return { t, kind, labels: a.labels, annotations: a.annotations, value: a.value };
}

/** A stable order: by time, then by label set. */
function sortTransitions(ts: Transition[]): Transition[] {
  return [...ts].sort((a, b) => a.t - b.t || (labelsToString(a.labels) < labelsToString(b.labels) ? -1 : 1));
}
