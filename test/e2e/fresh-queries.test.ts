/**
 * Fresh data answers as sealed and cold data do (issue #12): the real server, data pushed over
 * HTTP and queried while it is in the in-memory heads (count-like queries then count from the
 * heads' columns, log queries decode the heads' lines in the query workers), again after a restart
 * sealed it into hot blocks, and again after an offline compaction moved it to the cold tier. Every
 * answer must be the same in all three. Seeded data: out-of-order entries within the window,
 * exact duplicates, entries exactly on step and window boundaries and one ns either side, empty
 * lines, lines with newlines and non-ASCII characters, structured metadata.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir, tempDir, type RunningServer } from './helpers/server.js';
import { createStore } from '../../src/store/index.js';
import { seededRandom } from '../helpers/random.js';

const STEP_S = 60;
// Whole steps, 40 minutes back: inside the out-of-order window and Loki's age limits.
const T0 = (Math.floor(Date.now() / 1000 / STEP_S) - 40) * STEP_S;
const ns = (s: number, extra = 0n) => BigInt(T0 + s) * 1_000_000_000n + extra;
const dir = tempDir('fresh-queries-');
let srv: RunningServer | undefined;

const METRIC_QUERIES = [
  'sum by (pod) (count_over_time({job="fresh"}[1m]))',
  'count_over_time({job="fresh"}[5m])',
  'sum by (trace_id) (rate({job="fresh"}[2m]))',
  'bytes_over_time({job="fresh", pod="a"}[1m])',
  'sum(bytes_rate({job="fresh"}[3m] offset 1m))',
  'sum by (pod) (count_over_time({job="fresh"} |= "é" [1m]))',
  'sum by (detected_level) (count_over_time({job="fresh"} | logfmt | __error__="" [5m]))',
];
// Limits below the data too: a head then decodes only the lines the limit can reach.
const LOG_QUERIES: Array<[string, 'forward' | 'backward', number]> = [
  ['{job="fresh"}', 'forward', 5000],
  ['{job="fresh"}', 'backward', 5000],
  ['{job="fresh"}', 'forward', 7],
  ['{job="fresh", pod="b"}', 'backward', 13],
  ['{job="fresh"} |= "日本"', 'backward', 5000],
  ['{job="fresh"} |= "n="', 'backward', 10],
];

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

before(async () => {
  const rnd = seededRandom({ diagnostic: (m) => console.log(`# ${m}`) });
  const texts = ['', 'level=info msg="plain"', 'level=error héllo wörld', 'two\nlines', 'level=warn 日本語 🚀', 'x'.repeat(300)];
  const streams = new Map<string, Array<[string, string] | [string, string, Record<string, string>]>>();
  for (let i = 0; i < 1500; i++) {
    const pod = ['a', 'b', 'c'][rnd.int(3)]!;
    // A third on whole steps (window boundaries), some one ns either side, the rest anywhere.
    const k = rnd.int(6);
    const s = rnd.int(30 * 60);
    const t = k < 2 ? ns(Math.floor(s / STEP_S) * STEP_S) : k === 2 ? ns(Math.floor(s / STEP_S) * STEP_S, 1n) : k === 3 ? ns(Math.floor(s / STEP_S) * STEP_S) - 1n : ns(s, BigInt(rnd.int(1e9)));
    const line = rnd.int(4) === 0 ? texts[rnd.int(texts.length)]! : `${texts[rnd.int(texts.length)]} n=${i}`;
    const list = streams.get(pod) ?? [];
    const meta = rnd.int(3);
    list.push(meta === 0 ? [String(t), line] : [String(t), line, { trace_id: `t${meta}` }]);
    if (rnd.int(10) === 0) list.push([...list[list.length - 1]!] as [string, string]); // an exact duplicate, dropped
    streams.set(pod, list);
  }
  srv = await startServer({ data: dir, limits: { ingestion_rate_mb: 1000, ingestion_burst_size_mb: 1000 } });
  // Pushed in batches whose order is shuffled: most streams go out of order.
  for (const [pod, values] of streams) {
    for (let from = 0; from < values.length; from += 100) {
      const res = await fetch(srv.url + '/loki/api/v1/push', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ streams: [{ stream: { job: 'fresh', pod }, values: values.slice(from, from + 100) }] }),
      });
      assert.equal(res.status, 204, await res.text());
    }
  }
});
after(async () => {
  await srv?.close();
  removeDir(dir);
});

async function get(path: string, params: Record<string, string>): Promise<any> {
  const u = new URL(srv!.url + path);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const res = await fetch(u);
  const text = await res.text();
  assert.equal(res.status, 200, `${u.search}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** Every query's result (not its stats, which tell where the data was read). */
