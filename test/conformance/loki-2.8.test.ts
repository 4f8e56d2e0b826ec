/**
 * Loki 2.8 conformance (issue #8): the corpus of test/conformance/loki-2.8/README.md is pushed to a
 * real server on port 0 (embedded store on a temp dir) over HTTP, then each of the 54 recorded
 * queries is run with the recorded parameters through the HTTP API, as a user's client would, and
 * the answer is compared with what Loki 2.8 answered (results.json), as that README says.
 *
 * Every difference is a bug unless Loki 3 is known to answer differently. The differences we know
 * of are in KNOWN_DIFFERENCES with their reason; those cases still run and must still differ, so a
 * fix is noticed (then remove the entry).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { removeDir, startServer, tempDir, type RunningServer } from '../e2e/helpers/server.js';

const HERE = fileURLToPath(new URL('./loki-2.8/', import.meta.url));
const GENERATOR = fileURLToPath(new URL('../../bench/corpus.mjs', import.meta.url));

type Run = 'aligned' | 'unaligned' | 'instant';
type Labels = Record<string, string>;
type Sample = [number, string];
interface Answer {
  status: number;
  resultType?: 'streams' | 'matrix' | 'vector' | 'scalar';
  result?: unknown;
  error?: string;
}
interface Recorded {
  corpus: { SEED: number; LINES: number; START: string };
  runs: Record<Run, Record<string, string>>;
  cases: Array<{ query: string; results: Partial<Record<Run, Answer>> }>;
}

/**
 * Known differences from Loki 2.8, keyed `<run> <query>`, each with its reason. A listed case is
 * still run and must still differ.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {};

const recorded = JSON.parse(readFileSync(join(HERE, 'results.json'), 'utf8')) as Recorded;
/** Relative tolerance for sample values (float summation order differs between engines). */
const REL_TOL = 1e-9;
/** Entries per push request while loading. */
const PUSH_BATCH = 5000;

// ---------------------------------------------------------------------------------------------
// Comparison, as the README says

function labelKey(l: Labels): string {
  return Object.keys(l)
    .sort()
    .map((k) => `${k}=${JSON.stringify(l[k])}`)
    .join(',');
}

function sameValue(a: string, b: string): boolean {
  if (a === b) return true;
  const x = Number(a);
  const y = Number(b);
  if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) && Number.isNaN(y);
  if (!Number.isFinite(x) || !Number.isFinite(y)) return x === y;
  return Math.abs(x - y) <= REL_TOL * Math.max(Math.abs(x), Math.abs(y));
}

function compareStreams(want: Array<{ stream: Labels; values: Sample[] }>, got: Array<{ stream: Labels; values: Sample[] }>): void {
  const set = (r: typeof want): string[] =>
    r.flatMap((s) => s.values.map(([ts, line]) => `${ts}\t${labelKey(s.stream)}\t${line}`)).sort();
  const w = set(want);
  const g = set(got);
  const missing = w.filter((x) => !g.includes(x));
  const extra = g.filter((x) => !w.includes(x));
  assert.ok(
    missing.length === 0 && extra.length === 0 && w.length === g.length,
    `log entries differ: ${missing.length} missing, ${extra.length} extra (of ${w.length})\n` +
      `first missing: ${missing.slice(0, 3).join('\n')}\nfirst extra: ${extra.slice(0, 3).join('\n')}`,
  );
}

/** Samples per series (sorted labels); timestamps exactly, values within REL_TOL. */
function compareSeries(want: Map<string, Array<[number, string]>>, got: Map<string, Array<[number, string]>>): void {
  const wk = [...want.keys()].sort();
  const gk = [...got.keys()].sort();
  assert.deepEqual(gk, wk, 'series (label sets) differ');
  for (const k of wk) {
    const w = want.get(k)!;
    const g = got.get(k)!;
    assert.deepEqual(
      g.map((p) => p[0]),
      w.map((p) => p[0]),
      `timestamps of ${k} differ`,
    );
    w.forEach(([ts, v], i) => assert.ok(sameValue(v, g[i]![1]), `${k} at ${ts}: Loki ${v}, ours ${g[i]![1]}`));
  }
}

/** topk/bottomk: which series wins a tie is arbitrary, so compare the sorted values at each step. */
function valuesPerStep(series: Map<string, Array<[number, string]>>): Map<string, Array<[number, string]>> {
  const byStep = new Map<number, number[]>();
  for (const points of series.values()) for (const [ts, v] of points) (byStep.get(ts) ?? byStep.set(ts, []).get(ts)!).push(Number(v));
  const out = new Map<string, Array<[number, string]>>();
  for (const [ts, vs] of [...byStep].sort((a, b) => a[0] - b[0])) {
    vs.sort((a, b) => a - b).forEach((v, i) => (out.get(`#${i}`) ?? out.set(`#${i}`, []).get(`#${i}`)!).push([ts, String(v)]));
  }
  return out;
}

