/**
 * How a file reader wakes up (issue #17): through the directory watch, with the poll only a safety
 * net, and by polling alone (with back-off while quiet) where nothing can be watched. Readers here
 * poll every 10 s (the watched safety poll every 80 s), so a line that arrives within seconds came
 * through the watch: a broken watch path fails these tests by their timeouts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createFileReader } from '../../../../src/agent/tail/file-reader.js';
import { checkExactlyOnce, DockerJsonWriter, eventCounter, numbered, readUntil, tempDir } from './support.js';
import { waitFor } from '../../../helpers/wait-for.js';

const SLOW_POLL = { pollIntervalMs: 10_000, deletedGraceMs: 200 };
/** Far below the slowest poll above, far above what a watch event takes on a loaded machine. */
const PROMPT_MS = 4000;

test('a file that goes quiet and writes again is read promptly each time, without waiting for the poll', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'app.log');
  writeFileSync(path, 'start\n');
  const r = createFileReader({ path, format: 'raw', maxLineBytes: 1024, ...SLOW_POLL });
  t.after(() => r.close());
  assert.deepEqual((await readUntil(r, (l) => l.length >= 1, PROMPT_MS)).lines.map((l) => l.line), ['start']);
  for (let round = 0; round < 3; round++) {
    const waiting = readUntil(r, (l) => l.length >= 2, PROMPT_MS);
    // Quiet for a while (the reader is asleep); then two writes. Not synchronisation: a write that
    // came before the reader slept would be read anyway, so the pause cannot make the test fail.
    await delay(300);
    appendFileSync(path, `round ${round} a\n`);
    appendFileSync(path, `round ${round} b\n`);
    const got = await waiting;
    assert.deepEqual(
      got.lines.map((l) => l.line),
      [`round ${round} a`, `round ${round} b`],
    );
  }
});

test('a rotation by rename is followed through the watch: every line once, the new file read promptly', async (t) => {
  const dir = tempDir(t);
  const w = new DockerJsonWriter(join(dir, 'c-json.log'), 3);
  t.after(() => w.close());
  const r = createFileReader({ path: w.path, format: 'docker-json', maxLineBytes: 1024, ...SLOW_POLL });
  t.after(() => r.close());
  const lines: string[] = [];
  let n = 0;
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 5; i++) w.write(numbered(n++) + '\n');
    const got = await readUntil(r, (l) => lines.length + l.length >= n, PROMPT_MS);
    for (const l of got.lines) lines.push(l.line);
    w.rotate();
  }
  w.write(numbered(n++) + '\n');
  for (const l of (await readUntil(r, (l) => lines.length + l.length >= n, PROMPT_MS)).lines) lines.push(l.line);
  assert.equal(checkExactlyOnce(lines, n), undefined);
});

test('copytruncate is noticed through the change it makes, not the poll', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'app.log');
  writeFileSync(path, 'one\ntwo\nthree\n');
  const ev = eventCounter();
  const r = createFileReader({ path, format: 'raw', maxLineBytes: 1024, ...SLOW_POLL, onEvent: ev.onEvent });
  t.after(() => r.close());
  await readUntil(r, (l) => l.length >= 3, PROMPT_MS);
  const waiting = readUntil(r, (l) => l.some((x) => x.line === 'after'), PROMPT_MS + 2000);
  await delay(100); // see the first test: cannot cause a failure
  truncateSync(path, 0);
  // The truncation must be seen before new data passes the old offset (copytruncate's race, docs/agent.md).
  await waitFor('the truncation to be counted', () => (ev.counts.truncated_file ?? 0) >= 1, { timeoutMs: PROMPT_MS });
  appendFileSync(path, 'after\n');
  assert.deepEqual((await waiting).lines.map((l) => l.line), ['after']);
});

test('without a watch the reader polls: lines after a quiet spell and a rotation still arrive, each once', async (t) => {
  const dir = tempDir(t);
  const w = new DockerJsonWriter(join(dir, 'c-json.log'), 3);
  t.after(() => w.close());
  // 50 ms polls backing off to 200 ms while quiet.
  const r = createFileReader({ path: w.path, format: 'docker-json', maxLineBytes: 1024, pollIntervalMs: 50, deletedGraceMs: 200, watch: false });
  t.after(() => r.close());
  const lines: string[] = [];
  let n = 0;
  for (let round = 0; round < 3; round++) {
    for (let i = 0; i < 3; i++) w.write(numbered(n++) + '\n');
    for (const l of (await readUntil(r, (l) => lines.length + l.length >= n, PROMPT_MS)).lines) lines.push(l.line);
    await delay(500); // quiet: the poll backs off (timing only shapes the case, the assertion is on lines)
    if (round === 1) w.rotate();
  }
  assert.equal(checkExactlyOnce(lines, n), undefined);
  assert.equal(r.openFiles, 1);
});

test('a reader whose directory cannot be watched (it does not exist yet) polls until the file appears', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'later', 'app.log');
  const r = createFileReader({ path, format: 'raw', maxLineBytes: 1024, pollIntervalMs: 50 });
  t.after(() => r.close());
  const waiting = readUntil(r, (l) => l.length >= 1, PROMPT_MS);
  mkdirSync(join(dir, 'later'));
  writeFileSync(path + '.tmp', 'hello\n');
  renameSync(path + '.tmp', path);
  assert.deepEqual((await waiting).lines.map((l) => l.line), ['hello']);
});

test('read_coalesce: a file that changes again soon after a read is read once for the whole window', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'app.log');
  writeFileSync(path, '');
  const r = createFileReader({ path, format: 'raw', maxLineBytes: 1024, ...SLOW_POLL, readCoalesceMs: 1500 });
  t.after(() => r.close());
  const waiting = readUntil(r, (l) => l.length >= 6, PROMPT_MS + 2000);
  await delay(100); // the reader goes to sleep first (cannot cause a failure: see the first test)
  // Six writes 60 ms apart (the pauses shape the writer, they synchronise nothing): the first wakes
  // the reader at once, the other five fall in its 1.5 s window and are read together at its end.
  for (let i = 0; i < 6; i++) {
    appendFileSync(path, `line ${i}\n`);
    await delay(60);
  }
  const got = await waiting;
  assert.deepEqual(
    got.lines.map((l) => l.line),
    [0, 1, 2, 3, 4, 5].map((i) => `line ${i}`),
  );
  // Without coalescing each write is a batch of its own (six); with it, two (three on a slow machine
  // that read the second write before the first window started).
  assert.ok(got.batches.length <= 3, `${got.batches.length} batches`);
});

test('read_coalesce spares a busy file: one that brought 8 KiB or more in the last second is read at its next change', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'app.log');
  writeFileSync(path, '');
  // A window far longer than the test's patience: a coalesced read would time it out.
  const r = createFileReader({ path, format: 'raw', maxLineBytes: 1024, ...SLOW_POLL, readCoalesceMs: 60_000 });
  t.after(() => r.close());
  const burst = Array.from({ length: 200 }, (_, i) => `busy ${i} ${'x'.repeat(60)}`);
  const first = readUntil(r, (l) => l.length >= burst.length, PROMPT_MS);
  await delay(100); // the reader goes to sleep first (cannot cause a failure: see the first test)
  appendFileSync(path, burst.join('\n') + '\n'); // ~14 KB: a busy file
  assert.equal((await first).lines.length, burst.length);
  const next = readUntil(r, (l) => l.length >= 1, PROMPT_MS);
  appendFileSync(path, 'right after\n');
  assert.deepEqual((await next).lines.map((l) => l.line), ['right after']);
});
