/** "12 s ago": the short relative time every page shows (ui/components/ago.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatAgo, toMs } from '../../../ui/components/ago.js';

const NOW = Date.parse('2026-12-05T12:00:00Z');

test('past times read in the largest whole unit', () => {
  assert.equal(formatAgo(NOW - 12_000, NOW), '12 s ago');
  assert.equal(formatAgo(NOW - 59_400, NOW), '59 s ago');
  assert.equal(formatAgo(NOW - 60_000, NOW), '1 min ago');
  assert.equal(formatAgo(NOW - 3_599_000, NOW), '59 min ago');
  assert.equal(formatAgo(NOW - 3 * 3_600_000, NOW), '3 h ago');
  assert.equal(formatAgo(NOW - 47 * 3_600_000, NOW), '47 h ago');
  assert.equal(formatAgo(NOW - 3 * 86_400_000, NOW), '3 d ago');
});

test('a time within half a second is now; a future time (a silence ending) reads "in …"', () => {
  assert.equal(formatAgo(NOW - 400, NOW), 'now');
  assert.equal(formatAgo(NOW + 400, NOW), 'now');
  assert.equal(formatAgo(NOW + 40_000, NOW), 'in 40 s');
  assert.equal(formatAgo(NOW + 4 * 3_600_000, NOW), 'in 4 h');
});

test('Go\'s zero time (Prometheus\' "never evaluated"), empty and unreadable values have no time', () => {
  assert.equal(toMs('0001-01-01T00:00:00Z'), undefined);
  assert.equal(toMs(''), undefined);
  assert.equal(toMs(undefined), undefined);
  assert.equal(toMs('yesterday'), undefined);
  assert.equal(toMs('2026-12-05T11:59:48.5Z'), NOW - 11_500);
  assert.equal(toMs(NOW), NOW);
});
