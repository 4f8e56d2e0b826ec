// Vector aggregations over the fixed data in helpers.ts. Reminder of A (t = 0s, 60s, 120s):
//   {job=x, level=info,  pod=a}  1   2   3
//   {job=x, level=info,  pod=b}  4   -   6
//   {job=x, level=error, pod=a} 10  20   -
// Results are sorted by labels ({level="error"} before {level="info"}) unless sort/sort_desc is used.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, DATA, E, T, evalRows } from './helpers.js';

const q = (s: string) => evalRows(s, DATA);

test('sum by (level): the Grafana log-volume shape', async () => {
  // info: 1+4=5, 2 (pod b absent), 3+6=9; error: 10, 20, absent.
  assert.deepEqual(await q(`sum by (level) (${A})`), [
    [{ level: 'error' }, [10, 20, null]],
    [{ level: 'info' }, [5, 2, 9]],
  ]);
});

test('sum without grouping and with without()', async () => {
  // all: 1+4+10=15, 2+20=22, 3+6=9
  assert.deepEqual(await q(`sum(${A})`), [[{}, [15, 22, 9]]]);
  // without (pod) keeps job and level
  assert.deepEqual(await q(`sum without (pod) (${A})`), [
    [{ job: 'x', level: 'error' }, [10, 20, null]],
    [{ job: 'x', level: 'info' }, [5, 2, 9]],
  ]);
});

test('a by-label that no series has groups everything under {}', async () => {
  assert.deepEqual(await q(`sum by (nope) (${A})`), [[{}, [15, 22, 9]]]);
});

test('avg, min, max, count by (level)', async () => {
  // info avg: 5/2=2.5, 2/1=2, 9/2=4.5
  assert.deepEqual(await q(`avg by (level) (${A})`), [
    [{ level: 'error' }, [10, 20, null]],
    [{ level: 'info' }, [2.5, 2, 4.5]],
  ]);
  // info min: min(1,4)=1, 2, min(3,6)=3; max: 4, 2, 6
  assert.deepEqual(await q(`min by (level) (${A})`), [
    [{ level: 'error' }, [10, 20, null]],
    [{ level: 'info' }, [1, 2, 3]],
  ]);
  assert.deepEqual(await q(`max by (level) (${A})`), [
    [{ level: 'error' }, [10, 20, null]],
    [{ level: 'info' }, [4, 2, 6]],
  ]);
  // count of series with a sample: info 2, 1, 2; error 1, 1, absent
  assert.deepEqual(await q(`count by (level) (${A})`), [
    [{ level: 'error' }, [1, 1, null]],
    [{ level: 'info' }, [2, 1, 2]],
  ]);
});

test('stdvar and stddev are population statistics', async () => {
  // info step 0: {1,4}, mean 2.5, deviations ±1.5, (2.25+2.25)/2 = 2.25; step 1: {2} → 0;
  // step 2: {3,6} → 2.25. stddev = sqrt → 1.5, 0, 1.5. A lone error sample has variance 0.
  assert.deepEqual(await q(`stdvar by (level) (${A})`), [
    [{ level: 'error' }, [0, 0, null]],
    [{ level: 'info' }, [2.25, 0, 2.25]],
  ]);
  assert.deepEqual(await q(`stddev by (level) (${A})`), [
    [{ level: 'error' }, [0, 0, null]],
    [{ level: 'info' }, [1.5, 0, 1.5]],
  ]);
  // all three at step 0: {1,4,10}, mean 5, squared deviations 16+1+25=42, /3 = 14
  assert.deepEqual(await q(`stdvar(${A})`), [[{}, [14, 81, 2.25]]]);
  // step 1: {2,20}, mean 11, 81+81 = 162, /2 = 81; step 2: {3,6} → 2.25
});

test('topk / bottomk pick k series per step; the others are absent at that step', async () => {
  // step 0: max of 1,4,10 → error/a; step 1: max of 2,20 → error/a; step 2: max of 3,6 → info/b
  assert.deepEqual(await q(`topk(1, ${A})`), [
    [{ job: 'x', level: 'error', pod: 'a' }, [10, 20, null]],
    [{ job: 'x', level: 'info', pod: 'b' }, [null, null, 6]],
  ]);
  // bottomk(2): step 0 → 1 (info/a), 4 (info/b); step 1 → 2, 20 (only two); step 2 → 3, 6
  assert.deepEqual(await q(`bottomk(2, ${A})`), [
    [{ job: 'x', level: 'error', pod: 'a' }, [null, 20, null]],
    [{ job: 'x', level: 'info', pod: 'a' }, [1, 2, 3]],
    [{ job: 'x', level: 'info', pod: 'b' }, [4, null, 6]],
  ]);
});

test('topk by (level): k per group', async () => {
  // info: step 0 max(1,4) → b; step 1 only a → a; step 2 max(3,6) → b. error: a wherever present.
  assert.deepEqual(await q(`topk by (level) (1, ${A})`), [
    [{ job: 'x', level: 'error', pod: 'a' }, [10, 20, null]],
    [{ job: 'x', level: 'info', pod: 'a' }, [null, 2, null]],
    [{ job: 'x', level: 'info', pod: 'b' }, [4, null, 6]],
  ]);
});

