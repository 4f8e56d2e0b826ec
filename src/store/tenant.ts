/**
 * One tenant's data directory and its in-memory state:
 *
 *   <data>/tenants/<sanitised name>/
 *     tenant          the real tenant name
 *     streams.log     streams table: framed records `varint id · str labels-JSON`, append-only
 *     index.log       block index: framed batches of block records (meta + bloom + sealed LSN);
 *                     one frame per seal batch so a batch is indexed all-or-nothing
 *     blocks/NNNNNNNN.seg  append-only segment files of blocks (header + zstd payload)
 *
 * The label index (name → value → stream ids) is memory only, rebuilt from streams.log at start.
 */
import { mkdir, open, readdir, readFile, rename, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Labels } from '../api/model.js';
import { labelsToString } from '../api/model.js';
import { canonicalLabels, labelValue } from './labels.js';
import type { Matcher } from '../logql/syntax/ast.js';
import { compileMatcher } from '../logql/matchers.js';
import type { StreamInfo } from './store.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { frame } from './frame.js';
import { readFramedFile } from './framed-file.js';
import type { DamageReporter } from './damage.js';
import { fsyncDir } from '../util/fsync-dir.js';
import { Head, type DupSet } from './head.js';
import { BLOCK_HEADER, decodeIndexRecord, walkBlockHeaders, encodeBlockRecord, encodeStreamLsnRecord, type BlockMeta } from './block-meta.js';
import { storeIoError } from './io-error.js';
import { tenantDirName, tenantFromDirName } from './tenant-dir.js';

export interface StreamState {
  info: StreamInfo;
  persisted: boolean;
  blocks: BlockMeta[];
  head: Head;
  /** Heads cut and waiting to be written as blocks, oldest first. */
  sealing: Head[];
  /** Every WAL record with LSN ≤ sealedLsn for this stream is in sealed blocks. */
  sealedLsn: number;
  /**
   * The newest sealed data as a digest (timestamps and line hashes, ./sealed-digest.ts), for
   * duplicate detection of retried pushes; loaded lazily after a restart.
   */
  lastSealed: DupSet | undefined;
  /** Newest timestamp in sealed blocks (-1n when none). */
  sealedMaxTs: bigint;
  /** During replay: sealed entries from this timestamp on are loaded into lastSealed. */
  replayCheckedFrom?: bigint;
}

interface SegmentInfo {
  no: number;
  path: string;
  size: number;
}

/** A block ready to be written: meta without its location yet. */
export interface BuiltBlock {
  meta: Omit<BlockMeta, 'segment' | 'offset' | 'length'>;
  header: Buffer;
  payload: Buffer;
}

export class Tenant {
  readonly byId = new Map<number, StreamState>();
  readonly byKey = new Map<string, StreamState>();
  /** name → value → stream ids. */
  readonly labelIndex = new Map<string, Map<string, number[]>>();
  readonly segments = new Map<number, SegmentInfo>();
  private nextId = 1;
  private nextSegment = 1;
  private active: { no: number; fh: FileHandle; size: number } | undefined;
  private dirReady = false;

  private constructor(
    readonly name: string,
    readonly dir: string,
    private readonly segmentBytes: number,
  ) {}

  get blocksDir(): string {
    return join(this.dir, 'blocks');
  }

  segmentPath(no: number): string {
    return join(this.blocksDir, String(no).padStart(8, '0') + '.seg');
  }

  static create(name: string, dir: string, segmentBytes: number): Tenant {
    return new Tenant(name, dir, segmentBytes);
  }

