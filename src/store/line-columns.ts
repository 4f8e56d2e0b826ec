/**
 * The columnar lines column of cold blocks (lines mode 2 of ./block-codec.ts; written unless
 * `storage.cold_line_columns` is false, read always): each line is split
 * into a template — its text with every variable token replaced by a placeholder — and the
 * variables, which go to columns by the text just before them (in a JSON line `"user_id":"` picks
 * the user ids' column, in logfmt `user=`). Lines of a stream share few templates, and a column
 * holds values of one kind next to each other (all request ids, all durations), which zstd codes
 * in far fewer and cheaper matches than the same values interleaved with keys and punctuation:
 * ~10% fewer body bytes on the shared corpus, and half the compression CPU (docs/benchmarks.md).
 * This is VictoriaLogs' idea of per-field encoding, made format-agnostic: it needs no JSON or
 * logfmt parser (nginx, postgres and Java lines gain too), and decoding is exact by construction
 * (a line is its template with the placeholders filled in order). Rebuilding the lines costs about
 * what splitting a text and restoring its timestamps costs (readLineColumns), hence the default.
 *
 * Variables: a value after '=' (logfmt) or '":' (JSON) — a quoted one up to its closing quote or
 * first backslash, an unquoted one as a token — and elsewhere any token (a maximal run of
 * [0-9A-Za-z._-]) holding a digit (ids, numbers, IPs). Other words stay in the template. A
 * variable's column is picked by the last CONTEXT bytes of literal template text before it
 * (since the previous variable), which the decoder recomputes from the template, so the format
 * stores no column ids: that rule and CONTEXT are part of the format; which tokens are variables
 * is the encoder's choice alone and may change without a format change.
 *
 * Layout (after the lines-mode byte):
 *   varint T · T × template (UTF-8, ended by an unescaped '\n') · count × varint template id ·
 *   varint C · C × varint byte length · the columns' values, each followed by '\n' (UTF-8)
 * In a template, PH (0x1e) stands for the next variable and ESC (0x1f) makes the next byte literal
 * (a PH, ESC or '\n' of the line). Columns are numbered by first use, templates in order.
 * Free of side effects: query workers import it.
 */
import type { ByteReader, ByteWriter } from './bytes.js';
import { splitJoinedLines } from './joined-lines.js';
import { MARK_BYTE, MAX_TIMESTAMP_BYTES, writeLineTimestamp, writeTimestamp, type LineTimes } from './line-transform.js';

/** Each line's timestamp, for restoring timestamp escapes: as the stats frame holds them (no BigInt a line), or by a function. */
export type LineTimestamps = LineTimes | ((i: number) => bigint);

const PH = 0x1e;
const ESC = 0x1f;
/** Characters of literal text before a variable that pick its column. */
const CONTEXT = 16;
/** Blocks with more distinct templates than this share of their lines are stored as plain text. */
const MAX_TEMPLATE_SHARE = 0.5;

// Token characters: ASCII letters, digits, '.', '_', '-'.
const TOKEN = new Uint8Array(128);
for (let c = 48; c <= 57; c++) TOKEN[c] = 2; // digits
for (let c = 65; c <= 90; c++) TOKEN[c] = 1;
for (let c = 97; c <= 122; c++) TOKEN[c] = 1;
TOKEN[46] = TOKEN[95] = TOKEN[45] = 1;

function escapeLiteral(s: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === PH || c === ESC || c === 10) {
      out += s.slice(from, i) + String.fromCharCode(ESC, c);
      from = i + 1;
    }
  }
  return from === 0 ? s : out + s.slice(from);
}

/** The column key of a variable: the last CONTEXT bytes (UTF-8, as latin1 text) of the escaped literal before it. */
function contextOf(lit: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\u0000-\u007f]/.test(lit)) return lit.length > CONTEXT ? lit.slice(-CONTEXT) : lit;
  const b = Buffer.from(lit, 'utf8');
  return b.toString('latin1', Math.max(0, b.length - CONTEXT));
}

interface Template {
  id: number;
  columns: number[];
}

/**
 * Writes `lines` as the columnar layout above (without the mode byte) and returns true, or writes
 * nothing and returns false when the lines share too few templates to gain (the caller then
 * stores them as text).
 */
