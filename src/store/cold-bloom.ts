/**
 * The token bloom of a cold block (issue #12, stop 17: the cold tier at <= 0.12 bytes per raw byte).
 * Two differences from a hot block's bloom (./bloom.ts), both measured on the bench corpus, where
 * cold blooms were ~0.011 of the 0.131 bytes per raw byte of the cold tier:
 *
 * - Long hex tokens are left out: a maximal token of at least LONG_HEX bytes, all of them
 *   `0-9a-f` (request, trace and span ids, hashes). They were ~40% of a cold block's distinct
 *   tokens (nearly every one unique to its line) and a bloom is only asked about a query's *whole
 *   inner* tokens, which an id typed alone (`|= "5a3546aa50d46d55"`) never is, so they rarely
 *   decided anything. The probe does not check such a token against a bloom of this kind (it
 *   proves nothing there): no false negatives. A needle with other inner tokens still skips (a
 *   uuid's inner groups are 4 hex bytes: `f3b1c2d4-9a7e-4c1b-8e2f-…` checks 9a7e, 4c1b, 8e2f).
 * - COLD_BLOOM_SIZE: 5 bits per token, 3 hashes (~9% false positives per token instead of ~3.5%);
 *   a needle with three whole tokens still skips all but ~0.1% of the blocks.
 *
 * A token shared by (nearly) every block of a stream could be kept once per compaction output
 * instead of in each bloom, but on the corpus such tokens were ~4% of a cold block's distinct
 * tokens: not worth a second structure (docs/benchmarks.md).
 *
 * Layout: byte 0 = 0 (a reader before this kind sees k = 0 hash functions, so never rules a
 * block out: no skipping, but no wrong answer), byte 1 = k, then the bit array, indexed as
 * ./bloom.ts indexes its own. ./bloom.ts `bloomMayContain` reads both kinds.
 */
import { buildBloom, type BloomSize } from './bloom.js';
import { CLASS, LONG_HEX } from './long-hex.js';

/** Bits per token and hash functions of cold blooms. */
export const COLD_BLOOM_SIZE: BloomSize = { bitsPerToken: 5, k: 3 };

/**
 * The cold bloom of UTF-8 text (lines separated by '\n'). `text` is overwritten: its long hex
 * tokens become spaces, so the tokens left are exactly the others, and ./bloom.ts builds the rest.
 * With `keepLongHex` (storage.cold_bloom_long_hex) every token goes in, in ./bloom.ts's own layout
 * (byte 0 = k), which probes check token by token, ids included.
 */
export function buildColdBloom(text: Buffer, keepLongHex = false): Uint8Array {
  const n = text.length;
  if (keepLongHex) return buildBloom(text, 0, n, COLD_BLOOM_SIZE);
  let i = 0;
  while (i < n) {
    const c = text[i]!;
    if (c < 0x80 && CLASS[c] === 0) {
      i++;
      continue;
    }
    const from = i;
    let hex = true;
    do {
      const d = text[i]!;
      if (d >= 0x80) hex = false;
      else if (CLASS[d] === 0) break;
      else if (CLASS[d] !== 2) hex = false;
    } while (++i < n);
    if (hex && i - from >= LONG_HEX) text.fill(32, from, i);
  }
  const plain = buildBloom(text, 0, n, COLD_BLOOM_SIZE);
  const out = new Uint8Array(plain.length + 1);
  out[0] = 0;
  out.set(plain, 1);
  return out;
}
