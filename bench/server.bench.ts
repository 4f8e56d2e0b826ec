/**
 * End-to-end server benchmark on the benchmark corpus (bench/corpus.mjs).
 *
 *   node --import tsx bench/server.bench.ts            # 2M lines (generates bench/out/corpus.tsv once)
 *   LINES=200000 node --import tsx bench/server.bench.ts
 *   FORMAT=json node --import tsx bench/server.bench.ts # JSON push instead of protobuf+snappy
 *   DETECT_LEVELS=0 ...                                 # without Loki 3's detected_level enrichment
 *   SERVER_REPO=/path/to/checkout ...                  # run another checkout's dist/ (a before/after pair)
 *   COLD=0 ...                                          # only the fresh phase: no compaction, no restart
 *   COLD_LINE_COLUMNS=1 ...                             # cold blocks as line columns (storage.cold_line_columns: true)
 *   ONLY=parsing ...                                    # only the parsing queries (issue #12), in every phase
 *                                                       # (or a list of query names, bench/query-set.ts)
 *
 * Starts `logwharf server` (dist/, so run `npm run build` first) as a child process with a fresh
 * data dir, pushes the corpus over HTTP in Promtail-sized batches from this process, then reads:
 *   - server CPU seconds (from /proc/<pid>/stat) → lines per CPU-second of ingest;
 *   - peak RSS of the server (VmHWM);
 *   - bytes on disk per raw line byte as ingested, and after the background compaction (cold tier) has
 *     run once over the data (run here, timed, while the server is stopped);
 *   - warm query latencies (median of RUNS) at once after ingest (fresh: heads, WAL, hot blocks) and
 *     on the compacted data: the 24-hour needle, a case-insensitive regex, the metric queries of
 *     issue #3 and the parsing queries of issue #12 (`| json` grouped by level, `| logfmt` filtered);
 *   - the calibration figure (bench/harness.ts `calibrate`) before and after each phase, so figures
 *     from a busy or another machine can be compared.
 * Prints one JSON object; docs/benchmarks.md records the figures with this command.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, rmSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { encodePushRequest } from '../src/api/push/index.js';
import type { StreamPush } from '../src/api/model.js';
import { createStore } from '../src/store/index.js';
import { corpusServerConfig, cpuSeconds, memoryMb, startLogwharf } from './harness.js';
import { du, duByKind, timeQuerySet, type QuerySetResult } from './query-set.js';

const LINES = Number(process.env.LINES ?? 2_000_000);
const FORMAT = process.env.FORMAT ?? 'protobuf';
const RUNS = Number(process.env.RUNS ?? 7);
const BATCH_LINES = Number(process.env.BATCH_LINES ?? 2000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const COLD = process.env.COLD !== '0';
const ONLY = process.env.ONLY;
/** COLD_LINE_COLUMNS=1: the offline compaction writes cold blocks as line columns (storage.cold_line_columns, default false). */
const COLD_LINE_COLUMNS = process.env.COLD_LINE_COLUMNS === '1';
const REPO = new URL('../', import.meta.url).pathname;
const SERVER_REPO = process.env.SERVER_REPO ?? REPO;
const OUT = join(REPO, 'bench/out');
const corpus = join(OUT, LINES === 2_000_000 ? 'corpus.tsv' : `corpus-${LINES}.tsv`);

