import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_QUERY_LIMIT,
  DEFAULT_VOLUME_LIMIT,
  defaultStep,
  parseIndexParams,
  parseInstantQueryParams,
  parseLabelParams,
  parseRangeQueryParams,
  parseSeriesParams,
  parseTailParams,
  parseVolumeParams,
} from '../../../src/api/params.js';
import { LogwharfError } from '../../../src/api/errors.js';

const S = 1_000_000_000n;
const NOW = 1_700_000_000n * S + 123_456_789n;
const HOUR = 3600n * S;

function q(init: Record<string, string> | [string, string][]): URLSearchParams {
  return new URLSearchParams(init);
}

function rejects(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof LogwharfError, `expected LogwharfError, got ${String(e)}`);
    assert.equal(e.code, 'invalid_param');
    assert.equal(e.status, 400);
    assert.match(e.message, message);
    return true;
  });
}

test('query_range defaults: last hour up to now, limit 100, backward, step range/250', () => {
  const p = parseRangeQueryParams(q({ query: '{a="b"}' }), NOW);
  assert.deepEqual(p, { query: '{a="b"}', start: NOW - HOUR, end: NOW, limit: DEFAULT_QUERY_LIMIT, direction: 'backward', step: 14n * S, interval: 0n });
});

test('timestamps: 10 characters or fewer are seconds, longer integers nanoseconds', () => {
  const p = parseRangeQueryParams(q({ start: '1700000000', end: '1700000000500000000' }), NOW);
  assert.equal(p.start, 1_700_000_000n * S);
  assert.equal(p.end, 1_700_000_000_500_000_000n);
  // A short nanosecond value is read as seconds, exactly as Loki does.
  assert.equal(parseRangeQueryParams(q({ start: '0', end: '5' }), NOW).end, 5n * S);
  assert.equal(parseRangeQueryParams(q({ start: '-5', end: '5' }), NOW).start, -5n * S);
});

test('timestamps: a number with a dot is float seconds rounded to the millisecond', () => {
  const p = parseRangeQueryParams(q({ start: '1700000000.1234567', end: '1700000000.5' }), NOW);
  assert.equal(p.start, 1_700_000_000_123_000_000n);
  assert.equal(p.end, 1_700_000_000_500_000_000n);
  assert.equal(parseRangeQueryParams(q({ start: '1.5e9', end: '1700000000.0009' }), NOW).end, 1_700_000_000_001_000_000n);
});

test('timestamps: RFC3339 and RFC3339Nano with zones', () => {
  const p = parseRangeQueryParams(q({ start: '2023-11-14T22:13:20Z', end: '2023-11-14T23:13:20.123456789+01:00' }), NOW);
  assert.equal(p.start, 1_700_000_000n * S);
  assert.equal(p.end, 1_700_000_000_123_456_789n);
  assert.equal(parseRangeQueryParams(q({ start: '2023-11-14T22:13:19.5-00:00', end: '2023-11-14T22:13:20Z' }), NOW).start, 1_699_999_999_500_000_000n);
});

test('timestamps that are not timestamps are rejected naming the parameter', () => {
  for (const bad of ['yesterday', '2023-11-14', '2023-11-14 22:13:20Z', '2023-02-30T00:00:00Z', '2023-11-14T24:00:00Z', '1e9', '99999999999999999999', '1.2.3', 'NaN', '']) {
    if (bad === '') continue; // empty means "absent"
    rejects(() => parseRangeQueryParams(q({ start: bad }), NOW), /^invalid parameter "start": cannot parse/);
    rejects(() => parseInstantQueryParams(q({ time: bad }), NOW), /^invalid parameter "time"/);
  }
});

test('since moves the default start; start wins over since', () => {
  assert.equal(parseRangeQueryParams(q({ since: '15m' }), NOW).start, NOW - 900n * S);
  assert.equal(parseRangeQueryParams(q({ since: '1d2h' }), NOW).start, NOW - 26n * HOUR);
  assert.equal(parseRangeQueryParams(q({ since: '15m', start: '1600000000' }), NOW).start, 1_600_000_000n * S);
  for (const bad of ['15', '1.5h', '1m1h', '-1h', 'abc']) rejects(() => parseRangeQueryParams(q({ since: bad }), NOW), /^invalid parameter "since"/);
});

