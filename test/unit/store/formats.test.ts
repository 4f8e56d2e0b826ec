/**
 * Data directories written before issue #8 keep opening: their WAL, streams.log and index.log
 * frames are v1 (CRC-32, no magic) and their blocks have `LHB1` headers (CRC-32), see
 * src/store/frame.ts and src/store/block-meta.ts. fixtures/v1-data was written by the store as of
 * commit b91ab31 and left as kill -9 leaves it: two rounds sealed into blocks, one only in the WAL.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run } from '../../../src/cli/dispatch.js';
import { createStore } from '../../../src/store/index.js';
import { readAll } from './store.case.js';

const fixture = fileURLToPath(new URL('./fixtures/v1-data', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'logwharf-formats-'));
after(() => rmSync(root, { recursive: true, force: true }));

test('a data directory written with v1 frames and LHB1 blocks opens with every entry, and new writes append v2 frames to it', async () => {
  const dir = join(root, 'd1');
  cpSync(fixture, dir, { recursive: true });
  const errors: unknown[] = [];
  const s = createStore({ dir, compactionIntervalMs: 0, now: () => 1_714_521_600_000, log: { info() {}, warn() {}, error: (o) => void errors.push(o) } });
  await s.start();
  const got = await readAll(s, 't');
  assert.deepEqual([...got.keys()].sort(), ['{job="api"}', '{job="web"}']);
  for (const [key, entries] of got) {
    assert.equal(entries.length, 60, key);
    assert.equal(entries.filter((e) => e.metadata?.trace_id !== undefined).length, 12);
  }
  await s.append('t', [{ labels: { job: 'new' }, entries: [{ ts: 1_714_521_600_000_000_999n, line: 'v2' }] }]);
  await s.close();
  assert.deepEqual(errors, [], 'old formats are not damage');
  const again = createStore({ dir, compactionIntervalMs: 0, now: () => 1_714_521_600_000 });
  await again.start();
  assert.equal([...(await readAll(again, 't')).values()].flat().length, 121);
  await again.close();
  // Old blocks are read as they are (nothing is rewritten to open them).
  assert.equal(readFileSync(join(dir, 'tenants', 't-t', 'blocks', '00000001.seg')).subarray(0, 4).toString(), 'LHB1');
});

test('fsck verifies the v1 checksums of an old data directory and finds it clean', async () => {
  const dir = join(root, 'd2');
  cpSync(fixture, dir, { recursive: true });
  const stdout = new PassThrough();
  let out = '';
  stdout.on('data', (c) => (out += c));
  const code = await run(['fsck', '--data', dir], { stdout, stderr: new PassThrough(), stdin: Readable.from(['']), signal: new AbortController().signal });
  const summary = JSON.parse(out.trim().split('\n').at(-1)!) as Record<string, unknown>;
  assert.equal(code, 0, out);
  assert.equal(summary.blocks, 4);
  assert.equal(summary.damaged, 0);
});
