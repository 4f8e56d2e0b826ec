/**
 * The optional disk buffer: items the server has not acknowledged yet, in segment files under one
 * directory, so the agent keeps reading through an outage longer than its log files' rotation allows.
 *
 * Layout: `<16-digit sequence>.seg` files of records `[u32 length][u32 crc32][payload]` (little
 * endian), appended and fdatasync'ed before an append resolves; `cursor.json` says how far shipping
 * has got (segment and offset), replaced atomically (write, fsync, rename) after each acknowledged
 * batch. Segments wholly before the cursor are deleted.
 *
 * Crash safety: a record is acknowledged only after its fsync, so a torn or corrupt record can only
 * be one nobody was told about; opening the buffer scans every segment and cuts it at the first
 * record whose length or checksum does not check out. A crash between the server's acknowledgement
 * and the cursor write sends that batch again; the server drops it as exact duplicates (same stream,
 * timestamp and line).
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, truncate, writeFile, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import type { Logger } from '../../util/logger.js';

const HEADER = 8;
/** Bytes a record takes on disk besides its payload. */
export const RECORD_OVERHEAD = HEADER;
const SEGMENT_RE = /^(\d{16})\.seg$/;
const CURSOR_FILE = 'cursor.json';
const READ_CHUNK = 1024 * 1024;
/** A record longer than this cannot have been written by us: the length field is corrupt. */
const MAX_RECORD = 1024 * 1024 * 1024;

export interface BufferCursor {
  segment: number;
  offset: number;
}

export interface DiskBufferOptions {
  maxBytes: number;
  /** A segment is closed and a new one started past this size (default: maxBytes/8, within 64 KiB..16 MiB). */
  segmentBytes?: number;
  log: Logger;
}

export interface ReadRecords {
  payloads: Buffer[];
  /** Where the cursor goes once these records are shipped. */
  end: BufferCursor;
}

export class DiskBuffer {
  /** Durable sizes of the segments not yet deleted, by sequence number. */
  private readonly segments = new Map<number, number>();
  private writeSeq = 0;
  private writer: FileHandle | undefined;
  private cursor: BufferCursor;

  private constructor(
    readonly dir: string,
    private readonly opts: Required<Pick<DiskBufferOptions, 'maxBytes' | 'segmentBytes'>> & { log: Logger },
    cursor: BufferCursor,
  ) {
    this.cursor = cursor;
  }

  /** Opens (creating) the buffer in `dir`, discarding a torn or corrupt tail of any segment. */
  static async open(dir: string, options: DiskBufferOptions): Promise<DiskBuffer> {
    await mkdir(dir, { recursive: true });
    const segmentBytes = options.segmentBytes ?? Math.min(16 << 20, Math.max(64 << 10, Math.floor(options.maxBytes / 8)));
    const cursor = await readCursor(join(dir, CURSOR_FILE));
    const buf = new DiskBuffer(dir, { maxBytes: options.maxBytes, segmentBytes, log: options.log }, cursor);
    await buf.recover();
    return buf;
  }

  /** Bytes on disk not yet shipped (record headers included). */
  get bytes(): number {
    let total = 0;
    for (const [seq, size] of this.segments) if (seq >= this.cursor.segment) total += size;
    return total - (this.segments.has(this.cursor.segment) ? this.cursor.offset : 0);
  }

  /** Whether `n` more bytes on disk (payloads + RECORD_OVERHEAD each) fit under the cap (an empty buffer takes anything). */
  hasRoom(n: number): boolean {
    const b = this.bytes;
    return b === 0 || b + n <= this.opts.maxBytes;
  }

  /** Whether records are waiting past the cursor. */
  get hasData(): boolean {
    return this.bytes > 0;
  }

  /** Appends the records and makes them durable (fdatasync) before resolving. */
  async append(payloads: Buffer[]): Promise<void> {
    if (payloads.length === 0) return;
    const full = (this.segments.get(this.writeSeq) ?? 0) >= this.opts.segmentBytes;
    // Behind the cursor when a corrupt segment was skipped: new records must not go there.
    if (!this.writer || full || this.writeSeq < this.cursor.segment) await this.startSegment();
    const parts: Buffer[] = [];
    let size = 0;
    for (const p of payloads) {
      const h = Buffer.allocUnsafe(HEADER);
      h.writeUInt32LE(p.length, 0);
      h.writeUInt32LE(crc32(p), 4);
      parts.push(h, p);
      size += HEADER + p.length;
    }
    const data = Buffer.concat(parts, size);
    const w = this.writer!;
    let written = 0;
    while (written < data.length) written += (await w.write(data, written, data.length - written)).bytesWritten;
    await w.datasync();
    this.segments.set(this.writeSeq, (this.segments.get(this.writeSeq) ?? 0) + size);
  }

