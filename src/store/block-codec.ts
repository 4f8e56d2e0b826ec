/**
 * The compressed payload of a sealed block: what a `BlockRef` of kind 'file' points at (offset and
 * length cover exactly this payload). Pure and free of side effects at import, so a query worker
 * thread can read a file region and decode it itself.
 *
 * Layout before compression (columns compress better than interleaved rows):
 *   u8 version (1, or 2: lines transformed by ./line-transform.ts) · varint count · u8 tsMode
 *   tsMode 0: count × i64 timestamps
 *   tsMode 1: i64 first timestamp · u8 scale exponent e · (count-1) × varint delta/10^e
 *   u8 linesMode · 1: str of all lines joined by '\n' (when no line contains one)
 *                  0: count × varint line byte length · all line bytes
 *   u8 hasMetadata · if 1: count × (varint pairs · pairs × (str name, str value))
 * The whole is one zstd frame with its content checksum (level 1 by default: measured best
 * speed/ratio trade-off here).
 */
import { Compressor, decompress } from 'zstd-napi';
import type { Entry, Labels } from '../api/model.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { setOwn } from './labels.js';
import { restoreTimestamp, stripTimestamps } from './line-transform.js';

export const PAYLOAD_VERSION = 1;
/** Same layout; each line's own timestamp, where it appears as text, is an escape (cold blocks). */
export const PAYLOAD_VERSION_TS = 2;
export const LINES_LENGTHS = 0;
export const LINES_JOINED = 1;
const MAX_SAFE_DELTA = BigInt(Number.MAX_SAFE_INTEGER);

let compressors: Map<number, Compressor> | undefined;

/** zstd-compresses a serialised payload. */
export function compressPayload(buf: Buffer, level = 1): Buffer {
  compressors ??= new Map();
  let c = compressors.get(level);
  if (!c) {
    c = new Compressor();
    // The frame checksum (XXH64, 4 bytes) makes a corrupt block an error instead of wrong lines.
    c.setParameters({ compressionLevel: level, checksumFlag: true });
    compressors.set(level, c);
  }
  return c.compress(buf);
}

/** Version, count and the timestamp column (`ts` in block order). */
export function writeTimestamps(w: ByteWriter, ts: ArrayLike<bigint>, version = PAYLOAD_VERSION): void {
  const n = ts.length;
  w.u8(version);
  w.varint(n);
  // Deltas must be non-negative and fit a double exactly; otherwise store raw timestamps.
  let deltaOk = n > 0;
  let scaleOk6 = true;
  let scaleOk3 = true;
  const deltas: number[] = new Array(n > 0 ? n - 1 : 0);
  let prev = n > 0 ? ts[0]! : 0n;
  for (let i = 1; i < n; i++) {
    const cur = ts[i]!;
    const d = cur - prev;
    prev = cur;
    if (d < 0n || d > MAX_SAFE_DELTA) {
      deltaOk = false;
      break;
    }
    const dn = Number(d);
    deltas[i - 1] = dn;
    if (dn % 1_000_000 !== 0) scaleOk6 = false;
    if (dn % 1000 !== 0) scaleOk3 = false;
  }
  if (!deltaOk) {
    w.u8(0);
    for (let i = 0; i < n; i++) w.i64(ts[i]!);
    return;
  }
  w.u8(1);
  w.i64(ts[0]!);
  const e = scaleOk6 ? 6 : scaleOk3 ? 3 : 0;
  const div = 10 ** e;
  w.u8(e);
  for (let i = 0; i < n - 1; i++) w.varint(deltas[i]! / div);
}

/** Joined-lines column: `bytes` holds the lines separated by '\n' (none may contain one). */
export function writeJoinedLines(w: ByteWriter, bytes: Uint8Array): void {
  w.u8(LINES_JOINED);
  w.varint(bytes.length);
  w.bytes(bytes);
}

/** Length-prefixed lines column, for blocks where some line contains '\n'. */
export function writeLengthLines(w: ByteWriter, lines: Uint8Array[]): void {
  w.u8(LINES_LENGTHS);
  for (const l of lines) w.varint(l.length);
  for (const l of lines) w.bytes(l);
}

/** Metadata column (`metas[i]` for entry i in block order; absent or empty = none). */
export function writeMetadata(w: ByteWriter, n: number, metas: ArrayLike<Labels | undefined> | undefined): void {
  let hasMeta = false;
  if (metas) {
    for (let i = 0; i < n && !hasMeta; i++) {
      const m = metas[i];
      if (m && Object.keys(m).length > 0) hasMeta = true;
    }
  }
  w.u8(hasMeta ? 1 : 0);
  if (!hasMeta) return;
  for (let i = 0; i < n; i++) {
    const m = metas![i];
    const keys = m ? Object.keys(m) : [];
    w.varint(keys.length);
    for (const k of keys) {
      w.str(k);
      w.str(m![k]!);
    }
  }
}

