import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRfc3339Nano, parseLokiTimestamp, parseRfc3339Nano } from '../../../src/api/timestamp.js';
import { parseGoDuration, parsePromDuration } from '../../../src/api/duration.js';

const S = 1_000_000_000n;

test('RFC3339Nano parses to exact nanoseconds, zones applied', () => {
  assert.equal(parseRfc3339Nano('1970-01-01T00:00:00Z'), 0n);
  assert.equal(parseRfc3339Nano('1970-01-01T00:00:00.000000001Z'), 1n);
  assert.equal(parseRfc3339Nano('2024-02-29T12:00:00+02:30'), 1_709_199_000n * S);
  assert.equal(parseRfc3339Nano('0001-01-01T00:00:00Z'), -62_135_596_800n * S);
  assert.equal(parseRfc3339Nano('0050-01-01T00:00:00Z'), -60_589_296_000n * S, 'years below 100 are not 19xx');
  assert.equal(parseRfc3339Nano('1969-12-31T23:59:59.5Z'), -500_000_000n);
});

test('RFC3339 rejects what Go rejects', () => {
  for (const bad of ['2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-01T00:60:00Z', '2024-01-01T00:00:00', '2024-01-01T00:00:00.Z', '2024-01-01T00:00:00.1234567890Z', '2024-01-01t00:00:00Z', '2024-01-01T00:00:00+25:00']) {
    assert.equal(parseRfc3339Nano(bad), undefined, bad);
  }
});

test('Loki timestamp forms', () => {
  assert.equal(parseLokiTimestamp('1700000000'), 1_700_000_000n * S);
  assert.equal(parseLokiTimestamp('17000000000'), 17_000_000_000n);
  assert.equal(parseLokiTimestamp('-1.5'), -1_500_000_000n);
  assert.equal(parseLokiTimestamp('.25'), 250_000_000n);
  assert.equal(parseLokiTimestamp('9223372036854775807'), 9223372036854775807n);
  assert.equal(parseLokiTimestamp('9223372036854775808'), undefined);
});

test('RFC3339Nano output trims trailing zeros like Go', () => {
  assert.equal(formatRfc3339Nano(0n), '1970-01-01T00:00:00Z');
  assert.equal(formatRfc3339Nano(1_700_000_000_120_000_000n), '2023-11-14T22:13:20.12Z');
  assert.equal(formatRfc3339Nano(1_700_000_000_000_000_001n), '2023-11-14T22:13:20.000000001Z');
  assert.equal(formatRfc3339Nano(-500_000_000n), '1969-12-31T23:59:59.5Z');
  for (const ns of [0n, 1n, 1_700_000_000_123_456_789n, -1n]) assert.equal(parseRfc3339Nano(formatRfc3339Nano(ns)), ns);
});

test('Prometheus durations: integer units, largest first, each once', () => {
  assert.equal(parsePromDuration('0'), 0n);
  assert.equal(parsePromDuration('1y'), 365n * 86400n * S);
  assert.equal(parsePromDuration('2w3d'), 17n * 86400n * S);
  assert.equal(parsePromDuration('1h30m15s250ms'), 5415_250_000_000n);
  for (const bad of ['', '1', '1.5h', '30m1h', '1h1h', '1H', '-1h', 'h', '1hm', '1000000y']) assert.equal(parsePromDuration(bad), undefined, bad);
});

test('Go durations: fractions, micro and nanoseconds, sign', () => {
  assert.equal(parseGoDuration('1.5h'), 5400n * S);
  assert.equal(parseGoDuration('300ms'), 300_000_000n);
  assert.equal(parseGoDuration('1h2m3.5s'), 3723_500_000_000n);
  assert.equal(parseGoDuration('2µs3ns'), 2003n);
  assert.equal(parseGoDuration('-1m'), -60n * S);
  assert.equal(parseGoDuration('.5s'), 500_000_000n);
  for (const bad of ['', '1', '1d', '.s', 'ms', '1h ']) assert.equal(parseGoDuration(bad), undefined, bad);
});