export function writeLineColumns(w: ByteWriter, lines: readonly string[]): boolean {
  const n = lines.length;
  const templates = new Map<string, Template>();
  const order: string[] = [];
  const columnOf = new Map<string, number>();
  const columns: string[][] = [];
  const ids = new Uint32Array(n);
  const maxTemplates = Math.max(16, n * MAX_TEMPLATE_SHARE);
  const vars: string[] = [];
  const contexts: string[] = [];
  for (let i = 0; i < n; i++) {
    const line = lines[i]!;
    let tpl = '';
    let last = 0; // end of the previous variable
    vars.length = 0;
    contexts.length = 0;
    const len = line.length;
    let p = 0;
    while (p < len) {
      const c = line.charCodeAt(p);
      // A value position: after '=' (logfmt) or '":' (JSON).
      const prev = p > 0 ? line.charCodeAt(p - 1) : 0;
      const value = prev === 61 || (prev === 58 && p > 1 && line.charCodeAt(p - 2) === 34);
      if (c === 34 && value) {
        // A quoted value: its text up to the closing quote (or a backslash) is the variable.
        const start = p + 1;
        let e = start;
        while (e < len) {
          const d = line.charCodeAt(e);
          if (d === 34 || d === 92 || d === 10) break;
          e++;
        }
        p = e;
        if (e === start) continue;
        const lit = escapeLiteral(line.slice(last, start));
        tpl += lit + '\u001e';
        contexts.push(contextOf(lit));
        vars.push(line.slice(start, e));
        last = e;
        continue;
      }
      if (c >= 128 || TOKEN[c] === 0) {
        p++;
        continue;
      }
      const start = p;
      let digit = false;
      while (p < len) {
        const d = line.charCodeAt(p);
        if (d >= 128) break;
        const k = TOKEN[d]!;
        if (k === 0) break;
        if (k === 2) digit = true;
        p++;
      }
      if (!digit && !value) continue;
      const lit = escapeLiteral(line.slice(last, start));
      tpl += lit + '\u001e';
      contexts.push(contextOf(lit));
      vars.push(line.slice(start, p));
      last = p;
    }
    tpl += escapeLiteral(line.slice(last));
    let t = templates.get(tpl);
    if (!t) {
      if (order.length >= maxTemplates) return false;
      const cols = contexts.map((ctx) => {
        let k = columnOf.get(ctx);
        if (k === undefined) {
          k = columns.length;
          columnOf.set(ctx, k);
          columns.push([]);
        }
        return k;
      });
      t = { id: order.length, columns: cols };
      templates.set(tpl, t);
      order.push(tpl);
    }
    ids[i] = t.id;
    const cols = t.columns;
    for (let j = 0; j < vars.length; j++) columns[cols[j]!]!.push(vars[j]!);
  }
  w.varint(order.length);
  for (const tpl of order) {
    w.ensure(tpl.length * 3 + 1);
    w.pos += w.buf.write(tpl, w.pos, 'utf8');
    w.buf[w.pos++] = 10;
  }
  for (let i = 0; i < n; i++) w.varint(ids[i]!);
  const colTexts = columns.map((col) => (col.length > 0 ? col.join('\n') + '\n' : ''));
  w.varint(columns.length);
  for (const text of colTexts) w.varint(Buffer.byteLength(text, 'utf8'));
  for (const text of colTexts) {
    w.ensure(text.length * 3);
    w.pos += w.buf.write(text, w.pos, 'utf8');
  }
  return true;
}

/**
 * Scratch buffers of the decoder, reused from block to block (the lines are decoded into strings,
 * which copy): a fresh output buffer per block cost page faults on every first touch. Kept only up
 * to KEEP_SCRATCH bytes, so one huge block does not pin its size for the worker's life.
 */
const KEEP_SCRATCH = 8 << 20;
/** Bytes after each scratch region that 4-byte reads and writes may run over. */
const SLACK = 16;
let inScratch: Buffer = Buffer.allocUnsafe(1 << 16);
let inView: DataView = new DataView(inScratch.buffer, inScratch.byteOffset, inScratch.length);
let outScratch: Buffer = Buffer.allocUnsafe(1 << 16);
let outView: DataView = new DataView(outScratch.buffer, outScratch.byteOffset, outScratch.length);

