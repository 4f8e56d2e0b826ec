/**
 * Counting fresh data from the head's columns (issue #12: src/store/head-columns.ts,
 * src/query/engine/head-stats.ts) gives exactly what the same data gives once sealed and once in
 * the cold tier, and what counting the entries by hand gives. Random (seeded) data: out-of-order
 * and duplicate timestamps, timestamps on window boundaries, exact duplicates, empty lines, lines
 * with newlines and non-ASCII characters, structured metadata (which joins the series labels).
 *
 *   FUZZ_SEED=123 node scripts/run-tests.mjs head-stats.fuzz
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import type { Entry, Labels } from '../../../src/api/model.js';
import { Head } from '../../../src/store/head.js';
import { columnsEntries } from '../../../src/store/head-columns.js';
import { entriesStats } from '../../../src/store/block-codec.js';
import { createStore, type EmbeddedStore } from '../../../src/store/index.js';
import { compilePipeline } from '../../../src/logql/pipeline/compile.js';
import { parseExpr } from '../../../src/logql/syntax/index.js';
import type { RangeAggregationExpr } from '../../../src/logql/syntax/ast.js';
import { makeSteps, type StepSeries } from '../../../src/logql/eval/types.js';
import { accumulateStats, SeriesSet, type StreamState } from '../../../src/query/engine/range-accumulate.js';
import { accumulateHeadStats } from '../../../src/query/engine/head-stats.js';
import { createSampleExtractor } from '../../../src/query/engine/sample-extractor.js';
import type { WindowParams } from '../../../src/query/engine/range-functions.js';
import { createRangeAggregator, emptyRangeStats } from '../../../src/query/engine/range-agg.js';
import { createQueryPool, type QueryPool } from '../../../src/query/engine/query-pool.js';
import { fuzzParams } from '../../helpers/fuzz.js';

const T0 = 1_714_521_600_000_000_000n; // 2024-05-01T00:00:00Z
const S = 1_000_000_000n;
const TENANT = 't';
// Shared objects, as ingest shares one per detected_level; and an empty set (no metadata).
const META: Array<Labels | undefined> = [undefined, undefined, { trace_id: 'a' }, { trace_id: 'b' }, { detected_level: 'info' }, {}];
const OPS = ['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate'] as const;
const GROUPINGS = [undefined, { without: false, labels: ['pod'] }, { without: false, labels: ['trace_id'] }, { without: true, labels: ['pod'] }];

interface Gen {
  /** Seconds (with a sub-second part in ns) after T0; many repeat, many fall on whole seconds. */
  at: number;
  ns: number;
  text: number;
  meta: number;
  pod: number;
  /** Pushed twice (an exact duplicate the store drops). */
  dup: boolean;
}

const LINES = ['', 'plain ascii', 'héllo wörld 日本語', 'two\nlines', '{"level":"info","msg":"x"}', '🚀 emoji'];

const genEntry = fc.record({
  at: fc.integer({ min: 0, max: 120 }),
  ns: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 999_999_999 })),
  text: fc.integer({ min: 0, max: LINES.length - 1 }),
  meta: fc.integer({ min: 0, max: META.length - 1 }),
  pod: fc.integer({ min: 0, max: 2 }),
  dup: fc.boolean(),
});

/** Windows over the data: relative step times (ns) from a base before, inside or after it. */
const genWindows = fc.record({
  op: fc.constantFrom(...OPS),
  grouping: fc.integer({ min: 0, max: GROUPINGS.length - 1 }),
  start: fc.integer({ min: -30, max: 100 }),
  stepS: fc.integer({ min: 1, max: 40 }),
  rangeS: fc.integer({ min: 1, max: 90 }),
  offsetS: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30 })),
  count: fc.integer({ min: 1, max: 20 }),
});

function toEntry(g: Gen, i: number): Entry {
  // Most lines are unique (a counter); text 0 (empty) and a few others collide on purpose.
  const line = g.text === 0 ? '' : g.text === 1 ? LINES[1]! : `${LINES[g.text]} #${i}`;
  const e: Entry = { ts: T0 + BigInt(g.at) * S + BigInt(g.ns), line };
  const m = META[g.meta];
  if (m) e.metadata = m;
  return e;
}

function rangeExpr(op: string, grouping: number, rangeS: number, offsetS: number): RangeAggregationExpr {
  const e = parseExpr(`${op}({job="m"}[${rangeS}s]${offsetS ? ` offset ${offsetS}s` : ''})`) as RangeAggregationExpr;
  const g = GROUPINGS[grouping];
  if (g) e.grouping = { without: g.without, labels: [...g.labels] };
  return e;
}

