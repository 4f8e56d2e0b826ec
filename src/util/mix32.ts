/**
 * murmur3's 32-bit finaliser: every input bit affects every output bit. For the hashes that pick
 * sample slots (src/query/drilldown) and the sealed heads' line digests (src/store/sealed-digest.ts).
 */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
