/**
 * A stream's in-memory head: entries acknowledged (in the WAL) but not yet sealed into a block.
 *
 * Stored in columns, not as Entry objects: timestamps in a BigInt64Array and the lines' UTF-8
 * bytes, each followed by '\n', in one growable Buffer. Memory is then the raw bytes plus 12 bytes
 * an entry, outside the JS heap, and the pushed strings die young instead of being promoted and
 * collected later (measured: the object form cost ~100 MB more peak RSS on the shared corpus).
 * Sealing a sorted head without newlines inside lines copies the buffer as the block's line column.
 * Queries read a snapshot of the same columns (`columns()`, ./head-columns.ts), not Entry objects.
 *
 * Entries may arrive out of order (the ingest layer enforces Loki's window); they are ordered
 * (stably) when a snapshot is taken or the head is sealed. Exact duplicates (same timestamp and
 * line) are found by scanning back over equal timestamps at the end, or, once an entry arrived
 * before the newest one, through a timestamp index built then.
 */
import type { Entry, Labels } from '../api/model.js';
import { ByteWriter } from './bytes.js';
import { writeJoinedLines, writeLengthLines, writeMetadata, writeTimestamps } from './block-codec.js';
import { buildBloom } from './bloom.js';
import { columnsEntries, metadataColumn, type HeadColumns } from './head-columns.js';
import { SealedDigest } from './sealed-digest.js';

/** Something that can tell whether it holds an exact duplicate of an entry. */
export interface DupSet {
  contains(e: Entry): boolean;
}

export function compareEntries(a: Entry, b: Entry): number {
  return a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0;
}

const EMPTY_TS = new BigInt64Array(0);
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const EMPTY_STARTS = new Uint32Array(0);
const EMPTY_DATA = Buffer.alloc(0);
const EMPTY_INDEX = new Int32Array(0);
// A timestamp's two 32-bit halves, read without BigInt arithmetic.
const KEY = new BigInt64Array(1);
const KEY_WORDS = new Int32Array(KEY.buffer);

export class Head implements DupSet {
  // Allocated on the first entry: an idle stream's empty head costs no buffers.
  private ts = EMPTY_TS;
  private starts = EMPTY_STARTS;
  private data = EMPTY_DATA;
  private dataLen = 0;
  private n = 0;
  private meta: Array<Labels | undefined> | undefined;
  private newline = false;
  /** UTF-8 bytes of the lines. */
  rawBytes = 0;
  minTs = 0n;
  maxTs = 0n;
  /** LSN of the first and last WAL record that added entries here. */
  firstLsn = 0;
  lastLsn = 0;
  /** Wall-clock ms when the first entry arrived, and of the latest one. */
  createdAt = 0;
  updatedAt = 0;
  private sorted = true;
  // The timestamp index, built once an entry arrives before the newest one: a chained hash table
  // over typed arrays, `idxFirst[hash]` the latest entry with that hash (-1: none) and
  // `idxNext[i]` the one before entry i. A Map keyed by Number(ts) boxed a double per entry and
  // cost more than the rest of the append once a head went out of order (pushes in flight together).
  private idxFirst: Int32Array | undefined;
  private idxNext = EMPTY_INDEX;
  private words: Int32Array | undefined;
  private snapshot: HeadColumns | undefined;
  // The time order `sealParts` computed, for `digest` after it (no second sort); reset by adds.
  private sealOrder: number[] | null | undefined;

  /**
   * `hintBytes` / `hintEntries`: expected size (a stream's previous head), so a busy stream's head
   * is allocated once per block instead of doubling its way up from 1 KiB each time.
   */
  constructor(
    private readonly hintBytes = 0,
    private readonly hintEntries = 0,
  ) {}

  get size(): number {
    return this.n;
  }

  /** Bytes of line data held, separators included (the size hint for the next head). */
  get dataBytes(): number {
    return this.dataLen;
  }

  /** Adds an entry unless it is an exact duplicate of one already here; returns whether added. */
  add(e: Entry, lsn: number, now: number): boolean {
    const line = e.line;
    if (this.dataLen + line.length * 3 + 1 > this.data.length) this.growData(line.length * 3 + 1);
    // Written tentatively; only counted once it is known not to be a duplicate.
    const len = line.length === 0 ? 0 : this.data.write(line, this.dataLen, 'utf8');
    return this.place(e, len, lsn, now);
  }

