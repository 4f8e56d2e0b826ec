/**
 * Duplicates of retried pushes against sealed data (issue #12, stop 18): what is kept of the newest
 * sealed head of a stream is a digest (timestamps and 64-bit hashes of the lines,
 * src/store/sealed-digest.ts), not the lines. A retried push must still be dropped once its head was
 * sealed — in the same process, after a clean restart and after a crash — and a different line at
 * the same timestamp (even of the same length, one byte apart) must still be kept.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Entry, StreamPush } from '../../../src/api/model.js';
import { createStore, type EmbeddedStore } from '../../../src/store/index.js';
import { SealedDigest } from '../../../src/store/sealed-digest.js';
import { seededRandom, type SeededRandom } from '../../helpers/random.js';
import { readAll } from './store.case.js';

const T0 = 1_714_521_600_000_000_000n;
const now = () => 1_714_521_600_000;
const root = mkdtempSync(join(tmpdir(), 'logwharf-sealed-dedup-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

const WORDS = ['GET', '/api/v1/users', 'status=200', 'level=info', 'café', '日本', '🙂', '', 'x'.repeat(70)];

/** A few thousand entries, out of order, some sharing a timestamp, lines of varied length and UTF-8. */
function entries(rnd: SeededRandom, n: number): Entry[] {
  const out: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const words: string[] = [];
    for (let w = rnd.int(6); w >= 0; w--) words.push(WORDS[rnd.int(WORDS.length)]!);
    out.push({ ts: T0 + BigInt(rnd.int(n / 2)) * 1_000_000n, line: `${i} ${words.join(' ')}`, ...(i % 5 === 0 ? { metadata: { trace_id: `t${i}` } } : {}) });
  }
  return out;
}

/** The same timestamps, lines of the same length one byte apart: none is a duplicate. */
function neighbours(list: Entry[]): Entry[] {
  return list.map((e) => ({ ts: e.ts, line: e.line.slice(0, -1) + (e.line.endsWith('#') ? '%' : '#') }));
}

function open(dir: string): EmbeddedStore {
  return createStore({ dir, compactionIntervalMs: 0, now });
}

const push = (list: Entry[]): StreamPush[] => [{ labels: { job: 'retry' }, entries: list }];

async function stored(store: EmbeddedStore): Promise<number> {
  return [...(await readAll(store, 't')).values()].reduce((n, l) => n + l.length, 0);
}

test('a retried push whose head was sealed is dropped as a duplicate; a different line at the same timestamp is kept', async (t) => {
  const rnd = seededRandom(t);
  const dir = join(root, `d${++dirs}`);
  const store = open(dir);
  await store.start();
  const first = entries(rnd, 3000);
  const { accepted } = await store.append('t', push(first));
  await store.flush();
  const ids = store.streams('t', [], 0n, 2n ** 62n).map((s) => s.id);
  assert.ok(store.blocks('t', ids, 0n, 2n ** 62n).every((b) => b.location.kind === 'file'), 'the head was sealed');
  // The whole push again, and a random part of it (metadata does not count for a duplicate).
  assert.deepEqual(await store.append('t', push(first)), { accepted: 0, duplicates: first.length });
  const part = first.filter(() => rnd.next() < 0.3).map((e) => ({ ts: e.ts, line: e.line }));
  assert.deepEqual(await store.append('t', push(part)), { accepted: 0, duplicates: part.length });
  const other = neighbours(first.slice(0, 500));
  assert.deepEqual(await store.append('t', push(other)), { accepted: 500, duplicates: 0 });
  assert.equal(await stored(store), accepted + 500);
  await store.close();
});

for (const how of ['a clean restart', 'a crash'] as const) {
  test(`a retried push of sealed data is still dropped after ${how}, and a different line at the same timestamp kept`, async (t) => {
    const rnd = seededRandom(t);
    const dir = join(root, `d${++dirs}`);
    const a = open(dir);
    await a.start();
    const first = entries(rnd, 2000);
    const { accepted } = await a.append('t', push(first));
    await a.flush();
    if (how === 'a clean restart') await a.close();
    // A crash: `a` is abandoned without closing; its block is sealed and indexed, its WAL replayed.
    const b = open(dir);
    await b.start();
    const retry = first.filter(() => rnd.next() < 0.5);
    const other = neighbours(first.slice(0, 300));
    assert.deepEqual(await b.append('t', push([...retry, ...other])), { accepted: 300, duplicates: retry.length });
    assert.equal(await stored(b), accepted + 300);
    await b.close();
  });
}

test('the digest tells exact duplicates from lines of the same length and timestamp', (t) => {
  const rnd = seededRandom(t);
  const list = entries(rnd, 4000).sort((x, y) => (x.ts < y.ts ? -1 : x.ts > y.ts ? 1 : 0));
  const d = SealedDigest.fromEntries(list);
  for (const e of list) assert.ok(d.contains({ ts: e.ts, line: e.line }), `contains ${e.ts} ${JSON.stringify(e.line)}`);
  for (const e of neighbours(list)) assert.ok(!d.contains(e), `not ${e.ts} ${JSON.stringify(e.line)}`);
  for (const e of list.slice(0, 200)) assert.ok(!d.contains({ ts: e.ts + 1n, line: e.line }) || list.some((o) => o.ts === e.ts + 1n && o.line === e.line));
  assert.ok(!SealedDigest.empty.contains(list[0]!));
  // 16 bytes an entry, whatever the lines' length.
  assert.equal(d.bytes, list.length * 16);
});