  /**
   * Loads a tenant directory: streams table, block index; removes segment files no index entry
   * references. Damaged records of streams.log and index.log are reported to `damage` (with the
   * entries they cost: the blocks of streams whose labels were lost, or blocks no intact index
   * record lists), quarantined and cut out; everything intact is loaded.
   */
  static async load(dir: string, segmentBytes: number, damage?: DamageReporter): Promise<Tenant> {
    const name = await tenantName(dir, damage);
    const t = new Tenant(name, dir, segmentBytes);
    t.dirReady = true;
    const streamsPath = join(dir, 'streams.log');
    const streamDamage: Array<{ offset: number; content: Buffer }> = [];
    const streams = await readFramedFile(streamsPath, async (r, file) => {
      streamDamage.push({ offset: r.offset, content: Buffer.from(file.subarray(r.offset, r.offset + r.length)) });
    });
    for (const rec of streams.records) {
      const r = new ByteReader(rec);
      const id = r.varint();
      const labels = JSON.parse(r.str()) as Labels;
      // Same reason as for index batches below: a record may have been written twice.
      if (t.byId.has(id)) continue;
      const s = t.addStream(id, labels);
      s.persisted = true;
    }
    const indexPath = join(dir, 'index.log');
    const indexDamage: Array<{ offset: number; content: Buffer }> = [];
    const index = await readFramedFile(indexPath, async (r, file) => {
      indexDamage.push({ offset: r.offset, content: Buffer.from(file.subarray(r.offset, r.offset + r.length)) });
    });
    // A batch appended twice (its first write landed but could not be confirmed, then was
    // retried) would list the same blocks twice: keep the first copy of each.
    const seen = new Set<string>();
    const orphans: BlockMeta[] = [];
    for (const rec of index.records) {
      for (const item of splitBatch(rec)) {
        const ir = decodeIndexRecord(item);
        const s = t.byId.get(ir.kind === 'block' ? ir.meta.streamId : ir.streamId);
        if (!s) {
          if (ir.kind === 'block') orphans.push(ir.meta);
          continue;
        }
        if (ir.kind === 'lsn') {
          if (ir.lsn > s.sealedLsn) s.sealedLsn = ir.lsn;
          continue;
        }
        const m = ir.meta;
        const key = `${m.streamId}:${m.lsn}:${m.minTs}:${m.maxTs}:${m.entries}:${m.rawBytes}`;
        if (seen.has(key)) continue;
        seen.add(key);
        s.blocks.push(m);
        if (ir.meta.lsn > s.sealedLsn) s.sealedLsn = ir.meta.lsn;
        if (ir.meta.maxTs > s.sealedMaxTs) s.sealedMaxTs = ir.meta.maxTs;
      }
    }
    const referenced = new Set<number>();
    for (const s of t.byId.values()) for (const b of s.blocks) referenced.add(b.segment);
    let names: string[] = [];
    try {
      names = await readdir(t.blocksDir);
    } catch {
      // No blocks yet.
    }
    const segmentNos: number[] = [];
    for (const n of names) {
      const m = /^(\d+)\.seg$/.exec(n);
      if (m) segmentNos.push(Number(m[1]));
    }
    if (damage && streamDamage.length > 0) await t.reportStreamDamage(damage, streamsPath, streamDamage, orphans);
    if (damage && indexDamage.length > 0) await t.reportIndexDamage(damage, indexPath, indexDamage, segmentNos);
    for (const no of segmentNos) {
      t.nextSegment = Math.max(t.nextSegment, no + 1);
      const path = t.segmentPath(no);
      // Left by a seal or compaction that crashed before its index record: the WAL or the old
      // segments still hold that data.
      if (!referenced.has(no)) await unlink(path).catch(() => {});
      else t.segments.set(no, { no, path, size: 0 });
    }
    for (const s of t.byId.values()) s.blocks = s.blocks.filter((b) => t.segments.has(b.segment));
    // What was reported leaves the index, so it is reported once (and fsck finds the rest clean).
    const cut = damage ? await t.dropBlocksBeyondEnd(damage) : false;
    if (cut || orphans.length > 0) await t.rewriteIndex();
    return t;
  }

  /** Blocks the index lists past the end of their (truncated) segment file: reported and dropped. */
  private async dropBlocksBeyondEnd(damage: DamageReporter): Promise<boolean> {
    let any = false;
    for (const s of this.byId.values()) {
      const cut: BlockMeta[] = [];
      for (const b of s.blocks) if (b.offset + b.length > (await this.segmentSize(b.segment))) cut.push(b);
      if (cut.length === 0) continue;
      any = true;
      s.blocks = s.blocks.filter((b) => !cut.includes(b));
      for (const b of cut) {
        const path = this.segmentPath(b.segment);
        const detail = `block of stream ${s.info.key} (${b.entries} entries, ${b.minTs} to ${b.maxTs}) lies beyond the end of its truncated segment file; dropped from the index`;
        await damage.report({ kind: 'block', file: path, offset: b.offset - BLOCK_HEADER, bytes: BLOCK_HEADER + b.length, lostEntries: b.entries, detail }, undefined);
      }
    }
    return any;
  }