  /**
   * Reads records from the cursor on, until their payloads reach `maxBytes` (at least one record);
   * undefined when there is nothing to read. Does not move the cursor: call ack() after shipping.
   * `payloads` may be empty when a damaged segment is skipped: ack `end` all the same.
   */
  async read(maxBytes: number): Promise<ReadRecords | undefined> {
    const payloads: Buffer[] = [];
    let { segment, offset } = this.cursor;
    let total = 0;
    while (total < maxBytes) {
      const size = this.segments.get(segment);
      if (size === undefined || offset >= size) {
        // The segment is done; move on when a later one exists (the writer has left it).
        const next = [...this.segments.keys()].filter((s) => s > segment).sort((a, b) => a - b)[0];
        if (next === undefined) break;
        segment = next;
        offset = 0;
        continue;
      }
      const fh = await open(this.segmentPath(segment), 'r');
      try {
        while (offset < size && total < maxBytes) {
          const want = Math.min(size - offset, READ_CHUNK);
          const chunk = Buffer.allocUnsafe(want);
          const { bytesRead } = await fh.read(chunk, 0, want, offset);
          let p = 0;
          while (p + HEADER <= bytesRead && total < maxBytes) {
            const len = chunk.readUInt32LE(p);
            let payload: Buffer;
            if (len > MAX_RECORD) {
              this.opts.log.error({ file: this.segmentPath(segment), offset: offset + p }, 'disk buffer: corrupt record length; skipping the rest of its segment');
              return { payloads, end: { segment: segment + 1, offset: 0 } };
            }
            if (p + HEADER + len <= bytesRead) payload = Buffer.from(chunk.subarray(p + HEADER, p + HEADER + len));
            else if (p === 0) {
              // A record larger than the chunk: read it whole.
              payload = Buffer.allocUnsafe(len);
              await fh.read(payload, 0, len, offset + HEADER);
            } else break;
            if (crc32(payload) !== chunk.readUInt32LE(p + 4)) {
              // Damaged after it was written (the open-time scan passed it): the rest of this
              // segment cannot be framed any more, so shipping resumes at the next one.
              this.opts.log.error({ file: this.segmentPath(segment), offset: offset + p }, 'disk buffer: corrupt record; skipping the rest of its segment');
              return { payloads, end: { segment: segment + 1, offset: 0 } };
            }
            payloads.push(payload);
            total += len;
            p += HEADER + len;
          }
          if (p === 0) break;
          offset += p;
        }
      } finally {
        await fh.close();
      }
    }
    if (payloads.length === 0) return undefined;
    return { payloads, end: { segment, offset } };
  }

  /** Moves the cursor past shipped records (durably) and deletes the segments wholly behind it. */
  async ack(end: BufferCursor): Promise<void> {
    this.cursor = { ...end };
    const tmp = join(this.dir, CURSOR_FILE + '.tmp');
    await writeFile(tmp, JSON.stringify(this.cursor));
    const fh = await open(tmp, 'r+');
    await fh.sync();
    await fh.close();
    await rename(tmp, join(this.dir, CURSOR_FILE));
    for (const seq of [...this.segments.keys()]) {
      if (seq >= end.segment || seq === this.writeSeq) continue;
      await rm(this.segmentPath(seq), { force: true });
      this.segments.delete(seq);
    }
  }

  async close(): Promise<void> {
    const w = this.writer;
    this.writer = undefined;
    await w?.close();
  }

  private segmentPath(seq: number): string {
    return join(this.dir, String(seq).padStart(16, '0') + '.seg');
  }

  private async startSegment(): Promise<void> {
    await this.writer?.close();
    this.writeSeq = Math.max(this.writeSeq + 1, this.cursor.segment);
    this.writer = await open(this.segmentPath(this.writeSeq), 'a');
    this.segments.set(this.writeSeq, 0);
    syncDir(this.dir);
  }

  private async recover(): Promise<void> {
    const seqs = (await readdir(this.dir))
      .map((f) => SEGMENT_RE.exec(f)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    for (const seq of seqs) {
      const path = this.segmentPath(seq);
      if (seq < this.cursor.segment) {
        // Shipped before a crash that came between the cursor write and the delete.
        await rm(path, { force: true });
        continue;
      }
      const valid = await validLength(path);
      const size = (await stat(path)).size;
      if (valid < size) {
        this.opts.log.warn({ file: path, offset: valid, discarded_bytes: size - valid }, 'disk buffer: discarding a torn or corrupt record and what follows it (never acknowledged)');
        await truncate(path, valid);
      }
      this.segments.set(seq, valid);
    }
    if (!this.segments.has(this.cursor.segment)) {
      const first = [...this.segments.keys()][0];
      this.cursor = { segment: first ?? 0, offset: 0 };
    } else {
      this.cursor.offset = Math.min(this.cursor.offset, this.segments.get(this.cursor.segment)!);
    }
    const last = seqs.filter((s) => this.segments.has(s)).at(-1);
    this.writeSeq = last ?? Math.max(0, this.cursor.segment);
    // Appends continue in the last segment; a new one is started on first append when it is full.
    if (last !== undefined) this.writer = await open(this.segmentPath(last), 'a');
  }
}

async function readCursor(path: string): Promise<BufferCursor> {
  try {
    const c = JSON.parse(await readFile(path, 'utf8')) as Partial<BufferCursor>;
    if (Number.isSafeInteger(c.segment) && Number.isSafeInteger(c.offset)) return { segment: c.segment!, offset: c.offset! };
  } catch {
    // Missing or unreadable: ship from the first record (duplicates are dropped by the server).
  }
  return { segment: 0, offset: 0 };
}

/** Bytes of `path` made of whole records whose checksums match. */
async function validLength(path: string): Promise<number> {
  const data = await readFile(path);
  let p = 0;
  while (p + HEADER <= data.length) {
    const len = data.readUInt32LE(p);
    if (len > MAX_RECORD || p + HEADER + len > data.length) break;
    if (crc32(data.subarray(p + HEADER, p + HEADER + len)) !== data.readUInt32LE(p + 4)) break;
    p += HEADER + len;
  }
  return p;
}

/** Makes a new file's directory entry durable. */
function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems refuse fsync on directories; the data itself is synced.
  }
}