/** Series by their labels' text, values as plain arrays (NaN where a window holds nothing). */
function byLabels(series: Iterable<{ labels: Labels; values: Float64Array }>): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const s of series) out[JSON.stringify(Object.entries(s.labels).sort())] = [...s.values];
  return out;
}

/** The reference: each window's entries counted by hand (a hash of series → per-step count and bytes). */
function countByHand(entries: Array<Entry & { pod: string }>, e: RangeAggregationExpr, startNs: bigint, stepNs: bigint, count: number): Record<string, number[]> {
  const rangeNs = BigInt(Math.round(e.range.range));
  const offsetNs = BigInt(Math.round(e.range.offset));
  const seconds = e.range.range / 1e9;
  const acc = new Map<string, { labels: Labels; c: number[]; b: number[] }>();
  for (const x of entries) {
    let labels: Labels = { job: 'm', pod: x.pod, ...(x.metadata ?? {}) };
    const g = e.grouping;
    if (g && !g.without) labels = Object.fromEntries(g.labels.filter((l) => labels[l] !== undefined).map((l) => [l, labels[l]!]));
    else if (g) labels = Object.fromEntries(Object.entries(labels).filter(([k]) => !g.labels.includes(k)));
    const key = JSON.stringify(Object.entries(labels).sort());
    let a = acc.get(key);
    if (!a) acc.set(key, (a = { labels, c: new Array(count).fill(0), b: new Array(count).fill(0) }));
    for (let i = 0; i < count; i++) {
      const t = startNs + BigInt(i) * stepNs - offsetNs;
      if (x.ts > t - rangeNs && x.ts <= t) {
        a.c[i]! += 1;
        a.b[i]! += Buffer.byteLength(x.line, 'utf8');
      }
    }
  }
  const out: Record<string, number[]> = {};
  for (const [key, a] of acc) {
    const v = a.c.map((c, i) => {
      if (c === 0) return NaN;
      switch (e.op) {
        case 'count_over_time':
          return c;
        case 'rate':
          return c / seconds;
        case 'bytes_over_time':
          return a.b[i]!;
        default:
          return a.b[i]! / seconds;
      }
    });
    if (v.some((x) => !Number.isNaN(x))) out[key] = v;
  }
  return out;
}

describe('head columns: the stats of fresh data', () => {
  it('columns give the entries in time order (ties in append order), duplicates dropped', () => {
    fc.assert(
      fc.property(fc.array(genEntry, { maxLength: 80 }), (gens) => {
        const head = new Head();
        const kept: Entry[] = [];
        gens.forEach((g, i) => {
          const e = toEntry(g, i);
          const isDup = kept.some((k) => k.ts === e.ts && k.line === e.line);
          assert.equal(head.add(e, 1, 0), !isDup);
          if (!isDup) kept.push(e);
          if (g.dup) assert.equal(head.add({ ...e }, 1, 0), false);
        });
        const want = kept
          .map((e, i) => ({ e, i }))
          .sort((a, b) => (a.e.ts < b.e.ts ? -1 : a.e.ts > b.e.ts ? 1 : a.i - b.i))
          .map(({ e }) => (e.metadata && Object.keys(e.metadata).length > 0 ? e : { ts: e.ts, line: e.line }));
        assert.deepEqual(columnsEntries(head.columns()), want);
        assert.deepEqual(head.sortedEntries(), want);
      }),
      fuzzParams(),
    );
  });

  it('accumulateHeadStats makes the samples accumulateStats makes of the same entries', () => {
    fc.assert(
      fc.property(fc.array(genEntry, { maxLength: 80 }), genWindows, (gens, w) => {
        const head = new Head();
        gens.forEach((g, i) => head.add(toEntry(g, i), 1, 0));
        const expr = rangeExpr(w.op, w.grouping, w.rangeS, w.offsetS);
        const params: WindowParams = { op: expr.op, unwrap: false, range: w.rangeS * 1e9, step: w.stepS * 1e9, count: w.count };
        const base = T0 + BigInt(w.start) * S - BigInt(w.offsetS + w.rangeS) * S;
        const last = base + BigInt(w.rangeS) * S + BigInt(w.count - 1) * BigInt(w.stepS) * S;
        const run = (f: (st: StreamState, ex: ReturnType<typeof createSampleExtractor>, set: SeriesSet, counts: { lines: number; bytes: number }) => void) => {
          const extractor = createSampleExtractor(expr);
          const set = new SeriesSet(undefined, extractor.needsValues, params);
          const labels = { job: 'm', pod: 'p' };
          const st: StreamState = { labels, pipeline: compilePipeline([]).forStream(labels), lastLabels: undefined, lastSeries: undefined };
          const counts = { lines: 0, bytes: 0 };
          f(st, extractor, set, counts);
          return { series: byLabels([...set.all()].map((s) => ({ labels: s.labels, values: s.evaluateUnordered(params) }))), counts };
        };
        const fromColumns = run((st, ex, set, counts) => accumulateHeadStats(head.columns(), st, ex, set, base, last, counts));
        const fromEntries = run((st, ex, set, counts) => accumulateStats(entriesStats(head.sortedEntries()), st, ex, set, base, last, counts));
        assert.deepEqual(fromColumns, fromEntries);
      }),
      fuzzParams(),
    );
  });
});

