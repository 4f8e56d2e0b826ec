// evaluateMetric as a whole and toLokiResult, Loki's result shapes. Data from helpers.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { A, DATA, E, INSTANT, SEC, STEPS3, fakeRangeAgg, parseMetric, rows, run } from './helpers.js';
import { evaluateMetric, toLokiResult } from '../../../../src/logql/eval/evaluate.js';
import { makeSteps } from '../../../../src/logql/eval/types.js';
import { LogwharfError } from '../../../../src/api/errors.js';

test('Grafana health check: instant vector(1)+vector(1) is one sample of 2 with empty labels', async () => {
  const v = await run('vector(1)+vector(1)', {}, INSTANT);
  assert.deepEqual(toLokiResult(v, INSTANT, true), { resultType: 'vector', result: [{ metric: {}, tsMs: 120_000, value: 2 }] });
});

test('Grafana log volume: sum by (level) (count_over_time(...)) as a range query', async () => {
  const v = await run(`sum by (level) (${A})`, DATA);
  // error: 10 at 0s, 20 at 60s, absent at 120s; info: 5, 2, 9
  assert.deepEqual(toLokiResult(v, STEPS3, false), {
    resultType: 'matrix',
    result: [
      { metric: { level: 'error' }, values: [[0, 10], [60_000, 20]] },
      { metric: { level: 'info' }, values: [[0, 5], [60_000, 2], [120_000, 9]] },
    ],
  });
});

test('instant vector: only series with a sample at the step, sorted by labels', async () => {
  const data = { [A]: [
    [{ level: 'warn' }, [1]],
    [{ level: 'error' }, [null]],
    [{ level: 'debug' }, [3]],
  ] as Array<[Record<string, string>, Array<number | null>]> };
  const v = await run(A, data, INSTANT);
  assert.deepEqual(toLokiResult(v, INSTANT, true), {
    resultType: 'vector',
    result: [
      { metric: { level: 'debug' }, tsMs: 120_000, value: 3 },
      { metric: { level: 'warn' }, tsMs: 120_000, value: 1 },
    ],
  });
});

test('instant sort_desc keeps the value order instead of label order', async () => {
  const data = { [A]: [
    [{ pod: 'a' }, [1]],
    [{ pod: 'b' }, [3]],
    [{ pod: 'c' }, [2]],
  ] as Array<[Record<string, string>, Array<number | null>]> };
  const v = await run(`sort_desc(${A})`, data, INSTANT);
  const r = toLokiResult(v, INSTANT, true);
  assert.equal(r.resultType, 'vector');
  assert.deepEqual(r.result.map((s) => ('metric' in s ? s.metric['pod'] : '')), ['b', 'c', 'a']);
  const asc = toLokiResult(await run(`sort(${A})`, data, INSTANT), INSTANT, true);
  assert.deepEqual((asc.result as Array<{ metric: Record<string, string> }>).map((s) => s.metric['pod']), ['a', 'c', 'b']);
  // Without sort, labels decide: a, b, c.
  const plain = toLokiResult(await run(`${A} * 1`, data, INSTANT), INSTANT, true);
  assert.deepEqual((plain.result as Array<{ metric: Record<string, string> }>).map((s) => s.metric['pod']), ['a', 'b', 'c']);
});

test('a range matrix lists only present steps, leaves out empty series and sorts by labels', async () => {
  // B-like fixture given out of label order, with one series that never has a value
  const data = { [A]: [
    [{ z: '1' }, [null, 1, null]],
    [{ a: '1', b: '2' }, [4, null, 6]],
    [{ a: '1' }, [7, 8, 9]],
    [{ m: '1' }, [null, null, null]],
  ] as Array<[Record<string, string>, Array<number | null>]> };
  const r = toLokiResult(await run(A, data), STEPS3, false);
  // labels.Compare: {a=1} is a prefix of {a=1,b=2} → first; then {z=1}
  assert.deepEqual(r, {
    resultType: 'matrix',
    result: [
      { metric: { a: '1' }, values: [[0, 7], [60_000, 8], [120_000, 9]] },
      { metric: { a: '1', b: '2' }, values: [[0, 4], [120_000, 6]] },
      { metric: { z: '1' }, values: [[60_000, 1]] },
    ],
  });
});

test('scalar expressions: a scalar for instant queries, one unlabelled series for range queries', async () => {
  assert.deepEqual(toLokiResult(await run('1 + 1', {}, INSTANT), INSTANT, true), { resultType: 'scalar', result: { tsMs: 120_000, value: 2 } });
  // Loki's PopulateMatrixFromScalar: every step, empty labels
  assert.deepEqual(toLokiResult(await run('2 * 3', {}, STEPS3), STEPS3, false), {
    resultType: 'matrix',
    result: [{ metric: {}, values: [[0, 6], [60_000, 6], [120_000, 6]] }],
  });
  // vector(n) in a range query: the same shape, through the vector path
  assert.deepEqual(toLokiResult(await run('vector(5)', {}, STEPS3), STEPS3, false), {
    resultType: 'matrix',
    result: [{ metric: {}, values: [[0, 5], [60_000, 5], [120_000, 5]] }],
  });
});

test('empty results', async () => {
  const v = await run(`sum by (level) (${E})`, DATA);
  assert.deepEqual(toLokiResult(v, STEPS3, false), { resultType: 'matrix', result: [] });
  const i = await run(E, DATA, INSTANT);
  assert.deepEqual(toLokiResult(i, INSTANT, true), { resultType: 'vector', result: [] });
});

test('maxSeries: more series than allowed is a query_limit error', async () => {
  // A has 3 series; sum by (level) has 2.
  await assert.rejects(run(A, DATA, STEPS3, { maxSeries: 2 }), (e: unknown) => {
    assert.ok(e instanceof LogwharfError);
    assert.equal(e.code, 'query_limit');
    assert.equal(e.message, 'maximum number of series (2) reached for a single query');
    return true;
  });
  assert.equal(rows(await run(A, DATA, STEPS3, { maxSeries: 3 })).length, 3);
  assert.equal(rows(await run(`sum by (level) (${A})`, DATA, STEPS3, { maxSeries: 2 })).length, 2);
});

test('range aggregation leaves are asked once each with the query steps', async () => {
  const seen: string[] = [];
  const inner = fakeRangeAgg(DATA);
  const steps = makeSteps(0n, 120n * SEC, 60n * SEC);
  await evaluateMetric(parseMetric(`sum(${A}) / count(${A})`), steps, async (expr, s) => {
    assert.equal(s, steps);
    seen.push(expr.op);
    return inner(expr, s);
  });
  assert.deepEqual(seen, ['count_over_time', 'count_over_time']);
});

test('a query with no steps evaluates to nothing', async () => {
  const none = makeSteps(10n, 5n, 1n);
  const v = await evaluateMetric(parseMetric('vector(1) + 1'), none, fakeRangeAgg({}));
  assert.deepEqual(toLokiResult(v, none, false), { resultType: 'matrix', result: [] });
});
