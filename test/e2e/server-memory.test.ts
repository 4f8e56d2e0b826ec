/**
 * The server's memory budget (issue #12), on a real server started as users start it: through the
 * launcher bin/logwharf (the image's entrypoint and the manifests' command), port 0, a temp dir.
 *
 * - The launcher starts the server with its memory settings (2 MB semi-spaces, two malloc arenas, a
 *   fixed mmap threshold), and the server stays under 350 MB of RSS (its peak, VmHWM, reset after
 *   ingest; 492 MB before this work, the issue's budget 256 MB) while large queries run two at a
 *   time over 150,000 fresh lines.
 * - A query whose work outgrows a query worker's heap (query.worker_heap_mb) answers a clear 400
 *   naming the limit, counted in /metrics; the server keeps serving the next queries.
 * - Idle query workers are stopped after query.worker_idle_timeout (logwharf_query_workers drops to
 *   0) and the next query starts them again.
 * - memory_soft_limit_mb (the memory governor): once a burst of pushes ends with the process above
 *   the limit, the main thread's garbage is collected (counted in /metrics, and the heap and buffers
 *   the server reports drop), queries go on; with 0 nothing is collected by it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCli, tempDir, removeDir, type ChildProc } from './helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';
import { seededRandom } from '../helpers/random.js';

const NOW_MS = Date.now();
const start = (BigInt(NOW_MS - 3 * 3600_000) * 1_000_000n).toString();
const end = (BigInt(NOW_MS + 60_000) * 1_000_000n).toString();

interface Launched {
  child: ChildProc;
  url: string;
  pid: number;
  dir: string;
  stop(): Promise<void>;
}

/** `limits` adds keys under `limits:`, `rest` whole top-level lines. */
async function launch(limits: string[], rest: string[]): Promise<Launched> {
  const dir = tempDir('logwharf-memory-');
  const cfg = join(dir, 'logwharf.yaml');
  writeFileSync(cfg, ['limits:', '  ingestion_rate_mb: 1000', '  ingestion_burst_size_mb: 1000', '  per_stream_rate_limit_mb: 1000', '  per_stream_rate_limit_burst_mb: 1000', ...limits.map((l) => `  ${l}`), ...rest, ''].join('\n'));
  const child = await startCli(['server', '--listen', '127.0.0.1:0', '--data', join(dir, 'data'), '--config', cfg, '--log-level', 'warn'], 'logwharf server ready', { viaBin: true });
  return {
    child,
    url: child.ready.address as string,
    pid: child.proc.pid!,
    dir,
    async stop() {
      child.proc.kill('SIGTERM');
      await child.exited;
      removeDir(dir);
    },
  };
}

/** Pushes `lines(i)` for i < n into streams {job, pod} in JSON batches of about 1 MB, 4 in flight, as pino-loki and scripts send. */
async function push(url: string, job: string, n: number, line: (i: number) => string, pods = 8): Promise<void> {
  const spacingNs = (3n * 3600n * 1_000_000_000n) / BigInt(n);
  const t0 = BigInt(NOW_MS - 3 * 3600_000 + 1000) * 1_000_000n;
  // Up to 4 requests in flight, but none more than half of the server's out-of-order window (1 h,
  // as Loki's) ahead of the oldest one still in flight: a batch that overtook one over an hour
  // older would make the server rightly refuse the older one as too far behind.
  const inflight = new Map<Promise<void>, bigint>();
  const windowNs = 30n * 60n * 1_000_000_000n;
  let i = 0;
  while (i < n) {
    const firstNs = t0 + BigInt(i) * spacingNs;
    while (inflight.size > 0 && firstNs - [...inflight.values()].reduce((a, b) => (a < b ? a : b)) > windowNs) await Promise.race(inflight.keys());
    const streams = new Map<number, [string, string][]>();
    let bytes = 0;
    for (; i < n && bytes < 1_000_000; i++) {
      const l = line(i);
      bytes += l.length;
      let v = streams.get(i % pods);
      if (!v) streams.set(i % pods, (v = []));
      v.push([(t0 + BigInt(i) * spacingNs).toString(), l]);
    }
    const body = JSON.stringify({ streams: [...streams].map(([pod, values]) => ({ stream: { job, pod: `p${pod}` }, values })) });
    const p = fetch(url + '/loki/api/v1/push', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }).then(async (r) => {
      if (r.status !== 204) throw new Error(`push: ${r.status} ${await r.text()}`);
    });
    const tracked: Promise<void> = p.finally(() => inflight.delete(tracked));
    inflight.set(tracked, firstNs);
    if (inflight.size >= 4) await Promise.race(inflight.keys());
  }
  await Promise.all(inflight.keys());
}

