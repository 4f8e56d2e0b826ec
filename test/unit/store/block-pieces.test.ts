/**
 * Blocks decoded a piece of lines at a time for the query workers (issue #12, query-time memory;
 * ../../../src/store/block-pieces.ts): the pieces together are exactly what `decodeBlockPayload`
 * gives, for hot blocks (version 1) and cold ones (version 2, timestamp escapes restored), in the
 * text and the columnar lines layout, with blocks longer than a piece, empty and multi-byte lines
 * and metadata; a text block whose lines hold a newline has no piece form (a columnar one has). And a scan job over file blocks answers what scanning the whole
 * decoded block answers, in both directions and with limits, examining no more lines.
 * FUZZ_SEED replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { Entry } from '../../../src/api/model.js';
import { compressBlock, decodeBlockPayload, serializeEntries } from '../../../src/store/block-codec.js';
import { decodeBlockPieces, forEachPiece, PIECE_LINES } from '../../../src/store/block-pieces.js';
import type { BlockRef } from '../../../src/store/store.js';
import { runScanJob } from '../../../src/query/engine/scan-job.js';
import { scanEntries, type ScannedEntry } from '../../../src/query/engine/block-scanner.js';
import { compilePipeline } from '../../../src/logql/pipeline/compile.js';
import { parseExpr } from '../../../src/logql/syntax/index.js';
import type { LogExpr } from '../../../src/logql/syntax/ast.js';
import { fuzzParams } from '../../helpers/fuzz.js';

const entry = fc.record({
  dt: fc.nat({ max: 5_000_000_000 }),
  // `@ts@` becomes the entry's own time as text, which cold blocks store as an escape (version 2).
  line: fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('{"level":"info","msg":"x"}', 'level=error msg="a b"', 'é😀 error', '', '{"ts":"@ts@","level":"error"}', 'x \u0001 @ts@')),
  meta: fc.option(fc.constantFrom<Record<string, string>>({ detected_level: 'info' }, { detected_level: 'error' }, { detected_level: 'warn', trace: 't' }), { nil: undefined }),
});

function entriesOf(es: Array<{ dt: number; line: string; meta: Record<string, string> | undefined }>, first: bigint): Entry[] {
  let ts = first;
  return es.map((e) => {
    ts += BigInt(e.dt);
    const out: Entry = { ts, line: e.line.replace('@ts@', new Date(Number(ts / 1_000_000n)).toISOString()) };
    if (e.meta) out.metadata = e.meta;
    return out;
  });
}

/** Up to three pieces' worth of entries, so pieces end inside blocks and at their ends. */
const entries = fc.tuple(fc.array(entry, { minLength: 1, maxLength: 3 * PIECE_LINES + 5 }), fc.bigInt({ min: 1n << 60n, max: 1n << 61n })).map(([es, first]) => entriesOf(es, first));

/** The entries of a block read a piece at a time, in order or from the last piece. */
function pieceEntries(region: Buffer, backward = false): Entry[] {
  const pieces = decodeBlockPieces(region);
  assert.ok(pieces !== null, 'a split block with a joined or columnar lines column has a piece form');
  const got: Entry[][] = [];
  forEachPiece(0, pieces.offsets.length, backward, (lo, hi) => {
    const lines = pieces.lines(lo, hi);
    assert.equal(lines.length, hi - lo);
    const piece: Entry[] = [];
    for (let i = lo; i < hi; i++) {
      const e: Entry = { ts: pieces.first + BigInt(pieces.offsets[i]!), line: lines[i - lo]! };
      if (pieces.metadata?.[i]) e.metadata = pieces.metadata[i]!;
      piece.push(e);
    }
    got.push(piece);
  });
  return (backward ? got.reverse() : got).flat();
}

test('a block read a piece at a time gives the entries decodeBlockPayload gives', () => {
  fc.assert(
    fc.property(entries, fc.boolean(), fc.boolean(), fc.boolean(), (es, strip, columns, backward) => {
      const ser = serializeEntries(es, { stripTimestamps: strip, columns });
      const region = compressBlock(ser.buf, 1, ser.sizes);
      assert.deepEqual(pieceEntries(region, backward), decodeBlockPayload(region));
    }),
    fuzzParams(1),
  );
});