  /**
   * The same as `add`, with the line's UTF-8 bytes (`len` of them at `at` in `src`, its WAL
   * record) copied instead of encoded from the string a second time.
   */
  addEncoded(e: Entry, src: Buffer, at: number, len: number, lsn: number, now: number): boolean {
    if (this.dataLen + len + 1 > this.data.length) this.growData(len + 1);
    const d = this.data;
    const p = this.dataLen;
    // As many bytes as UTF-16 units: the line is ASCII, whose latin1 bytes are its UTF-8 ones,
    // written without a scan for wide characters and without Buffer#copy's view object per call
    // (profiled at ~5% of ingest with the launcher's 2 MB young generation). Short lines copy
    // fastest in a loop.
    if (len <= 32) for (let i = 0; i < len; i++) d[p + i] = src[at + i]!;
    else if (len === e.line.length) (d as unknown as { latin1Write(s: string, offset: number): number }).latin1Write(e.line, p);
    else src.copy(d, p, at, at + len);
    return this.place(e, len, lsn, now);
  }

  /** Keeps the entry whose line's `len` bytes were just written at `dataLen`, unless a duplicate. */
  private place(e: Entry, len: number, lsn: number, now: number): boolean {
    const start = this.dataLen;
    const line = e.line;
    const n = this.n;
    const ts = e.ts;
    if (n === 0) {
      this.minTs = this.maxTs = ts;
      this.firstLsn = lsn;
      this.createdAt = now;
    } else if (ts === this.maxTs && !this.idxFirst) {
      // Same timestamp as the newest entry (common with millisecond clocks). Without an index the
      // head is still sorted (going out of order builds it), so equal timestamps are at the end.
      for (let i = n - 1; i >= 0 && this.ts[i] === ts; i--) if (this.sameBytes(i, start, len)) return false;
    } else if (ts <= this.maxTs) {
      if (this.findBytes(ts, start, len)) return false;
      if (ts < this.maxTs) this.sorted = false;
      if (ts < this.minTs) this.minTs = ts;
    } else {
      this.maxTs = ts;
    }
    if (n === this.ts.length) this.growIndex();
    this.ts[n] = ts;
    this.starts[n] = start;
    this.data[start + len] = 10;
    this.dataLen = start + len + 1;
    const m = e.metadata;
    if (m !== undefined) {
      for (const _ in m) {
        (this.meta ??= [])[n] = m;
        break;
      }
    }
    if (!this.newline && line.indexOf('\n') >= 0) this.newline = true;
    this.n = n + 1;
    if (this.idxFirst) this.index(n);
    this.rawBytes += len;
    this.lastLsn = lsn;
    this.updatedAt = now;
    this.snapshot = undefined;
    this.sealOrder = undefined;
    return true;
  }

  private growData(need: number): void {
    const first = this.data.length === 0 ? this.hintBytes : 0;
    const next = Buffer.allocUnsafe(Math.max(1024, first, this.data.length * 2, this.dataLen + need));
    this.data.copy(next, 0, 0, this.dataLen);
    this.data = next;
  }

  private growIndex(): void {
    const size = Math.max(16, this.ts.length === 0 ? this.hintEntries : 0, this.ts.length * 2);
    const ts = new BigInt64Array(size);
    ts.set(this.ts);
    this.ts = ts;
    const starts = new Uint32Array(size);
    starts.set(this.starts);
    this.starts = starts;
  }

  private lineEnd(i: number): number {
    return (i + 1 < this.n ? this.starts[i + 1]! : this.dataLen) - 1;
  }

  private lineAt(i: number): string {
    return this.data.toString('utf8', this.starts[i]!, this.lineEnd(i));
  }

  private sameBytes(i: number, start: number, len: number): boolean {
    const s = this.starts[i]!;
    const e = this.lineEnd(i);
    return e - s === len && this.data.compare(this.data, start, start + len, s, e) === 0;
  }

  private ensureIndex(): void {
    if (this.idxFirst) return;
    this.idxFirst = new Int32Array(tableSize(this.ts.length)).fill(-1);
    this.idxNext = new Int32Array(this.ts.length);
    for (let i = 0; i < this.n; i++) this.index(i);
  }

  /** Adds entry i (its timestamp already in `ts`) to the index. */
  private index(i: number): void {
    let first = this.idxFirst!;
    if (this.idxNext.length < this.ts.length) {
      const next = new Int32Array(this.ts.length);
      next.set(this.idxNext);
      this.idxNext = next;
    }
    if (i * 2 >= first.length) {
      // Rehash at half full into a table sized for the entry arrays.
      first = this.idxFirst = new Int32Array(tableSize(Math.max(this.ts.length, i * 2))).fill(-1);
      for (let j = 0; j < i; j++) this.link(first, j);
    }
    this.link(first, i);
  }

