/** queryPatterns over a real store: exact counts below the line bound, estimated counts above it. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createStore, type EmbeddedStore } from '../../../src/store/index.js';
import { createLocalScanner } from '../../../src/query/engine/block-scanner.js';
import { parseLogExpr } from '../../../src/logql/syntax/index.js';
import { queryPatterns } from '../../../src/query/drilldown/patterns.js';

const S = 1_000_000_000n;
let dir: string;
let store: EmbeddedStore;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'patterns-'));
  store = createStore({ dir, compactionIntervalMs: 0 });
  await store.start();
  // 600 s, one line per second: "GET /item/<i> 200" on even seconds, "worker <i> idle" on odd ones.
  const entries = Array.from({ length: 600 }, (_, i) => ({ ts: BigInt(i) * S, line: i % 2 === 0 ? `GET /item/${i} 200` : `worker w${i} idle` }));
  await store.append('t', [{ labels: { job: 'p' }, entries }]);
});
after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

test('every line counted when the range holds fewer lines than the bound', async () => {
  const res = await queryPatterns(store, createLocalScanner(store), { tenant: 't', expr: parseLogExpr('{job="p"}'), start: 0n, end: 599n * S, step: 60n * S });
  assert.equal(res.status, 'success');
  const byPattern = Object.fromEntries(res.data.map((p) => [p.pattern, p.samples]));
  // 60 s buckets: 30 even and 30 odd seconds in each of the 10 buckets.
  const expected = Array.from({ length: 10 }, (_, k) => [k * 60, 30]);
  assert.deepEqual(byPattern['GET <_> 200'], expected);
  assert.deepEqual(byPattern['worker <_> idle'], expected);
});

test('above the bound every bucket is still sampled and estimated near its true count', async () => {
  // 100 lines for 10 slices of one bucket each: 10 read per bucket of 60 lines, weighted ×~6.
  const res = await queryPatterns(store, createLocalScanner(store), { tenant: 't', expr: parseLogExpr('{job="p"}'), start: 0n, end: 599n * S, step: 60n * S, maxLines: 100 });
  for (const p of res.data) {
    assert.equal(p.samples.length, 10, p.pattern);
    for (const [, n] of p.samples) assert.ok(n >= 24 && n <= 36, `${p.pattern}: ${n}`);
  }
});
