/**
 * Run: node --import tsx bench/agent-ship.bench.ts (prints the figures as test diagnostics).
 * Throughput figure: 200k lines of ~150 bytes from 20 sources through the shipper into the real
 * server (in this process, so the wall time includes the server's ingest), and the shipper's own
 * cost: merge + encode (protobuf + snappy) of the same batches on one core. Printed as a diagnostic.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createShipper, type ShipItem } from '../src/agent/ship/shipper.js';
import { encodePushBody } from '../src/agent/ship/push-body.js';
import { mergeStreams } from '../src/agent/ship/merge.js';
import { startServer, removeDir } from '../test/e2e/helpers/server.js';
import { nextTs, shipperConfig, shipperDeps } from '../test/e2e/agent/ship-helpers.js';

const LINES = 200_000;
const PER_ITEM = 500;
const SOURCES = 20;

function items(): ShipItem[] {
  const out: ShipItem[] = [];
  for (let i = 0; i < LINES / PER_ITEM; i++) {
    const entries = [];
    let bytes = 0;
    for (let j = 0; j < PER_ITEM; j++) {
      const line = `2026-11-23T12:00:00.000Z INFO request id=${i}-${j} method=GET path=/api/v1/items/${j} status=200 duration_ms=${j % 97} user_agent=curl/8.0 bytes=1234`.padEnd(150, ' ');
      bytes += line.length;
      entries.push({ ts: nextTs(), line, metadata: { detected_level: 'info' } });
    }
    out.push({ streams: [{ labels: { job: 'throughput', container: `c${i % SOURCES}`, stream: 'stdout' }, entries }], lines: PER_ITEM, bytes });
  }
  return out;
}

test('throughput: 200k lines of 150 bytes', async (t) => {
  const all = items();
  // The shipper's own work: merge + encode into 1 MiB requests.
  const c0 = process.cpuUsage();
  let batch: ShipItem[] = [];
  let size = 0;
  for (const it of all) {
    batch.push(it);
    size += it.bytes;
    if (size >= 1 << 20) {
      encodePushBody(mergeStreams(batch.map((b) => b.streams)), { output: 'loki', encoding: 'protobuf', compression: 'none' });
      batch = [];
      size = 0;
    }
  }
  const cpu = process.cpuUsage(c0);
  const encodeRate = Math.round(LINES / ((cpu.user + cpu.system) / 1e6));

  const server = await startServer({ limits: { ingestion_rate_mb: 1000, ingestion_burst_size_mb: 1000, per_stream_rate_limit_mb: 1000, per_stream_rate_limit_burst_mb: 1000 } });
  try {
    const deps = shipperDeps();
    const shipper = createShipper(shipperConfig(server.url, { batch_wait: '100ms' }, { maxInflightBytes: 8 << 20 }), deps);
    const t0 = Date.now();
    const sends = [];
    for (const it of all) {
      await shipper.ready();
      sends.push(shipper.send(it));
    }
    const results = await Promise.all(sends);
    const wall = (Date.now() - t0) / 1000;
    await shipper.close();
    assert.equal(results.reduce((n, r) => n + r.accepted, 0), LINES);
    const res = await fetch(`${server.url}/loki/api/v1/query?query=${encodeURIComponent('sum(count_over_time({job="throughput"}[1h]))')}`);
    const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
    assert.equal(Number(body.data.result[0]!.value[1]), LINES, 'every line stored');
    t.diagnostic(`shipper merge+encode (protobuf+snappy): ${encodeRate.toLocaleString('en')} lines/s of CPU on one core`);
    t.diagnostic(`end to end into the in-process server: ${Math.round(LINES / wall).toLocaleString('en')} lines/s wall (${wall.toFixed(2)} s, server ingest included)`);
  } finally {
    await server.close();
    removeDir(server.dir);
  }
});

test('throughput through the disk buffer (fsync per group commit)', async (t) => {
  const all = items();
  const server = await startServer({ limits: { ingestion_rate_mb: 1000, ingestion_burst_size_mb: 1000, per_stream_rate_limit_mb: 1000, per_stream_rate_limit_burst_mb: 1000 } });
  const dir = `${server.dir}-buffer`;
  try {
    const shipper = createShipper(shipperConfig(server.url, { batch_wait: '100ms' }, { buffer: { enabled: true, maxBytes: 256 << 20, dir } }), shipperDeps());
    const t0 = Date.now();
    const sends = [];
    for (const it of all) {
      await shipper.ready();
      sends.push(shipper.send(it));
    }
    await Promise.all(sends);
    const buffered = (Date.now() - t0) / 1000;
    while (shipper.bufferBytes > 0) await new Promise((r) => setTimeout(r, 20));
    const wall = (Date.now() - t0) / 1000;
    await shipper.close();
    t.diagnostic(`disk buffer: ${Math.round(LINES / buffered).toLocaleString('en')} lines/s acknowledged into the buffer; ${Math.round(LINES / wall).toLocaleString('en')} lines/s end to end`);
  } finally {
    await server.close();
    removeDir(server.dir);
    removeDir(dir);
  }
});
