import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_DISCOVER_SERVICE_NAME, DEFAULT_LIMITS, TenantLimits, durationMs, resolveLimits } from '../../../src/ingest/limits.js';
import { TokenBucket } from '../../../src/ingest/token-bucket.js';

test("defaults are Loki's limits_config defaults", () => {
  const l = resolveLimits(undefined);
  assert.equal(l.maxLineSize, 262_144);
  assert.equal(l.maxLineSizeTruncate, false);
  assert.equal(l.maxLabelNamesPerSeries, 15);
  assert.equal(l.maxLabelNameLength, 1024);
  assert.equal(l.maxLabelValueLength, 2048);
  assert.equal(l.ingestionRateBytes, 4 * 1024 * 1024);
  assert.equal(l.ingestionBurstBytes, 6 * 1024 * 1024);
  assert.equal(l.perStreamRateBytes, 3 * 1024 * 1024);
  assert.equal(l.perStreamBurstBytes, 15 * 1024 * 1024);
  assert.equal(l.maxGlobalStreamsPerUser, 5000);
  assert.equal(l.rejectOldSamples, true);
  assert.equal(l.rejectOldSamplesMaxAgeMs, 7 * 24 * 3600_000);
  assert.equal(l.creationGracePeriodMs, 10 * 60_000);
  assert.equal(l.outOfOrderWindowMs, 3600_000);
  assert.equal(l.maxStructuredMetadataSize, 65_536);
  assert.equal(l.maxStructuredMetadataEntries, 128);
  // Loki 3 discovers service_name and log levels on every push.
  assert.deepEqual(l.discoverServiceName, DEFAULT_DISCOVER_SERVICE_NAME);
  assert.equal(l.discoverLogLevels, true);
  assert.deepEqual(DEFAULT_DISCOVER_SERVICE_NAME, ['service', 'app', 'application', 'app_name', 'name', 'app_kubernetes_io_name', 'container', 'container_name', 'k8s_container_name', 'component', 'workload', 'job', 'k8s_job_name']);
  assert.equal(resolveLimits({ discover_log_levels: false }).discoverLogLevels, false);
  assert.deepEqual(resolveLimits({ discover_service_name: [] }).discoverServiceName, []);
});

test('configuration in Loki units overrides the defaults; tenants override on top', () => {
  const t = new TenantLimits({ ingestion_rate_mb: 10, reject_old_samples_max_age: '168h', out_of_order_window: '30m' }, { big: { ingestion_rate_mb: 100, max_line_size: 0 } });
  assert.equal(t.for('x').ingestionRateBytes, 10 * 1024 * 1024);
  assert.equal(t.for('x').outOfOrderWindowMs, 30 * 60_000);
  assert.equal(t.for('big').ingestionRateBytes, 100 * 1024 * 1024);
  assert.equal(t.for('big').outOfOrderWindowMs, 30 * 60_000);
  assert.equal(t.for('big').maxLineSize, 0);
  assert.equal(t.for('x').maxLineSize, DEFAULT_LIMITS.maxLineSize);
});

test('durations in LogQL units', () => {
  assert.equal(durationMs('1h30m', 'x'), 5_400_000);
  assert.equal(durationMs('1w', 'x'), 604_800_000);
  assert.equal(durationMs('250ms', 'x'), 250);
  assert.equal(durationMs(42, 'x'), 42);
  assert.throws(() => durationMs('1 hour', 'reject_old_samples_max_age'), /reject_old_samples_max_age: invalid duration/);
  assert.throws(() => durationMs('', 'x'), /empty duration/);
});

test('token bucket: starts full, refills at the rate, never above the burst, refuses more than the burst', () => {
  const b = new TokenBucket(100, 300, 0);
  assert.ok(b.allow(300, 0));
  assert.ok(!b.allow(1, 0));
  assert.ok(b.allow(100, 1000));
  assert.ok(!b.allow(301, 1_000_000));
  assert.ok(b.allow(300, 1_000_000));
  assert.ok(!b.isFull(1_000_000));
  assert.ok(b.isFull(1_003_000));
});