  /** streams.log lost records: the blocks of streams without labels cannot be served; copy them aside. */
  private async reportStreamDamage(damage: DamageReporter, path: string, regions: Array<{ offset: number; content: Buffer }>, orphans: BlockMeta[]): Promise<void> {
    const ids = [...new Set(orphans.map((b) => b.streamId))];
    let entries = 0;
    for (const b of orphans) entries += b.entries;
    const blocks = await this.copyBlocks(orphans.map((b) => ({ segment: b.segment, offset: b.offset - BLOCK_HEADER, length: b.length + BLOCK_HEADER })));
    for (const [i, r] of regions.entries()) {
      const detail =
        i === 0
          ? `stream records failed their checksum: ${ids.length} stream(s) (ids ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', …' : ''}) lost their labels, so their ${orphans.length} block(s) with ${entries} entries cannot be served (the blocks are copied into the quarantine)`
          : 'more stream records failed their checksum (counted with the first damaged region of this file)';
      await damage.report({ kind: 'streams', file: path, offset: r.offset, bytes: r.content.length, lostEntries: i === 0 ? entries : 0, detail }, r.content, i === 0 ? blocks : undefined);
    }
  }

  /** index.log lost records: the blocks they listed are no longer referenced; count and copy them aside. */
  private async reportIndexDamage(damage: DamageReporter, path: string, regions: Array<{ offset: number; content: Buffer }>, segmentNos: number[]): Promise<void> {
    const known = new Set<string>();
    for (const s of this.byId.values()) for (const b of s.blocks) known.add(`${b.segment}:${b.offset - BLOCK_HEADER}`);
    const lost: Array<{ segment: number; offset: number; length: number }> = [];
    let entries = 0;
    for (const no of segmentNos) {
      let buf: Buffer;
      try {
        buf = await readFile(this.segmentPath(no));
      } catch {
        continue;
      }
      for (const h of walkBlockHeaders(buf)) {
        if (known.has(`${no}:${h.offset}`)) continue;
        lost.push({ segment: no, offset: h.offset, length: BLOCK_HEADER + h.length });
        entries += h.entries;
      }
    }
    const blocks = await this.copyBlocks(lost);
    for (const [i, r] of regions.entries()) {
      const detail =
        i === 0
          ? `block index records failed their checksum: ${lost.length} block(s) with at most ${entries} entries are no longer listed and cannot be served (the blocks are copied into the quarantine; some may be from a seal that crashed and is still in the WAL)`
          : 'more block index records failed their checksum (counted with the first damaged region of this file)';
      await damage.report({ kind: 'index', file: path, offset: r.offset, bytes: r.content.length, lostEntries: i === 0 ? entries : 0, detail }, r.content, i === 0 ? blocks : undefined);
    }
  }

  /** The given regions (block header + payload) of segment files, concatenated: a segment of their own. */
  private async copyBlocks(regions: Array<{ segment: number; offset: number; length: number }>): Promise<Buffer | undefined> {
    const parts: Buffer[] = [];
    for (const r of regions) {
      try {
        const fh = await open(this.segmentPath(r.segment), 'r');
        try {
          const buf = Buffer.alloc(r.length);
          await fh.read(buf, 0, r.length, r.offset);
          parts.push(buf);
        } finally {
          await fh.close();
        }
      } catch {
        // A missing segment has nothing to copy.
      }
    }
    return parts.length > 0 ? Buffer.concat(parts) : undefined;
  }

  /** Highest sealed LSN of any stream (LSNs must continue after it even if the WAL is gone). */
  maxSealedLsn(): number {
    let m = 0;
    for (const s of this.byId.values()) if (s.sealedLsn > m) m = s.sealedLsn;
    return m;
  }

  private addStream(id: number, labels: Labels): StreamState {
    const sorted = canonicalLabels(labels);
    const info: StreamInfo = { id, labels: sorted, key: labelsToString(sorted) };
    const s: StreamState = { info, persisted: false, blocks: [], head: new Head(), sealing: [], sealedLsn: 0, lastSealed: undefined, sealedMaxTs: -1n };
    this.byId.set(id, s);
    this.byKey.set(info.key, s);
    if (id >= this.nextId) this.nextId = id + 1;
    for (const [n, v] of Object.entries(sorted)) {
      let values = this.labelIndex.get(n);
      if (!values) this.labelIndex.set(n, (values = new Map()));
      const ids = values.get(v);
      if (ids) ids.push(id);
      else values.set(v, [id]);
    }
    return s;
  }

