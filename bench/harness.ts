/**
 * What the benchmarks share: the benchmark corpus (bench/corpus.mjs, generated once into bench/out),
 * logwharf started through its launcher (bin/logwharf, running dist/) as a child process, and its CPU
 * and memory read from /proc.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, createReadStream, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { request as httpRequest, type Agent as HttpAgent } from 'node:http';
import type { StreamPush } from '../src/api/model.js';
import { encodePushRequest } from '../src/api/push/index.js';

export const REPO = new URL('../', import.meta.url).pathname;
export const OUT = join(REPO, 'bench/out');
/** The 2M-line corpus every store benchmark uses (seed 12648430, 2024-05-01). */
export const CORPUS = join(OUT, 'corpus.tsv');

export interface CorpusMeta {
  lines: number;
  lineBytes: number;
  tsFirst: number;
  tsLast: number;
  needles: Record<string, unknown>;
  streams: Array<{ n: string; kind: string; lines: number; bytes: number }>;
}

/** The corpus of `lines` lines (the same seed and start), generated once into bench/out. */
export function corpusPath(lines = 2_000_000): string {
  return lines === 2_000_000 ? CORPUS : join(OUT, `corpus-${lines}.tsv`);
}

export function ensureCorpus(lines = 2_000_000): CorpusMeta {
  const file = corpusPath(lines);
  if (!existsSync(file)) {
    mkdirSync(OUT, { recursive: true });
    execFileSync(process.execPath, [join(REPO, 'bench/corpus.mjs')], {
      env: { ...process.env, LINES: String(lines), OUT: file, SEED: '12648430', START: '2024-05-01T00:00:00Z' },
      stdio: 'inherit',
    });
  }
  return JSON.parse(readFileSync(file + '.meta.json', 'utf8')) as CorpusMeta;
}

/** The corpus rows (of `ensureCorpus(lines)`): timestamp (ms), container, line. */
export async function* corpusRows(lines = 2_000_000): AsyncGenerator<{ ms: number; container: string; line: string }> {
  const rl = createInterface({ input: createReadStream(corpusPath(lines)), crlfDelay: Infinity });
  for await (const row of rl) {
    const t1 = row.indexOf('\t');
    const t2 = row.indexOf('\t', t1 + 1);
    yield { ms: Number(row.slice(0, t1)), container: row.slice(t1 + 1, t2), line: row.slice(t2 + 1) };
  }
}

