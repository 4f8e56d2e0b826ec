/**
 * The write-ahead log: every append is framed (length + CRC-32C, see ./frame.ts), written and fdatasync'ed before it
 * is acknowledged. Group commit: appends queued while a write+fsync is in flight (or in the same
 * event-loop turn) share the next one, so throughput does not pay one fsync per push.
 *
 * Each record carries a log sequence number (LSN). Segment files are named after the first LSN they
 * may hold (`<lsn>.wal`, zero-padded); a segment can be deleted once every record in it is sealed
 * into blocks, i.e. when the next segment's first LSN ≤ the oldest LSN still only in a head
 * (see ./engine.ts `checkpoint`). So that the log holds minutes of data, not a segment's worth
 * (32 MiB can be hours of a quiet server's logs), a segment also rolls once its first record is
 * `maxSegmentAgeMs` old, and a checkpoint that finds every record of the open segment sealed rolls
 * it and deletes it at once (see `checkpoint`). On a write error the segment is truncated back to its last good
 * size so the log stays a clean sequence of records; if even that fails, the next batch goes to a
 * fresh segment and replay truncates the torn tail of the old one.
 */
import { mkdir, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FRAME_HEADER, sealFrame } from './frame.js';
import { readFramedFile } from './framed-file.js';
import { storeIoError } from './io-error.js';
import { fsyncDir } from '../util/fsync-dir.js';

/** Bytes reserved at the start of a WAL record buffer: frame header + LSN. */
export const WAL_RECORD_HEADER = FRAME_HEADER + 8;

/** A damaged region cut out of a WAL segment, with the LSNs of the intact records around it. */
export interface WalDamage {
  path: string;
  offset: number;
  content: Buffer;
  lsnBefore: number | undefined;
  lsnAfter: number | undefined;
}

interface Pending {
  buf: Buffer;
  lsn: number;
  resolve: (lsn: number) => void;
  reject: (err: Error) => void;
}

interface Segment {
  start: number;
  path: string;
}

const NAME_RE = /^(\d{16})\.wal$/;

function segmentName(lsn: number): string {
  return String(lsn).padStart(16, '0') + '.wal';
}

export class Wal {
  private segments: Segment[] = [];
  private fh: FileHandle | undefined;
  private size = 0;
  private nextLsn = 1;
  private queue: Pending[] = [];
  private flushing = false;
  private scheduled = false;
  private rotateNext = false;
  private closed = false;
  private idle: Array<() => void> = [];
  /** Wall-clock ms of the open segment's first record (0 while it has none). */
  private firstWriteAt = 0;

