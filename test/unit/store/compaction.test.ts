/**
 * Compaction of segment files (engine specific: it needs small segments to have several): when
 * retention leaves segments mostly dead, their live blocks are copied out and the files go away,
 * and the data reads back the same, also after a restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { createStore } from '../../../src/store/index.js';
import { m, readAll } from './store.case.js';

const T0 = 1_714_521_600_000_000_000n;
/** Incompressible filler, so a few entries fill a small segment. */
function noise(i: number): string {
  let x = i + 1;
  let out = '';
  for (let k = 0; k < 40; k++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out += x.toString(36);
  }
  return out;
}

const root = mkdtempSync(join(tmpdir(), 'logwharf-compaction-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('mostly expired segments are rewritten and removed; live data survives', async () => {
  const dir = join(root, 'a');
  let now = Number(T0 / 1_000_000n);
  const cfg = {
    dir,
    blockTargetBytes: 1024,
    segmentBytes: 8 * 1024,
    compactionIntervalMs: 0,
    now: () => now,
    retention: { periodMs: 7 * 86_400_000, streams: [{ matchers: [m('keep', '=', 'long')], periodMs: 365 * 86_400_000, priority: 1 }] },
  };
  let store = createStore(cfg);
  await store.start();
  const rnd = (i: number) => ((i * 2654435761) >>> 0).toString(36);
  const expected: string[] = [];
  for (let i = 0; i < 200; i++) {
    const line = `entry ${i} ${rnd(i)} ${rnd(i + 7)} ${rnd(i * 3)}`;
    // Mostly short-lived data, interleaved with a little long-lived data in the same segments.
    const long = i % 10 === 0;
    if (long) expected.push(line);
    await store.append('t', [{ labels: long ? { keep: 'long' } : { keep: 'short' }, entries: [{ ts: T0 + BigInt(i), line: line + ' ' + noise(i) }] }]);
    if (i % 5 === 4) await store.flush();
  }
  await store.flush();
  const segs = () => readdirSync(join(dir, 'tenants', 't-t', 'blocks')).length;
  const before = segs();
  assert.ok(before >= 4, `expected several segments, got ${before}`);
  now += 30 * 86_400_000;
  const r = await store.compact({ unlinkGraceMs: 0 });
  assert.ok(r.expiredBlocks > 0 && r.droppedSegments > 0, JSON.stringify(r));
  assert.ok(segs() < before, `segments ${before} → ${segs()}`);
  const got = () => readAll(store, 't').then((a) => [...a.values()].flat().map((e) => e.line.slice(0, e.line.lastIndexOf(' '))));
  assert.deepEqual(await got(), expected);
  await store.close();
  store = createStore(cfg);
  await store.start();
  assert.deepEqual(await got(), expected);
  assert.deepEqual(store.streams('t', [m('keep', '=', 'short')], 0n, 2n ** 62n), [], 'expired stream has no data left');
  await store.close();
});

test('per-tenant retention (runtime overrides): a tenant with its own period loses its old blocks, the others keep the global period; replacing the overrides applies at the next compaction', async () => {
  const dir = join(root, 'per-tenant');
  let now = Number(T0 / 1_000_000n);
  const store = createStore({ dir, compactionIntervalMs: 0, coldAfterMs: -1, now: () => now, retention: { periodMs: 7 * 86_400_000 } });
  await store.start();
  for (const tenant of ['short', 'long', 'rule']) {
    await store.append(tenant, [{ labels: { app: 'a' }, entries: [{ ts: T0, line: 'old a' }] }, { labels: { app: 'b' }, entries: [{ ts: T0, line: 'old b' }] }]);
  }
  await store.flush();
  store.setTenantRetention({ short: { periodMs: 86_400_000 }, rule: { periodMs: 30 * 86_400_000, streams: [{ matchers: [m('app', '=', 'b')], periodMs: 86_400_000 }] } });
  now += 3 * 86_400_000;
  await store.compact({ unlinkGraceMs: 0 });
  const lines = async (tenant: string) => [...(await readAll(store, tenant)).values()].flat().map((e) => e.line).sort();
  assert.deepEqual(await lines('short'), [], '1d: gone after 3 days');
  assert.deepEqual(await lines('long'), ['old a', 'old b'], 'no overrides: the global 7d');
  assert.deepEqual(await lines('rule'), ['old a'], 'its own retention_stream: {app="b"} 1d, the rest 30d');
  // The overrides go away (the file no longer names `rule`): the global 7d applies to it again.
  store.setTenantRetention({});
  now += 5 * 86_400_000;
  await store.compact({ unlinkGraceMs: 0 });
  assert.deepEqual(await lines('rule'), []);
  await store.close();
});