function toSeries(a: Answer): Map<string, Array<[number, string]>> {
  const out = new Map<string, Array<[number, string]>>();
  if (a.resultType === 'matrix') {
    for (const s of a.result as Array<{ metric: Labels; values: Array<[number, string]> }>) {
      out.set(labelKey(s.metric), s.values.map(([ts, v]) => [Number(ts), v]));
    }
  } else if (a.resultType === 'vector') {
    for (const s of a.result as Array<{ metric: Labels; value: [number, string] }>) {
      out.set(labelKey(s.metric), [[Number(s.value[0]), s.value[1]]]);
    }
  } else if (a.resultType === 'scalar') {
    const [ts, v] = a.result as [number, string];
    out.set('scalar', [[Number(ts), v]]);
  }
  return out;
}

function compare(query: string, want: Answer, got: Answer): void {
  if (want.status !== 200) {
    assert.equal(got.status, want.status, `Loki answered ${want.status} (${want.error}); ours ${got.status} ${got.error ?? ''}`);
    return;
  }
  assert.equal(got.status, 200, `Loki answered 200; ours ${got.status}: ${got.error}`);
  assert.equal(got.resultType, want.resultType, 'result types differ');
  if (want.resultType === 'streams') {
    compareStreams(want.result as never, got.result as never);
    return;
  }
  const tied = /^\s*(topk|bottomk)\s*\(/.test(query);
  const w = toSeries(want);
  const g = toSeries(got);
  if (tied) compareSeries(valuesPerStep(w), valuesPerStep(g));
  else compareSeries(w, g);
}

// ---------------------------------------------------------------------------------------------
// The server, loaded with the corpus

let server: RunningServer;
let dir: string;

async function push(streams: Map<string, Array<[string, string]>>): Promise<void> {
  const body = JSON.stringify({
    streams: [...streams].map(([container, values]) => ({ stream: { job: 'docker', container }, values })),
  });
  const res = await fetch(`${server.url}/loki/api/v1/push`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  assert.equal(res.status, 204, `push failed: ${res.status} ${await res.text()}`);
}

async function ask(run: Run, query: string): Promise<Answer> {
  const params = new URLSearchParams({ ...recorded.runs[run], query });
  const path = run === 'instant' ? '/loki/api/v1/query' : '/loki/api/v1/query_range';
  const res = await fetch(`${server.url}${path}?${params}`);
  const text = await res.text();
  if (res.status !== 200) return { status: res.status, error: text };
  const body = JSON.parse(text) as { data: { resultType: Answer['resultType']; result: unknown } };
  return { status: 200, resultType: body.data.resultType, result: body.data.result };
}

before(async () => {
  dir = tempDir('logwharf-conformance-');
  const corpusFile = join(dir, 'corpus.tsv');
  const { SEED, LINES, START } = recorded.corpus;
  execFileSync(process.execPath, [GENERATOR], {
    env: { ...process.env, SEED: String(SEED), LINES: String(LINES), START, OUT: corpusFile },
    stdio: 'ignore',
  });
  server = await startServer({
    data: join(dir, 'data'),
    // As for the recording: no Loki-3 enrichment, old samples accepted, no rate limits, no retention
    // (the corpus is dated December 2026 and must stay queryable whenever the test runs).
    limits: {
      discover_service_name: [],
      discover_log_levels: false,
      reject_old_samples: false,
      ingestion_rate_mb: 1024,
      ingestion_burst_size_mb: 1024,
      per_stream_rate_limit_mb: 1024,
      per_stream_rate_limit_burst_mb: 1024,
    },
    retention: { period: '100000d' },
  });
  const rows = readFileSync(corpusFile, 'utf8').split('\n');
  let batch = new Map<string, Array<[string, string]>>();
  let n = 0;
  for (const row of rows) {
    if (row === '') continue;
    // <ts_ms>\t<stream>\t<line>; the line may itself hold tabs (Java stack frames).
    const t1 = row.indexOf('\t');
    const t2 = row.indexOf('\t', t1 + 1);
    const container = row.slice(t1 + 1, t2);
    const values = batch.get(container) ?? batch.set(container, []).get(container)!;
    values.push([`${row.slice(0, t1)}000000`, row.slice(t2 + 1)]);
    if (++n % PUSH_BATCH === 0) {
      await push(batch);
      batch = new Map();
    }
  }
  if (batch.size > 0) await push(batch);
  assert.equal(n, LINES, 'the generator wrote the recorded number of lines');
});

after(async () => {
  await server?.close();
  if (dir) removeDir(dir);
});

describe('Loki 2.8 conformance', () => {
  for (const { query, results } of recorded.cases) {
    for (const run of ['aligned', 'unaligned', 'instant'] as const) {
      const want = results[run];
      if (!want) continue;
      const key = `${run} ${query}`;
      it(key, async () => {
        const got = await ask(run, query);
        const known = KNOWN_DIFFERENCES[key];
        if (known === undefined) {
          compare(query, want, got);
        } else {
          assert.throws(() => compare(query, want, got), `listed as a known difference (${known}) but now matches Loki: remove it from KNOWN_DIFFERENCES`);
        }
      });
    }
  }
  it('covers every recorded query', () => {
    const lines = readFileSync(join(HERE, 'queries.logql'), 'utf8').split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#'));
    assert.equal(recorded.cases.length, lines.length);
    for (const key of Object.keys(KNOWN_DIFFERENCES)) {
      const [run, ...q] = key.split(' ');
      assert.ok(recorded.cases.some((c) => c.query === q.join(' ') && c.results[run as Run]), `stale KNOWN_DIFFERENCES entry: ${key}`);
    }
  });
});