  /** `ts` as 32-bit halves (little-endian: low half first), a view kept until `ts` is replaced. */
  private tsWords(): Int32Array {
    if (this.words === undefined || this.words.buffer !== this.ts.buffer || this.words.length !== this.ts.length * 2) {
      this.words = new Int32Array(this.ts.buffer, this.ts.byteOffset, this.ts.length * 2);
    }
    return this.words;
  }

  private link(first: Int32Array, i: number): void {
    const words = this.tsWords();
    const h = hashWords(words[2 * i]!, words[2 * i + 1]!) & (first.length - 1);
    this.idxNext[i] = first[h]!;
    first[h] = i;
  }

  /** Calls `match(i)` for each entry with timestamp `ts` until it returns true; whether one did. */
  private findTs(ts: bigint, match: (i: number) => boolean): boolean {
    this.ensureIndex();
    KEY[0] = ts;
    const lo = KEY_WORDS[0]!;
    const hi = KEY_WORDS[1]!;
    const first = this.idxFirst!;
    const words = this.tsWords();
    for (let i = first[hashWords(lo, hi) & (first.length - 1)]!; i >= 0; i = this.idxNext[i]!) {
      if (words[2 * i] === lo && words[2 * i + 1] === hi && match(i)) return true;
    }
    return false;
  }

  private findBytes(ts: bigint, start: number, len: number): boolean {
    return this.findTs(ts, (i) => this.sameBytes(i, start, len));
  }

  contains(e: Entry): boolean {
    if (this.n === 0 || e.ts < this.minTs || e.ts > this.maxTs) return false;
    // The newest timestamp of a head in order (a push continuing where a sealing head ended, common
    // with millisecond clocks): equal timestamps are at the end, so no index needs building.
    if (e.ts === this.maxTs && !this.idxFirst) {
      for (let i = this.n - 1; i >= 0 && this.ts[i] === e.ts; i--) if (this.lineAt(i) === e.line) return true;
      return false;
    }
    return this.findTs(e.ts, (i) => this.lineAt(i) === e.line);
  }

  /**
   * Entry indexes in time order, ties in append order; null when already in order. `rel`: each
   * entry's exact ns after minTs (append order), which sorts much faster than bigints.
   */
  private order(rel?: Float64Array): number[] | null {
    if (this.sorted) return null;
    const idx = Array.from({ length: this.n }, (_, i) => i);
    if (rel) return idx.sort((a, b) => rel[a]! - rel[b]! || a - b);
    const ts = this.ts;
    return idx.sort((a, b) => {
      const x = ts[a]!;
      const y = ts[b]!;
      return x < y ? -1 : x > y ? 1 : a - b;
    });
  }

  /**
   * The entries as columns in time order (ties in append order), for queries (./head-columns.ts).
   * Cached until the next add; do not mutate. Costs 24 bytes an entry: `data` is a view of this
   * head's buffer, whose bytes before the current end never change (adds write past it, growing
   * and trimming copy into a new buffer), so the snapshot stays valid while the head goes on.
   */
  columns(): HeadColumns {
    if (!this.snapshot) {
      const n = this.n;
      // Offsets from the oldest entry as exact numbers (a head spans far less than 2^53 ns, 104
      // days; otherwise none): the stats path then makes no bigint per entry (./head-columns.ts).
      let rel: Float64Array | undefined;
      if (n > 0 && this.maxTs - this.minTs <= MAX_SAFE) {
        rel = new Float64Array(n);
        const min = this.minTs;
        for (let i = 0; i < n; i++) rel[i] = Number(this.ts[i]! - min);
      }
      const ord = this.order(rel);
      const sizes = new Uint32Array(n);
      let ts: BigInt64Array;
      let starts: Uint32Array;
      let offsets = rel;
      if (!ord) {
        ts = this.ts.slice(0, n);
        starts = this.starts.slice(0, n);
        for (let i = 0; i < n; i++) sizes[i] = this.lineEnd(i) - starts[i]!;
      } else {
        ts = new BigInt64Array(n);
        starts = new Uint32Array(n);
        if (rel) offsets = new Float64Array(n);
        for (let k = 0; k < n; k++) {
          const i = ord[k]!;
          ts[k] = this.ts[i]!;
          starts[k] = this.starts[i]!;
          sizes[k] = this.lineEnd(i) - starts[k]!;
          if (rel) offsets![k] = rel[i]!;
        }
      }
      const c: HeadColumns = { ts, sizes, starts, data: this.data.subarray(0, this.dataLen) };
      if (offsets) c.offsets = offsets;
      const meta = this.meta;
      const m = meta && metadataColumn(n, ord ? (k) => meta[ord[k]!] : (k) => meta[k]);
      if (m) c.metadata = m;
      this.snapshot = c;
    }
    return this.snapshot;
  }

