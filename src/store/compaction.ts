/**
 * Retention and compaction of one tenant (issue 2 §3), run under the engine's exclusive section
 * (never at the same time as a seal):
 * 1. retention deletes whole blocks whose newest entry is older than the stream's period;
 * 2. runs of small, time-adjacent blocks of a stream (left by idle or age cuts and restarts) are
 *    merged into blocks of about the target size;
 * 3. segment files without live blocks are dropped, and the live blocks of mostly-dead segments are
 *    copied (as they are, no recompression) into the active segment so the file can be dropped.
 * New blocks are written and fsynced before the index is rewritten (atomically, by rename), and
 * dropped segments are unlinked only later, so a crash at any point leaves a consistent index and
 * running queries can still read what they were given.
 */
import type { Entry } from '../api/model.js';
import { decodeBlockPayload } from './block-codec.js';
import { BLOCK_HEADER, type BlockMeta } from './block-meta.js';
import { compareEntries } from './head.js';
import type { RetentionPolicy } from './retention.js';
import type { BuiltBlock, StreamState, Tenant } from './tenant.js';

export interface CompactionDeps {
  /** Wall clock, ms. */
  now: number;
  target: number;
  policy: RetentionPolicy;
  /** Reads a block's payload, or its header and payload. */
  read(b: BlockMeta, withHeader: boolean): Promise<Buffer>;
  buildBlock(streamId: number, entries: Entry[], lsn: number): BuiltBlock;
  /** True when a segment is already waiting to be unlinked. */
  pendingDrop(segment: number): boolean;
}

export interface TenantCompaction {
  expiredBlocks: number;
  mergedBlocks: number;
  newBlocks: number;
  /** Segments that left the index: unlink them once running queries are done with them. */
  drop: number[];
}

export async function compactTenant(t: Tenant, deps: CompactionDeps): Promise<TenantCompaction> {
  const res: TenantCompaction = { expiredBlocks: 0, mergedBlocks: 0, newBlocks: 0, drop: [] };
  let changed = false;

  for (const s of t.byId.values()) {
    const period = deps.policy(s.info.labels);
    if (period <= 0) continue;
    const cutoff = BigInt(Math.floor(deps.now - period)) * 1_000_000n;
    const keep = s.blocks.filter((b) => b.maxTs >= cutoff);
    if (keep.length === s.blocks.length) continue;
    res.expiredBlocks += s.blocks.length - keep.length;
    s.blocks = keep;
    s.lastSealed = undefined;
    changed = true;
  }

  const built: BuiltBlock[] = [];
  const replaced: Array<{ s: StreamState; old: BlockMeta[] }> = [];
  for (const s of t.byId.values()) {
    const small = s.blocks.filter((b) => b.rawBytes < deps.target / 2).sort((a, b) => (a.minTs < b.minTs ? -1 : a.minTs > b.minTs ? 1 : 0));
    let run: BlockMeta[] = [];
    let bytes = 0;
    const flushRun = async () => {
      if (run.length >= 2) {
        const all: Entry[] = [];
        for (const b of run) all.push(...decodeBlockPayload(await deps.read(b, false)));
        all.sort(compareEntries);
        built.push(deps.buildBlock(s.info.id, all, Math.max(...run.map((b) => b.lsn))));
        replaced.push({ s, old: run });
      }
      run = [];
      bytes = 0;
    };
    for (const b of small) {
      if (bytes + b.rawBytes > deps.target) await flushRun();
      run.push(b);
      bytes += b.rawBytes;
    }
    await flushRun();
  }
  if (built.length > 0) {
    const metas = await t.writeBlocks(built);
    replaced.forEach(({ s, old }, i) => {
      const gone = new Set(old);
      s.blocks = s.blocks.filter((b) => !gone.has(b));
      s.blocks.push(metas[i]!);
      res.mergedBlocks += old.length;
    });
    res.newBlocks += metas.length;
    changed = true;
  }

  const live = new Map<number, { bytes: number; blocks: Array<{ s: StreamState; b: BlockMeta }> }>();
  for (const s of t.byId.values()) {
    for (const b of s.blocks) {
      let l = live.get(b.segment);
      if (!l) live.set(b.segment, (l = { bytes: 0, blocks: [] }));
      l.bytes += BLOCK_HEADER + b.length;
      l.blocks.push({ s, b });
    }
  }
  const moves: Array<{ s: StreamState; b: BlockMeta }> = [];
  for (const no of [...t.segments.keys()]) {
    if (no === t.activeSegment || deps.pendingDrop(no)) continue;
    const l = live.get(no);
    if (!l) {
      res.drop.push(no);
      continue;
    }
    const size = await t.segmentSize(no);
    if (size > 0 && l.bytes < size / 2) {
      moves.push(...l.blocks);
      res.drop.push(no);
    }
  }
  if (moves.length > 0) {
    const copies: BuiltBlock[] = [];
    for (const { b } of moves) {
      const region = await deps.read(b, true);
      copies.push({ meta: b, header: region.subarray(0, BLOCK_HEADER), payload: region.subarray(BLOCK_HEADER) });
    }
    const metas = await t.writeBlocks(copies);
    moves.forEach(({ s, b }, i) => {
      s.blocks[s.blocks.indexOf(b)] = metas[i]!;
    });
    changed = true;
  }
  if (changed || res.drop.length > 0) await t.rewriteIndex();
  for (const s of t.byId.values()) {
    let max = -1n;
    for (const b of s.blocks) if (b.maxTs > max) max = b.maxTs;
    s.sealedMaxTs = max;
  }
  return res;
}
