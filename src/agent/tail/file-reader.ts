/**
 * Tails one log file (Docker json-file, CRI, or plain text) through rotation, truncation and
 * deletion, producing every line exactly once (issue #4 §2).
 *
 * A file is known by device and inode, never by path: paths move on rotation. At the end of the
 * data the reader stats the path: another inode there means the file was rotated (renamed, or
 * deleted and recreated), so the old descriptor is read to its end, then any rotated siblings that
 * were written after it (several rotations can happen while the reader is behind), then the new
 * file from 0. A size below what was read means copytruncate: start again at 0. A path that is gone
 * means the file was deleted: its descriptor is kept for late writes and closed `deletedGraceMs`
 * after the last data, so no deleted file keeps disk space held.
 *
 * Waking up (issue #17): a reader at the end of its file sleeps until the directory watch
 * (dir-watch.ts) says the file changed, then reads without a stat: a `change` of its own file is new
 * data. Only a rename in the directory, a read that found nothing after a change (truncation), or the
 * safety poll (every WATCHED_POLL_FACTOR × poll interval) costs a stat. Where nothing can be watched
 * the reader polls instead, every poll interval while lines come and backing off to
 * QUIET_POLL_FACTOR × the interval while they do not. A read that returned less than asked is the
 * end of the data: no second read to find out.
 *
 * Memory stays bounded: one 64 KiB read buffer (from a small shared pool, returned while idle), at
 * most one unfinished record per file, and joined lines of at most max_line_bytes.
 */
