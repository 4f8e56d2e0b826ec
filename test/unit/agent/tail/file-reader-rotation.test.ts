/**
 * The file reader's guarantee through rotation: every line read exactly once, in order, whatever
 * happens to the file (rename bursts, copytruncate, unlink and recreate, the kubelet's rename and
 * gzip), and when it resumes from a saved position after rotations it did not see.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, ftruncateSync, openSync, closeSync, readdirSync, readlinkSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { createFileReader } from '../../../../src/agent/tail/file-reader.js';
import type { FilePosition, LineReader } from '../../../../src/agent/model.js';
import { CriWriter } from '../../../helpers/cri-writer.js';
import { pushAll } from '../../../../src/util/arrays.js';
import { waitFor } from '../../../helpers/wait-for.js';
import { DockerJsonWriter, checkExactlyOnce, dockerRecord, eventCounter, keepWithin, numbered, readUntil, tempDir } from './support.js';

const FAST = { maxLineBytes: 64 * 1024, pollIntervalMs: 20, deletedGraceMs: 200 };

function texts(lines: { line: string }[]): string[] {
  return lines.map((l) => l.line);
}

test('a new file is read from its first line; a saved position resumes right after the last line read', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c-json.log');
  const w = new DockerJsonWriter(path);
  t.after(() => w.close());
  for (let i = 0; i < 100; i++) w.write(numbered(i) + '\n', i % 2 ? 'stderr' : 'stdout');
  const r1 = createFileReader({ path, format: 'docker-json', ...FAST, maxBatchLines: 30 });
  const first = await readUntil(r1, (l) => l.length >= 60);
  await r1.close();
  assert.ok(first.batches.every((b) => b.lines.length <= 30));
  assert.equal(first.lines[1]!.stream, 'stderr');
  const pos = first.batches.at(-1)!.position as FilePosition;
  assert.equal(r1.openFiles, 0);
  for (let i = 100; i < 150; i++) w.write(numbered(i) + '\n');
  const r2 = createFileReader({ path, format: 'docker-json', ...FAST, start: pos });
  t.after(() => r2.close());
  const rest = await readUntil(r2, (l) => first.lines.length + l.length >= 150);
  assert.equal(checkExactlyOnce(texts([...first.lines, ...rest.lines]), 150), undefined);
});

test('rotation by rename while reading, including bursts of several rotations between reads: every line exactly once', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c-json.log');
  // Ten files of slack: a reader more than max-file rotations behind loses files with any tool.
  const w = new DockerJsonWriter(path, 10);
  t.after(() => w.close());
  const ev = eventCounter();
  const r = createFileReader({ path, format: 'docker-json', ...FAST, onEvent: ev.onEvent });
  t.after(() => r.close());
  const N = 30_000;
  let read = 0;
  const writing = (async () => {
    for (let i = 0; i < N; i++) {
      w.write(numbered(i) + '\n');
      if (w.size > 40_000) w.rotate();
      if (i % 5000 === 4999) {
        // a burst: three rotations with a few lines each, no chance for the reader to look in between
        for (let k = 0; k < 3 && i + 1 < N; k++) {
          w.rotate();
          w.write(numbered(++i) + '\n');
        }
      }
      // ~570 lines a file: 3,000 lines behind is at most ~6 rotations, within the ten files kept
      // however slowly a loaded machine runs the reader (a sleep here paced nothing under load).
      if (i % 40 === 0) await keepWithin(() => read, i, 3000);
    }
  })();
  const got = await readUntil(r, (l) => (read = l.length) >= N, 60_000);
  await writing;
  assert.equal(checkExactlyOnce(texts(got.lines), N), undefined);
  assert.ok((ev.counts.rotation ?? 0) >= 10, `rotations seen: ${ev.counts.rotation}`);
  assert.equal(ev.counts.lost_rotated, undefined);
  assert.ok(r.openFiles <= 1);
});

test('copytruncate: the file shrinking under the reader restarts it at 0, nothing lost or repeated', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'app.log');
  const fd = openSync(path, 'a');
  t.after(() => closeSync(fd));
  const ev = eventCounter();
  const r = createFileReader({ path, format: 'raw', ...FAST, onEvent: ev.onEvent });
  t.after(() => r.close());
  const all: string[] = [];
  let n = 0;
  for (let i = 0; i < 500; i++) writeSync(fd, numbered(n++) + '\n');
  pushAll(all, texts((await readUntil(r, (l) => l.length >= n)).lines));
  for (let round = 0; round < 4; round++) {
    // the reader keeps polling while logrotate copies (irrelevant here), truncates, and the app writes on
    const target = n + 300;
    const reading = readUntil(r, (l) => all.length + l.length >= target);
    writeFileSync(join(dir, `app.log.${round + 1}`), '');
    ftruncateSync(fd, 0);
    // Truncation is seen as "smaller than what was read": the reader must look before the file
    // grows past that again (logrotate's copytruncate has the same window).
    await waitFor(`truncation ${round + 1} to be seen`, () => (ev.counts.truncated_file ?? 0) > round);
    for (let i = 0; i < 300; i++) writeSync(fd, numbered(n++) + '\n');
    pushAll(all, texts((await reading).lines));
  }
  assert.equal(checkExactlyOnce(all, n), undefined);
  assert.equal(ev.counts.truncated_file, 4);
});

test('unlink and recreate (repeatedly): the old file is finished, the new one read from 0', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c-json.log');
  const w = new DockerJsonWriter(path);
  t.after(() => w.close());
  const ev = eventCounter();
  const r = createFileReader({ path, format: 'docker-json', ...FAST, onEvent: ev.onEvent });
  t.after(() => r.close());
  let n = 0;
  let read = 0;
  const writing = (async () => {
    for (let round = 0; round < 5; round++) {
      const first = n;
      for (let i = 0; i < 1000; i++) {
        w.write(numbered(n++) + '\n');
        if (i % 200 === 0) await keepWithin(() => read, n, 2000);
      }
      // A file created and unlinked between two looks of the reader has no name left to find it by
      // (no tailer can read it): under load that lost a whole generation. Unlink only once the reader
      // holds this file open, i.e. has read its first line.
      await waitFor(`the reader to open generation ${round}`, () => read > first);
      unlinkSync(path);
      // the writer still has the old file open: its last lines go there
      for (let i = 0; i < 5; i++) w.write(numbered(n++) + '\n');
      w.reopen();
    }
    for (let i = 0; i < 10; i++) w.write(numbered(n++) + '\n');
  })();
  const got = await readUntil(r, (l) => (read = l.length) >= 5 * 1005 + 10, 30_000);
  await writing;
  assert.equal(checkExactlyOnce(texts(got.lines), n), undefined);
  assert.equal(ev.counts.rotation, 5);
});

test('kubelet rotation (rename to a timestamped name, gzip of older files, pruning): every CRI line exactly once', async (t) => {
  const dir = tempDir(t);
  const w = new CriWriter({ dir, maxBytes: 50_000, maxFiles: 5, compress: true });
  t.after(() => w.close());
  const ev = eventCounter();
  const r = createFileReader({ path: w.path, format: 'cri', ...FAST, onEvent: ev.onEvent });
  t.after(() => r.close());
  const N = 20_000;
  let read = 0;
  const writing = (async () => {
    for (let i = 0; i < N; i++) {
      w.write(numbered(i), i % 3 ? 'stdout' : 'stderr');
      // the kubelet gzips a rotated file at the next rotation: a reader two rotations behind loses it.
      // Files hold ~1,000 lines: staying within 500 keeps the reader less than one rotation behind.
      if (i % 25 === 0) await keepWithin(() => read, i, 500);
    }
  })();
  const got = await readUntil(r, (l) => (read = l.length) >= N, 60_000);
  await writing;
  assert.equal(checkExactlyOnce(texts(got.lines), N), undefined);
  assert.equal(got.lines[0]!.stream, 'stderr');
  assert.ok((ev.counts.rotation ?? 0) >= 10);
  assert.ok(readdirSync(dir).some((f) => f.endsWith('.gz')), 'older rotated files were gzipped');
});

async function readSome(path: string, n: number, format: 'docker-json' | 'cri' = 'docker-json'): Promise<{ lines: string[]; pos: FilePosition }> {
  const r = createFileReader({ path, format, ...FAST, maxBatchLines: 10 });
  const got = await readUntil(r, (l) => l.length >= n);
  await r.close();
  return { lines: texts(got.lines), pos: got.batches.at(-1)!.position as FilePosition };
}

for (const rotations of [1, 2]) {
  test(`resume from a saved position after the file was rotated ${rotations === 1 ? 'once' : 'twice'} while the reader was stopped`, async (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'c-json.log');
    const w = new DockerJsonWriter(path);
    t.after(() => w.close());
    let n = 0;
    for (; n < 100; n++) w.write(numbered(n) + '\n');
    const first = await readSome(path, 40);
    for (let k = 0; k < rotations; k++) {
      for (let i = 0; i < 50; i++) w.write(numbered(n++) + '\n');
      w.rotate();
    }
    for (let i = 0; i < 50; i++) w.write(numbered(n++) + '\n');
    const ev = eventCounter();
    const r = createFileReader({ path, format: 'docker-json', ...FAST, start: first.pos, onEvent: ev.onEvent });
    t.after(() => r.close());
    const rest = await readUntil(r, (l) => first.lines.length + l.length >= n);
    assert.equal(checkExactlyOnce([...first.lines, ...texts(rest.lines)], n), undefined);
    assert.equal(ev.counts.lost_rotated, undefined);
    // once caught up, the reader follows the live file again
    for (let i = 0; i < 5; i++) w.write(numbered(n++) + '\n');
    const more = await readUntil(r, (l) => l.length >= 5);
    assert.equal(more.lines.at(-1)!.line, numbered(n - 1));
  });
}

test('resume when the rotated file is gone (gzipped by the kubelet): counted as lost_rotated, the live file read from 0', async (t) => {
  const dir = tempDir(t);
  const w = new CriWriter({ dir, maxFiles: 5, compress: true });
  t.after(() => w.close());
  for (let i = 0; i < 50; i++) w.write(numbered(i));
  const first = await readSome(w.path, 20, 'cri');
  w.rotate();
  for (let i = 50; i < 60; i++) w.write(numbered(i));
  w.rotate(); // gzips the first rotated file, the one the position points into
  for (let i = 60; i < 70; i++) w.write(numbered(i));
  const ev = eventCounter();
  const r = createFileReader({ path: w.path, format: 'cri', ...FAST, start: first.pos, onEvent: ev.onEvent });
  t.after(() => r.close());
  const rest = await readUntil(r, (l) => l.length >= 10);
  assert.deepEqual(texts(rest.lines), Array.from({ length: 10 }, (_, i) => numbered(60 + i)));
  assert.equal(ev.counts.lost_rotated, 1);
});

function fdsTo(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(path)) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

test('a deleted file is read to its end (late writes included) and closed within deletedGraceMs + poll', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c-json.log');
  const w = new DockerJsonWriter(path);
  let closed = false;
  t.after(() => closed || w.close());
  const r = createFileReader({ path, format: 'docker-json', maxLineBytes: 1024, pollIntervalMs: 50, deletedGraceMs: 400 });
  t.after(() => r.close());
  for (let i = 0; i < 10; i++) w.write(numbered(i) + '\n');
  let read = 0;
  const reading = readUntil(r, (l) => (read = l.length) >= 13);
  await waitFor('the first ten lines', () => read >= 10);
  unlinkSync(path); // Docker max-file=1 rotation or a removed container: no new file
  w.write(numbered(10) + '\n');
  // a late write after the reader has seen the file gone and read what came after
  await waitFor('the line written after the unlink', () => read >= 11);
  w.write(numbered(11) + '\n');
  w.write(numbered(12) + '\n');
  w.close();
  closed = true;
  const got = await reading;
  assert.equal(checkExactlyOnce(texts(got.lines), 13), undefined);
  assert.equal(fdsTo(path), 1, 'held open during the grace period');
  assert.equal(r.openFiles, 1);
  const pending = r.next();
  await waitFor('the deleted file to be closed', () => fdsTo(path) === 0, { timeoutMs: 400 + 50 + 300 });
  assert.equal(r.openFiles, 0);
  assert.equal(existsSync(path), false);
  // A file appearing again at the path is a new file, read from 0.
  writeFileSync(path, dockerRecord('again\n'));
  const b = await pending;
  assert.deepEqual(texts(b!.lines), ['again']);
});

test('drain(): everything present is read, the old rotated descriptor included, then next() ends', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c-json.log');
  const w = new DockerJsonWriter(path);
  t.after(() => w.close());
  for (let i = 0; i < 10; i++) w.write(numbered(i) + '\n');
  const r: LineReader = createFileReader({ path, format: 'docker-json', ...FAST });
  t.after(() => r.close());
  await readUntil(r, (l) => l.length >= 10);
  for (let i = 10; i < 20; i++) w.write(numbered(i) + '\n');
  w.rotate();
  for (let i = 20; i < 30; i++) w.write(numbered(i) + '\n');
  w.write('no newline yet'); // a partial that never ends: emitted as it is at the end
  r.drain();
  const rest = await readUntil(r, () => false);
  assert.equal(rest.ended, true);
  assert.deepEqual(texts(rest.lines), [...Array.from({ length: 20 }, (_, i) => numbered(10 + i)), 'no newline yet']);
  assert.equal(r.openFiles, 0);
  assert.equal(await r.next(), undefined);
});
