/**
 * Decoding a block for queries (issue #12): the joined-lines column is decoded in pieces cut at
 * '\n' (../../../src/store/joined-lines.ts), and the range aggregation workers read blocks in a
 * packed form (../../../src/store/block-packed.ts). Both must give exactly what decoding the whole
 * column as one string and `decodeBlockPayload` give: random bytes (ASCII, multi-byte, invalid
 * UTF-8, empty lines, too many or too few newlines for the count), random piece sizes; blocks of
 * random entries written as the store writes them, with more distinct metadata sets than the
 * codec compares before asking its map: read back as written. FUZZ_SEED replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Entry } from '../../../src/api/model.js';
import { splitJoinedLines } from '../../../src/store/joined-lines.js';
import { decodeBlockPacked } from '../../../src/store/block-packed.js';
import { compressBlock, decodeBlockPayload, serializeEntries } from '../../../src/store/block-codec.js';
import { fuzzParams } from '../../helpers/fuzz.js';

/** The reference: the whole column as one string, split as the codec always did. */
function wholeSplit(blob: Buffer, n: number): string[] {
  const text = blob.toString('utf8');
  const out: string[] = [];
  let p = 0;
  for (let i = 0; i < n; i++) {
    let e = i === n - 1 ? text.length : text.indexOf('\n', p);
    if (e < 0) e = text.length;
    out.push(text.slice(p, e));
    p = e + 1;
  }
  return out;
}

const piece = fc.oneof(
  fc.constantFrom('\n', '\n\n', 'a', 'level=error', '{"level":"info"}', 'é', '😀', '\uFFFD'),
  fc.string({ maxLength: 20 }),
  fc.uint8Array({ maxLength: 6 }).map((b) => Buffer.from(b).toString('latin1')),
);
const blob = fc.array(fc.oneof(piece.map((s) => Buffer.from(s, 'utf8')), fc.uint8Array({ maxLength: 4 }).map((b) => Buffer.from(b))), { maxLength: 40 }).map((bs) => Buffer.concat(bs));

test('joined lines decoded in pieces equal the whole column split at newlines', () => {
  fc.assert(
    fc.property(blob, fc.nat({ max: 50 }), fc.integer({ min: 1, max: 64 }), (b, extra, chunk) => {
      let newlines = 0;
      for (const c of b) if (c === 10) newlines++;
      // Counts around the column's own (newlines + 1): fewer, equal, more.
      const n = Math.max(0, newlines + 1 + (extra % 7) - 3);
      assert.deepEqual(splitJoinedLines(b, n, chunk), wholeSplit(b, n), `blob ${b.toString('hex')} n ${n} chunk ${chunk}`);
    }),
    fuzzParams(5),
  );
});

const entry = fc.record({
  dt: fc.nat({ max: 5_000_000_000 }),
  // `@ts@` becomes the entry's own time as text, which cold blocks store as an escape (version 2).
  line: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('{"level":"info","msg":"x"}', 'level=error msg="a b"', 'é😀', 'a\nb', '', '{"ts":"@ts@","level":"info"}', 'x \u0001 @ts@')),
  // More distinct sets than the codec's short list of recent ones (8), so its map is used too.
  meta: fc.option(fc.record({ detected_level: fc.constantFrom('info', 'warn', 'error', 'debug', 'trace', 'fatal', 'unknown', 'critical', 'notice', 'alert', 'emerg', 'x') }, { requiredKeys: [] }).chain((m) => fc.constantFrom({ ...m }, { ...m, trace: "t" }, { ...m, trace: "u" })), { nil: undefined }),
});

test('a block read packed gives the entries decodeBlockPayload gives', () => {
  fc.assert(
    fc.property(fc.array(entry, { minLength: 1, maxLength: 60 }), fc.bigInt({ min: 0n, max: 1n << 62n }), fc.boolean(), fc.boolean(), (es, first, strip, columns) => {
      let ts = first;
      const entries: Entry[] = es.map((e) => {
        ts += BigInt(e.dt);
        const out: Entry = { ts, line: e.line.replace('@ts@', new Date(Number(ts / 1_000_000n)).toISOString()) };
        if (e.meta) out.metadata = e.meta;
        return out;
      });
      // Columnar lines (the cold tier's default) restore timestamps while assembling, in both reads.
      const ser = serializeEntries(entries, { stripTimestamps: strip, columns });
      const region = compressBlock(ser.buf, 1, ser.sizes);
      const want = decodeBlockPayload(region);
      const packed = decodeBlockPacked(region);
      assert.ok(packed !== null, 'a split block has a packed form');
      const got: Entry[] = packed.lines.map((line, i) => {
        const e: Entry = { ts: packed.first + BigInt(packed.offsets[i]!), line };
        if (packed.metadata?.[i]) e.metadata = packed.metadata[i]!;
        return e;
      });
      assert.deepEqual(got, want);
      // And both are what was written (empty metadata reads as none).
      const written = entries.map((e) => (e.metadata && Object.keys(e.metadata).length === 0 ? { ts: e.ts, line: e.line } : e));
      assert.deepEqual(want, written);
    }),
    fuzzParams(1),
  );
});
