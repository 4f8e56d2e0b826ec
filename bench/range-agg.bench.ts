/**
 * Range aggregation benchmark on the benchmark corpus (issue #3 §4): loads the corpus into a store
 * (kept in bench/out/range-agg-store between runs) with labels {job="docker", container=...}, then
 * times `count_over_time({job="docker"}[5m])` and friends over the corpus' 24 hours at Loki's default
 * step for that range and at 60 s. The outer `sum by (container)` is applied here by pushing the
 * grouping into the range aggregation, as the evaluator can (the sum is cheap beside the scan).
 * Usage: [LINES=2000000] [RUNS=3] [WORKERS=2] npx tsx bench/range-agg.bench.ts (WORKERS=0: calling thread only)
 */
import { existsSync, mkdirSync, openSync, readFileSync, readSync, closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StreamPush } from '../src/api/model.js';
import { makeSteps } from '../src/logql/eval/types.js';
import type { RangeAggregationExpr } from '../src/logql/syntax/ast.js';
import { parseExpr } from '../src/logql/syntax/index.js';
import { emptyRangeStats, evaluateRangeAggregation, type RangeAggregationStats } from '../src/query/engine/range-agg.js';
import { createQueryPool } from '../src/query/engine/query-pool.js';
import { createStore } from '../src/store/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const LINES = Number(process.env.LINES || 2_000_000);
const RUNS = Number(process.env.RUNS || 3);
const WORKERS = Number(process.env.WORKERS ?? 0);
const corpus = join(here, 'out', LINES === 2_000_000 ? 'corpus.tsv' : `corpus-${LINES}.tsv`);
const storeDir = join(here, 'out', `range-agg-store-${LINES}`);
const TENANT = 'bench';

function* batches(file: string): Generator<StreamPush[]> {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(8 << 20);
  let len = 0;
  let cur = new Map<string, StreamPush>();
  let n = 0;
  try {
    for (;;) {
      const got = readSync(fd, buf, len, buf.length - len, null);
      if (got === 0) break;
      len += got;
      let p = 0;
      for (;;) {
        const nl = buf.indexOf(10, p);
        if (nl < 0 || nl >= len) break;
        const row = buf.toString('utf8', p, nl);
        p = nl + 1;
        const t1 = row.indexOf('\t');
        const t2 = row.indexOf('\t', t1 + 1);
        const container = row.slice(t1 + 1, t2);
        let s = cur.get(container);
        if (!s) cur.set(container, (s = { labels: { job: 'docker', container }, entries: [] }));
        s.entries.push({ ts: BigInt(row.slice(0, t1)) * 1_000_000n, line: row.slice(t2 + 1) });
        if (++n % 1000 === 0) {
          yield [...cur.values()];
          cur = new Map();
        }
      }
      buf.copy(buf, 0, p, len);
      len -= p;
    }
    if (cur.size) yield [...cur.values()];
  } finally {
    closeSync(fd);
  }
}

async function main() {
  if (!existsSync(corpus)) throw new Error(`corpus missing: ${corpus} (generate it with bench/corpus.mjs)`);
  const meta = JSON.parse(readFileSync(corpus + '.meta.json', 'utf8')) as { tsFirst: number; tsLast: number };
  const fresh = !existsSync(storeDir);
  mkdirSync(storeDir, { recursive: true });
  const store = createStore({ dir: storeDir, compactionIntervalMs: 0 });
  await store.start();
  if (fresh) {
    const t = performance.now();
    for (const b of batches(corpus)) await store.append(TENANT, b);
    await store.flush();
    console.log(`loaded ${LINES} lines in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  }
  const start = BigInt(meta.tsFirst) * 1_000_000n;
  const end = BigInt(meta.tsLast) * 1_000_000n;
  const S = 1_000_000_000n;
  // Loki's default step: range / 250, at least 1 s.
  const defaultStep = ((end - start) / 250n / S) * S;
  const queries: Array<[string, string[] | undefined]> = [
    ['count_over_time({job="docker"}[5m])', ['container']],
    ['count_over_time({job="docker"} |~ "(?i)error" [5m])', ['container']],
    ['count_over_time({job="docker"} | json | drop __error__, __error_details__ [5m])', ['level']],
    ['bytes_over_time({job="docker"}[5m])', undefined],
  ];
  const pool = WORKERS > 0 ? createQueryPool(WORKERS) : undefined;
  console.log(`node ${process.version}; ${LINES} lines; 24 h; steps ${defaultStep / S} s and 60 s; ${WORKERS} workers`);
  for (const [q, by] of queries) {
    const expr = parseExpr(q) as RangeAggregationExpr;
    if (by) expr.grouping = { without: false, labels: by };
    for (const step of [defaultStep, 60n * S]) {
      const steps = makeSteps(start, end, step);
      const times: number[] = [];
      const stats: RangeAggregationStats = emptyRangeStats();
      let series = 0;
      for (let i = 0; i < RUNS; i++) {
        const t = performance.now();
        const out = await evaluateRangeAggregation(store, TENANT, expr, steps, pool ? { pool } : {}, stats);
        times.push(performance.now() - t);
        series = out.length;
      }
      times.sort((a, b) => a - b);
      console.log(
        `${by ? `sum by (${by.join(',')}) ` : ''}${q} step ${step / S}s: best ${times[0]!.toFixed(0)} ms, median ${times[times.length >> 1]!.toFixed(0)} ms; ` +
          `${stats.blocks} blocks, ${stats.lines} lines, ${series} series`,
      );
    }
  }
  await pool?.close();
  await store.close();
}

await main();