async function query(url: string, q: string, limit = 100, step?: string): Promise<{ status: number; text: string }> {
  const u = new URL(url + '/loki/api/v1/query_range');
  u.searchParams.set('query', q);
  u.searchParams.set('start', start);
  u.searchParams.set('end', end);
  u.searchParams.set('limit', String(limit));
  if (step) u.searchParams.set('step', step);
  const r = await fetch(u);
  return { status: r.status, text: await r.text() };
}

function statusMb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(url + '/metrics')).text();
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

const short = (text: string) => (text.length > 300 ? text.slice(0, 300) + '…' : text);

test('through the launcher, the server runs with its memory settings and stays under 350 MB while large queries run', { timeout: 240_000 }, async (t) => {
  const rnd = seededRandom(t);
  const srv = await launch([], ['storage:', '  max_block_age: 1h']);
  try {
    // The launcher's settings reached the server process (it execs node: the child's pid is the server's).
    const environ = readFileSync(`/proc/${srv.pid}/environ`, 'utf8').split('\0');
    assert.ok(environ.includes('MALLOC_ARENA_MAX=2'), 'MALLOC_ARENA_MAX=2 in the server\'s environment');
    assert.ok(environ.includes('MALLOC_MMAP_THRESHOLD_=131072'), 'a fixed mmap threshold');
    const argv = readFileSync(`/proc/${srv.pid}/cmdline`, 'utf8').split('\0');
    assert.ok(argv.includes('--max-semi-space-size=2'), `node started with 2 MB semi-spaces: ${argv.join(' ')}`);
    assert.ok(argv.includes('--heap-growing-percent=200'), `node started with the old generation's growth fixed at 3x: ${argv.join(' ')}`);
    assert.ok(!argv.some((a) => a.startsWith('--max-old-space-size')), 'no heap cap that would override the query workers\' own');

    // 150,000 lines (~30 MB) of logfmt and JSON, some with "error", in 8 streams.
    const levels = ['info', 'info', 'info', 'warn', 'error', 'debug'];
    const words = Array.from({ length: 64 }, () => Math.floor(rnd.next() * 2 ** 32).toString(36));
    await push(srv.url, 'mem', 150_000, (i) => {
      const level = levels[i % levels.length]!;
      const w = () => words[rnd.int(words.length)];
      return i % 2 === 0
        ? `ts=${i} level=${level} caller=handler.go:${i % 400} msg="request ${w()} ${w()}" duration=${i % 997}ms status=${level === 'error' ? 500 : 200} path=/api/${w()}/${w()} trace=${w()}${w()}`
        : JSON.stringify({ level, msg: `job ${w()} ${w()} finished`, took_ms: i % 991, user: w(), trace: `${w()}${w()}`, n: i });
    });
    writeFileSync(`/proc/${srv.pid}/clear_refs`, '5');
    const queries: Array<[string, number, string?]> = [
      ['{job="mem"}', 5000],
      ['{job="mem"} |~ "(?i)ERROR"', 5000],
      ['sum by (pod) (count_over_time({job="mem"}[5m]))', 100, '60'],
      ['sum by (level) (count_over_time({job="mem"} | json | drop __error__, __error_details__ [5m]))', 100, '60'],
      ['sum by (level) (count_over_time({job="mem"} | logfmt | drop __error__, __error_details__ [5m]))', 100, '60'],
      ['quantile_over_time(0.99, {job="mem"} | logfmt | unwrap duration | __error__="" [10m]) by (pod)', 100, '60'],
      ['{job="mem"} | json | level="error"', 5000],
      ['topk(5, sum by (path) (count_over_time({job="mem"} | logfmt | __error__="" [30m])))', 100, '60'],
    ];
    // Two at a time (one per query worker), twice over.
    let next = 0;
    const lane = async () => {
      while (next < queries.length * 2) {
        const [q, limit, step] = queries[next++ % queries.length]!;
        const r = await query(srv.url, q, limit, step);
        assert.equal(r.status, 200, `${q}: ${short(r.text)}`);
      }
    };
    await Promise.all([lane(), lane()]);
    const peak = statusMb(srv.pid, 'VmHWM');
    const mb = async (name: string) => ((await metric(srv.url, name)) / 1048576).toFixed(0);
    t.diagnostic(
      `peak RSS while querying: ${peak.toFixed(0)} MB; now ${statusMb(srv.pid, 'VmRSS').toFixed(0)} MB; main heap ${await mb('logwharf_nodejs_heap_size_total_bytes')} MB, ` +
        `external ${await mb('logwharf_nodejs_external_memory_bytes')} MB, query workers' heaps ${await mb('logwharf_query_worker_heap_bytes')} MB`,
    );
    // The budget is 256 MB, not yet met here: on a loaded 2-core machine this run measured
    // 271–315 MB with the settings of stop 15 (GC timing moves it), 492 MB before the budget work; with
    // stop 16's piecewise decoding and smaller worker young generations 245–263 MB (235 for stop 15's
    // build in the same minutes: the main thread's heap, not the workers', decides the peak). The
    // guard stays 350 MB, so the test fails on a return to the old settings, not on GC timing
    // (docs/benchmarks.md, "Query-time memory").
    assert.ok(peak < 350, `peak RSS ${peak.toFixed(0)} MB while querying, over 350 MB`);
  } finally {
    await srv.stop();
  }
});

