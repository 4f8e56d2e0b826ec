/**
 * Damage is never silent (issue #8 finding 5): flipped bytes in a WAL segment, streams.log,
 * index.log or a block cost only what they held; each is logged (file, offset, entries lost),
 * counted in logwharf_store_corruptions_total{kind}, copied into <data>/quarantine/, and
 * everything else is served. The store is abandoned without close() to leave what kill -9 leaves.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Registry } from 'prom-client';
import type { Entry } from '../../../src/api/model.js';
import { createStore } from '../../../src/store/index.js';
import { isDamagedBlock } from '../../../src/store/damaged-block.js';
import { readAll } from './store.case.js';
import { waitFor } from '../../helpers/wait-for.js';
import { killAfterAck } from '../../helpers/kill-after-ack.js';

const T0 = 1_714_521_600_000_000_000n;
const now = () => 1_714_521_600_000;
const root = mkdtempSync(join(tmpdir(), 'logwharf-damage-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

interface Logged {
  obj: Record<string, unknown>;
  msg?: string;
}

function open(dir: string) {
  const errors: Logged[] = [];
  const registry = new Registry();
  const log = { info() {}, warn() {}, error: (obj: object, msg?: string) => void errors.push({ obj: obj as Record<string, unknown>, msg }) };
  const store = createStore({ dir, compactionIntervalMs: 0, now, log, registry });
  const corruptions = async (kind: string) => (await registry.getSingleMetric('logwharf_store_corruptions_total')!.get()).values.find((v) => v.labels.kind === kind)?.value ?? 0;
  return { store, errors, corruptions };
}

/** Overwrites `len` bytes at `offset` with their complement. */
function flip(path: string, offset: number, len = 16): void {
  const buf = readFileSync(path).subarray(offset, offset + len);
  const fd = openSync(path, 'r+');
  writeSync(fd, Buffer.from(buf.map((b) => b ^ 0xff)), 0, buf.length, offset);
  closeSync(fd);
}

function batch(job: string, record: number, perRecord: number): Entry[] {
  return Array.from({ length: perRecord }, (_, i) => ({ ts: T0 + BigInt(record * perRecord + i), line: `${job} record ${record} entry ${i} ` + 'p'.repeat(30) }));
}

async function lines(store: ReturnType<typeof createStore>): Promise<string[]> {
  return [...(await readAll(store, 't')).values()].flat().map((e) => e.line);
}

/** Runs `body` (store code with `store` started on `dir`) in a child process, which prints `ack` and is killed with SIGKILL. */
async function killedAfter(dir: string, body: string): Promise<void> {
  const storeModule = new URL('../../../src/store/index.ts', import.meta.url).pathname;
  const script = `import { createStore } from ${JSON.stringify(storeModule)}; const store = createStore({ dir: ${JSON.stringify(dir)}, compactionIntervalMs: 0, now: () => ${now()} }); await store.start(); const T0 = ${T0}n; ${body}; console.log('ack'); setInterval(() => {}, 60000);`;
  await killAfterAck(['--input-type=module', '-e', script]);
}

test('a damaged WAL record after kill -9 costs only its own entries: replay goes on after it, and says what was lost', async () => {
  const dir = join(root, `d${++n}`);
  const records = 138;
  // As the reproduction: 138 acknowledged records of 10 entries, then kill -9.
  await killedAfter(dir, `for (let r = 0; r < ${records}; r++) await store.append('t', [{ labels: { job: 'w' }, entries: Array.from({ length: 10 }, (_, i) => ({ ts: T0 + BigInt(r * 10 + i), line: 'w record ' + r + ' entry ' + i + ' ' + 'p'.repeat(30) })) }])`);
  const walDir = join(dir, 'wal');
  const seg = join(walDir, readdirSync(walDir).find((f) => f.endsWith('.wal'))!);
  const middle = Math.floor(statSync(seg).size / 2);
  flip(seg, middle);

  const b = open(dir);
  await b.store.start();
  const got = await lines(b.store);
  // One record (or two, if the flip straddles a boundary) is lost; every other record is there.
  const lost = records * 10 - got.length;
  assert.ok(lost === 10 || lost === 20, `lost ${lost} entries`);
  const lastRecord = got.filter((l) => l.startsWith(`w record ${records - 1} `)).length;
  assert.equal(lastRecord, 10, 'records after the damage are replayed');
  const e = b.errors.find((x) => x.obj.kind === 'wal');
  assert.ok(e, 'an error line names the damage');
  assert.equal(e.obj.file, seg);
  assert.ok(typeof e.obj.offset === 'number' && e.obj.offset <= middle && e.obj.offset > 0);
  assert.equal(e.obj.lostEntries, lost);
  assert.equal(await b.corruptions('wal'), 1);
  const q = readdirSync(join(dir, 'quarantine'));
  assert.equal(q.filter((f) => f.endsWith('.bin')).length, 1);
  const note = JSON.parse(readFileSync(join(dir, 'quarantine', q.find((f) => f.endsWith('.json'))!), 'utf8')) as Record<string, unknown>;
  assert.equal(note.kind, 'wal');
  assert.equal(note.lostEntries, lost);
  await b.store.close();

  // Cut out and reported once: the next start is clean and serves the same.
  const c = open(dir);
  await c.store.start();
  assert.deepEqual((await lines(c.store)).sort(), got.sort());
  assert.equal(c.errors.length, 0);
  await c.store.close();
});

