/** The `health` section of the server's configuration refuses what makes no sense, saying why. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serverConfigSchema } from '../../../src/config/server.js';

test('health: defaults, and malformed values refused with the key and the reason', () => {
  assert.deepEqual(serverConfigSchema.parse({}).health, { record_interval: '30s', default_rules: true, disk_warning_percent: 85, disk_critical_percent: 95 });
  assert.equal(serverConfigSchema.parse({ health: { record_interval: '0s' } }).health.record_interval, '0s', '0s turns the records off');
  for (const [health, why] of [
    [{ record_interval: '500ms' }, 'health.record_interval: 0s (off) or at least 1s'],
    [{ record_interval: 'soon' }, 'health.record_interval: a duration such as 30s, 15m, 7d'],
    [{ disk_warning_percent: 99, disk_critical_percent: 90 }, 'health.disk_warning_percent: must not be above health.disk_critical_percent (90)'],
    [{ disk_critical_percent: 101 }, 'health.disk_critical_percent: Too big: expected number to be <=100'],
    [{ default_rules: 'yes' }, 'health.default_rules: Invalid input: expected boolean, received string'],
    [{ bogus: 1 }, 'health: Unrecognized key: "bogus"'],
  ] as const) {
    const r = serverConfigSchema.safeParse({ health });
    assert.equal(r.success, false, JSON.stringify(health));
    assert.deepEqual(r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`), [why], JSON.stringify(health));
  }
});
