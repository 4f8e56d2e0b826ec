/**
 * The cold tier of compaction: blocks older than `coldAfterMs` are merged per stream into bigger
 * blocks recompressed at the cold level. The data reads back identical (also after a restart),
 * blooms of merged blocks still never drop a block that holds a substring (also for lines whose
 * own timestamp the cold payload stores as an escape), disk shrinks, newer
 * blocks are left alone, and a second run has nothing to do.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Entry } from '../../../src/api/model.js';
import { createStore, type StoreConfig } from '../../../src/store/index.js';
import { m, readAll, seeded } from './store.case.js';

const T0 = 1_714_521_600_000_000_000n; // 2024-05-01T00:00:00Z
const T0_MS = 1_714_521_600_000;
const ALL: [bigint, bigint] = [-(2n ** 63n), 2n ** 63n - 1n];
const HOUR_NS = 3_600_000_000_000n;

const root = mkdtempSync(join(tmpdir(), 'logwharf-cold-'));
after(() => rmSync(root, { recursive: true, force: true }));

function dirBytes(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    n += st.isDirectory() ? dirBytes(p) : st.size;
  }
  return n;
}

const WORDS = ['GET', 'POST', '/api/v1/orders', 'status=200', 'status=503', 'user_id=', 'took', 'ms', 'ünïcode', '日本語', '🚀', '"quoted"', '\\', 'level=info', 'level=error'];

function line(rnd: () => number, i: number): string {
  let s = `2024-05-01T00:00:${String(i % 60).padStart(2, '0')}.${String(i % 1000).padStart(3, '0')}Z`;
  const n = 3 + Math.floor(rnd() * 8);
  for (let k = 0; k < n; k++) s += ' ' + WORDS[Math.floor(rnd() * WORDS.length)]! + (rnd() < 0.3 ? Math.floor(rnd() * 1e6).toString(16) : '');
  if (rnd() < 0.02) s += '\nsecond line of a stack trace';
  if (rnd() < 0.02) s += '\0';
  return s;
}

/** Appends `batches` pushes to two streams (with flushes, so many small hot blocks), from `start` on. */
async function fill(store: ReturnType<typeof createStore>, rnd: () => number, start: bigint, batches: number): Promise<void> {
  let ts = start;
  for (let b = 0; b < batches; b++) {
    for (const app of ['a', 'b']) {
      const entries: Entry[] = [];
      for (let i = 0; i < 20; i++) {
        // Some entries out of order and some equal timestamps, so merged blocks must re-sort.
        ts += rnd() < 0.1 ? 0n : 1_000_000n;
        const at = rnd() < 0.05 ? ts - 50_000_000n : ts;
        // Half the lines start with their own timestamp, which cold blocks store as an escape.
        const e: Entry = { ts: at, line: (rnd() < 0.5 ? new Date(Number(at / 1_000_000n)).toISOString() + ' ' : '') + line(rnd, b * 20 + i) };
        if (rnd() < 0.1) e.metadata = { trace_id: String(b * 100 + i) };
        entries.push(e);
      }
      await store.append('t', [{ labels: { app }, entries }]);
    }
    if (b % 3 === 2) await store.flush();
  }
  await store.flush();
}

function norm(map: Map<string, Entry[]>): Array<[string, Array<{ ts: bigint; line: string; metadata?: Record<string, string> }>]> {
  return [...map.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : 1))
    .map(([k, es]) => [k, es.map((e) => ({ ts: e.ts, line: e.line, ...(e.metadata ? { metadata: { ...e.metadata } } : {}) })).sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : x.line < y.line ? -1 : x.line > y.line ? 1 : 0))]);
}

