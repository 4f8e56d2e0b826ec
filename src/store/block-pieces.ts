/**
 * A hot block's lines decoded a piece at a time, for the query workers (issue #12, query-time
 * memory). ./block-codec.ts `decodeBlockPayload` and ./block-packed.ts make every line of a block
 * a string at once (and an Entry per line): all of them live while the block is scanned, so each
 * young-generation collection in the middle of a block copies the block's strings, and the
 * workers' young generations grew to their limit on fresh and sealed data (16 MB committed each).
 * Here the decompressed lines stay in one buffer (outside the V8 heap) and `lines(lo, hi)` makes
 * the strings of one piece; a query runs its pipeline over a piece and drops it, so what survives
 * a collection is one piece.
 *
 * Split regions with a joined lines column: hot blocks (payload version 1, whose stats frame's
 * sizes give each line's place) and the cold tier's (version 2: lines with timestamp escapes, found
 * by their newlines, the escape restored per line), and split regions with a columnar lines column
 * (./line-columns.ts): a piece's lines are assembled as bytes when it is read (so a scan that stops
 * early, or reads a block's newest lines first, rebuilds only what it reads; issue #12 stop 18),
 * timestamps restored, into this thread's second scratch buffer, and its strings are cut from those
 * bytes as from a joined column
 * (issue #12 stop 17: decoded whole, columnar blocks cost the compacted query set ~38% more CPU
 * than text ones). Anything else (lines with newlines in a joined column, legacy unsplit regions)
 * answers null, and callers decode it whole as before.
 */
import { createRequire } from 'node:module';
import { decompress } from 'zstd-napi';
import type { Labels } from '../api/model.js';
import { ByteReader } from './bytes.js';
import { decodeBlockStatsPacked, isSplitRegion, LINES_COLUMNS, LINES_JOINED, PAYLOAD_VERSION, PAYLOAD_VERSION_TS, splitStatsLength, SPLIT_HEADER } from './block-codec.js';
import { openLineColumns, type LineColumnsReader } from './line-columns.js';
import { restoreTimestamp } from './line-transform.js';

/** Lines per piece: about 25–50 KB of strings for typical log lines, far below a 1 MB semi-space. */
export const PIECE_LINES = 128;

export interface BlockPieces {
  first: bigint;
  /** ts[i] - first, in ns, exact. */
  offsets: Float64Array;
  /** Each entry's structured metadata (equal sets share one frozen object); absent when none has any. */
  metadata?: Array<Labels | undefined>;
  /** The lines `lo` to `hi` (exclusive), in block order. */
  lines(lo: number, hi: number): string[];
}

interface ZstdBinding {
  DCtx: new () => { decompress(dst: Uint8Array, src: Uint8Array): number };
  getFrameContentSize(frame: Uint8Array): number | null;
}
let zstd: ZstdBinding | undefined;
let dctx: InstanceType<ZstdBinding['DCtx']> | undefined;
let scratch: Buffer | undefined;
/** Bodies larger than this get a buffer of their own (blocks are about 1 MiB of lines). */
const SCRATCH_MAX = 4 * 1024 * 1024;

/**
 * A block body decompressed into this thread's one scratch buffer. A buffer per block, kept alive
 * while its pieces are scanned, outlived two young collections, went to the old generation and was
 * freed only by a full collection, which V8 starts once ~64 MB of such memory is waiting: the
 * cold-tier queries' RSS grew 20–40 MB that way. The body is valid until the next call.
 */
function decompressBody(frame: Buffer): Buffer {
  zstd ??= createRequire(import.meta.url)('zstd-napi/binding.js') as ZstdBinding;
  const size = zstd.getFrameContentSize(frame);
  if (size === null || size > SCRATCH_MAX) return decompress(frame);
  if (!scratch || scratch.length < size) scratch = Buffer.allocUnsafe(Math.max(size, 1 << 20));
  dctx ??= new zstd.DCtx();
  const n = dctx.decompress(scratch, frame);
  if (n !== size) throw new RangeError(`corrupt block: body of ${n} bytes, its frame says ${size}`);
  return scratch.subarray(0, n);
}

/**
 * The block in the file region `region` (a BlockRef's exact bytes) with lazily decoded lines, or
 * null (see the header). Its lines are readable until the next call in the same thread (they sit
 * in the thread's scratch buffer): scan one block, then decode the next.
 */