test('start defaults from end when end is in the past, from now when end is in the future', () => {
  const past = NOW - 10n * HOUR;
  assert.equal(parseRangeQueryParams(q({ end: past.toString() }), NOW).start, past - HOUR);
  const future = NOW + 10n * HOUR;
  const p = parseRangeQueryParams(q({ end: future.toString() }), NOW);
  assert.equal(p.start, NOW - HOUR);
  assert.equal(p.end, future);
});

test('end before start is rejected; equal is a valid (empty) range, as in Loki', () => {
  rejects(() => parseRangeQueryParams(q({ start: '1700000001', end: '1700000000' }), NOW), /^end timestamp must not be before or equal to start time$/);
  const p = parseRangeQueryParams(q({ start: '1700000000', end: '1700000000' }), NOW);
  assert.equal(p.start, p.end);
});

test('limit: positive integers only', () => {
  assert.equal(parseRangeQueryParams(q({ limit: '5000' }), NOW).limit, 5000);
  assert.equal(parseRangeQueryParams(q({ limit: '+7' }), NOW).limit, 7);
  rejects(() => parseRangeQueryParams(q({ limit: '0' }), NOW), /limit must be a positive value/);
  rejects(() => parseRangeQueryParams(q({ limit: '-1' }), NOW), /limit must be a positive value/);
  rejects(() => parseRangeQueryParams(q({ limit: '10.5' }), NOW), /^invalid parameter "limit": "10.5" is not an integer/);
  rejects(() => parseRangeQueryParams(q({ limit: 'ten' }), NOW), /"limit"/);
  rejects(() => parseRangeQueryParams(q({ limit: '4294967296' }), NOW), /out of range/);
});

test('direction: forward or backward in any case', () => {
  assert.equal(parseRangeQueryParams(q({ direction: 'FORWARD' }), NOW).direction, 'forward');
  assert.equal(parseRangeQueryParams(q({ direction: 'backward' }), NOW).direction, 'backward');
  rejects(() => parseRangeQueryParams(q({ direction: 'sideways' }), NOW), /invalid direction 'sideways'/);
});

test('step: float seconds or Prometheus duration; default range/250 floored, at least 1s', () => {
  assert.equal(parseRangeQueryParams(q({ step: '30' }), NOW).step, 30n * S);
  assert.equal(parseRangeQueryParams(q({ step: '0.5' }), NOW).step, S / 2n);
  assert.equal(parseRangeQueryParams(q({ step: '1m30s' }), NOW).step, 90n * S);
  assert.equal(parseRangeQueryParams(q({ step: '250ms', since: '5m' }), NOW).step, 250_000_000n);
  assert.equal(defaultStep(0n, 100n * S), S);
  assert.equal(defaultStep(0n, 24n * HOUR), 345n * S);
  assert.equal(defaultStep(0n, 0n), S);
  rejects(() => parseRangeQueryParams(q({ step: '0' }), NOW), /zero or negative query resolution step widths are not accepted/);
  rejects(() => parseRangeQueryParams(q({ step: '-5' }), NOW), /zero or negative/);
  rejects(() => parseRangeQueryParams(q({ step: 'fast' }), NOW), /^invalid parameter "step": cannot parse "fast" to a valid duration$/);
  rejects(() => parseRangeQueryParams(q({ step: '1e300' }), NOW), /overflows int64/);
});

test('step: more than 11,000 points per series is refused', () => {
  const start = '1700000000';
  assert.equal(parseRangeQueryParams(q({ start, end: String(1_700_000_000 + 11_000), step: '1' }), NOW).step, S);
  rejects(() => parseRangeQueryParams(q({ start, end: String(1_700_000_000 + 11_001), step: '1' }), NOW), /exceeded maximum resolution of 11,000 points per time series/);
});

test('interval: optional, non-negative', () => {
  assert.equal(parseRangeQueryParams(q({ interval: '10s' }), NOW).interval, 10n * S);
  assert.equal(parseRangeQueryParams(q({ interval: '2.5' }), NOW).interval, 2_500_000_000n);
  rejects(() => parseRangeQueryParams(q({ interval: '-1' }), NOW), /interval must be >= 0/);
});

