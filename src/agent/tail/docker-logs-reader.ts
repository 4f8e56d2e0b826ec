/**
 * Reads a container through the Engine API's logs endpoint (issue #4 §1): for logging drivers other
 * than json-file (local, journald, and remote drivers through Docker's dual-logging cache), where no
 * file of ours to tail exists.
 *
 * Positions are runtime timestamps: the endpoint is opened with `since` (whole seconds) and lines
 * older than the committed timestamp are skipped. Lines with exactly the committed timestamp are sent
 * again after a restart; they carry the same timestamp and text, so the server drops them as exact
 * duplicates. Within one reader a reconnect skips precisely what was already produced.
 *
 * With timestamps=1 every message starts with `<RFC3339Nano> `. A message longer than 16 KiB reaches
 * us as several 16 KiB pieces with the same timestamp and no newline, then a shorter last piece —
 * also without a newline (the endpoint drops it for pieces); they are joined here up to maxLineBytes.
 */
import { nsToSeconds } from '../../api/time-units.js';
import { utf8Cut } from '../../api/utf8.js';
import { isUtf8 } from 'node:buffer';
import { parseRfc3339Nano } from '../../api/timestamp.js';
import { DockerApiError, DockerStreamFormatError, type DockerApi, type LogChunk, type LogStream } from '../discovery/docker-api.js';
import type { LineReader, LogLine, ReadBatch, ReaderEvent, SincePosition, StreamName } from '../model.js';

export interface DockerLogsReaderOptions {
  /** The committed position: lines older than it are skipped. Absent = from the container's first line. */
  start?: SincePosition;
  maxLineBytes: number;
  onEvent?: (e: ReaderEvent, n: number) => void;
  /** First reconnect delay (ms), doubled up to 5 s. */
  minBackoffMs?: number;
}

/** A batch holds at most this many lines… */
const BATCH_LINES = 2000;
/** …and this many bytes; the HTTP stream is paused while this much waits for next(). */
const BATCH_BYTES = 512 * 1024;
const MAX_BACKOFF_MS = 5000;
/** Docker's log copier cuts longer messages into pieces of this size (daemon/logger/copier.go). */
const DOCKER_PIECE_BYTES = 16 * 1024;
/** A TTY message boundary is recognised by the start of the next timestamp: `2006-01-02T15:04:05`. */
const TS_START = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/;
const TS_PROBE_BYTES = 19;
/** After drain(), a stream silent this long while its container is stopped is complete. */
const DRAIN_IDLE_MS = 2000;

interface Pending {
  ts: bigint;
  stream: StreamName;
  parts: Buffer[];
  size: number;
  skip: boolean;
  /** Pieces of this line already produced (it was longer than maxLineBytes). */
  pieces: number;
}

interface Queued {
  line: LogLine;
  /** Newest timestamp produced up to and including this line. */
  pos: bigint;
  bytes: number;
}

