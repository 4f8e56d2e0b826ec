/**
 * WAL records are encoded into buffers the store reuses once a record is written and copied into
 * the heads (issue #12, stop 18). Reused too soon, a buffer would be overwritten while its record
 * is still queued for the write (the WAL would hold another push's bytes and fail its checksum on
 * replay) or while the heads still copy from it. Many concurrent appends of same-sized records,
 * over several rounds, must read back exactly, before and after a crash's replay of the WAL.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Entry, StreamPush } from '../../../src/api/model.js';
import { createStore } from '../../../src/store/index.js';
import { seededRandom } from '../../helpers/random.js';
import { readAll } from './store.case.js';

const T0 = 1_714_521_600_000_000_000n;
const now = () => 1_714_521_600_000;
const root = mkdtempSync(join(tmpdir(), 'logwharf-record-buffers-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('concurrent appends into reused record buffers read back exactly, also after a crash', async (t) => {
  const rnd = seededRandom(t);
  const dir = join(root, 'd');
  const open = () => createStore({ dir, compactionIntervalMs: 0, now });
  const a = open();
  await a.start();
  const expected = new Map<string, string[]>();
  let ts = 0n;
  for (let round = 0; round < 4; round++) {
    const pushes: StreamPush[][] = [];
    for (let p = 0; p < 8; p++) {
      const job = `job${p}`;
      const list: Entry[] = [];
      // Same sizes every round (so buffers fit the next records), different bytes.
      for (let i = 0; i < 400; i++) list.push({ ts: T0 + ++ts, line: `${round}/${p}/${i} ${rnd.int(1e9).toString(36).padStart(6, '0')} ${'é'.repeat(i % 7)}${'x'.repeat(200)}` });
      pushes.push([{ labels: { job }, entries: list }]);
      const key = `{job="${job}"}`;
      expected.set(key, [...(expected.get(key) ?? []), ...list.map((e) => e.line)]);
    }
    const results = await Promise.all(pushes.map((s) => a.append('t', s)));
    for (const r of results) assert.deepEqual(r, { accepted: 400, duplicates: 0 });
  }
  const linesOf = (m: Map<string, Entry[]>) => new Map([...m].map(([k, list]) => [k, list.map((e) => e.line)]));
  assert.deepEqual(linesOf(await readAll(a, 't')), expected);
  // A crash: `a` is abandoned; `b` replays its WAL, whose records must have been written intact.
  const b = open();
  await b.start();
  assert.deepEqual(linesOf(await readAll(b, 't')), expected);
  await b.close();
});
