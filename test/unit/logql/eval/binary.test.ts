// Binary operators over the fixed data in helpers.ts (t = 0s, 60s, 120s):
//   sum by (level) (A):  error 10 20 -   · info 5 2 9
//   sum by (level) (B):  debug 7 7 7     · error 5 - 1   · info 2 4 3
//   A: info/a 1 2 3 · info/b 4 - 6 · error/a 10 20 -
//   C: {level=info, team=web} 100 100 100 · {level=error} 200 200 200
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, B, C, DATA, E, evalRows } from './helpers.js';

const q = (s: string) => evalRows(s, DATA);
const SA = `sum by (level) (${A})`;
const SB = `sum by (level) (${B})`;

test('scalar arithmetic, Loki division and Go pow/mod', async () => {
  assert.deepEqual(await q('1 + 2 * 3'), [7, 7, 7]);
  assert.deepEqual(await q('2 ^ 3 ^ 2'), [512, 512, 512]); // right-associative: 2^(3^2) = 2^9
  assert.deepEqual(await q('7 % 3'), [1, 1, 1]);
  assert.deepEqual(await q('-7 % 3'), [-1, -1, -1]); // fmod keeps the dividend's sign
  // Loki guards every division and modulo by zero with NaN (IEEE would give ±Inf for x/0).
  assert.deepEqual(await q('1 / 0'), [NaN, NaN, NaN]);
  assert.deepEqual(await q('-1 / 0'), [NaN, NaN, NaN]);
  assert.deepEqual(await q('0 / 0'), [NaN, NaN, NaN]);
  assert.deepEqual(await q('5 % 0'), [NaN, NaN, NaN]);
  assert.deepEqual(await q('1 ^ (0 / 0)'), [1, 1, 1]); // Go: Pow(1, NaN) = 1 (JS would say NaN)
  assert.deepEqual(await q('-1 ^ (2 ^ 1024)'), [1, 1, 1]); // Go: Pow(-1, ±Inf) = 1
  assert.deepEqual(await q('2 ^ 1024'), [Infinity, Infinity, Infinity]); // overflow is still +Inf
  assert.deepEqual(await q('(1 + 1) * 3'), [6, 6, 6]);
});

test('scalar comparisons answer 0 or 1, as Loki folds them', async () => {
  assert.deepEqual(await q('2 > 1'), [1, 1, 1]);
  assert.deepEqual(await q('1 == 2'), [0, 0, 0]);
  assert.deepEqual(await q('1 <= bool 1'), [1, 1, 1]);
});

test('vector(n) is one series with empty labels', async () => {
  assert.deepEqual(await q('vector(1) + vector(1)'), [[{}, [2, 2, 2]]]);
  assert.deepEqual(await q('vector(3) * 2'), [[{}, [6, 6, 6]]]);
});

test('vector-scalar arithmetic keeps labels and absent steps', async () => {
  // × 2: error 20 40 -, info 10 4 18
  assert.deepEqual(await q(`${SA} * 2`), [
    [{ level: 'error' }, [20, 40, null]],
    [{ level: 'info' }, [10, 4, 18]],
  ]);
  // 2 − x: error -8 -18 -, info -3 0 -7 (the scalar stays the left operand)
  assert.deepEqual(await q(`2 - ${SA}`), [
    [{ level: 'error' }, [-8, -18, null]],
    [{ level: 'info' }, [-3, 0, -7]],
  ]);
  // x ^ 2 and x % 4: info 25 4 81 / 1 2 1; error 100 400 - / 2 0 -
  assert.deepEqual(await q(`${SA} ^ 2`), [
    [{ level: 'error' }, [100, 400, null]],
    [{ level: 'info' }, [25, 4, 81]],
  ]);
  assert.deepEqual(await q(`${SA} % 4`), [
    [{ level: 'error' }, [2, 0, null]],
    [{ level: 'info' }, [1, 2, 1]],
  ]);
});

test('division by zero: x/0, 0/0 and x%0 are NaN samples, kept (absent steps stay absent)', async () => {
  const nan = [
    [{ level: 'error' }, [NaN, NaN, null]],
    [{ level: 'info' }, [NaN, NaN, NaN]],
  ];
  assert.deepEqual(await q(`${SA} / 0`), nan);
  assert.deepEqual(await q(`-${'1'} * ${SA} / 0`), nan);
  assert.deepEqual(await q(`${SA} % 0`), nan);
  assert.deepEqual(await q(`(${SA} - ${SA}) / 0`), nan);
  // The zero on the left is no guard: 0 / x is 0.
  assert.deepEqual(await q(`0 / ${SA}`), [
    [{ level: 'error' }, [0, 0, null]],
    [{ level: 'info' }, [0, 0, 0]],
  ]);
  // vector / vector by zero: (x - x) is 0 at every present step.
  assert.deepEqual(await q(`${SA} / (${SA} - ${SA})`), nan);
});