  constructor(
    private readonly dir: string,
    private readonly segmentBytes = 32 * 1024 * 1024,
    /** A segment rolls at its next write once its first record is this old (Infinity: by size only). */
    private readonly maxSegmentAgeMs = Infinity,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Reads every segment in LSN order, truncating torn tails, and calls `fn` for each intact record.
   * A damaged record in the middle of a segment does not stop replay: the records after it are
   * replayed (v2 frames resynchronise, see ./frame.ts), `onDamage` reports what was cut out with
   * the LSNs around it, and the segment is rewritten without it. Returns the highest LSN seen
   * (0 when empty).
   */
  async replay(fn: (lsn: number, body: Buffer) => void | Promise<void>, onDamage?: (d: WalDamage) => Promise<void>): Promise<number> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).filter((n) => NAME_RE.test(n)).sort();
    let last = 0;
    for (const name of names) {
      const path = join(this.dir, name);
      this.segments.push({ start: Number(NAME_RE.exec(name)![1]), path });
      const before = last;
      const { records } = await readFramedFile(path, async (region, file, scanned) => {
        const lsnAt = (i: number) => (scanned.records[i] && scanned.records[i]!.length >= 8 ? Number(scanned.records[i]!.readBigInt64LE(0)) : undefined);
        const next = scanned.offsets.findIndex((o) => o > region.offset);
        const lsnBefore = next < 0 ? lsnAt(scanned.records.length - 1) ?? before : next === 0 ? before : lsnAt(next - 1);
        const lsnAfter = next < 0 ? undefined : lsnAt(next);
        await onDamage?.({ path, offset: region.offset, content: file.subarray(region.offset, region.offset + region.length), lsnBefore, lsnAfter });
      });
      for (const rec of records) {
        if (rec.length < 8) continue;
        const lsn = Number(rec.readBigInt64LE(0));
        // LSNs only grow; a record that does not is left-over garbage, not data.
        if (lsn <= last) continue;
        last = lsn;
        await fn(lsn, rec.subarray(8));
      }
    }
    return last;
  }

  /** Opens a fresh segment for appending; LSNs continue after `afterLsn`. */
  async begin(afterLsn: number): Promise<void> {
    // An empty segment left by a roll (its records' segment deleted) still names the next LSN:
    // LSNs never go back, even when every record before it was sealed and deleted.
    for (const s of this.segments) afterLsn = Math.max(afterLsn, s.start - 1);
    this.nextLsn = afterLsn + 1;
    await this.openSegment(this.nextLsn);
  }

  private async openSegment(start: number): Promise<void> {
    const path = join(this.dir, segmentName(start));
    const fh = await open(path, 'a');
    try {
      await fsyncDir(this.dir);
    } catch (e) {
      await fh.close().catch(() => {});
      throw e;
    }
    const old = this.fh;
    this.fh = fh;
    this.size = (await fh.stat()).size;
    this.firstWriteAt = this.size > 0 ? this.now() : 0;
    if (!this.segments.some((s) => s.path === path)) this.segments.push({ start, path });
    if (old) await old.close().catch(() => {});
  }

  /**
   * Appends one record. `buf` must have WAL_RECORD_HEADER bytes reserved in front of the body.
   * Resolves with the record's LSN once it is on stable storage.
   */
  append(buf: Buffer): Promise<number> {
    if (this.closed || !this.fh) return Promise.reject(storeIoError('write', new Error('write-ahead log is closed'), this.dir));
    const lsn = this.nextLsn++;
    buf.writeBigInt64LE(BigInt(lsn), FRAME_HEADER);
    sealFrame(buf);
    return new Promise<number>((resolve, reject) => {
      this.queue.push({ buf, lsn, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.flushing || this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.flushing || this.queue.length === 0) return;
    this.flushing = true;
    const batch = this.queue;
    this.queue = [];
    const path = () => this.segments[this.segments.length - 1]?.path ?? this.dir;
    try {
      if (this.rotateNext || this.size >= this.segmentBytes || (this.size > 0 && this.now() - this.firstWriteAt >= this.maxSegmentAgeMs)) {
        await this.openSegment(batch[0]!.lsn);
        this.rotateNext = false;
      }
      const fh = this.fh!;
      const before = this.size;
      try {
        let bufs = batch.map((p) => p.buf);
        let pos = before;
        while (bufs.length > 0) {
          const { bytesWritten } = await fh.writev(bufs, pos);
          pos += bytesWritten;
          let skip = bytesWritten;
          while (bufs.length > 0 && skip >= bufs[0]!.length) skip -= bufs.shift()!.length;
          if (skip > 0) bufs[0] = bufs[0]!.subarray(skip);
          if (bytesWritten === 0 && bufs.length > 0) throw Object.assign(new Error('short write'), { code: 'EIO' });
        }
        await fh.datasync();
        if (before === 0) this.firstWriteAt = this.now();
        this.size = pos;
      } catch (e) {
        // Leave the log as it was before this batch: nothing of it is acknowledged.
        try {
          await fh.truncate(before);
          await fh.datasync();
        } catch {
          this.rotateNext = true;
        }
        throw e;
      }
      for (const p of batch) p.resolve(p.lsn);
    } catch (e) {
      const err = storeIoError('write', e, path());
      for (const p of batch) p.reject(err);
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
      else for (const f of this.idle.splice(0)) f();
    }
  }

  /**
   * Starts a new segment now (the next record goes there), so the closed ones can be deleted by
   * the next checkpoint: a delete request (issue #15) rolls the log after sealing every head, so
   * the deleted lines leave the WAL's files too. When a write is in flight the next batch rolls.
   */
  async roll(): Promise<void> {
    await this.drain();
    if (this.closed || !this.fh) return;
    if (this.flushing || this.scheduled || this.queue.length > 0 || this.size === 0) {
      if (this.size > 0) this.rotateNext = true;
      return;
    }
    // Held as "flushing" so no batch writes to the old handle while it is swapped.
    this.flushing = true;
    try {
      await this.openSegment(this.nextLsn);
    } finally {
      this.flushing = false;
      if (this.queue.length > 0) this.schedule();
      else for (const f of this.idle.splice(0)) f();
    }
  }

  /** Resolves when nothing is queued or in flight. */
  drain(): Promise<void> {
    if (!this.flushing && !this.scheduled && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idle.push(r));
  }

  /** Segment files and their bytes on disk now (the metrics' scrape; a file deleted meanwhile counts 0). */
  async files(): Promise<{ segments: number; bytes: number }> {
    let bytes = 0;
    for (const s of this.segments) bytes += await stat(s.path).then((st) => st.size, () => 0);
    return { segments: this.segments.length, bytes };
  }

  /** The LSN the next record will get. */
  get next(): number {
    return this.nextLsn;
  }

  /**
   * True when a checkpoint at `minLiveLsn` would delete a segment: a closed one whose records are
   * all below it, or (with `rollCovered`) the open one when every record written is below it.
   */
  checkpointable(minLiveLsn: number, rollCovered: boolean): boolean {
    if (rollCovered && this.openCovered(minLiveLsn)) return true;
    const segs = [...this.segments].sort((a, b) => a.start - b.start);
    for (let i = 0; i + 1 < segs.length; i++) if (segs[i + 1]!.start <= minLiveLsn) return true;
    return false;
  }

  /**
   * Every record of the open segment is below `minLiveLsn` and none is queued or being written
   * (those have LSNs but are in no head yet, so `minLiveLsn` says nothing about them).
   */
  private openCovered(minLiveLsn: number): boolean {
    return !this.closed && this.fh !== undefined && this.size > 0 && !this.flushing && !this.scheduled && this.queue.length === 0 && minLiveLsn >= this.nextLsn;
  }

  /**
   * Deletes closed segments whose records all have LSN < `minLiveLsn`. With `rollCovered`, the
   * caller promises that every record acknowledged so far is either in a head (counted in
   * `minLiveLsn`) or sealed; then an open segment whose records are all below `minLiveLsn` is
   * rolled first and deleted too, so after the last seal of a burst the log shrinks to nothing
   * instead of keeping up to a segment (32 MiB) until enough new data rolls it.
   */
  async checkpoint(minLiveLsn: number, rollCovered = false): Promise<void> {
    // Checked synchronously, before any await: nothing can be appended in between.
    if (rollCovered && this.openCovered(minLiveLsn)) {
      // Held as "flushing" so no batch writes to the old handle while it is swapped; new appends
      // queue and go to the new segment (their LSNs are ≥ nextLsn, so ≥ its name).
      this.flushing = true;
      try {
        await this.openSegment(this.nextLsn);
      } catch {
        // The open segment stays; retried at the next checkpoint.
      } finally {
        this.flushing = false;
        if (this.queue.length > 0) this.schedule();
        else for (const f of this.idle.splice(0)) f();
      }
    }
    const segs = [...this.segments].sort((a, b) => a.start - b.start);
    const current = this.segments[this.segments.length - 1];
    const deleted = new Set<Segment>();
    for (let i = 0; i < segs.length; i++) {
      const s = segs[i]!;
      const nextStart = segs[i + 1]?.start;
      if (s !== current && nextStart !== undefined && nextStart <= minLiveLsn) {
        try {
          await unlink(s.path);
          deleted.add(s);
        } catch {
          // Retried at the next checkpoint.
        }
      }
    }
    // Not a list built from the snapshot: a write may have rolled to a new segment during the
    // unlinks above, and forgetting it left its file on disk for good (the WAL never emptied).
    this.segments = this.segments.filter((s) => !deleted.has(s));
  }

  /**
   * Closes the log. With `allSealed` (no head holds entries) every segment is deleted: the block
   * index carries the LSNs replay would need, so a clean shutdown leaves no log to replay.
   */
  async close(allSealed = false): Promise<void> {
    await this.drain();
    this.closed = true;
    await this.fh?.close().catch(() => {});
    this.fh = undefined;
    if (allSealed) {
      for (const s of this.segments) await unlink(s.path).catch(() => {});
      this.segments = [];
      await fsyncDir(this.dir).catch(() => {});
    }
  }
}
