/**
 * Push decoding speed: lines per CPU-second for protobuf+snappy and JSON bodies built from the benchmark
 * corpus, decode alone and decode + validation + limits (push service over a store that keeps nothing).
 * Usage: LINES=200000 BATCH=1000 npx tsx bench/push-decode.ts
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StreamPush } from '../src/api/model.js';
import {
  decodeLokiPush,
  decodeOtlpLogs,
  decodePushProto,
  emptyLogRecord,
  encodeLokiPushJson,
  encodeLokiPushProtobuf,
  encodeOtlpLogsJson,
  encodeOtlpLogsProto,
  encodePushProto,
  otlpToPush,
  type OtlpLogsRequest,
} from '../src/api/push/index.js';
import { createPushService } from '../src/ingest/push-service.js';
import type { Store } from '../src/store/store.js';

const here = dirname(fileURLToPath(import.meta.url));
const LINES = Number(process.env.LINES || 200_000);
const BATCH = Number(process.env.BATCH || 1000);
const ROUNDS = Number(process.env.ROUNDS || 3);

function corpusFile(): string {
  const dir = join(here, 'out');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `push-decode-${LINES}.tsv`);
  if (!existsSync(file)) {
    execFileSync(process.execPath, [join(here, 'corpus.mjs')], { env: { ...process.env, LINES: String(LINES), OUT: file }, stdio: 'inherit' });
  }
  return file;
}

/** Batches like Promtail's: consecutive lines grouped by stream, BATCH lines per request. Timestamps moved to "now". */
function batches(): StreamPush[][] {
  const text = readFileSync(corpusFile(), 'utf8');
  const rows = text.split('\n');
  let lastRow = rows.length - 1;
  while (lastRow > 0 && !rows[lastRow]) lastRow--;
  const last = Number(rows[lastRow]!.slice(0, rows[lastRow]!.indexOf('\t')));
  // Move the corpus so its newest line is a minute old: every entry is then within Loki's age limits.
  const shift = BigInt(Date.now() - 60_000 - last);
  const out: StreamPush[][] = [];
  let cur = new Map<string, StreamPush>();
  let n = 0;
  for (const row of rows) {
    if (!row) continue;
    const a = row.indexOf('\t');
    const b = row.indexOf('\t', a + 1);
    const ms = BigInt(row.slice(0, a)) + shift;
    const container = row.slice(a + 1, b);
    let s = cur.get(container);
    if (!s) {
      s = { labels: { job: 'docker', container, host: 'bench-host' }, entries: [] };
      cur.set(container, s);
    }
    s.entries.push({ ts: ms * 1_000_000n + BigInt(n % 1_000_000), line: row.slice(b + 1) });
    if (++n % BATCH === 0) {
      out.push([...cur.values()]);
      cur = new Map();
    }
  }
  if (cur.size) out.push([...cur.values()]);
  return out;
}

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

const nullStore: Store = {
  async start() {},
  async close() {},
  async append(_t, streams) {
    let accepted = 0;
    for (const s of streams) accepted += s.entries.length;
    return { accepted, duplicates: 0 };
  },
  streams: () => [],
  labelNames: () => [],
  labelValues: () => [],
  blocks: () => [],
  readBlock: async () => [],
  stats: () => ({ streams: 0, chunks: 0, entries: 0, bytes: 0 }),
  subscribe: () => () => {},
};

