/**
 * Interleaved A/B of the range aggregation job (src/query/engine/range-agg-job.ts: read blocks,
 * decode, pipeline, windows, as one query worker runs it) of another checkout (BEFORE) against
 * this one, in one process on one core, over the store bench/range-agg.bench.ts builds (run it
 * once first), so the load of a shared machine hits both alike. Used for issue #12's parsing
 * queries:
 *
 *   git worktree add --detach /tmp/before <commit> && cp -r node_modules /tmp/before/
 *   BEFORE=/tmp/before node --import tsx bench/range-agg-ab.bench.ts            # the json query
 *   BEFORE=/tmp/before QUERY=logfmt RUNS=7 node --import tsx bench/range-agg-ab.bench.ts
 *
 * Prints each run's CPU milliseconds for A (BEFORE) and B (this checkout), their medians, the lines
 * and series each answered (they must agree), and the calibration before and after.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { calibrate, median, OUT, REPO } from './harness.js';

const BEFORE = process.env.BEFORE;
if (!BEFORE) throw new Error('set BEFORE to the root of the checkout to compare against');
const RUNS = Number(process.env.RUNS ?? 5);
const QUERIES: Record<string, [string, string[]]> = {
  json: ['count_over_time({job="docker"} | json | drop __error__, __error_details__ [5m])', ['level']],
  logfmt: ['count_over_time({job="docker"} | logfmt | __error__="" | level="error" [1h])', []],
};
const chosen = QUERIES[process.env.QUERY ?? 'json'];
if (!chosen) throw new Error('QUERY is json or logfmt');
const [query, by] = chosen;

type Job = { runRangeAggJob(job: unknown): { lines: number; series: unknown[] } };
const { createStore } = await import(join(REPO, 'src/store/index.ts'));
const { parseExpr } = await import(join(REPO, 'src/logql/syntax/index.ts'));
const sides: Array<[string, Job]> = [
  ['A', (await import(join(BEFORE, 'src/query/engine/range-agg-job.ts'))) as Job],
  ['B', (await import(join(REPO, 'src/query/engine/range-agg-job.ts'))) as Job],
];
const meta = JSON.parse(readFileSync(join(OUT, 'corpus.tsv.meta.json'), 'utf8')) as { tsFirst: number; tsLast: number };
const store = createStore({ dir: join(OUT, 'range-agg-store-2000000'), compactionIntervalMs: 0 });
await store.start();
const NS = 1_000_000n;
const start = BigInt(meta.tsFirst) * NS;
const end = BigInt(meta.tsLast) * NS;
const expr = parseExpr(query);
expr.grouping = { without: false, labels: by };
const range = BigInt(expr.range.range);
const base = start - range;
const streams = store.streams('bench', expr.range.log.matchers, base + 1n, end + 1n);
const labels: Record<number, unknown> = {};
for (const s of streams) labels[s.id] = s.labels;
const refs = store.blocks('bench', streams.map((s: { id: number }) => s.id), base + 1n, end + 1n, { required: [] });
const step = 300_000_000_000n;
const job = { refs, streams: labels, expr, base, last: end, parserHints: true, lines: { op: 'count_over_time', unwrap: false, range: Number(range), step: Number(step), count: Number((end - start) / step) + 1 } };
if (refs.length === 0) throw new Error('empty store: run bench/range-agg.bench.ts first');
console.log(`${query} by (${by.join(',')}): ${refs.length} blocks; ${calibrate().text}`);
const cpu: Record<string, number[]> = { A: [], B: [] };
for (let i = 0; i < RUNS; i++) {
  for (const [name, m] of sides) {
    const c0 = process.cpuUsage();
    const r = m.runRangeAggJob(job);
    const c = process.cpuUsage(c0);
    cpu[name]!.push(Math.round((c.user + c.system) / 1000));
    if (i === 0) console.log(`${name}: ${r.lines} lines, ${r.series.length} series`);
  }
}
for (const [name] of sides) console.log(`${name}: ${cpu[name]!.join(' ')} ms CPU, median ${median(cpu[name]!)}`);
console.log(calibrate().text);
await store.close();
