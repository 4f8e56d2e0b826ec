/**
 * Store ingest and needle benchmark on the benchmark corpus (issue 2 §5): appends the corpus in
 * push-sized batches (BATCH lines, grouped by stream like a push, CONCURRENCY appends in flight),
 * then reports store CPU per line (corpus parsing measured separately and subtracted), bytes on
 * disk per raw line byte, peak RSS, and the 24-hour needle query time (blocks() with the needle
 * as a required string + readBlock + indexOf), warm, after a restart, and the time to decode every
 * block once on one thread (the floor of a full-scan query).
 * Then the steady state once compaction has run over the day: a full `compact()` with coldAfterMs 0
 * (every block goes to the cold tier), its CPU time, bytes on disk per raw byte after it, and the
 * needle query again.
 * Usage: LINES=2000000 BATCH=1000 CONCURRENCY=8 [LEVEL=1] [COLD_LEVEL=17] [COLD_BYTES=1048576] npx tsx bench/store-ingest.ts
 * COMPACT_ONLY=<copy of a store-data dir> runs only the compaction part on it (it is modified).
 * RSS without tsx's loader (~40 MB of it): bundle with esbuild (zstd-napi, prom-client external)
 * and run the bundle with LOGWHARF_ROOT set to the repository.
 * The corpus is streamed from disk so its size does not count in the RSS figure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StreamPush } from '../src/api/model.js';
import { createStore } from '../src/store/index.js';

// The repository root; overridable so a bundled copy (plain node, no tsx, for a clean RSS figure) finds its files.
const root = process.env.LOGWHARF_ROOT ?? join(dirname(fileURLToPath(import.meta.url)), '..');
const here = join(root, 'bench');
const LINES = Number(process.env.LINES || 2_000_000);
const BATCH = Number(process.env.BATCH || 1000);
const CONCURRENCY = Number(process.env.CONCURRENCY || 8);
/** zstd level of sealed blocks (the store's default is 1). */
const LEVEL = process.env.LEVEL ? Number(process.env.LEVEL) : undefined;
/** zstd level and raw size of cold blocks (the store's defaults otherwise). */
const COLD_LEVEL = process.env.COLD_LEVEL ? Number(process.env.COLD_LEVEL) : undefined;
const COLD_BYTES = process.env.COLD_BYTES ? Number(process.env.COLD_BYTES) : undefined;
const NEEDLE_UUID = 'f3b1c2d4-9a7e-4c1b-8e2f-5d6a7b8c9d0e';

function corpusFile(): { file: string; lineBytes: number } {
  const dir = join(here, 'out');
  mkdirSync(dir, { recursive: true });
  // Reuse the default-size corpus other benchmarks generate; otherwise make one of LINES lines.
  const shared = join(dir, 'corpus.tsv');
  const file = existsSync(shared + '.meta.json') && JSON.parse(readFileSync(shared + '.meta.json', 'utf8')).lines === LINES ? shared : join(dir, `corpus-${LINES}.tsv`);
  if (!existsSync(file + '.meta.json')) {
    execFileSync(process.execPath, [join(here, 'corpus.mjs')], { env: { ...process.env, LINES: String(LINES), OUT: file }, stdio: 'inherit' });
  }
  const meta = JSON.parse(readFileSync(file + '.meta.json', 'utf8')) as { lineBytes: number };
  return { file, lineBytes: meta.lineBytes };
}

/**
 * Streams the corpus as batches of BATCH lines grouped by container. Lines are decoded from the
 * file buffer one by one (fresh strings, as a protobuf push decoder makes them), so heads do not
 * pin whole read chunks in memory.
 */
