/**
 * Retention and compaction of one tenant (issue 2 §3), run under the engine's exclusive section
 * (never at the same time as a seal):
 * 1. retention deletes whole blocks whose newest entry is older than the stream's period;
 * 2. runs of small, time-adjacent blocks of a stream (left by idle or age cuts and restarts) are
 *    merged into blocks of about the target size (blocks not yet old enough for the cold tier);
 * 3. segment files without live blocks are dropped, and the live blocks of mostly-dead segments
 *    (the active one included: writes then move on to a new one) are copied (as they are, no
 *    recompression) into the active segment so the file can be dropped.
 * New blocks are written and fsynced before the index is rewritten (atomically, by rename), and
 * dropped segments are unlinked only later, so a crash at any point leaves a consistent index and
 * running queries can still read what they were given.
 *
 * The cold tier (`compactCold`, run before the above, in slices each under its own exclusive
 * section so seals can run in between): blocks whose newest entry is older than the cold cutoff
 * are merged per stream, in time order, into blocks of about `coldTarget` raw bytes and
 * recompressed at the cold zstd level with each line's copy of its own timestamp stored as an
 * escape (./line-transform.ts), their bloom rebuilt from the merged lines (a token set of the
 * union, so smaller than the sum, without long hex ids: ./cold-bloom.ts); the CPU work runs in a
 * worker thread (./cold-build.ts). Ingest-time blocks are zstd level 1 on ~256 KiB because
 * sealing must keep up with ingest; once data is a few hours old it is read rarely and written
 * never, so it is worth a slower, denser encoding (docs/benchmarks.md has the measurements). The
 * same crash rules hold: new blocks are written and fsynced, then the index is rewritten; the old
 * blocks' bytes become dead space that the segment pass above reclaims.
 */
import { msToNs } from '../api/time-units.js';
import type { Entry } from '../api/model.js';
import { decodeBlockPayload } from './block-codec.js';
import { BlockChecksumError } from './damaged-block.js';
import { BLOCK_HEADER, type BlockMeta } from './block-meta.js';
import { compareEntries } from './head.js';
import type { RetentionPolicy } from './retention.js';
import type { BuiltBlock, StreamState, Tenant } from './tenant.js';
import { maxOf, pushAll } from '../util/arrays.js';

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
  /** A block that does not decode: quarantine it (and drop it from `s.blocks`); compaction goes on without it. */
  damaged(s: StreamState, b: BlockMeta, reason: string): Promise<void>;
  /** Blocks whose newest entry is older than this (ns) belong to the cold tier (-2^63: none). */
  coldCutoff: bigint;
}

export interface ColdDeps {
  now: number;
  policy: RetentionPolicy;
  /** Blocks whose newest entry is older than this (ns) belong to the cold tier. */
  coldCutoff: bigint;
  /** Raw bytes of a cold block: a run is closed once it reaches this. */
  coldTarget: number;
  /** Stop starting new runs after this many raw bytes (the slice's budget). */
  budget: number;
  /** Reads a block's payload, verified against its header's checksum (throws BlockChecksumError). */
  read(b: BlockMeta): Promise<Buffer>;
  /** A block that fails its checksum: quarantine it (and drop it from `s.blocks`); compaction goes on without it. */
  damaged(s: StreamState, b: BlockMeta, reason: string): Promise<void>;
  /** Builds a cold block (merged, cold compression level, flagged cold) from the payloads of the blocks it replaces. */
  buildColdBlock(streamId: number, payloads: Buffer[], lsn: number): Promise<BuiltBlock>;
}

export interface ColdCompaction {
  /** Blocks merged away into cold blocks, and cold blocks written. */
  mergedBlocks: number;
  newBlocks: number;
  /** Raw bytes recompressed. */
  rawBytes: number;
  /** True when the budget ran out with work left. */
  more: boolean;
}

/**
 * Writes merged blocks and swaps each in for the blocks it replaces (`replaced[i]` → `built[i]`), for
 * both kinds of compaction. Returns how many old blocks went and how many new ones were written.
 */
async function writeMerged(t: Tenant, built: BuiltBlock[], replaced: Array<{ s: StreamState; old: BlockMeta[] }>): Promise<{ merged: number; written: number }> {
  const metas = await t.writeBlocks(built);
  let merged = 0;
  replaced.forEach(({ s, old }, i) => {
    const gone = new Set(old);
    s.blocks = s.blocks.filter((b) => !gone.has(b));
    s.blocks.push(metas[i]!);
    merged += old.length;
  });
  return { merged, written: metas.length };
}

/** Needs recompression: cold by age, and either still hot or a small cold block that can merge with neighbours. */
function coldCandidate(b: BlockMeta, cutoff: bigint, retentionCutoff: bigint, target: number): boolean {
  return b.maxTs < cutoff && b.maxTs >= retentionCutoff && (!b.cold || b.rawBytes < target / 2);
}