async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, ...env } });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited ${code}`))));
  });
}

async function main() {
  if (!existsSync(corpus)) {
    await run(process.execPath, [join(REPO, 'bench/corpus.mjs')], { LINES: String(LINES), OUT: corpus, SEED: '12648430', START: '2024-05-01T00:00:00Z' });
  }
  const meta = JSON.parse(readFileSync(corpus + '.meta.json', 'utf8')) as {
    lines: number;
    lineBytes: number;
    tsFirst: number;
    tsLast: number;
    needles: Record<string, unknown>;
  };
  const dataDir = mkdtempSync(join(tmpdir(), 'logwharf-bench-'));
  const configPath = join(dataDir, '..', `logwharf-bench-${process.pid}.yaml`);
  // The corpus is from 2024: no age limits, no retention, no rate limits for the benchmark.
  const { writeFileSync } = await import('node:fs');
  writeFileSync(configPath, corpusServerConfig({ discoverLogLevels: process.env.DETECT_LEVELS !== '0' }));
  let server = await startLogwharf('server', ['--data', dataDir, '--config', configPath, '--log-level', 'warn'], SERVER_REPO);
  const { proc, url } = server;
  const cpu0 = cpuSeconds(proc.pid!);

  // Read the corpus and push it in batches grouped by stream, like Promtail does.
  const t0 = performance.now();
  let batch: Map<string, StreamPush> = new Map();
  let batchLines = 0;
  let pushed = 0;
  const inflight = new Set<Promise<void>>();
  const send = async (streams: StreamPush[]) => {
    const body = FORMAT === 'json' ? Buffer.from(toJson(streams)) : encodePushRequest({ streams });
    const res = await fetch(url + '/loki/api/v1/push', {
      method: 'POST',
      headers: { 'Content-Type': FORMAT === 'json' ? 'application/json' : 'application/x-protobuf' },
      body,
    });
    if (res.status !== 204) throw new Error(`push failed: ${res.status} ${await res.text()}`);
  };
  const flush = async () => {
    if (batchLines === 0) return;
    const streams = [...batch.values()];
    batch = new Map();
    batchLines = 0;
    const p = send(streams).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= CONCURRENCY) await Promise.race(inflight);
  };
  const rl = createInterface({ input: createReadStream(corpus), crlfDelay: Infinity });
  for await (const row of rl) {
    const t1 = row.indexOf('\t');
    const t2 = row.indexOf('\t', t1 + 1);
    const ms = Number(row.slice(0, t1));
    const container = row.slice(t1 + 1, t2);
    const line = row.slice(t2 + 1);
    // Corpus timestamps are milliseconds and are pushed as they are (as Loki was measured); an entry
    // with the same stream, millisecond and line as another is an exact duplicate the server drops.
    const ts = BigInt(ms) * 1_000_000n;
    let s = batch.get(container);
    if (!s) batch.set(container, (s = { labels: { job: 'docker', container, host: 'bench' }, entries: [] }));
    s.entries.push({ ts, line });
    batchLines++;
    pushed++;
    if (batchLines >= BATCH_LINES) await flush();
  }
  await flush();
  await Promise.all(inflight);
  const wall = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(proc.pid!) - cpu0;
  const rss = memoryMb(proc.pid!, 'VmHWM');
  // Fresh data, at once after ingest: heads, WAL and hot blocks, as users query the last hours.
  const fresh = await timeQuerySet(url, proc.pid!, meta, 'fresh', { runs: RUNS, only: ONLY });
  await server.stop();
  const diskBytes = du(dataDir);
  const diskByKind = duByKind(dataDir, {});

  let cold: { compaction: { cpuSeconds: number; wallSeconds: number }; coldBytes: number; coldByKind: Record<string, number>; queries: QuerySetResult } | undefined;
  if (COLD) {
    // The steady state: run the compaction the server runs in the background (every
    // storage.compaction_interval; the corpus is older than storage.cold_after, so all of it goes to the
    // cold tier) once, here, while the server is stopped, and time it.
    const cpuC0 = process.cpuUsage();
    const tC0 = performance.now();
    const store = createStore({ dir: dataDir, coldAfterMs: 0, compactionIntervalMs: 0, retention: { periodMs: 0 }, coldLineColumns: COLD_LINE_COLUMNS });
    await store.start();
    await store.compact();
    await store.close();
    const cpuC = process.cpuUsage(cpuC0);
    const compaction = { cpuSeconds: Math.round((cpuC.user + cpuC.system) / 1e4) / 100, wallSeconds: Math.round((performance.now() - tC0) / 10) / 100 };
    const coldBytes = du(dataDir);
    const coldByKind = duByKind(dataDir, {});
    // Restart (proves recovery) and measure warm queries.
    server = await startLogwharf('server', ['--data', dataDir, '--config', configPath, '--log-level', 'warn'], SERVER_REPO);
    cold = { compaction, coldBytes, coldByKind, queries: await timeQuerySet(server.url, server.proc.pid!, meta, 'cold', { runs: RUNS, only: ONLY }) };
  }
  await server.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(configPath, { force: true });

  const out = {
    lines: pushed,
    rawBytes: meta.lineBytes,
    format: FORMAT,
    ingest: {
      wallSeconds: Math.round(wall * 100) / 100,
      serverCpuSeconds: Math.round(cpu * 100) / 100,
      linesPerCpuSecond: Math.round(pushed / cpu),
      linesPerWallSecond: Math.round(pushed / wall),
      peakRssMb: Math.round(rss),
    },
    disk: {
      asIngested: { bytes: diskBytes, bytesPerRawByte: Math.round((diskBytes / meta.lineBytes) * 1000) / 1000, byKind: diskByKind },
      ...(cold
        ? { afterCompaction: { bytes: cold.coldBytes, bytesPerRawByte: Math.round((cold.coldBytes / meta.lineBytes) * 1000) / 1000, byKind: cold.coldByKind, compaction: cold.compaction } }
        : {}),
    },
    queriesFresh: fresh,
    ...(cold ? { queries: cold.queries } : {}),
  };
  console.log(JSON.stringify(out, null, 1));
}

function toJson(streams: StreamPush[]): string {
  return JSON.stringify({ streams: streams.map((s) => ({ stream: s.labels, values: s.entries.map((e) => [e.ts.toString(), e.line]) })) });
}

await main();