export function decodeBlockPieces(region: Buffer): BlockPieces | null {
  if (!isSplitRegion(region)) return null;
  const s = splitStatsLength(region);
  if (region.length < SPLIT_HEADER + s) throw new RangeError('truncated split block');
  const stats = decodeBlockStatsPacked(region.subarray(0, SPLIT_HEADER + s));
  if (!('offsets' in stats) || (stats.version !== PAYLOAD_VERSION && stats.version !== PAYLOAD_VERSION_TS)) return null;
  const r = new ByteReader(decompressBody(region.subarray(SPLIT_HEADER + s)));
  const mode = r.u8();
  const { offsets, first } = stats;
  const n = offsets.length;
  if (n === 0) return null;
  if (mode === LINES_COLUMNS) {
    const escaped = stats.version === PAYLOAD_VERSION_TS;
    const reader = openLineColumns(r, n, escaped ? { first, offsets } : undefined, assembledBuffer);
    const out = columnPieces(first, offsets, reader);
    if (stats.metadata) out.metadata = stats.metadata;
    return out;
  }
  if (mode !== LINES_JOINED) return null;
  const len = r.varint();
  const blob = r.bytes(len);
  // Where each stored line starts and ends ('\n' between them, none inside).
  const starts = new Uint32Array(n);
  const ends = new Uint32Array(n);
  if (stats.version === PAYLOAD_VERSION) {
    // Stored as they came: each line's size is its stored length.
    let p = 0;
    for (let i = 0; i < n; i++) {
      starts[i] = p;
      ends[i] = p += stats.sizes[i]!;
      p++;
    }
    if (p - 1 !== len) return null;
  } else {
    // Timestamp escapes change the stored length: the newlines tell.
    let p = 0;
    for (let i = 0; i < n - 1; i++) {
      const e = blob.indexOf(10, p);
      if (e < 0) return null;
      starts[i] = p;
      ends[i] = e;
      p = e + 1;
    }
    if (blob.indexOf(10, p) >= 0) return null;
    starts[n - 1] = p;
    ends[n - 1] = len;
  }
  const escaped = stats.version === PAYLOAD_VERSION_TS;
  const out: BlockPieces = {
    first,
    offsets,
    lines(lo, hi) {
      const lines: string[] = new Array(hi - lo);
      if (hi <= lo) return lines;
      // One string for the piece, cut at its newlines (exactly the separators: no line holds one):
      // about twice as fast as a string per line, and the cuts share the piece's string.
      const text = blob.toString('utf8', starts[lo], ends[hi - 1]);
      let q = 0;
      for (let i = lo; i < hi; i++) {
        let k = i === hi - 1 ? text.length : text.indexOf('\n', q);
        if (k < 0) k = text.length;
        const line = text.slice(q, k);
        q = k + 1;
        // Cold blocks: each line's own timestamp back in place of its escape.
        lines[i - lo] = escaped ? restoreTimestamp(line, first + BigInt(offsets[i]!)) : line;
      }
      return lines;
    },
  };
  if (stats.metadata) out.metadata = stats.metadata;
  return out;
}

let assembled: Buffer | undefined;

/** The thread's scratch buffer for assembled columnar lines (kept up to SCRATCH_MAX, as the body's). */
function assembledBuffer(size: number): Buffer {
  if (size > SCRATCH_MAX) return Buffer.allocUnsafe(size);
  if (!assembled || assembled.length < size) assembled = Buffer.allocUnsafe(Math.max(size, 1 << 20));
  return assembled;
}

/**
 * Pieces of columnar lines: each piece's lines assembled as bytes when asked for (only the pieces
 * a scan reads, issue #12 stop 18), one string a piece cut at its '\n's, as the joined column's.
 */
function columnPieces(first: bigint, offsets: Float64Array, reader: LineColumnsReader): BlockPieces {
  return {
    first,
    offsets,
    lines(lo, hi) {
      const lines: string[] = new Array(hi - lo);
      if (hi <= lo) return lines;
      const { bytes, ends, separated } = reader.assemble(lo, hi);
      const k = hi - lo;
      if (!separated) {
        // Some line holds a '\n': a string per line.
        for (let i = 0; i < k; i++) lines[i] = bytes.toString('utf8', i === 0 ? 0 : ends[i - 1]!, ends[i]!);
        return lines;
      }
      const text = bytes.toString('utf8', 0, ends[k - 1]);
      let q = 0;
      for (let i = 0; i < k; i++) {
        let e = i === k - 1 ? text.length : text.indexOf('\n', q);
        if (e < 0) e = text.length;
        lines[i] = text.slice(q, e);
        q = e + 1;
      }
      return lines;
    },
  };
}

/** Calls `visit` with the pieces of `[lo, hi)` in order, or from the last when `backward`, until it answers false. */
export function forEachPiece(lo: number, hi: number, backward: boolean, visit: (lo: number, hi: number) => boolean | void): void {
  if (backward) {
    for (let e = hi; e > lo; e -= PIECE_LINES) if (visit(Math.max(lo, e - PIECE_LINES), e) === false) return;
  } else {
    for (let b = lo; b < hi; b += PIECE_LINES) if (visit(b, Math.min(hi, b + PIECE_LINES)) === false) return;
  }
}
