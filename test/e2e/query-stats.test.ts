/**
 * Query responses' `stats` report what the engine really read (issue #8), so Grafana's query
 * inspector means something: lines and bytes processed, their rates, the execution time, and the
 * split between sealed blocks (Loki's store, under `querier`) and the in-memory heads (Loki's head
 * chunks, under `ingester`). Real server, port 0, temp dir; 4 KiB blocks so the data is in both.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';
import { pushSealedThenHead } from './helpers/sealed.js';

const LINES = 600;
const t0 = BigInt(Date.now() - 10 * 60_000) * 1_000_000n;
const lines = Array.from({ length: LINES }, (_, i) => `req ${i} status=${i % 10 === 0 ? 500 : 200} path=/api/v1/items/${i * 7}`);
const totalBytes = lines.reduce((a, l) => a + l.length, 0);
const errorLines = lines.filter((l) => l.includes('status=500')).length;

let srv: RunningServer;

interface Stats {
  summary: Record<string, number>;
  querier: { store: { totalChunksRef: number; chunk: Record<string, number> } };
  ingester: { store: { chunk: Record<string, number> } };
  index: { totalStreams: number };
}

async function query(path: string, params: Record<string, string>): Promise<{ stats: Stats; result: unknown[] }> {
  const u = new URL(srv.url + path);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const res = await fetch(u);
  const text = await res.text();
  assert.equal(res.status, 200, text.slice(0, 300));
  const body = JSON.parse(text) as { data: { stats: Stats; result: unknown[] } };
  return body.data;
}

before(async () => {
  srv = await startServer({ storage: { block_target_bytes: 4096 } });
  const values = lines.map((l, i): [string, string] => [(t0 + BigInt(i) * 1_000_000_000n).toString(), l]);
  // The last 60 lines (~2.5 KB, under one 4 KiB block) stay in the head.
  await pushSealedThenHead(srv.url, { job: 'api' }, values, 60);
});

after(async () => {
  await srv.close();
  removeDir(srv.dir);
});

function checkRead(s: Stats, what: string): void {
  assert.equal(s.summary.totalLinesProcessed, LINES, `${what}: every line examined once`);
  assert.equal(s.summary.totalBytesProcessed, totalBytes, `${what}: their bytes`);
  assert.ok(s.summary.execTime > 0, `${what}: execTime`);
  assert.equal(s.summary.linesProcessedPerSecond, Math.trunc(LINES / s.summary.execTime), `${what}: lines/s from execTime`);
  assert.equal(s.summary.bytesProcessedPerSecond, Math.trunc(totalBytes / s.summary.execTime), `${what}: bytes/s`);
  const head = s.ingester.store.chunk;
  const sealed = s.querier.store.chunk;
  assert.ok(head.headChunkLines! > 0, `${what}: some lines came from the head`);
  assert.ok(sealed.decompressedLines! > 0, `${what}: some from sealed blocks`);
  assert.equal(head.headChunkLines! + sealed.decompressedLines!, LINES, `${what}: the split adds up`);
  assert.equal(head.headChunkBytes! + sealed.decompressedBytes!, totalBytes);
  assert.ok(s.querier.store.totalChunksRef > 1, `${what}: blocks referenced`);
  assert.equal(s.index.totalStreams, 1);
}

test('a log query reports the lines and bytes it read, head and sealed apart', async () => {
  const start = (t0 - 1n).toString();
  const end = (t0 + BigInt(LINES) * 1_000_000_000n).toString();
  const d = await query('/loki/api/v1/query_range', { query: '{job="api"} |= "status=500"', start, end, limit: '1000' });
  checkRead(d.stats, 'log query');
  assert.equal(d.stats.summary.totalEntriesReturned, errorLines);
  assert.equal(d.stats.summary.totalPostFilterLines, errorLines);
});

test('a metric query reports what its range aggregation read (no longer all zeros)', async () => {
  const time = (t0 + BigInt(LINES) * 1_000_000_000n).toString();
  const d = await query('/loki/api/v1/query', { query: 'sum(count_over_time({job="api"} |= "status" [1h]))', time });
  checkRead(d.stats, 'metric query');
  assert.deepEqual((d.result[0] as { value: [number, string] }).value[1], String(LINES));
});
