/**
 * Online backup cost (issue #15): how long `logwharf backup --addr` takes on a server holding the
 * benchmark corpus, and what it does to ingest running at the same time.
 *
 *   npm run build && node --import tsx bench/backup.bench.ts        # LINES=200000 by default
 *
 * Loads LINES corpus lines into a fresh server (bench/harness.ts), then pushes a steady load (batches
 * of 1,000 corpus lines, one at a time, 10 ms apart) for WINDOW_S seconds without a backup, and
 * WINDOW_S seconds with full backups (a new --out each) run back to back, and compares push latency
 * (p50, p99) and the server's CPU and RSS between the two windows; then one incremental backup.
 * Repeated ROUNDS times; medians are printed with every round's figures.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamPush } from '../src/api/model.js';
import { corpusRows, cpuSeconds, ensureCorpus, median, memoryMb, percentile, pushStreams, REPO, startLogwharf } from './harness.js';

const LINES = Number(process.env.LINES ?? 200_000);
const WINDOW_S = Number(process.env.WINDOW_S ?? 8);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const BATCH = 1000;

function toPush(rows: Array<{ ms: number; container: string; line: string }>, shiftNs: bigint): StreamPush[] {
  const by = new Map<string, StreamPush>();
  for (const r of rows) {
    let s = by.get(r.container);
    if (!s) by.set(r.container, (s = { labels: { container: r.container, job: 'bench' }, entries: [] }));
    s.entries.push({ ts: BigInt(r.ms) * 1_000_000n + shiftNs, line: r.line });
  }
  return [...by.values()];
}

async function main(): Promise<void> {
  ensureCorpus(LINES);
  const rows: Array<{ ms: number; container: string; line: string }> = [];
  for await (const r of corpusRows(LINES)) rows.push(r);
  const batches: StreamPush[][] = [];
  for (let i = 0; i < rows.length; i += BATCH) batches.push(toPush(rows.slice(i, i + BATCH), 0n));
  const results: Array<Record<string, number>> = [];
  for (let round = 0; round < ROUNDS; round++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'logwharf-bench-backup-'));
    const cfg = `${dataDir}.yaml`;
    writeFileSync(cfg, ['limits:', '  reject_old_samples: false', '  ingestion_rate_mb: 100000', '  ingestion_burst_size_mb: 100000', '  per_stream_rate_limit_mb: 100000', '  per_stream_rate_limit_burst_mb: 100000', '  out_of_order_window: 1000w', 'retention:', '  period: 0s', 'storage:', '  compaction_interval: 1000w', ''].join('\n'));
    const server = await startLogwharf('server', ['--data', dataDir, '--config', cfg, '--log-level', 'warn']);
    const pid = server.proc.pid!;
    try {
      for (let i = 0; i < batches.length; i += 4) await Promise.all(batches.slice(i, i + 4).map((b) => pushStreams(server.url, b)));
      // The steady load replays the corpus shifted by a day per pass, so every entry is new.
      let pass = 1;
      let next = 0;
      const steady = async (ms: number, during?: () => Promise<void>) => {
        const lat: number[] = [];
        const cpu0 = cpuSeconds(pid);
        let rss = 0;
        const end = performance.now() + ms;
        let stop = false;
        const side = during ? (async () => { while (!stop) await during(); })() : Promise.resolve();
        while (performance.now() < end) {
          if (next === batches.length) {
            next = 0;
            pass++;
          }
          const b = batches[next++]!.map((s) => ({ labels: s.labels, entries: s.entries.map((e) => ({ ts: e.ts + BigInt(pass) * 86_400_000_000_000n, line: e.line })) }));
          const t0 = performance.now();
          await pushStreams(server.url, b);
          lat.push(performance.now() - t0);
          rss = Math.max(rss, memoryMb(pid));
          await new Promise((r) => setTimeout(r, 10));
        }
        stop = true;
        await side;
        return { p50: percentile(lat, 50), p99: percentile(lat, 99), pushes: lat.length, cpu: cpuSeconds(pid) - cpu0, rss };
      };
      const base = await steady(WINDOW_S * 1000);
      const backupMs: number[] = [];
      const outs: string[] = [];
      const during = await steady(WINDOW_S * 1000, async () => {
        const out = mkdtempSync(join(tmpdir(), 'logwharf-bench-out-'));
        outs.push(out);
        const t0 = performance.now();
        // Asynchronously: this process also times the pushes, so it must not block.
        const code = await new Promise<number | null>((resolve) => spawn(process.execPath, [join(REPO, 'dist/cli/main.js'), 'backup', '--addr', server.url, '--out', join(out, 'b')], { stdio: 'ignore' }).on('exit', resolve));
        if (code !== 0) throw new Error(`backup failed: exit ${code}`);
        backupMs.push(performance.now() - t0);
      });
      const t1 = performance.now();
      const inc = spawnSync(process.execPath, [join(REPO, 'dist/cli/main.js'), 'backup', '--addr', server.url, '--out', join(outs[0]!, 'b')], { encoding: 'utf8' });
      const incMs = performance.now() - t1;
      const incSummary = JSON.parse(inc.stdout.trim()) as { copiedBytes: number; linked: number; files: number };
      const full = JSON.parse(spawnSync('du', ['-sb', join(outs.at(-1)!, 'b')], { encoding: 'utf8' }).stdout.split('\t')[0]!);
      for (const o of outs) rmSync(o, { recursive: true, force: true });
      const r = {
        backups: backupMs.length,
        backupMsMedian: Math.round(median(backupMs)),
        backupBytes: Number(full),
        incrementalMs: Math.round(incMs),
        incrementalCopiedBytes: incSummary.copiedBytes,
        incrementalLinked: incSummary.linked,
        baseP50: +base.p50.toFixed(1),
        baseP99: +base.p99.toFixed(1),
        duringP50: +during.p50.toFixed(1),
        duringP99: +during.p99.toFixed(1),
        basePushes: base.pushes,
        duringPushes: during.pushes,
        baseCpuS: +base.cpu.toFixed(2),
        duringCpuS: +during.cpu.toFixed(2),
        baseRssMb: Math.round(base.rss),
        duringRssMb: Math.round(during.rss),
      };
      results.push(r);
      console.log(JSON.stringify({ round, ...r }));
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(cfg, { force: true });
    }
  }
  const keys = Object.keys(results[0]!);
  console.log(JSON.stringify({ medians: Object.fromEntries(keys.map((k) => [k, median(results.map((r) => r[k]!))])) }));
}

await main();