/** Creates a reader of one container's logs endpoint. */
export function createDockerLogsReader(api: DockerApi, containerId: string, opts: DockerLogsReaderOptions): LineReader {
  const maxLine = opts.maxLineBytes;
  const onEvent = opts.onEvent ?? (() => {});
  const minBackoff = opts.minBackoffMs ?? 250;

  const queue: Queued[] = [];
  let queueHead = 0;
  let queuedBytes = 0;
  /** Lines starting before this are skipped; `equalLeft` more starting exactly at it, too. */
  let skipBefore = opts.start ? BigInt(opts.start.ts) : -1n;
  let equalLeft = 0;
  let newest = skipBefore;
  let newestCount = 0;
  const pending: Partial<Record<StreamName, Pending>> = {};
  let ttyCarry: Buffer = Buffer.alloc(0);
  /** Where a TTY stream is: before a message's timestamp, inside its text, or skipping a malformed line. */
  let ttyMode: 'ts' | 'text' | 'skip' = 'ts';
  let ttyPieceBytes = 0;

  let tty: boolean | undefined;
  let current: LogStream | undefined;
  let paused = false;
  let draining = false;
  let closed = false;
  let finished = false;
  /** The container stopped: reading what is left without follow, then finishing. */
  let finalPass = false;
  let lastDataAt = Date.now();
  let wake: (() => void) | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let drainTimer: NodeJS.Timeout | undefined;
  let backoff = minBackoff;

  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };

  function produce(p: Pending, text: Buffer, truncated: boolean): void {
    if (p.skip) return;
    if (p.pieces === 0) {
      if (p.ts > newest) {
        newest = p.ts;
        newestCount = 1;
      } else if (p.ts === newest) newestCount++;
    }
    p.pieces++;
    let line: string;
    if (isUtf8(text)) line = text.toString('utf8');
    else {
      line = text.toString('utf8'); // invalid sequences become U+FFFD
      onEvent('invalid_utf8', 1);
    }
    if (text.includes(0)) onEvent('nul_bytes', 1);
    const l: LogLine = { ts: p.ts, line, stream: p.stream };
    if (truncated) l.truncated = true;
    const bytes = text.length + 1;
    queue.push({ line: l, pos: newest, bytes });
    queuedBytes += bytes;
  }

  /** Starts a line at its timestamp, deciding once whether it was produced before. */
  function begin(stream: StreamName, ts: bigint): Pending {
    let skip = false;
    if (ts < skipBefore) skip = true;
    else if (ts === skipBefore && equalLeft > 0) {
      equalLeft--;
      skip = true;
    }
    const p: Pending = { ts, stream, parts: [], size: 0, skip, pieces: 0 };
    pending[stream] = p;
    return p;
  }

  function append(p: Pending, text: Buffer): void {
    while (p.size + text.length > maxLine) {
      let room = utf8Boundary(text, maxLine - p.size);
      if (room === 0 && p.size === 0) room = Math.min(text.length, 4); // maxLine below one character
      p.parts.push(text.subarray(0, room));
      produce(p, Buffer.concat(p.parts), true);
      onEvent('split_line', 1);
      p.parts = [];
      p.size = 0;
      text = text.subarray(room);
    }
    if (text.length > 0) {
      p.parts.push(text);
      p.size += text.length;
    }
  }

  function end(p: Pending): void {
    let text = p.parts.length === 1 ? p.parts[0]! : Buffer.concat(p.parts);
    if (tty && text.length > 0 && text[text.length - 1] === 0x0d) text = text.subarray(0, -1);
    // The last piece of a split line is marked too; an empty one (split fell on the end) is not a line.
    if (p.pieces === 0 || text.length > 0) produce(p, text, p.pieces > 0);
    delete pending[p.stream];
  }

  /** One message of a multiplexed stream (or one line of it): `<timestamp> <text>`. */
  function message(stream: StreamName, seg: Buffer, complete: boolean): void {
    let p = pending[stream];
    const sp = seg.indexOf(0x20);
    const ts = sp > 0 && sp <= 40 ? parseRfc3339Nano(seg.toString('latin1', 0, sp)) : undefined;
    if (ts === undefined) {
      onEvent('malformed_record', 1);
      if (complete && p) end(p);
      return;
    }
    const text = seg.subarray(sp + 1);
    // Pieces of one long message share its timestamp: another timestamp starts another line.
    if (p && p.ts !== ts) {
      end(p);
      p = undefined;
    }
    p ??= begin(stream, ts);
    append(p, text);
    // The endpoint drops the newline of a long message's last piece (and of output the container
    // ended without one), so only a full-size piece without a newline is continued by the next one.
    if (complete || text.length < DOCKER_PIECE_BYTES) end(p);
  }

  function onChunk(c: LogChunk): void {
    lastDataAt = Date.now();
    if (tty) return onTtyChunk(c.data);
    // A frame is one message: segments before a newline are complete lines; a frame ending without
    // one is a 16 KiB piece continued by the stream's next message.
    let off = 0;
    const data = c.data;
    while (off < data.length) {
      const nl = data.indexOf(0x0a, off);
      const stop = nl < 0 ? data.length : nl;
      message(c.stream, data.subarray(off, stop), nl >= 0);
      off = stop + 1;
    }
  }

  /**
   * A TTY stream has no frames: chunks are cut anywhere. Each message is `<timestamp> <text>` up to
   * its newline; a 16 KiB piece has none and is followed by the next piece's timestamp; the last
   * piece of a long message lost its newline, so the `\r` a terminal puts before it, followed by a
   * timestamp, ends the message.
   */
  function onTtyChunk(data: Buffer): void {
    const buf = ttyCarry.length ? Buffer.concat([ttyCarry, data]) : data;
    let off = 0;
    while (off < buf.length) {
      if (ttyMode === 'skip') {
        const nl = buf.indexOf(0x0a, off);
        if (nl < 0) {
          off = buf.length;
          break;
        }
        off = nl + 1;
        ttyMode = 'ts';
        continue;
      }
      if (ttyMode === 'ts') {
        const sp = buf.indexOf(0x20, off);
        if (sp < 0 && buf.length - off <= 40) break; // the timestamp has not fully arrived
        const ts = sp >= 0 && sp - off <= 40 ? parseRfc3339Nano(buf.toString('latin1', off, sp)) : undefined;
        if (ts === undefined) {
          onEvent('malformed_record', 1);
          ttyMode = 'skip';
          continue;
        }
        let p = pending.stdout;
        if (p && p.ts !== ts) {
          end(p);
          p = undefined;
        }
        if (!p) begin('stdout', ts);
        ttyMode = 'text';
        ttyPieceBytes = 0;
        off = sp + 1;
        continue;
      }
      const p = pending.stdout!;
      const limit = Math.min(buf.length, off + DOCKER_PIECE_BYTES - ttyPieceBytes);
      let nl = buf.indexOf(0x0a, off);
      if (nl >= limit) nl = -1;
      const stop = nl >= 0 ? nl : limit;
      let cr = -1;
      let wait = false;
      for (let i = buf.indexOf(0x0d, off); i >= 0 && i < stop; i = buf.indexOf(0x0d, i + 1)) {
        if (buf[i + 1] === 0x0a) continue;
        if (buf.length - (i + 1) < TS_PROBE_BYTES) {
          wait = true; // cannot tell yet whether a timestamp follows
          cr = i;
          break;
        }
        if (TS_START.test(buf.toString('latin1', i + 1, i + 1 + TS_PROBE_BYTES))) {
          cr = i;
          break;
        }
      }
      if (wait) {
        append(p, buf.subarray(off, cr));
        ttyPieceBytes += cr - off;
        off = cr;
        break;
      }
      if (cr >= 0 || nl >= 0) {
        append(p, buf.subarray(off, cr >= 0 ? cr : nl));
        end(p);
        ttyMode = 'ts';
        off = (cr >= 0 ? cr : nl) + 1;
        continue;
      }
      append(p, buf.subarray(off, limit));
      ttyPieceBytes += limit - off;
      off = limit;
      // A full piece: the next message continues it (same timestamp).
      if (ttyPieceBytes >= DOCKER_PIECE_BYTES) ttyMode = 'ts';
    }
    ttyCarry = off < buf.length ? Buffer.from(buf.subarray(off)) : Buffer.alloc(0);
  }

  function full(): boolean {
    return queue.length - queueHead >= BATCH_LINES || queuedBytes >= BATCH_BYTES;
  }

  async function connect(): Promise<void> {
    retryTimer = undefined;
    if (closed || finished) return;
    let stream: LogStream;
    try {
      if (tty === undefined) {
        const c = await api.inspect(containerId);
        tty = c.Config.Tty === true;
      }
      const since = skipBefore > 0n ? Number(nsToSeconds(skipBefore)) : 0;
      stream = await api.logs(containerId, { sinceSeconds: since, follow: !finalPass, timestamps: true, tty });
    } catch (e) {
      if (e instanceof DockerApiError && e.status === 404) return finish();
      return retry();
    }
    if (closed) return stream.destroy();
    current = stream;
    const r = stream.readable;
    let ended = false;
    const onEnd = () => {
      if (ended) return;
      ended = true;
      if (current === stream) current = undefined;
      void streamEnded();
    };
    r.on('data', (c: LogChunk) => {
      onChunk(c);
      if (full()) {
        paused = true;
        r.pause();
      }
      notify();
    });
    r.on('end', onEnd);
    r.on('error', (e) => {
      // A corrupt stream is counted; reconnecting resumes after the last good line.
      if (e instanceof DockerStreamFormatError) onEvent('malformed_record', 1);
      onEnd();
    });
    r.on('close', onEnd);
    if (paused) r.pause();
  }

  /** The stream ended: a stopped or removed container is complete; a running one lost its connection. */
  async function streamEnded(): Promise<void> {
    if (closed || finished) return;
    if (finalPass) return finish();
    try {
      const c = await api.inspect(containerId);
      if (c.State.Running && !draining) {
        // Anything pending is read again in full after reconnecting; what was produced is skipped.
        reposition();
        return retry();
      }
    } catch (e) {
      if (e instanceof DockerApiError && e.status === 404) return finish(); // removed: its logs are gone
      if (!draining) {
        reposition();
        return retry();
      }
    }
    // A follow stream can end before the engine has written the container's last message (output
    // without a final newline is logged at exit): one more read, without follow, gets the rest.
    finalPass = true;
    reposition();
    void connect();
  }

  /** Before reconnecting: skip exactly what was produced, drop partial state. */
  function reposition(): void {
    skipBefore = newest;
    equalLeft = newestCount;
    for (const s of ['stdout', 'stderr'] as const) delete pending[s];
    ttyCarry = Buffer.alloc(0);
    ttyMode = 'ts';
  }

  function retry(): void {
    if (closed || finished) return;
    retryTimer = setTimeout(() => void connect(), backoff);
    backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
  }

  function finish(): void {
    if (finished) return;
    // The container's last output may lack a newline: it is still a line.
    if (ttyCarry.length > 0) {
      if (ttyMode === 'text') append(pending.stdout!, ttyCarry);
      else if (ttyMode === 'ts') onEvent('malformed_record', 1);
      ttyCarry = Buffer.alloc(0);
    }
    for (const s of ['stdout', 'stderr'] as const) {
      const p = pending[s];
      if (p) end(p);
    }
    finished = true;
    clearTimeout(retryTimer);
    clearInterval(drainTimer);
    current?.destroy();
    current = undefined;
    notify();
  }

  function takeBatch(): ReadBatch {
    const lines: LogLine[] = [];
    let bytes = 0;
    let pos = newest;
    while (queueHead < queue.length && lines.length < BATCH_LINES && bytes < BATCH_BYTES) {
      const q = queue[queueHead++]!;
      lines.push(q.line);
      bytes += q.bytes;
      pos = q.pos;
    }
    queuedBytes -= bytes;
    if (queueHead > 1024 && queueHead * 2 > queue.length) {
      queue.splice(0, queueHead);
      queueHead = 0;
    }
    if (paused && !full()) {
      paused = false;
      current?.readable.resume();
    }
    return { lines, position: { kind: 'since', ts: pos.toString() }, bytes };
  }

  void connect();

  return {
    async next() {
      for (;;) {
        if (closed) return undefined;
        if (queueHead < queue.length) return takeBatch();
        if (finished) return undefined;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    },
    drain() {
      if (draining || finished) return;
      draining = true;
      // Normally the stream ends by itself once the stopped container's output is sent. A stream that
      // stays silent while the container is stopped (an engine that keeps it open) is ended here.
      if (retryTimer) {
        clearTimeout(retryTimer);
        void connect();
      }
      drainTimer = setInterval(() => {
        if (paused || Date.now() - lastDataAt < DRAIN_IDLE_MS) return;
        api.inspect(containerId).then(
          (c) => {
            if (!c.State.Running) finish();
          },
          (e: unknown) => {
            if (e instanceof DockerApiError && e.status === 404) finish();
          },
        );
      }, DRAIN_IDLE_MS);
      drainTimer.unref();
    },
    async close() {
      closed = true;
      clearTimeout(retryTimer);
      clearInterval(drainTimer);
      current?.destroy();
      current = undefined;
      notify();
    },
    get openFiles() {
      return 0;
    },
  };
}

/** The largest length ≤ want that does not cut a UTF-8 sequence. */
function utf8Boundary(buf: Buffer, want: number): number {
  if (want >= buf.length) return buf.length;
  if (want <= 0) return 0;
  return utf8Cut(buf, 0, want);
}