function scratch(size: number, keep: Buffer): Buffer {
  if (keep.length >= size) return keep;
  return Buffer.allocUnsafe(size <= KEEP_SCRATCH ? Math.min(KEEP_SCRATCH, Math.max(size, keep.length * 2)) : size);
}

/**
 * Reads the layout above (after the mode byte) back into `n` lines. The templates' literal bytes
 * (unescaped) and the columns are copied into one scratch buffer, the lines assembled from them as
 * bytes into another, four bytes at a time, and that text split into strings as the joined-lines
 * column is (./joined-lines.ts): building lines from string pieces cost twice the decode time, and
 * byte by byte twice this (docs/benchmarks.md, issue #12 stop 16). A variable's column is found
 * by a hash of its context bytes, checked against the bytes, instead of a string per variable.
 * With `ts` (each line's timestamp, for payload version 2: ./line-transform.ts), the timestamp
 * escapes are restored while assembling, as bytes (writeTimestamp): restoring them in each line's
 * string afterwards cost as much as the whole assembly (~0.2 µs a line). The writer puts at most one
 * timestamp escape in a line, so a line with two is malformed here.
 * Throws RangeError on a malformed layout.
 */
export function readLineColumns(r: ByteReader, n: number, ts?: ArrayLike<bigint>): string[] {
  if (ts && ts.length < n) throw new RangeError('fewer timestamps than lines');
  const a = assembleLineColumns(r, n, ts ? (i) => ts[i]! : undefined);
  const out = a.bytes;
  if (!a.separated) {
    const lines: string[] = new Array(n);
    let from = 0;
    for (let i = 0; i < n; i++) {
      lines[i] = out.toString('utf8', from, a.ends[i]!);
      from = a.ends[i]!;
    }
    return lines;
  }
  // The assembled lines end in '\n' each: split as the joined-lines column is (./joined-lines.ts).
  return splitJoinedLines(out.subarray(0, Math.max(0, a.length - 1)), n);
}

/** Lines of the columnar layout assembled as UTF-8 bytes (LineColumnsReader.assemble). */
export interface AssembledLines {
  /** The lines' bytes, in a scratch buffer valid until the next assembly with the same buffer. */
  bytes: Buffer;
  /** Bytes used in `bytes`. */
  length: number;
  /**
   * The k-th line assembled (line lo + k) ends at ends[k] (exclusive); the first starts at 0; with
   * `separated` a '\n' follows each line, else line k starts at ends[k - 1].
   */
  ends: Uint32Array;
  /** True when no line holds a '\n' (each line is followed by one, so a run of lines splits at them). */
  separated: boolean;
}

/**
 * The lines of the layout above, assembled a range at a time (openLineColumns): a scan that reads
 * a block's last piece, or stops after its first ones, rebuilds only those lines.
 */
export interface LineColumnsReader {
  /** Lines `lo` to `hi` (exclusive) as bytes, in the output buffer (valid until the next call). */
  assemble(lo: number, hi: number): AssembledLines;
}

/**
 * Lines a backward run of ranges assembles one range at a time before it assembles the rest of the
 * block at once: moving back over a range's values costs about a quarter of assembling it, so a
 * backward scan that reads a whole block (a rare filter) pays that only on its first pieces, and
 * one that stops within them (`newest 1000`) assembles only those (issue #12 stop 18).
 */
const BULK_AFTER = 1024;

/** Bumped by every openLineColumns: a reader whose columns another decode overwrote refuses to assemble. */
let generation = 0;

/**
 * The lines of the layout above (after the mode byte) as bytes: what readLineColumns makes strings
 * of, and what ./block-pieces.ts cuts a piece of lines at a time from (the strings of a whole block
 * at once cost the compacted query set ~38% more CPU than the text layout's pieces, issue #12
 * stop 17). Opening parses the templates, the line template ids and the columns' lengths and copies
 * the columns into this module's scratch buffer; `assemble(lo, hi)` then rebuilds just those lines.
 * It needs each column's place at line `lo`: it starts from the nearest line whose places it
 * knows (the block's first, its end, or the range it assembled last), counts the values each
 * column gives the lines between, and moves over that many values, found by their '\n's four bytes
 * at a time (issue #12 stop 18: a backward scan for the newest 1000 lines assembled whole 2 MiB
 * blocks to read their last pieces). Ranges in order, or from the last one back, move over no
 * more than the lines they assemble. The reader is valid until the next open in this thread.
 * `tsAt` gives each line's timestamp for payload version 2 (its escapes restored while
 * assembling). `into` picks the output buffer for a size (default: this module's scratch buffer).
 */
