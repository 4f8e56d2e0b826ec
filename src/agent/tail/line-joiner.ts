/**
 * Joins partial records (Docker's 16 KiB splits, CRI `P` records, raw lines cut because they did not
 * fit the read buffer) into lines, per stream, and enforces max_line_bytes: a longer line is emitted
 * in pieces of at most that many bytes, each marked `truncated`. Pieces are emitted as soon as they
 * are full, so a line that never ends costs at most max_line_bytes of memory.
 */
import { utf8Cut } from '../../api/utf8.js';
import type { LogLine, ReaderEvent, StreamName } from '../model.js';

export type EventCounts = Record<ReaderEvent, number>;

export function emptyEventCounts(): EventCounts {
  return { invalid_utf8: 0, nul_bytes: 0, malformed_record: 0, split_line: 0, truncated_file: 0, rotation: 0, lost_rotated: 0 };
}

interface Pending<F> {
  ts: bigint;
  parts: string[];
  /** UTF-16 units in parts: a cheap upper bound check (a unit is at most 3 UTF-8 bytes). */
  units: number;
  /** Pieces of this line were emitted already. */
  split: boolean;
  /** Where the first record of the line started (file and offset), so a position never lands inside a joined line. */
  file: F;
  offset: number;
  seq: number;
}

/** `F` identifies the file a line started in (the reader's own file record). */
export class LineJoiner<F> {
  private readonly slots: (Pending<F> | undefined)[] = [undefined, undefined, undefined];
  private seq = 0;

  constructor(
    private readonly maxLineBytes: number,
    private readonly events: EventCounts,
  ) {}

  /** Adds a record's text; `partial` means the line goes on in the next record of the same stream. */
  add(out: LogLine[], ts: bigint, stream: StreamName | undefined, text: string, partial: boolean, file: F, offset: number): void {
    const slot = stream === undefined ? 0 : stream === 'stdout' ? 1 : 2;
    const p = this.slots[slot];
    if (p === undefined) {
      if (!partial) return this.emit(out, ts, stream, text, false);
      const q: Pending<F> = { ts, parts: [text], units: text.length, split: false, file, offset, seq: this.seq++ };
      this.slots[slot] = q;
      if (q.units * 3 > this.maxLineBytes) this.spill(out, q, stream);
      return;
    }
    p.parts.push(text);
    p.units += text.length;
    if (!partial) {
      this.slots[slot] = undefined;
      return this.emit(out, p.ts, stream, p.parts.join(''), p.split);
    }
    if (p.units * 3 > this.maxLineBytes) this.spill(out, p, stream);
  }

  /** Whether a line is open (its position must not be committed past its start). */
  get pending(): boolean {
    return this.slots[0] !== undefined || this.slots[1] !== undefined || this.slots[2] !== undefined;
  }

  /** Where the oldest open line started. */
  earliestStart(): { file: F; offset: number } | undefined {
    let best: Pending<F> | undefined;
    for (const p of this.slots) if (p && (!best || p.seq < best.seq)) best = p;
    return best && { file: best.file, offset: best.offset };
  }

  /** Emits every open line as it is (end of the data, or the file was truncated under it). */
  flush(out: LogLine[]): void {
    const open = this.slots
      .map((p, slot) => ({ p, slot }))
      .filter((x): x is { p: Pending<F>; slot: number } => x.p !== undefined)
      .sort((a, b) => a.p.seq - b.p.seq);
    for (const { p, slot } of open) {
      this.slots[slot] = undefined;
      this.emit(out, p.ts, slot === 0 ? undefined : slot === 1 ? 'stdout' : 'stderr', p.parts.join(''), p.split);
    }
  }

  private emit(out: LogLine[], ts: bigint, stream: StreamName | undefined, text: string, split: boolean): void {
    const max = this.maxLineBytes;
    if (text.length * 3 <= max || (text.length <= max && Buffer.byteLength(text) <= max)) return push(out, ts, stream, text, split);
    if (!split) this.events.split_line++;
    for (const piece of splitUtf8(text, max)) push(out, ts, stream, piece, true);
  }

  /** Emits the full pieces of an open line that has grown past the limit; keeps the rest open. */
  private spill(out: LogLine[], p: Pending<F>, stream: StreamName | undefined): void {
    const joined = p.parts.length === 1 ? p.parts[0]! : p.parts.join('');
    const max = this.maxLineBytes;
    if (joined.length <= max && Buffer.byteLength(joined) <= max) {
      p.parts = [joined];
      return;
    }
    const pieces = splitUtf8(joined, max);
    if (!p.split) this.events.split_line++;
    p.split = true;
    for (let i = 0; i < pieces.length - 1; i++) push(out, p.ts, stream, pieces[i]!, true);
    const last = pieces[pieces.length - 1]!;
    p.parts = [last];
    p.units = last.length;
  }
}

function push(out: LogLine[], ts: bigint, stream: StreamName | undefined, line: string, truncated: boolean): void {
  if (stream === undefined) out.push(truncated ? { ts, line, truncated } : { ts, line });
  else out.push(truncated ? { ts, line, stream, truncated } : { ts, line, stream });
}

/** Cuts text into pieces of at most `max` UTF-8 bytes, never inside a character. */
export function splitUtf8(text: string, max: number): string[] {
  const pieces: string[] = [];
  if (Buffer.byteLength(text) === text.length) {
    for (let i = 0; i < text.length; i += max) pieces.push(text.slice(i, i + max));
    return pieces;
  }
  const b = Buffer.from(text);
  let start = 0;
  while (start < b.length) {
    let end = Math.min(start + max, b.length);
    if (end < b.length) {
      const cut = utf8Cut(b, start, end);
      if (cut > start) end = cut; // else max is below one character's size: cut it anyway
    }
    pieces.push(b.toString('utf8', start, end));
    start = end;
  }
  return pieces;
}