test('topk / bottomk ties go to the series whose labels sort first', async () => {
  // T: y 5 5 5 · x 5 5 5 · z 1 9 5 (y comes first in input order; x sorts first by labels)
  // topk(1): step 0 x=y=5 → x; step 1 z=9; step 2 all 5 → x.
  assert.deepEqual(await q(`topk(1, ${T})`), [
    [{ pod: 'x' }, [5, null, 5]],
    [{ pod: 'z' }, [null, 9, null]],
  ]);
  // bottomk(1): step 0 z=1; step 1 x=y=5 → x; step 2 all 5 → x.
  assert.deepEqual(await q(`bottomk(1, ${T})`), [
    [{ pod: 'x' }, [null, 5, 5]],
    [{ pod: 'z' }, [1, null, null]],
  ]);
  // topk(2): step 0 x, y; step 1 z, then x over y; step 2 x, y.
  assert.deepEqual(await q(`topk(2, ${T})`), [
    [{ pod: 'x' }, [5, 5, 5]],
    [{ pod: 'y' }, [5, null, 5]],
    [{ pod: 'z' }, [null, 9, null]],
  ]);
  // k larger than the vector: everything.
  assert.deepEqual(await q(`topk(10, ${T})`), [
    [{ pod: 'x' }, [5, 5, 5]],
    [{ pod: 'y' }, [5, 5, 5]],
    [{ pod: 'z' }, [1, 9, 5]],
  ]);
});

test('sort / sort_desc order series by the value at the last step and keep that order', async () => {
  // sum by (pod): a = 1+10, 2+20, 3 = 11, 22, 3; b = 4, -, 6. Last step: a=3, b=6.
  assert.deepEqual(await q(`sort(sum by (pod) (${A}))`), [
    [{ pod: 'a' }, [11, 22, 3]],
    [{ pod: 'b' }, [4, null, 6]],
  ]);
  assert.deepEqual(await q(`sort_desc(sum by (pod) (${A}))`), [
    [{ pod: 'b' }, [4, null, 6]],
    [{ pod: 'a' }, [11, 22, 3]],
  ]);
  // Last step of A: info/a 3, info/b 6, error/a absent (absent goes last).
  assert.deepEqual(await q(`sort_desc(${A})`), [
    [{ job: 'x', level: 'info', pod: 'b' }, [4, null, 6]],
    [{ job: 'x', level: 'info', pod: 'a' }, [1, 2, 3]],
    [{ job: 'x', level: 'error', pod: 'a' }, [10, 20, null]],
  ]);
});

test('nested aggregations', async () => {
  // max over the per-level sums: max(10,5)=10, max(20,2)=20, 9
  assert.deepEqual(await q(`max(sum by (level) (${A}))`), [[{}, [10, 20, 9]]]);
  // how many pods have samples: a and b at step 0, only a at step 1, a and b at step 2
  assert.deepEqual(await q(`count(count by (pod) (${A}))`), [[{}, [2, 1, 2]]]);
  // average of per-level maxima: (10+4)/2=7, (20+2)/2=11, 6/1=6
  assert.deepEqual(await q(`avg(max by (level) (${A}))`), [[{}, [7, 11, 6]]]);
});

test('aggregating an empty vector gives an empty vector', async () => {
  assert.deepEqual(await q(`sum(${E})`), []);
  assert.deepEqual(await q(`count by (level) (${E})`), []);
  assert.deepEqual(await q(`topk(3, ${E})`), []);
  assert.deepEqual(await q(`sort(${E})`), []);
});

test('an aggregation of a scalar is refused', async () => {
  await assert.rejects(q('sum(1)'), /expected a vector expression/);
});

test('topk with a large and a small k over many tied series', async () => {
  // 50 series p00..p49 with value i % 5 at every step: ten series each of 4, 3, 2, 1, 0.
  const W = 'count_over_time({job="wide"}[1m])';
  const name = (i: number) => 'p' + String(i).padStart(2, '0');
  const data = { [W]: Array.from({ length: 50 }, (_, i) => [{ pod: name(i) }, [i % 5, i % 5, i % 5]] as [Record<string, string>, number[]]) };
  const picked = async (k: number) => ((await evalRows(`topk(${k}, ${W})`, data)) as Array<[Record<string, string>, unknown]>).map(([l]) => l['pod']);
  const withValue = (v: number) => Array.from({ length: 50 }, (_, i) => i).filter((i) => i % 5 === v);
  // k = 33 (sorting path): all 30 series with values 4, 3, 2, then the first three with value 1
  // in label order: p01, p06, p11.
  const big = [...withValue(4), ...withValue(3), ...withValue(2), 1, 6, 11].sort((a, b) => a - b).map(name);
  assert.deepEqual(await picked(33), big);
  // k = 12 (one-pass path): the ten 4s, then p03 and p08 of the 3s.
  assert.deepEqual(await picked(12), [...withValue(4), 3, 8].sort((a, b) => a - b).map(name));
});