  /** The stream of a label set, created (in memory) if new. `key` must be labelsToString(labels). */
  stream(labels: Labels, key: string): StreamState {
    return this.byKey.get(key) ?? this.addStream(this.nextId, labels);
  }

  /** Streams matching all matchers with data overlapping [from, to). */
  match(matchers: readonly Matcher[], from: bigint, to: bigint): StreamState[] {
    let candidates: Iterable<StreamState> = this.byId.values();
    let best: number[] | undefined;
    for (const m of matchers) {
      if (m.op !== '=' || m.value === '') continue;
      const ids = this.labelIndex.get(m.name)?.get(m.value) ?? [];
      if (!best || ids.length < best.length) best = ids;
    }
    if (best) candidates = best.map((id) => this.byId.get(id)!);
    const compiled = matchers.map((m) => ({ name: m.name, f: compileMatcher(m) }));
    const out: StreamState[] = [];
    outer: for (const s of candidates) {
      for (const c of compiled) if (!c.f(labelValue(s.info.labels, c.name))) continue outer;
      if (overlaps(s, from, to)) out.push(s);
    }
    return out;
  }

  async ensureDir(): Promise<void> {
    if (this.dirReady) return;
    const parent = join(this.dir, '..');
    try {
      await mkdir(join(this.dir, 'blocks'), { recursive: true });
      await writeFile(join(this.dir, 'tenant'), this.name, { flush: true });
      await fsyncDir(this.dir);
      await fsyncDir(parent);
    } catch (e) {
      throw storeIoError('write', e, this.dir);
    }
    this.dirReady = true;
  }

  /** Appends streams not yet in streams.log and fsyncs it. */
  async persistStreams(): Promise<void> {
    const fresh = [...this.byId.values()].filter((s) => !s.persisted);
    if (fresh.length === 0) return;
    await this.ensureDir();
    const frames = fresh.map((s) => {
      const w = new ByteWriter(64);
      w.varint(s.info.id);
      w.str(JSON.stringify(s.info.labels));
      return frame(w.finish());
    });
    const path = join(this.dir, 'streams.log');
    try {
      await appendDurable(path, Buffer.concat(frames));
    } catch (e) {
      throw storeIoError('write', e, path);
    }
    for (const s of fresh) s.persisted = true;
  }

  /** Writes blocks to the active segment and fsyncs it; returns their metas with locations. */
  async writeBlocks(built: BuiltBlock[]): Promise<BlockMeta[]> {
    if (built.length === 0) return [];
    await this.ensureDir();
    if (!this.active || this.active.size >= this.segmentBytes) await this.rotate();
    const seg = this.active!;
    const path = this.segmentPath(seg.no);
    const bufs: Buffer[] = [];
    const metas: BlockMeta[] = [];
    let pos = seg.size;
    for (const b of built) {
      bufs.push(b.header, b.payload);
      metas.push({ ...b.meta, segment: seg.no, offset: pos + BLOCK_HEADER, length: b.payload.length });
      pos += BLOCK_HEADER + b.payload.length;
    }
    try {
      await writeAll(seg.fh, bufs, seg.size);
      await seg.fh.datasync();
    } catch (e) {
      // Nothing references the bytes past `size`; the next write overwrites them.
      throw storeIoError('write', e, path);
    }
    seg.size = pos;
    this.segments.get(seg.no)!.size = pos;
    return metas;
  }

  private async rotate(): Promise<void> {
    const no = this.nextSegment++;
    const path = this.segmentPath(no);
    let fh: FileHandle;
    try {
      fh = await open(path, 'w');
      await fsyncDir(this.blocksDir);
    } catch (e) {
      throw storeIoError('write', e, path);
    }
    await this.active?.fh.close().catch(() => {});
    this.active = { no, fh, size: 0 };
    this.segments.set(no, { no, path, size: 0 });
  }

  get activeSegment(): number | undefined {
    return this.active?.no;
  }

  /** Stops appending to the active segment (the next write starts a new one), so compaction may drop it. */
  async retireActive(): Promise<void> {
    await this.active?.fh.close().catch(() => {});
    this.active = undefined;
  }

  /** Appends one all-or-nothing batch of block records to index.log. */
  async appendIndex(metas: BlockMeta[]): Promise<void> {
    const path = join(this.dir, 'index.log');
    try {
      await appendDurable(path, frame(batch(metas.map(encodeBlockRecord))));
    } catch (e) {
      throw storeIoError('write', e, path);
    }
  }

