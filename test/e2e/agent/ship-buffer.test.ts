/**
 * The disk buffer against the real server: with the server down, items are acknowledged as soon as
 * they are durably buffered, up to the cap, then send() and ready() wait; when the server is back
 * (or a new shipper opens the same directory after a crash, with a torn record at the end) every
 * acknowledged entry arrives exactly once.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createShipper, type ShipResult } from '../../../src/agent/ship/shipper.js';
import { removeDir, tempDir, type RunningServer } from '../helpers/server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { counts, item, metricValue, queryAll, shipperConfig, shipperDeps, serverWithFront, type Front } from './ship-helpers.js';

let server: RunningServer;
let front: Front;
const dirs: string[] = [];
serverWithFront((s, f) => {
  server = s;
  front = f;
});
after(() => {
  for (const d of dirs) removeDir(d);
});

function bufferDir(): string {
  const d = tempDir('ship-buffer-');
  dirs.push(d);
  return d;
}

/** Settles within `ms`, or 'pending'. */
function within<T>(p: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<'pending'>((r) => (timer = setTimeout(() => r('pending'), ms)))]).finally(() => clearTimeout(timer));
}

test('server down: items are acknowledged into the buffer up to its cap, then wait; all arrive once when it is back', async () => {
  const dir = bufferDir();
  const deps = shipperDeps();
  const cfg = shipperConfig(front.url, { batch_size: 4000 }, { maxInflightBytes: 3000, buffer: { enabled: true, maxBytes: 20_000, dir } });
  front.policy = () => ({ status: 503, body: 'down' });
  const shipper = createShipper(cfg, deps);
  try {
    const acked: Promise<ShipResult>[] = [];
    let pending: Promise<ShipResult> | undefined;
    let i = 0;
    for (; i < 60; i++) {
      const p = shipper.send(item({ job: 'buffered', src: String(i % 3) }, `buf ${i}`, 10, 100));
      const r = await within(p, 400);
      if (r === 'pending') {
        pending = p;
        break;
      }
      assert.deepEqual(r, { accepted: 10, dropped: 0 }, 'acknowledged by the buffer while the server is down');
      acked.push(p);
    }
    assert.ok(pending, 'send() waits once the buffer is full');
    assert.ok(acked.length >= 10, `${acked.length} items fit in 20 kB`);
    assert.ok(shipper.bufferBytes > 15_000 && shipper.bufferBytes <= 20_000, `bufferBytes ${shipper.bufferBytes}`);
    assert.equal(await metricValue(deps.registry, 'logwharf_agent_buffer_bytes'), shipper.bufferBytes);
    // Three more items (1000 bytes each) take the memory held to maxInflightBytes: readers pause.
    const more = [pending, shipper.send(item({ job: 'buffered' }, `buf ${++i}`, 10, 100)), shipper.send(item({ job: 'buffered' }, `buf ${++i}`, 10, 100))];
    assert.equal(await within(shipper.ready(), 300), 'pending', 'ready() waits: the files are the buffer now');

    front.policy = () => 'pass';
    await shipper.ready();
    for (const r of await Promise.all(more)) assert.deepEqual(r, { accepted: 10, dropped: 0 });
    const want = (acked.length + 3) * 10;
    const got = await waitForCount(server.url, '{job="buffered"}', want);
    for (const [line, n] of counts(got)) assert.equal(n, 1, `${line} once`);
    await waitFor('the buffer to empty', () => shipper.bufferBytes === 0);
    assert.ok(readdirSync(dir).filter((f) => f.endsWith('.seg')).length <= 1, 'shipped segments deleted');
  } finally {
    front.policy = () => 'pass';
    await shipper.close();
  }
});

test('crash: a new shipper on the same directory ships what the old one buffered, once; a torn tail is discarded', async () => {
  const dir = bufferDir();
  const cfg = shipperConfig(front.url, {}, { buffer: { enabled: true, maxBytes: 1 << 20, dir } });
  front.policy = () => ({ status: 503 });
  const first = createShipper(cfg, shipperDeps());
  const items = Array.from({ length: 8 }, (_, i) => item({ job: 'crashed', src: String(i % 2) }, `crash ${i}`, 25, 50, { i: String(i) }));
  for (const it of items) assert.deepEqual(await first.send(it), { accepted: 25, dropped: 0 });
  // "Crash": stop at once with everything still in the buffer, and leave half a record behind.
  await first.close({ flushTimeoutMs: 0 });
  const seg = readdirSync(dir).filter((f) => f.endsWith('.seg')).sort().at(-1)!;
  const torn = Buffer.alloc(30);
  torn.writeUInt32LE(4000, 0);
  appendFileSync(join(dir, seg), torn);

  front.policy = () => 'pass';
  const deps = shipperDeps();
  const second = createShipper(cfg, deps);
  try {
    await waitFor('the second shipper to send its buffer', () => second.bufferBytes === 0 && front.seen.length > 0);
    const got = await waitForCount(server.url, '{job="crashed"}', 200);
    for (const [line, n] of counts(got)) assert.equal(n, 1, `${line} once`);
    const sent = items.flatMap((it) => it.streams[0]!.entries.map((e) => e.ts.toString())).sort();
    assert.deepEqual(got.map((g) => g.ts).sort(), sent, 'timestamps exact after the disk round trip');
    assert.equal(got.find((g) => g.line.startsWith('crash 3'))?.metadata?.i, '3');
    // The server stores before it answers: the lines can be queried a moment before the shipper has
    // counted the answer, so the count is waited for, not read at once.
    await waitFor('a successful request counted', async () => (await metricValue(deps.registry, 'logwharf_agent_requests_total', { status: 'success' })) >= 1);
  } finally {
    await second.close();
  }
  // A third start has nothing left to send.
  const third = createShipper(cfg, shipperDeps());
  const n = front.seen.length;
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(third.bufferBytes, 0);
  await third.close();
  assert.equal(front.seen.length, n, 'nothing sent again');
  assert.equal((await queryAll(server.url, '{job="crashed"}')).length, 200);
});

test('a 400 for buffered records drops and counts them; the records after it still ship', async () => {
  const dir = bufferDir();
  const deps = shipperDeps();
  let reject = true;
  front.policy = (req) => (reject && req.url.endsWith('/push') ? { status: 400, body: 'bad entries' } : 'pass');
  const shipper = createShipper(shipperConfig(front.url, {}, { buffer: { enabled: true, maxBytes: 1 << 20, dir } }), deps);
  try {
    assert.deepEqual(await shipper.send(item({ job: 'bufrej' }, 'rejected', 6)), { accepted: 6, dropped: 0 }, 'the buffer took it');
    await waitFor('6 rejected lines', async () => (await metricValue(deps.registry, 'logwharf_agent_lines_dropped_total', { reason: 'rejected' })) === 6);
    reject = false;
    await shipper.send(item({ job: 'bufrej' }, 'accepted', 4));
    const got = await waitForCount(server.url, '{job="bufrej"}', 4);
    assert.ok(got.every((g) => g.line.startsWith('accepted')));
  } finally {
    front.policy = () => 'pass';
    await shipper.close();
  }
});

async function waitForCount(url: string, selector: string, n: number): Promise<Awaited<ReturnType<typeof queryAll>>> {
  let got = await queryAll(url, selector);
  await waitFor(`${n} entries of ${selector}`, async () => (got = await queryAll(url, selector)).length >= n).catch(() => {
    // reported just below with the count
  });
  assert.equal(got.length, n, `${selector}: ${got.length} entries, want ${n}`);
  return got;
}
