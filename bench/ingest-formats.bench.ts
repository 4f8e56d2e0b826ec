/**
 * The server on the users' path (issue #12): the corpus pushed the way real clients send it, then the
 * query set timed in three phases.
 *
 *   npm run build
 *   LINES=300000 RUNS=3 node --import tsx bench/ingest-formats.bench.ts
 *   FORMATS=json-gzip,otlp ...          # some of protobuf, json, json-gzip, otlp (default all four)
 *   PHASES=fresh,sealed ...             # some of fresh, sealed, compacted (default all three); none: ingest only (with DISK_AFTER: and the disk samples)
 *   SERVER_REPO=/tmp/before             # the checkout whose dist/ runs as the server (an older build, to compare)
 *   SERVER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=bench/out/prof"   # node flags of the server child (node run directly, not the launcher)
 *   SERVER_STDOUT=/tmp/gc.txt           # the server's stdout appended there, e.g. with SERVER_NODE_FLAGS="--max-semi-space-size=2 --trace-gc"
 *                                       # (set the launcher's MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 MALLOC_TRIM_THRESHOLD_=1048576 too)
 *   BATCH_BYTES=1048576 CONCURRENCY=4   # raw line bytes per request, requests in flight (defaults)
 *   SEAL_AFTER=60s                      # storage.max_block_age of the server (default 60s); "default": the server's own
 *   DISK_AFTER=1m,5m,10m                # disk by kind sampled this long after ingest ended (after the fresh phase)
 *   ONLY=parsing | ONLY=countByContainer24h,needle24h   # narrow the query set (bench/query-set.ts)
 *   QUERY_WORKERS=0                     # query.workers of the server (what the worker threads cost in memory)
 *   COLD_BLOCK_BYTES=4194304            # storage.cold_block_bytes for the compacted phase (default: the store's default)
 *   COLD_LINE_COLUMNS=0|1               # storage.cold_line_columns for the compacted phase's cold blocks (default: the store's default)
 *   MEM_SAMPLE_MS=250                   # sample the server's memory parts through each phase; the sample at the highest RSS is printed as atPeak
 *   MEMORY_SOFT_LIMIT_MB=0              # memory_soft_limit_mb of the server (0 = the memory governor off; default: the server's)
 *   WARMUP_LINES=100000                 # before the measured ingest, push the corpus' first this many lines as other streams
 *                                       # (container "warmup-<name>"), so the figures are a warm server's (JIT, heap sizes);
 *                                       # default 0, a fresh server; ingest figures only (needs PHASES=none)
 *
 * Formats, each encoded by the agent's own encoder (src/agent/ship/push-body.ts), so the server sees
 * what those clients send:
 *   - protobuf: Loki protobuf + snappy, as Promtail and Alloy send (batch_size 1 MiB of lines);
 *   - json: Loki JSON, as pino-loki and many scripts send;
 *   - json-gzip: the same, gzipped (node:zlib, Content-Encoding: gzip);
 *   - otlp: OTLP logs protobuf to /otlp/v1/logs, as the OpenTelemetry exporters send (the container
 *     becomes the container.name resource attribute, so the streams are {container_name, service_name}
 *     and the queries select {container_name=~".+"}).
 * Batches: consecutive corpus lines grouped by container until BATCH_BYTES raw line bytes (Promtail's
 * batch_size counts line bytes), CONCURRENCY requests in flight.
 *
 * The server is started as users start it, through the launcher bin/logwharf (bench/harness.ts
 * startLogwharf), so its heap and malloc settings are the launcher's.
 *
 * Phases, each with the query set, server CPU, peak RSS (VmHWM, reset at the phase start through
 * /proc/<pid>/clear_refs), steady RSS (VmRSS once it stops moving), the server's heap and external
 * memory and head bytes (its /metrics), and disk by kind (WAL, blocks, index files, other):
 *   1. fresh: at once after ingest — recent data in heads and the WAL, the rest in hot blocks;
 *   2. sealed: once every head is sealed into hot blocks by storage.max_block_age (SEAL_AFTER; the
 *      bench waits for logwharf_store_head_bytes to reach 0, not a fixed time);
 *   3. compacted: the server stopped, the background compaction run once offline (cold tier, as
 *      bench/server.bench.ts does), the server restarted.
 * The ingest record splits the server's CPU into its main thread's (`mainThreadCpuSeconds`) and the
 * rest (V8's garbage-collection and compiler threads, libuv's pool: zlib, WAL writes, fsync).
 * Prints one JSON object per format and phase (on stdout, one per line), and the calibration figure
 * (bench/harness.ts `calibrate`) before and after the whole run, besides the one in each query set.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamPush } from '../src/api/model.js';
import { encodePushBody, type BodyFormat } from '../src/agent/ship/push-body.js';
import { createStore } from '../src/store/index.js';
import { REPO, calibrate, corpusRows, corpusServerConfig, cpuSeconds, mainThreadCpuSeconds, ensureCorpus, memoryMb, startLogwharf, type CorpusMeta, type Logwharf } from './harness.js';
import { du, timeQuerySet, type QuerySetResult } from './query-set.js';
import { parseDurationMs } from '../src/config/duration.js';

const FORMATS: Record<string, BodyFormat> = {
  protobuf: { output: 'loki', encoding: 'protobuf', compression: 'none' },
  json: { output: 'loki', encoding: 'json', compression: 'none' },
  'json-gzip': { output: 'loki', encoding: 'json', compression: 'gzip' },
  otlp: { output: 'otlp', encoding: 'protobuf', compression: 'none' },
};
const PHASES = ['fresh', 'sealed', 'compacted'] as const;
type Phase = (typeof PHASES)[number];

const LINES = Number(process.env.LINES ?? 300_000);
const RUNS = Number(process.env.RUNS ?? 3);
const BATCH_BYTES = Number(process.env.BATCH_BYTES ?? 1 << 20);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
// Longer than ingest plus the fresh phase's queries, so that phase finds recent data still in heads.
// "default" leaves storage.max_block_age out of the configuration: the server's default seal policy.
const SEAL_AFTER = process.env.SEAL_AFTER ?? '60s';
/** Disk by kind is sampled this long after ingest ended (each a record of its own, phase "disk"). */
const DISK_AFTER = (process.env.DISK_AFTER ?? '').split(',').filter((s) => s.trim() !== '').map((s) => ({ text: s.trim(), ms: parseDurationMs(s.trim()) }));
for (const d of DISK_AFTER) if (!Number.isFinite(d.ms) || d.ms < 0) throw new Error(`DISK_AFTER: "${d.text}" is not a duration (e.g. 30s, 5m)`);
DISK_AFTER.sort((a, b) => a.ms - b.ms);
const SERVER_REPO = process.env.SERVER_REPO ?? REPO;
const ONLY = process.env.ONLY;
/** COLD_LINE_COLUMNS=1 or 0: the offline compaction writes cold blocks as line columns or text (unset: the store's default). */
/** COLD_BLOCK_BYTES: raw bytes per cold block of the offline compaction (unset: the store's default). */
const COLD_BLOCK_BYTES = process.env.COLD_BLOCK_BYTES ? Number(process.env.COLD_BLOCK_BYTES) : undefined;
const COLD_LINE_COLUMNS = process.env.COLD_LINE_COLUMNS === undefined ? undefined : process.env.COLD_LINE_COLUMNS === '1';
/** query.workers of the server (default: the server's default), to see what the worker threads cost in memory. */
const QUERY_WORKERS = process.env.QUERY_WORKERS;
if (QUERY_WORKERS !== undefined && !/^\d+$/.test(QUERY_WORKERS)) throw new Error(`QUERY_WORKERS must be a non-negative integer, got "${QUERY_WORKERS}"`);
/** memory_soft_limit_mb of the server (default: the server's default), to compare the memory governor on and off. */
const MEMORY_SOFT_LIMIT_MB = process.env.MEMORY_SOFT_LIMIT_MB;
if (MEMORY_SOFT_LIMIT_MB !== undefined && !/^\d+$/.test(MEMORY_SOFT_LIMIT_MB)) throw new Error(`MEMORY_SOFT_LIMIT_MB must be a non-negative integer, got "${MEMORY_SOFT_LIMIT_MB}"`);
const formats = (process.env.FORMATS ?? process.env.FORMAT ?? Object.keys(FORMATS).join(',')).split(',').map((s) => s.trim());
const phases = (process.env.PHASES === 'none' ? [] : (process.env.PHASES ?? PHASES.join(',')).split(',').map((s) => s.trim())) as Phase[];
const SERVER_NODE_FLAGS = (process.env.SERVER_NODE_FLAGS ?? '').split(/\s+/).filter((f) => f !== '');
for (const f of formats) if (!FORMATS[f]) throw new Error(`FORMATS: unknown format "${f}" (one of ${Object.keys(FORMATS).join(', ')})`);
for (const p of phases) if (!PHASES.includes(p)) throw new Error(`PHASES: unknown phase "${p}" (one of ${PHASES.join(', ')})`);
for (const [k, v] of [['LINES', LINES], ['RUNS', RUNS], ['BATCH_BYTES', BATCH_BYTES], ['CONCURRENCY', CONCURRENCY]] as const) {
  if (!Number.isInteger(v) || v <= 0) throw new Error(`${k} must be a positive integer, got "${process.env[k]}"`);
}

