/**
 * `logwharf fsck --data DIR` (issue #8): verifies every checksum offline, prints what is damaged as
 * JSON lines, exits 1 on damage and 0 when clean, refuses a directory a running store holds, and
 * reads data directories written before checksums were CRC-32C.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough, Readable } from 'node:stream';
import { after, test } from 'node:test';
import { run } from '../../../src/cli/dispatch.js';
import { createStore } from '../../../src/store/index.js';

const T0 = 1_714_521_600_000_000_000n;
const root = mkdtempSync(join(tmpdir(), 'logwharf-fsck-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

async function fsck(dir: string): Promise<{ code: number; lines: Array<Record<string, unknown>>; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const code = await run(['fsck', '--data', dir], { stdout, stderr, stdin: Readable.from(['']), signal: new AbortController().signal });
  return { code, lines: out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>), stderr: err };
}

async function filled(blocks: number): Promise<string> {
  const dir = join(root, `d${++n}`);
  const s = createStore({ dir, compactionIntervalMs: 0, now: () => 1_714_521_600_000 });
  await s.start();
  for (let b = 0; b < blocks; b++) {
    await s.append('t', [{ labels: { job: 'f' }, entries: Array.from({ length: 40 }, (_, i) => ({ ts: T0 + BigInt(b * 40 + i), line: `line ${b} ${i}` })) }]);
    await s.flush();
  }
  // One record left in the WAL, as a crash leaves it.
  await s.append('t', [{ labels: { job: 'f' }, entries: [{ ts: T0 + 10_000n, line: 'in the wal' }] }]);
  return dir;
}

function flip(path: string, offset: number): void {
  const b = readFileSync(path).subarray(offset, offset + 8);
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.from(b.map((x) => x ^ 0xff)), 0, b.length, offset);
  closeSync(fd);
}

test('fsck of a clean data directory exits 0 and says what it checked', async () => {
  const dir = await filled(3);
  const r = await fsck(dir);
  assert.equal(r.code, 0, r.stderr);
  const summary = r.lines.at(-1)!;
  assert.equal(summary.msg, 'fsck clean');
  assert.equal(summary.blocks, 3);
  assert.equal(summary.damaged, 0);
});

test('fsck reports a damaged block with file, offset and entries lost, and exits 1', async () => {
  const dir = await filled(3);
  const seg = join(dir, 'tenants', 't-t', 'blocks', '00000001.seg');
  flip(seg, 60);
  const r = await fsck(dir);
  assert.equal(r.code, 1);
  const block = r.lines.find((l) => l.kind === 'block');
  assert.ok(block, JSON.stringify(r.lines));
  assert.equal(block.file, seg);
  assert.equal(block.offset, 0);
  assert.equal(block.lostEntries, 40);
  assert.equal(r.lines.at(-1)!.msg, 'fsck found damage');
});

test('fsck reports a damaged WAL record in the middle of a segment with the entries it held, and exits 1', async () => {
  const dir = join(root, `d${++n}`);
  const s = createStore({ dir, compactionIntervalMs: 0, now: () => 1_714_521_600_000 });
  await s.start();
  for (let r = 0; r < 20; r++) await s.append('t', [{ labels: { job: 'w' }, entries: Array.from({ length: 10 }, (_, i) => ({ ts: T0 + BigInt(r * 10 + i), line: `record ${r} entry ${i}` })) }]);
  // Abandoned as by kill -9: everything is in the WAL.
  const wal = join(dir, 'wal', '0000000000000001.wal');
  flip(wal, Math.floor(readFileSync(wal).length / 2));
  const r = await fsck(dir);
  assert.equal(r.code, 1);
  const d = r.lines.find((l) => l.kind === 'wal');
  assert.ok(d, JSON.stringify(r.lines));
  assert.equal(d.file, wal);
  assert.ok(d.lostEntries === 10 || d.lostEntries === 20, String(d.lostEntries));
});

test('fsck refuses a data directory a running store holds', async () => {
  const dir = join(root, `d${++n}`);
  const storeModule = new URL('../../../src/store/index.ts', import.meta.url).pathname;
  const p = spawn(process.execPath, ['--import', 'tsx', '-e', `import { createStore } from ${JSON.stringify(storeModule)}; const s = createStore({ dir: ${JSON.stringify(dir)}, compactionIntervalMs: 0 }); await s.start(); console.log('ready'); setInterval(() => {}, 60000);`], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    await new Promise<void>((resolve) => createInterface({ input: p.stdout! }).on('line', (l) => l === 'ready' && resolve()));
    const r = await fsck(dir);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`in use by process ${p.pid}: stop the server first`));
  } finally {
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await gone;
  }
});