test('NaN samples flow through operators, aggregations and comparisons as in Prometheus', async () => {
  const NAN = `(${SA} / 0)`;
  // count counts them; sum and avg become NaN; max/min ignore NaN unless all are NaN.
  assert.deepEqual(await q(`count(${NAN})`), [[{}, [2, 2, 1]]]);
  assert.deepEqual(await q(`sum(${NAN})`), [[{}, [NaN, NaN, NaN]]]);
  assert.deepEqual(await q(`max(${NAN} or ${SB})`), [[{}, [7, 7, 7]]]);
  assert.deepEqual(await q(`min(${SB} or ${NAN})`), [[{}, [2, 4, 1]]]);
  assert.deepEqual(await q(`max(${NAN})`), [[{}, [NaN, NaN, NaN]]]);
  // Comparisons with NaN are false: filters drop, bool answers 0 (!= answers 1).
  assert.deepEqual(await q(`${NAN} > 1`), []);
  assert.deepEqual(await q(`${NAN} > bool 1`), [
    [{ level: 'error' }, [0, 0, null]],
    [{ level: 'info' }, [0, 0, 0]],
  ]);
  assert.deepEqual(await q(`${NAN} != bool 1`), [
    [{ level: 'error' }, [1, 1, null]],
    [{ level: 'info' }, [1, 1, 1]],
  ]);
  // Set operators see a NaN sample as present.
  assert.deepEqual(await q(`${SB} and ${NAN}`), [
    [{ level: 'error' }, [5, null, null]],
    [{ level: 'info' }, [2, 4, 3]],
  ]);
  assert.deepEqual(await q(`${SB} unless ${NAN}`), [
    [{ level: 'debug' }, [7, 7, 7]],
    [{ level: 'error' }, [null, null, 1]],
  ]);
  // topk and bottomk: a NaN loses to any number. `NAN or SB` is error NaN NaN 1 (SB's at the
  // last step), info NaN NaN NaN, debug 7 7 7.
  assert.deepEqual(await q(`topk(1, ${NAN} or ${SB})`), [[{ level: 'debug' }, [7, 7, 7]]]);
  assert.deepEqual(await q(`bottomk(1, ${NAN} or ${SB})`), [
    [{ level: 'debug' }, [7, 7, null]],
    [{ level: 'error' }, [null, null, 1]],
  ]);
  // label_replace keeps the NaN sample.
  assert.deepEqual(await q(`label_replace(${NAN}, "x", "y", "", "")`), [
    [{ level: 'error', x: 'y' }, [NaN, NaN, null]],
    [{ level: 'info', x: 'y' }, [NaN, NaN, NaN]],
  ]);
});

test('vector-scalar comparisons filter, keeping the vector value on either side', async () => {
  // > 5: info 5 (no), 2 (no), 9 (yes); error 10, 20 yes
  const expected = [
    [{ level: 'error' }, [10, 20, null]],
    [{ level: 'info' }, [null, null, 9]],
  ];
  assert.deepEqual(await q(`${SA} > 5`), expected);
  assert.deepEqual(await q(`5 < ${SA}`), expected);
  // >= 5 keeps info's 5 as well
  assert.deepEqual(await q(`${SA} >= 5`), [
    [{ level: 'error' }, [10, 20, null]],
    [{ level: 'info' }, [5, null, 9]],
  ]);
  assert.deepEqual(await q(`${SA} == 2`), [[{ level: 'info' }, [null, 2, null]]]);
  assert.deepEqual(await q(`${SA} != 2`), [
    [{ level: 'error' }, [10, 20, null]],
    [{ level: 'info' }, [5, null, 9]],
  ]);
  assert.deepEqual(await q(`${SA} <= 5`), [[{ level: 'info' }, [5, 2, null]]]);
});

test('bool comparisons answer 0/1 where the vector has a sample', async () => {
  assert.deepEqual(await q(`${SA} > bool 5`), [
    [{ level: 'error' }, [1, 1, null]],
    [{ level: 'info' }, [0, 0, 1]],
  ]);
  assert.deepEqual(await q(`5 >= bool ${SA}`), [
    [{ level: 'error' }, [0, 0, null]],
    [{ level: 'info' }, [1, 1, 0]],
  ]);
});