function* batches(file: string): Generator<StreamPush[]> {
  const fd = openSync(file, 'r');
  let buf = Buffer.allocUnsafe(4 << 20);
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
        const a = buf.indexOf(9, p);
        const b = buf.indexOf(9, a + 1);
        const ts = BigInt(buf.toString('latin1', p, a)) * 1_000_000n;
        const container = buf.toString('latin1', a + 1, b);
        let s = cur.get(container);
        if (!s) cur.set(container, (s = { labels: { job: 'docker', container }, entries: [] }));
        s.entries.push({ ts, line: buf.toString('utf8', b + 1, nl) });
        p = nl + 1;
        if (++n === BATCH) {
          yield [...cur.values()];
          cur = new Map();
          n = 0;
        }
      }
      // Keep the unfinished line; a fresh buffer, because yielded strings do not reference it anyway.
      const next = Buffer.allocUnsafe(buf.length);
      buf.copy(next, 0, p, len);
      len -= p;
      buf = next;
    }
    if (n > 0) yield [...cur.values()];
  } finally {
    closeSync(fd);
  }
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    total += st.isDirectory() ? dirBytes(p) : st.size;
  }
  return total;
}

/** Bytes on disk by kind: block segments, index files (index.log, streams.log), WAL. */
function diskByKind(dir: string): { blocks: number; index: number; wal: number; total: number } {
  const out = { blocks: 0, index: 0, wal: 0, total: 0 };
  const walk = (d: string, kind: 'blocks' | 'index' | 'wal' | undefined) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p, name === 'wal' ? 'wal' : name === 'blocks' ? 'blocks' : kind);
      else {
        const k = kind ?? 'index';
        out[k] += st.size;
        out.total += st.size;
      }
    }
  };
  walk(dir, undefined);
  return out;
}

/** A full compaction with every block old enough for the cold tier; CPU and wall time, disk after. */
async function compactAll(dir: string, lineBytes: number): Promise<object> {
  const store = createStore({
    dir,
    compactionIntervalMs: 0,
    retention: { periodMs: 0 },
    coldAfterMs: 0,
    ...(COLD_LEVEL !== undefined ? { coldCompressionLevel: COLD_LEVEL } : {}),
    ...(COLD_BYTES !== undefined ? { coldBlockBytes: COLD_BYTES } : {}),
  });
  await store.start();
  const before = diskByKind(dir);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const r = await store.compact({ unlinkGraceMs: 0 });
  const cpuS = cpuSeconds(cpu);
  const wall = (performance.now() - t0) / 1000;
  await store.close();
  const after = diskByKind(dir);
  const per = (d: { blocks: number; index: number; total: number }) => ({
    perRawByte: +((d.blocks + d.index) / lineBytes).toFixed(4),
    blocks: +(d.blocks / lineBytes).toFixed(4),
    index: +(d.index / lineBytes).toFixed(4),
  });
  return {
    coldLevel: COLD_LEVEL ?? 'default',
    coldBytes: COLD_BYTES ?? 'default',
    result: r,
    cpuSeconds: +cpuS.toFixed(2),
    wallSeconds: +wall.toFixed(2),
    rawMBPerCpuSecond: +(r.coldRawBytes / 1e6 / cpuS).toFixed(2),
    before: per(before),
    after: per(after),
  };
}

