/**
 * CPU of decoding Loki JSON push bodies, plain and gzip, as bench/ingest-formats.bench.ts sends
 * them (the first LINES corpus lines, batched by container up to ~1 MiB of line bytes, encoded by
 * the agent's encoder, gzip level 1): `decodeLokiPush` alone, i.e. Content-Encoding, the text of
 * the body, JSON.parse and the entries (issue #12). It runs the decoder of this checkout and, with
 * SRC_REPO, of another one (a before build's sources) in alternation, round by round, and prints
 * the process CPU (all threads: gzip inflates on the libuv pool) per format, median and every round.
 *
 *   node --import tsx bench/json-push-decode.bench.ts
 *   SRC_REPO=/tmp/before LINES=300000 ROUNDS=7 node --import tsx bench/json-push-decode.bench.ts
 *
 * The process re-runs itself with the launcher's young generation (--max-semi-space-size=2, see
 * bin/logwharf), since the decoder's garbage is a large part of its cost and depends on it.
 */
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { REPO, calibrate, corpusRows, ensureCorpus } from './harness.js';
import type { StreamPush } from '../src/api/model.js';
import { encodePushBody } from '../src/agent/ship/push-body.js';

if (!process.execArgv.includes('--max-semi-space-size=2')) {
  const r = spawnSync(process.execPath, ['--max-semi-space-size=2', ...process.execArgv, process.argv[1]!], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const LINES = Number(process.env.LINES ?? 300_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const BATCH_BYTES = 1024 * 1024;
const sides: Array<[string, string]> = [['this', REPO]];
if (process.env.SRC_REPO) sides.unshift(['src_repo', process.env.SRC_REPO]);

type Decode = typeof import('../src/api/push/loki-push.js').decodeLokiPush;
const decoders: Array<[string, Decode]> = [];
for (const [name, repo] of sides) decoders.push([name, ((await import(join(repo, 'src/api/push/loki-push.ts'))) as typeof import('../src/api/push/loki-push.js')).decodeLokiPush]);

ensureCorpus(300_000 >= LINES ? 300_000 : 2_000_000);
const bodies: Buffer[] = [];
let batch = new Map<string, StreamPush>();
let bytes = 0;
let lines = 0;
const flush = (): void => {
  bodies.push(encodePushBody([...batch.values()], { output: 'loki', encoding: 'json', compression: 'none' }).body);
  batch = new Map();
  bytes = 0;
};
for await (const { ms, container, line } of corpusRows(300_000 >= LINES ? 300_000 : 2_000_000)) {
  let s = batch.get(container);
  if (!s) batch.set(container, (s = { labels: { job: 'docker', container, host: 'bench' }, entries: [] }));
  // Nanoseconds within the millisecond vary, as a client's clock gives them.
  s.entries.push({ ts: BigInt(ms) * 1_000_000n + BigInt(lines % 1_000_000), line });
  bytes += line.length;
  if (++lines >= LINES) break;
  if (bytes >= BATCH_BYTES) flush();
}
if (batch.size > 0) flush();
const gzipped = bodies.map((b) => gzipSync(b, { level: 1 }));
const formats = {
  json: bodies.map((body) => ({ contentType: 'application/json', body })),
  'json-gzip': gzipped.map((body) => ({ contentType: 'application/json', contentEncoding: 'gzip', body })),
};

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
console.log(JSON.stringify({ calibration: calibrate().text, lines, requests: bodies.length, bodyMb: +(bodies.reduce((a, b) => a + b.length, 0) / 1e6).toFixed(1), gzipMb: +(gzipped.reduce((a, b) => a + b.length, 0) / 1e6).toFixed(1) }));

const runs: Record<string, number[]> = {};
for (let round = -1; round < ROUNDS; round++) {
  for (const [side, decode] of decoders) {
    for (const [format, reqs] of Object.entries(formats)) {
      const t = cpuMs();
      for (const r of reqs) await decode(r);
      // Round -1 warms up the compiled code and is not counted.
      if (round >= 0) (runs[`${side} ${format}`] ??= []).push(Math.round(cpuMs() - t));
    }
  }
}
for (const [key, ms] of Object.entries(runs)) {
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[sorted.length >> 1]!;
  const [side, format] = key.split(' ');
  console.log(JSON.stringify({ side, repo: sides.find(([s]) => s === side)![1], format, cpuMsMedian: median, linesPerCpuSecond: Math.round(lines / (median / 1000)), cpuMs: ms }));
}