/**
 * One slice of the cold tier for a tenant (see the file comment): at most about `budget` raw bytes
 * are rewritten; the index is rewritten once at the end if anything changed.
 */
export async function compactCold(t: Tenant, deps: ColdDeps): Promise<ColdCompaction> {
  const res: ColdCompaction = { mergedBlocks: 0, newBlocks: 0, rawBytes: 0, more: false };
  // Runs are written in batches so a slice never holds much compressed output in memory.
  let built: BuiltBlock[] = [];
  let replaced: Array<{ s: StreamState; old: BlockMeta[] }> = [];
  let pendingBytes = 0;
  const write = async () => {
    if (built.length === 0) return;
    const w = await writeMerged(t, built, replaced);
    res.mergedBlocks += w.merged;
    res.newBlocks += w.written;
    built = [];
    replaced = [];
    pendingBytes = 0;
  };
  outer: for (const s of t.byId.values()) {
    const period = deps.policy(s.info.labels);
    const retentionCutoff = period > 0 ? msToNs(deps.now - period) : -(2n ** 63n);
    const sorted = s.blocks.slice().sort((a, b) => (a.minTs < b.minTs ? -1 : a.minTs > b.minTs ? 1 : a.maxTs < b.maxTs ? -1 : a.maxTs > b.maxTs ? 1 : 0));
    let run: BlockMeta[] = [];
    let bytes = 0;
    const flushRun = async () => {
      // A lone block that is already cold stays as it is.
      if (run.length >= 2 || (run.length === 1 && !run[0]!.cold)) {
        const payloads: Buffer[] = [];
        const ok: BlockMeta[] = [];
        for (const b of run) {
          try {
            payloads.push(await deps.read(b));
            ok.push(b);
          } catch (e) {
            if (!(e instanceof BlockChecksumError)) throw e;
            await deps.damaged(s, b, e.message);
          }
        }
        if (ok.length === 0) {
          run = [];
          bytes = 0;
          return;
        }
        const b = await deps.buildColdBlock(s.info.id, payloads, maxOf(ok, (x) => x.lsn));
        built.push(b);
        replaced.push({ s, old: ok });
        res.rawBytes += bytes;
        pendingBytes += b.payload.length;
        if (pendingBytes >= 8 << 20) await write();
      }
      run = [];
      bytes = 0;
    };
    // Only time-adjacent candidates merge: a block that stays (hot, or a full cold block) ends a run.
    for (const b of sorted) {
      if (!coldCandidate(b, deps.coldCutoff, retentionCutoff, deps.coldTarget)) {
        await flushRun();
      } else {
        run.push(b);
        bytes += b.rawBytes;
        if (bytes >= deps.coldTarget) await flushRun();
      }
      if (res.rawBytes >= deps.budget) {
        // The unfinished run is left for the next slice.
        res.more = true;
        break outer;
      }
    }
    await flushRun();
    if (res.rawBytes >= deps.budget) {
      res.more = true;
      break;
    }
  }
  await write();
  if (res.newBlocks > 0) await t.rewriteIndex();
  return res;
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
    const cutoff = msToNs(deps.now - period);
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
    // Cold blocks, and blocks old enough for the cold tier, are left to compactCold.
    const small = s.blocks.filter((b) => b.rawBytes < deps.target / 2 && !b.cold && !(b.maxTs < deps.coldCutoff)).sort((a, b) => (a.minTs < b.minTs ? -1 : a.minTs > b.minTs ? 1 : 0));
    let run: BlockMeta[] = [];
    let bytes = 0;
    const flushRun = async () => {
      if (run.length >= 2) {
        const all: Entry[] = [];
        const ok: BlockMeta[] = [];
        for (const b of run) {
          const payload = await deps.read(b, false);
          try {
            pushAll(all, decodeBlockPayload(payload));
            ok.push(b);
          } catch (e) {
            await deps.damaged(s, b, (e as Error).message);
          }
        }
        if (ok.length > 0) {
          all.sort(compareEntries);
          built.push(deps.buildBlock(s.info.id, all, maxOf(ok, (b) => b.lsn)));
          replaced.push({ s, old: ok });
        }
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
    const w = await writeMerged(t, built, replaced);
    res.mergedBlocks += w.merged;
    res.newBlocks += w.written;
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
    if (deps.pendingDrop(no)) continue;
    const l = live.get(no);
    if (no === t.activeSegment) {
      // Merges append to the active segment and leave the blocks they replaced there: once it is
      // mostly dead, writes move on to a new segment and it is treated like the others.
      const size = await t.segmentSize(no);
      if (!(size > 0 && (l?.bytes ?? 0) < size / 2)) continue;
      await t.retireActive();
    }
    if (!l) {
      res.drop.push(no);
      continue;
    }
    const size = await t.segmentSize(no);
    if (size > 0 && l.bytes < size / 2) {
      pushAll(moves, l.blocks);
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
