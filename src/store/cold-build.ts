/**
 * Building one cold block from the compressed payloads of the blocks it replaces: decode, merge in
 * time order, serialise with the timestamp transform, compress at the cold level, and the bloom of
 * the merged lines. Pure CPU work with no I/O, run in a worker thread (./cold-worker.ts) so the
 * slow, high-level compression neither blocks the event loop nor keeps its large zstd context
 * (~36 MB at level 17) in the server's memory between compactions.
 */
import type { Entry } from '../api/model.js';
import { compressBlock, decodeBlockPayload, serializeEntries } from './block-codec.js';
import { buildColdBloom } from './cold-bloom.js';
import { compareEntries } from './head.js';
import { pushAll } from '../util/arrays.js';

export interface ColdBuildJob {
  level: number;
  /** Compressed payloads of the blocks being merged. */
  payloads: Uint8Array[];
  /** Lines as templates and variable columns (./line-columns.ts) where they fit. */
  columns?: boolean;
  /** Keep long hex tokens (ids) in the bloom (./cold-bloom.ts says what that costs). */
  bloomLongHex?: boolean;
}

export interface ColdBuildResult {
  payload: Uint8Array;
  minTs: bigint;
  maxTs: bigint;
  entries: number;
  rawBytes: number;
  bloom: Uint8Array;
}

export function buildColdPayload(level: number, payloads: readonly Uint8Array[], columns = false, bloomLongHex = false): ColdBuildResult {
  const all: Entry[] = [];
  for (const p of payloads) pushAll(all, decodeBlockPayload(Buffer.from(p.buffer, p.byteOffset, p.byteLength)));
  if (all.length === 0) throw new RangeError('cold block without entries');
  all.sort(compareEntries);
  const { buf, rawBytes, sizes } = serializeEntries(all, { stripTimestamps: true, columns });
  return {
    // Split region: timestamps and sizes in their own frame first (./block-codec.ts).
    payload: compressBlock(buf, level, sizes),
    minTs: all[0]!.ts,
    maxTs: all[all.length - 1]!.ts,
    entries: all.length,
    rawBytes,
    bloom: buildColdBloom(Buffer.from(all.map((e) => e.line).join('\n'), 'utf8'), bloomLongHex),
  };
}
