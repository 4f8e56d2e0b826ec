/** A metric answer as the chart and table read it: aligned series, the cap on drawn series, table rows. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignMatrix, formatValue, tableRows } from '../../../ui/pages/explore/metric-data.js';

test('series are aligned on the union of their timestamps, with gaps where a series has no point', () => {
  const a = alignMatrix([
    { metric: { level: 'info' }, values: [[10, '1'], [20, '2']] },
    { metric: { level: 'error', app: 'a' }, values: [[20, '5'], [30, '+Inf']] },
  ]);
  assert.deepEqual(a.x, [10, 20, 30]);
  assert.deepEqual(a.series.map((s) => [s.label, s.values]), [
    ['{level="info"}', [1, 2, null]],
    ['{app="a", level="error"}', [null, 5, Infinity]],
  ]);
  assert.equal(a.dropped, 0);
});

test('beyond the cap the chart keeps the first series and counts the others', () => {
  const many = Array.from({ length: 130 }, (_, i) => ({ metric: { i: String(i) }, values: [[1, '1']] as Array<[number, string]> }));
  const a = alignMatrix(many);
  assert.equal(a.series.length, 100);
  assert.equal(a.dropped, 30);
});

test('the table has the last value of each series, the value of each vector sample, or the scalar', () => {
  assert.deepEqual(
    tableRows({ resultType: 'matrix', result: [{ metric: { a: '1' }, values: [[10, '1'], [20, '7']] }, { metric: { a: '2' }, values: [] }] }),
    [{ label: '{a="1"}', metric: { a: '1' }, time: 20, value: '7' }],
  );
  assert.deepEqual(tableRows({ resultType: 'vector', result: [{ metric: {}, value: [5, '3.5'] }] }), [{ label: '{}', metric: {}, time: 5, value: '3.5' }]);
  assert.deepEqual(tableRows({ resultType: 'scalar', result: [5, '42'] }), [{ label: 'scalar', metric: {}, time: 5, value: '42' }]);
  assert.deepEqual([formatValue(3), formatValue(0.123456), formatValue(null), formatValue(-Infinity)], ['3', '0.1235', '–', '-Inf']);
});