/**
 * Serialises entries (already in time order) into an uncompressed payload; `rawBytes` = UTF-8 bytes
 * of the lines. With `stripTimestamps`, lines holding their own timestamp as text are stored
 * without it (version 2; version 1 when no line does).
 */
export function serializeEntries(entries: readonly Entry[], opts: { stripTimestamps?: boolean } = {}): { buf: Buffer; rawBytes: number } {
  const n = entries.length;
  let est = 64 + n * 12;
  for (let i = 0; i < n; i++) est += entries[i]!.line.length * 3;
  const w = new ByteWriter(est);
  const stripped = opts.stripTimestamps ? stripTimestamps(entries) : undefined;
  const lineText = stripped ?? entries.map((e) => e.line);
  writeTimestamps(
    w,
    entries.map((e) => e.ts),
    stripped ? PAYLOAD_VERSION_TS : PAYLOAD_VERSION,
  );
  let newline = false;
  for (let i = 0; i < n && !newline; i++) if (entries[i]!.line.indexOf('\n') >= 0) newline = true;
  let rawBytes = 0;
  if (stripped) for (let i = 0; i < n; i++) rawBytes += Buffer.byteLength(entries[i]!.line, 'utf8');
  if (!newline) {
    const joined = Buffer.from(lineText.join('\n'), 'utf8');
    if (!stripped) rawBytes = Math.max(0, joined.length - (n - 1));
    writeJoinedLines(w, joined);
  } else {
    const lines = lineText.map((l) => Buffer.from(l, 'utf8'));
    if (!stripped) rawBytes = lines.reduce((a, l) => a + l.length, 0);
    writeLengthLines(w, lines);
  }
  writeMetadata(
    w,
    n,
    entries.map((e) => e.metadata),
  );
  return { buf: w.finish(), rawBytes };
}

/** Parses an uncompressed payload. Throws RangeError on a malformed one. */
export function deserializeEntries(buf: Buffer): Entry[] {
  const r = new ByteReader(buf);
  const version = r.u8();
  if (version !== PAYLOAD_VERSION && version !== PAYLOAD_VERSION_TS) throw new RangeError(`unknown block payload version ${version}`);
  const n = r.varint();
  const ts: bigint[] = new Array(n);
  const mode = r.u8();
  if (mode === 0) {
    for (let i = 0; i < n; i++) ts[i] = r.i64();
  } else if (mode === 1) {
    let t = r.i64();
    const div = BigInt(10 ** r.u8());
    ts[0] = t;
    for (let i = 1; i < n; i++) {
      t += BigInt(r.varint()) * div;
      ts[i] = t;
    }
  } else {
    throw new RangeError(`unknown timestamp mode ${mode}`);
  }
  const out: Entry[] = new Array(n);
  const linesMode = r.u8();
  if (linesMode === LINES_JOINED) {
    const text = r.str();
    let p = 0;
    for (let i = 0; i < n; i++) {
      let e = i === n - 1 ? text.length : text.indexOf('\n', p);
      if (e < 0) e = text.length;
      out[i] = { ts: ts[i]!, line: text.slice(p, e) };
      p = e + 1;
    }
  } else if (linesMode === LINES_LENGTHS) {
    const lens: number[] = new Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) total += lens[i] = r.varint();
    const blob = r.bytes(total);
    let p = 0;
    for (let i = 0; i < n; i++) {
      const e = p + lens[i]!;
      out[i] = { ts: ts[i]!, line: blob.toString('utf8', p, e) };
      p = e;
    }
  } else {
    throw new RangeError(`unknown lines mode ${linesMode}`);
  }
  if (version === PAYLOAD_VERSION_TS) for (let i = 0; i < n; i++) out[i]!.line = restoreTimestamp(out[i]!.line, ts[i]!);
  if (r.u8() === 1) {
    for (let i = 0; i < n; i++) {
      const pairs = r.varint();
      if (pairs === 0) continue;
      const m: Labels = {};
      for (let j = 0; j < pairs; j++) {
        const k = r.str();
        setOwn(m, k, r.str());
      }
      out[i]!.metadata = m;
    }
  }
  return out;
}

/** Decompresses and decodes a block payload (the exact file region a 'file' BlockRef points at). */
export function decodeBlockPayload(buf: Buffer): Entry[] {
  return deserializeEntries(decompress(buf));
}
