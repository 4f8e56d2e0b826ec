/**
 * Split block regions (timestamps and line sizes in their own frame first, ./block-codec.ts)
 * decode exactly like the older single-frame payloads (versions 1 and 2) they are built from, and
 * their stats prefix alone gives each entry's timestamp, UTF-8 size and structured metadata.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Entry } from '../../../src/api/model.js';
import {
  codecCounters,
  compressBlock,
  compressPayload,
  decodeBlockPayload,
  decodeBlockStats,
  decodeBlockStatsPacked,
  deserializeEntries,
  entriesStats,
  isSplitRegion,
  serializeEntries,
  splitStatsLength,
  SPLIT_HEADER,
} from '../../../src/store/block-codec.js';
import { Head, compareEntries } from '../../../src/store/head.js';
import { seeded } from './store.case.js';

const PIECES = ['', 'a', 'GET /api', 'ünï', '日本語', '🚀', '\n', '\0', '"', ' ', 'x'.repeat(300), '2024-05-01 00:00:00.123', '1714521600'];

function randomEntries(rnd: () => number, n: number, opts: { newlines: boolean; meta: boolean }): Entry[] {
  const out: Entry[] = [];
  let ts = 1_714_521_600_000_000_000n;
  for (let i = 0; i < n; i++) {
    let line = '';
    const parts = Math.floor(rnd() * 6);
    for (let k = 0; k < parts; k++) {
      const p = PIECES[Math.floor(rnd() * PIECES.length)]!;
      line += opts.newlines || p !== '\n' ? p : '-';
    }
    const step = [0n, 1n, 1000n, 1_000_000n, 123_456_789n][Math.floor(rnd() * 5)]!;
    ts += rnd() < 0.1 ? -step : step;
    // Some lines carry their own timestamp as text, which version 2 stores as an escape.
    if (rnd() < 0.3) line = new Date(Number(ts / 1_000_000n)).toISOString().replace('T', ' ').slice(0, 23) + ' ' + line;
    const e: Entry = { ts, line };
    // Repeated and distinct sets, in runs and interleaved (the stats decoders intern equal sets).
    if (opts.meta && rnd() < 0.5) e.metadata = rnd() < 0.3 ? { trace_id: String(i) } : rnd() < 0.5 ? { detected_level: ['info', 'warn'][i % 2]! } : { detected_level: 'info', 'k é': 'v' };
    out.push(e);
  }
  return out.sort(compareEntries);
}

const norm = (es: Entry[]) => es.map((e) => ({ ts: e.ts, line: e.line, metadata: e.metadata && Object.keys(e.metadata).length ? { ...e.metadata } : undefined }));

test('split regions decode identically to versions 1 and 2, and their stats match the entries', () => {
  const rnd = seeded(11);
  let transformed = 0;
  for (let round = 0; round < 300; round++) {
    const opts = { newlines: rnd() < 0.3, meta: rnd() < 0.3 };
    const entries = randomEntries(rnd, 1 + Math.floor(rnd() * 80), opts);
    const level = [1, 3, 9][round % 3]!;
    for (const strip of [false, true]) {
      const { buf, sizes } = serializeEntries(entries, { stripTimestamps: strip });
      const old = decodeBlockPayload(compressPayload(buf, level));
      const split = compressBlock(buf, level, sizes);
      // Transformed lines (version 2) cannot give their original sizes: they must be passed.
      if (buf[0] === 2) {
        transformed++;
        assert.throws(() => compressBlock(buf, level));
      }
      assert.ok(isSplitRegion(split));
      assert.ok(!isSplitRegion(compressPayload(buf, level)));
      assert.deepEqual(norm(decodeBlockPayload(split)), norm(old), `round ${round} strip ${strip}`);
      assert.deepEqual(norm(old), norm(entries));
      // The stats prefix alone (the rest of the region cut off).
      const prefix = split.subarray(0, SPLIT_HEADER + splitStatsLength(split));
      const before = codecCounters.bodies;
      const stats = decodeBlockStats(Buffer.from(prefix));
      assert.equal(codecCounters.bodies, before, 'no lines decoded');
      const want = entriesStats(entries);
      assert.deepEqual([...stats.ts], [...want.ts]);
      assert.deepEqual([...stats.sizes], [...want.sizes]);
      assert.equal(stats.hasMetadata, want.hasMetadata);
      assert.deepEqual(stats.metadata, want.metadata);
      // The packed form (first + exact offsets) gives the same timestamps.
      const packed = decodeBlockStatsPacked(Buffer.from(prefix));
      const packedTs = 'offsets' in packed ? [...packed.offsets].map((o) => packed.first + BigInt(o)) : [...packed.ts];
      assert.deepEqual(packedTs, [...want.ts]);
      assert.deepEqual([...packed.sizes], [...want.sizes]);
      assert.equal(packed.hasMetadata, want.hasMetadata);
      assert.deepEqual(packed.metadata, want.metadata);
    }
    // Head payloads (version 1, sizes computed from the lines column).
    const head = new Head();
    for (const e of entries) head.add(e, 1, 0);
    const hs = head.sortedEntries();
    const fromHead = compressBlock(head.serialize(), 1);
    assert.deepEqual(norm(decodeBlockPayload(fromHead)), norm(deserializeEntries(head.serialize())));
    const st = decodeBlockStats(fromHead);
    assert.deepEqual([...st.sizes], [...entriesStats(hs).sizes]);
    assert.equal(st.hasMetadata, entriesStats(hs).hasMetadata);
  }
  assert.ok(transformed > 50, `version 2 payloads covered (${transformed})`);
});

test('a corrupt or truncated split region is an error', () => {
  const { buf } = serializeEntries([{ ts: 1n, line: 'a' }, { ts: 2n, line: 'b' }]);
  const split = compressBlock(buf, 1);
  assert.throws(() => decodeBlockPayload(split.subarray(0, split.length - 3)));
  assert.throws(() => decodeBlockStats(split.subarray(0, SPLIT_HEADER + 1)));
  const bad = Buffer.from(split);
  bad[SPLIT_HEADER + 6] = bad[SPLIT_HEADER + 6]! ^ 0xff;
  assert.throws(() => decodeBlockPayload(bad));
});