test('a damaged streams.log record loses only that stream, with an error naming the entries it cost', async () => {
  const dir = join(root, `d${++n}`);
  const a = open(dir).store;
  await a.start();
  for (const job of ['first', 'second', 'third']) await a.append('t', [{ labels: { job }, entries: batch(job, 0, 100) }]);
  await a.close();
  const path = join(dir, 'tenants', 't-t', 'streams.log');
  flip(path, 14, 4); // inside the first record's payload
  const b = open(dir);
  await b.store.start();
  const got = await lines(b.store);
  assert.equal(got.length, 200);
  assert.ok(!got.some((l) => l.startsWith('first ')));
  const e = b.errors.find((x) => x.obj.kind === 'streams');
  assert.ok(e, 'an error line names the damage');
  assert.equal(e.obj.file, path);
  assert.equal(e.obj.offset, 0);
  assert.equal(e.obj.lostEntries, 100);
  assert.equal(await b.corruptions('streams'), 1);
  assert.ok(readdirSync(join(dir, 'quarantine')).some((f) => f.endsWith('.blocks.seg')), 'the unreachable block is copied aside');
  await b.store.close();
  // Reported once: the next start is clean and serves the same.
  const c = open(dir);
  await c.store.start();
  assert.equal((await lines(c.store)).length, 200);
  assert.deepEqual(c.errors, []);
  await c.store.close();
});

test('a damaged index.log batch loses only its blocks, with an error naming the entries they held', async () => {
  const dir = join(root, `d${++n}`);
  const a = open(dir).store;
  await a.start();
  for (let r = 0; r < 3; r++) {
    await a.append('t', [{ labels: { job: 'i' }, entries: batch('i', r, 50) }]);
    await a.flush();
  }
  await a.close();
  const path = join(dir, 'tenants', 't-t', 'index.log');
  flip(path, 20, 4); // inside the first batch
  const b = open(dir);
  await b.store.start();
  assert.equal((await lines(b.store)).length, 100);
  const e = b.errors.find((x) => x.obj.kind === 'index');
  assert.ok(e);
  assert.equal(e.obj.lostEntries, 50);
  assert.equal(await b.corruptions('index'), 1);
  await b.store.close();
});

test('a damaged block is skipped with a clear error, quarantined and dropped from the index; the other blocks are served', async () => {
  const dir = join(root, `d${++n}`);
  const a = open(dir).store;
  await a.start();
  for (let r = 0; r < 3; r++) {
    await a.append('t', [{ labels: { job: 'b' }, entries: batch('b', r, 50) }]);
    await a.flush();
  }
  await a.close();
  const seg = join(dir, 'tenants', 't-t', 'blocks', '00000001.seg');
  const first = open(dir).store;
  await first.start();
  const refs = first.blocks('t', [1], 0n, T0 * 2n).sort((x, y) => (x.minTs < y.minTs ? -1 : 1));
  await first.close();
  assert.equal(refs.length, 3);
  const loc = refs[1]!.location as { path: string; offset: number; length: number };
  flip(seg, loc.offset + Math.floor(loc.length / 2));

  const b = open(dir);
  await b.store.start();
  await assert.rejects(b.store.readBlock(refs[1]!), (e: unknown) => isDamagedBlock(e) && (e as Error).message.includes(seg));
  await b.store.readBlock(refs[0]!);
  // Quarantined in the background: wait for its error line.
  const e = await waitFor('the damaged block to be reported', () => b.errors.find((x) => x.obj.kind === 'block'));
  assert.equal(b.store.blocks('t', [1], 0n, T0 * 2n).length, 2);
  assert.equal(e.obj.file, seg);
  assert.equal(e.obj.lostEntries, 50);
  assert.equal(await b.corruptions('block'), 1);
  assert.ok(existsSync(join(dir, 'quarantine')));
  await b.store.close();
  const c = open(dir);
  await c.store.start();
  assert.equal((await lines(c.store)).length, 100);
  await c.store.close();
});