test('a query over a worker\'s memory budget answers a clear 400, and the server keeps serving; idle workers are stopped', { timeout: 240_000 }, async () => {
  // 16 MB per worker (the smallest allowed), series unbounded: one series per line's id makes the
  // aggregation's series outgrow the worker's heap.
  const srv = await launch(['max_query_series: 1000000'], ['query:', '  worker_heap_mb: 16', '  worker_idle_timeout: 2s', '  timeout: 120s']);
  try {
    const N = 120_000;
    await push(srv.url, 'budget', N, (i) => JSON.stringify({ id: `req-${i.toString(36)}-${(i * 7919).toString(36)}`, level: i % 10 === 0 ? 'error' : 'info' }), 4);
    const big = await query(srv.url, 'sum by (id) (count_over_time({job="budget"} | json [3h]))', 100, '3600');
    assert.equal(big.status, 400, short(big.text));
    assert.match(big.text, /query exceeds its memory budget: a query worker needed more than query\.worker_heap_mb, 16 MB/);
    // Counted per worker job: the query ran as one job per worker, and either or both may outgrow it.
    const exceeded = await metric(srv.url, 'logwharf_query_memory_exceeded_total');
    assert.ok(exceeded >= 1 && exceeded <= 2, `logwharf_query_memory_exceeded_total ${exceeded}`);

    // The server goes on: readiness, a log query and a metric query over the same lines.
    assert.equal((await fetch(srv.url + '/ready')).status, 200);
    const u = new URL(srv.url + '/loki/api/v1/query');
    u.searchParams.set('query', 'sum(count_over_time({job="budget"}[4h]))');
    u.searchParams.set('time', end);
    const total = await fetch(u);
    const totalText = await total.text();
    assert.equal(total.status, 200, short(totalText));
    const value = (JSON.parse(totalText) as { data: { result: Array<{ value: [number, string] }> } }).data.result[0]!.value;
    assert.equal(Number(value[1]), N, 'every line counted');
    const errors = await query(srv.url, '{job="budget"} | json | level="error"', 50);
    assert.equal(errors.status, 200, short(errors.text));
    assert.equal((JSON.parse(errors.text) as { data: { result: Array<{ values: unknown[] }> } }).data.result.reduce((a, s) => a + s.values.length, 0), 50);

    // Idle workers are stopped (their heap goes back), and the next query starts them again.
    await waitFor('the idle query workers stopped', async () => (await metric(srv.url, 'logwharf_query_workers')) === 0, { timeoutMs: 20_000, intervalMs: 200 });
    const again = await query(srv.url, '{job="budget"} |= "req-1"', 10);
    assert.equal(again.status, 200, short(again.text));
    assert.ok((await metric(srv.url, 'logwharf_query_workers')) > 0, 'workers started again');
  } finally {
    await srv.stop();
  }
});

