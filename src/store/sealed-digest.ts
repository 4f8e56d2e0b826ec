/**
 * The newest sealed data of a stream, kept for duplicate checks of retried pushes (Loki drops
 * exact duplicates: same stream, timestamp and line; metadata does not count), as a digest instead
 * of the lines: each entry's timestamp and a 64-bit hash of its line, 16 bytes an entry, in time
 * order (issue #12, stop 18).
 *
 * Why: the whole last sealed head of every stream was kept for this (a block each: 15 MB at 50
 * streams, the largest part of the OTLP fresh-phase peak after the heads themselves); the digest of
 * the same entries is ~3 MB.
 *
 * Decision — a hash collision would drop a genuine line as a duplicate, silently. It is made
 * negligible rather than impossible: an entry is taken for a duplicate only when a sealed entry has
 * the same nanosecond timestamp AND the same 64-bit hash of the line's bytes, whose length is mixed
 * into both halves. Only entries with that exact timestamp are compared (binary search), usually
 * one or a few, so for lines that are not crafted the chance of a wrong drop is about
 * (entries sharing that timestamp) × 2^-64 per pushed entry that reaches behind the head — below
 * 10^-7 over 10^12 such entries, far below the rate of undetected memory or disk errors. Confirming
 * a hit against the sealed block would have made it impossible, but a hit is nearly always a real
 * retry, so every retried push would read and decompress a block, and the check made when a push is
 * applied (after the WAL write, racing a seal) is synchronous and cannot wait for a read. The hash
 * is not keyed: someone able to push lines crafted to collide into a stream could make one of their
 * own lines (same stream, same nanosecond) be taken for a duplicate of another one of theirs,
 * nothing more.
 *
 * The hash: two 32-bit lanes over the bytes, four at a time (little-endian words), each with its
 * own multipliers and seed and a full avalanche at the end (murmur3's finaliser); the lanes are
 * computed together so the bytes are read once.
 */
import type { Entry } from '../api/model.js';
import type { DupSet } from './head.js';
import { mix32 } from '../util/mix32.js';

const EMPTY_TS = new BigInt64Array(0);
const EMPTY_HASH = new Uint32Array(0);
let scratch = Buffer.allocUnsafe(4096);
let scratchView = viewOf(scratch);

export class SealedDigest implements DupSet {
  /**
   * `ts`: timestamps in time order; `hash`: two 32-bit words an entry (lane a, lane b), same order.
   */
  private readonly words: Int32Array;

  private constructor(
    private readonly ts: BigInt64Array,
    private readonly hash: Uint32Array,
  ) {
    this.words = new Int32Array(ts.buffer, ts.byteOffset, ts.length * 2);
  }

  static readonly empty = new SealedDigest(EMPTY_TS, EMPTY_HASH);

  /**
   * From a head's columns: `ts` the timestamps in time order (kept, not copied); the line of entry k
   * (time order) is the bytes of `data` from `starts[i]` to `lineEnd(i)`, i = `order[k]` (k when
   * `order` is null).
   */
  static fromHead(ts: BigInt64Array, data: Uint8Array, starts: Uint32Array, lineEnd: (i: number) => number, order: readonly number[] | null): SealedDigest {
    const n = ts.length;
    const hash = new Uint32Array(n * 2);
    const view = viewOf(data);
    for (let k = 0; k < n; k++) {
      const i = order === null ? k : order[k]!;
      const s = starts[i]!;
      lineHash(view, s, lineEnd(i) - s, hash, 2 * k);
    }
    return new SealedDigest(ts, hash);
  }

  /** From entries sorted by time (sealed blocks read back after a restart). */
  static fromEntries(sorted: readonly Entry[]): SealedDigest {
    const n = sorted.length;
    const ts = new BigInt64Array(n);
    const hash = new Uint32Array(n * 2);
    for (let k = 0; k < n; k++) {
      const e = sorted[k]!;
      ts[k] = e.ts;
      const len = encode(e.line);
      lineHash(scratchView, 0, len, hash, 2 * k);
    }
    return new SealedDigest(ts, hash);
  }