const round = (x: number, digits = 0): number => Math.round(x * 10 ** digits) / 10 ** digits;

/** Disk by kind: the WAL, block segment files (hot and cold blocks share them), the tenants' stream and block index files, everything else (registry, fleet, audit). */
function diskByKind(dataDir: string): Record<string, number> {
  const out: Record<string, number> = { wal: 0, blocks: 0, index: 0, other: 0 };
  const walk = (dir: string, top: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p, top === '' ? name : top);
      else {
        const bytes = st.blocks * 512;
        if (top === 'wal') out.wal! += bytes;
        else if (name.endsWith('.seg')) out.blocks! += bytes;
        else if (top === 'tenants') out.index! += bytes;
        else out.other! += bytes;
      }
    }
  };
  walk(dataDir, '');
  return out;
}

/** A few gauges of the server's /metrics: heap, external memory, the query workers' heaps, bytes in heads, blocks. */
async function serverGauges(url: string): Promise<Record<string, number>> {
  const text = await (await fetch(url + '/metrics')).text();
  const get = (name: string) => {
    const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(text);
    return m ? Number(m[1]) : NaN;
  };
  return {
    heapUsedMb: round(get('logwharf_nodejs_heap_size_used_bytes') / 1048576),
    heapTotalMb: round(get('logwharf_nodejs_heap_size_total_bytes') / 1048576),
    externalMb: round(get('logwharf_nodejs_external_memory_bytes') / 1048576),
    // The query workers' heaps together (NaN from a build before issue #12's memory work).
    queryWorkerHeapMb: round(get('logwharf_query_worker_heap_bytes') / 1048576),
    headBytes: get('logwharf_store_head_bytes'),
    // Full GCs the memory governor asked for (memory_soft_limit_mb), and their time (NaN before issue #12's stop 17).
    governorGcs: get('logwharf_memory_governor_gcs_total'),
    governorGcSeconds: round(get('logwharf_memory_governor_gc_seconds_total'), 3),
    blocks: get('logwharf_store_blocks'),
  };
}

