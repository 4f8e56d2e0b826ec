/**
 * The error of reading a block that fails its checksum or does not decode. Queries recognise it
 * (`isDamagedBlock`), skip the block and answer with the rest and a warning (issue #8): one
 * damaged block must not turn every query over its range into a 500.
 */
import { LogwharfError } from '../api/errors.js';
import type { BlockRef } from './store.js';

export function damagedBlockError(ref: BlockRef, reason: string, cause?: unknown): LogwharfError {
  const where = ref.location.kind === 'file' ? ` in ${ref.location.path} at ${ref.location.offset}` : '';
  return new LogwharfError('internal', `damaged block${where}: ${reason}`, { damagedBlock: true, ...(ref.location.kind === 'file' ? { path: ref.location.path, offset: ref.location.offset } : {}) }, { cause });
}

/** A block whose payload does not match its header's checksum (or whose header is gone). */
export class BlockChecksumError extends Error {
  override name = 'BlockChecksumError';
}

export function isDamagedBlock(e: unknown): e is LogwharfError {
  return e instanceof LogwharfError && e.details?.damagedBlock === true;
}

/** The warning a query answers with for skipped blocks (Loki's top-level `warnings`). */
export function damagedBlocksWarning(skipped: ReadonlyArray<{ entries: number; minTs: bigint; maxTs: bigint }>): string {
  let entries = 0;
  let min = skipped[0]!.minTs;
  let max = skipped[0]!.maxTs;
  for (const b of skipped) {
    entries += b.entries;
    if (b.minTs < min) min = b.minTs;
    if (b.maxTs > max) max = b.maxTs;
  }
  return `${skipped.length} damaged block(s) skipped: ${entries} entries between ${min} and ${max} (ns) are missing from this result; the blocks were quarantined`;
}
