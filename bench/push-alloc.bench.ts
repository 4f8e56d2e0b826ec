/**
 * JavaScript heap bytes the push path allocates per line, from a request body to the store's
 * append (decoding, OTLP's mapping, validation, detected_level), for each format (issue #12). The
 * young generation's garbage collection is the largest push-path cost under the launcher's 2 MB
 * semi-spaces (docs/benchmarks.md, "Push path CPU"); this counts what it has to deal with, without
 * the CPU-time noise of a shared machine.
 *
 *   node --import tsx bench/push-alloc.bench.ts
 *   SRC_REPO=/tmp/before node --import tsx bench/push-alloc.bench.ts   # the push path of another checkout
 *
 * How: the process re-runs itself with a young generation far larger than the pushes
 * (--min-semi-space-size=256) and --expose-gc; after a full GC, the heap's used bytes grow by every
 * byte allocated while the bodies are pushed, as long as no GC runs meanwhile (counted and printed:
 * a run with a GC inside is void). The store is a stub that keeps nothing, so the figure is the push
 * service's own garbage; the WAL record and head appends (src/store) are not in it. Bodies: the first
 * LINES corpus lines (bench/harness.ts), batched by container until ~1 MiB of lines as
 * ingest-formats.bench.ts sends them, encoded by the agent's encoder.
 */
import { spawnSync } from 'node:child_process';
import { getHeapStatistics } from 'node:v8';
import { PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { REPO, corpusRows, ensureCorpus } from './harness.js';
import type { StreamPush } from '../src/api/model.js';
import { encodePushBody, type BodyFormat } from '../src/agent/ship/push-body.js';

if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
  const r = spawnSync(process.execPath, ['--min-semi-space-size=256', '--max-semi-space-size=256', '--expose-gc', ...process.execArgv, process.argv[1]!], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const gc = (globalThis as unknown as { gc: () => void }).gc;

const LINES = Number(process.env.LINES ?? 20_000);
const SRC_REPO = process.env.SRC_REPO ?? REPO;
const BATCH_BYTES = 1024 * 1024;
const FORMATS: Record<string, BodyFormat> = {
  protobuf: { output: 'loki', encoding: 'protobuf', compression: 'none' },
  json: { output: 'loki', encoding: 'json', compression: 'none' },
  'json-gzip': { output: 'loki', encoding: 'json', compression: 'gzip' },
  otlp: { output: 'otlp', encoding: 'protobuf', compression: 'none' },
};

// The push service under test, from SRC_REPO (a before build's sources).
const { createPushService } = (await import(join(SRC_REPO, 'src/ingest/push-service.ts'))) as typeof import('../src/ingest/push-service.js');
type Store = Parameters<typeof createPushService>[0]['store'];
const store = {
  async append(_tenant: string, streams: StreamPush[]) {
    let accepted = 0;
    for (const s of streams) accepted += s.entries.length;
    return { accepted, duplicates: 0 };
  },
  streams: () => [],
  blocks: () => [],
} as unknown as Store;
const limits = {
  reject_old_samples: false,
  ingestion_rate_mb: 100000,
  ingestion_burst_size_mb: 100000,
  per_stream_rate_limit_mb: 100000,
  per_stream_rate_limit_burst_mb: 100000,
  out_of_order_window: '1000w',
};

ensureCorpus(300_000); // the file ingest-formats.bench.ts uses at LINES=300000; its first LINES lines
const batches: StreamPush[][] = [];
let batch = new Map<string, StreamPush>();
let bytes = 0;
let lines = 0;
for await (const { ms, container, line } of corpusRows(300_000)) {
  let s = batch.get(container);
  if (!s) batch.set(container, (s = { labels: { job: 'docker', container, host: 'bench' }, entries: [] }));
  s.entries.push({ ts: BigInt(ms) * 1_000_000n, line });
  bytes += line.length;
  if (++lines >= LINES) break;
  if (bytes >= BATCH_BYTES) {
    batches.push([...batch.values()]);
    batch = new Map();
    bytes = 0;
  }
}
if (batch.size > 0) batches.push([...batch.values()]);

let gcs = 0;
new PerformanceObserver((list) => (gcs += list.getEntries().length)).observe({ entryTypes: ['gc'] });

for (const [name, format] of Object.entries(FORMATS)) {
  const bodies = batches.map((b) => encodePushBody(b, format));
  const svc = createPushService({ store, limits: limits as never, now: () => Date.parse('2024-05-02T00:00:00Z') });
  const push = (b: (typeof bodies)[number]) => (format.output === 'otlp' ? svc.pushOtlp('bench', b) : svc.push('bench', b));
  // Warm-up: compiled code, interned labels, the stream tracker's entries.
  for (const b of bodies) await push(b);
  const perLine: number[] = [];
  for (let run = 0; run < 3; run++) {
    gc();
    await new Promise((r) => setTimeout(r, 50)); // the observer reports that GC before the window
    const gcsBefore = gcs;
    const h0 = getHeapStatistics().used_heap_size;
    for (const b of bodies) await push(b);
    const h1 = getHeapStatistics().used_heap_size;
    await new Promise((r) => setTimeout(r, 50)); // the observer reports a GC in the window
    // A GC in the window (external memory of gunzip's buffers can start one) voids the run.
    if (gcs === gcsBefore) perLine.push(Math.round((h1 - h0) / lines));
  }
  console.log(JSON.stringify({ format: name, lines, requests: bodies.length, heapBytesPerLine: perLine, voidRuns: 3 - perLine.length, srcRepo: SRC_REPO }));
}