async function answers(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const start = String(ns(-STEP_S));
  const end = String(ns(35 * 60));
  for (const q of METRIC_QUERIES) {
    const r = await get('/loki/api/v1/query_range', { query: q, start, end, step: String(STEP_S) });
    const result = (r.data.result as Array<{ metric: Record<string, string> }>).sort((a, b) => JSON.stringify(a.metric).localeCompare(JSON.stringify(b.metric)));
    out[q] = result;
  }
  for (const [q, direction, limit] of LOG_QUERIES) {
    // The middle of the data as well as all of it: the heads' lines found by time.
    for (const [from, to] of [[start, end], [String(ns(7 * 60, 1n)), String(ns(19 * 60))]] as const) {
      const r = await get('/loki/api/v1/query_range', { query: q, start: from, end: to, limit: String(limit), direction });
      const result = (r.data.result as Array<{ stream: Record<string, string> }>).sort((a, b) => JSON.stringify(a.stream).localeCompare(JSON.stringify(b.stream)));
      out[`${q} ${direction} ${limit} ${from}-${to}`] = result;
    }
  }
  return out;
}

async function gauges(): Promise<{ headBytes: number; sealed: number }> {
  const text = await (await fetch(srv!.url + '/metrics')).text();
  return { headBytes: metric(text, 'logwharf_store_head_bytes'), sealed: metric(text, 'logwharf_store_blocks_sealed_total') };
}

test('count and log queries answer the same from heads, hot blocks and the cold tier', async () => {
  const g = await gauges();
  assert.ok(g.headBytes > 0 && g.sealed === 0, `all data in heads (${JSON.stringify(g)})`);
  const fresh = await answers();
  // Not trivially equal: the metric queries found series with values, the log queries lines.
  for (const q of METRIC_QUERIES) assert.ok((fresh[q] as unknown[]).length > 0, `${q} has series`);
  const all = fresh[`{job="fresh"} forward 5000 ${ns(-STEP_S)}-${ns(35 * 60)}`] as Array<{ values: unknown[] }>;
  const lines = all.reduce((n, s) => n + s.values.length, 0);
  assert.ok(lines > 1000, `${lines} lines`);

  // A restart seals every head into hot blocks.
  await srv!.close();
  srv = await startServer({ data: dir });
  assert.equal((await gauges()).headBytes, 0, 'no head after the restart');
  const sealed = await answers();
  for (const k of Object.keys(fresh)) assert.deepEqual(sealed[k], fresh[k], `sealed: ${k}`);

  // The background compaction, once, offline (the data is all older than cold_after 0).
  await srv!.close();
  srv = undefined;
  const store = createStore({ dir, coldAfterMs: 0, compactionIntervalMs: 0, retention: { periodMs: 0 } });
  await store.start();
  const r = await store.compact({ unlinkGraceMs: 0 });
  await store.close();
  assert.ok(r.coldNewBlocks > 0, 'cold blocks written');
  srv = await startServer({ data: dir });
  const cold = await answers();
  for (const k of Object.keys(fresh)) assert.deepEqual(cold[k], fresh[k], `cold: ${k}`);
});