test('a columnar block with many lines of few templates (cold JSON and logfmt lines) reads the same a piece at a time', () => {
  // Fixed-template lines, so the columnar layout is what is written (random lines may fall back to text).
  const es: Entry[] = [];
  let ts = 1_700_000_000_000_000_000n;
  for (let i = 0; i < 5 * PIECE_LINES + 17; i++) {
    ts += BigInt(1_000_000 * (i % 7));
    const iso = new Date(Number(ts / 1_000_000n)).toISOString();
    es.push({ ts, line: i % 3 === 0 ? `{"ts":"${iso}","level":"info","user_id":"u${i}","ms":${i * 3}}` : i % 3 === 1 ? `ts=${iso} level=error msg="é ${i}" id=${i}` : `plain ${i} 😀` });
  }
  const ser = serializeEntries(es, { stripTimestamps: true, columns: true });
  assert.equal(ser.buf.includes(Buffer.from('"user_id":"u3"')), false, 'the lines are stored as columns, not text');
  const region = compressBlock(ser.buf, 3, ser.sizes);
  assert.deepEqual(pieceEntries(region), es);
  assert.deepEqual(pieceEntries(region, true), es);
});

test('a text block whose lines hold a newline has no piece form (it is decoded whole); a columnar one has', () => {
  const es: Entry[] = [
    { ts: 1_000n, line: 'a' },
    { ts: 2_000n, line: 'b\nc' },
    { ts: 3_000n, line: 'a' },
  ];
  const ser = serializeEntries(es);
  assert.equal(decodeBlockPieces(compressBlock(ser.buf, 1, ser.sizes)), null);
  const cols = serializeEntries(es, { columns: true });
  const region = compressBlock(cols.buf, 1, cols.sizes);
  assert.deepEqual(pieceEntries(region), es);
  assert.deepEqual(pieceEntries(region, true), es);
});

test('pieces cover a range once, in order or from the last, and stop when asked', () => {
  const seen: number[] = [];
  forEachPiece(3, 3 + 2 * PIECE_LINES + 1, true, (lo, hi) => void seen.push(lo, hi));
  assert.deepEqual(seen, [3 + PIECE_LINES + 1, 3 + 2 * PIECE_LINES + 1, 4, 3 + PIECE_LINES + 1, 3, 4]);
  const fwd: number[] = [];
  forEachPiece(0, 3 * PIECE_LINES, false, (lo) => (fwd.push(lo), fwd.length < 2));
  assert.deepEqual(fwd, [0, PIECE_LINES]);
});

test('a scan job over file blocks answers what a scan of the whole decoded blocks answers', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'block-pieces-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let run = 0;
  fc.assert(
    fc.property(fc.array(entries, { minLength: 1, maxLength: 4 }), fc.boolean(), fc.boolean(), fc.constantFrom(0, 1, 7, 150), fc.constantFrom('backward', 'forward') as fc.Arbitrary<'backward' | 'forward'>, fc.constantFrom('{job="x"}', '{job="x"} |= "error"', '{job="x"} | json | level="error"'), (blocks, strip, columns, limit, direction, query) => {
      const path = join(dir, `seg${run++}`);
      const regions = blocks.map((es) => {
        const ser = serializeEntries(es, { stripTimestamps: strip, columns });
        return compressBlock(ser.buf, 1, ser.sizes);
      });
      writeFileSync(path, Buffer.concat(regions));
      let offset = 0;
      const refs: BlockRef[] = regions.map((r, i) => {
        const es = blocks[i]!;
        const ref: BlockRef = { streamId: 0, minTs: es[0]!.ts, maxTs: es.at(-1)!.ts, entries: es.length, rawBytes: 0, location: { kind: 'file', path, offset, length: r.length } };
        offset += r.length;
        return ref;
      });
      const stages = (parseExpr(query) as LogExpr).pipeline;
      const all = blocks.flat();
      const from = all.reduce((m, e) => (e.ts < m ? e.ts : m), all[0]!.ts) + 3_000_000_000n;
      const to = from + 200_000_000_000n;
      const got = runScanJob({ refs, streams: { 0: { job: 'x' } }, stages, from, to, limit, direction });
      // The reference: each whole block decoded, scanned, the job's best `limit` kept the same way.
      const sp = compilePipeline(stages).forStream({ job: 'x' });
      const want: ScannedEntry[] = [];
      let lines = 0;
      let bytes = 0;
      for (const r of regions) {
        const read = scanEntries(decodeBlockPayload(r), 0, sp, from, to, limit, direction === 'backward', want);
        lines += read.lines;
        bytes += read.bytes;
      }
      // At most: pieces older than the job's limit-th newest entry so far are not read.
      assert.ok(got.lines <= lines, `lines examined: ${got.lines} of ${lines}`);
      assert.ok(got.bytes <= bytes, `bytes examined: ${got.bytes} of ${bytes}`);
      const order = (a: ScannedEntry, b: ScannedEntry) => (direction === 'backward' ? cmp(b.ts, a.ts) : cmp(a.ts, b.ts));
      const cut = limit > 0 ? [...want].sort(order).slice(0, limit) : want;
      assert.deepEqual(
        [...got.entries].sort(order).map((e) => [e.ts, e.line, e.labels]),
        [...cut].sort(order).map((e) => [e.ts, e.line, e.labels]),
      );
    }),
    fuzzParams(1),
  );
});

