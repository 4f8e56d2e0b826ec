/**
 * Range aggregations over the real embedded store (issue #3). Every expectation is worked out by
 * hand in the comment beside it. Times are written as seconds after T0; step t's window is
 * (t - offset - range, t - offset].
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Labels, StreamPush } from '../../../src/api/model.js';
import { makeSteps, type StepSeries } from '../../../src/logql/eval/types.js';
import { parseExpr } from '../../../src/logql/syntax/index.js';
import type { RangeAggregationExpr } from '../../../src/logql/syntax/ast.js';
import { createStore, type EmbeddedStore, type Store } from '../../../src/store/index.js';
import { createRangeAggregator, HEAD_BYTES_PER_JOB, splitRangeParts, type RangeAggregatorOptions } from '../../../src/query/engine/range-agg.js';
import type { BlockRef } from '../../../src/store/store.js';
import { columnsFromEntries } from '../../../src/store/head-columns.js';
import { createQueryPool } from '../../../src/query/engine/query-pool.js';
import { evaluateLineWindows, evaluateWindows, quantile, type WindowParams } from '../../../src/query/engine/range-functions.js';

const T0 = 1_714_521_600_000_000_000n; // 2024-05-01T00:00:00Z in ns
const S = 1_000_000_000n;
const TENANT = 'fake';

const at = (sec: number | bigint) => T0 + BigInt(sec) * S;

function stream(labels: Labels, entries: Array<[number, string]>): StreamPush {
  return { labels, entries: entries.map(([sec, line]) => ({ ts: at(sec), line })) };
}

let dir: string;
let store: EmbeddedStore;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'range-agg-'));
  store = createStore({ dir, compactionIntervalMs: 0 });
  await store.start();
  await store.append(TENANT, [
    // Boundaries: entries at 0, 10, 20, 30, 60 s.
    stream({ job: 'a' }, [
      [0, 'a0'],
      [10, 'a10'],
      [20, 'a20'],
      [30, 'a30'],
      [60, 'a60'],
    ]),
    // One per second at 1..10 s, for sliding windows.
    stream({ job: 'slide' }, Array.from({ length: 10 }, (_, i): [number, string] => [i + 1, `s${i + 1}`])),
    // UTF-8 sizes: "héllo" is 6 bytes (é is 2), "日本" is 6 (3 each), "abc" is 3.
    stream({ job: 'bytes' }, [
      [10, 'héllo'],
      [20, '日本'],
      [40, 'abc'],
    ]),
    // Unwrap values 1, 4, 2, 8 at 10, 20, 30, 40 s.
    stream({ job: 'u' }, [
      [10, 'latency=1'],
      [20, 'latency=4'],
      [30, 'latency=2'],
      [40, 'latency=8'],
    ]),
    // Conversions.
    stream({ job: 'conv' }, [
      [10, 'size=1KB dur=250ms'],
      [20, 'size=2KiB dur=1m30s'],
      [30, 'size=1.5MB dur=1.5s'],
    ]),
    // A number, a non-number, and a line without the label.
    stream({ job: 'nan' }, [
      [10, 'latency=5'],
      [20, 'latency=abc'],
      [30, 'other=1'],
    ]),
    // Grouping: two streams of one job.
    stream({ job: 'g', pod: 'p1' }, [
      [10, 'level=info latency=1'],
      [20, 'level=error latency=2'],
    ]),
    stream({ job: 'g', pod: 'p2' }, [[15, 'level=info latency=3']]),
    // Structured metadata on one of two entries.
    {
      labels: { job: 'meta' },
      entries: [
        { ts: at(10), line: 'm1', metadata: { trace_id: 't1' } },
        { ts: at(20), line: 'm2' },
      ],
    },
    // JSON and not.
    stream({ job: 'json' }, [
      [10, '{"level":"info"}'],
      [20, 'not json'],
    ]),
  ]);
});

after(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

function rangeExpr(q: string): RangeAggregationExpr {
  const e = parseExpr(q);
  assert.equal(e.kind, 'range_agg', q);
  return e as RangeAggregationExpr;
}

/** Evaluates at start, start+step, ..., end (seconds after T0); returns series sorted by labels. */
async function run(q: string | RangeAggregationExpr, start: number, end: number, step: number, opts?: RangeAggregatorOptions, s: Store = store): Promise<StepSeries[]> {
  const agg = createRangeAggregator(s, TENANT, opts);
  const out = await agg(typeof q === 'string' ? rangeExpr(q) : q, makeSteps(at(start), at(end), BigInt(step) * S));
  return out.sort((x, y) => JSON.stringify(x.labels).localeCompare(JSON.stringify(y.labels)));
}

