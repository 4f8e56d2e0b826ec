/**
 * Issue #8 finding 3: one large push must not stall the server. While the largest push the server
 * accepts is ingested — by entry count (max_push_entries) and by size (max_body_bytes), as Loki JSON,
 * protobuf+snappy, OTLP JSON and OTLP protobuf — no turn of the event loop takes more than ~200 ms;
 * beyond the bounds a push is refused before it is parsed, and bodies in flight are bounded over all
 * requests (503 with Retry-After).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { readFileSync } from 'node:fs';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';
import { encodeLokiPushJson, encodeLokiPushProtobuf } from '../../src/api/push/loki-push.js';
import { encodeOtlpLogsJson } from '../../src/api/push/otlp-json.js';
import { encodeOtlpLogsProto } from '../../src/api/push/otlp-proto.js';
import { toOtlpRequest } from '../../src/agent/ship/otlp-request.js';
import type { StreamPush } from '../../src/api/model.js';

const MAX_ENTRIES = 50_000; // the default max_push_entries
const MAX_BODY = 16 * 1024 * 1024; // the default max_body_bytes
const MAX_BLOCK_MS = 200;

let srv: RunningServer;
before(async () => {
  // Rate limits out of the way: this is about the cost of the largest request the bounds let in.
  const big = 100_000;
  srv = await startServer({
    limits: { ingestion_rate_mb: big, ingestion_burst_size_mb: big, per_stream_rate_limit_mb: big, per_stream_rate_limit_burst_mb: big },
  });
});
after(async () => {
  await srv.close();
  removeDir(srv.dir);
});

let seq = 0;
/** One stream of `n` entries of `line`, recent and distinct, under a fresh job label. */
function streams(n: number, line: string): StreamPush[] {
  const job = `big-${++seq}`;
  const base = BigInt(Date.now() - 60_000) * 1_000_000n;
  return [{ labels: { job }, entries: Array.from({ length: n }, (_, i) => ({ ts: base + BigInt(i), line })) }];
}

/**
 * POSTs with node:http, which writes the Buffer as it is: fetch copies a 16 MiB body on this thread
 * (the same thread as the server under test), and that copy would be counted as the server's turn.
 */