function cmp(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A cold block of fixed-template JSON and logfmt lines (so the columnar layout is what is written),
 * with runs of equal timestamps and the time as text in most lines (stored as an escape).
 */
function coldColumnarBlock(count: number): { es: Entry[]; region: Buffer } {
  const es: Entry[] = [];
  let ts = 1_700_000_000_000_000_000n;
  for (let i = 0; i < count; i++) {
    if (i % 5 !== 0) ts += BigInt(1_000_000 * (i % 7)); // every fifth line (and i % 7 === 0) shares its time
    const iso = new Date(Number(ts / 1_000_000n)).toISOString();
    es.push({ ts, line: i % 3 === 0 ? `{"ts":"${iso}","level":"${i % 4 === 0 ? 'error' : 'info'}","user_id":"u${i}","ms":${i * 3}}` : i % 3 === 1 ? `ts=${iso} level=error msg="é ${i}" id=${i}` : `plain ${i} 😀` });
  }
  const ser = serializeEntries(es, { stripTimestamps: true, columns: true });
  assert.equal(ser.buf.includes(Buffer.from('"user_id":"u3"')), false, 'the lines are stored as columns, not text');
  return { es, region: compressBlock(ser.buf, 3, ser.sizes) };
}

test('a columnar block gives the same lines whatever ranges are asked for, in whatever order', () => {
  // Longer than the run a backward scan assembles a piece at a time before it assembles the rest at once.
  const { es, region } = coldColumnarBlock(12 * PIECE_LINES + 41);
  const n = es.length;
  const range = fc.tuple(fc.nat({ max: n }), fc.nat({ max: n })).map(([a, b]) => (a <= b ? [a, b] : [b, a]) as [number, number]);
  fc.assert(
    fc.property(fc.nat({ max: n }), fc.array(range, { minLength: 1, maxLength: 12 }), (newest, ranges) => {
      // Opened afresh: a block's reader is valid until the next block is opened.
      const pieces = decodeBlockPieces(region)!;
      // A backward scan of the newest `newest` lines first, then anything.
      let want = newest;
      forEachPiece(0, n, true, (lo, hi) => {
        assert.deepEqual(pieces.lines(lo, hi), es.slice(lo, hi).map((e) => e.line), `backward, lines ${lo} to ${hi}`);
        return (want -= hi - lo) > 0;
      });
      for (const [lo, hi] of ranges) {
        assert.deepEqual(
          pieces.lines(lo, hi),
          es.slice(lo, hi).map((e) => e.line),
          `lines ${lo} to ${hi}`,
        );
      }
    }),
    fuzzParams(0.5),
  );
});

test('a backward scan with a limit over a multi-piece columnar cold block answers exactly the newest lines, newest first', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'block-pieces-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { es, region } = coldColumnarBlock(7 * PIECE_LINES + 3);
  const path = join(dir, 'seg');
  writeFileSync(path, region);
  const ref: BlockRef = { streamId: 0, minTs: es[0]!.ts, maxTs: es.at(-1)!.ts, entries: es.length, rawBytes: 0, location: { kind: 'file', path, offset: 0, length: region.length } };
  for (const [query, keep] of [
    ['{job="x"}', () => true],
    ['{job="x"} |= "error"', (line: string) => line.includes('error')],
  ] as const) {
    for (const limit of [1, 100, PIECE_LINES, 2 * PIECE_LINES + 5, 1000]) {
      const stages = (parseExpr(query) as LogExpr).pipeline;
      const got = runScanJob({ refs: [ref], streams: { 0: { job: 'x' } }, stages, from: 0n, to: es.at(-1)!.ts + 1n, limit, direction: 'backward' });
      // Newest first; among equal timestamps the later line in the block first, as a whole-block scan gives.
      const want = es.filter((e) => keep(e.line)).reverse().slice(0, limit);
      assert.deepEqual(
        got.entries.map((e) => [e.ts, e.line]),
        want.map((e) => [e.ts, e.line]),
        `${query} limit ${limit}`,
      );
      if (query === '{job="x"}') assert.equal(got.lines, Math.min(limit, es.length), 'lines examined: only the newest');
    }
  }
});

