/** The overview status's latency quantiles from cumulative histogram buckets (Prometheus' histogram_quantile). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { quantile } from '../../../src/web/overview-status.js';

test('quantiles interpolate inside the bucket they fall in', () => {
  // 10 requests ≤ 0.1 s, 10 more ≤ 1 s.
  const b = new Map([['0.1', 10], ['1', 20], ['+Inf', 20]]);
  assert.equal(quantile(0.5, b), 0.1);
  assert.ok(Math.abs(quantile(0.75, b)! - 0.55) < 1e-9);
  assert.ok(Math.abs(quantile(0.99, b)! - 0.982) < 1e-9);
});

test('a quantile in the +Inf bucket is the largest finite bound; no requests give null', () => {
  assert.equal(quantile(0.99, new Map([['0.1', 1], ['1', 1], ['+Inf', 10]])), 1);
  assert.equal(quantile(0.5, new Map([['0.1', 0], ['+Inf', 0]])), null);
});