async function push(path: string, contentType: string, body: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(srv.url + path, { method: 'POST', headers: { 'Content-Type': contentType, 'Content-Length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * CPU time of this process's main thread (the event loop's) in ms, from /proc (Linux; 10 ms ticks).
 * Not process.cpuUsage(): that adds the GC helper threads and the query workers, which run beside
 * the loop and do not hold it.
 */
function cpuMs(): number {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  // Fields after the command name: state is field 3, utime 14, stime 15 (proc(5)).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
}

/**
 * Pushes while a 5 ms timer watches the event loop; returns the longest gap between two ticks, in
 * CPU time the main thread spent during the gap and in wall time. The bodies are built before. The bound is checked
 * on CPU time: on this shared 2-core machine the process is also descheduled for hundreds of ms at a
 * time (load averages above 10 while five engineers test), which is wall time no code can avoid;
 * the CPU spent within one gap is the work one turn of the loop did. Wall times are printed.
 */
async function longestTurn(send: () => Promise<{ status: number; text: string }>, expectStatus: number): Promise<{ cpu: number; wall: number }> {
  let last = performance.now();
  let lastCpu = cpuMs();
  let cpu = 0;
  let wall = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    const c = cpuMs();
    cpu = Math.max(cpu, c - lastCpu);
    wall = Math.max(wall, now - last);
    last = now;
    lastCpu = c;
  }, 5);
  try {
    const r = await send();
    assert.equal(r.status, expectStatus, r.text.slice(0, 300));
  } finally {
    clearInterval(timer);
  }
  return { cpu, wall };
}

/**
 * One attempt, bound on the CPU one turn of the loop used. The body is built before the watch starts
 * (encoding it is the client's work, on this same thread), so only the server's handling is timed.
 */
async function assertNeverBlocks(name: string, path: string, contentType: string, body: Buffer, expectStatus: number): Promise<void> {
  const { cpu, wall } = await longestTurn(() => push(path, contentType, body), expectStatus);
  process.stdout.write(`# ${name}: longest turn of the event loop ${Math.round(cpu)} ms CPU (${Math.round(wall)} ms wall)\n`);
  assert.ok(cpu < MAX_BLOCK_MS, `${name}: one turn of the event loop took ${Math.round(cpu)} ms CPU (${Math.round(wall)} ms wall; bound ${MAX_BLOCK_MS} ms)`);
}

const oneByte = () => streams(MAX_ENTRIES - 1, 'x');
// 16 MiB of 250 KB lines (under the 256 KB line limit), leaving room for the framing.
const bigLines = (framing: number) => streams(Math.floor((MAX_BODY - framing) / 250_000), 'y'.repeat(250_000));

test('Loki JSON: the most entries and the largest body accepted never hold the loop', async () => {
  await assertNeverBlocks('JSON, 49,999 one-byte entries', '/loki/api/v1/push', 'application/json', encodeLokiPushJson({ streams: oneByte() }).body, 204);
  await assertNeverBlocks('JSON, 16 MiB of long lines', '/loki/api/v1/push', 'application/json', encodeLokiPushJson({ streams: bigLines(4096) }).body, 204);
});

test('Loki protobuf+snappy: the most entries and the largest body accepted never hold the loop', async () => {
  await assertNeverBlocks('protobuf, 49,999 one-byte entries', '/loki/api/v1/push', 'application/x-protobuf', encodeLokiPushProtobuf({ streams: oneByte() }).body, 204);
  await assertNeverBlocks('protobuf, 16 MiB of long lines', '/loki/api/v1/push', 'application/x-protobuf', encodeLokiPushProtobuf({ streams: bigLines(4096) }).body, 204);
});

test('OTLP JSON and protobuf: the most records accepted never hold the loop', async () => {
  await assertNeverBlocks('OTLP JSON, 49,999 records', '/otlp/v1/logs', 'application/json', Buffer.from(encodeOtlpLogsJson(toOtlpRequest(oneByte()))), 200);
  await assertNeverBlocks('OTLP protobuf, 49,999 records', '/otlp/v1/logs', 'application/x-protobuf', encodeOtlpLogsProto(toOtlpRequest(oneByte())), 200);
  await assertNeverBlocks('OTLP protobuf, 16 MiB of long lines', '/otlp/v1/logs', 'application/x-protobuf', encodeOtlpLogsProto(toOtlpRequest(bigLines(4096))), 200);
});

test('beyond max_push_entries or max_body_bytes a push is refused with 413 before it is parsed', async () => {
  const many = await push('/loki/api/v1/push', 'application/json', encodeLokiPushJson({ streams: streams(MAX_ENTRIES + 1, 'x') }).body);
  assert.equal(many.status, 413);
  assert.match(many.text, /more than 50000 streams and entries; send smaller batches/);
  const manyProto = await push('/loki/api/v1/push', 'application/x-protobuf', encodeLokiPushProtobuf({ streams: streams(MAX_ENTRIES + 1, 'x') }).body);
  assert.equal(manyProto.status, 413);
  const large = await push('/loki/api/v1/push', 'application/json', Buffer.alloc(MAX_BODY + 1, 0x20));
  assert.equal(large.status, 413);
  assert.match(large.text, /exceeds the limit of 16777216 bytes/);
});

test('request bodies in flight are bounded over all requests: beyond it 503 with Retry-After, and the budget comes back', async (t) => {
  const small = await startServer({ max_body_bytes: 1024 * 1024, max_inflight_body_bytes: 1024 * 1024 });
  t.after(async () => {
    await small.close();
    removeDir(small.dir);
  });
  // A client that declares a 1 MiB body and sends it slowly holds the whole budget.
  const { port } = new URL(small.url);
  const slow = request({ host: '127.0.0.1', port, method: 'POST', path: '/loki/api/v1/push', headers: { 'Content-Type': 'application/json', 'Content-Length': 1024 * 1024 } });
  const slowDone = new Promise<number>((resolve) => slow.on('response', (res) => (res.resume(), resolve(res.statusCode!))));
  slow.on('error', () => {});
  slow.write('{"streams":[');
  const body = encodeLokiPushJson({ streams: streams(1, 'hello') }).body;
  // The slow request's headers reach the server before this one's only once it is connected; retry until seen.
  let busy: { status: number; text: string; headers: Headers } | undefined;
  for (let i = 0; i < 100 && busy?.status !== 503; i++) {
    busy = await fetch(small.url + '/loki/api/v1/push', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }).then(async (r) => ({ status: r.status, text: await r.text(), headers: r.headers }));
  }
  assert.equal(busy!.status, 503, busy!.text);
  assert.match(busy!.text, /server busy: 1048576 bytes of request bodies in flight, limit 1048576 bytes; retry later/);
  assert.equal(busy!.headers.get('retry-after'), '1');
  // The slow body ends (as invalid JSON, answered 400); its bytes are given back.
  slow.end(' '.repeat(1024 * 1024 - '{"streams":['.length));
  assert.equal(await slowDone, 400);
  const ok = await fetch(small.url + '/loki/api/v1/push', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  assert.equal(ok.status, 204, await ok.text());
});
