/**
 * The WAL holds minutes of data, not a segment's worth (issue #12): once every head is sealed, the
 * checkpoint rolls the open segment and deletes it, so the log shrinks to nothing; under steady
 * writes, segments roll by age and go once their records are sealed. Every line stays readable,
 * exactly once, across an abandoned (crashed) store and a restart.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { StreamPush } from '../../../src/api/model.js';
import { createStore } from '../../../src/store/index.js';
import { waitFor } from '../../helpers/wait-for.js';
import { readAll } from './store.case.js';

const T0 = 1_714_521_600_000_000_000n;
const ALL = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const root = mkdtempSync(join(tmpdir(), 'logwharf-wal-size-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function walFiles(dir: string): Array<{ name: string; bytes: number }> {
  return readdirSync(join(dir, 'wal'))
    .filter((f) => f.endsWith('.wal'))
    .sort()
    .map((name) => ({ name, bytes: statSync(join(dir, 'wal', name)).size }));
}
const walBytes = (dir: string) => walFiles(dir).reduce((a, f) => a + f.bytes, 0);

/** `count` lines of ~200 bytes in `streams` streams, numbered from `from`. */
function push(prefix: string, from: number, count: number, streams = 4): StreamPush[] {
  const out: StreamPush[] = [];
  for (let s = 0; s < streams; s++) {
    const entries = [];
    for (let i = from; i < from + count; i++) if (i % streams === s) entries.push({ ts: T0 + BigInt(i), line: `${prefix}-${i} ` + 'y'.repeat(190) });
    if (entries.length > 0) out.push({ labels: { job: 'wal', stream: String(s) }, entries });
  }
  return out;
}

async function lines(dir: string, now: () => number): Promise<Map<string, number>> {
  const s = createStore({ dir, compactionIntervalMs: 0, now });
  await s.start();
  const counts = new Map<string, number>();
  for (const e of [...(await readAll(s, 't')).values()].flat()) counts.set(e.line.split(' ')[0]!, (counts.get(e.line.split(' ')[0]!) ?? 0) + 1);
  await s.close();
  return counts;
}

function assertExactlyOnce(counts: Map<string, number>, prefix: string, total: number): void {
  for (let i = 0; i < total; i++) assert.equal(counts.get(`${prefix}-${i}`), 1, `${prefix}-${i} appears ${counts.get(`${prefix}-${i}`) ?? 0} times`);
}

test('once every head is sealed, the checkpoint deletes the open WAL segment too: the WAL shrinks to nothing', async () => {
  const dir = join(root, `c${++n}`);
  const now = () => 1_714_521_600_000;
  const a = createStore({ dir, compactionIntervalMs: 0, now });
  await a.start();
  // ~2 MB of lines in many pushes: far less than a 32 MiB segment, which used to stay until it filled.
  for (let i = 0; i < 10_000; i += 500) await a.append('t', push('a', i, 500));
  assert.ok(walBytes(dir) > 2_000_000, `the WAL holds the pushes (${walBytes(dir)} bytes)`);
  await a.flush();
  assert.equal(walBytes(dir), 0, `after sealing, the WAL holds ${walBytes(dir)} bytes in ${JSON.stringify(walFiles(dir))}`);
  // Appends go on after the roll; then the store is abandoned without close (a crash).
  await a.append('t', push('b', 0, 40));
  const files = walFiles(dir);
  assert.equal(files.length, 1);
  assert.ok(files[0]!.bytes > 0 && files[0]!.bytes < 20_000, `only the new lines are in the WAL: ${JSON.stringify(files)}`);
  const counts = await lines(dir, now);
  assertExactlyOnce(counts, 'a', 10_000);
  assertExactlyOnce(counts, 'b', 40);
  assert.equal(counts.size, 10_040);
});