import { nowNs } from '../../api/time-units.js';
import { utf8Cut } from '../../api/utf8.js';
import { readSync, statSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import type { FilePosition, LineFormat, LineReader, LogLine, ReadBatch, ReaderEvent } from '../model.js';
import { emptyDockerJsonRecord, parseDockerJsonLine } from './docker-json.js';
import { emptyCriRecord, parseCriLine, type CriRecord } from './cri.js';
import { rawLineText } from './raw.js';
import { LineJoiner, emptyEventCounts, type EventCounts } from './line-joiner.js';
import { listRotated, rotatedAfter, type RotatedFile } from './rotated-files.js';
import { createTimestampParser } from './timestamp.js';
import { watchFile, type FileWatch, type WatchEvent } from './dir-watch.js';

export interface FileReaderOptions {
  path: string;
  format: LineFormat;
  /** Where a previous run stopped; undefined for a new source, read from its first line. */
  start?: FilePosition;
  maxLineBytes: number;
  /**
   * How often a file at its end is checked for new data, rotation and truncation when its directory
   * cannot be watched (default 250); a watched file is checked WATCHED_POLL_FACTOR times less often.
   */
  pollIntervalMs?: number;
  /** Watch the file's directory (default true); false polls only (tests of the fallback). */
  watch?: boolean;
  /**
   * A watched file that changes again less than this long after the last read waits out the rest
   * before it is read (default 0): a file written five times a second is then read once a second,
   * which on a busy node is most of the agent's CPU, for at most this much more latency. A file that
   * brought COALESCE_BELOW_BYTES or more in the current or last second is busy, not chatty: it is
   * read at every change.
   */
  readCoalesceMs?: number;
  /** A deleted file is closed this long after its last data (default 5000). */
  deletedGraceMs?: number;
  maxBatchLines?: number;
  maxBatchBytes?: number;
  /** Unusual input and file events, with how many times they happened since the last report. */
  onEvent?: (e: ReaderEvent, n: number) => void;
  /** Clock for raw files' timestamps, in ns (default: wall clock, strictly increasing). */
  now?: () => bigint;
}

const BUFFER_SIZE = 64 * 1024;
/** A watched file is still stat'ed this many poll intervals apart, in case an event was lost (2 s by default). */
export const WATCHED_POLL_FACTOR = 8;
/** An unwatched file that stays quiet is polled ever less often, down to once per this many intervals (1 s by default). */
export const QUIET_POLL_FACTOR = 4;
/** Coalescing is for chatty files: one that brought this much in a second (~50 lines) is busy, read at every change. */
const COALESCE_BELOW_BYTES = 8 * 1024;
/** How long a reader that could not watch its directory polls before trying again. */
const WATCH_RETRY_MS = 10_000;
/** A json-file or CRI record longer than this without a newline is not a record: it is skipped. */
const MIN_RECORD_CAP = 1024 * 1024;

/** Read buffers of readers that are idle, so 500 quiet files do not hold 500 buffers. */
const pool: Buffer[] = [];
function takeBuffer(): Buffer {
  return pool.pop() ?? Buffer.allocUnsafeSlow(BUFFER_SIZE);
}
function releaseBuffer(b: Buffer): void {
  if (b.length === BUFFER_SIZE && pool.length < 16) pool.push(b);
}

interface OpenFile {
  fh: FileHandle;
  dev: number;
  ino: number;
  /** File offset of the next read. */
  readOff: number;
  /** Opened through the live path (false: a rotated file being finished). */
  live: boolean;
  lastDataAt: number;
}

interface FileId {
  dev: number;
  ino: number;
}

export function createFileReader(opts: FileReaderOptions): LineReader {
  return new FileReader(opts);
}

class FileReader implements LineReader {
  private readonly path: string;
  private readonly format: LineFormat;
  private readonly maxLines: number;
  private readonly maxBytes: number;
  private readonly pollMs: number;
  private readonly graceMs: number;
  private readonly recordCap: number;
  private readonly now: () => bigint;
  private readonly events: EventCounts = emptyEventCounts();
  private readonly joiner: LineJoiner<FileId>;
  private readonly parseTs = createTimestampParser();
  private readonly docker = emptyDockerJsonRecord();
  private readonly cri = emptyCriRecord();
  /** Bytes of a character cut at the end of a CRI P record, by stream (stdout, stderr). */
  private readonly carry: (Buffer | undefined)[] = [undefined, undefined];

  private cur: OpenFile | undefined;
  private buf: Buffer | undefined;
  /** An unfinished record kept while idle, when the read buffer went back to the pool. */
  private parked: Buffer | undefined;
  private bstart = 0;
  private bend = 0;
  /** Discarding an overlong json-file/CRI record up to its newline; the offset it started at. */
  private skipFrom: number | undefined;
  /** The last position reported or known (kept when no file is open). */
  private last: FilePosition;
  private lastRawTs = 0n;
  private started = false;
  private draining = false;
  private finished = false;
  private closed = false;
  /** Ends the current sleep; no argument (drain, close) counts as a reason to look at everything. */
  private wake: ((why?: WatchEvent | 'poll') => void) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private watcher: FileWatch | undefined;
  /** The last read returned less than it asked for: the file ended there, until told otherwise. */
  private eof = false;
  /** The next end of data must stat the path (a poll, a rename, nothing found after a change). */
  private check = true;
  /** A watch event came while the reader was busy: do not sleep through it. */
  private dirty = false;
  /** The unwatched poll interval now (grows while the file stays quiet). */
  private pollNow: number;
  /** Woken by a `change` and nothing read since. */
  private changed = false;
  /** What a watch event that came while busy was (a rename outweighs changes). */
  private pendingCause: WatchEvent = 'change';
  /** When to try watching again after it failed (no inotify watches left, say). */
  private watchRetryAt = 0;
  /** When the last sleep ended. */
  private wokeAt = 0;
  /** A change came during the coalescing window: the sleep ends when the window does. */
  private deferred = false;
  /** Bytes read in the current second (since bucketStart) and in the second before it: the file's recent rate. */
  private bucketStart = 0;
  private bucketBytes = 0;
  private lastBucketBytes = 0;

  constructor(private readonly opts: FileReaderOptions) {
    this.path = opts.path;
    this.format = opts.format;
    this.maxLines = opts.maxBatchLines ?? 2000;
    this.maxBytes = opts.maxBatchBytes ?? 512 * 1024;
    this.pollMs = opts.pollIntervalMs ?? 250;
    this.pollNow = this.pollMs;
    this.graceMs = opts.deletedGraceMs ?? 5000;
    this.recordCap = Math.max(MIN_RECORD_CAP, 2 * opts.maxLineBytes + 4096);
    this.now = opts.now ?? (() => this.wallClock());
    this.joiner = new LineJoiner<FileId>(opts.maxLineBytes, this.events);
    this.last = opts.start ? { ...opts.start, path: opts.path } : { kind: 'file', path: opts.path, dev: 0, ino: 0, offset: 0 };
  }

  get openFiles(): number {
    return this.cur ? 1 : 0;
  }

  drain(): void {
    this.draining = true;
    this.wake?.();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wake?.();
    await this.release();
  }

  /** Releases the descriptor, the watcher and the buffer. */
  private async release(): Promise<void> {
    this.watcher?.close();
    this.watcher = undefined;
    const f = this.cur;
    this.cur = undefined;
    if (f) await f.fh.close().catch(() => {});
    if (this.buf) releaseBuffer(this.buf);
    this.buf = undefined;
  }

  async next(): Promise<ReadBatch | undefined> {
    if (this.closed || this.finished) return undefined;
    if (!this.started) {
      this.started = true;
      // Watch before the first read, so nothing written after it goes unheard.
      this.ensureWatcher();
      await this.init();
    }
    const out: LogLine[] = [];
    let bytes = 0;
    for (;;) {
      if (this.closed) return undefined;
      if (this.cur && this.buf && this.bend > this.bstart) {
        bytes += this.process(out, bytes);
        if (out.length >= this.maxLines || bytes >= this.maxBytes) return this.batch(out, bytes);
      }
      if (this.cur && (!this.eof || this.parked) && (await this.readMore()) > 0) continue;
      if (this.closed) return undefined;
      // At the end of the current file: deliver what there is before looking further or waiting.
      if (out.length > 0 || bytes > 0) return this.batch(out, bytes);
      if (this.changed) {
        // The file changed but had nothing new: truncated (copytruncate) or only its metadata changed.
        this.changed = false;
        this.check = true;
      }
      if (this.check || this.draining || !this.cur || !this.cur.live) {
        this.check = false;
        if (await this.atEnd(out)) {
          this.eof = false;
          if (out.length > 0) return this.batch(out, 0);
          continue;
        }
      }
      if (this.draining) {
        if (this.cur) await this.finishCurrent(out);
        this.joiner.flush(out);
        this.finished = true;
        await this.release();
        if (out.length > 0) return this.batch(out, 0);
        this.report();
        return undefined;
      }
      await this.idle();
    }
  }

  private batch(lines: LogLine[], bytes: number): ReadBatch {
    this.report();
    // The caller may take a while to ask again (it waits for the server); the buffer goes back to the
    // pool meanwhile, so idle readers hold only their unfinished record.
    this.park();
    return { lines, position: this.position(), bytes };
  }

  private report(): void {
    const cb = this.opts.onEvent;
    // `for in`, not Object.keys: no array per batch and per sleep (issue #17).
    for (const k in this.events) {
      const n = this.events[k as ReaderEvent];
      if (n === 0) continue;
      this.events[k as ReaderEvent] = 0;
      cb?.(k as ReaderEvent, n);
    }
  }

  /** The position after everything produced: never inside a joined line or a skipped record. */
  private position(): FilePosition {
    const open = this.joiner.earliestStart();
    if (open) {
      this.last = { kind: 'file', path: this.path, dev: open.file.dev, ino: open.file.ino, offset: open.offset };
    } else if (this.cur) {
      const offset = this.skipFrom ?? this.offsetAt(this.bstart);
      this.last = { kind: 'file', path: this.path, dev: this.cur.dev, ino: this.cur.ino, offset };
    }
    return this.last;
  }

  private offsetAt(i: number): number {
    const parked = this.parked ? this.parked.length : 0;
    return this.cur!.readOff - (this.bend - i) - parked;
  }

  private wallClock(): bigint {
    const t = nowNs();
    this.lastRawTs = t > this.lastRawTs ? t : this.lastRawTs + 1n;
    return this.lastRawTs;
  }

  // ---- opening files -------------------------------------------------------------------------

  private async init(): Promise<void> {
    const start = this.opts.start;
    if (!start) {
      await this.openLive(0);
      return;
    }
    const st = await statOrUndefined(this.path);
    if (st && st.dev === start.dev && st.ino === start.ino) {
      if (st.size < start.offset) {
        this.events.truncated_file++;
        await this.openLive(0);
      } else {
        await this.openLive(start.offset);
      }
      return;
    }
    // Rotated while we were stopped: finish the file we were in, then what was written after it.
    const files = await listRotated(this.path);
    const found = files.find((f) => f.dev === start.dev && f.ino === start.ino);
    const opened = found && (await this.openRotated(found, Math.min(start.offset, found.size)));
    if (opened) return this.install(opened);
    this.events.lost_rotated++;
    const next = found ? await this.findNext(found) : undefined;
    if (next) this.install(next);
    else await this.openLive(0);
  }

  /** Opens the file at the live path; false if there is none. */
  private async openLive(offset: number): Promise<boolean> {
    const f = await this.openFile(this.path, offset, true);
    if (f) this.install(f);
    return f !== undefined;
  }

  /** Opens a rotated file, checking it is still the one listed (names shift during rotation). */
  private async openRotated(file: RotatedFile, offset: number): Promise<OpenFile | undefined> {
    for (let attempt = 0; attempt < 3 && !this.closed; attempt++) {
      const f = await this.openFile(file.path, offset, false, file);
      if (f) return f;
      const again = (await listRotated(this.path)).find((r) => r.dev === file.dev && r.ino === file.ino);
      if (!again) return undefined;
      file = again;
    }
    return undefined;
  }

  private async openFile(path: string, offset: number, live: boolean, expect?: FileId): Promise<OpenFile | undefined> {
    let fh: FileHandle;
    try {
      fh = await open(path, 'r');
    } catch (e) {
      if (isGone(e)) return undefined;
      throw e;
    }
    const st = await fh.stat();
    if (this.closed || (expect && (st.dev !== expect.dev || st.ino !== expect.ino))) {
      await fh.close();
      return undefined;
    }
    return { fh, dev: st.dev, ino: st.ino, readOff: offset, live, lastDataAt: Date.now() };
  }

  private install(f: OpenFile): void {
    if (this.closed) {
      void f.fh.close();
      return;
    }
    this.cur = f;
    this.bstart = this.bend = 0;
    this.parked = undefined;
    this.skipFrom = undefined;
    this.last = { kind: 'file', path: this.path, dev: f.dev, ino: f.ino, offset: f.readOff };
  }

  /**
   * Opens the oldest file written after `after`: a rotated one (several rotations may have happened
   * while the reader was behind) or the live file, from 0. Called while `after` is still open when it
   * can be, so its inode cannot be reused by a new file meanwhile.
   */
  private async findNext(after: FileId & { mtimeNs: bigint | undefined }): Promise<OpenFile | undefined> {
    for (let attempt = 0; attempt < 5 && !this.closed; attempt++) {
      // The live file first: if it is rotated between the two looks it is among the rotated files
      // (and read from there), and opening the path finds another inode than expected: look again.
      const live = await statOrUndefined(this.path);
      const newer = rotatedAfter(await listRotated(this.path), after.dev, after.ino, after.mtimeNs);
      if (newer.length > 0) {
        const f = await this.openFile(newer[0]!.path, 0, false, newer[0]);
        if (f) return f;
        continue; // renamed again meanwhile
      }
      if (!live || (live.dev === after.dev && live.ino === after.ino)) return undefined;
      const f = await this.openFile(this.path, 0, true, live);
      if (f) return f;
    }
    return undefined;
  }

  /** The current file is complete: move on to the next one (holding both for a moment). */
  private async advance(out: LogLine[]): Promise<void> {
    const f = this.cur!;
    const mtimeNs = (await f.fh.stat({ bigint: true })).mtimeNs;
    const next = await this.findNext({ dev: f.dev, ino: f.ino, mtimeNs });
    if (this.cur !== f) {
      if (next) await next.fh.close();
      return;
    }
    await this.finishCurrent(out);
    this.events.rotation++;
    if (next) this.install(next);
  }

  // ---- reading -------------------------------------------------------------------------------

  /** Reads more of the current file into the buffer; returns the bytes read. */
  private async readMore(): Promise<number> {
    const f = this.cur!;
    let buf = this.buf;
    if (!buf) {
      buf = this.buf = takeBuffer();
      this.bstart = this.bend = 0;
    }
    // Bytes handed back from the parked record count as "read": they may hold complete lines (a batch
    // that stopped at maxBatchLines parks the rest).
    let restored = 0;
    if (this.parked) {
      const p = this.parked;
      this.parked = undefined;
      restored = p.length;
      if (p.length > buf.length) buf = this.buf = Buffer.allocUnsafe(p.length * 2);
      p.copy(buf, 0);
      this.bstart = 0;
      this.bend = p.length;
    }
    if (this.bstart > 0) {
      if (this.bend > this.bstart) buf.copy(buf, 0, this.bstart, this.bend);
      this.bend -= this.bstart;
      this.bstart = 0;
    }
    if (this.bend === buf.length) {
      // A record longer than the buffer (only json-file and CRI get here; raw lines are cut).
      const bigger = Buffer.allocUnsafe(Math.min(this.recordCap, buf.length * 2));
      buf.copy(bigger, 0, 0, this.bend);
      releaseBuffer(buf);
      buf = this.buf = bigger;
    }
    // A synchronous read of a local file takes microseconds; the asynchronous one costs a thread-pool
    // round trip and holds this reader's buffer across an await. With hundreds of files that was most
    // of the agent's CPU and memory (bench/agent.bench.ts files500).
    let bytesRead: number;
    const want = buf.length - this.bend;
    try {
      bytesRead = readSync(f.fh.fd, buf, this.bend, want, f.readOff);
    } catch (e) {
      if (this.cur !== f) return 0; // closed meanwhile
      throw e;
    }
    this.eof = bytesRead < want;
    if (bytesRead > 0) {
      this.changed = false;
      this.countRate(bytesRead);
      f.readOff += bytesRead;
      this.bend += bytesRead;
      f.lastDataAt = Date.now();
    }
    return bytesRead + restored;
  }

  /** Turns the complete records in the buffer into lines, up to the batch limits; returns bytes consumed. */
  private process(out: LogLine[], bytesSoFar: number): number {
    const buf = this.buf!;
    const view = buf.subarray(0, this.bend);
    const f = this.cur!;
    const fileId: FileId = f;
    let s = this.bstart;
    let consumed = 0;
    const lastNl = view.lastIndexOf(10);
    if (lastNl >= s) {
      // Cheap checks over the whole region first; per line only when they find something.
      const badUtf8 = !isUtf8(view.subarray(s, lastNl));
      let nextNul = view.indexOf(0, s);
      let nextEscNul = this.format === 'docker-json' ? view.indexOf('\\u0000', s) : -1;
      while (s <= lastNl) {
        if (out.length >= this.maxLines || bytesSoFar + consumed >= this.maxBytes) break;
        const nl = view.indexOf(10, s);
        const start = s;
        consumed += nl + 1 - s;
        s = nl + 1;
        if (this.skipFrom !== undefined) {
          this.skipFrom = undefined;
          continue;
        }
        const criCarry = this.format === 'cri' && (this.carry[0] !== undefined || this.carry[1] !== undefined);
        if (badUtf8 && !criCarry && !isUtf8(view.subarray(start, nl)) && !(this.format === 'cri' && incompleteTail(view, start, nl) > 0)) this.events.invalid_utf8++;
        let nul = false;
        if (nextNul >= 0 && nextNul < nl) {
          nul = true;
          nextNul = view.indexOf(0, nl);
        }
        const text = view.toString('utf8', start, nl);
        const recordStart = f.readOff - (this.bend - start);
        switch (this.format) {
          case 'docker-json': {
            if (nextEscNul >= 0 && nextEscNul < nl) {
              nul = true;
              nextEscNul = view.indexOf('\\u0000', nl);
            }
            const r = this.docker;
            if (!parseDockerJsonLine(text, this.parseTs, r)) {
              this.events.malformed_record++;
              continue;
            }
            this.joiner.add(out, r.ts, r.stream, r.text, r.partial, fileId, recordStart);
            break;
          }
          case 'cri': {
            const r = this.cri;
            if (!parseCriLine(text, this.parseTs, r)) {
              this.events.malformed_record++;
              continue;
            }
            if (criCarry || (r.partial && view[nl - 1]! >= 0x80)) this.rejoinBytes(view, start + Buffer.byteLength(text.slice(0, text.length - r.text.length)), nl, r, criCarry);
            this.joiner.add(out, r.ts, r.stream, r.text, r.partial, fileId, recordStart);
            break;
          }
          default:
            this.joiner.add(out, this.now(), undefined, rawLineText(text), false, fileId, recordStart);
        }
        if (nul) this.events.nul_bytes++;
      }
    }
    this.bstart = s;
    if (s > lastNl && this.bend - s === buf.length) consumed += this.overlong(out);
    return consumed;
  }

  /**
   * The runtime cuts long lines by bytes, so a P record can end inside a character that the next
   * record of the same stream completes: carry those bytes over instead of decoding them alone.
   */
  private rejoinBytes(view: Buffer, textStart: number, end: number, r: CriRecord, unchecked: boolean): void {
    const slot = r.stream === 'stdout' ? 0 : 1;
    const carried = this.carry[slot];
    this.carry[slot] = undefined;
    const keep = r.partial ? incompleteTail(view, textStart, end) : 0;
    if (keep > 0) this.carry[slot] = Buffer.from(view.subarray(end - keep, end));
    if (!carried && keep === 0) {
      if (unchecked && !isUtf8(view.subarray(textStart, end))) this.events.invalid_utf8++;
      return;
    }
    const bytes = carried ? Buffer.concat([carried, view.subarray(textStart, end - keep)]) : view.subarray(textStart, end - keep);
    if (!isUtf8(bytes)) this.events.invalid_utf8++;
    r.text = bytes.toString('utf8');
  }

  /** The buffer is full and holds no newline. */
  private overlong(out: LogLine[]): number {
    const buf = this.buf!;
    const start = this.bstart;
    if (this.format === 'raw') {
      // Hand the line to the joiner in pieces: it emits max_line_bytes pieces marked truncated.
      let cut = utf8Cut(buf, start, this.bend);
      if (cut === start) cut = this.bend;
      if (!isUtf8(buf.subarray(start, cut))) this.events.invalid_utf8++;
      if (buf.indexOf(0, start) >= 0 && buf.indexOf(0, start) < cut) this.events.nul_bytes++;
      const recordStart = this.offsetAt(start);
      this.joiner.add(out, this.now(), undefined, buf.toString('utf8', start, cut), true, this.cur!, recordStart);
      this.bstart = cut;
      return cut - start;
    }
    if (buf.length < this.recordCap) return 0; // readMore grows the buffer
    if (this.skipFrom === undefined) {
      this.skipFrom = this.offsetAt(start);
      this.events.malformed_record++;
    }
    const n = this.bend - start;
    this.bstart = this.bend;
    return n;
  }

  // ---- the end of the data -------------------------------------------------------------------

  /**
   * At the end of the current file: finds out whether there is more somewhere (the file grew, was
   * rotated, truncated, or (re)appeared). True when reading can go on at once.
   */
  private async atEnd(out: LogLine[]): Promise<boolean> {
    const f = this.cur;
    if (f && !f.live) {
      // A rotated file nobody writes to any more (a newer file exists): done with it.
      await this.advance(out);
      return true;
    }
    const st = await statOrUndefined(this.path);
    if (this.closed) return false;
    if (!f) {
      if (!st) return false;
      if (this.last.ino !== 0) this.events.rotation++;
      return this.openLive(0);
    }
    if (!st) {
      // Deleted, not (yet) replaced: late writes still go to the descriptor, read them until the grace ends.
      if (this.draining || Date.now() - f.lastDataAt >= this.graceMs) await this.finishCurrent(out);
      return false;
    }
    if (st.dev !== f.dev || st.ino !== f.ino) {
      // Rotated. Lines written just before the switch are still in the old file.
      if ((await this.readMore()) > 0) return true;
      await this.advance(out);
      return true;
    }
    if (st.size < f.readOff) {
      // copytruncate: the content we had is gone; open lines end here.
      this.events.truncated_file++;
      this.joiner.flush(out);
      this.carry[0] = this.carry[1] = undefined;
      f.readOff = 0;
      this.bstart = this.bend = 0;
      this.parked = undefined;
      this.skipFrom = undefined;
      this.last = { kind: 'file', path: this.path, dev: f.dev, ino: f.ino, offset: 0 };
      return true;
    }
    return st.size > f.readOff;
  }

  /** Closes the current file; what is left without a newline is its last line (raw) or a broken record. */
  private async finishCurrent(out: LogLine[]): Promise<void> {
    const f = this.cur!;
    if (this.parked || this.bend > this.bstart) {
      const rest = this.parked ?? this.buf!.subarray(this.bstart, this.bend);
      if (this.skipFrom === undefined) {
        if (this.format === 'raw') {
          const text = rest.toString('utf8');
          if (!isUtf8(rest)) this.events.invalid_utf8++;
          if (rest.includes(0)) this.events.nul_bytes++;
          this.joiner.add(out, this.now(), undefined, rawLineText(text), false, f, f.readOff - rest.length);
        } else {
          this.events.malformed_record++;
        }
      }
    }
    if (!this.joiner.pending) this.last = { kind: 'file', path: this.path, dev: f.dev, ino: f.ino, offset: f.readOff };
    this.parked = undefined;
    this.bstart = this.bend = 0;
    this.skipFrom = undefined;
    this.cur = undefined;
    if (this.buf) releaseBuffer(this.buf);
    this.buf = undefined;
    await f.fh.close();
  }

  // ---- waiting -------------------------------------------------------------------------------

  /**
   * Waits for a change of the file (watched), the poll interval, drain() or close(). Sets what the
   * next end of data must do: read again (always), stat the path (unless a `change` woke it).
   */
  private async idle(): Promise<void> {
    this.report();
    this.park();
    this.ensureWatcher();
    const watched = this.watcher?.watching === true;
    let wait: number;
    if (watched) {
      wait = this.pollMs * WATCHED_POLL_FACTOR;
    } else {
      // Back off while the file is quiet; a file with fresh data is polled at the full rate.
      const quietFor = Date.now() - (this.cur?.lastDataAt ?? 0);
      this.pollNow = quietFor < this.pollNow * 2 ? this.pollMs : Math.min(this.pollNow * 2, this.pollMs * QUIET_POLL_FACTOR);
      wait = this.pollNow;
    }
    let cause: WatchEvent | 'poll' = 'poll';
    if (this.dirty && this.pendingCause === 'change' && this.coalesceLeft() > 0) {
      // Changes came while busy, soon after the last read: sleep out the window, then read.
      this.dirty = false;
      wait = this.coalesceLeft();
      this.deferred = true;
    }
    if (this.dirty) {
      this.dirty = false;
      cause = this.pendingCause;
    } else {
      cause = await new Promise<WatchEvent | 'poll'>((resolve) => {
        const done = (why: WatchEvent | 'poll' = 'rename') => {
          clearTimeout(this.timer);
          this.timer = undefined;
          this.wake = undefined;
          resolve(why);
        };
        this.wake = done;
        this.timer = setTimeout(done, wait, this.deferred ? 'change' : 'poll');
      });
    }
    this.deferred = false;
    this.wokeAt = Date.now();
    this.pendingCause = 'change';
    this.eof = false;
    // A change of the file itself is new data (or a truncation, which a read that finds nothing
    // checks for: see readMore's callers); anything else may be a rotation.
    if (cause !== 'change' || !watched) this.check = true;
    else this.changed = true;
  }

  /** A watch event: wakes the reader, or marks it so it does not go to sleep on it. */
  private onWatch(e: WatchEvent): void {
    if (this.wake) {
      if (e === 'change') {
        if (this.deferred) return;
        const left = this.coalesceLeft();
        if (left > 0) {
          // Read at the end of the window, with whatever else arrives meanwhile.
          this.deferred = true;
          clearTimeout(this.timer);
          const wake = this.wake;
          this.timer = setTimeout(() => wake('change'), left);
          return;
        }
      }
      return this.wake(e);
    }
    this.dirty = true;
    if (e === 'rename') this.pendingCause = 'rename';
  }

  /** Gives the read buffer back to the pool while idle, keeping only an unfinished record. */
  private park(): void {
    const buf = this.buf;
    // A buffer grown for a long record goes too, unless it still holds more than a standard one.
    if (!buf || this.bend - this.bstart > BUFFER_SIZE) return;
    if (this.bend > this.bstart) this.parked = Buffer.from(buf.subarray(this.bstart, this.bend));
    this.bstart = this.bend = 0;
    this.buf = undefined;
    releaseBuffer(buf);
  }

  /** How much of the coalescing window after the last wake is left (ms). */
  private coalesceLeft(): number {
    const gap = this.opts.readCoalesceMs ?? 0;
    // A busy file (COALESCE_BELOW_BYTES or more read in this second or the last) is read at every
    // change: its reads are large anyway, and waiting would only add latency.
    if (gap <= 0) return 0;
    this.countRate(0);
    if (Math.max(this.bucketBytes, this.lastBucketBytes) >= COALESCE_BELOW_BYTES) return 0;
    return this.wokeAt + gap - Date.now();
  }

  /** Adds bytes read to the per-second buckets. */
  private countRate(bytes: number): void {
    const now = Date.now();
    if (now - this.bucketStart >= 1000) {
      // A gap of more than a second means nothing was read in the second before this one.
      this.lastBucketBytes = now - this.bucketStart < 2000 ? this.bucketBytes : 0;
      this.bucketBytes = 0;
      this.bucketStart = now;
    }
    this.bucketBytes += bytes;
  }

  /** Watches the file's directory; tries again at each sleep while it cannot (then it polls). */
  private ensureWatcher(): void {
    if (this.opts.watch === false || this.closed || this.finished) return;
    if (this.watcher?.watching) return;
    const now = Date.now();
    if (this.watcher && now < this.watchRetryAt) return;
    this.watcher?.close();
    this.watcher = watchFile(this.path, (e) => this.onWatch(e));
    if (!this.watcher.watching) this.watchRetryAt = now + WATCH_RETRY_MS;
  }
}

/** How many bytes at the end of [start, end) are the beginning of a character that does not end there (0–3). */
export function incompleteTail(buf: Buffer, start: number, end: number): number {
  return end - utf8Cut(buf, start, end);
}

/** stat(2) of the path, synchronous for the same reason as the reads (it runs at every end of data). */
async function statOrUndefined(path: string): Promise<Stats | undefined> {
  try {
    return statSync(path);
  } catch (e) {
    if (isGone(e)) return undefined;
    throw e;
  }
}

function isGone(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
