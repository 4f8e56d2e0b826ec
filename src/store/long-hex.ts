/**
 * Long hex tokens (request, trace and span ids, hashes), which cold blooms leave out
 * (./cold-bloom.ts) and a bloom probe therefore does not check against them (./bloom.ts). A token
 * is a maximal run of word bytes as ./bloom.ts tokenizes (ASCII letters and digits, every byte
 * from 0x80 up); a long hex one has at least LONG_HEX bytes, all of them `0-9a-f`. Part of the
 * cold bloom's format: the builder and the probe must agree on it.
 */

export const LONG_HEX = 16;

/** Per ASCII byte: 0 separator, 1 word byte, 2 word byte that is also lowercase hex. */
export const CLASS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) CLASS[c] = 2;
for (let c = 65; c <= 90; c++) CLASS[c] = 1;
for (let c = 97; c <= 122; c++) CLASS[c] = c <= 102 ? 2 : 1;

/** True when bytes [from, to) (one whole token) are a long hex token. */
export function isLongHex(b: Uint8Array, from: number, to: number): boolean {
  if (to - from < LONG_HEX) return false;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    if (c >= 0x80 || CLASS[c] !== 2) return false;
  }
  return true;
}