test('a WAL whose every record was sealed and deleted keeps counting LSNs after a restart', async () => {
  const dir = join(root, `c${++n}`);
  let clock = 1_714_521_600_000;
  const now = () => clock;
  const a = createStore({ dir, compactionIntervalMs: 0, now });
  await a.start();
  await a.append('t', push('a', 0, 100));
  // The same push again before any seal: its record is written (LSN 2) but adds nothing to a head,
  // so no sealed block carries its LSN.
  await a.append('t', push('a', 0, 100));
  await a.flush();
  assert.deepEqual(walFiles(dir), [{ name: '0000000000000003.wal', bytes: 0 }]);
  // Abandoned (a crash). Restarted, the store must go on from LSN 3, the empty segment's name: were
  // it to go back to 2, the segment 2.wal would hold LSNs 2, 3, … before 3.wal, and a checkpoint
  // would take 2.wal for all below 3 and delete live records.
  const b = createStore({ dir, compactionIntervalMs: 0, maxBlockAgeMs: 200, walSegmentAgeMs: 100, now });
  await b.start();
  const one = (stream: string, line: string): StreamPush[] => [{ labels: { job: 'wal', stream }, entries: [{ ts: T0 + 10_000n, line }] }];
  await b.append('t', one('x', 'x-0'));
  clock += 50;
  await b.append('t', one('y', 'y-0'));
  clock += 70;
  // Past the segment age: this append rolls the segment.
  await b.append('t', one('z', 'z-0'));
  clock += 90;
  // x's head is now 210 ms old: the tick seals it and checkpoints; y and z stay in heads.
  await waitFor('x sealed', () => b.blocks('t', b.streams('t', [{ name: 'stream', op: '=', value: 'x' }], ALL[0], ALL[1]).map((s) => s.id), ALL[0], ALL[1]).length === 1);
  // Compaction runs after the seal's checkpoint (one exclusive section after another): a barrier.
  await b.compact();
  await b.append('t', one('w', 'w-0'));
  // Abandoned again: y and z are only in the WAL.
  const counts = await lines(dir, now);
  assertExactlyOnce(counts, 'a', 100);
  for (const l of ['x-0', 'y-0', 'z-0', 'w-0']) assert.equal(counts.get(l), 1, `${l} appears ${counts.get(l) ?? 0} times`);
  assert.equal(counts.size, 104);
});

test('under steady writes, WAL segments roll by age and are deleted once sealed: the WAL holds only recent data', async () => {
  const dir = join(root, `c${++n}`);
  let clock = 1_714_521_600_000;
  const now = () => clock;
  // Heads sealed 200 ms (of the test clock) after their first entry, segments rolled after 100 ms.
  const a = createStore({ dir, compactionIntervalMs: 0, maxBlockAgeMs: 200, walSegmentAgeMs: 100, now });
  await a.start();
  // A burst of ~1 MB, then a quiet stream that writes every 20 ms (of the test clock), as the health
  // records do: it always has a live head, so the WAL never empties, and only segments rolled by
  // age can free the burst's records.
  for (let i = 0; i < 5000; i += 500) await a.append('t', push('burst', i, 500));
  assert.ok(walBytes(dir) > 1_000_000);
  let k = 0;
  await waitFor(
    'the burst to leave the WAL',
    async () => {
      clock += 20;
      await a.append('t', [{ labels: { job: 'wal', stream: 'quiet' }, entries: [{ ts: T0 + 1_000_000n + BigInt(k), line: `quiet-${k++} ` + 'q'.repeat(40) }] }]);
      return walBytes(dir) < 20_000;
    },
    { timeoutMs: 20_000 },
  );
  assert.ok(k > 10, `the quiet stream wrote ${k} times`);
  // Abandoned without close (a crash): the segments left must complete the sealed blocks.
  const counts = await lines(dir, now);
  assertExactlyOnce(counts, 'burst', 5000);
  assertExactlyOnce(counts, 'quiet', k);
  assert.equal(counts.size, 5000 + k);
});
