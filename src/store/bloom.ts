/**
 * Per-block token bloom filters, so a line filter (`|= "needle"`) skips blocks that cannot contain
 * the needle without decompressing them (issue 2 §3).
 *
 * Tokenisation, over the UTF-8 bytes: a token is a maximal run of "word" bytes — ASCII letters and
 * digits, and every byte ≥ 0x80 (so any non-ASCII character is part of a word) — case-sensitive
 * (as `|=` is), at least MIN_TOKEN bytes long. Every token of every line of a block goes into its
 * bloom. A query substring is checked by its *whole inner* tokens only: tokens with a separator
 * byte on both sides *inside the query*. A token touching either edge of the substring may be a fragment of a longer token in the
 * line (`"bc-de"` occurs in `"abc-def"`), so it proves nothing and is not checked. Substrings with
 * no whole inner token (e.g. a single word) never skip a block: false positives, never negatives.
 * We chose tokens over n-grams because they cost ~1.8% of raw size at 1% false positives and a
 * rare id or uuid has long whole tokens (`|= "f3b1c2d4-9a7e-4c1b-8e2f-5d6a7b8c9d0e"` checks
 * 9a7e, 4c1b and 8e2f).
 *
 * Encoding: byte 0 = number of hash functions k, then the bit array. Double hashing from one
 * 32-bit FNV-1a hash per token computed while scanning the bytes (no substring allocation).
 */

import { bloomWasm, FREE, ZERO_FLAG, type BloomWasm } from './bloom-wasm.js';
import { isLongHex } from './long-hex.js';

const MIN_TOKEN = 3;
/** Hot blocks: ~1% false positives. */
const BITS_PER_TOKEN = 10;
const K = 7;

/** Bloom size: bits per distinct token and hash functions (k ≈ bits × ln 2 is optimal). */
export interface BloomSize {
  bitsPerToken: number;
  k: number;
}

/**
 * Cold blocks (./compaction.ts): ~3.5% false positives for 30% less space. Cold data is most of
 * what is on disk and is searched less often, and a needle with several whole tokens (a uuid has
 * three) still skips practically every block (0.035³); a single-token needle decodes ~3.5% of the
 * cold blocks in vain instead of ~1%.
 */
export const COLD_BLOOM: BloomSize = { bitsPerToken: 7, k: 5 };

// Word bytes: ASCII letters and digits (table), and everything from 0x80 up.
const WORD = new Uint8Array(128);
for (let c = 48; c <= 57; c++) WORD[c] = 1;
for (let c = 65; c <= 90; c++) WORD[c] = 1;
for (let c = 97; c <= 122; c++) WORD[c] = 1;

function isWord(c: number): boolean {
  return c >= 0x80 || WORD[c] === 1;
}

