/**
 * `logwharf export` and `logwharf import` throughput on the benchmark corpus (bench/corpus.mjs).
 *
 *   npm run build && node --import tsx bench/export.bench.ts          # 200k lines, 3 runs
 *   LINES=2000000 RUNS=1 node --import tsx bench/export.bench.ts
 *
 * Starts a source server (dist/, child process), pushes the corpus once (labels job, container,
 * host as bench/server.bench.ts does), then RUNS times: exports the whole day with the CLI as a user
 * runs it (a child process; jsonl to a file, default --parallel 2, --limit 5000 = Loki's largest
 * default) and imports that file into a fresh server. Entries per second are wall-clock, the CLI
 * process and the server sharing this machine. Each run checks that the export holds as many
 * entries as the source's count_over_time and the target then holds the same count.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamPush } from '../src/api/model.js';
import { LokiClient } from '../src/api/client.js';
import { REPO, corpusRows, corpusServerConfig, ensureCorpus, median, pushStreams, startLogwharf } from './harness.js';

const LINES = Number(process.env.LINES ?? 200_000);
const RUNS = Number(process.env.RUNS ?? 3);
const BATCH_LINES = 2000;

const dir = mkdtempSync(join(tmpdir(), 'logwharf-export-bench-'));
const config = join(dir, 'server.yaml');
// The corpus is from 2024: no age limits, no retention, no rate limits (as bench/server.bench.ts).
writeFileSync(config, corpusServerConfig());

function cli(args: string[]): Promise<{ seconds: number; stderr: string }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [join(REPO, 'dist/cli/main.js'), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (c) => (stderr += c));
    p.on('exit', (code) => (code === 0 ? resolve({ seconds: (performance.now() - t0) / 1000, stderr }) : reject(new Error(`logwharf ${args[0]} exited ${code}: ${stderr}`))));
  });
}

async function total(url: string, from: bigint, to: bigint): Promise<number> {
  const secs = (to - from) / 1_000_000_000n + 1n;
  const res = await new LokiClient({ addr: url }).query(`sum(count_over_time({job="docker"}[${secs}s]))`, { time: to });
  const r = res.data.result as Array<{ value: [number, string] }>;
  return r.length ? Number(r[0]!.value[1]) : 0;
}

const meta = ensureCorpus(LINES);
const from = BigInt(meta.tsFirst) * 1_000_000n;
const to = (BigInt(meta.tsLast) + 1n) * 1_000_000n;
const source = await startLogwharf('server', ['--data', join(dir, 'source'), '--config', config, '--log-level', 'warn']);
const exportRates: number[] = [];
const importRates: number[] = [];
let entries = 0;
try {
  let batch = new Map<string, StreamPush>();
  let n = 0;
  for await (const row of corpusRows(LINES)) {
    let s = batch.get(row.container);
    if (!s) batch.set(row.container, (s = { labels: { job: 'docker', container: row.container, host: 'bench' }, entries: [] }));
    s.entries.push({ ts: BigInt(row.ms) * 1_000_000n, line: row.line });
    if (++n % BATCH_LINES === 0) {
      await pushStreams(source.url, [...batch.values()]);
      batch = new Map();
    }
  }
  if (batch.size) await pushStreams(source.url, [...batch.values()]);
  entries = await total(source.url, from, to);

  for (let run = 0; run < RUNS; run++) {
    const file = join(dir, `export-${run}.jsonl`);
    const ex = await cli(['export', '{job="docker"}', '--from', from.toString(), '--to', to.toString(), '--addr', source.url, '--limit', '5000', '--out', file]);
    const lines = readFileSync(file, 'utf8').split('\n').length - 1;
    if (lines !== entries) throw new Error(`export wrote ${lines} entries, the source holds ${entries}`);
    exportRates.push(entries / ex.seconds);

    const target = await startLogwharf('server', ['--data', join(dir, `target-${run}`), '--config', config, '--log-level', 'warn']);
    try {
      const im = await cli(['import', file, '--addr', target.url]);
      const got = await total(target.url, from, to);
      if (got !== entries) throw new Error(`the target holds ${got} entries after import, the source ${entries}`);
      importRates.push(entries / im.seconds);
    } finally {
      await target.stop();
    }
    rmSync(file);
  }
} finally {
  await source.stop();
  rmSync(dir, { recursive: true, force: true });
}
const round = (xs: number[]) => xs.map((x) => Math.round(x));
console.log(
  JSON.stringify({
    lines: LINES,
    entries,
    runs: RUNS,
    export_entries_per_s: { median: Math.round(median(exportRates)), all: round(exportRates) },
    import_entries_per_s: { median: Math.round(median(importRates)), all: round(importRates) },
  }),
);
