/** Live tail's buffer: the cap drops the oldest lines and counts them; pause holds lines until resume. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TailBuffer, type TailFrame } from '../../../ui/pages/explore/tail-buffer.js';

let ts = 1_700_000_000_000_000_000n;
function frame(lines: string[], dropped = 0): TailFrame {
  return {
    streams: [{ stream: { job: 'x', detected_level: 'error' }, values: lines.map((l) => [String(ts++), l] as [string, string]) }],
    dropped_entries: Array.from({ length: dropped }, () => ({ timestamp: '1', labels: { job: 'x' } })),
  };
}

test('the cap keeps the newest lines, oldest dropped first, and counts what it dropped', () => {
  const b = new TailBuffer(3);
  b.addFrames([frame(['a', 'b']), frame(['c', 'd', 'e'])]);
  assert.deepEqual(b.rows.map((r) => r.line), ['c', 'd', 'e']);
  assert.equal(b.droppedByCap, 2);
  assert.equal(b.received, 5);
  assert.equal(b.rows[0]!.level, 'error');
  // The server's detected_level is metadata, not a stream label (a stream selector must not name it).
  assert.deepEqual(b.rows[0]!.labels, { job: 'x' });
  assert.deepEqual(b.rows[0]!.structuredMetadata, { detected_level: 'error' });
  assert.equal(new Set(b.rows.map((r) => r.id)).size, 3, 'ids stay unique across frames');
  b.setCap(2);
  assert.deepEqual(b.rows.map((r) => r.line), ['d', 'e']);
  assert.equal(b.droppedByCap, 3);
});

test('paused lines are held (up to the cap) and shown on resume; the newest timestamp is kept for reconnects', () => {
  const b = new TailBuffer(3);
  b.addFrames([frame(['a'])]);
  b.pause();
  b.addFrames([frame(['b', 'c', 'd', 'e'])]);
  assert.deepEqual(b.rows.map((r) => r.line), ['a']);
  assert.deepEqual(b.held.map((r) => r.line), ['c', 'd', 'e']);
  assert.equal(b.droppedByCap, 1);
  b.resume();
  assert.deepEqual(b.rows.map((r) => r.line), ['c', 'd', 'e']);
  assert.equal(b.held.length, 0);
  assert.equal(b.lastTsNs, String(ts - 1n));
});

test("the server's dropped_entries are counted", () => {
  const b = new TailBuffer();
  b.addFrames([frame([], 4), frame(['x'], 2)]);
  assert.equal(b.droppedByServer, 6);
  assert.equal(b.rows.length, 1);
});
