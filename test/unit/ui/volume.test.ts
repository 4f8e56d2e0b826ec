/** The volume histogram's pure parts: the counting query built from a log query, the bucket grid, stacking by level. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectorOf, stacked, totalsFrom, volumeFrom, volumeGrid, volumeQuery } from '../../../ui/pages/explore/volume.js';

test('the whole log query, pipeline included, becomes the input of a count per level', () => {
  const tail = '\n| drop __error__, __error_details__';
  assert.equal(volumeQuery('{job="x"}', 30_000), `sum by (detected_level) (count_over_time({job="x"}${tail} [30s]))`);
  assert.equal(
    volumeQuery(' {job="x"} |= "a" | logfmt | line_format "{{.msg}}"\n', 60_000),
    `sum by (detected_level) (count_over_time({job="x"} |= "a" | logfmt | line_format "{{.msg}}"${tail} [60s]))`,
  );
  // A trailing comment ends at the newline, before the parts added here.
  assert.equal(volumeQuery('{job="x"} # mine', 60_000), `sum by (detected_level) (count_over_time({job="x"} # mine${tail} [60s]))`);
  // A range that is not whole seconds (the exact total over a dragged range) is given in ms.
  assert.equal(volumeQuery('{a="b"}', 1_234_567), `sum by (detected_level) (count_over_time({a="b"}${tail} [1234567ms]))`);
});

test('the fallback selector is the leading {…}, whatever braces or quotes its values hold', () => {
  assert.equal(selectorOf('{job="x"} |= "a"'), '{job="x"}');
  assert.equal(selectorOf('  {job="x}", b=~"\\"}"} | json'), '{job="x}", b=~"\\"}"}');
  assert.equal(selectorOf('{job=`a}b`} |= "}"'), '{job=`a}b`}');
  assert.equal(selectorOf('sum(rate({a="b"}[1m]))'), undefined);
  assert.equal(selectorOf('{job="x"'), undefined);
});

test('the grid is the step-aligned buckets from the one holding `from` to the one holding `to`', () => {
  const g = volumeGrid(95_000, 200_000, 30_000);
  // Buckets (90,120], (120,150], (150,180], (180,210]: the server evaluates at multiples of the step.
  assert.deepEqual(g.points, [120_000, 150_000, 180_000, 210_000]);
  assert.deepEqual(volumeGrid(90_000, 180_000, 30_000).points, [120_000, 150_000, 180_000]);
});

test('the matrix is laid on the grid per level (missing points are zero), in the legend order, with exact totals', () => {
  const grid = volumeGrid(90_000, 180_000, 30_000);
  const v = volumeFrom(
    [
      { metric: { detected_level: 'info' }, values: [[120, '2'], [180, '1']] },
      { metric: { detected_level: 'error' }, values: [[150, '3']] },
      { metric: { detected_level: 'WARNING' }, values: [[120, '1']] },
      { metric: {}, values: [[180, '4']] },
    ],
    grid,
    totalsFrom([
      { metric: { detected_level: 'info' }, value: [180, '3'] },
      { metric: { detected_level: 'error' }, value: [180, '3'] },
      { metric: { detected_level: 'warn' }, value: [180, '1'] },
      { metric: {}, value: [180, '4'] },
    ]),
  );
  assert.deepEqual(v.x, [90, 120, 150]);
  assert.deepEqual(
    v.levels.map((l) => [l.level, l.counts, l.total]),
    [
      ['error', [0, 3, 0], 3],
      ['warn', [1, 0, 0], 1],
      ['info', [2, 0, 1], 3],
      ['unknown', [0, 0, 4], 4],
    ],
  );
  assert.equal(v.total, 11);
  // Each drawn series is the top of its level's part of the stack.
  assert.deepEqual(stacked(v.levels), [
    [0, 3, 0],
    [1, 3, 0],
    [3, 3, 1],
    [3, 3, 5],
  ]);
});