function needleChild(dir: string): unknown {
  const child = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { env: { ...process.env, NEEDLE_ONLY: dir, COMPACT_ONLY: '' }, encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`needle run failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as unknown;
}

function cpuSeconds(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
}

/** The 24-hour needle query, warm: three warm-up rounds (JIT, file handles, page cache), then 15 measured. */
async function needleQuery(dir: string): Promise<object> {
  const store = createStore({ dir, compactionIntervalMs: 0, retention: { periodMs: 0 } });
  await store.start();
  const ALL: [bigint, bigint] = [0n, 2n ** 62n];
  const times: number[] = [];
  let found = 0;
  let blocksRead = 0;
  for (let i = 0; i < 18; i++) {
    const q0 = performance.now();
    const ids = store.streams('fake', [{ name: 'job', op: '=', value: 'docker' }], ...ALL).map((s) => s.id);
    const refs = store.blocks('fake', ids, ...ALL, { required: [[NEEDLE_UUID]] });
    found = 0;
    for (const r of refs) for (const e of await store.readBlock(r)) if (e.line.indexOf(NEEDLE_UUID) >= 0) found++;
    if (i >= 3) times.push(performance.now() - q0);
    blocksRead = refs.length;
  }
  const ids = store.streams('fake', [], ...ALL).map((s) => s.id);
  const all = store.blocks('fake', ids, ...ALL);
  const blocksTotal = all.length;
  // Decoding every block once on one thread (what a full-scan query costs before filtering).
  const scans: number[] = [];
  for (let i = 0; i < 3; i++) {
    const s0 = performance.now();
    for (const r of all) await store.readBlock(r);
    scans.push(performance.now() - s0);
  }
  await store.close();
  times.sort((a, b) => a - b);
  scans.sort((a, b) => a - b);
  return { found, blocksRead, blocksTotal, medianMs: +times[Math.floor(times.length / 2)]!.toFixed(2), maxMs: +times[times.length - 1]!.toFixed(2), decodeAllMs: Math.round(scans[1]!) };
}

async function main(): Promise<void> {
  if (process.env.NEEDLE_ONLY) {
    console.log(JSON.stringify(await needleQuery(process.env.NEEDLE_ONLY)));
    return;
  }
  const { file, lineBytes } = corpusFile();
  if (process.env.COMPACT_ONLY) {
    const compaction = await compactAll(process.env.COMPACT_ONLY, lineBytes);
    console.log(JSON.stringify({ compaction, needleAfterCompaction: needleChild(process.env.COMPACT_ONLY) }, null, 2));
    return;
  }
  const dir = join(here, 'out', 'store-data');
  rmSync(dir, { recursive: true, force: true });
  // The corpus is from 2024: retention off, so nothing expires during the run.
  const store = createStore({ dir, compactionIntervalMs: 0, retention: { periodMs: 0 }, ...(LEVEL !== undefined ? { compressionLevel: LEVEL } : {}) });
  await store.start();
  let peakRss = process.memoryUsage().rss;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  let cpu = process.cpuUsage();
  const t0 = performance.now();
  const inflight = new Set<Promise<unknown>>();
  let lines = 0;
  for (const b of batches(file)) {
    for (const s of b) lines += s.entries.length;
    const p = store.append('fake', b).finally(() => inflight.delete(p));
    inflight.add(p);
    if (inflight.size >= CONCURRENCY) await Promise.race(inflight);
  }
  await Promise.all(inflight);
  const totalCpu = cpuSeconds(cpu);
  if (process.env.MEM) console.error(process.memoryUsage());
  const wall = (performance.now() - t0) / 1000;
  await store.close();
  clearInterval(sampler);
  const maxRss = process.resourceUsage().maxRSS * 1024;
  const disk = dirBytes(dir);

  // Reading and parsing the corpus file is the benchmark's cost, not the store's: measured alone
  // (after the ingest, so its garbage does not count in the ingest's RSS) and subtracted.
  cpu = process.cpuUsage();
  let parsed = 0;
  for (const b of batches(file)) for (const s of b) parsed += s.entries.length;
  const parseCpu = cpuSeconds(cpu);
  const ingestCpu = totalCpu - parseCpu;

  // The needle query runs in a fresh process (as a restarted server would answer it), so the
  // ingest's garbage does not land in its timings.
  const needle = needleChild(dir);
  const compaction = process.env.NO_COMPACT ? undefined : await compactAll(dir, lineBytes);
  const needleAfterCompaction = compaction ? needleChild(dir) : undefined;

  console.log(
    JSON.stringify(
      {
        lines,
        parsedLines: parsed,
        rawLineBytes: lineBytes,
        storeCpuSeconds: +ingestCpu.toFixed(2),
        linesPerCpuSecond: Math.round(lines / ingestCpu),
        microsPerLine: +((ingestCpu * 1e6) / lines).toFixed(2),
        wallSeconds: +wall.toFixed(2),
        corpusParseCpuSeconds: +parseCpu.toFixed(2),
        diskBytes: disk,
        diskPerRawByte: +(disk / lineBytes).toFixed(4),
        peakRssMB: Math.round(peakRss / 2 ** 20),
        processMaxRssMB: Math.round(maxRss / 2 ** 20),
        needle,
        compaction,
        needleAfterCompaction,
      },
      null,
      2,
    ),
  );
}

await main();
