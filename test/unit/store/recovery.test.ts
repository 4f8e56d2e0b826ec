/**
 * Recovery from what a crash leaves on disk, by editing the files the way a torn write would:
 * a partial record at the end of the WAL or the block index, garbage after a valid record, and a
 * segment file no index entry references (a seal or compaction that died before indexing).
 */
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { StreamPush } from '../../../src/api/model.js';
import { createStore } from '../../../src/store/index.js';
import { readAll } from './store.case.js';

const T0 = 1_714_521_600_000_000_000n;
const now = () => 1_714_521_600_000;
const root = mkdtempSync(join(tmpdir(), 'logwharf-recovery-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function open(dir: string) {
  return createStore({ dir, compactionIntervalMs: 0, now });
}

function push(line: string, i: number): StreamPush[] {
  return [{ labels: { job: 'r' }, entries: [{ ts: T0 + BigInt(i), line }] }];
}

async function lines(dir: string): Promise<string[]> {
  const s = open(dir);
  await s.start();
  const out = [...(await readAll(s, 't')).values()].flat().map((e) => e.line);
  await s.close();
  return out;
}

function newestWal(dir: string): string {
  const names = readdirSync(join(dir, 'wal')).filter((f) => f.endsWith('.wal')).sort();
  return join(dir, 'wal', names[names.length - 1]!);
}

test('a torn record at the end of the WAL is cut off; acknowledged records before it survive', async () => {
  const dir = join(root, `c${++n}`);
  const a = open(dir);
  await a.start();
  await a.append('t', push('first', 1));
  await a.append('t', push('second', 2));
  // Crash mid-write of a third record: a header promising 1000 bytes, and only 10 of them.
  const header = Buffer.alloc(8);
  header.writeUInt32LE(1000, 0);
  appendFileSync(newestWal(dir), Buffer.concat([header, Buffer.alloc(10, 7)]));
  const wal = newestWal(dir);
  const b = open(dir);
  await b.start();
  assert.deepEqual([...(await readAll(b, 't')).values()].flat().map((e) => e.line), ['first', 'second']);
  assert.ok(!existsSync(wal) || statSync(wal).size < 1000, 'the torn tail was truncated');
  await b.append('t', push('third', 3));
  // Abandon b too (another crash), then recover everything once.
  assert.deepEqual(await lines(dir), ['first', 'second', 'third']);
});

test('a record whose checksum does not match ends replay of that segment', async () => {
  const dir = join(root, `c${++n}`);
  const a = open(dir);
  await a.start();
  await a.append('t', push('kept', 1));
  const wal = newestWal(dir);
  const size = statSync(wal).size;
  await a.append('t', push('garbled', 2));
  // Flip a byte in the second record's payload, as a partially persisted sector would.
  const fd = await import('node:fs/promises').then((f) => f.open(wal, 'r+'));
  await fd.write(Buffer.from([0xff]), 0, 1, size + 20);
  await fd.close();
  assert.deepEqual(await lines(dir), ['kept']);
});

test('a torn batch at the end of the block index is dropped and its data comes back from the WAL', async () => {
  const dir = join(root, `c${++n}`);
  const a = open(dir);
  await a.start();
  await a.append('t', push('sealed', 1));
  await a.flush();
  await a.append('t', push('in head', 2));
  const tdir = join(dir, 'tenants', 't-t');
  appendFileSync(join(tdir, 'index.log'), Buffer.from([40, 0, 0, 0, 1, 2, 3]));
  writeFileSync(join(tdir, 'blocks', '00000099.seg'), Buffer.alloc(100, 1));
  assert.deepEqual(await lines(dir), ['sealed', 'in head']);
  assert.ok(!existsSync(join(tdir, 'blocks', '00000099.seg')), 'unreferenced segment removed');
  assert.deepEqual(await lines(dir), ['sealed', 'in head'], 'and again after a clean restart');
});

test('a clean shutdown leaves no WAL to replay; a crash leaves only what heads still need', async () => {
  const dir = join(root, `c${++n}`);
  const a = open(dir);
  await a.start();
  await a.append('t', push('x', 1));
  await a.close();
  assert.deepEqual(readdirSync(join(dir, 'wal')), []);
  assert.deepEqual(await lines(dir), ['x']);
});

test('a data directory in use by another live process is refused; a stale lock is taken over', async () => {
  const dir = join(root, `c${++n}`);
  const { spawn } = await import('node:child_process');
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
  try {
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'LOCK'), String(other.pid));
    await assert.rejects(open(dir).start(), (e: Error & { code?: string }) => e.code === 'store_unavailable' && e.message.includes(`in use by process ${other.pid}`));
  } finally {
    other.kill('SIGKILL');
    await new Promise((r) => other.once('exit', r));
  }
  // The owner is gone (as after kill -9): the lock is stale.
  const s = open(dir);
  await s.start();
  await s.append('t', push('after stale lock', 1));
  await s.close();
  assert.ok(!existsSync(join(dir, 'LOCK')), 'released on close');
  assert.deepEqual(await lines(dir), ['after stale lock']);
});

test('a block index batch written twice (a retried append whose first write did land) lists its blocks once', async () => {
  const dir = join(root, `c${++n}`);
  const a = open(dir);
  await a.start();
  await a.append('t', push('once', 1));
  await a.close();
  const { readFileSync } = await import('node:fs');
  for (const f of ['index.log', 'streams.log']) {
    const path = join(dir, 'tenants', 't-t', f);
    appendFileSync(path, readFileSync(path));
  }
  assert.deepEqual(await lines(dir), ['once']);
});

test('a retried push that raced a seal is not duplicated by replay after a crash', async () => {
  const dir = join(root, `c${++n}`);
  // Tiny blocks: the first append cuts its head at once, and the retry is applied while that
  // head is still being written as a block (a duplicate of data that is sealed right after).
  const a = createStore({ dir, blockTargetBytes: 1, compactionIntervalMs: 0, now });
  await a.start();
  const entry = push('retried line', 1);
  assert.deepEqual(await a.append('t', entry), { accepted: 1, duplicates: 0 });
  assert.deepEqual(await a.append('t', entry), { accepted: 0, duplicates: 1 });
  // Wait until the block is sealed, then "crash" (abandon a without close).
  for (let i = 0; i < 200; i++) {
    const ids = a.streams('t', [], 0n, 2n ** 62n).map((s) => s.id);
    if (a.blocks('t', ids, 0n, 2n ** 62n).every((b) => b.location.kind === 'file')) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.deepEqual(await lines(dir), ['retried line']);
});