export function openLineColumns(r: ByteReader, n: number, tsAt?: LineTimestamps, into?: (size: number) => Buffer): LineColumnsReader {
  const gen = ++generation;
  const t = r.varint();
  if (t > n + 16) throw new RangeError('too many line templates');
  const buf = r.buf;
  const end = buf.length;
  const tplFrom = r.pos;
  let q = tplFrom;
  // The templates' end first, and their variables (placeholders), to size what follows: arrays
  // sized by the template bytes cost a block of many templates megabytes of zeroed memory.
  let nPh = 0;
  for (let i = 0; i < t; i++) {
    for (;;) {
      if (q >= end) throw new RangeError('truncated line template');
      const c = buf[q++]!;
      if (c === 10) break;
      if (c === ESC) q++;
      else if (c === PH) nPh++;
    }
  }
  if (q > end) throw new RangeError('truncated escape in a line template');
  const tplBytes = q - tplFrom;
  const need = tplBytes + SLACK + (end - q) + SLACK;
  const src = scratch(need, inScratch);
  if (src !== inScratch && src.length <= KEEP_SCRATCH) [inScratch, inView] = [src, new DataView(src.buffer, src.byteOffset, src.length)];
  const srcView = src === inScratch ? inView : new DataView(src.buffer, src.byteOffset, src.length);
  // Template i: literal piece j is src[pieceAt[2(colStart[i] + i + j)] .. pieceAt[2(colStart[i] + i + j) + 1]),
  // the column of its variable j is cols[colStart[i] + j].
  const colStart = new Uint32Array(t + 1);
  const litLen = new Uint32Array(t);
  const pieceAt = new Uint32Array(2 * (t + nPh));
  // Pieces holding a timestamp escape byte (only looked for with `ts`), by piece number (pp / 2).
  const marked = new Uint8Array(t + nPh);
  let piece = 0;
  const cols = new Uint32Array(nPh);
  const byHash = new Map<number, number>();
  const keyAt: number[] = [];
  const keyLen: number[] = [];
  let collided: Map<string, number> | undefined;
  let nCols = 0;
  let nVars = 0;
  let pc = 0;
  let o = 0;
  let newline = false;
  q = tplFrom;
  for (let i = 0; i < t; i++) {
    const first = o;
    pieceAt[pc++] = o;
    let seg = q; // start of the escaped literal before the next variable
    for (;;) {
      let c = buf[q++]!;
      if (c === 10) break;
      if (c === PH) {
        // The column: by the last CONTEXT escaped bytes before the placeholder (its key).
        const ke = q - 1;
        const kb = ke - CONTEXT > seg ? ke - CONTEXT : seg;
        let h = 0x811c9dc5;
        for (let x = kb; x < ke; x++) h = Math.imul(h ^ buf[x]!, 0x01000193);
        let k = byHash.get(h);
        if (k === undefined) {
          byHash.set(h, (k = nCols++));
          keyAt.push(kb);
          keyLen.push(ke - kb);
        } else if (!sameKey(buf, keyAt[k]!, keyLen[k]!, kb, ke)) {
          // Another key with the same hash: these go by their text.
          const key = buf.toString('latin1', kb, ke);
          collided ??= new Map();
          k = collided.get(key);
          if (k === undefined) {
            collided.set(key, (k = nCols++));
            keyAt.push(kb);
            keyLen.push(ke - kb);
          }
        }
        cols[nVars++] = k;
        pieceAt[pc++] = o;
        pieceAt[pc++] = o;
        piece++;
        seg = q;
        continue;
      }
      if (c === ESC) {
        c = buf[q++]!;
        if (c === 10) newline = true;
      }
      if (c === MARK_BYTE && tsAt) marked[piece] = 1;
      src[o++] = c;
    }
    piece++;
    pieceAt[pc++] = o;
    litLen[i] = o - first;
    colStart[i + 1] = nVars;
  }
  const ids = new Uint32Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (q >= end) throw new RangeError('truncated line template ids');
    let id = buf[q++]!;
    if (id >= 0x80) {
      r.pos = q - 1;
      id = r.varint();
      q = r.pos;
    }
    if (id >= t) throw new RangeError('line template id out of range');
    ids[i] = id;
    total += litLen[id]! + 1;
  }
  r.pos = q;
  const c = r.varint();
  if (nCols > c) throw new RangeError('line column out of range');
  const colBase = o + SLACK;
  const cursor = new Int32Array(c);
  const colEnd = new Int32Array(c);
  let cl = colBase;
  for (let i = 0; i < c; i++) {
    cursor[i] = cl;
    cl += r.varint();
    colEnd[i] = cl;
  }
  if (cl + SLACK > src.length) throw new RangeError('truncated line columns');
  r.bytes(cl - colBase).copy(src, colBase);
  // Every value ends in '\n', so a value's scan stops inside its column.
  for (let i = 0; i < c; i++) if (colEnd[i]! > cursor[i]! && src[colEnd[i]! - 1] !== 10) throw new RangeError('line column not ended');
  total += cl - colBase;
  // A timestamp escape (2 bytes) may stand for up to MAX_TIMESTAMP_BYTES, one per line.
  if (tsAt) total += n * MAX_TIMESTAMP_BYTES;
  let out: Buffer;
  let outV: DataView;
  if (into) {
    out = into(total + SLACK);
    outV = new DataView(out.buffer, out.byteOffset, out.length);
  } else {
    out = scratch(total + SLACK, outScratch);
    if (out !== outScratch && out.length <= KEEP_SCRATCH) [outScratch, outView] = [out, new DataView(out.buffer, out.byteOffset, out.length)];
    outV = out === outScratch ? outView : new DataView(out.buffer, out.byteOffset, out.length);
  }
  const ends = new Uint32Array(n);
  const separated = !newline;
  // Each column's place at line 0 (colBegin) and at the end (colEnd) are known; `lowAt` holds
  // them at line `low` and `highAt` at line `high`, the range assembled last.
  const colBegin = cursor.slice();
  let lowAt = cursor.slice();
  let low = 0;
  let highAt = cursor.slice();
  let high = 0;
  let work = new Int32Array(c);
  const counts = new Int32Array(c);
  // Lines asked for by the current run of ranges each ending where the one before began (a
  // backward scan), and the range asked for last.
  let run = 0;
  let lastLo = 0;
  let lastHi = 0;
  // Lines 0 to `bulk` sit assembled in `out` (ends[i] is line i's end).
  let bulk = 0;
  /** Assembles lines lo to hi into `out` from the nearest known column places. */
  const assembleFrom = (lo: number, hi: number): number => {
    let base = 0;
    let from = colBegin;
    for (const [line, at] of [
      [n, colEnd],
      [low, lowAt],
      [high, highAt],
    ] as const) {
      if (Math.abs(line - lo) < Math.abs(base - lo)) [base, from] = [line, at];
    }
    work.set(from);
    if (base !== lo) {
      const a = base < lo ? base : lo;
      const b = base < lo ? lo : base;
      for (let i = a; i < b; i++) {
        const id = ids[i]!;
        for (let j = colStart[id]!, e = colStart[id + 1]!; j < e; j++) counts[cols[j]!]++;
      }
      for (let k = 0; k < c; k++) {
        const m = counts[k]!;
        if (m === 0) continue;
        counts[k] = 0;
        work[k] = base < lo ? skipValues(srcView, work[k]!, m, colEnd[k]!) : skipValuesBack(srcView, work[k]!, m, colBegin[k]!);
      }
    }
    lowAt.set(work);
    low = lo;
    stampedLine = -1;
    const at = assemble(lo, hi, ids, colStart, pieceAt, cols, work, colEnd, srcView, outV, ends, separated, marked, tsAt, out);
    [highAt, work] = [work, highAt];
    high = hi;
    return at;
  };
  return {
    assemble(lo, hi) {
      if (gen !== generation) throw new Error('line columns reader used after the next block was opened');
      if (!(lo >= 0 && lo <= hi && hi <= n)) throw new RangeError(`lines ${lo} to ${hi} of a block of ${n}`);
      run = hi === lastLo && hi < lastHi ? run + (hi - lo) : hi - lo;
      lastLo = lo;
      lastHi = hi;
      if (hi > bulk && lo > 0 && run > BULK_AFTER) {
        // A backward scan past its first pieces: the lines before these, and these, in one pass from
        // the columns' starts (no values to move over); later pieces are cut from them.
        bulk = 0;
        assembleFrom(0, hi);
        bulk = hi;
      }
      if (hi <= bulk && lo < hi) {
        const s = lo === 0 ? 0 : ends[lo - 1]! + (separated ? 1 : 0);
        const k = hi - lo;
        const rel = new Uint32Array(k);
        for (let i = 0; i < k; i++) rel[i] = ends[lo + i]! - s;
        return { bytes: out.subarray(s), length: rel[k - 1]! + (separated ? 1 : 0), ends: rel, separated };
      }
      bulk = 0;
      const at = assembleFrom(lo, hi);
      return { bytes: out, length: at, ends, separated };
    },
  };
}

