import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  RESEND_DELAY_MS,
  RESOLVED_RETENTION_MS,
  alertFingerprint,
  needsSending,
  stepAlerts,
  type AlertInstance,
  type AlertTiming,
  type FoundAlert,
} from '../../../src/rules/alert-state.js';

const M = 60_000;
const T0 = 1_700_000_000_000;
const A: FoundAlert = { labels: { alertname: 'A', job: 'api' }, annotations: { s: 'x' }, value: 7 };
const B: FoundAlert = { labels: { alertname: 'A', job: 'db' }, annotations: {}, value: 1 };
const FP = alertFingerprint(A.labels);

/** Steps the machine once per minute from T0 over `present` (which alerts are found at each step). */
function run(present: FoundAlert[][], timing: AlertTiming): Array<Map<string, AlertInstance>> {
  let state = new Map<string, AlertInstance>();
  const out: Array<Map<string, AlertInstance>> = [];
  present.forEach((found, i) => {
    state = stepAlerts(state, found, timing, T0 + i * M);
    out.push(state);
  });
  return out;
}

const stateOf = (m: Map<string, AlertInstance>, fp = FP) => m.get(fp)?.state ?? 'absent';

test('pending, then firing once present for `for`', () => {
  const steps = run([[A], [A], [A], [A]], { forMs: 2 * M, keepFiringForMs: 0 });
  assert.deepEqual(steps.map((s) => stateOf(s)), ['pending', 'pending', 'firing', 'firing']);
  const firing = steps[2]!.get(FP)!;
  assert.equal(firing.activeAt, T0);
  assert.equal(firing.firedAt, T0 + 2 * M);
  assert.deepEqual(firing.labels, A.labels);
  assert.equal(firing.value, 7);
});

test('for: 0 fires at once', () => {
  const [s] = run([[A]], { forMs: 0, keepFiringForMs: 0 });
  assert.equal(stateOf(s!), 'firing');
  assert.equal(s!.get(FP)!.firedAt, T0);
});

test('a pending alert that leaves the result is dropped, and starts over when it comes back', () => {
  const steps = run([[A], [], [A], [A], [A]], { forMs: 2 * M, keepFiringForMs: 0 });
  assert.deepEqual(steps.map((s) => stateOf(s)), ['pending', 'absent', 'pending', 'pending', 'firing']);
  assert.equal(steps[2]!.get(FP)!.activeAt, T0 + 2 * M);
});

test('firing alert resolves when it leaves the result, and is kept 15 minutes then dropped', () => {
  const present: FoundAlert[][] = [[A], []];
  for (let i = 0; i < 16; i++) present.push([]);
  const steps = run(present, { forMs: 0, keepFiringForMs: 0 });
  assert.equal(stateOf(steps[1]!), 'inactive');
  const resolved = steps[1]!.get(FP)!;
  assert.equal(resolved.resolvedAt, T0 + M);
  // kept while at most 15 minutes have passed since it resolved (as Prometheus), dropped after
  assert.equal(stateOf(steps[1 + RESOLVED_RETENTION_MS / M]!), 'inactive');
  assert.equal(stateOf(steps[2 + RESOLVED_RETENTION_MS / M]!), 'absent');
});

test('keep_firing_for holds a firing alert, then resolves it; reappearing resets the hold', () => {
  const t = { forMs: 0, keepFiringForMs: 2 * M };
  const steps = run([[A], [], [], [], []], t);
  assert.deepEqual(steps.map((s) => stateOf(s)), ['firing', 'firing', 'firing', 'inactive', 'inactive']);
  assert.equal(steps[1]!.get(FP)!.keepFiringSince, T0 + M);
  assert.equal(steps[3]!.get(FP)!.resolvedAt, T0 + 3 * M);
  const again = run([[A], [], [A], [], [], []], t);
  assert.deepEqual(again.map((s) => stateOf(s)), ['firing', 'firing', 'firing', 'firing', 'firing', 'inactive']);
  assert.equal(again[2]!.get(FP)!.keepFiringSince, undefined);
  // keep_firing_for does not hold a pending alert
  const pending = run([[A], []], { forMs: 5 * M, keepFiringForMs: 10 * M });
  assert.equal(stateOf(pending[1]!), 'absent');
});

test('a resolved alert that reappears starts pending again, as a new alert', () => {
  let s = stepAlerts(new Map(), [A], { forMs: 0, keepFiringForMs: 0 }, T0);
  s = stepAlerts(s, [], { forMs: 0, keepFiringForMs: 0 }, T0 + M);
  s.get(FP)!.lastSentAt = T0 + M;
  const t = { forMs: 2 * M, keepFiringForMs: 0 };
  s = stepAlerts(s, [A], t, T0 + 2 * M);
  const a = s.get(FP)!;
  assert.equal(a.state, 'pending');
  assert.equal(a.activeAt, T0 + 2 * M);
  assert.equal(a.resolvedAt, undefined);
  assert.equal(a.lastSentAt, undefined);
  s = stepAlerts(s, [A], t, T0 + 4 * M);
  assert.equal(s.get(FP)!.state, 'firing');
  // fresh alert: sent at once on firing, not held back by the old one's last send
  assert.equal(needsSending(s.get(FP)!, T0 + 4 * M), true);
});

test('alerts are independent per label set, the input map is not changed, duplicates count once', () => {
  const t = { forMs: M, keepFiringForMs: 0 };
  const s1 = stepAlerts(new Map(), [A, B, A], t, T0);
  assert.equal(s1.size, 2);
  const s2 = stepAlerts(s1, [A], t, T0 + M);
  assert.equal(s1.get(FP)!.state, 'pending');
  assert.equal(stateOf(s2), 'firing');
  assert.equal(stateOf(s2, alertFingerprint(B.labels)), 'absent');
  // labels, annotations and value follow the latest evaluation
  const s3 = stepAlerts(s2, [{ ...A, annotations: { s: 'y' }, value: 9 }], t, T0 + 2 * M);
  assert.deepEqual([s3.get(FP)!.annotations, s3.get(FP)!.value, s3.get(FP)!.firedAt], [{ s: 'y' }, 9, T0 + M]);
});

test('needsSending: never pending; firing at once then every resend delay; resolution at once, then resent while kept', () => {
  const base: AlertInstance = { labels: A.labels, annotations: {}, state: 'pending', value: 1, activeAt: T0 };
  assert.equal(needsSending(base, T0), false);
  const firing: AlertInstance = { ...base, state: 'firing', firedAt: T0 };
  assert.equal(needsSending(firing, T0), true);
  assert.equal(needsSending({ ...firing, lastSentAt: T0 }, T0 + RESEND_DELAY_MS - 1), false);
  assert.equal(needsSending({ ...firing, lastSentAt: T0 }, T0 + RESEND_DELAY_MS), true);
  assert.equal(needsSending({ ...firing, lastSentAt: T0 }, T0 + 10_000, 5_000), true);
  const resolved: AlertInstance = { ...firing, state: 'inactive', resolvedAt: T0 + 30_000, lastSentAt: T0 + 20_000 };
  // resolved since the last send: sent at once, whatever the resend delay
  assert.equal(needsSending(resolved, T0 + 30_000), true);
  const sentResolved = { ...resolved, lastSentAt: T0 + 30_000 };
  assert.equal(needsSending(sentResolved, T0 + 60_000), false);
  // Prometheus re-sends a kept resolved alert every resend delay (a restarted Alertmanager still learns it)
  assert.equal(needsSending(sentResolved, T0 + 30_000 + RESEND_DELAY_MS), true);
});