test('cold compaction keeps every entry, shrinks the disk, keeps newer blocks hot, and converges', async () => {
  const dir = join(root, 'a');
  // Wall clock three hours after the old data: with coldAfterMs 2 h, the first hour's blocks are cold.
  const now = T0_MS + 3 * 3600_000;
  const cfg: StoreConfig = { dir, blockTargetBytes: 1024, coldBlockBytes: 16 * 1024, compactionIntervalMs: 0, now: () => now, retention: { periodMs: 0 } };
  let store = createStore(cfg);
  await store.start();
  const rnd = seeded(11);
  await fill(store, rnd, T0, 60);
  await fill(store, rnd, T0 + 2n * HOUR_NS + HOUR_NS / 2n, 6);
  const before = norm(await readAll(store, 't'));
  const ids = store.streams('t', [], ...ALL).map((s) => s.id);
  const blocksBefore = store.blocks('t', ids, ...ALL);
  const coldBytes = blocksBefore.filter((b) => b.maxTs < T0 + HOUR_NS).reduce((n, b) => n + b.rawBytes, 0);
  const diskBefore = dirBytes(join(dir, 'tenants'));

  const r = await store.compact({ unlinkGraceMs: 0 });
  assert.ok(r.coldMergedBlocks > r.coldNewBlocks && r.coldNewBlocks > 0, JSON.stringify(r));
  const blocksAfter = store.blocks('t', ids, ...ALL);
  assert.ok(blocksAfter.length < blocksBefore.length, `${blocksBefore.length} → ${blocksAfter.length} blocks`);
  // Exactly the blocks older than the cutoff were recompressed; newer ones stay hot.
  assert.equal(r.coldRawBytes, coldBytes);
  // Cold blocks are about the cold size, never far beyond it (a run closes once it reaches it).
  for (const b of blocksAfter) assert.ok(b.rawBytes < 20 * 1024, `cold block of ${b.rawBytes} raw bytes`);
  assert.deepEqual(norm(await readAll(store, 't')), before);
  const diskAfter = dirBytes(join(dir, 'tenants'));
  assert.ok(diskAfter < diskBefore * 0.8, `disk ${diskBefore} → ${diskAfter}`);

  // Nothing left to do: cold blocks are not recompressed again.
  const again = await store.compact({ unlinkGraceMs: 0 });
  assert.equal(again.coldMergedBlocks, 0, JSON.stringify(again));
  assert.equal(again.mergedBlocks, 0, JSON.stringify(again));
  await store.close();

  // After a restart the index knows which blocks are cold, and the data is the same.
  store = createStore(cfg);
  await store.start();
  assert.deepEqual(norm(await readAll(store, 't')), before);
  assert.equal((await store.compact({ unlinkGraceMs: 0 })).coldMergedBlocks, 0);
  // Later, the rest turns cold too and small cold blocks merge with their neighbours.
  await store.close();
  const later: StoreConfig = { ...cfg, now: () => now + 24 * 3600_000 };
  store = createStore(later);
  await store.start();
  const r2 = await store.compact({ unlinkGraceMs: 0 });
  assert.ok(r2.coldNewBlocks > 0, JSON.stringify(r2));
  assert.deepEqual(norm(await readAll(store, 't')), before);
  assert.equal((await store.compact({ unlinkGraceMs: 0 })).coldMergedBlocks, 0);
  await store.close();
});

