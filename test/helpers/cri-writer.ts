/**
 * A kubelet-style CRI log writer for tests and benchmarks: writes `<dir>/<n>.log` in the CRI format
 * with real timestamps, splits long lines into P/F records like the runtime, and rotates like the
 * kubelet (rename `0.log` → `0.log.<YYYYMMDD-HHMMSS>`, reopen; optionally gzip the older rotated files
 * and delete those beyond maxFiles).
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync, writeSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface CriWriterOptions {
  dir: string;
  /** The container's restart count: the file is `<n>.log` (default 0). */
  n?: number;
  /** Records carry at most this many bytes of text; longer lines become P records then an F (default 16 KiB). */
  splitBytes?: number;
  /** Rotate when the file would grow past this many bytes (default: only when rotate() is called). */
  maxBytes?: number;
  /** Files kept, the live one included (the kubelet's containerLogMaxFiles, default 5). */
  maxFiles?: number;
  /** Gzip rotated files except the newest, as the kubelet does (default false). */
  compress?: boolean;
}

export class CriWriter {
  readonly path: string;
  private fd: number;
  private size = 0;
  private lastNs = 0n;
  private readonly opts: Required<CriWriterOptions>;

  constructor(opts: CriWriterOptions) {
    this.opts = { n: 0, splitBytes: 16 * 1024, maxBytes: Infinity, maxFiles: 5, compress: false, ...opts };
    this.path = join(opts.dir, `${this.opts.n}.log`);
    this.fd = openSync(this.path, 'a');
    this.size = statSync(this.path).size;
  }

  /** Writes one line (without newline) as one or more CRI records; returns the timestamp used (ns). */
  write(line: string, stream: 'stdout' | 'stderr' = 'stdout'): bigint {
    const ns = this.clock();
    const ts = formatNs(ns);
    const bytes = Buffer.from(line);
    const max = this.opts.splitBytes;
    let out = '';
    if (bytes.length <= max) {
      out = `${ts} ${stream} F ${line}\n`;
    } else {
      // Cut at character boundaries (a runtime cuts bytes; see the reader's notes on that case).
      let i = 0;
      while (i < bytes.length) {
        let end = Math.min(i + max, bytes.length);
        while (end < bytes.length && end > i + 1 && (bytes[end]! & 0xc0) === 0x80) end--;
        const last = end >= bytes.length;
        out += `${ts} ${stream} ${last ? 'F' : 'P'} ${bytes.toString('utf8', i, end)}\n`;
        i = end;
      }
    }
    const buf = Buffer.from(out);
    if (this.size > 0 && this.size + buf.length > this.opts.maxBytes) this.rotate();
    writeSync(this.fd, buf);
    this.size += buf.length;
    return ns;
  }

  /** Writes raw bytes as they are (for malformed input). */
  writeRaw(text: string | Buffer): void {
    const buf = typeof text === 'string' ? Buffer.from(text) : text;
    writeSync(this.fd, buf);
    this.size += buf.length;
  }

  /** Rotates like the kubelet: rename to a timestamped name, reopen, compress and prune older files. */
  rotate(): string {
    closeSync(this.fd);
    let when = Date.now();
    let rotated = `${this.path}.${stamp(when)}`;
    // The kubelet names rotated files by the second; bursts in tests would collide.
    while (existsSync(rotated) || existsSync(rotated + '.gz')) rotated = `${this.path}.${stamp((when += 1000))}`;
    renameSync(this.path, rotated);
    this.fd = openSync(this.path, 'a');
    this.size = 0;
    const rotatedFiles = readdirSync(this.opts.dir)
      .filter((f) => f.startsWith(`${this.opts.n}.log.`))
      .sort((a, b) => a.replace(/\.gz$/, '').localeCompare(b.replace(/\.gz$/, '')));
    if (this.opts.compress) {
      for (const f of rotatedFiles.slice(0, -1)) {
        if (f.endsWith('.gz')) continue;
        const p = join(this.opts.dir, f);
        writeFileSync(p + '.gz', gzipSync(readFileSync(p)));
        unlinkSync(p);
      }
    }
    const now = readdirSync(this.opts.dir)
      .filter((f) => f.startsWith(`${this.opts.n}.log.`))
      .sort((a, b) => a.replace(/\.gz$/, '').localeCompare(b.replace(/\.gz$/, '')));
    for (const f of now.slice(0, Math.max(0, now.length - (this.opts.maxFiles - 1)))) unlinkSync(join(this.opts.dir, f));
    return rotated;
  }

  close(): void {
    closeSync(this.fd);
  }

  /** Wall clock in ns, strictly increasing. */
  private clock(): bigint {
    const t = BigInt(Date.now()) * 1_000_000n;
    this.lastNs = t > this.lastNs ? t : this.lastNs + 1n;
    return this.lastNs;
  }
}

/** RFC3339Nano in UTC with all nine fraction digits, as the runtime writes it. */
export function formatNs(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

function stamp(ms: number): string {
  const d = new Date(ms).toISOString(); // 2026-01-02T15:04:05.000Z
  return `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}-${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)}`;
}