/** Lines of the columnar layout as bytes, all of them (openLineColumns). */
export function assembleLineColumns(r: ByteReader, n: number, tsAt?: LineTimestamps, into?: (size: number) => Buffer): AssembledLines {
  return openLineColumns(r, n, tsAt, into).assemble(0, n);
}

/**
 * Which bytes of the 4 in `x` are '\n': 0x80 in each such byte, exactly (no borrow from a lower
 * byte, unlike the first-zero test of assemble).
 */
function newlineBytes(w: number): number {
  const x = w ^ 0x0a0a0a0a;
  return ~(((x & 0x7f7f7f7f) + 0x7f7f7f7f) | x) & 0x80808080;
}

/** How many bytes newlineBytes marked (0 to 4). */
function marks(z: number): number {
  return Math.imul(z >>> 7, 0x01010101) >>> 24;
}

/** The place after the `m` values that start at `v` in a column ending at `end` (each value ends in '\n'). */
function skipValues(src: DataView, v: number, m: number, end: number): number {
  while (v + 4 <= end) {
    const z = newlineBytes(src.getUint32(v, true));
    if (z !== 0) {
      const k = marks(z);
      if (k >= m) break;
      m -= k;
    }
    v += 4;
  }
  for (; v < end; v++) if (src.getUint8(v) === 10 && --m === 0) return v + 1;
  throw new RangeError('line column exhausted');
}

