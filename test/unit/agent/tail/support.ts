/** Shared pieces of the tail tests: temp dirs, json-file records, and reading a reader until a condition. */
import { closeSync, existsSync, fstatSync, mkdtempSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LineReader, LogLine, ReadBatch, ReaderEvent } from '../../../../src/agent/model.js';
import { setImmediate } from 'node:timers/promises';
import { formatNs } from '../../../helpers/cri-writer.js';
import { pushAll } from '../../../../src/util/arrays.js';
import { waitFor } from '../../../helpers/wait-for.js';

export function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-tail-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** One json-file record as Docker writes it. */
export function dockerRecord(log: string, stream: 'stdout' | 'stderr' = 'stdout', ns: bigint = BigInt(Date.now()) * 1_000_000n): string {
  return JSON.stringify({ log, stream, time: formatNs(ns) }) + '\n';
}

export interface Collected {
  lines: LogLine[];
  batches: ReadBatch[];
  ended: boolean;
}

/** A next() that lost a race against readUntil's timeout, kept for the next call (one next() at a time). */
const inFlight = new WeakMap<LineReader, Promise<ReadBatch | undefined>>();

/** Reads batches until `done(lines)` holds, the reader ends, or the timeout passes (then it throws). */
export async function readUntil(reader: LineReader, done: (lines: LogLine[]) => boolean, timeoutMs = 8000): Promise<Collected> {
  const c: Collected = { lines: [], batches: [], ended: false };
  const deadline = Date.now() + timeoutMs;
  while (!done(c.lines)) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out with ${c.lines.length} lines; last: ${JSON.stringify(c.lines.at(-1)?.line?.slice(0, 80))}`);
    let timer: NodeJS.Timeout | undefined;
    const next = inFlight.get(reader) ?? reader.next();
    inFlight.set(reader, next);
    const b = await Promise.race([next, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), left)))]);
    clearTimeout(timer);
    if (b === 'timeout') continue;
    inFlight.delete(reader);
    if (!b) {
      c.ended = true;
      break;
    }
    c.batches.push(b);
    pushAll(c.lines, b.lines);
  }
  return c;
}

/** Reads until the reader ends (after drain()). */
export async function readToEnd(reader: LineReader, timeoutMs = 8000): Promise<Collected> {
  const c = await readUntil(reader, () => false, timeoutMs).catch((e: Error) => {
    throw e;
  });
  return c;
}

export function eventCounter(): { onEvent: (e: ReaderEvent, n: number) => void; counts: Partial<Record<ReaderEvent, number>> } {
  const counts: Partial<Record<ReaderEvent, number>> = {};
  return { counts, onEvent: (e, n) => void (counts[e] = (counts[e] ?? 0) + n) };
}

/**
 * Paces a writer in the same process as its reader: yields to the event loop (so the reader runs),
 * and waits while the reader is more than `maxBehind` lines behind `written`. The distance, not the
 * speed of the machine, decides whether rotated files are still there when the reader gets to them.
 */
export async function keepWithin(read: () => number, written: number, maxBehind: number): Promise<void> {
  await setImmediate();
  if (read() < written - maxBehind) await waitFor(`the reader to be within ${maxBehind} lines of line ${written}`, () => read() >= written - maxBehind, { timeoutMs: 30_000 });
}

export function numbered(i: number): string {
  return `line ${String(i).padStart(6, '0')}`;
}

/** Asserts lines are exactly numbered(0..n-1) in order; returns a description of the first problem. */
export function checkExactlyOnce(lines: string[], n: number): string | undefined {
  const seen = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    if (seen.has(lines[i]!)) return `duplicate ${lines[i]} at ${i}`;
    seen.add(lines[i]!);
  }
  for (let i = 0; i < n; i++) if (!seen.has(numbered(i))) return `missing ${numbered(i)}`;
  for (let i = 0; i < lines.length; i++) if (lines[i] !== numbered(i)) return `out of order at ${i}: ${lines[i]}`;
  if (lines.length !== n) return `${lines.length} lines, expected ${n}`;
  return undefined;
}

/** Writes json-file records like Docker's json-file driver, rotating by rename (`x.log` → `x.log.1`, `.1` → `.2`, …). */
export class DockerJsonWriter {
  private fd: number;
  constructor(
    readonly path: string,
    private readonly maxFiles = 5,
  ) {
    this.fd = openSync(path, 'a');
  }
  write(log: string, stream: 'stdout' | 'stderr' = 'stdout'): void {
    writeSync(this.fd, dockerRecord(log, stream));
  }
  writeRaw(text: string | Buffer): void {
    writeSync(this.fd, typeof text === 'string' ? Buffer.from(text) : text);
  }
  rotate(): void {
    closeSync(this.fd);
    for (let i = this.maxFiles - 1; i >= 1; i--) {
      const from = i === 1 ? this.path : `${this.path}.${i - 1}`;
      if (existsSync(from)) renameSync(from, `${this.path}.${i}`);
    }
    this.fd = openSync(this.path, 'a');
  }
  /** Reopens after someone else removed or replaced the file. */
  reopen(): void {
    closeSync(this.fd);
    this.fd = openSync(this.path, 'a');
  }
  get size(): number {
    return fstatSync(this.fd).size;
  }
  close(): void {
    closeSync(this.fd);
  }
}