test('blooms of cold blocks never drop a block holding a substring, and still skip blocks', async () => {
  const dir = join(root, 'b');
  const cfg: StoreConfig = { dir, blockTargetBytes: 1024, coldBlockBytes: 8 * 1024, coldAfterMs: 0, compactionIntervalMs: 0, now: () => T0_MS + 86_400_000, retention: { periodMs: 0 } };
  const store = createStore(cfg);
  await store.start();
  const rnd = seeded(5);
  const needle = 'f3b1c2d4-9a7e-4c1b-8e2f-5d6a7b8c9d0e';
  let ts = T0;
  const all: string[] = [];
  for (let b = 0; b < 80; b++) {
    const entries: Entry[] = [];
    for (let i = 0; i < 20; i++) {
      ts += 1_000_000n;
      let l = (i % 2 === 0 ? new Date(Number(ts / 1_000_000n)).toISOString() + ' ' : '') + line(rnd, b * 20 + i);
      if (b === 41 && i === 3) l += ` trace_id=${needle}`;
      all.push(l);
      entries.push({ ts, line: l });
    }
    await store.append('t', [{ labels: { app: 'p' }, entries }]);
    if (b % 2 === 1) await store.flush();
  }
  await store.flush();
  const r = await store.compact({ unlinkGraceMs: 0 });
  assert.ok(r.coldNewBlocks >= 4, JSON.stringify(r));
  const id = store.streams('t', [m('app', '=', 'p')], ...ALL)[0]!.id;
  const refs = store.blocks('t', [id], ...ALL);
  assert.ok(refs.length >= 4, `${refs.length} blocks`);
  const hit = store.blocks('t', [id], ...ALL, { required: [[needle]] });
  assert.equal(hit.length, 1, `needle kept ${hit.length} of ${refs.length} blocks`);
  const contents = await Promise.all(refs.map((x) => store.readBlock(x)));
  const key = (x: (typeof refs)[number]) => JSON.stringify(x.location);
  for (let k = 0; k < 500; k++) {
    const l = all[Math.floor(rnd() * all.length)]!;
    const a = Math.floor(rnd() * l.length);
    const sub = l.slice(a, a + 1 + Math.floor(rnd() * 40));
    const kept = new Set(store.blocks('t', [id], ...ALL, { required: [[sub]] }).map(key));
    refs.forEach((x, i) => {
      if (contents[i]!.some((e) => e.line.includes(sub))) assert.ok(kept.has(key(x)), `false negative for ${JSON.stringify(sub)}`);
    });
  }
  await store.close();
});

test('a negative coldAfterMs turns the cold tier off', async () => {
  const dir = join(root, 'c');
  const store = createStore({ dir, blockTargetBytes: 1024, coldAfterMs: -1, compactionIntervalMs: 0, now: () => T0_MS + 86_400_000, retention: { periodMs: 0 } });
  await store.start();
  await fill(store, seeded(3), T0, 12);
  const ids = store.streams('t', [], ...ALL).map((s) => s.id);
  const before = store.blocks('t', ids, ...ALL).length;
  const r = await store.compact({ unlinkGraceMs: 0 });
  assert.equal(r.coldNewBlocks, 0, JSON.stringify(r));
  assert.equal(store.blocks('t', ids, ...ALL).length, before - r.mergedBlocks + r.newBlocks);
  await store.close();
});

test('cold compaction in many small slices (seals in between) keeps every entry', async () => {
  const dir = join(root, 'd');
  const cfg: StoreConfig = { dir, blockTargetBytes: 1024, coldBlockBytes: 8 * 1024, coldSliceBytes: 5000, coldAfterMs: 0, compactionIntervalMs: 0, now: () => T0_MS + 86_400_000, retention: { periodMs: 0 } };
  let store = createStore(cfg);
  await store.start();
  const rnd = seeded(8);
  await fill(store, rnd, T0, 40);
  const before = norm(await readAll(store, 't'));
  // Appends racing the slices: they are sealed between slices and must not be lost.
  const racing = store.compact({ unlinkGraceMs: 0 });
  await store.append('t', [{ labels: { app: 'a' }, entries: [{ ts: T0 + 10n * HOUR_NS, line: 'late entry' }] }]);
  const flushed = store.flush();
  const r = await racing;
  await flushed;
  assert.ok(r.coldNewBlocks >= 4 && r.coldRawBytes > 3 * 5000, JSON.stringify(r));
  const expected = before.map(([k, es]) => [k, k === '{app="a"}' ? [...es, { ts: T0 + 10n * HOUR_NS, line: 'late entry' }] : es] as const);
  assert.deepEqual(norm(await readAll(store, 't')), expected);
  await store.close();
  store = createStore(cfg);
  await store.start();
  assert.deepEqual(norm(await readAll(store, 't')), expected);
  await store.close();
});