/** The start of the value `m` values before `v` (a value's start or the column's end) in a column starting at `begin`. */
function skipValuesBack(src: DataView, v: number, m: number, begin: number): number {
  // The '\n' just before v ends the value before it: the (m + 1)-th '\n' back ends the value before the wanted one.
  let need = m + 1;
  while (v - 4 >= begin) {
    const z = newlineBytes(src.getUint32(v - 4, true));
    if (z !== 0) {
      const k = marks(z);
      if (k >= need) break;
      need -= k;
    }
    v -= 4;
  }
  for (; v > begin; v--) if (src.getUint8(v - 1) === 10 && --need === 0) return v;
  if (need === 1) return begin;
  throw new RangeError('line column exhausted');
}

/** buf[a, a + len) equals buf[b, e) (short keys: a loop beats Buffer.compare's call). */
function sameKey(buf: Uint8Array, a: number, len: number, b: number, e: number): boolean {
  if (e - b !== len) return false;
  for (let i = 0; i < len; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/**
 * Fills `dst` with lines `lo` to `hi`, their ends into `ends` (from ends[0]) and (`separated`) '\n'
 * after each, reading each column from `cursor` on (left after the values used); returns the bytes
 * written. Copies go four bytes at a time through DataViews (little-endian both ways, so the
 * bytes keep their order on any platform); a copy may write up to three bytes past its piece,
 * which the next piece overwrites (the buffers have SLACK bytes after their ends). A value's end
 * is its column's next '\n', found four bytes at a time: (x - 0x01010101) & ~x & 0x80808080 is
 * non-zero exactly when a byte of x is zero, and its lowest set bit marks the first such byte.
 * With `ts`, a piece or value holding a timestamp escape byte takes the byte-wise copyMarked.
 */
function assemble(
  lo: number,
  hi: number,
  ids: Uint32Array,
  colStart: Uint32Array,
  pieceAt: Uint32Array,
  cols: Uint32Array,
  cursor: Int32Array,
  colEnd: Int32Array,
  src: DataView,
  dst: DataView,
  ends: Uint32Array,
  separated: boolean,
  marked: Uint8Array,
  ts: LineTimestamps | undefined,
  out: Uint8Array,
): number {
  // The escape byte's SWAR mask: none looked for without timestamps.
  const markHigh = ts ? 0x80808080 : 0;
  let at = 0;
  for (let i = lo; i < hi; i++) {
    const id = ids[i]!;
    const c0 = colStart[id]!;
    const k = colStart[id + 1]! - c0;
    let pp = 2 * (c0 + id);
    for (let j = 0; ; j++) {
      const b = pieceAt[pp]!;
      const e = pieceAt[pp + 1]!;
      if (marked[pp >> 1] === 1) at = copyMarked(src, b, e, out, at, ts!, i);
      else {
        for (let x = b; x < e; x += 4) dst.setUint32(at + x - b, src.getUint32(x, true), true);
        at += e - b;
      }
      pp += 2;
      if (j === k) break;
      const col = cols[c0 + j]!;
      let v = cursor[col]!;
      if (v >= colEnd[col]!) throw new RangeError('line column exhausted');
      for (;;) {
        const w = src.getUint32(v, true);
        const y = w ^ 0x01010101;
        if (((y - 0x01010101) & ~y & markHigh) !== 0) {
          // An escape byte in these four (maybe past the value's end): the rest of the value byte-wise.
          const vEnd = valueEnd(src, v);
          at = copyMarked(src, v, vEnd, out, at, ts!, i);
          v = vEnd + 1;
          break;
        }
        dst.setUint32(at, w, true);
        const x = w ^ 0x0a0a0a0a;
        const m = (x - 0x01010101) & ~x & 0x80808080;
        if (m !== 0) {
          const z = (31 - Math.clz32(m & -m)) >> 3;
          at += z;
          v += z + 1;
          break;
        }
        at += 4;
        v += 4;
      }
      cursor[col] = v;
    }
    ends[i - lo] = at;
    if (separated) dst.setUint8(at++, 10);
  }
  return at;
}

/** The index of the next '\n' from `v` (every column ends in one). */
function valueEnd(src: DataView, v: number): number {
  while (src.getUint8(v) !== 10) v++;
  return v;
}

/** The line that last had a timestamp escape restored (at most one a line). */
let stampedLine = -1;

/**
 * Copies src[b, e) to out at `at` restoring timestamp escapes (./line-transform.ts: MARK MARK is
 * one MARK, MARK and a format code the line's timestamp in that format); returns the new end.
 */
function copyMarked(src: DataView, b: number, e: number, out: Uint8Array, at: number, ts: LineTimestamps, line: number): number {
  for (let x = b; x < e; x++) {
    const c = src.getUint8(x);
    if (c !== MARK_BYTE) {
      out[at++] = c;
      continue;
    }
    if (++x >= e) throw new RangeError('truncated escape in a block line');
    const code = src.getUint8(x);
    if (code === MARK_BYTE) {
      out[at++] = MARK_BYTE;
      continue;
    }
    if (code < 2) throw new RangeError('truncated escape in a block line');
    if (stampedLine === line) throw new RangeError('two timestamp escapes in a line');
    stampedLine = line;
    at += typeof ts === 'function' ? writeTimestamp(code, ts(line), out, at) : writeLineTimestamp(code, ts, line, out, at);
  }
  return at;
}

/** Moves `r` past the layout above (after the mode byte) without decoding it. */
export function skipLineColumns(r: ByteReader, n: number): void {
  const t = r.varint();
  const buf = r.buf;
  let q = r.pos;
  for (let i = 0; i < t; i++) {
    for (;;) {
      if (q >= buf.length) throw new RangeError('truncated line template');
      const c = buf[q++]!;
      if (c === 10) break;
      if (c === ESC) q++;
    }
  }
  r.pos = q;
  for (let i = 0; i < n; i++) r.varint();
  const c = r.varint();
  let cl = 0;
  for (let i = 0; i < c; i++) cl += r.varint();
  r.bytes(cl);
}

