/**
 * The WebAssembly bloom builder (src/store/bloom-wasm.ts, issue #12 stop 17) gives the same bytes
 * as the JavaScript builder it replaced, kept below as the reference: blooms already on disk are
 * probed by these bits, and new ones must probe alike. Seeded random texts over word and separator
 * bytes, non-ASCII, hot and cold sizes, sets that outgrow their table, texts cut into pieces, and a
 * token whose FNV-1a hash is 0 (the set's empty-slot marker).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildBloom, COLD_BLOOM, type BloomSize } from '../../../src/store/bloom.js';
import { seededRandom } from '../../helpers/random.js';

// ---- the reference: src/store/bloom.ts's builder as of stop 16 ----
const WORD = new Uint8Array(128);
for (let c = 48; c <= 57; c++) WORD[c] = 1;
for (let c = 65; c <= 90; c++) WORD[c] = 1;
for (let c = 97; c <= 122; c++) WORD[c] = 1;

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

function fnv(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const c of b) h = Math.imul(h ^ c, 0x01000193);
  return h;
}

function referenceBloom(b: Uint8Array, size: BloomSize = { bitsPerToken: 10, k: 7 }): Uint8Array {
  const set = new Set<number>();
  let i = 0;
  while (i < b.length) {
    let c = b[i]!;
    if (c < 0x80 && WORD[c] !== 1) {
      i++;
      continue;
    }
    const from = i;
    let h = 0x811c9dc5;
    do {
      h = Math.imul(h ^ c, 0x01000193);
      if (++i >= b.length) break;
      c = b[i]!;
    } while (c >= 0x80 || WORD[c] === 1);
    if (i - from >= 3) set.add(h);
  }
  const bits = Math.max(64, Math.ceil((set.size * size.bitsPerToken) / 8) * 8);
  const out = new Uint8Array(1 + bits / 8);
  out[0] = size.k;
  for (const h of set) {
    const h1 = fin1(h);
    const h2 = fin2(h);
    for (let j = 0; j < size.k; j++) {
      const x = ((h1 + Math.imul(j, h2)) >>> 0) % bits;
      out[1 + (x >>> 3)]! |= 1 << (x & 7);
    }
  }
  return out;
}
// ----

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('random texts: the same bloom bytes as the JavaScript builder, hot and cold', (t) => {
  const rnd = seededRandom(t);
  const pieces = ['a', 'ab', 'abc', 'level', 'info', '0', '12', '123', '9a7e', 'é', 'ünï', '日本', '-', ' ', '=', '"', '/', ':', ',', '{', '}', '.', '_', '\t', '\n', '\u0000', 'akhnp9x'];
  for (let round = 0; round < 200; round++) {
    const n = rnd.int(400);
    const text = Buffer.from(Array.from({ length: n }, () => pieces[rnd.int(pieces.length)]).join(''), 'utf8');
    const size = rnd.int(2) === 0 ? undefined : COLD_BLOOM;
    assert.equal(hex(buildBloom(text, 0, text.length, size)), hex(referenceBloom(text, size)), `round ${round}: ${JSON.stringify(text.toString())}`);
    // A window of the text, as Head.bloom passes its data buffer and length.
    const from = rnd.int(text.length + 1);
    const to = from + rnd.int(text.length - from + 1);
    assert.equal(hex(buildBloom(text, from, to, size)), hex(referenceBloom(text.subarray(from, to), size)), `round ${round}, window ${from}-${to}`);
  }
});

test('a token hashing to 0 is in the bloom once, like any other', () => {
  const zero = Buffer.from('akhnp9x');
  assert.equal(fnv(zero), 0, 'the fixture token hashes to 0');
  for (const s of ['akhnp9x', 'x akhnp9x y akhnp9x', 'akhnp9x akhnp9x', 'abc def akhnp9x ghi']) {
    const text = Buffer.from(s);
    assert.equal(hex(buildBloom(text)), hex(referenceBloom(text)), s);
  }
  // Without the 0 hash the bloom differs: the flag is not always set.
  assert.notEqual(hex(buildBloom(Buffer.from('abc def ghi akhnp9x'))), hex(buildBloom(Buffer.from('abc def ghi akhnp9y'))));
});

test('many distinct tokens (the set grows) and texts longer than a piece (cut at separators)', (t) => {
  const rnd = seededRandom(t);
  // ~300k distinct tokens over ~3.5 MB: the set doubles past its starting 16k slots, and the text
  // is tokenized in 1 MiB pieces; one 1.2 MB token without separators straddles a cut.
  const parts: string[] = [];
  for (let i = 0; i < 300_000; i++) parts.push(`t${Math.floor(rnd.next() * 2 ** 40).toString(36)}`);
  parts.splice(100_000, 0, 'x'.repeat(1_200_000));
  const text = Buffer.from(parts.join(rnd.int(2) === 0 ? ' ' : '\n'), 'utf8');
  for (const size of [undefined, COLD_BLOOM]) assert.equal(hex(buildBloom(text, 0, text.length, size)), hex(referenceBloom(text, size)));
  // And small again afterwards, with the grown set.
  const small = Buffer.from('level=info msg=ok');
  assert.equal(hex(buildBloom(small)), hex(referenceBloom(small)));
});
