/**
 * A query worker's scan job answers at most `limit` entries (issue #12: bounded result building),
 * and exactly the ones the calling thread would have kept from everything: the newest (backward)
 * or oldest (forward), equal timestamps in the same order.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Entry } from '../../../src/api/model.js';
import type { BlockRef } from '../../../src/store/store.js';
import { runScanJob } from '../../../src/query/engine/scan-job.js';
import { columnsFromEntries } from '../../../src/store/head-columns.js';
import { parseExpr } from '../../../src/logql/syntax/index.js';
import type { LogExpr } from '../../../src/logql/syntax/ast.js';
import { seededRandom } from '../../helpers/random.js';

const T0 = 1_714_521_600_000_000_000n;

test('a scan job keeps the best `limit` entries of its blocks, as the calling thread would', (t) => {
  const rnd = seededRandom(t);
  // Blocks of one stream each, times drawn from a small range so that many are equal.
  const refs: BlockRef[] = Array.from({ length: 12 }, (_, b) => {
    const entries: Entry[] = Array.from({ length: 40 }, (_, i) => ({ ts: T0 + BigInt(rnd.int(60)), line: `b${b} i${i} ${rnd.int(3) === 0 ? 'error' : 'ok'}` })).sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : 0));
    return { streamId: b % 3, minTs: entries[0]!.ts, maxTs: entries.at(-1)!.ts, entries: entries.length, rawBytes: 0, location: { kind: 'head', columns: columnsFromEntries(entries) } };
  });
  const stages = (parseExpr('{job="x"} |= "error"') as LogExpr).pipeline;
  const streams = { 0: { job: 'x', s: '0' }, 1: { job: 'x', s: '1' }, 2: { job: 'x', s: '2' } };
  for (const direction of ['backward', 'forward'] as const) {
    for (const limit of [1, 7, 25, 1000]) {
      const got = runScanJob({ refs, streams, stages, from: T0, to: T0 + 60n, limit, direction });
      // Everything a scan without the bound returns, stably sorted for the direction and cut.
      const all = runScanJob({ refs, streams, stages, from: T0, to: T0 + 60n, limit: 0, direction }).entries;
      const perBlock = refs.flatMap((r) => {
        const mine = all.filter((e) => e.line.startsWith(`b${refs.indexOf(r)} `));
        return mine.slice(0, limit);
      });
      const order = (a: { ts: bigint }, b: { ts: bigint }) => (direction === 'backward' ? cmp(b.ts, a.ts) : cmp(a.ts, b.ts));
      const want = [...perBlock].sort(order).slice(0, limit);
      assert.ok(got.entries.length <= limit, `${direction} ${limit}: ${got.entries.length} entries`);
      // The calling thread sorts what the workers answer (stably) and cuts: ./log-query.ts.
      assert.deepEqual(
        [...got.entries].sort(order).map((e) => e.line),
        want.map((e) => e.line),
        `${direction} limit ${limit}`,
      );
    }
  }
});

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
