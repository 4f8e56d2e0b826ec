/** Prometheus' number and time formats on the rules API (src/api/prom-rules.ts), as Go writes them. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatGoExponent, formatGoTime, parsePromRulesFilter } from '../../../src/api/prom-rules.js';

test('alert values are written as Go\'s FormatFloat(v, \'e\', -1, 64)', () => {
  const cases: Array<[number, string]> = [
    [1, '1e+00'],
    [12.5, '1.25e+01'],
    [0, '0e+00'],
    [-0, '-0e+00'],
    [1e-7, '1e-07'],
    [123456789, '1.23456789e+08'],
    [1e300, '1e+300'],
    [-0.1, '-1e-01'],
    [NaN, 'NaN'],
    [Infinity, '+Inf'],
    [-Infinity, '-Inf'],
  ];
  for (const [v, want] of cases) assert.equal(formatGoExponent(v), want, String(v));
});

test('times are RFC 3339 with trailing zeros trimmed, and Go\'s zero time for never', () => {
  assert.equal(formatGoTime(Date.UTC(2024, 4, 1, 0, 0, 0, 500)), '2024-05-01T00:00:00.5Z');
  assert.equal(formatGoTime(Date.UTC(2024, 4, 1, 0, 0, 10)), '2024-05-01T00:00:10Z');
  assert.equal(formatGoTime(Date.UTC(2024, 4, 1, 0, 0, 10, 120)), '2024-05-01T00:00:10.12Z');
  assert.equal(formatGoTime(undefined), '0001-01-01T00:00:00Z');
});

test('rules filters: repeated names with or without brackets, type checked', () => {
  const f = parsePromRulesFilter(new URLSearchParams('type=Record&rule_name[]=a&rule_name=b&file[]=&rule_group[]=g'));
  assert.deepEqual(f, { type: 'record', ruleName: ['a', 'b'], ruleGroup: ['g'], file: [] });
  assert.throws(() => parsePromRulesFilter(new URLSearchParams('type=x')), /not supported value "x"/);
});
