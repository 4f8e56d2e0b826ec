/**
 * A full disk, for real: the store runs on a 1 MiB tmpfs (needs root and mount(2); skipped with a
 * message otherwise). Appends that cannot be made durable are rejected with `store_unavailable`
 * naming ENOSPC, nothing of them is acknowledged or left half-written, and writing resumes once
 * space returns. A seal that fails for lack of space leaves the data in the WAL and is retried.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isLogwharfError } from '../../../src/api/errors.js';
import { createStore } from '../../../src/store/index.js';
import { readAll } from './store.case.js';

const T0 = 1_714_521_600_000_000_000n;
const now = () => 1_714_521_600_000;
let mnt = '';
let skip: string | false = false;

before(() => {
  mnt = mkdtempSync(join(tmpdir(), 'logwharf-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt], { stdio: 'pipe' });
  } catch (e) {
    skip = `cannot mount a 1 MiB tmpfs here (needs root): ${(e as Error).message.split('\n')[0]}`;
  }
});

after(() => {
  // Lazy unmount: a failed assertion may leave a store's files open.
  if (!skip) execFileSync('umount', ['-l', mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

function batch(n: number, size: number) {
  return [{ labels: { job: 'full' }, entries: [{ ts: T0 + BigInt(n), line: `entry-${n} ` + 'y'.repeat(size) }] }];
}

test('append on a full disk rejects with ENOSPC, acknowledges nothing partial, and recovers', async (t) => {
  if (skip) return t.skip(skip);
  const dir = join(mnt, 'data');
  const filler = join(mnt, 'filler');
  writeFileSync(filler, Buffer.alloc(400 * 1024));
  let store = createStore({ dir, compactionIntervalMs: 0, now });
  await store.start();
  const acked: number[] = [];
  let failure: unknown;
  // Random bytes do not compress, but lines only reach disk through the WAL here (no seal yet).
  for (let n = 0; n < 100 && !failure; n++) {
    try {
      await store.append('t', batch(n, 20_000));
      acked.push(n);
    } catch (e) {
      failure = e;
    }
  }
  assert.ok(failure, 'the disk filled up');
  assert.ok(isLogwharfError(failure));
  assert.equal(failure.code, 'store_unavailable');
  assert.match(failure.message, /^write failed: no space left on device \(ENOSPC\)/);
  const failedAt = acked.length;
  await assert.rejects(store.append('t', batch(failedAt, 20_000)), { code: 'store_unavailable' });
  // Space returns: the next append succeeds without a restart.
  await rm(filler);
  await store.append('t', batch(1000, 10));
  acked.push(1000);
  await store.close();
  store = createStore({ dir, compactionIntervalMs: 0, now });
  await store.start();
  const lines = [...(await readAll(store, 't')).values()].flat().map((e) => e.line.split(' ')[0]);
  assert.deepEqual(lines, acked.map((n) => `entry-${n}`), 'exactly the acknowledged entries, once');
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

test('a seal that fails for lack of space keeps the data and succeeds later', async (t) => {
  if (skip) return t.skip(skip);
  const dir = join(mnt, 'data2');
  let store = createStore({ dir, compactionIntervalMs: 0, now });
  await store.start();
  for (let n = 0; n < 5; n++) await store.append('t', batch(n, 2000));
  // Fill the rest of the disk so sealing cannot write its segment.
  const filler = join(mnt, 'filler2');
  try {
    writeFileSync(filler, Buffer.alloc(2 * 1024 * 1024));
  } catch {
    // ENOSPC once the disk is full: that is the point.
  }
  await assert.rejects(store.flush(), (e: unknown) => isLogwharfError(e) && e.code === 'store_unavailable' && /ENOSPC/.test(e.message));
  assert.equal([...(await readAll(store, 't')).values()].flat().length, 5, 'data still readable from the head');
  await rm(filler);
  await store.flush();
  await store.close();
  store = createStore({ dir, compactionIntervalMs: 0, now });
  await store.start();
  assert.deepEqual(
    [...(await readAll(store, 't')).values()].flat().map((e) => e.line.split(' ')[0]),
    [0, 1, 2, 3, 4].map((n) => `entry-${n}`),
  );
  await store.close();
  await rm(dir, { recursive: true, force: true });
});
