import assert from 'node:assert/strict';
import { test } from 'node:test';
import { durationNsToMs, durationNsToSeconds, msToNs, nsToMs, nsToSeconds, nsToSecondsString, subsecondNs } from '../../../src/api/time-units.js';

test('milliseconds to nanoseconds keep the whole millisecond', () => {
  assert.equal(msToNs(1_700_000_000_123), 1_700_000_000_123_000_000n);
  assert.equal(msToNs(1.9), 1_000_000n);
  assert.equal(msToNs(-1.5), -2_000_000n);
});

test('coarser units round down, also before 1970', () => {
  assert.equal(nsToMs(1_999_999n), 1n);
  assert.equal(nsToMs(-1n), -1n);
  assert.equal(nsToSeconds(1_999_999_999n), 1n);
  assert.equal(nsToSeconds(-1n), -1n);
  assert.equal(subsecondNs(-1n), 999_999_999n);
  assert.equal(subsecondNs(2_000_000_005n), 5n);
});

test('exact decimal seconds for query parameters', () => {
  assert.equal(nsToSecondsString(1_500_000_000n), '1.5');
  assert.equal(nsToSecondsString(60_000_000_000n), '60');
  assert.equal(nsToSecondsString(-1n), '-0.000000001');
  assert.equal(nsToSecondsString(1_700_000_000_000_000_001n), '1700000000.000000001');
});

test('float durations', () => {
  assert.equal(durationNsToMs(1.5e6), 1.5);
  assert.equal(durationNsToSeconds(2_500_000_000n), 2.5);
  assert.equal(durationNsToSeconds(5e8), 0.5);
});
