import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPromDuration, goDurationOrError, parseGoDuration, parsePromDuration, promDurationOrError } from '../../../src/api/duration.js';
import { bytesOrError, parseBytes } from '../../../src/api/bytes.js';

const S = 1_000_000_000n;

test('Prometheus durations: integer units largest first, with Loki\'s messages', () => {
  assert.equal(promDurationOrError('1y2w3d4h5m6s7ms'), ((((365n + 14n + 3n) * 24n + 4n) * 60n + 5n) * 60n + 6n) * S + 7_000_000n);
  assert.equal(promDurationOrError('0'), 0n);
  assert.equal(promDurationOrError(''), 'empty duration string');
  assert.equal(promDurationOrError('1s1m'), 'not a valid duration string: "1s1m"');
  assert.equal(promDurationOrError('1s1s'), 'not a valid duration string: "1s1s"');
  assert.equal(promDurationOrError('1.5h'), 'unknown unit "." in duration "1.5h"');
  assert.equal(promDurationOrError('5x'), 'unknown unit "x" in duration "5x"');
  assert.equal(promDurationOrError('292y'), 292n * 365n * 24n * 3600n * S);
  assert.equal(promDurationOrError('293y'), 'duration out of range');
  assert.equal(promDurationOrError('9'.repeat(100_000) + 'ms'), 'duration out of range', 'a huge number fails fast');
  assert.equal(promDurationOrError('9'.repeat(50) + 'x'), 'unknown unit "x" in duration "' + '9'.repeat(50) + 'x"', 'the unit is checked first');
  assert.equal(parsePromDuration('7d'), 7n * 24n * 3600n * S);
  assert.equal(parsePromDuration('1h-5m'), undefined);
});

test('Go durations: decimals, sign, int64 range, rounding to the nanosecond', () => {
  assert.equal(goDurationOrError('1.5h'), 5400e9);
  assert.equal(goDurationOrError('-1m30.5s'), -90.5e9);
  assert.equal(goDurationOrError('1.123456789123s'), 1123456789);
  assert.equal(goDurationOrError('1.5ns'), 2);
  assert.equal(goDurationOrError('0.4ns'), 0);
  assert.ok(Object.is(goDurationOrError('-0s'), -0));
  assert.equal(goDurationOrError('1'), 'time: missing unit in duration "1"');
  assert.equal(goDurationOrError('1d'), 'time: unknown unit "d" in duration "1d"');
  assert.equal(goDurationOrError('.s'), 'time: invalid duration ".s"');
  assert.equal(goDurationOrError(''), 'time: invalid duration ""');
  assert.equal(goDurationOrError('2562048h'), 'time: invalid duration "2562048h"');
  assert.equal(parseGoDuration('9223372036854775807ns'), 9223372036854775807n);
  assert.equal(parseGoDuration('9223372036854775808ns'), undefined);
  assert.equal(parseGoDuration('-9223372036854775808ns'), -9223372036854775808n, 'Go allows the int64 minimum');
  assert.equal(parseGoDuration('1.' + '0'.repeat(100_000) + '1s'), S, 'a huge fraction is cut, not slow');
  assert.equal(parseGoDuration('1' + '0'.repeat(100_000) + 's'), undefined);
  assert.equal(parseGoDuration('300µs'), 300_000n);
});

test('byte sizes follow go-humanize ParseBytes', () => {
  assert.equal(bytesOrError('1.5KiB'), 1536);
  assert.equal(bytesOrError('1 kb'), 1000);
  assert.equal(bytesOrError('1,024'), 1024);
  assert.equal(bytesOrError('42 '), 42);
  assert.equal(bytesOrError('1.9B'), 1, 'truncated');
  assert.equal(bytesOrError('12XB'), 'unhandled size name: xb');
  assert.equal(bytesOrError(' 42'), 'strconv.ParseFloat: parsing "": invalid syntax');
  assert.equal(bytesOrError('20000EB'), 'too large: 20000EB');
  assert.equal(parseBytes('-1KB'), undefined);
  assert.equal(parseBytes('16EiB'), undefined);
  assert.equal(parseBytes('15EiB'), 15 * 1024 ** 6);
});

test('formatPromDuration prints as Prometheus model.Duration (Loki\'s limits): years and weeks only when exact', () => {
  const cases: Array<[number, string]> = [
    [0, '0s'],
    [-5, '0s'],
    [1, '1ms'],
    [1500, '1s500ms'],
    [60_000, '1m'],
    [5_400_000, '1h30m'],
    [36 * 3_600_000, '1d12h'],
    [7 * 86_400_000, '1w'],
    [14 * 86_400_000, '2w'],
    [30 * 86_400_000, '30d'],
    [90 * 86_400_000, '90d'],
    [365 * 86_400_000, '1y'],
    [366 * 86_400_000, '366d'],
  ];
  for (const [ms, want] of cases) assert.equal(formatPromDuration(ms), want, String(ms));
  // Whatever it prints parses back to the same duration.
  for (const [ms] of cases.filter(([ms]) => ms > 0)) assert.equal(parsePromDuration(formatPromDuration(ms)), BigInt(ms) * 1_000_000n);
});