/** The main thread's heap in use plus its ArrayBuffers, as /metrics reports them. */
async function heldBytes(url: string): Promise<number> {
  return (await metric(url, 'logwharf_nodejs_heap_size_used_bytes')) + (await metric(url, 'logwharf_nodejs_external_memory_bytes'));
}

test('memory_soft_limit_mb: the garbage of a push burst is collected once the burst ends, counted in /metrics; 0 turns it off', { timeout: 240_000 }, async (t) => {
  const rnd = seededRandom(t);
  const words = Array.from({ length: 64 }, () => Math.floor(rnd.next() * 2 ** 32).toString(36));
  const line = (i: number) => `ts=${i} level=info msg="request ${words[rnd.int(words.length)]}" path=/api/${words[rnd.int(words.length)]} n=${i}`;
  // 64 MB, the least allowed: far below what the server is resident in after the burst.
  const on = await launch([], ['memory_soft_limit_mb: 64', 'storage:', '  max_block_age: 1h']);
  try {
    assert.equal(await metric(on.url, 'logwharf_memory_soft_limit_bytes'), 64 * 1048576);
    // V8 may collect on its own just as a burst ends, leaving the governor nothing worth a pause
    // (it waits for 32 MB to win): up to six bursts, each followed by up to 5 s for its collection.
    let afterPush = 0;
    let bursts = 0;
    while ((await metric(on.url, 'logwharf_memory_governor_gcs_total')) === 0) {
      assert.ok(bursts < 6, 'no collection after six bursts of pushes');
      // A job per burst: each burst's timestamps start 3 h back again, so its streams are its own.
      await push(on.url, `gov${bursts}`, 60_000, (i) => line(bursts * 60_000 + i));
      bursts++;
      afterPush = await heldBytes(on.url);
      try {
        await waitFor('the governor collected after the burst', async () => (await metric(on.url, 'logwharf_memory_governor_gcs_total')) >= 1, { timeoutMs: 5_000, intervalMs: 100 });
      } catch {
        // the next burst
      }
    }
    assert.ok((await metric(on.url, 'logwharf_memory_governor_gc_seconds_total')) > 0, 'its time is counted');
    const afterGc = await heldBytes(on.url);
    t.diagnostic(`after ${bursts} burst(s): heap + buffers ${(afterPush / 1048576).toFixed(0)} MB after the burst, ${(afterGc / 1048576).toFixed(0)} MB after the governor's collection; RSS ${statusMb(on.pid, 'VmRSS').toFixed(0)} MB`);
    assert.ok(afterGc < afterPush, `heap + buffers went from ${afterPush} to ${afterGc} bytes`);
    // Every line is still there, and queries run.
    const u = new URL(on.url + '/loki/api/v1/query');
    u.searchParams.set('query', 'sum(count_over_time({job=~"gov.*"}[4h]))');
    u.searchParams.set('time', end);
    const total = await fetch(u);
    const text = await total.text();
    assert.equal(total.status, 200, short(text));
    assert.equal(Number((JSON.parse(text) as { data: { result: Array<{ value: [number, string] }> } }).data.result[0]!.value[1]), bursts * 60_000);
  } finally {
    await on.stop();
  }
  const off = await launch([], ['memory_soft_limit_mb: 0', 'storage:', '  max_block_age: 1h']);
  try {
    assert.equal(await metric(off.url, 'logwharf_memory_soft_limit_bytes'), 0);
    await push(off.url, 'gov', 120_000, line);
    const r = await query(off.url, '{job="gov"} |= "request"', 1000);
    assert.equal(r.status, 200, short(r.text));
    assert.equal(await metric(off.url, 'logwharf_memory_governor_gcs_total'), 0, 'off: no collection asked for');
  } finally {
    await off.stop();
  }
});