describe('a count over fresh data equals the same count sealed and compacted (real store)', () => {
  let root: string;
  let pool: QueryPool;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'head-stats-fuzz-'));
    pool = createQueryPool(2);
  });
  after(async () => {
    await pool.close();
    await rm(root, { recursive: true, force: true });
  });

  let n = 0;
  it('in the head, in hot blocks and in the cold tier, on this thread and on the query workers', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(genEntry, { minLength: 1, maxLength: 150 }), fc.array(genWindows, { minLength: 1, maxLength: 4 }), async (gens, windows) => {
        const dir = join(root, String(n++));
        // Wall clock a day after the data, so compaction makes every block cold.
        const store: EmbeddedStore = createStore({ dir, compactionIntervalMs: 0, blockTargetBytes: 1 << 20, coldAfterMs: 3600_000, coldBlockBytes: 4096, retention: { periodMs: 0 }, now: () => Number(T0 / 1_000_000n) + 86400_000 });
        await store.start();
        try {
          // What the store keeps: the first of each (stream, time, line), in push order.
          const kept: Array<Entry & { pod: string }> = [];
          const seen = new Set<string>();
          // Pushed in a few batches, in the generated (unordered) order.
          for (let from = 0; from < gens.length; from += 40) {
            const byPod = new Map<string, Entry[]>();
            gens.slice(from, from + 40).forEach((g, k) => {
              const e = toEntry(g, from + k);
              const pod = `p${g.pod}`;
              const list = byPod.get(pod) ?? [];
              list.push(e);
              if (g.dup) list.push({ ...e });
              byPod.set(pod, list);
              const key = `${pod}|${e.ts}|${e.line}`;
              if (!seen.has(key)) {
                seen.add(key);
                kept.push({ ...e, pod });
              }
            });
            await store.append(TENANT, [...byPod].map(([pod, entries]) => ({ labels: { job: 'm', pod }, entries })));
          }
          const answers = async (layout: string): Promise<Array<Record<string, number[]>>> => {
            const out: Array<Record<string, number[]>> = [];
            for (const w of windows) {
              const expr = rangeExpr(w.op, w.grouping, w.rangeS, w.offsetS);
              const start = T0 + BigInt(w.start) * S;
              const steps = makeSteps(start, start + BigInt(w.count - 1) * BigInt(w.stepS) * S, BigInt(w.stepS) * S);
              const local = byLabels(await createRangeAggregator(store, TENANT)(expr, steps) as StepSeries[]);
              const stats = emptyRangeStats();
              const onPool = byLabels(await createRangeAggregator(store, TENANT, { pool }, stats)(expr, steps) as StepSeries[]);
              assert.deepEqual(onPool, local, `${layout}: the workers and this thread agree`);
              out.push(local);
            }
            return out;
          };
          const blocks = () => store.blocks(TENANT, store.streams(TENANT, [{ name: 'job', op: '=', value: 'm' }], 0n, 2n ** 62n).map((s) => s.id), 0n, 2n ** 62n);
          assert.ok(blocks().every((b) => b.location.kind === 'head'), 'all data in heads');
          const fresh = await answers('head');
          const byHand = windows.map((w) => countByHand(kept, rangeExpr(w.op, w.grouping, w.rangeS, w.offsetS), T0 + BigInt(w.start) * S, BigInt(w.stepS) * S, w.count));
          assert.deepEqual(fresh, byHand, 'the head counts what was pushed');
          await store.flush();
          assert.ok(blocks().every((b) => b.location.kind === 'file'), 'all data sealed');
          assert.deepEqual(await answers('sealed'), fresh, 'sealed blocks give what the head gave');
          const r = await store.compact({ unlinkGraceMs: 0 });
          assert.ok(r.coldNewBlocks > 0, 'cold blocks written');
          assert.deepEqual(await answers('cold'), fresh, 'the cold tier gives what the head gave');
        } finally {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        }
      }),
      fuzzParams(0.1),
    );
  });
});
