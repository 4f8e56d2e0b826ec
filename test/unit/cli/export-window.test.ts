/**
 * The paging of `logwharf export` (src/cli/export-window.ts) against a model of query_range with
 * direction=forward: the `limit` oldest entries at or after `start`, ties at one timestamp in a
 * random order on every request (a sharded or replicated Loki gives no order among them), and
 * optionally `end` counted in. The e2e tests cover the real server; this model covers the server
 * behaviours the real one here does not show (its tie order is stable, its `end` exclusive).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readWindow, ExportGapError, type PageFetch } from '../../../src/cli/export-window.js';
import { LokiClientError } from '../../../src/api/client.js';
import type { ExportRecord } from '../../../src/api/export-record.js';
import { seededRandom, type SeededRandom } from '../../helpers/random.js';

function model(entries: ExportRecord[], rnd: SeededRandom, o: { endInclusive?: boolean; max?: number } = {}): PageFetch & { calls: number } {
  const f = (async (start: bigint, end: bigint, limit: number) => {
    f.calls++;
    if (o.max !== undefined && limit > o.max) {
      throw new LokiClientError(`GET /loki/api/v1/query_range: 400 Bad Request: max entries limit per query exceeded, limit > max_entries_limit_per_query (${limit} > ${o.max})`, 400);
    }
    const inRange = entries.filter((e) => e.ts >= start && (o.endInclusive ? e.ts <= end : e.ts < end));
    // Random order among equal timestamps: shuffle, then a stable sort by time.
    for (let i = inRange.length - 1; i > 0; i--) {
      const j = rnd.int(i + 1);
      [inRange[i], inRange[j]] = [inRange[j]!, inRange[i]!];
    }
    inRange.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
    return inRange.slice(0, limit);
  }) as PageFetch & { calls: number };
  f.calls = 0;
  return f;
}

function corpus(rnd: SeededRandom, n: number, slots: number): ExportRecord[] {
  return Array.from({ length: n }, (_, i) => ({ ts: 1000n + BigInt(rnd.int(slots)), labels: { s: String(rnd.int(4)) }, metadata: {}, line: `e${i}` }));
}

async function readAll(fetch: PageFetch, start: bigint, end: bigint, page: number): Promise<string[]> {
  const out: string[] = [];
  for await (const p of readWindow(fetch, start, end, { page })) for (const r of p) out.push(r.line);
  return out;
}

const lines = (rs: ExportRecord[]) => rs.map((r) => r.line).sort();

test('every entry exactly once, for many corpora with heavy ties, random tie order and either end semantics', async (t) => {
  const rnd = seededRandom(t);
  for (let round = 0; round < 200; round++) {
    const n = 1 + rnd.int(400);
    const all = corpus(rnd, n, 1 + rnd.int(60));
    const page = 1 + rnd.int(25);
    const endInclusive = rnd.next() < 0.5;
    // A window inside the corpus' time range, so entries at both edges are left out.
    const start = 1000n + BigInt(rnd.int(10));
    const end = start + BigInt(1 + rnd.int(60));
    const want = lines(all.filter((e) => e.ts >= start && e.ts < end));
    const got = (await readAll(model(all, rnd, { endInclusive }), start, end, page)).sort();
    assert.deepEqual(got, want, `round ${round}: n=${n} page=${page} endInclusive=${endInclusive} [${start}, ${end})`);
  }
});

test('a timestamp holding more entries than a page is read whole with a larger limit', async (t) => {
  const rnd = seededRandom(t);
  const all: ExportRecord[] = [...corpus(rnd, 50, 20), ...Array.from({ length: 95 }, (_, i) => ({ ts: 1010n, labels: { s: 'x' }, metadata: {}, line: `same${i}` }))];
  const got = await readAll(model(all, rnd), 0n, 5000n, 10);
  assert.deepEqual(got.sort(), lines(all));
});

test('a page size above the server\'s largest limit is lowered to it; a group beyond it is an error naming the timestamp', async (t) => {
  const rnd = seededRandom(t);
  const all = corpus(rnd, 300, 100);
  const fetch = model(all, rnd, { max: 40 });
  assert.deepEqual((await readAll(fetch, 0n, 5000n, 1000)).sort(), lines(all));

  const crowded: ExportRecord[] = Array.from({ length: 41 }, (_, i) => ({ ts: 7n, labels: { s: 'x' }, metadata: {}, line: `c${i}` }));
  await assert.rejects(readAll(model(crowded, rnd, { max: 40 }), 0n, 100n, 10), (e: unknown) => {
    assert.ok(e instanceof ExportGapError);
    assert.match(e.message, /at least 40 entries share the timestamp 1970-01-01T00:00:00\.000000007Z \(7 ns\) and the server returns at most 40 entries per query/);
    return true;
  });
  // Exactly as many as the server's largest limit: the answer is full, and one more cannot be asked for.
  const forty = crowded.slice(0, 40);
  await assert.rejects(readAll(model(forty, rnd, { max: 40 }), 0n, 100n, 10), ExportGapError);
  assert.deepEqual((await readAll(model(forty.slice(0, 39), rnd, { max: 40 }), 0n, 100n, 10)).sort(), lines(forty.slice(0, 39)));
});