test('a scan job with a limit reads no block or piece that cannot make its cut', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'block-pieces-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'seg');
  // Three streams' blocks of 5 pieces: b interleaves with a (every other ns, ties included), c is older than both.
  const n = 5 * PIECE_LINES;
  const make = (streamId: number, ts: (i: number) => bigint, name: string) => {
    const es: Entry[] = Array.from({ length: n }, (_, i) => ({ ts: ts(i), line: `level=info stream=${name} i=${i}` }));
    const ser = serializeEntries(es, { stripTimestamps: true, columns: true });
    return { streamId, es, region: compressBlock(ser.buf, 3, ser.sizes) };
  };
  const blocks = [make(0, (i) => 1_000_000n + BigInt(i), 'a'), make(1, (i) => 1_000_000n + BigInt(2 * i), 'b'), make(2, (i) => BigInt(i), 'c')];
  writeFileSync(path, Buffer.concat(blocks.map((b) => b.region)));
  let offset = 0;
  const refs: BlockRef[] = blocks.map((b) => {
    const ref: BlockRef = { streamId: b.streamId, minTs: b.es[0]!.ts, maxTs: b.es.at(-1)!.ts, entries: n, rawBytes: 0, location: { kind: 'file', path, offset, length: b.region.length } };
    offset += b.region.length;
    return ref;
  });
  const streams = { 0: { job: 'a' }, 1: { job: 'b' }, 2: { job: 'c' } };
  for (const direction of ['backward', 'forward'] as const) {
    const limit = 200;
    const got = runScanJob({ refs: direction === 'backward' ? refs : [...refs].reverse(), streams, stages: [], from: 0n, to: 1n << 62n, limit, direction });
    const all = blocks.flatMap((b) => b.es);
    const order = (x: { ts: bigint; line: string }, y: { ts: bigint; line: string }) => (direction === 'backward' ? cmp(y.ts, x.ts) : cmp(x.ts, y.ts)) || (x.line < y.line ? -1 : x.line > y.line ? 1 : 0);
    const want = [...all].sort(order).slice(0, limit);
    // Ties at the cut may go either way between streams; everything strictly inside it must be there.
    const edge = want.at(-1)!.ts;
    assert.deepEqual(
      got.entries.filter((e) => e.ts !== edge).map((e) => e.line).sort(),
      want.filter((e) => e.ts !== edge).map((e) => e.line).sort(),
      direction,
    );
    assert.equal(got.entries.length, limit);
    // Backward: a's newest 200, then b's lines down to a's 200th newest time and one more piece at most; c not at all.
    // Forward: c's oldest 200, then nothing of a or b (all newer than c's 200th).
    assert.ok(got.lines <= (direction === 'backward' ? limit + 100 + PIECE_LINES : limit), `${direction}: ${got.lines} lines examined`);
  }
});