  /** Bytes held (for tests and the record of what it costs). */
  get bytes(): number {
    return this.ts.byteLength + this.hash.byteLength;
  }

  /**
   * Compared through the timestamps' 32-bit halves (high signed, low unsigned): reading a
   * BigInt64Array makes a BigInt per read, and this runs for every pushed entry behind the head.
   */
  contains(e: Entry): boolean {
    const n = this.ts.length;
    if (n === 0) return false;
    KEY[0] = e.ts;
    const khi = KEY_WORDS[0 + HI]!;
    const klo = KEY_WORDS[1 - HI]! >>> 0;
    const w = this.words;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const mhi = w[2 * mid + HI]!;
      if (mhi < khi || (mhi === khi && w[2 * mid + 1 - HI]! >>> 0 < klo)) lo = mid + 1;
      else hi = mid;
    }
    if (lo === n || w[2 * lo + HI] !== khi || w[2 * lo + 1 - HI]! >>> 0 !== klo) return false;
    const len = encode(e.line);
    lineHash(scratchView, 0, len, HASH, 0);
    const a = HASH[0]!;
    const b = HASH[1]!;
    for (let i = lo; i < n && w[2 * i + HI] === khi && w[2 * i + 1 - HI]! >>> 0 === klo; i++) if (this.hash[2 * i] === a && this.hash[2 * i + 1] === b) return true;
    return false;
  }
}

// A timestamp's two 32-bit halves; HI: the index of the high half (1 on little-endian machines).
const KEY = new BigInt64Array(1);
const KEY_WORDS = new Int32Array(KEY.buffer);
KEY[0] = 1n;
const HI = KEY_WORDS[0] === 1 ? 1 : 0;
const HASH = new Uint32Array(2);

/** Writes `line`'s UTF-8 bytes at the start of `scratch` (grown when needed); returns their length. */
function encode(line: string): number {
  if (line.length * 3 > scratch.length) {
    scratch = Buffer.allocUnsafe(Math.max(line.length * 3, scratch.length * 2));
    scratchView = viewOf(scratch);
  }
  return line.length === 0 ? 0 : scratch.write(line, 0, 'utf8');
}

function viewOf(d: Uint8Array): DataView {
  return new DataView(d.buffer, d.byteOffset, d.byteLength);
}

/**
 * The 64-bit hash of `len` bytes at `p` in `d`, written as two words at `out[at]`, `out[at + 1]`.
 * Words are read through a DataView (one unaligned load each, twice as fast as four byte loads).
 */
export function lineHash(d: DataView, p: number, len: number, out: Uint32Array, at: number): void {
  let a = 0x9747b28c ^ len;
  let b = Math.imul(0x5bd1e995 ^ len, 0x27d4eb2f);
  const end = p + (len & ~3);
  let i = p;
  for (; i < end; i += 4) {
    const k = d.getInt32(i, true);
    let ka = Math.imul(k, 0xcc9e2d51);
    ka = (ka << 15) | (ka >>> 17);
    a ^= Math.imul(ka, 0x1b873593);
    a = (a << 13) | (a >>> 19);
    a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    let kb = Math.imul(k ^ (k >>> 16), 0x85ebca77);
    kb = (kb << 13) | (kb >>> 19);
    b = Math.imul(b ^ kb, 0xc2b2ae3d);
    b = (b << 17) | (b >>> 15);
    b = (b + 0x165667b1) | 0;
  }
  // The last 1–3 bytes, as one little-endian word.
  if (i < p + len) {
    let k = d.getUint8(i);
    if (i + 1 < p + len) k |= d.getUint8(i + 1) << 8;
    if (i + 2 < p + len) k |= d.getUint8(i + 2) << 16;
    const ka = Math.imul(k, 0xcc9e2d51);
    a ^= Math.imul((ka << 15) | (ka >>> 17), 0x1b873593);
    b = Math.imul(b ^ Math.imul(k, 0x85ebca77), 0xc2b2ae3d);
  }
  a ^= len;
  b ^= Math.imul(len, 0x9e3779b1);
  out[at] = mix32(a);
  out[at + 1] = mix32(b ^ (a >>> 7));
}

