import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backtestRule, evaluationTimes, type BacktestSeries } from '../../../src/rules/backtest.js';
import type { AlertingRule } from '../../../src/rules/model.js';

const M = 60_000;
const T = 1_700_000_040_000 - (1_700_000_040_000 % M); // a minute boundary

const rule = (o: Partial<AlertingRule> = {}): AlertingRule => ({
  kind: 'alerting',
  name: 'HighErrors',
  expr: 'unused here',
  forMs: 2 * M,
  keepFiringForMs: 0,
  labels: { severity: 'page', team: '{{ $labels.job }}-team' },
  annotations: { summary: '{{ $value }} errors' },
  ...o,
});

/** A series present (value v) at the given minutes after T. */
const at = (labels: Record<string, string>, minutes: number[], v = 5): BacktestSeries => ({ labels, samples: minutes.map((m) => [T + m * M, v] as const) });

test('evaluation times follow the samples\' grid within the range', () => {
  assert.deepEqual(evaluationTimes([at({ job: 'a' }, [1])], { startMs: T - 30_000, endMs: T + 2 * M, stepMs: M }), [T, T + M, T + 2 * M]);
  // a grid offset from the step's multiples (a server that does not align) is followed
  const off: BacktestSeries = { labels: {}, samples: [[T + 15_000, 1]] };
  assert.deepEqual(evaluationTimes([off], { startMs: T, endMs: T + 2 * M, stepMs: M }), [T + 15_000, T + M + 15_000]);
  assert.deepEqual(evaluationTimes([], { startMs: T + 1, endMs: T + M, stepMs: M }), [T + M]);
});

test('pending, firing after `for`, resolved when the series goes; labels rendered as the ruler renders them', () => {
  const r = backtestRule(rule(), [at({ job: 'api' }, [3, 4, 5, 6, 7])], { startMs: T, endMs: T + 12 * M, stepMs: M });
  const labels = { job: 'api', severity: 'page', team: 'api-team', alertname: 'HighErrors' };
  assert.deepEqual(
    r.transitions.map((x) => [x.t - T, x.kind, x.labels]),
    [
      [3 * M, 'pending', labels],
      [5 * M, 'firing', labels],
      [8 * M, 'resolved', labels],
    ],
  );
  assert.equal(r.transitions[1]!.annotations.summary, '5 errors');
  assert.deepEqual([r.fired, r.firedAlerts, r.firingAtEnd, r.steps], [1, 1, 0, 13]);
});

test('a pending alert that goes before `for` shows as inactive and never fires', () => {
  const r = backtestRule(rule(), [at({ job: 'api' }, [3, 4])], { startMs: T, endMs: T + 6 * M, stepMs: M });
  assert.deepEqual(r.transitions.map((x) => [x.t - T, x.kind]), [[3 * M, 'pending'], [5 * M, 'inactive']]);
  assert.equal(r.fired, 0);
});

test('for 0 fires at once; keep_firing_for holds; several alerts; still firing at the end', () => {
  const r = backtestRule(rule({ forMs: 0, keepFiringForMs: 2 * M }), [at({ job: 'a' }, [1, 2]), at({ job: 'b' }, [2, 3, 4, 5, 6])], { startMs: T, endMs: T + 6 * M, stepMs: M });
  assert.deepEqual(
    r.transitions.map((x) => [x.t - T, x.kind, x.labels.job]),
    [
      [1 * M, 'firing', 'a'],
      [2 * M, 'firing', 'b'],
      [5 * M, 'resolved', 'a'],
    ],
  );
  assert.deepEqual([r.fired, r.firedAlerts, r.firingAtEnd], [2, 2, 1]);
});

test('an alert that resolves and comes back fires again, counted twice', () => {
  const r = backtestRule(rule({ forMs: M }), [at({ job: 'a' }, [1, 2, 3, 6, 7, 8])], { startMs: T, endMs: T + 10 * M, stepMs: M });
  assert.deepEqual(r.transitions.map((x) => [x.t - T, x.kind]), [
    [1 * M, 'pending'],
    [2 * M, 'firing'],
    [4 * M, 'resolved'],
    [6 * M, 'pending'],
    [7 * M, 'firing'],
    [9 * M, 'resolved'],
  ]);
  assert.deepEqual([r.fired, r.firedAlerts], [2, 1]);
});