test('instant query: time defaults to now', () => {
  assert.deepEqual(parseInstantQueryParams(q({ query: 'count_over_time({a="b"}[5m])' }), NOW), {
    query: 'count_over_time({a="b"}[5m])',
    time: NOW,
    limit: 100,
    direction: 'backward',
  });
  assert.equal(parseInstantQueryParams(q({ time: '1700000000' }), NOW).time, 1_700_000_000n * S);
});

test('labels: bounds with since, optional query', () => {
  assert.deepEqual(parseLabelParams(q({}), NOW), { start: NOW - HOUR, end: NOW });
  assert.deepEqual(parseLabelParams(q({ since: '6h', query: '{job="x"}' }), NOW), { start: NOW - 6n * HOUR, end: NOW, query: '{job="x"}' });
});

test('series: match[] and match merged, deduplicated, sorted; a lone {} means all', () => {
  const p = parseSeriesParams(q([['match[]', '{b="2"}'], ['match', '{a="1"}'], ['match[]', '{a="1"}']]), NOW);
  assert.deepEqual(p.match, ['{a="1"}', '{b="2"}']);
  assert.deepEqual(parseSeriesParams(q([['match[]', '{ }']]), NOW).match, []);
  assert.deepEqual(parseSeriesParams(q({}), NOW).match, []);
});

test('tail: delay_for 0..5, limit, start from since', () => {
  assert.deepEqual(parseTailParams(q({ query: '{a="b"}' }), NOW), { query: '{a="b"}', start: NOW - HOUR, limit: 100, delayFor: 0 });
  assert.equal(parseTailParams(q({ delay_for: '5', start: '1700000000' }), NOW).delayFor, 5);
  assert.equal(parseTailParams(q({ start: '1700000000' }), NOW).start, 1_700_000_000n * S);
  rejects(() => parseTailParams(q({ delay_for: '6' }), NOW), /delay_for can't be greater than 5/);
  rejects(() => parseTailParams(q({ delay_for: '-1' }), NOW), /"delay_for"/);
  rejects(() => parseTailParams(q({ delay_for: 'soon' }), NOW), /"delay_for"/);
});

test('index stats: range-query validation applies', () => {
  assert.deepEqual(parseIndexParams(q({ query: '{a="b"}', start: '1700000000', end: '1700003600' }), NOW), {
    query: '{a="b"}',
    start: 1_700_000_000n * S,
    end: 1_700_003_600n * S,
    step: 14n * S,
  });
  rejects(() => parseIndexParams(q({ start: '1700003600', end: '1700000000' }), NOW), /end timestamp must not be before/);
});

test('volume: limit 0 means the default, targetLabels split, aggregateBy checked, step only for range', () => {
  const p = parseVolumeParams(q({ query: '{a="b"}', limit: '0', targetLabels: 'a,b' }), NOW, false);
  assert.deepEqual(p, { query: '{a="b"}', start: NOW - HOUR, end: NOW, limit: DEFAULT_VOLUME_LIMIT, aggregateBy: 'series', targetLabels: ['a', 'b'] });
  const r = parseVolumeParams(q({ query: '{a="b"}', step: '60', aggregateBy: 'labels' }), NOW, true);
  assert.equal(r.step, 60n * S);
  assert.equal(r.aggregateBy, 'labels');
  rejects(() => parseVolumeParams(q({ aggregateBy: 'pods' }), NOW, false), /invalid aggregation option/);
  rejects(() => parseVolumeParams(q({ limit: '-3' }), NOW, false), /limit must be a positive value/);
});

test('hostile input: huge and odd values fail cleanly, never throw anything but invalid_param', () => {
  const hostile = ['9'.repeat(5000), '\u0000', '1'.repeat(19) + '.', '--1', '0x10', 'Infinity', '1_000', ' 1700000000', '1700000000 '];
  for (const v of hostile) {
    for (const name of ['start', 'end', 'limit', 'step', 'since', 'interval', 'direction']) {
      try {
        parseRangeQueryParams(q({ [name]: v }), NOW);
      } catch (e) {
        assert.ok(e instanceof LogwharfError && e.code === 'invalid_param', `${name}=${JSON.stringify(v).slice(0, 40)} threw ${String(e)}`);
      }
    }
  }
});