/** Resets the process' peak RSS (VmHWM) so that a phase's peak is its own (Linux; false if not allowed). */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** VmRSS once it moved less than 2 MB over 2 s (sampled every 250 ms), or after 20 s: the steady figure. */
async function steadyRss(pid: number): Promise<number> {
  const samples: number[] = [];
  const t0 = performance.now();
  for (;;) {
    samples.push(memoryMb(pid, 'VmRSS'));
    const last = samples.slice(-9);
    if (last.length === 9 && Math.max(...last) - Math.min(...last) < 2) return last[8]!;
    if (performance.now() - t0 > 20_000) return samples.at(-1)!;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * WARMUP_LINES: a fresh server spends its first seconds of pushes compiling the hot code and sizing
 * its heap (at 300k lines ~0.35 of ~2 CPU-seconds, mostly on V8's helper threads, issue #12, stop
 * 18), which a long-running server does once. Pushing some lines to another tenant first measures
 * the warm rate. Other streams, not another tenant: without auth_enabled every push is the default
 * tenant's, and the same streams again would be duplicates. The warm-up's heads stay in memory, so
 * idle and peak RSS include them, and its streams would be in the query phases' results: ingest only.
 */
const WARMUP_LINES = Number(process.env.WARMUP_LINES ?? 0);
if (!Number.isInteger(WARMUP_LINES) || WARMUP_LINES < 0) throw new Error(`WARMUP_LINES must be a non-negative integer, got "${process.env.WARMUP_LINES}"`);
if (WARMUP_LINES > 0 && (phases.length > 0 || DISK_AFTER.length > 0)) throw new Error('WARMUP_LINES measures ingest only: use it with PHASES=none and no DISK_AFTER');

/** Pushes the corpus (its first `maxLines` lines, containers named with `prefix`) in `format`; returns the lines pushed and the request count and body bytes. */
async function ingest(url: string, format: BodyFormat, maxLines = Infinity, prefix = ''): Promise<{ lines: number; requests: number; bodyBytes: number }> {
  const path = format.output === 'otlp' ? '/otlp/v1/logs' : '/loki/api/v1/push';
  let batch = new Map<string, StreamPush>();
  let batchBytes = 0;
  let lines = 0;
  let requests = 0;
  let bodyBytes = 0;
  const inflight = new Set<Promise<void>>();
  const send = async (streams: StreamPush[]) => {
    const b = encodePushBody(streams, format);
    bodyBytes += b.body.length;
    requests++;
    const headers: Record<string, string> = { 'Content-Type': b.contentType };
    if (b.contentEncoding) headers['Content-Encoding'] = b.contentEncoding;
    const res = await fetch(url + path, { method: 'POST', headers, body: b.body });
    const text = await res.text();
    if (res.status !== 204 && res.status !== 200) throw new Error(`push failed: ${res.status} ${text}`);
  };
  const flush = async () => {
    if (batch.size === 0) return;
    const streams = [...batch.values()];
    batch = new Map();
    batchBytes = 0;
    const p = send(streams).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= CONCURRENCY) await Promise.race(inflight);
  };
  for await (const row of corpusRows(LINES)) {
    if (lines >= maxLines) break;
    const { ms, line } = row;
    const container = prefix + row.container;
    let s = batch.get(container);
    if (!s) batch.set(container, (s = { labels: { job: 'docker', container, host: 'bench' }, entries: [] }));
    // Millisecond corpus timestamps, as server.bench.ts pushes them (exact duplicates are dropped alike).
    s.entries.push({ ts: BigInt(ms) * 1_000_000n, line });
    batchBytes += line.length;
    lines++;
    if (batchBytes >= BATCH_BYTES) await flush();
  }
  await flush();
  await Promise.all(inflight);
  return { lines, requests, bodyBytes };
}

/** Waits until the server holds no bytes in heads (every head sealed into a block by max_block_age). */
async function waitSealed(url: string, timeoutMs: number): Promise<number> {
  const t0 = performance.now();
  for (;;) {
    const g = await serverGauges(url);
    if (g.headBytes === 0) return round((performance.now() - t0) / 1000, 1);
    if (performance.now() - t0 > timeoutMs) throw new Error(`heads not sealed after ${timeoutMs} ms (${g.headBytes} bytes in heads)`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/**
 * MEM_SAMPLE_MS=250: the server's memory parts sampled through a phase (its /metrics every that
 * many ms, VmRSS with each), and the sample with the highest RSS reported as `atPeak`: which part
 * (main heap, its ArrayBuffers, the query workers' heaps) made the peak. Off by default (scrapes cost
 * the server a little CPU).
 */
const MEM_SAMPLE_MS = Number(process.env.MEM_SAMPLE_MS ?? 0);
if (!Number.isFinite(MEM_SAMPLE_MS) || MEM_SAMPLE_MS < 0) throw new Error(`MEM_SAMPLE_MS must be a number of ms, got "${process.env.MEM_SAMPLE_MS}"`);

function sampleMemory(server: Logwharf): { stop(): Promise<Record<string, number> | undefined> } {
  if (MEM_SAMPLE_MS <= 0) return { stop: async () => undefined };
  const pid = server.proc.pid!;
  let best: Record<string, number> | undefined;
  let running = true;
  const loop = (async () => {
    while (running) {
      try {
        const g = await serverGauges(server.url);
        const rssMb = round(memoryMb(pid, 'VmRSS'));
        if (!best || rssMb > best.rssMb!) best = { rssMb, ...g };
      } catch {
        // the server stopping: no sample
      }
      await new Promise((r) => setTimeout(r, MEM_SAMPLE_MS));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return best;
    },
  };
}

async function measurePhase(server: Logwharf, dataDir: string, meta: CorpusMeta, format: string, phase: Phase, queryOpts: { selector: string; containerLabel: string }) {
  const pid = server.proc.pid!;
  const cpu0 = cpuSeconds(pid);
  const sampler = sampleMemory(server);
  const queries: QuerySetResult = await timeQuerySet(server.url, pid, meta, `${format} ${phase}`, { runs: RUNS, only: ONLY, ...queryOpts });
  const atPeak = await sampler.stop();
  const queryCpu = cpuSeconds(pid) - cpu0;
  const peakRssMb = round(memoryMb(pid, 'VmHWM'));
  const steadyRssMb = round(await steadyRss(pid));
  const disk = diskByKind(dataDir);
  const total = du(dataDir);
  return {
    queryPeakRssMb: peakRssMb,
    ...(atPeak ? { atPeak } : {}),
    steadyRssMb,
    server: await serverGauges(server.url),
    queriesServerCpuSeconds: round(queryCpu, 2),
    disk: { bytes: total, bytesPerRawByte: round(total / meta.lineBytes, 3), byKind: disk },
    queries,
  };
}

async function runFormat(name: string, meta: CorpusMeta): Promise<void> {
  const format = FORMATS[name]!;
  const dataDir = mkdtempSync(join(tmpdir(), 'logwharf-bench-'));
  const configPath = join(dataDir, '..', `logwharf-bench-${process.pid}-${name}.yaml`);
  // The corpus is from 2024: no age limits, no retention, no rate limits; no background compaction
  // (phase 3 runs it once, offline and timed). Heads are sealed after SEAL_AFTER (phase 2).
  writeFileSync(configPath, corpusServerConfig({ storage: SEAL_AFTER === 'default' ? [] : [`max_block_age: ${SEAL_AFTER}`], extra: [...(QUERY_WORKERS !== undefined ? ['query:', `  workers: ${QUERY_WORKERS}`] : []), ...(MEMORY_SOFT_LIMIT_MB !== undefined ? [`memory_soft_limit_mb: ${MEMORY_SOFT_LIMIT_MB}`] : [])] }));
  const args = ['--data', dataDir, '--config', configPath, '--log-level', 'warn'];
  const queryOpts = format.output === 'otlp' ? { selector: '{container_name=~".+"}', containerLabel: 'container_name' } : { selector: '{job="docker"}', containerLabel: 'container' };
  let server = await startLogwharf('server', args, SERVER_REPO, SERVER_NODE_FLAGS);
  try {
    const pid = server.proc.pid!;
    const warmup = WARMUP_LINES > 0 ? await ingest(server.url, format, WARMUP_LINES, 'warmup-') : undefined;
    // The idle server's own footprint (code, V8 heaps, the query worker threads once started), before any push (but the warm-up's).
    const idleRssMb = round(memoryMb(pid, 'VmRSS'));
    const peakResettable = resetPeak(pid);
    const cpu0 = cpuSeconds(pid);
    const main0 = mainThreadCpuSeconds(pid);
    const t0 = performance.now();
    const sampler = sampleMemory(server);
    const pushed = await ingest(server.url, format);
    const ingestEnd = performance.now();
    const cpu = cpuSeconds(pid) - cpu0;
    const mainCpu = mainThreadCpuSeconds(pid) - main0;
    const atPeak = await sampler.stop();
    const wall = (ingestEnd - t0) / 1000;
    const ingestRecord = {
      ...(warmup ? { warmupLines: warmup.lines } : {}),
      idleRssMb,
      lines: pushed.lines,
      requests: pushed.requests,
      bodyMbPerRequest: round(pushed.bodyBytes / pushed.requests / 1048576, 2),
      wallSeconds: round(wall, 2),
      serverCpuSeconds: round(cpu, 2),
      // The main thread's share; the rest is V8's helper threads (GC, compilation) and libuv's pool.
      mainThreadCpuSeconds: round(mainCpu, 2),
      linesPerCpuSecond: Math.round(pushed.lines / cpu),
      linesPerWallSecond: Math.round(pushed.lines / wall),
      peakRssMb: round(memoryMb(pid, 'VmHWM')),
      ...(atPeak ? { atPeak } : {}),
      server: await serverGauges(server.url),
      disk: { ...diskByKind(dataDir), total: du(dataDir) },
    };
    const emit = (phase: string, record: object) =>
      console.log(JSON.stringify({ format: name, phase, lines: pushed.lines, rawBytes: meta.lineBytes, peakResettable, ...record }));
    emit('ingest', ingestRecord);
    if (phases.includes('fresh')) {
      resetPeak(pid);
      emit('fresh', await measurePhase(server, dataDir, meta, name, 'fresh', queryOpts));
    }
    // Disk at given times after ingest, with whatever seal policy the server runs (a real clock: the
    // bench waits). The WAL is what shrinks as heads are sealed and checkpoints delete its segments.
    for (const d of DISK_AFTER) {
      const wait = ingestEnd + d.ms - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const byKind = diskByKind(dataDir);
      const total = du(dataDir);
      emit('disk', { after: d.text, afterSeconds: round((performance.now() - ingestEnd) / 1000, 1), server: await serverGauges(server.url), disk: { bytes: total, bytesPerRawByte: round(total / meta.lineBytes, 3), byKind, perRawByte: Object.fromEntries(Object.entries(byKind).map(([k, v]) => [k, round(v / meta.lineBytes, 3)])) } });
    }
    if (phases.includes('sealed')) {
      const waitedSeconds = await waitSealed(server.url, 10 * 60_000);
      resetPeak(pid);
      emit('sealed', { waitedSeconds, ...(await measurePhase(server, dataDir, meta, name, 'sealed', queryOpts)) });
    }
    if (phases.includes('compacted')) {
      await server.stop();
      // The compaction the server runs every storage.compaction_interval (the corpus is older than
      // storage.cold_after, so all of it goes to the cold tier), once, here, timed, as server.bench.ts.
      const cpuC0 = process.cpuUsage();
      const tC0 = performance.now();
      const store = createStore({ dir: dataDir, coldAfterMs: 0, compactionIntervalMs: 0, retention: { periodMs: 0 }, ...(COLD_LINE_COLUMNS === undefined ? {} : { coldLineColumns: COLD_LINE_COLUMNS }), ...(COLD_BLOCK_BYTES ? { coldBlockBytes: COLD_BLOCK_BYTES } : {}) });
      await store.start();
      await store.compact();
      await store.close();
      const cpuC = process.cpuUsage(cpuC0);
      const compaction = { cpuSeconds: round((cpuC.user + cpuC.system) / 1e6, 2), wallSeconds: round((performance.now() - tC0) / 1000, 2) };
      server = await startLogwharf('server', args, SERVER_REPO, SERVER_NODE_FLAGS);
      resetPeak(server.proc.pid!);
      emit('compacted', { compaction, ...(await measurePhase(server, dataDir, meta, name, 'compacted', queryOpts)) });
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(configPath, { force: true });
  }
}

async function main(): Promise<void> {
  if (!existsSync(join(SERVER_REPO, 'dist/cli/main.js'))) throw new Error(`run \`npm run build\` in ${SERVER_REPO} first (the server runs from dist/, through bin/logwharf)`);
  const meta = ensureCorpus(LINES);
  const calBefore = calibrate();
  console.log(JSON.stringify({ calibrationBefore: calBefore.text, scanMBps: round(calBefore.scanMBps), loopMps: round(calBefore.loopMps), lines: meta.lines, rawBytes: meta.lineBytes, batchBytes: BATCH_BYTES, concurrency: CONCURRENCY, sealAfter: SEAL_AFTER, diskAfter: DISK_AFTER.map((d) => d.text), serverRepo: SERVER_REPO, runs: RUNS, queryWorkers: QUERY_WORKERS ?? 'default', memorySoftLimitMb: MEMORY_SOFT_LIMIT_MB ?? 'default', warmupLines: WARMUP_LINES, serverNodeFlags: SERVER_NODE_FLAGS.join(' ') }));
  for (const f of formats) await runFormat(f, meta);
  const calAfter = calibrate();
  console.log(JSON.stringify({ calibrationAfter: calAfter.text, scanMBps: round(calAfter.scanMBps), loopMps: round(calAfter.loopMps) }));
}

await main();