/** The two hashes for double hashing, both derived from a token's 32-bit FNV-1a hash. */
function fin1(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function fin2(h: number): number {
  h = Math.imul(h ^ 0x9e3779b9, 0x2c1b3c6d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x297a2d39);
  h ^= h >>> 12;
  return (h | 1) >>> 0;
}

/**
 * Slots of the distinct-token set, kept between builds (it only grows, as the JavaScript set of
 * stop 16 did; 4 bytes a slot instead of its 8).
 */
let capacity = 1 << 14;
/** Text is tokenized in pieces of about this size, so the module's memory stays small. */
const PIECE = 1 << 20;

/**
 * Builds the bloom filter of all tokens in UTF-8 text (lines separated by any non-word byte).
 * Tokenizing and setting bits run in ./bloom-wasm.ts (issue #12, stop 17: ~2× less CPU than the
 * JavaScript loop it replaces, same bits).
 */
export function buildBloom(text: Uint8Array, start = 0, end = text.length, size: BloomSize = { bitsPerToken: BITS_PER_TOKEN, k: K }): Uint8Array {
  const w = bloomWasm();
  const pieces = cutPieces(text, start, end);
  let longest = 0;
  for (let i = 1; i < pieces.length; i++) longest = Math.max(longest, pieces[i]! - pieces[i - 1]!);
  const tbl = align8(FREE + longest);
  let count: number;
  let mem: Uint8Array;
  for (;;) {
    mem = memoryFor(w, tbl + capacity * 4);
    mem.fill(0, ZERO_FLAG, ZERO_FLAG + 4);
    mem.fill(0, tbl, tbl + capacity * 4);
    count = 0;
    for (let i = 1; i < pieces.length && count >= 0; i++) {
      const from = pieces[i - 1]!;
      const to = pieces[i]!;
      mem.set(text.subarray(from, to), FREE);
      count = w.tokens(FREE, FREE + to - from, tbl, capacity - 1, count);
    }
    if (count >= 0) break;
    capacity *= 2;
  }
  const bits = Math.max(64, Math.ceil((count * size.bitsPerToken) / 8) * 8);
  const at = tbl + capacity * 4;
  mem = memoryFor(w, at + bits / 8);
  mem.fill(0, at, at + bits / 8);
  w.setBits(tbl, capacity, at, bits, size.k);
  const out = new Uint8Array(1 + bits / 8);
  out[0] = size.k;
  out.set(mem.subarray(at, at + bits / 8), 1);
  return out;
}

/** Piece boundaries of [start, end): cuts at separator bytes (a token never spans two pieces). */
function cutPieces(text: Uint8Array, start: number, end: number): number[] {
  const out = [start];
  let from = start;
  while (end - from > PIECE) {
    let cut = from + PIECE;
    while (cut < end && isWord(text[cut]!)) cut++;
    out.push(cut);
    from = cut;
  }
  if (end > from) out.push(end);
  return out;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}

/** A view of the module's memory, grown to at least `bytes` (growing detaches older views). */
function memoryFor(w: BloomWasm, bytes: number): Uint8Array {
  const have = w.memory.buffer.byteLength;
  if (have < bytes) w.memory.grow(Math.ceil((bytes - have) / 65536));
  return new Uint8Array(w.memory.buffer);
}

/**
 * `bits >>> 0`: with both operands known unsigned 32-bit the remainder is an integer division.
 * Without it, `bits` (from Math.ceil) was sometimes typed a double and the remainder compiled to a
 * floating-point one (issue #12, stop 16). Same bit indexes either way; the builder's side of this
 * is `i32.rem_u` in ./bloom-wasm.ts.
 */
function hasBits(bloom: Uint8Array, bits: number, h1: number, h2: number): boolean {
  const k = bloom[0]!;
  const m = bits >>> 0;
  for (let j = 0; j < k; j++) {
    const b = ((h1 + Math.imul(j, h2)) >>> 0) % m;
    if ((bloom[1 + (b >>> 3)]! & (1 << (b & 7))) === 0) return false;
  }
  return true;
}

/**
 * A compiled substring probe: the hashes of its whole inner tokens (empty = cannot prune), each
 * with whether it is a long hex token, which cold blooms leave out (./cold-bloom.ts).
 */
export type BloomProbe = Array<[number, number, boolean]>;

/** Whole inner tokens of a query substring (see the file comment for why only those). */
export function bloomProbe(substring: string): BloomProbe {
  const out: BloomProbe = [];
  const b = Buffer.from(substring, 'utf8');
  const n = b.length;
  let i = 0;
  while (i < n) {
    if (!isWord(b[i]!)) {
      i++;
      continue;
    }
    const start = i;
    let h = 0x811c9dc5;
    let c: number;
    while (i < n && isWord((c = b[i]!))) {
      h = Math.imul(h ^ c, 0x01000193);
      i++;
    }
    if (start > 0 && i < n && i - start >= MIN_TOKEN) out.push([fin1(h), fin2(h), isLongHex(b, start, i)]);
  }
  return out;
}

/** False only when the block's bloom proves the substring cannot occur in any of its lines. */
export function bloomMayContain(bloom: Uint8Array, probe: BloomProbe): boolean {
  if (probe.length === 0 || bloom.length < 2) return true;
  if (bloom[0] === 0) return coldMayContain(bloom, probe);
  const bits = (bloom.length - 1) * 8;
  for (const [h1, h2] of probe) if (!hasBits(bloom, bits, h1, h2)) return false;
  return true;
}

/**
 * bloomMayContain for a cold bloom (./cold-bloom.ts: byte 0 is 0, byte 1 k, then the bits): its
 * long hex tokens are not in it, so those of the probe are not checked.
 */
function coldMayContain(bloom: Uint8Array, probe: BloomProbe): boolean {
  if (bloom.length < 3) return true;
  const k = bloom[1]!;
  const m = ((bloom.length - 2) * 8) >>> 0;
  for (const [h1, h2, longHex] of probe) {
    if (longHex) continue;
    for (let j = 0; j < k; j++) {
      const b = ((h1 + Math.imul(j, h2)) >>> 0) % m;
      if ((bloom[2 + (b >>> 3)]! & (1 << (b & 7))) === 0) return false;
    }
  }
  return true;
}
