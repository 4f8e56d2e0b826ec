/**
 * The store's contributor to the health monitor, on a clock of the test's: compaction is overdue
 * after three compaction intervals without a completed run, and fine again once one completes. The
 * run is seen the way the server sees it, through `logwharf_store_compactions_total` (registered
 * here under the store's name; the real store registers it the same way).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Counter, Registry } from 'prom-client';
import { serverConfigSchema } from '../../../src/config/server.js';
import { createOverviewStatus } from '../../../src/web/overview-status.js';
import { STATUS_COUNTERS, storeContributor } from '../../../src/app/status-contributors.js';

test('compaction_overdue after three intervals without a run, cleared by the next run', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-health-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let clock = Date.parse('2026-12-05T00:00:00Z');
  const now = () => clock;
  const registry = new Registry();
  const runs = new Counter({ name: 'logwharf_store_compactions_total', help: 'runs', registers: [registry] });
  const config = serverConfigSchema.parse({ data: dir, storage: { compaction_interval: '10m' } });
  const overview = createOverviewStatus({ registry, dataDir: dir, retention: { period: '7d', streams: [] }, compactionInterval: '10m', counters: STATUS_COUNTERS, now });
  const store = storeContributor({ config, overview, registry, now });

  const checks = async () => (await store.status()).problems.map((p) => p.check);
  assert.deepEqual(await checks(), []);
  clock += 29 * 60_000;
  assert.deepEqual(await checks(), [], 'within three intervals');
  clock += 2 * 60_000;
  const late = await store.status();
  assert.deepEqual(late.problems.map((p) => [p.check, p.status]), [['compaction_overdue', 'warning']]);
  assert.match(late.problems[0]!.message, /^no compaction completed for 1860s \(storage.compaction_interval 10m\)$/);
  assert.equal(late.status, 'warning');

  runs.inc();
  clock += 1000;
  const after = await store.status();
  assert.deepEqual(after.problems, []);
  assert.deepEqual(after.figures.compaction, { interval: '10m', runs_since_start: 1, last_completed_at: new Date(clock).toISOString() });
});
