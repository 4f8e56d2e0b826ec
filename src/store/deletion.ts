/**
 * Deleting entries from one tenant's sealed blocks (Loki's log deletion API, issue #15), run under
 * the engine's exclusive section after every head has been sealed:
 * 1. each block of a matching stream that overlaps [from, to] is decoded; entries in that range
 *    whose line the request's filter matches are removed; the rest become a new block (with its
 *    own bloom, counts and time bounds, so pruning, stats and label queries agree with what is
 *    left), or nothing when no entry is left;
 * 2. every other live block of the segment files that held a rewritten block is copied, as it is,
 *    into the active segment, so those files leave the index whole and their bytes (the deleted
 *    lines) can be unlinked;
 * 3. the index is rewritten once, atomically (rename).
 * A crash before 3 leaves the old index (the request is applied again at the next start: the
 * caller marks it processed only after this returns); after 3, the old segment files are no longer
 * referenced and are unlinked by the engine after the read grace period, or at the next start
 * (Tenant.load removes unreferenced segments).
 */
import type { Entry } from '../api/model.js';
import type { Matcher } from '../logql/syntax/ast.js';
import { decodeBlockPayload } from './block-codec.js';
import { BLOCK_HEADER, type BlockMeta } from './block-meta.js';
import type { BuiltBlock, StreamState, Tenant } from './tenant.js';

/** What a delete request removes: entries of matching streams in [from, to] (ns, both inclusive) whose line `line` accepts. */
export interface DeleteSelection {
  matchers: Matcher[];
  from: bigint;
  to: bigint;
  /** Line filter of the request; absent = every line in the range. */
  line?: (line: string) => boolean;
}

export interface DeletionResult {
  /** Entries removed from blocks. */
  deletedEntries: number;
  /** Blocks rewritten or dropped because they held deleted entries. */
  rewrittenBlocks: number;
  /** Segment files that left the index (to be unlinked). */
  drop: number[];
}

export interface DeletionDeps {
  read(b: BlockMeta, withHeader: boolean): Promise<Buffer>;
  buildBlock(streamId: number, entries: Entry[], lsn: number): BuiltBlock;
  /** A block that does not decode: quarantine it; deletion goes on without it. */
  damaged(s: StreamState, b: BlockMeta, reason: string): Promise<void>;
  pendingDrop(segment: number): boolean;
}

export async function deleteFromTenant(t: Tenant, sel: DeleteSelection, deps: DeletionDeps): Promise<DeletionResult> {
  const res: DeletionResult = { deletedEntries: 0, rewrittenBlocks: 0, drop: [] };
  const built: BuiltBlock[] = [];
  const owners: StreamState[] = [];
  const gone = new Set<BlockMeta>();
  const touchedSegments = new Set<number>();
  const remove = (e: Entry) => e.ts >= sel.from && e.ts <= sel.to && (sel.line === undefined || sel.line(e.line));
  for (const s of t.match(sel.matchers, sel.from, sel.to + 1n)) {
    for (const b of s.blocks.slice()) {
      if (b.minTs > sel.to || b.maxTs < sel.from) continue;
      let entries: Entry[];
      try {
        entries = decodeBlockPayload(await deps.read(b, false));
      } catch (e) {
        await deps.damaged(s, b, (e as Error).message);
        continue;
      }
      const kept = entries.filter((e) => !remove(e));
      if (kept.length === entries.length) continue;
      res.deletedEntries += entries.length - kept.length;
      res.rewrittenBlocks++;
      gone.add(b);
      touchedSegments.add(b.segment);
      if (kept.length > 0) {
        built.push(deps.buildBlock(s.info.id, kept, b.lsn));
        owners.push(s);
      }
    }
  }
  if (gone.size === 0) return res;
  // The surviving blocks of touched segments move out with the rewritten ones.
  const moves: Array<{ s: StreamState; b: BlockMeta }> = [];
  for (const s of t.byId.values()) {
    for (const b of s.blocks) if (!gone.has(b) && touchedSegments.has(b.segment)) moves.push({ s, b });
  }
  if (t.activeSegment !== undefined && touchedSegments.has(t.activeSegment)) await t.retireActive();
  const metas = await t.writeBlocks(built);
  const copies: BuiltBlock[] = [];
  for (const { b } of moves) {
    const region = await deps.read(b, true);
    copies.push({ meta: b, header: region.subarray(0, BLOCK_HEADER), payload: region.subarray(BLOCK_HEADER) });
  }
  const moved = await t.writeBlocks(copies);
  moves.forEach(({ s, b }, i) => {
    s.blocks[s.blocks.indexOf(b)] = moved[i]!;
  });
  const affected = new Set<StreamState>(owners);
  for (const s of t.byId.values()) {
    if (!s.blocks.some((b) => gone.has(b))) continue;
    s.blocks = s.blocks.filter((b) => !gone.has(b));
    affected.add(s);
  }
  owners.forEach((s, i) => s.blocks.push(metas[i]!));
  await t.rewriteIndex();
  for (const s of affected) {
    // Duplicate checks must not remember deleted lines, and must look at what is left.
    s.lastSealed = undefined;
    let max = -1n;
    for (const b of s.blocks) if (b.maxTs > max) max = b.maxTs;
    s.sealedMaxTs = max;
  }
  for (const no of touchedSegments) if (!deps.pendingDrop(no)) res.drop.push(no);
  return res;
}
