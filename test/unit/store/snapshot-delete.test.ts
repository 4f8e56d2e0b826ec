/**
 * The store's two lifecycle entry points (issue #15), engine specific because they need small
 * segments: a snapshot keeps every segment file it lists on disk, at least as long as it said,
 * until released, even when compaction drops the file meanwhile; deleteEntries removes exactly the
 * selected entries, keeps the rest across a restart, and leaves no segment file holding them.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createStore } from '../../../src/store/index.js';
import { m, readAll } from './store.case.js';
import { filesHolding } from '../../helpers/data-scan.js';

const T0 = 1_714_521_600_000_000_000n;
const root = mkdtempSync(join(tmpdir(), 'logwharf-lifecycle-'));
after(() => rmSync(root, { recursive: true, force: true }));

function noise(i: number): string {
  let x = i + 1;
  let out = '';
  for (let k = 0; k < 30; k++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += x.toString(36);
  }
  return out;
}

test('a snapshot pins its segment files until released', async () => {
  const dir = join(root, 'snap');
  let now = Number(T0 / 1_000_000n) + 86_400_000;
  const store = createStore({ dir, blockTargetBytes: 1024, segmentBytes: 4096, compactionIntervalMs: 0, coldAfterMs: -1, now: () => now, retention: { periodMs: 3_600_000 } });
  await store.start();
  for (let i = 0; i < 60; i++) await store.append('t', [{ labels: { app: 'a' }, entries: [{ ts: T0 + BigInt(i) * 1_000_000n, line: `old ${i} ${noise(i)}` }] }]);
  const snap = await store.snapshot();
  const segs = snap.files.filter((f) => f.path.endsWith('.seg'));
  assert.ok(segs.length > 1, `several segments (${segs.length})`);
  assert.deepEqual(snap.tenants, ['t']);
  // Everything is past retention now: compaction drops every segment, with no grace for readers.
  now += 86_400_000;
  const r = await store.compact({ unlinkGraceMs: 0 });
  assert.ok(r.droppedSegments >= segs.length, `dropped ${r.droppedSegments}`);
  for (const f of segs) assert.ok(statSync(join(dir, f.path)).size >= f.size, `${f.path} is still whole while the snapshot is open`);
  snap.release();
  await store.compact({ unlinkGraceMs: 0 });
  for (const f of segs) assert.equal(existsSync(join(dir, f.path)), false, `${f.path} is unlinked once released`);
  await store.close();
});

test('deleteEntries removes exactly the selected entries, from disk too, and survives a restart', async () => {
  const dir = join(root, 'del');
  const cfg = { dir, blockTargetBytes: 2048, segmentBytes: 16 * 1024, compactionIntervalMs: 0, coldAfterMs: -1, retention: { periodMs: 0 } };
  let store = createStore(cfg);
  await store.start();
  const all: string[] = [];
  for (let i = 0; i < 300; i++) {
    const line = `${i % 5 === 0 ? 'SECRET' : 'fine'} ${i} ${noise(i)}`;
    all.push(line);
    await store.append('t', [{ labels: { app: String(i % 2) }, entries: [{ ts: T0 + BigInt(i) * 1_000_000n, line }] }]);
    if (i === 150) await store.flush();
  }
  await store.append('other', [{ labels: { app: '0' }, entries: [{ ts: T0, line: 'SECRET of another tenant' }] }]);
  const r = await store.deleteEntries('t', { matchers: [m('app', '=~', '.+')], from: T0, to: T0 + 199n * 1_000_000n, line: (l) => l.startsWith('SECRET') });
  assert.equal(r.deletedEntries, 40);
  const expect = all.filter((l, i) => !(l.startsWith('SECRET') && i < 200));
  const read = async () => [...(await readAll(store, 't', [m('app', '=~', '.+')], T0, T0 + 10n ** 12n)).values()].flat().map((e) => e.line).sort();
  assert.deepEqual(await read(), [...expect].sort());
  assert.equal(store.stats('t', [m('app', '=~', '.+')], T0, T0 + 10n ** 12n).entries, expect.length);
  // Applying it again removes nothing more.
  assert.equal((await store.deleteEntries('t', { matchers: [m('app', '=~', '.+')], from: T0, to: T0 + 199n * 1_000_000n, line: (l) => l.startsWith('SECRET') })).deletedEntries, 0);
  await store.close();
  assert.deepEqual(filesHolding(dir, 'SECRET 10 '), [], 'a deleted line is in no file');
  assert.ok(filesHolding(dir, 'SECRET 200 ').length > 0, 'a line outside the range is');
  store = createStore(cfg);
  await store.start();
  assert.deepEqual(await read(), [...expect].sort());
  assert.equal([...(await readAll(store, 'other', [m('app', '=', '0')], T0, T0 + 1n)).values()].flat().length, 1);
  await store.close();
});
