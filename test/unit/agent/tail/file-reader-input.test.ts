/**
 * What the file reader makes of its input: partial records joined (Docker's 16 KiB splits, CRI P/F),
 * lines over max_line_bytes split and marked, and hostile input (invalid UTF-8, NUL bytes, a 5 MB line
 * without newline, malformed records, a file truncated under the reader) handled, counted, no crash.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFileReader } from '../../../../src/agent/tail/file-reader.js';
import type { FilePosition } from '../../../../src/agent/model.js';
import { CriWriter, formatNs } from '../../../helpers/cri-writer.js';
import { dockerRecord, eventCounter, readUntil, tempDir } from './support.js';
import { waitFor } from '../../../helpers/wait-for.js';
import { setTimeout as delay } from 'node:timers/promises';

const FAST = { pollIntervalMs: 20, deletedGraceMs: 200 };
const T0 = 1767323045000000000n;

test('docker 16 KiB partials are joined per stream, interleaved stdout/stderr kept apart, timestamp of the first piece', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c-json.log');
  const a = 'a'.repeat(16 * 1024);
  const b = 'b'.repeat(16 * 1024);
  writeFileSync(
    path,
    dockerRecord(a, 'stdout', T0) +
      dockerRecord(b, 'stderr', T0 + 1n) +
      dockerRecord(a, 'stdout', T0 + 2n) +
      dockerRecord('tail-b\n', 'stderr', T0 + 3n) +
      dockerRecord('tail-a\n', 'stdout', T0 + 4n) +
      dockerRecord('short\n', 'stdout', T0 + 5n),
  );
  const ev = eventCounter();
  const r = createFileReader({ path, format: 'docker-json', maxLineBytes: 256 * 1024, ...FAST, onEvent: ev.onEvent });
  t.after(() => r.close());
  const got = await readUntil(r, (l) => l.length >= 3);
  assert.deepEqual(
    got.lines.map((l) => [l.stream, l.line.length, l.line.slice(-6), l.ts - T0, l.truncated]),
    [
      ['stderr', b.length + 6, 'tail-b', 1n, undefined],
      ['stdout', 2 * a.length + 6, 'tail-a', 0n, undefined],
      ['stdout', 5, 'short', 5n, undefined],
    ],
  );
  assert.deepEqual(ev.counts, {});
});

test('a position never lands inside a joined line: resuming re-reads the open partial (a duplicate at most, same timestamp)', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c-json.log');
  const first = dockerRecord('x'.repeat(100), 'stdout', T0);
  writeFileSync(path, first + dockerRecord('err line\n', 'stderr', T0 + 1n));
  const r1 = createFileReader({ path, format: 'docker-json', maxLineBytes: 1024, ...FAST });
  const got = await readUntil(r1, (l) => l.length >= 1);
  await r1.close();
  const pos = got.batches.at(-1)!.position as FilePosition;
  assert.equal(pos.offset, 0, 'held at the start of the open stdout partial');
  appendFileSync(path, dockerRecord('end\n', 'stdout', T0 + 2n));
  const r2 = createFileReader({ path, format: 'docker-json', maxLineBytes: 1024, ...FAST, start: pos });
  t.after(() => r2.close());
  const again = await readUntil(r2, (l) => l.length >= 2);
  assert.deepEqual(
    again.lines.map((l) => [l.ts - T0, l.line]),
    [
      [1n, 'err line'],
      [0n, 'x'.repeat(100) + 'end'],
    ],
  );
  assert.equal((again.batches.at(-1)!.position as FilePosition).offset, statSync(path).size);
});

test('CRI P/F records joined, per stream, with the first record\'s timestamp', async (t) => {
  const dir = tempDir(t);
  const w = new CriWriter({ dir, splitBytes: 1000 });
  t.after(() => w.close());
  const long = 'é'.repeat(1500); // 3000 bytes: P, P, F records
  const ts1 = w.write('a'.repeat(2500));
  w.writeRaw(`${formatNs(T0)} stdout P one-\n${formatNs(T0 + 1n)} stderr P two-\n${formatNs(T0 + 2n)} stdout F one-end\n${formatNs(T0 + 3n)} stderr F two-end\n`);
  w.write(long, 'stderr');
  const ev = eventCounter();
  const r = createFileReader({ path: w.path, format: 'cri', maxLineBytes: 100_000, ...FAST, onEvent: ev.onEvent });
  t.after(() => r.close());
  const got = await readUntil(r, (l) => l.length >= 4);
  assert.deepEqual(got.lines[0], { ts: ts1, line: 'a'.repeat(2500), stream: 'stdout' });
  assert.deepEqual(got.lines[1], { ts: T0, line: 'one-one-end', stream: 'stdout' });
  assert.deepEqual(got.lines[2], { ts: T0 + 1n, line: 'two-two-end', stream: 'stderr' });
  assert.deepEqual(got.lines[3], { ts: got.lines[3]!.ts, line: long, stream: 'stderr' });
  assert.deepEqual(ev.counts, {});
});

test('CRI records cut inside a character (runtimes cut by bytes) rejoin into the original text, not U+FFFD', async (t) => {
  const dir = tempDir(t);
  const w = new CriWriter({ dir });
  t.after(() => w.close());
  const text = Buffer.from('日本語のログ行'.repeat(300)); // 3 bytes a character
  const parts = [text.subarray(0, 1000), text.subarray(1000, 2001), text.subarray(2001)]; // cuts at 1000 and 2001 fall inside characters
  const rec = (stream: string, tag: string, body: Buffer) => Buffer.concat([Buffer.from(`${formatNs(T0)} ${stream} ${tag} `), body, Buffer.from('\n')]);
  w.writeRaw(Buffer.concat([rec('stdout', 'P', parts[0]!), rec('stderr', 'F', Buffer.from('between')), rec('stdout', 'P', parts[1]!), rec('stdout', 'F', parts[2]!)]));
  w.writeRaw(rec('stdout', 'F', Buffer.from([0x61, 0xff, 0x62]))); // really invalid: counted
  const ev = eventCounter();
  const r = createFileReader({ path: w.path, format: 'cri', maxLineBytes: 100_000, ...FAST, onEvent: ev.onEvent });
  t.after(() => r.close());
  const got = await readUntil(r, (l) => l.length >= 3);
  assert.deepEqual(got.lines.map((l) => l.line), ['between', text.toString(), 'a\ufffdb']);
  assert.deepEqual(ev.counts, { invalid_utf8: 1 });
});

test('lines over max_line_bytes are split into pieces of at most that size, marked truncated, counted once per line', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c-json.log');
  const euro = '€'.repeat(700); // 2100 bytes
  writeFileSync(
    path,
    dockerRecord('x'.repeat(2500) + '\n', 'stdout', T0) +
      dockerRecord('y'.repeat(800), 'stderr', T0 + 1n) +
      dockerRecord('y'.repeat(800) + '\n', 'stderr', T0 + 2n) +
      dockerRecord(euro + '\n', 'stdout', T0 + 3n) +
      dockerRecord('fine\n', 'stdout', T0 + 4n),
  );
  const ev = eventCounter();
  const r = createFileReader({ path, format: 'docker-json', maxLineBytes: 1000, ...FAST, onEvent: ev.onEvent });
  t.after(() => r.close());
  const got = await readUntil(r, (l) => l.at(-1)?.line === 'fine');
  const pieces = got.lines.slice(0, -1);
  assert.ok(pieces.every((l) => l.truncated === true && Buffer.byteLength(l.line) <= 1000 && !l.line.includes('\ufffd')));
  assert.equal(
    pieces.filter((l) => l.stream === 'stdout' && l.line.startsWith('x')).map((l) => l.line).join(''),
    'x'.repeat(2500),
  );
  assert.equal(
    pieces.filter((l) => l.stream === 'stderr').map((l) => l.line).join(''),
    'y'.repeat(1600),
  );
  assert.ok(pieces.filter((l) => l.stream === 'stderr').every((l) => l.ts === T0 + 1n));
  assert.equal(pieces.filter((l) => l.line.startsWith('€')).map((l) => l.line).join(''), euro);
  assert.deepEqual(got.lines.at(-1), { ts: T0 + 4n, line: 'fine', stream: 'stdout' });
  assert.equal(ev.counts.split_line, 3);
});

test('invalid UTF-8 is replaced (U+FFFD) and counted; NUL bytes are kept and counted; \\r\\n endings stripped', async (t) => {
  const dir = tempDir(t);
  const raw = join(dir, 'app.log');
  writeFileSync(raw, Buffer.concat([Buffer.from('ok 1\r\n'), Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x0a]), Buffer.from('nul\0inside\nok 2\n')]));
  const ev = eventCounter();
  const r = createFileReader({ path: raw, format: 'raw', maxLineBytes: 1024, ...FAST, onEvent: ev.onEvent, now: () => 7n });
  t.after(() => r.close());
  const got = await readUntil(r, (l) => l.length >= 4);
  assert.deepEqual(got.lines, [
    { ts: 7n, line: 'ok 1' },
    { ts: 7n, line: 'bad\ufffd\ufffd' },
    { ts: 7n, line: 'nul\0inside' },
    { ts: 7n, line: 'ok 2' },
  ]);
  assert.deepEqual(ev.counts, { invalid_utf8: 1, nul_bytes: 1 });

  const dj = join(dir, 'c-json.log');
  writeFileSync(dj, dockerRecord('with \0 nul\n', 'stdout', T0) + dockerRecord('plain\n', 'stdout', T0));
  const ev2 = eventCounter();
  const r2 = createFileReader({ path: dj, format: 'docker-json', maxLineBytes: 1024, ...FAST, onEvent: ev2.onEvent });
  t.after(() => r2.close());
  const got2 = await readUntil(r2, (l) => l.length >= 2);
  assert.deepEqual(got2.lines.map((l) => l.line), ['with \0 nul', 'plain']);
  assert.deepEqual(ev2.counts, { nul_bytes: 1 });
});

test('a 5 MB line without a newline is emitted in bounded pieces while it is still being written', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'app.log');
  writeFileSync(path, 'before\n');
  const ev = eventCounter();
  const max = 64 * 1024;
  const r = createFileReader({ path, format: 'raw', maxLineBytes: max, ...FAST, onEvent: ev.onEvent });
  t.after(() => r.close());
  await readUntil(r, (l) => l.length >= 1);
  const chunk = 'z'.repeat(1024 * 1024);
  for (let i = 0; i < 5; i++) appendFileSync(path, chunk);
  const heapBefore = process.memoryUsage().arrayBuffers;
  const during = await readUntil(r, (l) => l.length * max >= 4.5 * 1024 * 1024);
  assert.ok(during.lines.every((l) => l.truncated && l.line.length <= max && /^z+$/.test(l.line)));
  assert.ok(process.memoryUsage().arrayBuffers - heapBefore < 4 * 1024 * 1024, 'no buffer the size of the line');
  appendFileSync(path, 'END\nafter\n');
  const rest = await readUntil(r, (l) => l.at(-1)?.line === 'after');
  const all = [...during.lines, ...rest.lines];
  assert.equal(all.slice(0, -1).map((l) => l.line).join(''), 'z'.repeat(5 * 1024 * 1024) + 'END');
  assert.ok(all.slice(0, -1).every((l) => l.truncated));
  assert.deepEqual(all.at(-1), { ts: all.at(-1)!.ts, line: 'after' });
  assert.equal(ev.counts.split_line, 1);
});

test('malformed json-file and CRI records are skipped and counted, the records around them read; a 5 MB record without newline too', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c-json.log');
  writeFileSync(
    path,
    dockerRecord('one\n', 'stdout', T0) +
      'not json at all\n' +
      '{"log":"x\\n","stream":"stdout"}\n' +
      '{"log":"x\\n","stream":"stdout","time":"yesterday"}\n' +
      '{"log":"x\\n","stream":"stdout","time":"2026-01-02T03:04:05Z"' + // cut short
      '\n' +
      '\n' +
      dockerRecord('two\n', 'stdout', T0 + 1n) +
      '{"log":"' +
      'q'.repeat(5 * 1024 * 1024) +
      '\n' +
      dockerRecord('three\n', 'stdout', T0 + 2n),
  );
  const ev = eventCounter();
  const r = createFileReader({ path, format: 'docker-json', maxLineBytes: 16 * 1024, ...FAST, onEvent: ev.onEvent });
  t.after(() => r.close());
  const got = await readUntil(r, (l) => l.length >= 3);
  assert.deepEqual(got.lines.map((l) => l.line), ['one', 'two', 'three']);
  assert.equal(ev.counts.malformed_record, 6);

  const w = new CriWriter({ dir });
  t.after(() => w.close());
  w.write('good 1');
  w.writeRaw('garbage\n2026-01-02T03:04:05Z stdin F x\n\n2026-01-02T03:04:05Z stdout Q x\n');
  w.write('good 2');
  const ev2 = eventCounter();
  const r2 = createFileReader({ path: w.path, format: 'cri', maxLineBytes: 1024, ...FAST, onEvent: ev2.onEvent });
  t.after(() => r2.close());
  const got2 = await readUntil(r2, (l) => l.length >= 2);
  assert.deepEqual(got2.lines.map((l) => l.line), ['good 1', 'good 2']);
  assert.equal(ev2.counts.malformed_record, 4);
});

test('a file truncated under the reader in the middle of a record: counted, reading restarts at 0, no crash', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c-json.log');
  writeFileSync(path, dockerRecord('a\n', 'stdout', T0) + dockerRecord('open partial', 'stdout', T0 + 1n) + '{"log":"half');
  const ev = eventCounter();
  const r = createFileReader({ path, format: 'docker-json', maxLineBytes: 1024, ...FAST, onEvent: ev.onEvent });
  t.after(() => r.close());
  await readUntil(r, (l) => l.length >= 1);
  const reading = readUntil(r, (l) => l.some((x) => x.line === 'new'));
  truncateSync(path, 10);
  // Each truncation must be seen before the next change: content written past the old offset before
  // the reader looks is copytruncate's known race, not what this test is about.
  await waitFor('the first truncation to be seen', () => ev.counts.truncated_file === 1);
  truncateSync(path, 0);
  await waitFor('the second truncation to be seen', () => ev.counts.truncated_file === 2);
  appendFileSync(path, dockerRecord('new\n', 'stdout', T0 + 5n));
  const got = await reading;
  // The open partial ends where its file did; the new content is read from its start.
  assert.deepEqual(got.lines.map((l) => l.line), ['open partial', 'new']);
  assert.equal(ev.counts.truncated_file, 2);
});

test('batches respect maxBatchLines and maxBatchBytes, and account for every byte', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c-json.log');
  const N = 100_000;
  const parts: string[] = [];
  for (let i = 0; i < N; i++) parts.push(dockerRecord(`2026-01-02 12:00:00 INFO handled GET /api/v1/items/${i} status=200 duration_ms=12 user=alice\n`, i % 5 ? 'stdout' : 'stderr', T0 + BigInt(i)));
  writeFileSync(path, parts.join(''));
  const size = statSync(path).size;
  const r = createFileReader({ path, format: 'docker-json', maxLineBytes: 256 * 1024, ...FAST, maxBatchLines: 2000, maxBatchBytes: 128 * 1024 });
  t.after(() => r.close());
  const got = await readUntil(r, (l) => l.length >= N, 30_000);
  assert.equal(got.lines.length, N);
  assert.ok(got.batches.every((b) => b.lines.length <= 2000 && b.bytes <= 128 * 1024 + 512));
  assert.equal(got.batches.reduce((s, b) => s + b.bytes, 0), size);
  assert.equal((got.batches.at(-1)!.position as FilePosition).offset, size);
  // Reading speed is measured in bench/agent.bench.ts (benchmarks stay out of npm test).
});

test('a new line is read at once, long before the poll interval (the directory watch wakes the reader)', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'c-json.log');
  writeFileSync(path, dockerRecord('first\n', 'stdout', T0));
  const r = createFileReader({ path, format: 'docker-json', maxLineBytes: 1024, pollIntervalMs: 10_000 });
  t.after(() => r.close());
  await readUntil(r, (l) => l.length >= 1);
  const waiting = readUntil(r, (l) => l.length >= 1, 5000);
  // Not synchronisation: the reader must have gone idle (watching) for this to test the watch; a
  // write that came sooner would be read without it and pass anyway, so this cannot cause a failure.
  await delay(100);
  const t0 = Date.now();
  appendFileSync(path, dockerRecord('second\n', 'stdout', T0 + 1n));
  const got = await waiting;
  assert.equal(got.lines[0]!.line, 'second');
  assert.ok(Date.now() - t0 < 1000, `read after ${Date.now() - t0} ms`);
});