/** A parsed range aggregation with grouping set, as the evaluator pushes `sum by (..)` down. */
function grouped(q: string, labels: string[], without = false): RangeAggregationExpr {
  const e = rangeExpr(q);
  e.grouping = { without, labels };
  return e;
}

/** The values as plain numbers (NaN stays NaN, so deepEqual compares it with Object.is). */
const vals = (s: StepSeries) => [...s.values];

function close(actual: number, expected: number, msg?: string) {
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${msg ?? ''} ${actual} ≉ ${expected}`);
}

describe('range aggregations: windows', () => {
  it('count_over_time: left-open, right-closed windows', async () => {
    // Steps 30, 60, 90 with [30s]:
    //   30 → (0, 30]: 10, 20, 30 = 3 (the entry at 0 = t - range is excluded, the one at 30 = t included)
    //   60 → (30, 60]: 60 = 1
    //   90 → (60, 90]: nothing = absent
    const r = await run('count_over_time({job="a"}[30s])', 30, 90, 30);
    assert.equal(r.length, 1);
    assert.deepEqual(r[0]!.labels, { job: 'a' });
    assert.deepEqual(vals(r[0]!), [3, 1, NaN]);
  });

  it('rate is count / range seconds', async () => {
    // Same windows as above: 3/30 = 0.1, 1/30, absent.
    const r = await run('rate({job="a"}[30s])', 30, 90, 30);
    assert.deepEqual(vals(r[0]!), [3 / 30, 1 / 30, NaN]);
  });

  it('offset shifts every window into the past', async () => {
    // [30s] offset 30s at steps 60, 90, 120:
    //   60 → (0, 30] = 3;  90 → (30, 60] = 1;  120 → (60, 90] = absent
    const r = await run('count_over_time({job="a"}[30s] offset 30s)', 60, 120, 30);
    assert.deepEqual(vals(r[0]!), [3, 1, NaN]);
  });

  it('slides overlapping windows (range > step)', async () => {
    // Entries at 1..10 s, [5s], steps 2, 4, ..., 12:
    //   2 → (-3, 2]: 1,2 = 2      4 → (-1, 4]: 1..4 = 4     6 → (1, 6]: 2..6 = 5
    //   8 → (3, 8]: 4..8 = 5      10 → (5, 10]: 6..10 = 5   12 → (7, 12]: 8,9,10 = 3
    const r = await run('count_over_time({job="slide"}[5s])', 2, 12, 2);
    assert.deepEqual(vals(r[0]!), [2, 4, 5, 5, 5, 3]);
  });

  it('gaps between windows (step > range) skip entries', async () => {
    // [1s] at 3, 6, 9, 12: (2,3] = 1, (5,6] = 1, (8,9] = 1, (11,12] = absent
    const r = await run('count_over_time({job="slide"}[1s])', 3, 12, 3);
    assert.deepEqual(vals(r[0]!), [1, 1, 1, NaN]);
  });

  it('instant query: one step', async () => {
    // At 10 with [10s]: (0, 10] = 1..10 = 10 entries.
    const r = await run('count_over_time({job="slide"}[10s])', 10, 10, 1);
    assert.deepEqual(vals(r[0]!), [10]);
  });

  it('empty ranges give no series', async () => {
    // Nothing after 60 s in any stream: (1000, 1060] is empty.
    assert.deepEqual(await run('count_over_time({job="a"}[60s])', 1060, 1120, 60), []);
    // No stream matches at all.
    assert.deepEqual(await run('count_over_time({job="none"}[60s])', 60, 120, 60), []);
    // A line filter nothing passes.
    assert.deepEqual(await run('count_over_time({job="a"} |= "zzz" [60s])', 60, 60, 1), []);
  });

  it('line filters apply before counting', async () => {
    // {job="a"} |= "a1" matches only "a10" (at 10); (0, 60] holds it → 1.
    const r = await run('count_over_time({job="a"} |= "a1" [60s])', 60, 60, 1);
    assert.deepEqual(vals(r[0]!), [1]);
  });
});

describe('range aggregations: bytes', () => {
  it('bytes_over_time counts UTF-8 bytes of the line', async () => {
    // Steps 20 and 40 with [20s]: (0, 20] = "héllo" + "日本" = 6 + 6 = 12; (20, 40] = "abc" = 3.
    const r = await run('bytes_over_time({job="bytes"}[20s])', 20, 40, 20);
    assert.deepEqual(vals(r[0]!), [12, 3]);
  });

  it('bytes_rate is bytes / range seconds', async () => {
    // 12 / 20 = 0.6, 3 / 20 = 0.15.
    const r = await run('bytes_rate({job="bytes"}[20s])', 20, 40, 20);
    assert.deepEqual(vals(r[0]!), [12 / 20, 3 / 20]);
  });

  it('bytes of the line after line_format', async () => {
    // line_format "xy" makes every line 2 bytes: (0, 40] holds 3 lines = 6.
    const r = await run('bytes_over_time({job="bytes"} | line_format "xy" [40s])', 40, 40, 1);
    assert.deepEqual(vals(r[0]!), [6]);
  });
});

describe('range aggregations: absent_over_time', () => {
  it('1 with the equality matchers where nothing is in the window', async () => {
    // {job="a"} with [30s] at 30, 60, 90, 120: present, present, absent (60, 90], absent (90, 120].
    // Labels: job="a" (equality); x=~".*" is not an equality matcher, so it is not a label.
    const r = await run('absent_over_time({job="a", x=~".*"}[30s])', 30, 120, 30);
    assert.equal(r.length, 1);
    assert.deepEqual(r[0]!.labels, { job: 'a' });
    assert.deepEqual(vals(r[0]!), [NaN, NaN, 1, 1]);
  });

  it('no series when every step has data', async () => {
    assert.deepEqual(await run('absent_over_time({job="a"}[30s])', 30, 60, 30), []);
  });

  it('a repeated name is dropped from the labels', async () => {
    // job="none" then job!="x": the second matcher on job removes it; nothing matches → 1.
    const r = await run('absent_over_time({job="none", job!="x"}[30s])', 30, 30, 1);
    assert.deepEqual(r[0]!.labels, {});
    assert.deepEqual(vals(r[0]!), [1]);
  });
});

describe('range aggregations: unwrap', () => {
  // {job="u"}: values 1, 4, 2, 8 at 10, 20, 30, 40 s; at step 60 with [1m] the window (0, 60]
  // holds all four, in that order.
  const q = (fn: string, extra = '') => `${fn}({job="u"} | logfmt | unwrap latency [1m])${extra}`;
  const one = async (query: string) => {
    const r = await run(query, 60, 60, 1);
    assert.equal(r.length, 1, query);
    return r[0]!;
  };

  it('sum, avg, min, max, first, last', async () => {
    assert.deepEqual(vals(await one(q('sum_over_time'))), [15]); // 1+4+2+8
    assert.deepEqual(vals(await one(q('avg_over_time'))), [3.75]); // 15/4
    assert.deepEqual(vals(await one(q('min_over_time'))), [1]);
    assert.deepEqual(vals(await one(q('max_over_time'))), [8]);
    assert.deepEqual(vals(await one(q('first_over_time'))), [1]); // the value at 10 s
    assert.deepEqual(vals(await one(q('last_over_time'))), [8]); // the value at 40 s
  });

  it('the unwrapped label is removed from the series', async () => {
    assert.deepEqual((await one(q('sum_over_time'))).labels, { job: 'u' });
  });

  it('stdvar and stddev are population statistics', async () => {
    // mean 3.75; deviations -2.75, 0.25, -1.75, 4.25; squares 7.5625 + 0.0625 + 3.0625 + 18.0625
    // = 28.75; / 4 = 7.1875; stddev = sqrt(7.1875).
    close((await one(q('stdvar_over_time'))).values[0]!, 7.1875);
    close((await one(q('stddev_over_time'))).values[0]!, Math.sqrt(7.1875));
  });

  it('quantile_over_time interpolates like Prometheus', async () => {
    // Sorted 1, 2, 4, 8 (n = 4). φ=0.5: rank 1.5 → 2·0.5 + 4·0.5 = 3.
    // φ=0.9: rank 2.7 → 4·0.3 + 8·0.7 = 6.8.  φ=0: 1.  φ=1: 8.
    assert.deepEqual(vals(await one('quantile_over_time(0.5, {job="u"} | logfmt | unwrap latency [1m])')), [3]);
    close((await one('quantile_over_time(0.9, {job="u"} | logfmt | unwrap latency [1m])')).values[0]!, 6.8);
    assert.deepEqual(vals(await one('quantile_over_time(0, {job="u"} | logfmt | unwrap latency [1m])')), [1]);
    assert.deepEqual(vals(await one('quantile_over_time(1, {job="u"} | logfmt | unwrap latency [1m])')), [8]);
  });

  it('quantile edge cases', () => {
    // φ < 0 → -Inf, φ > 1 → +Inf, NaN sorts first: [NaN, 1] at φ=1 → rank 1 → 1.
    assert.equal(quantile(-0.1, Float64Array.of(1, 2)), -Infinity);
    assert.equal(quantile(1.1, Float64Array.of(1, 2)), Infinity);
    assert.equal(quantile(1, Float64Array.of(1, NaN)), 1);
    assert.ok(Number.isNaN(quantile(0, Float64Array.of(1, NaN))));
  });

  it('rate with unwrap is sum / range seconds', async () => {
    assert.deepEqual(vals(await one(q('rate'))), [15 / 60]);
  });

  it('rate_counter treats values as a counter with resets (Loki extrapolation)', async () => {
    // Values 1, 4, 2, 8: last - first = 7; the drop 4 → 2 is a reset, adding 4 → 11.
    // Loki anchors the range at the first sample: durationToStart = 60000 ms / 1000 = 60,
    // durationToEnd = 0; sample times are ns divided by 1000: sampledInterval = 30e9/1000 = 3e7,
    // average 1e7, threshold 1.1e7. durationToZero = 3e7·1/11 > 60, so 60 stays.
    // 60 < threshold → +60; 0 < threshold → +0. Result 11·(3e7 + 60)/3e7, per second / 60.
    close((await one(q('rate_counter'))).values[0]!, (11 * (3e7 + 60)) / 3e7 / 60);
  });

  it('rate_counter of one sample is 0', async () => {
    // [15s] at 15: (0, 15] holds only the value at 10.
    const r = await run('rate_counter({job="u"} | logfmt | unwrap latency [15s])', 15, 15, 1);
    assert.deepEqual(vals(r[0]!), [0]);
  });

  it('sliding unwrap windows', async () => {
    // [20s] at 20, 40, 60: (0,20] = 1,4 → sum 5; (20,40] = 2,8 → 10; (40,60] = absent.
    const r = await run('sum_over_time({job="u"} | logfmt | unwrap latency [20s])', 20, 60, 20);
    assert.deepEqual(vals(r[0]!), [5, 10, NaN]);
    // max over [30s] at 30, 40: (0,30] = 1,4,2 → 4; (10,40] = 4,2,8 → 8.
    const m = await run('max_over_time({job="u"} | logfmt | unwrap latency [30s])', 30, 40, 10);
    assert.deepEqual(vals(m[0]!), [4, 8]);
  });
});

describe('range aggregations: unwrap conversions', () => {
  it('bytes()', async () => {
    // 1KB = 1000, 2KiB = 2048, 1.5MB = 1 500 000 → 1 503 048.
    const r = await run('sum_over_time({job="conv"} | logfmt size | unwrap bytes(size) [1m])', 60, 60, 1);
    assert.deepEqual(r, [{ labels: { job: 'conv' }, values: Float64Array.of(1_503_048) }]);
    // With every key extracted, dur differs per line: three series, size removed, dur kept.
    const all = await run('sum_over_time({job="conv"} | logfmt | unwrap bytes(size) [1m])', 60, 60, 1);
    assert.deepEqual(
      all.map((x) => [x.labels, vals(x)]),
      [
        [{ dur: '1.5s', job: 'conv' }, [1_500_000]],
        [{ dur: '1m30s', job: 'conv' }, [2048]],
        [{ dur: '250ms', job: 'conv' }, [1000]],
      ],
    );
  });

  it('duration() and duration_seconds() are seconds', async () => {
    // 250ms + 1m30s + 1.5s = 0.25 + 90 + 1.5 = 91.75 s; max 90.
    const sum = await run('sum_over_time({job="conv"} | logfmt dur | unwrap duration(dur) | __error__="" [1m])', 60, 60, 1);
    assert.deepEqual(sum, [{ labels: { job: 'conv' }, values: Float64Array.of(91.75) }]);
    const max = await run('max_over_time({job="conv"} | logfmt | unwrap duration_seconds(dur) [1m]) by (job)', 60, 60, 1);
    assert.deepEqual(vals(max[0]!), [90]);
  });

  it('a bytes() conversion failure is a SampleExtractionErr', async () => {
    // "250ms" is not a byte size.
    await assert.rejects(run('sum_over_time({job="conv"} | logfmt | unwrap bytes(dur) [1m])', 60, 60, 1), /SampleExtractionErr/);
  });
});

describe('range aggregations: errors', () => {
  it('unwrap of a non-number fails the query with a pipeline error', async () => {
    // "abc" at 20 s fails to convert; the series keeps __error__ and the query fails, as in Loki.
    await assert.rejects(
      run('sum_over_time({job="nan"} | logfmt | unwrap latency [1m])', 60, 60, 1),
      (e: Error & { code?: string }) => e.code === 'bad_request' && /pipeline error: 'SampleExtractionErr'/.test(e.message),
    );
  });

  it('a post-unwrap __error__ filter drops the failed sample; a missing label is skipped', async () => {
    // Left: 5 (at 10 s). "abc" is filtered out; the line without latency yields no sample.
    const r = await run('sum_over_time({job="nan"} | logfmt | unwrap latency | __error__="" [1m])', 60, 60, 1);
    assert.deepEqual(r, [{ labels: { job: 'nan' }, values: Float64Array.of(5) }]);
  });

  it('an error outside every window does not fail the query', async () => {
    // [5s] at 15: (10, 15] holds nothing of {job="nan"}; at 10: (5, 10] holds only "5".
    const r = await run('sum_over_time({job="nan"} | logfmt | unwrap latency [5s])', 10, 15, 5);
    assert.deepEqual(vals(r[0]!), [5, NaN]);
  });

  it('parser errors fail count_over_time unless filtered', async () => {
    await assert.rejects(run('count_over_time({job="json"} | json [1m])', 60, 60, 1), /pipeline error: 'JSONParserErr'/);
    // Filtered: only the JSON line (level=info) is left → 1.
    const r = await run('count_over_time({job="json"} | json | __error__="" [1m])', 60, 60, 1);
    assert.deepEqual(r, [{ labels: { job: 'json', level: 'info' }, values: Float64Array.of(1) }]);
  });

  it('maxSeries fails with query_limit', async () => {
    // {job="g"} has two streams → two series > 1.
    await assert.rejects(run('count_over_time({job="g"}[1m])', 60, 60, 1, { maxSeries: 1 }), (e: Error & { code?: string }) => e.code === 'query_limit');
    assert.equal((await run('count_over_time({job="g"}[1m])', 60, 60, 1, { maxSeries: 2 })).length, 2);
  });

  it('an aborted signal stops the query', async () => {
    const ac = new AbortController();
    ac.abort(new Error('stop'));
    await assert.rejects(run('count_over_time({job="g"}[1m])', 60, 60, 1, { signal: ac.signal }), /stop/);
  });
});

describe('range aggregations: streams and grouping', () => {
  // p1: info 1 at 10 s, error 2 at 20 s; p2: info 3 at 15 s. Step 60, [1m]: all in (0, 60].
  it('multiple streams give one series each', async () => {
    const r = await run('count_over_time({job="g"}[1m])', 60, 60, 1);
    assert.deepEqual(
      r.map((s) => [s.labels, vals(s)]),
      [
        [{ job: 'g', pod: 'p1' }, [2]],
        [{ job: 'g', pod: 'p2' }, [1]],
      ],
    );
  });

  it('without grouping, series are the full label sets after the pipeline', async () => {
    // (p1, info) = 1, (p1, error) = 2, (p2, info) = 3.
    const r = await run('sum_over_time({job="g"} | logfmt | unwrap latency [1m])', 60, 60, 1);
    assert.deepEqual(
      r.map((s) => [s.labels, vals(s)]),
      [
        [{ job: 'g', level: 'error', pod: 'p1' }, [2]],
        [{ job: 'g', level: 'info', pod: 'p1' }, [1]],
        [{ job: 'g', level: 'info', pod: 'p2' }, [3]],
      ],
    );
  });

  it('by (level) merges streams', async () => {
    // info: max(1, 3) = 3, avg (1 + 3)/2 = 2; error: 2 for both.
    const r = await run('max_over_time({job="g"} | logfmt | unwrap latency [1m]) by (level)', 60, 60, 1);
    assert.deepEqual(
      r.map((s) => [s.labels, vals(s)]),
      [
        [{ level: 'error' }, [2]],
        [{ level: 'info' }, [3]],
      ],
    );
    const a = await run('avg_over_time({job="g"} | logfmt | unwrap latency [1m]) by (level)', 60, 60, 1);
    assert.deepEqual(
      a.map((s) => [s.labels, vals(s)]),
      [
        [{ level: 'error' }, [2]],
        [{ level: 'info' }, [2]],
      ],
    );
  });

  it('without (pod) keeps the rest, minus the unwrapped label', async () => {
    const r = await run('max_over_time({job="g"} | logfmt | unwrap latency [1m]) without (pod)', 60, 60, 1);
    assert.deepEqual(
      r.map((s) => [s.labels, vals(s)]),
      [
        [{ job: 'g', level: 'error' }, [2]],
        [{ job: 'g', level: 'info' }, [3]],
      ],
    );
  });

  it('a missing grouping label groups as absent', async () => {
    // by (nope): one series {} holding all three samples: avg (1 + 2 + 3)/3 = 2.
    const r = await run('avg_over_time({job="g"} | logfmt | unwrap latency [1m]) by (nope)', 60, 60, 1);
    assert.deepEqual(r, [{ labels: {}, values: Float64Array.of(2) }]);
  });

  it('structured metadata labels are part of the series, as in Loki', async () => {
    // (0, 60] holds both entries; the one with trace_id=t1 is its own series.
    const r = await run('count_over_time({job="meta"}[1m])', 60, 60, 1);
    assert.deepEqual(
      r.map((s) => [s.labels, vals(s)]),
      [
        [{ job: 'meta', trace_id: 't1' }, [1]],
        [{ job: 'meta' }, [1]],
      ],
    );
    // Dropping it merges them: 2.
    const d = await run('count_over_time({job="meta"} | drop trace_id [1m])', 60, 60, 1);
    assert.deepEqual(d, [{ labels: { job: 'meta' }, values: Float64Array.of(2) }]);
  });

  it('merged streams are ordered by time within the series', async () => {
    // by (job): samples 1 @10 (p1), 3 @15 (p2), 2 @20 (p1) → first 1, last 2 (not 3, p2's block
    // being read after p1's).
    const first = await run('first_over_time({job="g"} | logfmt | unwrap latency [1m]) by (job)', 60, 60, 1);
    const last = await run('last_over_time({job="g"} | logfmt | unwrap latency [1m]) by (job)', 60, 60, 1);
    assert.deepEqual(vals(first[0]!), [1]);
    assert.deepEqual(vals(last[0]!), [2]);
  });

  it('grouping on count-like operations (as pushed down from sum by)', async () => {
    // count by (job): p1 2 + p2 1 = 3.
    // LogQL text forbids `rate(..) by`, but sum by (job) (rate(..)) equals it, so the evaluator
    // may push the grouping down (Loki does) to keep one series per group instead of per stream.
    const r = await run(grouped('rate({job="g"}[1m])', ['job']), 60, 60, 1);
    assert.deepEqual(r, [{ labels: { job: 'g' }, values: Float64Array.of(3 / 60) }]);
    // sum_over_time by (level): info 1 + 3 = 4, error 2.
    const s = await run(grouped('sum_over_time({job="g"} | logfmt | unwrap latency [1m])', ['level']), 60, 60, 1);
    assert.deepEqual(
      s.map((x) => [x.labels, vals(x)]),
      [
        [{ level: 'error' }, [2]],
        [{ level: 'info' }, [4]],
      ],
    );
    // without (pod, level, latency) on count: {job="g"} 3.
    const c = await run(grouped('count_over_time({job="g"} | logfmt [1m])', ['pod', 'level', 'latency'], true), 60, 60, 1);
    assert.deepEqual(c, [{ labels: { job: 'g' }, values: Float64Array.of(3) }]);
  });
});

describe('range aggregations: reading the store', () => {
  it('reads each block once however many steps, from heads and sealed blocks alike', async () => {
    const d = await mkdtemp(join(tmpdir(), 'range-agg-once-'));
    const s = createStore({ dir: d, compactionIntervalMs: 0 });
    await s.start();
    try {
      await s.append(TENANT, [stream({ job: 'r' }, [[5, 'x'], [15, 'y']])]);
      await s.flush(); // sealed block
      await s.append(TENANT, [stream({ job: 'r' }, [[25, 'z']])]); // head
      let reads = 0;
      const counting: Store = Object.create(s, {
        readBlock: { value: (ref: Parameters<Store['readBlock']>[0]) => (reads++, s.readBlock(ref)) },
        // count_over_time without a pipeline takes the stats path: a stats read is a block read.
        readBlockStats: { value: (ref: Parameters<Store['readBlock']>[0]) => (reads++, s.readBlockStats(ref)) },
      });
      // [10s] at 10, 11, ..., 30 (21 steps): 5 in (0,10], (1,11], ..., (4,14] → 5 steps of 1;
      // 15 in steps 15..24 → 10 steps; 25 in steps 25..30 (and up to 34) → 6 steps.
      const r = await run('count_over_time({job="r"}[10s])', 10, 30, 1, {}, counting);
      const expected = [...Array(5).fill(1), ...Array(10).fill(1), ...Array(6).fill(1)];
      assert.deepEqual(vals(r[0]!), expected);
      const blocks = s.blocks(TENANT, [r.length ? s.streams(TENANT, [{ name: 'job', op: '=', value: 'r' }], 0n, 2n ** 62n)[0]!.id : 0], 0n, 2n ** 62n);
      // The head answers from its columns, with no store read (src/query/engine/head-stats.ts).
      assert.equal(reads, blocks.filter((b) => b.location.kind === 'file').length);
      assert.ok(reads >= 1 && blocks.some((b) => b.location.kind === 'head'), 'a sealed block and the head');
    } finally {
      await s.close();
      await rm(d, { recursive: true, force: true });
    }
  });
});

describe('range aggregations: the two window algorithms agree', () => {
  // Count-like operations use difference arrays over unsorted samples; the rest slide two pointers
  // over sorted samples. Both must give the same counts and byte sums, including samples exactly
  // on window edges (times that are multiples of the step, and of the step plus the range).
  it('on random samples with edge-aligned times', () => {
    let seed = 42;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 200; round++) {
      const step = 1 + Math.floor(rnd() * 50);
      const range = 1 + Math.floor(rnd() * 120);
      const count = 1 + Math.floor(rnd() * 40);
      const n = Math.floor(rnd() * 100);
      const t: number[] = [];
      for (let i = 0; i < n; i++) {
        const k = Math.floor(rnd() * (count + 3));
        const r = rnd();
        t.push(Math.max(1, r < 0.3 ? k * step : r < 0.5 ? k * step + range : Math.floor(rnd() * (count * step + range)) + 1));
      }
      const v = t.map(() => Math.floor(rnd() * 100));
      const order = t.map((_, i) => i).sort((a, b) => t[a]! - t[b]! || a - b);
      const sorted = { t: Float64Array.from(order, (i) => t[i]!), v: Float64Array.from(order, (i) => v[i]!) };
      for (const op of ['count_over_time', 'rate', 'bytes_over_time', 'bytes_rate', 'absent_over_time'] as const) {
        const p: WindowParams = { op, unwrap: false, range, step, count };
        assert.deepEqual([...evaluateLineWindows(t, v, n, p)], [...evaluateWindows(sorted, p)], `${op} step ${step} range ${range} t ${t.join(',')}`);
      }
    }
  });
});

describe('range aggregations: worker pool', () => {
  // The same queries with and without worker threads, over many small sealed blocks plus heads.
  it('gives the same series as the calling thread, and carries errors back', async () => {
    const d = await mkdtemp(join(tmpdir(), 'range-agg-pool-'));
    const s = createStore({ dir: d, compactionIntervalMs: 0, blockTargetBytes: 256 });
    await s.start();
    const pool = createQueryPool(2);
    try {
      const lines = (pod: string, from: number) =>
        Array.from({ length: 120 }, (_, i): [number, string] => [from + i, `level=${i % 3 === 0 ? 'error' : 'info'} latency=${(i * 7) % 13} pod=${pod}`]);
      await s.append(TENANT, [stream({ job: 'w', pod: 'a' }, lines('a', 1)), stream({ job: 'w', pod: 'b' }, lines('b', 30))]);
      await s.flush();
      await s.append(TENANT, [stream({ job: 'w', pod: 'a' }, [[200, 'level=info latency=5']])]);
      const queries: Array<string | RangeAggregationExpr> = [
        'count_over_time({job="w"}[30s])',
        'bytes_rate({job="w"} |= "error" [45s])',
        grouped('count_over_time({job="w"} | logfmt [30s])', ['level']),
        'quantile_over_time(0.9, {job="w"} | logfmt | unwrap latency [30s]) by (level)',
        'last_over_time({job="w"} | logfmt | unwrap latency [20s]) by (level)',
        'rate_counter({job="w"} | logfmt | unwrap latency [60s])',
        'absent_over_time({job="w"}[5s])',
      ];
      for (const q of queries) {
        const plain = await run(q, 10, 260, 7, {}, s);
        const pooled = await run(q, 10, 260, 7, { pool }, s);
        assert.ok(plain.length > 0, String(q));
        assert.deepEqual(pooled, plain, typeof q === 'string' ? q : 'grouped');
      }
      await assert.rejects(run('count_over_time({job="w"} | logfmt [1m])', 60, 60, 1, { pool, maxSeries: 3 }, s), (e: Error & { code?: string }) => e.code === 'query_limit');
      await assert.rejects(run('count_over_time({job="w"} | json [1m])', 60, 60, 1, { pool }, s), /pipeline error: 'JSONParserErr'/);
    } finally {
      await pool.close();
      await s.close();
      await rm(d, { recursive: true, force: true });
    }
  });
});

describe('range aggregations: jobs of bounded size', () => {
  const ref = (i: number, head: boolean, rawBytes: number): BlockRef => ({
    streamId: i % 3,
    minTs: BigInt(i),
    maxTs: BigInt(i),
    entries: 10,
    rawBytes,
    location: head ? { kind: 'head', columns: columnsFromEntries([]) } : { kind: 'file', path: 'x', offset: i, length: 1 },
  });

  it('splits sealed blocks into one contiguous part per worker, and heads into parts of at most the bound', () => {
    const files = Array.from({ length: 40 }, (_, i) => ref(i, false, 1 << 20));
    const parts = splitRangeParts(files, 2);
    assert.equal(parts.length, 2, 'sealed blocks travel as references: one part per worker');
    assert.deepEqual(parts.flat(), files, 'contiguous, in order');
    // 30 MiB of recent head blocks at the end (where heads sort): no part carries more than 8 MiB of them.
    const withHeads = [...files, ...Array.from({ length: 30 }, (_, i) => ref(40 + i, true, 1 << 20))];
    const split = splitRangeParts(withHeads, 2);
    assert.deepEqual(split.flat(), withHeads, 'contiguous, in order');
    for (const p of split) {
      const head = p.reduce((a, r) => a + (r.location.kind === 'head' ? r.rawBytes : 0), 0);
      assert.ok(head <= HEAD_BYTES_PER_JOB, `part with ${head} head bytes`);
    }
    assert.ok(split.length >= 5, `${split.length} parts`);
    // A single head block over the bound still goes (alone).
    assert.deepEqual(splitRangeParts([ref(0, true, 3 * HEAD_BYTES_PER_JOB)], 2).length, 1);
  });

  it('gives the same series when heads go as many small jobs', async () => {
    const d = await mkdtemp(join(tmpdir(), 'range-agg-parts-'));
    const s = createStore({ dir: d, compactionIntervalMs: 0, blockTargetBytes: 64 * 1024 });
    await s.start();
    const pool = createQueryPool(2);
    try {
      // Six streams with their recent lines still in heads, some sealed blocks before them.
      const lines = (pod: number, from: number, n: number) =>
        Array.from({ length: n }, (_, i): [number, string] => [from + i, `level=${i % 4 === 0 ? 'warn' : 'info'} latency=${(i * 7 + pod) % 17} pod=${pod}`]);
      await s.append(TENANT, Array.from({ length: 6 }, (_, p) => stream({ job: 'h', pod: String(p) }, lines(p, 1, 100))));
      await s.flush();
      await s.append(TENANT, Array.from({ length: 6 }, (_, p) => stream({ job: 'h', pod: String(p) }, lines(p, 101, 150))));
      const queries: Array<string | RangeAggregationExpr> = [
        'count_over_time({job="h"}[30s])',
        grouped('count_over_time({job="h"} | logfmt [30s])', ['level']),
        'quantile_over_time(0.5, {job="h"} | logfmt | unwrap latency [40s]) by (pod)',
      ];
      for (const q of queries) {
        const whole = await run(q, 10, 260, 7, { pool }, s);
        // 1 KiB of head entries per job: every head block is a job of its own.
        const pieces = await run(q, 10, 260, 7, { pool, headBytesPerJob: 1024 }, s);
        assert.ok(whole.length > 0, String(q));
        assert.deepEqual(pieces, whole, typeof q === 'string' ? q : 'grouped');
      }
    } finally {
      await pool.close();
      await s.close();
      await rm(d, { recursive: true, force: true });
    }
  });
});