test('vector-vector arithmetic matches on the full label set', async () => {
  // info: 5/2=2.5, 2/4=0.5, 9/3=3; error: 10/5=2, (B absent), (A absent); debug: no partner
  assert.deepEqual(await q(`${SA} / ${SB}`), [
    [{ level: 'error' }, [2, null, null]],
    [{ level: 'info' }, [2.5, 0.5, 3]],
  ]);
  // +: info 7 6 12; error 15 - -
  assert.deepEqual(await q(`${SA} + ${SB}`), [
    [{ level: 'error' }, [15, null, null]],
    [{ level: 'info' }, [7, 6, 12]],
  ]);
  // labels differ entirely ({job,level,pod} vs {level}): nothing matches
  assert.deepEqual(await q(`${A} + ${SB}`), []);
});

test('vector-vector comparisons: filter keeps the left value; bool answers 0/1', async () => {
  // info: 5>2 keep 5, 2>4 drop, 9>3 keep 9; error: 10>5 keep 10
  assert.deepEqual(await q(`${SA} > ${SB}`), [
    [{ level: 'error' }, [10, null, null]],
    [{ level: 'info' }, [5, null, 9]],
  ]);
  assert.deepEqual(await q(`${SA} > bool ${SB}`), [
    [{ level: 'error' }, [1, null, null]],
    [{ level: 'info' }, [1, 0, 1]],
  ]);
  assert.deepEqual(await q(`${SA} < ${SB}`), [[{ level: 'info' }, [null, 2, null]]]);
});

test('on(...) one-to-one keeps only the on labels; ignoring(...) drops the ignored ones', async () => {
  // sum by (job, level) (A): {job=x,level=error} 10 20 -, {job=x,level=info} 5 2 9
  // minus B per level: info 5-2=3, 2-4=-2, 9-3=6; error 10-5=5, -, -
  const expected = [
    [{ level: 'error' }, [5, null, null]],
    [{ level: 'info' }, [3, -2, 6]],
  ];
  assert.deepEqual(await q(`sum by (job, level) (${A}) - on(level) ${SB}`), expected);
  assert.deepEqual(await q(`sum by (job, level) (${A}) - ignoring(job) ${SB}`), expected);
});

test('one-to-one with several left matches is an error unless group_left', async () => {
  await assert.rejects(
    q(`${A} / ignoring(pod) sum by (job, level) (${A})`),
    /multiple matches for labels: many-to-one matching must be explicit \(group_left\/group_right\)/,
  );
});

test('group_left: each pod as a fraction of its level, labels of the many side', async () => {
  // info/a: 1/5, 2/2, 3/9; info/b: 4/5, -, 6/9; error/a: 10/10, 20/20, -
  assert.deepEqual(await q(`${A} / ignoring(pod) group_left sum by (job, level) (${A})`), [
    [{ job: 'x', level: 'error', pod: 'a' }, [1, 1, null]],
    [{ job: 'x', level: 'info', pod: 'a' }, [1 / 5, 1, 3 / 9]],
    [{ job: 'x', level: 'info', pod: 'b' }, [4 / 5, null, 6 / 9]],
  ]);
});

test('group_right: the right side is the many side; operands keep their order', async () => {
  // sum / A: info/a 5/1, 2/2, 9/3; info/b 5/4, -, 9/6; error/a 1, 1, -
  assert.deepEqual(await q(`sum by (job, level) (${A}) / ignoring(pod) group_right ${A}`), [
    [{ job: 'x', level: 'error', pod: 'a' }, [1, 1, null]],
    [{ job: 'x', level: 'info', pod: 'a' }, [5, 1, 3]],
    [{ job: 'x', level: 'info', pod: 'b' }, [1.25, null, 1.5]],
  ]);
  // a comparison filter keeps the left (one-side) value: sum > A → info/a 5>1 keep 5, 2>2 no, 9>3 keep 9
  assert.deepEqual(await q(`sum by (job, level) (${A}) > ignoring(pod) group_right ${A}`), [
    [{ job: 'x', level: 'info', pod: 'a' }, [5, null, 9]],
    [{ job: 'x', level: 'info', pod: 'b' }, [5, null, 9]],
  ]);
});

