import { test } from 'node:test';
import assert from 'node:assert/strict';
import { emptyDockerJsonRecord, parseDockerJsonLine } from '../../../../src/agent/tail/docker-json.js';
import { emptyCriRecord, parseCriLine } from '../../../../src/agent/tail/cri.js';
import { rawLineText } from '../../../../src/agent/tail/raw.js';
import { createTimestampParser } from '../../../../src/agent/tail/timestamp.js';
import { LineJoiner, emptyEventCounts, splitUtf8 } from '../../../../src/agent/tail/line-joiner.js';
import type { LogLine } from '../../../../src/agent/model.js';

const T = 1767323045123456789n; // 2026-01-02T03:04:05.123456789Z

test('timestamps: RFC3339Nano to ns, fast path and fallbacks agree', () => {
  const p = createTimestampParser();
  assert.equal(p('2026-01-02T03:04:05.123456789Z'), T);
  assert.equal(p('2026-01-02T03:04:05.123456790Z'), T + 1n); // cached second
  assert.equal(p('2026-01-02T03:04:05.1Z'), T - 23456789n);
  assert.equal(p('2026-01-02T03:04:05Z'), T - 123456789n);
  assert.equal(p('2026-01-02T04:04:05.123456789+01:00'), T);
  assert.equal(p('2026-01-02T03:04:06.000000001Z'), T - 123456789n + 1_000_000_001n);
  for (const bad of ['', 'yesterday', '2026-13-02T03:04:05Z', '2026-01-02T03:04:05.12x4Z', '2026-01-02T03:04:05.Z']) assert.equal(p(bad), undefined, bad);
});

test('docker json-file: complete and partial records, malformed ones refused', () => {
  const p = createTimestampParser();
  const r = emptyDockerJsonRecord();
  assert.ok(parseDockerJsonLine('{"log":"hello\\n","stream":"stderr","time":"2026-01-02T03:04:05.123456789Z"}', p, r));
  assert.deepEqual(r, { ts: T, stream: 'stderr', text: 'hello', partial: false });
  assert.ok(parseDockerJsonLine('{"log":"part","stream":"stdout","time":"2026-01-02T03:04:05.123456789Z"}', p, r));
  assert.deepEqual(r, { ts: T, stream: 'stdout', text: 'part', partial: true });
  assert.ok(parseDockerJsonLine('{"log":"\\n","stream":"stdout","time":"2026-01-02T03:04:05.123456789Z"}', p, r));
  assert.equal(r.text, '');
  for (const bad of [
    'not json',
    '{"log":"x\\n","stream":"stdout"',
    '{"log":"x\\n","stream":"stdout"}',
    '{"log":1,"stream":"stdout","time":"2026-01-02T03:04:05Z"}',
    '{"log":"x\\n","stream":"stdin","time":"2026-01-02T03:04:05Z"}',
    '{"log":"x\\n","stream":"stdout","time":"noon"}',
    'null',
    '[1]',
  ])
    assert.equal(parseDockerJsonLine(bad, p, r), false, bad);
});

test('CRI: P and F records, empty text, malformed ones refused', () => {
  const p = createTimestampParser();
  const r = emptyCriRecord();
  assert.ok(parseCriLine('2026-01-02T03:04:05.123456789Z stdout F hello world', p, r));
  assert.deepEqual(r, { ts: T, stream: 'stdout', text: 'hello world', partial: false });
  assert.ok(parseCriLine('2026-01-02T03:04:05.123456789Z stderr P  two  spaces ', p, r));
  assert.deepEqual(r, { ts: T, stream: 'stderr', text: ' two  spaces ', partial: true });
  assert.ok(parseCriLine('2026-01-02T03:04:05.123456789Z stdout F ', p, r));
  assert.equal(r.text, '');
  assert.ok(parseCriLine('2026-01-02T03:04:05.123456789Z stdout F', p, r));
  assert.equal(r.text, '');
  assert.ok(parseCriLine('2026-01-02T03:04:05.123456789Z stdout F:x y', p, r));
  assert.equal(r.text, 'y');
  for (const bad of ['', 'hello', '2026-01-02T03:04:05Z stdout', '2026-01-02T03:04:05Z stdin F x', '2026-01-02T03:04:05Z stdout X x', 'noon stdout F x', '2026-01-02T03:04:05Z stdout  x'])
    assert.equal(parseCriLine(bad, p, r), false, bad);
});

test('raw: a trailing \\r is not part of the line', () => {
  assert.equal(rawLineText('abc\r'), 'abc');
  assert.equal(rawLineText('a\rb'), 'a\rb');
  assert.equal(rawLineText(''), '');
});

test('joiner: partials joined per stream, interleaved streams kept apart, timestamp of the first piece', () => {
  const ev = emptyEventCounts();
  const j = new LineJoiner<string>(1000, ev);
  const out: LogLine[] = [];
  j.add(out, 1n, 'stdout', 'a1', true, 'f', 0);
  j.add(out, 2n, 'stderr', 'b1', true, 'f', 10);
  assert.deepEqual(j.earliestStart(), { file: 'f', offset: 0 });
  j.add(out, 3n, 'stdout', 'a2', false, 'f', 20);
  assert.equal(j.earliestStart()!.offset, 10);
  j.add(out, 4n, 'stderr', 'b2', false, 'f', 30);
  j.add(out, 5n, 'stdout', 'whole', false, 'f', 40);
  assert.deepEqual(out, [
    { ts: 1n, line: 'a1a2', stream: 'stdout' },
    { ts: 2n, line: 'b1b2', stream: 'stderr' },
    { ts: 5n, line: 'whole', stream: 'stdout' },
  ]);
  assert.equal(j.pending, false);
  assert.equal(ev.split_line, 0);
});

test('joiner: lines over max_line_bytes split into marked pieces of at most that size, eagerly', () => {
  const ev = emptyEventCounts();
  const j = new LineJoiner<string>(10, ev);
  const out: LogLine[] = [];
  j.add(out, 1n, undefined, 'x'.repeat(25), false, 'f', 0);
  assert.deepEqual(
    out.map((l) => [l.line, l.truncated]),
    [['x'.repeat(10), true], ['x'.repeat(10), true], ['x'.repeat(5), true]],
  );
  out.length = 0;
  for (let i = 0; i < 10; i++) j.add(out, 7n, 'stdout', 'abcd', true, 'f', 0);
  assert.ok(out.length >= 3, 'full pieces emitted before the line ends');
  j.add(out, 8n, 'stdout', 'end', false, 'f', 0);
  assert.equal(out.map((l) => l.line).join(''), 'abcd'.repeat(10) + 'end');
  assert.ok(out.every((l) => l.truncated && l.ts === 7n && Buffer.byteLength(l.line) <= 10));
  assert.equal(ev.split_line, 2);
});

test('splitUtf8 never cuts a character', () => {
  const s = 'é€😀'.repeat(50);
  const pieces = splitUtf8(s, 7);
  assert.equal(pieces.join(''), s);
  for (const p of pieces) {
    assert.ok(Buffer.byteLength(p) <= 7);
    assert.ok(!p.includes('\ufffd'));
  }
});