/** Pushes streams to `url`'s Loki push API as Promtail sends them (protobuf + snappy); throws unless 204. */
export async function pushStreams(url: string, streams: StreamPush[]): Promise<void> {
  const res = await fetch(url + '/loki/api/v1/push', { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf' }, body: encodePushRequest({ streams }) });
  if (res.status !== 204) throw new Error(`push failed: ${res.status} ${await res.text()}`);
}

/** utime + stime of a process, in seconds. */
export function cpuSeconds(pid: number): number {
  return statCpuSeconds(`/proc/${pid}/stat`);
}

/** utime + stime of a /proc stat file (a process' or one thread's), in seconds. */
function statCpuSeconds(path: string): number {
  const stat = readFileSync(path, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/**
 * CPU-seconds of a process' main thread (its JavaScript, and what V8 does on it), the rest being
 * its other threads: V8's (garbage collection helpers, background compilation) and libuv's pool
 * (zlib, file writes and fsync). Linux; NaN elsewhere.
 */
export function mainThreadCpuSeconds(pid: number): number {
  try {
    return statCpuSeconds(`/proc/${pid}/task/${pid}/stat`);
  } catch {
    return NaN;
  }
}

/** A /proc/<pid>/status memory field in MB: VmRSS (now) or VmHWM (peak). */
export function memoryMb(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The p-th percentile (nearest rank) of xs. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((s.length * p) / 100) - 1))]!;
}

export const median = (xs: readonly number[]): number => percentile(xs, 50);

/**
 * The server configuration the corpus benchmarks run with. The corpus is from 2024: no age limits,
 * no retention, no rate limits, and no background compaction (the benches run it once, offline and
 * timed). `storage` adds keys under `storage:`, `extra` whole top-level lines.
 */
export function corpusServerConfig(opts: { discoverLogLevels?: boolean; storage?: string[]; extra?: string[] } = {}): string {
  return [
    'limits:',
    ...(opts.discoverLogLevels !== undefined ? [`  discover_log_levels: ${opts.discoverLogLevels}`] : []),
    '  reject_old_samples: false',
    '  ingestion_rate_mb: 100000',
    '  ingestion_burst_size_mb: 100000',
    '  per_stream_rate_limit_mb: 100000',
    '  per_stream_rate_limit_burst_mb: 100000',
    '  out_of_order_window: 1000w',
    'retention:',
    '  period: 0s',
    'storage:',
    '  compaction_interval: 1000w',
    ...(opts.storage ?? []).map((l) => `  ${l}`),
    ...(opts.extra ?? []),
    '',
  ].join('\n');
}

export interface Logwharf {
  proc: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts `logwharf <role> ...args` as users do, through the launcher bin/logwharf (the image's
 * entrypoint and the manifests' command: it sets the server's heap and malloc options, issue #12),
 * running dist/, and resolves once it logs that it is ready. The launcher execs node, so the child's
 * pid is the server's. `repo` is the checkout whose build runs (another one, to compare against an
 * older build, with its own launcher). The environment passes through: a NODE_OPTIONS or malloc
 * variable set for an experiment wins over the launcher's defaults, as it would for a user.
 * `nodeFlags` (for example `--cpu-prof`, which node refuses in NODE_OPTIONS) start node directly
 * with them instead of the launcher: for profiles, not for memory figures (set the launcher's
 * MALLOC_* variables in the environment to keep its malloc). `SERVER_STDOUT=<file>` appends every
 * line the server prints to that file (what `--trace-gc` and the like print).
 */
export async function startLogwharf(role: 'server' | 'up', args: string[], repo: string = REPO, nodeFlags: string[] = []): Promise<Logwharf> {
  const main = join(repo, 'dist/cli/main.js');
  const proc = nodeFlags.length > 0
    ? spawn(process.execPath, [...nodeFlags, main, role, '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(join(repo, 'bin/logwharf'), [role, '--listen', '127.0.0.1:0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const copy = process.env.SERVER_STDOUT;
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: proc.stdout! }).on('line', (l) => {
      if (copy) appendFileSync(copy, l + '\n');
      try {
        const j = JSON.parse(l) as { msg?: string; address?: string };
        if (j.msg === 'logwharf server ready' && j.address) resolve(j.address);
      } catch {
        // not one of our JSON lines
      }
    });
    proc.on('exit', (c) => reject(new Error(`logwharf ${role} exited ${c}`)));
  });
  return {
    proc,
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  };
}

/** One request over `agent` (keep-alive, one socket, so requests go one after another); its status once the body is read. */
export function keepAliveRequest(agent: HttpAgent, url: string, method: string, path: string, headers: Record<string, string>, body?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = httpRequest({ agent, host: u.hostname, port: u.port, method, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A calibration figure for benchmarks on a shared machine: how fast this process scans a fixed
 * 8 MiB buffer for newlines with Buffer.indexOf and runs a fixed integer loop, right now. Quoted next
 * to a benchmark's figures from the same run, it says how much CPU the machine was giving (a figure
 * measured while it is half of the usual is as suspect as the calibration). Median of 5 rounds; MB/s
 * of the scan and millions of loop iterations per second.
 */
export function calibrate(): { scanMBps: number; loopMps: number; text: string } {
  const buf = Buffer.alloc(8 * 1024 * 1024, 0x61);
  for (let i = 99; i < buf.length; i += 100) buf[i] = 10;
  const scans: number[] = [];
  const loops: number[] = [];
  let sink = 0;
  for (let round = 0; round < 5; round++) {
    let t = process.hrtime.bigint();
    for (let pass = 0; pass < 4; pass++) for (let i = buf.indexOf(10); i >= 0; i = buf.indexOf(10, i + 1)) sink++;
    scans.push((4 * buf.length) / 1048576 / (Number(process.hrtime.bigint() - t) / 1e9));
    t = process.hrtime.bigint();
    let x = round;
    for (let i = 0; i < 20_000_000; i++) x = (x * 31 + i) | 0;
    sink += x & 1;
    loops.push(20 / (Number(process.hrtime.bigint() - t) / 1e9));
  }
  const scanMBps = median(scans);
  const loopMps = median(loops);
  return { scanMBps, loopMps, text: `calibration: indexOf scan ${scanMBps.toFixed(0)} MB/s, int loop ${loopMps.toFixed(0)} M/s (sink ${sink % 7})` };
}