async function main(): Promise<void> {
  const bs = batches();
  const lines = bs.reduce((a, b) => a + b.reduce((x, s) => x + s.entries.length, 0), 0);
  const rawBytes = bs.reduce((a, b) => a + b.reduce((x, s) => x + s.entries.reduce((y, e) => y + e.line.length, 0), 0), 0);
  const proto = bs.map((b) => encodeLokiPushProtobuf({ streams: b }));
  const json = bs.map((b) => encodeLokiPushJson({ streams: b }));
  const protoBytes = proto.reduce((a, b) => a + b.body.length, 0);
  const jsonBytes = json.reduce((a, b) => a + b.body.length, 0);
  console.log(`corpus: ${lines} lines, ${(rawBytes / 1e6).toFixed(1)} MB raw, ${bs.length} requests of ~${BATCH} lines; protobuf+snappy ${(protoBytes / 1e6).toFixed(1)} MB, JSON ${(jsonBytes / 1e6).toFixed(1)} MB`);

  const results: Record<string, number> = {};
  for (const [name, bodies] of [
    ['protobuf+snappy', proto],
    ['json', json],
  ] as const) {
    for (let round = 0; round < ROUNDS; round++) {
      const c0 = cpuSeconds();
      for (const b of bodies) await decodeLokiPush(b);
      const c1 = cpuSeconds();
      const rate = lines / (c1 - c0);
      results[`decode ${name}`] = Math.max(results[`decode ${name}`] ?? 0, rate);
    }
    for (let round = 0; round < ROUNDS; round++) {
      // A fresh service per round, with limits off so every line is processed the same way.
      const svc = createPushService({ store: nullStore, limits: { ingestion_rate_mb: 1e9, ingestion_burst_size_mb: 1e9, per_stream_rate_limit_mb: 1e9, per_stream_rate_limit_burst_mb: 1e9 } });
      const c0 = cpuSeconds();
      for (const b of bodies) await svc.push('bench', b);
      const c1 = cpuSeconds();
      const rate = lines / (c1 - c0);
      results[`decode+validate ${name}`] = Math.max(results[`decode+validate ${name}`] ?? 0, rate);
    }
  }
  // OTLP: one resource per container (service.name, k8s.namespace.name and a host attribute), two
  // log attributes and a severity per record, decoded and mapped onto Loki streams.
  const otlp: OtlpLogsRequest[] = bs.map((b) => ({
    resourceLogs: b.map((st) => ({
      attributes: [
        { key: 'service.name', value: st.labels.container! },
        { key: 'k8s.namespace.name', value: 'prod' },
        { key: 'host.name', value: 'bench-host' },
      ],
      droppedAttributesCount: 0,
      scopeLogs: [
        {
          scope: { name: 'bench', version: '1.0.0', attributes: [], droppedAttributesCount: 0 },
          logRecords: st.entries.map((e) => ({ ...emptyLogRecord(), timeUnixNano: e.ts, severityNumber: 9, severityText: 'INFO', body: e.line, attributes: [{ key: 'thread', value: 'main' }, { key: 'code.line', value: 'handler.ts:42' }] })),
        },
      ],
    })),
  }));
  for (const [name, bodies] of [
    ['otlp protobuf', otlp.map((r) => ({ contentType: 'application/x-protobuf', body: encodeOtlpLogsProto(r) }))],
    ['otlp json', otlp.map((r) => ({ contentType: 'application/json', body: Buffer.from(encodeOtlpLogsJson(r)) }))],
  ] as const) {
    for (let round = 0; round < ROUNDS; round++) {
      const c0 = cpuSeconds();
      for (const b of bodies) otlpToPush((await decodeOtlpLogs(b)).request, { now: 0n });
      const c1 = cpuSeconds();
      results[`decode+map ${name}`] = Math.max(results[`decode+map ${name}`] ?? 0, lines / (c1 - c0));
    }
  }

  // For comparison: the same uncompressed protobuf through protobufjs' generated decoder (from
  // winston-loki's logproto module), which yields Long timestamps and raw label strings — less
  // work than ours, which also parses labels and builds bigint nanoseconds.
  const raw = bs.map((b) => encodePushProto({ streams: b }));
  try {
    const req = createRequire(import.meta.url);
    const root = req('winston-loki/src/proto/index.js') as { logproto: { PushRequest: { decode(b: Uint8Array): unknown } } };
    for (let round = 0; round < ROUNDS; round++) {
      let c0 = cpuSeconds();
      for (const b of raw) root.logproto.PushRequest.decode(b);
      let c1 = cpuSeconds();
      results['protobufjs decode (no snappy)'] = Math.max(results['protobufjs decode (no snappy)'] ?? 0, lines / (c1 - c0));
      c0 = cpuSeconds();
      for (const b of raw) decodePushProto(b);
      c1 = cpuSeconds();
      results['our decode (no snappy)'] = Math.max(results['our decode (no snappy)'] ?? 0, lines / (c1 - c0));
    }
  } catch (e) {
    console.log(`protobufjs comparison skipped: ${(e as Error).message}`);
  }
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(34)} ${Math.round(v).toLocaleString('en-US').padStart(12)} lines per CPU-second  (${(1e9 / v).toFixed(0)} ns/line)`);
}

await main();