  /** Entries in time order (ties in append order): strings made on each call (sealing, tests). */
  sortedEntries(): Entry[] {
    return columnsEntries(this.columns());
  }

  /** The uncompressed block payload of this head (see ./block-codec.ts for the layout). */
  serialize(): Buffer {
    const p = this.sealParts();
    return Buffer.concat([p.ts, p.lines, p.meta]);
  }

  /**
   * The payload's parts as compressParts (./block-codec.ts) takes them, for sealing: the same
   * bytes as `serialize()`, each written into its own buffer of about its size (one buffer sized
   * for the lines grew and copied itself once the metadata came), without parsing a payload back to
   * find the columns and line sizes.
   */
  sealParts(): { ts: Buffer; lines: Buffer; sizes: Uint32Array; meta: Buffer } {
    const n = this.n;
    const ord = (this.sealOrder = this.order());
    const tw = new ByteWriter(n * 9 + 32);
    writeTimestamps(tw, ord ? this.timesInOrder(ord) : this.ts.subarray(0, n));
    const sizes = new Uint32Array(n);
    for (let k = 0; k < n; k++) {
      const i = ord ? ord[k]! : k;
      sizes[k] = this.lineEnd(i) - this.starts[i]!;
    }
    const lw = new ByteWriter(this.dataLen + (this.newline ? n * 5 : 0) + 16);
    if (!this.newline) {
      writeJoinedLines(lw, ord ? this.reordered(ord) : this.data.subarray(0, Math.max(0, this.dataLen - 1)));
    } else {
      const lines: Uint8Array[] = new Array(n);
      for (let k = 0; k < n; k++) {
        const i = ord ? ord[k]! : k;
        lines[k] = this.data.subarray(this.starts[i]!, this.lineEnd(i));
      }
      writeLengthLines(lw, lines);
    }
    const meta = this.meta;
    const mw = new ByteWriter(meta ? n * 24 + 64 : 16);
    writeMetadata(mw, n, meta && (ord ? ord.map((i) => meta[i]) : meta));
    return { ts: tw.finish(), lines: lw.finish(), sizes, meta: mw.finish() };
  }

  /**
   * What is kept of this head once sealed, for duplicate checks of retried pushes: timestamps and
   * 64-bit hashes of the lines in time order (./sealed-digest.ts), not the lines.
   */
  digest(): SealedDigest {
    const ord = this.sealOrder !== undefined ? this.sealOrder : this.order();
    return SealedDigest.fromHead(this.timesInOrder(ord), this.data, this.starts, (i) => this.lineEnd(i), ord);
  }

  /** The timestamps in `ord` order, copied through their 32-bit halves (reading one makes a BigInt). */
  private timesInOrder(ord: number[] | null): BigInt64Array {
    const n = this.n;
    if (!ord) return this.ts.slice(0, n);
    const src = new Int32Array(this.ts.buffer, this.ts.byteOffset, n * 2);
    const ts = new BigInt64Array(n);
    const dst = new Int32Array(ts.buffer);
    for (let k = 0; k < n; k++) {
      const i = ord[k]!;
      dst[2 * k] = src[2 * i]!;
      dst[2 * k + 1] = src[2 * i + 1]!;
    }
    return ts;
  }

  /**
   * The lines joined by '\n' in `ord` order. Copied by runs of entries stored one after the other:
   * a head out of order (pushes in flight together) is mostly such runs, and a copy call per line
   * cost more than the bytes.
   */
  private reordered(ord: number[]): Buffer {
    const n = ord.length;
    const buf = Buffer.allocUnsafe(this.dataLen);
    let p = 0;
    for (let k = 0; k < n; ) {
      const first = ord[k]!;
      let last = first;
      while (++k < n && ord[k] === last + 1) last++;
      p += this.data.copy(buf, p, this.starts[first]!, this.lineEnd(last) + 1);
    }
    return buf.subarray(0, Math.max(0, p - 1));
  }

  /**
   * False only when `needle` occurs in no line: a search of the raw bytes (a match spanning two
   * lines can only make this a false positive).
   */
  mayContain(needle: string): boolean {
    return this.data.subarray(0, this.dataLen).indexOf(needle, 0, 'utf8') >= 0;
  }

  /** Token bloom of all lines (order does not matter for a set). */
  bloom(): Uint8Array {
    return buildBloom(this.data, 0, this.dataLen);
  }
}

/** A power of two at least twice `entries` (the index table's size). */
function tableSize(entries: number): number {
  let size = 64;
  while (size < entries * 2) size *= 2;
  return size;
}

/** Mixes a timestamp's halves (nanoseconds: the low half varies most, the high half a little). */
function hashWords(lo: number, hi: number): number {
  const h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
  return (h ^ (h >>> 15)) >>> 0;
}
