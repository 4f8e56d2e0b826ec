/**
 * kill -9 with the disk buffer: a child shipper buffers while the server is down and is killed at
 * a random moment mid-write; a new shipper on the same directory then ships to the real server.
 * Every item the child reported acknowledged arrives, and no entry arrives twice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { createShipper } from '../../../src/agent/ship/shipper.js';
import { startServer, removeDir, tempDir } from '../helpers/server.js';
import { counts, queryAll, shipperConfig, shipperDeps } from './ship-helpers.js';

const QUERY_LIMIT = 500_000;
const CHILD = new URL('./ship-crash-child.ts', import.meta.url).pathname;

/** A port nothing listens on: the "down" server. */
async function deadUrl(): Promise<string> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

test('kill -9 while buffering: every acknowledged item arrives after restart, none twice', async () => {
  const dir = tempDir('ship-kill9-');
  const server = await startServer({ limits: { max_entries_limit_per_query: QUERY_LIMIT } });
  try {
    const startTs = BigInt(Date.now()) * 1_000_000n;
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, await deadUrl(), dir, String(startTs)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    let acked = -1;
    const exited = new Promise((r) => child.on('exit', r));
    await new Promise<void>((resolve, reject) => {
      const rl = createInterface({ input: child.stdout });
      const killAt = 150 + Math.floor(Math.random() * 400);
      rl.on('line', (l) => {
        const n = Number(l.split(' ')[1]);
        acked = Math.max(acked, n);
        if (acked >= killAt && !child.killed) {
          child.kill('SIGKILL');
          resolve();
        }
      });
      void exited.then(() => (child.killed ? resolve() : reject(new Error(`child exited early: ${err}`))));
    });
    await exited;
    assert.ok(acked >= 150, `child acknowledged ${acked + 1} items before the kill`);

    const shipper = createShipper(shipperConfig(server.url, { batch_size: 1 << 20 }, { buffer: { enabled: true, maxBytes: 256 << 20, dir } }), shipperDeps());
    // close() ships what the buffer holds before it returns (within the flush timeout).
    await shipper.close({ flushTimeoutMs: 15_000 });
    assert.equal(shipper.bufferBytes, 0, 'buffer drained');

    const got = await queryAllPaged(server.url);
    for (const [line, n] of counts(got)) assert.equal(n, 1, `${line} stored once`);
    const items = new Set(got.map((g) => Number(g.line.split(' ')[2])));
    for (let i = 0; i <= acked; i++) assert.ok(items.has(i), `acknowledged item ${i} arrived`);
    for (const i of items) {
      const lines = got.filter((g) => Number(g.line.split(' ')[2]) === i).length;
      assert.equal(lines, 20, `item ${i} whole (a record is all or nothing)`);
    }
  } finally {
    await server.close();
    removeDir(server.dir);
    removeDir(dir);
  }
});

/** All `{job="kill9"}` entries: one query, the server started with a limit well above what a run buffers. */
async function queryAllPaged(url: string): Promise<Awaited<ReturnType<typeof queryAll>>> {
  const all = await queryAll(url, '{job="kill9"}', { limit: QUERY_LIMIT });
  assert.ok(all.length < QUERY_LIMIT, 'every entry fits in one answer');
  return all;
}
