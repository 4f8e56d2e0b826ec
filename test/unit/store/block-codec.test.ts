/**
 * Block payloads round-trip, whichever way they were written: from a head (sorted or not, with or
 * without newlines inside lines, with or without metadata) or from entries (merges). Random cases
 * from a seeded generator, compared with a plain stable sort of the input.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Entry } from '../../../src/api/model.js';
import { compressPayload, decodeBlockPayload, serializeEntries } from '../../../src/store/block-codec.js';
import { Head, compareEntries } from '../../../src/store/head.js';
import { seeded } from './store.case.js';

const PIECES = ['', 'a', 'GET /api', 'ünï', '日本語', '🚀', '\n', '\0', '"', '\\', ' ', 'x'.repeat(300)];

function randomEntries(rnd: () => number, n: number, opts: { ordered: boolean; newlines: boolean; meta: boolean }): Entry[] {
  const out: Entry[] = [];
  let ts = 1_714_521_600_000_000_000n;
  for (let i = 0; i < n; i++) {
    let line = '';
    const parts = Math.floor(rnd() * 6);
    for (let k = 0; k < parts; k++) {
      const p = PIECES[Math.floor(rnd() * PIECES.length)]!;
      line += opts.newlines || p !== '\n' ? p : '-';
    }
    // Millisecond, microsecond and nanosecond steps, and equal timestamps.
    const step = [0n, 1n, 1000n, 1_000_000n, 123_456_789n][Math.floor(rnd() * 5)]!;
    ts = opts.ordered ? ts + step : ts + (rnd() < 0.3 ? -step : step);
    const e: Entry = { ts, line };
    if (opts.meta && rnd() < 0.3) e.metadata = { trace_id: String(i), 'k"\n': 'v' + Array.from(line).slice(0, 3).join('') };
    out.push(e);
  }
  return out;
}

test('head and entry payloads decode to the entries in stable time order', () => {
  const rnd = seeded(7);
  for (let round = 0; round < 200; round++) {
    const opts = { ordered: rnd() < 0.5, newlines: rnd() < 0.3, meta: rnd() < 0.3 };
    const input = randomEntries(rnd, 1 + Math.floor(rnd() * 60), opts);
    const expected = input.slice().sort(compareEntries);
    const head = new Head();
    for (const e of input) head.add(e, 1, 0);
    // Exact duplicates are dropped by the head; drop them from the expectation the same way.
    const seen = new Set<string>();
    const unique = expected.filter((e) => {
      const k = `${e.ts}\u0001${e.line}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    const norm = (es: Entry[]) => es.map((e) => ({ ts: e.ts, line: e.line, metadata: e.metadata ? { ...e.metadata } : undefined }));
    assert.deepEqual(norm(decodeBlockPayload(compressPayload(head.serialize()))), norm(unique), `round ${round} ${JSON.stringify(opts)}`);
    assert.deepEqual(norm(head.sortedEntries()), norm(unique));
    assert.equal(head.rawBytes, unique.reduce((n, e) => n + Buffer.byteLength(e.line), 0));
    const { buf, rawBytes } = serializeEntries(unique);
    assert.equal(rawBytes, head.rawBytes);
    assert.deepEqual(norm(decodeBlockPayload(compressPayload(buf))), norm(unique));
  }
});

test('a corrupt payload is an error, not garbage', () => {
  const head = new Head();
  head.add({ ts: 1n, line: 'hello' }, 1, 0);
  const payload = compressPayload(head.serialize());
  const bad = Buffer.from(payload);
  bad[bad.length - 3]! ^= 0xff;
  assert.throws(() => decodeBlockPayload(bad));
  assert.throws(() => decodeBlockPayload(Buffer.from('not zstd at all')));
});
