/** The virtualised list's arithmetic: which rows a scroll position shows, over 100,000 rows of mixed heights. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOffsets, estimateWrapped, indexAt, visibleRange } from '../../../ui/components/log-list/layout.js';
import { seededRandom } from '../../helpers/random.js';

test('offsets are prefix sums and indexAt finds the row under any y', (t) => {
  const rnd = seededRandom(t);
  const n = 100_000;
  const h = Array.from({ length: n }, () => 22 + 18 * rnd.int(4));
  const offsets = buildOffsets(n, (i) => h[i]!);
  assert.equal(offsets[n], h.reduce((a, b) => a + b, 0));
  for (let k = 0; k < 2000; k++) {
    const y = rnd.between(0, offsets[n]!);
    const i = indexAt(offsets, y);
    assert.ok(offsets[i]! <= y && y < offsets[i + 1]!, `row ${i} holds y=${y}`);
  }
  assert.equal(indexAt(offsets, -5), 0);
  assert.equal(indexAt(offsets, offsets[n]! + 100), n - 1);
});

test('the visible range covers the viewport plus overscan and stays small however many rows there are', () => {
  const offsets = buildOffsets(100_000, () => 22);
  assert.deepEqual(visibleRange(offsets, 0, 660, 10), { start: 0, end: 40 });
  const mid = visibleRange(offsets, 22 * 50_000 + 5, 660, 10);
  assert.deepEqual(mid, { start: 49_990, end: 50_041 });
  assert.deepEqual(visibleRange(offsets, 22 * 100_000, 660, 10), { start: 99_989, end: 100_000 });
  assert.deepEqual(visibleRange(buildOffsets(0, () => 22), 0, 660, 10), { start: 0, end: 0 });
});

test('a wrapped row is estimated from its length', () => {
  assert.equal(estimateWrapped(0, 100, 18, 4), 22);
  assert.equal(estimateWrapped(100, 100, 18, 4), 22);
  assert.equal(estimateWrapped(101, 100, 18, 4), 40);
  assert.equal(estimateWrapped(1000, 0, 18, 4), 18 * 1000 + 4);
});