  /** Rewrites index.log from memory (after compaction or retention), atomically via rename. */
  async rewriteIndex(): Promise<void> {
    const recs: Buffer[] = [];
    for (const s of this.byId.values()) {
      for (const b of s.blocks) recs.push(encodeBlockRecord(b));
      if (s.sealedLsn > 0) recs.push(encodeStreamLsnRecord(s.info.id, s.sealedLsn));
    }
    const path = join(this.dir, 'index.log');
    const tmp = path + '.tmp';
    try {
      await writeFile(tmp, recs.length ? frame(batch(recs)) : Buffer.alloc(0), { flush: true });
      await rename(tmp, path);
      await fsyncDir(this.dir);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw storeIoError('write', e, path);
    }
  }

  /** Forgets a segment (its blocks are already dropped from memory) and deletes the file. */
  async dropSegment(no: number): Promise<void> {
    const seg = this.segments.get(no);
    if (!seg) return;
    this.segments.delete(no);
    if (this.active?.no === no) {
      await this.active.fh.close().catch(() => {});
      this.active = undefined;
    }
    await unlink(seg.path).catch(() => {});
  }

  /** Sizes of segments on disk (read lazily for segments loaded at start). */
  async segmentSize(no: number): Promise<number> {
    const seg = this.segments.get(no);
    if (!seg) return 0;
    if (seg.size === 0) {
      try {
        const fh = await open(seg.path, 'r');
        seg.size = (await fh.stat()).size;
        await fh.close();
      } catch {
        return 0;
      }
    }
    return seg.size;
  }

  async close(): Promise<void> {
    await this.active?.fh.close().catch(() => {});
    this.active = undefined;
  }
}

/**
 * The tenant's name from its `tenant` file, checked against the directory name it must map to; a
 * damaged file is repaired from the directory name where that is reversible (see ./tenant-dir.ts).
 */
async function tenantName(dir: string, damage: DamageReporter | undefined): Promise<string> {
  const path = join(dir, 'tenant');
  const stored = await readFile(path);
  const name = stored.toString('utf8');
  const dirName = basename(dir);
  if (tenantDirName(name) === dirName || !dirName.startsWith('t-')) return name;
  const real = tenantFromDirName(dirName);
  if (real === undefined) return name;
  await writeFile(path, real, { flush: true });
  await damage?.report({ kind: 'tenant', file: path, offset: 0, bytes: stored.length, lostEntries: 0, detail: `the tenant name does not match its directory; restored "${real}" from the directory name` }, stored);
  return real;
}

export function overlaps(s: StreamState, from: bigint, to: bigint): boolean {
  for (const b of s.blocks) if (b.minTs < to && b.maxTs >= from) return true;
  for (const h of s.sealing) if (h.minTs < to && h.maxTs >= from) return true;
  const h = s.head;
  return h.size > 0 && h.minTs < to && h.maxTs >= from;
}

function batch(records: Buffer[]): Buffer {
  const w = new ByteWriter(16 + records.reduce((n, r) => n + r.length + 5, 0));
  w.varint(records.length);
  for (const r of records) {
    w.varint(r.length);
    w.bytes(r);
  }
  return w.finish();
}

function splitBatch(buf: Buffer): Buffer[] {
  const r = new ByteReader(buf);
  const n = r.varint();
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) out.push(r.bytes(r.varint()));
  return out;
}

/** Appends to a file and fsyncs it; on failure truncates back so no torn record stays behind. */
async function appendDurable(path: string, data: Buffer): Promise<void> {
  const fh = await open(path, 'a');
  let size = 0;
  try {
    size = (await fh.stat()).size;
    await writeAll(fh, [data], size);
    await fh.datasync();
  } catch (e) {
    await fh.truncate(size).catch(() => {});
    throw e;
  } finally {
    await fh.close();
  }
}

async function writeAll(fh: FileHandle, bufs: Buffer[], position: number): Promise<void> {
  let pos = position;
  let rest = bufs.slice();
  while (rest.length > 0) {
    const { bytesWritten } = await fh.writev(rest, pos);
    if (bytesWritten === 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
    pos += bytesWritten;
    let skip = bytesWritten;
    while (rest.length > 0 && skip >= rest[0]!.length) skip -= rest.shift()!.length;
    if (skip > 0) rest[0] = rest[0]!.subarray(skip);
  }
}