test('group_left(include) copies labels from the one side, and removes them where it lacks them', async () => {
  // sum by (level, pod) (A) + C on level: info/a 1+100, 2+100, 3+100 with team=web;
  // info/b 104, -, 106; error/a 210, 220, - and C's error series has no team label.
  assert.deepEqual(await q(`sum by (level, pod) (${A}) + on(level) group_left(team) ${C}`), [
    [{ level: 'error', pod: 'a' }, [210, 220, null]],
    [{ level: 'info', pod: 'a', team: 'web' }, [101, 102, 103]],
    [{ level: 'info', pod: 'b', team: 'web' }, [104, null, 106]],
  ]);
  // The left side already has team="old" (label_replace from an absent source label matching ""):
  // web overwrites it for info; error's team is deleted because C's error series has none.
  const withTeam = `label_replace(sum by (level, pod) (${A}), "team", "old", "nope", "")`;
  assert.deepEqual(await q(`${withTeam} + on(level) group_left(team) ${C}`), [
    [{ level: 'error', pod: 'a' }, [210, 220, null]],
    [{ level: 'info', pod: 'a', team: 'web' }, [101, 102, 103]],
    [{ level: 'info', pod: 'b', team: 'web' }, [104, null, 106]],
  ]);
});

test('many-to-many matching is an error', async () => {
  // Both sides have two info series once pod is ignored.
  await assert.rejects(
    q(`${A} + ignoring(pod) group_left ${A}`),
    /found duplicate series for the match group \{job="x", level="info"\} on the right hand-side of the operation: .*many-to-many matching not allowed: matching labels must be unique on one side/,
  );
  await assert.rejects(q(`${A} + ignoring(pod) group_right ${A}`), /on the left hand-side/);
});

test('group_left whose include labels do not make results unique is an error', async () => {
  // on(level) group_left: info/a and info/b keep pod, fine; but summing pod away on the left first
  // and then matching two left series that differ only by a label removed through include:
  // left {level=info, pod=a} and {level=info, pod=b}; group_left(pod) copies pod from C (which has
  // none), so both results are {level=info} → duplicate.
  await assert.rejects(q(`sum by (level, pod) (${A}) + on(level) group_left(pod) ${C}`), /multiple matches for labels: grouping labels must ensure unique matches/);
});

test('and keeps left samples that have a partner at that step', async () => {
  // info present on both sides at all steps; error: A at 0,1 and B at 0,2 → step 0 only
  assert.deepEqual(await q(`${SA} and ${SB}`), [
    [{ level: 'error' }, [10, null, null]],
    [{ level: 'info' }, [5, 2, 9]],
  ]);
});

test('or adds right samples whose signature the left lacks at that step', async () => {
  // error: left 10, 20, (absent → B's 1); debug only on the right; info from the left.
  assert.deepEqual(await q(`${SA} or ${SB}`), [
    [{ level: 'debug' }, [7, 7, 7]],
    [{ level: 'error' }, [10, 20, 1]],
    [{ level: 'info' }, [5, 2, 9]],
  ]);
  // The Prometheus idiom for "zero when nothing matched".
  assert.deepEqual(await q(`sum(${E}) or vector(0)`), [[{}, [0, 0, 0]]]);
});

test('unless keeps left samples without a partner at that step', async () => {
  // info: B has info at every step → gone; error: B lacks error at step 1 → 20 stays
  assert.deepEqual(await q(`${SA} unless ${SB}`), [[{ level: 'error' }, [null, 20, null]]]);
  // on(level) compares by level only: pods of info vanish; error/a stays at step 1
  assert.deepEqual(await q(`${A} unless on(level) ${SB}`), [[{ job: 'x', level: 'error', pod: 'a' }, [null, 20, null]]]);
  // and on(level): info pods stay everywhere; error/a only at step 0
  assert.deepEqual(await q(`${A} and on(level) ${SB}`), [
    [{ job: 'x', level: 'error', pod: 'a' }, [10, null, null]],
    [{ job: 'x', level: 'info', pod: 'a' }, [1, 2, 3]],
    [{ job: 'x', level: 'info', pod: 'b' }, [4, null, 6]],
  ]);
});

test('operators with an empty vector', async () => {
  assert.deepEqual(await q(`${E} + 1`), []);
  assert.deepEqual(await q(`${E} + ${SA}`), []);
  assert.deepEqual(await q(`${SA} and ${E}`), []);
  assert.deepEqual(await q(`${SA} unless ${E}`), [
    [{ level: 'error' }, [10, 20, null]],
    [{ level: 'info' }, [5, 2, 9]],
  ]);
  assert.deepEqual(await q(`${E} or ${SA}`), [
    [{ level: 'error' }, [10, 20, null]],
    [{ level: 'info' }, [5, 2, 9]],
  ]);
});
