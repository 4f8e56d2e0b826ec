/**
 * What a seal age costs in blocks, disk and query time (issue #12): the corpus written as if it
 * arrived live at its own timestamps, with every head sealed every SEAL minutes of corpus time,
 * then the query set over the hot blocks as sealed and again after the hot compaction (the
 * server's storage.compaction_interval run, which merges runs of small blocks; cold tier off, as
 * for data younger than storage.cold_after).
 *
 *   npm run build
 *   LINES=300000 RUNS=3 SEALS=60m,5m node --import tsx bench/seal-policy.bench.ts
 *
 * Emulated, and said so: the store is written in-process with a clock that follows the corpus
 * timestamps, and a seal of every head at each SEAL boundary stands for storage.max_block_age
 * (the age cut seals each head SEAL after its first entry; for streams that are never idle, as
 * the corpus' are, that is the same number of blocks of the same sizes). Heads also seal at
 * storage.block_target_bytes as usual. The corpus (~3.5 lines a second over 24 hours in its
 * containers) is quiet data: the worst case for small blocks. Queries go to the real server
 * (dist/) over HTTP, its CPU read from /proc, with the calibration figure before and after.
 */
import { mkdtempSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StreamPush } from '../src/api/model.js';
import { parseDurationMs } from '../src/config/duration.js';
import { createStore } from '../src/store/index.js';
import { REPO, calibrate, corpusRows, corpusServerConfig, ensureCorpus, startLogwharf } from './harness.js';
import { du, timeQuerySet } from './query-set.js';

const LINES = Number(process.env.LINES ?? 300_000);
const RUNS = Number(process.env.RUNS ?? 3);
const SEALS = (process.env.SEALS ?? '60m,5m').split(',').map((s) => ({ text: s.trim(), ms: parseDurationMs(s.trim()) }));
for (const s of SEALS) if (!Number.isFinite(s.ms) || s.ms <= 0) throw new Error(`SEALS: "${s.text}" is not a positive duration`);
for (const [k, v] of [['LINES', LINES], ['RUNS', RUNS]] as const) if (!Number.isInteger(v) || v <= 0) throw new Error(`${k} must be a positive integer, got "${process.env[k]}"`);

async function blockCount(url: string): Promise<number> {
  const m = /^logwharf_store_blocks (\d+)$/m.exec(await (await fetch(url + '/metrics')).text());
  return m ? Number(m[1]) : NaN;
}

/** Writes the corpus into `dir`, sealing every head at each `sealMs` boundary of corpus time. */
async function write(dir: string, sealMs: number): Promise<{ seconds: number }> {
  let clock = 0;
  const store = createStore({ dir, now: () => clock, compactionIntervalMs: 0, maxBlockAgeMs: 1000 * 24 * 3600_000, retention: { periodMs: 0 } });
  await store.start();
  const t0 = performance.now();
  let batch = new Map<string, StreamPush>();
  let rows = 0;
  let boundary = -1;
  const append = async () => {
    if (batch.size > 0) await store.append('fake', [...batch.values()]);
    batch = new Map();
    rows = 0;
  };
  for await (const { ms, container, line } of corpusRows(LINES)) {
    if (boundary < 0) boundary = Math.floor(ms / sealMs) * sealMs + sealMs;
    if (ms >= boundary) {
      await append();
      await store.flush();
      boundary = Math.floor(ms / sealMs) * sealMs + sealMs;
    }
    clock = ms;
    let s = batch.get(container);
    if (!s) batch.set(container, (s = { labels: { job: 'docker', container, host: 'bench' }, entries: [] }));
    s.entries.push({ ts: BigInt(ms) * 1_000_000n, line });
    if (++rows >= 2000) await append();
  }
  await append();
  await store.close();
  return { seconds: Math.round((performance.now() - t0) / 100) / 10 };
}

async function main(): Promise<void> {
  if (!existsSync(join(REPO, 'dist/cli/main.js'))) throw new Error('run `npm run build` first (the server runs from dist/)');
  const meta = ensureCorpus(LINES);
  console.log(JSON.stringify({ calibrationBefore: calibrate().text, lines: meta.lines, rawBytes: meta.lineBytes, runs: RUNS }));
  for (const seal of SEALS) {
    const dataDir = mkdtempSync(join(tmpdir(), 'logwharf-seal-bench-'));
    const configPath = dataDir + '.yaml';
    writeFileSync(configPath, corpusServerConfig());
    try {
      const written = await write(dataDir, seal.ms);
      for (const phase of ['sealed', 'merged'] as const) {
        if (phase === 'merged') {
          // The server's periodic compaction, once, offline; the cold tier off (data younger than cold_after).
          const store = createStore({ dir: dataDir, coldAfterMs: -1, compactionIntervalMs: 0, retention: { periodMs: 0 } });
          await store.start();
          await store.compact({ unlinkGraceMs: 0 });
          await store.close();
        }
        const server = await startLogwharf('server', ['--data', dataDir, '--config', configPath, '--log-level', 'warn']);
        try {
          const blocks = await blockCount(server.url);
          const queries = await timeQuerySet(server.url, server.proc.pid!, meta, `seal ${seal.text} ${phase}`, { runs: RUNS });
          console.log(JSON.stringify({ seal: seal.text, phase, writeSeconds: written.seconds, blocks, diskBytes: du(dataDir), bytesPerRawByte: Math.round((du(dataDir) / meta.lineBytes) * 1000) / 1000, queries }));
        } finally {
          await server.stop();
        }
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
      rmSync(configPath, { force: true });
    }
  }
  console.log(JSON.stringify({ calibrationAfter: calibrate().text }));
}

await main();
