/**
 * A sealed block decoded for the range aggregation workers' hot loop (issue #12): timestamps as
 * exact nanosecond offsets from the first (a Float64Array, as decodeBlockStatsPacked reads them)
 * and the lines as an array, instead of an `Entry` object and a bigint per entry, which were a
 * large share of a parsing query's allocation. Same format, same checks: only the in-memory form
 * differs from ./block-codec.ts `decodeBlockPayload`.
 */
import { decompress } from 'zstd-napi';
import type { Labels } from '../api/model.js';
import { ByteReader } from './bytes.js';
import { decodeBlockStatsPacked, isSplitRegion, PAYLOAD_VERSION, PAYLOAD_VERSION_TS, readLinesColumn, splitStatsLength, SPLIT_HEADER } from './block-codec.js';

export interface PackedBlock {
  first: bigint;
  /** ts[i] - first, in ns, exact. */
  offsets: Float64Array;
  lines: string[];
  /** Each entry's structured metadata (equal sets share one frozen object); absent when none has any. */
  metadata?: Array<Labels | undefined>;
}

/**
 * The block in the file region `region` (a BlockRef's exact bytes), or null when it has no packed
 * form (a legacy unsplit region, or offsets beyond 2^53 ns):
 * then decodeBlockPayload reads it.
 */
export function decodeBlockPacked(region: Buffer): PackedBlock | null {
  if (!isSplitRegion(region)) return null;
  const s = splitStatsLength(region);
  if (region.length < SPLIT_HEADER + s) throw new RangeError('truncated split block');
  const stats = decodeBlockStatsPacked(region.subarray(0, SPLIT_HEADER + s));
  if (!('offsets' in stats) || (stats.version !== PAYLOAD_VERSION && stats.version !== PAYLOAD_VERSION_TS)) return null;
  const n = stats.offsets.length;
  // Cold blocks store each line's own timestamp as an escape: put back while reading (a bigint per line here only).
  let ts: bigint[] | undefined;
  if (stats.version === PAYLOAD_VERSION_TS) {
    ts = new Array<bigint>(n);
    for (let i = 0; i < n; i++) ts[i] = stats.first + BigInt(stats.offsets[i]!);
  }
  const lines = readLinesColumn(new ByteReader(decompress(region.subarray(SPLIT_HEADER + s))), n, ts);
  const out: PackedBlock = { first: stats.first, offsets: stats.offsets, lines };
  if (stats.metadata) out.metadata = stats.metadata;
  return out;
}
