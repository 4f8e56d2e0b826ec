/**
 * The stats path of range aggregations (statsPathApplies in src/query/engine/range-agg.ts): count
 * and bytes operations without a pipeline read blocks' timestamps and line sizes only. It must give
 * exactly the series of the entry path on a real store holding every kind of block (cold, hot
 * sealed, heads; with and without structured metadata, which joins the series labels), on the
 * calling thread and through the worker pool, and must not decompress lines.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Entry, Labels, StreamPush } from '../../../src/api/model.js';
import { makeSteps, type StepSeries } from '../../../src/logql/eval/types.js';
import { parseExpr } from '../../../src/logql/syntax/index.js';
import type { RangeAggregationExpr } from '../../../src/logql/syntax/ast.js';
import { createStore, type EmbeddedStore, type Store } from '../../../src/store/index.js';
import { codecCounters } from '../../../src/store/block-codec.js';
import { createRangeAggregator, statsPathApplies, type RangeAggregatorOptions } from '../../../src/query/engine/range-agg.js';
import { createQueryPool, type QueryPool } from '../../../src/query/engine/query-pool.js';

const T0 = 1_714_521_600_000_000_000n; // 2024-05-01T00:00:00Z in ns
const S = 1_000_000_000n;
const TENANT = 'fake';
const at = (sec: number) => T0 + BigInt(sec) * S;

function rangeExpr(q: string): RangeAggregationExpr {
  const e = parseExpr(q);
  assert.equal(e.kind, 'range_agg', q);
  return e as RangeAggregationExpr;
}

function lines(pod: string, from: number, n: number, meta: boolean): StreamPush {
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const e: Entry = { ts: at(from + i) + BigInt(i % 7), line: `${i % 5 === 0 ? 'héllo 日本' : 'level=info'} pod=${pod} n=${i}` };
    if (meta && i % 4 === 0) e.metadata = { trace_id: `t${i % 3}` };
    entries.push(e);
  }
  return { labels: { job: 'm', pod }, entries };
}

let dir: string;
let store: EmbeddedStore;
let pool: QueryPool;
/** The same store without readBlockStats: every block decoded whole (the entry path). */
let slow: Store;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'range-agg-stats-'));
  // Wall clock far after the data, so compaction makes the first blocks cold.
  store = createStore({ dir, compactionIntervalMs: 0, blockTargetBytes: 512, coldAfterMs: 3600_000, coldBlockBytes: 2048, retention: { periodMs: 0 }, now: () => Number(T0 / 1_000_000n) + 86400_000 });
  await store.start();
  pool = createQueryPool(2);
  // Cold: the first 200 s of pods a (no metadata) and b (metadata).
  await store.append(TENANT, [lines('a', 0, 200, false), lines('b', 0, 200, true)]);
  await store.flush();
  const r = await store.compact({ unlinkGraceMs: 0 });
  assert.ok(r.coldNewBlocks > 0, 'cold blocks written');
  // Hot sealed blocks: another 200 s (compaction runs no more), then heads.
  await store.append(TENANT, [lines('a', 200, 200, false), lines('b', 200, 200, true), lines('c', 250, 100, false)]);
  await store.flush();
  await store.append(TENANT, [lines('a', 400, 30, false), lines('b', 400, 30, true), lines('c', 400, 30, false)]);
  slow = Object.create(store, { readBlockStats: { value: undefined } }) as Store;
});

after(async () => {
  await pool.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

async function run(q: string | RangeAggregationExpr, s: Store, opts: RangeAggregatorOptions = {}): Promise<StepSeries[]> {
  const agg = createRangeAggregator(s, TENANT, opts);
  const out = await agg(typeof q === 'string' ? rangeExpr(q) : q, makeSteps(at(5), at(440), 13n * S));
  return out.sort((x, y) => JSON.stringify(x.labels).localeCompare(JSON.stringify(y.labels)));
}

const plain = (r: StepSeries[]) => r.map((s) => ({ labels: s.labels, values: [...s.values] }));

describe('range aggregations: the stats path', () => {
  const queries = [
    'count_over_time({job="m"}[30s])',
    'rate({job="m"}[45s])',
    'bytes_over_time({job="m"}[20s])',
    'bytes_rate({job="m", pod=~"a|c"}[1m])',
    'absent_over_time({job="m", pod="c"}[10s])',
    'count_over_time({job="m"}[30s] offset 17s)',
  ];

  it('applies to count and bytes operations without pipeline or unwrap only', () => {
    for (const q of queries) assert.ok(statsPathApplies(rangeExpr(q)), q);
    for (const q of ['count_over_time({job="m"} |= "x" [1m])', 'sum_over_time({job="m"} | logfmt | unwrap n [1m])', 'rate({job="m"} | json [1m])']) assert.ok(!statsPathApplies(rangeExpr(q)), q);
  });

  it('gives exactly the series of the entry path, on this thread and through the pool', async () => {
    const blocks = store.blocks(TENANT, store.streams(TENANT, [{ name: 'job', op: '=', value: 'm' }], 0n, 2n ** 62n).map((s) => s.id), 0n, 2n ** 62n);
    assert.ok(blocks.some((b) => b.location.kind === 'head') && blocks.some((b) => b.location.kind === 'file'));
    for (const q of queries) {
      const want = plain(await run(q, slow));
      assert.ok(want.length > 0, q);
      assert.deepEqual(plain(await run(q, store)), want, q);
      assert.deepEqual(plain(await run(q, store, { pool })), want, `${q} (pool)`);
      const e = rangeExpr(q);
      e.grouping = { without: false, labels: ['pod'] };
      const wantGrouped = plain(await run(e, slow));
      assert.deepEqual(plain(await run(e, store)), wantGrouped, `${q} by (pod)`);
      assert.deepEqual(plain(await run(e, store, { pool })), wantGrouped, `${q} by (pod) (pool)`);
    }
    // Metadata is part of the series labels.
    const b = plain(await run('count_over_time({job="m", pod="b"}[30s])', store));
    assert.ok(b.some((s) => (s.labels as Labels).trace_id === 't0'));
  });

  it('does not decompress lines, with or without structured metadata', async () => {
    const before = codecCounters.bodies;
    const r = await run('bytes_over_time({job="m"}[30s])', store);
    assert.ok(r.length > 3 && r.some((s) => (s.labels as Labels).trace_id !== undefined));
    assert.equal(codecCounters.bodies, before, 'no block body decoded');
    await run('count_over_time({job="m"}[30s])', slow);
    assert.ok(codecCounters.bodies > before, 'the entry path decodes bodies');
  });
});