/** A store with three sealed blocks of 50 entries of one stream; returns the refs in time order. */
async function threeBlocks(dir: string) {
  const a = open(dir).store;
  await a.start();
  for (let r = 0; r < 3; r++) {
    await a.append('t', [{ labels: { job: 'b' }, entries: batch('b', r, 50) }]);
    await a.flush();
  }
  const refs = a.blocks('t', [1], 0n, T0 * 2n).sort((x, y) => (x.minTs < y.minTs ? -1 : 1));
  return { a, refs };
}

function flipBlock(ref: { location: unknown }): void {
  const loc = ref.location as { path: string; offset: number; length: number };
  flip(loc.path, loc.offset + Math.floor(loc.length / 2));
}

test('a damaged sealed block that replay must read for duplicate checks does not stop the start', async () => {
  const dir = join(root, `d${++n}`);
  const { a, refs } = await threeBlocks(dir);
  // Same timestamps as the first block, other lines: replay checks them against that block.
  await a.append('t', [{ labels: { job: 'b' }, entries: batch('again', 0, 50) }]);
  flipBlock(refs[0]!);
  // Abandoned as by kill -9.
  const b = open(dir);
  await b.store.start();
  const got = await lines(b.store);
  assert.equal(got.length, 150);
  assert.equal(got.filter((l) => l.startsWith('again ')).length, 50);
  assert.equal(b.errors.find((x) => x.obj.kind === 'block')?.obj.lostEntries, 50);
  await b.store.close();
});

test('compaction over a damaged block quarantines it and merges the rest', async () => {
  const dir = join(root, `d${++n}`);
  const { a, refs } = await threeBlocks(dir);
  await a.close();
  flipBlock(refs[1]!);
  const b = open(dir);
  await b.store.start();
  const r = await b.store.compact({ unlinkGraceMs: 0 });
  assert.equal(r.mergedBlocks, 2);
  assert.equal(b.errors.find((x) => x.obj.kind === 'block')?.obj.lostEntries, 50);
  assert.equal((await lines(b.store)).length, 100);
  await b.store.close();
});

test('the cold tier skips a block that fails its checksum, quarantines it and recompresses the rest', async () => {
  const dir = join(root, `d${++n}`);
  const { a, refs } = await threeBlocks(dir);
  await a.close();
  flipBlock(refs[0]!);
  const errors: Logged[] = [];
  const log = { info() {}, warn() {}, error: (obj: object) => void errors.push({ obj: obj as Record<string, unknown> }) };
  const b = createStore({ dir, compactionIntervalMs: 0, now: () => 1_714_521_600_000 + 3_600_000, coldAfterMs: 0, log });
  await b.start();
  const r = await b.compact({ unlinkGraceMs: 0 });
  assert.equal(r.coldMergedBlocks, 2);
  assert.equal(errors.find((x) => x.obj.kind === 'block')?.obj.lostEntries, 50);
  assert.equal((await lines(b)).length, 100);
  await b.close();
});

test("a damaged tenant name file is restored from its directory's name and reported", async () => {
  const dir = join(root, `d${++n}`);
  const a = open(dir).store;
  await a.start();
  await a.append('team-a', [{ labels: { job: 'n' }, entries: batch('n', 0, 5) }]);
  await a.close();
  const path = join(dir, 'tenants', 't-team-a', 'tenant');
  flip(path, 0, 2);
  const b = open(dir);
  await b.store.start();
  assert.equal([...(await readAll(b.store, 'team-a')).values()].flat().length, 5);
  assert.equal(b.errors.find((x) => x.obj.kind === 'tenant')?.obj.file, path);
  assert.equal(await b.corruptions('tenant'), 1);
  await b.store.close();
  assert.equal(readFileSync(path, 'utf8'), 'team-a');
});
