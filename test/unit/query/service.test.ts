/**
 * The typed query service (src/query/service.ts): what the routes encode and the ruler will call.
 * Results come back as values (entries, vector/matrix/scalar data) with stats, not as JSON text.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Entry } from '../../../src/api/model.js';
import { isLogwharfError } from '../../../src/api/errors.js';
import { createStore, type EmbeddedStore } from '../../../src/store/index.js';
import { createLocalScanner } from '../../../src/query/engine/block-scanner.js';
import { createQueryService, type QueryService } from '../../../src/query/service.js';

const T0 = 1_714_521_600_000_000_000n; // 2024-05-01T00:00:00Z
const S = 1_000_000_000n;
const TENANT = 'fake';

let dir: string;
let store: EmbeddedStore;
let service: QueryService;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'query-service-'));
  store = createStore({ dir, compactionIntervalMs: 0, retention: { periodMs: 0 }, now: () => Number(T0 / 1_000_000n) + 3600_000 });
  await store.start();
  const entries = (level: string, n: number): Entry[] => Array.from({ length: n }, (_, i) => ({ ts: T0 + BigInt(i) * S, line: `level=${level} n=${i}` }));
  await store.append(TENANT, [
    { labels: { job: 'api', level: 'info' }, entries: entries('info', 60) },
    { labels: { job: 'api', level: 'error' }, entries: entries('error', 6) },
  ]);
  service = createQueryService({
    store,
    scanner: createLocalScanner(store),
    limits: { max_entries_limit_per_query: 100, max_query_series: 10 },
    timeoutMs: 10_000,
  });
});

after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const range = { tenant: TENANT, start: T0, end: T0 + 60n * S, step: 30n * S, limit: 100, direction: 'backward' as const };

test('a log range query returns its entries, newest first, with stats', async () => {
  const r = await service.range({ ...range, query: '{job="api"} |= "level=error"' });
  assert.equal(r.kind, 'log');
  if (r.kind !== 'log') return;
  assert.deepEqual(
    r.result.entries.map((e) => e.line),
    ['level=error n=5', 'level=error n=4', 'level=error n=3', 'level=error n=2', 'level=error n=1', 'level=error n=0'],
  );
  // The line filter's token skips the info stream's blocks: only what was read is counted.
  assert.ok(r.stats.summary.totalLinesProcessed >= 6);
  assert.equal(r.stats.summary.totalEntriesReturned, 6);
  assert.deepEqual(r.warnings, []);
});

test('an instant metric query returns a typed vector the ruler can read', async () => {
  const r = await service.instant({ tenant: TENANT, query: 'sum by (level) (count_over_time({job="api"}[1m]))', time: T0 + 59n * S });
  assert.equal(r.kind, 'metric');
  assert.equal(r.data.resultType, 'vector');
  if (r.data.resultType !== 'vector') return;
  const byLevel = Object.fromEntries(r.data.result.map((s) => [s.metric.level, s.value]));
  assert.deepEqual(byLevel, { info: 60, error: 6 });
  assert.equal(r.data.result[0]!.tsMs, Number((T0 + 59n * S) / 1_000_000n));
  assert.equal(r.stats.summary.totalLinesProcessed, 66);
});

test('a metric range query returns a matrix; scalars stay scalars', async () => {
  const r = await service.range({ ...range, query: 'count_over_time({job="api", level="error"}[1m])' });
  assert.equal(r.kind, 'metric');
  if (r.kind !== 'metric' || r.data.resultType !== 'matrix') return assert.fail('matrix expected');
  // Windows (t-1m, t] at T0, T0+30s, T0+60s: the entry at T0 leaves the last one.
  assert.deepEqual(r.data.result[0]!.values.map(([, v]) => v), [1, 6, 5]);
  const s = await service.instant({ tenant: TENANT, query: '1 + 2', time: T0 });
  assert.deepEqual(s.data, { resultType: 'scalar', result: { tsMs: Number(T0 / 1_000_000n), value: 3 } });
});

test('errors are typed: log selector as instant query, limit, parse errors', async () => {
  await assert.rejects(service.instant({ tenant: TENANT, query: '{job="api"}', time: T0 }), (e) => isLogwharfError(e) && e.code === 'bad_request');
  await assert.rejects(service.range({ ...range, query: '{job="api"}', limit: 101 }), (e) => isLogwharfError(e) && e.code === 'query_limit');
  await assert.rejects(service.range({ ...range, query: '{job="api"} |~ "(a)\\\\1"' }), (e) => isLogwharfError(e) && e.code === 'parse_error');
});
