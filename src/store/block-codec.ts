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
 *                  2: templates and variable columns (./line-columns.ts; cold blocks unless
 *                     storage.cold_line_columns is false, "block format 3": readers before it reject the
 *                     block as an unknown lines mode)
 *   u8 metadata form · 0: none · 1: count × (varint pairs · pairs × (str name, str value))
 *                      2: a table of the distinct sets, then count × varint index (METADATA_TABLE)
 * Versions 1 and 2 store the whole as one zstd frame with its content checksum (level 1 by
 * default: measured best speed/ratio trade-off here).
 *
 * Split regions (what blocks are written as now; both older forms stay decodable): the file region
 * is `u8 SPLIT_MARKER · u32le S · S bytes: stats frame · body frame`, each a zstd frame of the
 * block's level with its checksum. The stats frame holds the layout above up to the end of the
 * timestamp column (the version byte still says whether lines are transformed), then count ×
 * varint UTF-8 byte length of each (original) line, then the metadata column (u8 form ·
 * ...). The body frame holds the lines column. Reading the first `SPLIT_HEADER + S` bytes of a
 * region gives timestamps, sizes and metadata without decompressing any line
 * (`decodeBlockStats`): count_over_time, rate and bytes_over_time without a pipeline need nothing
 * more (metadata joins the series labels). A legacy region starts with the
 * zstd magic (0x28 first), never with SPLIT_MARKER.
 */
import { Compressor, decompress } from 'zstd-napi';
import type { Entry, Labels } from '../api/model.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { setOwn } from './labels.js';
import { readLineColumns, skipLineColumns, writeLineColumns } from './line-columns.js';
import { restoreTimestamp, stripTimestamps } from './line-transform.js';
import { splitJoinedLines } from './joined-lines.js';

export const PAYLOAD_VERSION = 1;
/** The metadata column's first byte: no entry has metadata. */
const METADATA_NONE = 0;
/** Each entry's pairs in turn (what blocks sealed before issue #12's stop 17 hold; still read). */
const METADATA_PER_ENTRY = 1;
/**
 * `varint sets · sets × (varint pairs · pairs × (str name, str value)) · count × varint index`
 * (0 = none, k = the k-th set): written since issue #12's stop 17. Entries share a few sets (a
 * detected_level each, OTLP's resource pairs), which the per-entry form repeated: ~75 bytes an
 * OTLP entry that zstd compressed at every seal and the stats path re-read at every query.
 */
const METADATA_TABLE = 2;
/** Same layout; each line's own timestamp, where it appears as text, is an escape (cold blocks). */
export const PAYLOAD_VERSION_TS = 2;
/** First byte of a split region (see the layout above); a zstd frame starts with 0x28. */
export const SPLIT_MARKER = 0x53;
/** Marker and stats frame length. */
export const SPLIT_HEADER = 5;
/** Bytes a reader fetches first to find the stats frame; most blocks' whole stats prefix fits. */
export const STATS_PROBE_BYTES = 16 * 1024;
export const LINES_LENGTHS = 0;
export const LINES_JOINED = 1;
/** Templates and variable columns (./line-columns.ts); cold blocks since block format 3. */
export const LINES_COLUMNS = 2;
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
  if (ts instanceof BigInt64Array && ts.byteOffset % 4 === 0) return writeTimestampWords(w, ts, version);
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
  writeTimestampBody(w, ts, deltaOk ? deltas : undefined, scaleOk6 ? 6 : scaleOk3 ? 3 : 0);
}

/**
 * The column after its version and count: raw timestamps when `deltas` is undefined (a delta that
 * is negative or not exact as a double), else the first and the deltas divided by 10^`scale`.
 */
function writeTimestampBody(w: ByteWriter, ts: ArrayLike<bigint>, deltas: ArrayLike<number> | undefined, scale: number): void {
  if (!deltas) {
    w.u8(0);
    for (let i = 0; i < ts.length; i++) w.i64(ts[i]!);
    return;
  }
  w.u8(1);
  w.i64(ts[0]!);
  w.u8(scale);
  writeVarints(w, deltas, 10 ** scale);
}

/**
 * writeTimestamps for a BigInt64Array, the same bytes without a BigInt per timestamp: the deltas
 * are computed from the 32-bit halves (little-endian: low half first) as exact doubles.
 */
function writeTimestampWords(w: ByteWriter, ts: BigInt64Array, version: number): void {
  const n = ts.length;
  const words = new Int32Array(ts.buffer, ts.byteOffset, n * 2);
  const deltas = new Float64Array(n > 0 ? n - 1 : 0);
  let deltaOk = n > 0;
  let scaleOk6 = true;
  let scaleOk3 = true;
  for (let i = 1; i < n; i++) {
    // hi·2³² + lo (lo unsigned) differences: exact up to 2⁵³, and rounding keeps a larger or
    // negative difference out of range, so the checks decide as the BigInt ones do.
    const dh = words[2 * i + 1]! - words[2 * i - 1]!;
    const d = dh * 4294967296 + ((words[2 * i]! >>> 0) - (words[2 * i - 2]! >>> 0));
    if (d < 0 || d > Number.MAX_SAFE_INTEGER) {
      deltaOk = false;
      break;
    }
    deltas[i - 1] = d;
    // A multiple of 10⁶ is one of 10³; once not even that, the scale is 0 whatever follows. Below
    // 2³¹ the remainders are integer ones (a double's is a call into the runtime).
    if (scaleOk3) {
      const r3 = d < 0x80000000 ? (d | 0) % 1000 : d % 1000;
      if (r3 !== 0) scaleOk3 = scaleOk6 = false;
      else if (scaleOk6 && (d < 0x80000000 ? (d | 0) % 1_000_000 : d % 1_000_000) !== 0) scaleOk6 = false;
    }
  }
  w.u8(version);
  w.varint(n);
  writeTimestampBody(w, ts, deltaOk ? deltas : undefined, scaleOk6 ? 6 : scaleOk3 ? 3 : 0);
}

/**
 * `values[i] / div` as unsigned varints (the same bytes as ByteWriter.varint), with integer
 * operations below 2³¹: a block's sizes and timestamp deltas, thousands per seal.
 */
function writeVarints(w: ByteWriter, values: ArrayLike<number>, div = 1): void {
  const n = values.length;
  w.ensure(n * 8 + 8);
  const b = w.buf;
  let p = w.pos;
  for (let i = 0; i < n; i++) {
    let v = div === 1 ? values[i]! : values[i]! / div;
    if (v < 0x80000000) {
      let x = v | 0;
      while (x >= 0x80) {
        b[p++] = (x & 0x7f) | 0x80;
        x >>>= 7;
      }
      b[p++] = x;
    } else {
      while (v >= 0x80) {
        b[p++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
      b[p++] = v;
    }
  }
  w.pos = p;
}

/** Joined-lines column: `bytes` holds the lines separated by '\n' (none may contain one). */
export function writeJoinedLines(w: ByteWriter, bytes: Uint8Array): void {
  w.u8(LINES_JOINED);
  w.varint(bytes.length);
  w.bytes(bytes);
}

/** Columnar lines column (mode byte included), or nothing and false when the lines do not suit it. */
function writeColumns(w: ByteWriter, lines: readonly string[]): boolean {
  const at = w.pos;
  w.u8(LINES_COLUMNS);
  if (writeLineColumns(w, lines)) return true;
  w.pos = at;
  return false;
}

/** Length-prefixed lines column, for blocks where some line contains '\n'. */
export function writeLengthLines(w: ByteWriter, lines: Uint8Array[]): void {
  w.u8(LINES_LENGTHS);
  for (const l of lines) w.varint(l.length);
  for (const l of lines) w.bytes(l);
}

/**
 * Metadata column (`metas[i]` for entry i in block order; absent or empty = none), in the table
 * form (METADATA_TABLE): each distinct set once, then one index per entry.
 */
export function writeMetadata(w: ByteWriter, n: number, metas: ArrayLike<Labels | undefined> | undefined): void {
  let hasMeta = false;
  if (metas) {
    for (let i = 0; i < n && !hasMeta; i++) {
      const m = metas[i];
      if (m) for (const _ in m) {
        hasMeta = true;
        break;
      }
    }
  }
  if (!hasMeta) {
    w.u8(METADATA_NONE);
    return;
  }
  w.u8(METADATA_TABLE);
  // Sets by object (ingest shares a few objects per level and OTLP scope), then by bytes (heads
  // rebuilt from the WAL have an object per entry): the table holds each distinct set once.
  const byObject = new Map<Labels, number>();
  const byBytes = new Map<string, number>();
  const table = new ByteWriter(256);
  const index = new Uint32Array(n);
  let sets = 0;
  for (let i = 0; i < n; i++) {
    const m = metas![i];
    if (m === undefined) continue;
    let k = byObject.get(m);
    if (k === undefined) {
      const start = table.pos;
      const keys = Object.keys(m);
      if (keys.length === 0) {
        k = 0;
      } else {
        table.varint(keys.length);
        for (let j = 0; j < keys.length; j++) {
          table.str(keys[j]!);
          table.str(m[keys[j]!]!);
        }
        const bytes = table.buf.toString('latin1', start, table.pos);
        k = byBytes.get(bytes);
        if (k === undefined) byBytes.set(bytes, (k = ++sets));
        else table.pos = start;
      }
      byObject.set(m, k);
    }
    index[i] = k;
  }
  w.varint(sets);
  w.bytes(table.finish());
  writeVarints(w, index);
}

/**
 * Serialises entries (already in time order) into an uncompressed payload; `rawBytes` = UTF-8 bytes
 * of the lines. With `stripTimestamps`, lines holding their own timestamp as text are stored
 * without it (version 2; version 1 when no line does). With `columns`, the lines are stored as
 * templates and variable columns (lines mode 2) when that layout fits them (./line-columns.ts).
 */
export function serializeEntries(entries: readonly Entry[], opts: { stripTimestamps?: boolean; columns?: boolean } = {}): { buf: Buffer; rawBytes: number; sizes?: Uint32Array } {
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
  // Transformed or columnar lines: each original line's size, for compressBlock's stats frame.
  const sizes = stripped || opts.columns ? new Uint32Array(n) : undefined;
  if (sizes) for (let i = 0; i < n; i++) rawBytes += sizes[i] = Buffer.byteLength(entries[i]!.line, 'utf8');
  if (!(opts.columns && writeColumns(w, lineText))) {
    if (!newline) {
      const joined = Buffer.from(lineText.join('\n'), 'utf8');
      if (!sizes) rawBytes = Math.max(0, joined.length - (n - 1));
      writeJoinedLines(w, joined);
    } else {
      const lines = lineText.map((l) => Buffer.from(l, 'utf8'));
      if (!sizes) rawBytes = lines.reduce((a, l) => a + l.length, 0);
      writeLengthLines(w, lines);
    }
  }
  writeMetadata(
    w,
    n,
    entries.map((e) => e.metadata),
  );
  return sizes ? { buf: w.finish(), rawBytes, sizes } : { buf: w.finish(), rawBytes };
}

/** Parses an uncompressed payload. Throws RangeError on a malformed one. */
export function deserializeEntries(buf: Buffer): Entry[] {
  const r = new ByteReader(buf);
  const { version, ts } = readTimestampColumn(r);
  return readBody(r, version, ts);
}

/** Version, count and timestamp column (the start of every payload form). */
function readTimestampColumn(r: ByteReader): { version: number; ts: bigint[] } {
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
  return { version, ts };
}

/** Counts payload bodies decoded (lines decompressed and parsed): tests check the stats path avoids them. */
export const codecCounters = { bodies: 0 };

/** Lines and metadata columns, after the timestamp column. */
function readBody(r: ByteReader, version: number, ts: bigint[], metaReader: ByteReader = r): Entry[] {
  const n = ts.length;
  const lines = readLinesColumn(r, n, version === PAYLOAD_VERSION_TS ? ts : undefined);
  const out: Entry[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = { ts: ts[i]!, line: lines[i]! };
  // Entries with equal metadata share one frozen object: with Loki 3's detected_level nearly every
  // entry has metadata, and one object per entry made full scans markedly slower.
  const metas = readMetadataColumn(metaReader, n, true);
  if (metas) for (let i = 0; i < n; i++) if (metas[i]) out[i]!.metadata = metas[i]!;
  return out;
}

/**
 * The lines column of `n` entries: as stored, or with `ts` (version 2 payloads) with each line's
 * timestamp escapes restored (columnar lines restore them while assembling, ./line-columns.ts).
 */
export function readLinesColumn(r: ByteReader, n: number, ts?: ArrayLike<bigint>): string[] {
  codecCounters.bodies++;
  const linesMode = r.u8();
  if (linesMode === LINES_COLUMNS) return readLineColumns(r, n, ts);
  const lines = readStoredLines(r, n, linesMode);
  if (ts) for (let i = 0; i < n; i++) lines[i] = restoreTimestamp(lines[i]!, ts[i]!);
  return lines;
}

function readStoredLines(r: ByteReader, n: number, linesMode: number): string[] {
  if (linesMode === LINES_JOINED) {
    return splitJoinedLines(r.bytes(r.varint()), n);
  } else if (linesMode === LINES_LENGTHS) {
    const lens: number[] = new Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) total += lens[i] = r.varint();
    const blob = r.bytes(total);
    const out: string[] = new Array(n);
    let p = 0;
    for (let i = 0; i < n; i++) {
      const e = p + lens[i]!;
      out[i] = blob.toString('utf8', p, e);
      p = e;
    }
    return out;
  }
  throw new RangeError(`unknown lines mode ${linesMode}`);
}

/**
 * buf[a, a+len) equals buf[b, b+len). Metadata sets are short (`detected_level=info`): a loop beats
 * Buffer.compare's call into C++ for those, which cost ~0.1 µs an entry.
 */
function sameBytes(buf: Uint8Array, a: number, b: number, len: number): boolean {
  if (len > 64) return Buffer.compare(buf.subarray(a, a + len), buf.subarray(b, b + len)) === 0;
  for (let i = 0; i < len; i++) if (buf[a + i] !== buf[b + i]) return false;
  return true;
}

/**
 * The metadata column: each entry's metadata (undefined = none), or undefined when no entry has
 * any. With `intern`, entries with equal metadata share one (frozen) object, so readers can
 * cache by identity (the stats path).
 */
function readMetadataColumn(r: ByteReader, n: number, intern = false): Array<Labels | undefined> | undefined {
  const form = r.u8();
  if (form === METADATA_TABLE) return readMetadataTable(r, n, intern);
  if (form !== METADATA_PER_ENTRY) return undefined;
  const out: Array<Labels | undefined> = new Array<Labels | undefined>(n).fill(undefined);
  const seen = intern ? new Map<string, Labels>() : undefined;
  const buf = r.buf;
  // The first RECENT_SETS distinct sets' encoded bytes and labels, compared before the map is
  // asked (which needs a string per entry): a block usually holds a few (`detected_level` values)
  // interleaved, and a string and a hash per entry were ~7% of a parsing query (issue #12).
  const recentStart: number[] = [];
  const recentEnd: number[] = [];
  const recentLabels: Labels[] = [];
  let hit = 0;
  for (let i = 0; i < n; i++) {
    const start = r.pos;
    if (seen) {
      // Interned by the entry's encoded bytes: only a new set is decoded into strings.
      const pairs = r.varint();
      if (pairs === 0) continue;
      for (let j = 0; j < 2 * pairs; j++) {
        const len = r.varint();
        if (r.pos + len > buf.length) throw new RangeError('truncated metadata');
        r.pos += len;
      }
      const end = r.pos;
      const found = recentSet(buf, start, end, recentStart, recentEnd, hit);
      if (found >= 0) {
        out[i] = recentLabels[(hit = found)];
        continue;
      }
      const prev = seen.get(buf.toString('latin1', start, end));
      if (prev) {
        out[i] = prev;
        continue;
      }
      r.pos = start;
    }
    const pairs = r.varint();
    if (pairs === 0) continue;
    const m: Labels = {};
    for (let j = 0; j < pairs; j++) {
      const k = r.str();
      setOwn(m, k, r.str());
    }
    out[i] = m;
    if (seen) {
      seen.set(buf.toString('latin1', start, r.pos), Object.freeze(m));
      if (recentLabels.length < RECENT_SETS) {
        recentStart.push(start);
        recentEnd.push(r.pos);
        recentLabels.push(m);
      }
    }
  }
  return out;
}

const RECENT_SETS = 8;

/** The table form's sets and indexes (see METADATA_TABLE); with `intern`, the sets are frozen. */
function readMetadataTable(r: ByteReader, n: number, intern: boolean): Array<Labels | undefined> {
  const count = r.varint();
  if (count > r.buf.length - r.pos) throw new RangeError(`metadata table of ${count} sets in ${r.buf.length - r.pos} bytes`);
  const sets: Labels[] = new Array<Labels>(count);
  for (let k = 0; k < count; k++) {
    const pairs = r.varint();
    const m: Labels = {};
    for (let j = 0; j < pairs; j++) {
      const name = r.str();
      setOwn(m, name, r.str());
    }
    sets[k] = intern ? Object.freeze(m) : m;
  }
  const out: Array<Labels | undefined> = new Array<Labels | undefined>(n).fill(undefined);
  for (let i = 0; i < n; i++) {
    const k = r.varint();
    if (k === 0) continue;
    if (k > count) throw new RangeError(`metadata index ${k} of ${count} sets`);
    // Without `intern` each entry gets its own object, as the per-entry form gives.
    out[i] = intern ? sets[k - 1]! : { ...sets[k - 1]! };
  }
  return out;
}

/** The index of the recent set whose bytes equal buf[start, end) (the last hit tried first), or -1. */
function recentSet(buf: Uint8Array, start: number, end: number, starts: number[], ends: number[], hit: number): number {
  const len = end - start;
  const k = starts.length;
  if (hit < k && ends[hit]! - starts[hit]! === len && sameBytes(buf, starts[hit]!, start, len)) return hit;
  for (let j = 0; j < k; j++) if (j !== hit && ends[j]! - starts[j]! === len && sameBytes(buf, starts[j]!, start, len)) return j;
  return -1;
}

/** Decompresses and decodes a block payload (the exact file region a 'file' BlockRef points at). */
export function decodeBlockPayload(buf: Buffer): Entry[] {
  if (buf.length > 0 && buf[0] === SPLIT_MARKER) {
    const s = splitStatsLength(buf);
    if (buf.length < SPLIT_HEADER + s) throw new RangeError('truncated split block');
    const stats = new ByteReader(decompress(buf.subarray(SPLIT_HEADER, SPLIT_HEADER + s)));
    const { version, ts } = readTimestampColumn(stats);
    for (let i = 0; i < ts.length; i++) stats.varint(); // sizes
    return readBody(new ByteReader(decompress(buf.subarray(SPLIT_HEADER + s))), version, ts, stats);
  }
  return deserializeEntries(decompress(buf));
}

/**
 * Timestamps (block order), each line's UTF-8 byte length, whether any entry has structured
 * metadata, and then each entry's metadata (undefined = none).
 */
export interface BlockStats {
  ts: BigInt64Array | bigint[];
  sizes: Uint32Array;
  hasMetadata: boolean;
  metadata?: Array<Labels | undefined>;
}

/** Length of the stats frame of a split region (`buf` holds at least its first SPLIT_HEADER bytes). */
export function splitStatsLength(buf: Uint8Array): number {
  if (buf.length < SPLIT_HEADER || buf[0] !== SPLIT_MARKER) throw new RangeError('not a split block');
  return (buf[1]! | (buf[2]! << 8) | (buf[3]! << 16)) + buf[4]! * 0x1000000;
}

/** True when `prefix` (the start of a region) is a split region, whose stats decodeBlockStats reads. */
export function isSplitRegion(prefix: Uint8Array): boolean {
  return prefix.length > 0 && prefix[0] === SPLIT_MARKER;
}

/**
 * The stats of a split region from a prefix holding at least its first SPLIT_HEADER + S bytes
 * (`splitStatsLength`); lines are not decompressed.
 */
export function decodeBlockStats(prefix: Buffer): BlockStats {
  const s = splitStatsLength(prefix);
  if (prefix.length < SPLIT_HEADER + s) throw new RangeError('truncated split block');
  const r = new ByteReader(decompress(prefix.subarray(SPLIT_HEADER, SPLIT_HEADER + s)));
  const { ts } = readTimestampColumn(r);
  const n = ts.length;
  const sizes = new Uint32Array(n);
  for (let i = 0; i < n; i++) sizes[i] = r.varint();
  const metadata = readMetadataColumn(r, n, true);
  return metadata ? { ts, sizes, hasMetadata: true, metadata } : { ts, sizes, hasMetadata: false };
}

/**
 * decodeBlockStats without a bigint per entry, for hot loops (the range aggregation workers):
 * `offsets[i]` = ts[i] - first in ns, exact (every offset is a safe integer). Falls back to
 * `ts` when the column cannot be represented so (raw timestamps, or a span beyond 2^53 ns).
 */
export function decodeBlockStatsPacked(
  prefix: Buffer,
): { version: number; first: bigint; offsets: Float64Array; sizes: Uint32Array; hasMetadata: boolean; metadata?: Array<Labels | undefined> } | BlockStats {
  const s = splitStatsLength(prefix);
  if (prefix.length < SPLIT_HEADER + s) throw new RangeError('truncated split block');
  const buf = decompress(prefix.subarray(SPLIT_HEADER, SPLIT_HEADER + s));
  const r = new ByteReader(buf);
  const version = r.u8();
  if (version !== PAYLOAD_VERSION && version !== PAYLOAD_VERSION_TS) throw new RangeError(`unknown block payload version ${version}`);
  const n = r.varint();
  if (r.u8() !== 1 || n === 0) return decodeBlockStats(prefix);
  const first = r.i64();
  const div = 10 ** r.u8();
  const offsets = new Float64Array(n);
  let off = 0;
  for (let i = 1; i < n; i++) {
    off += r.varint() * div;
    if (off > Number.MAX_SAFE_INTEGER) return decodeBlockStats(prefix);
    offsets[i] = off;
  }
  const sizes = new Uint32Array(n);
  for (let i = 0; i < n; i++) sizes[i] = r.varint();
  const metadata = readMetadataColumn(r, n, true);
  return metadata ? { version, first, offsets, sizes, hasMetadata: true, metadata } : { version, first, offsets, sizes, hasMetadata: false };
}

/** Stats of decoded entries (heads, legacy blocks). */
export function entriesStats(entries: readonly Entry[]): BlockStats {
  const n = entries.length;
  const ts: bigint[] = new Array(n);
  const sizes = new Uint32Array(n);
  let hasMetadata = false;
  for (let i = 0; i < n; i++) {
    const e = entries[i]!;
    ts[i] = e.ts;
    sizes[i] = Buffer.byteLength(e.line, 'utf8');
    if (!hasMetadata && e.metadata && Object.keys(e.metadata).length > 0) hasMetadata = true;
  }
  if (!hasMetadata) return { ts, sizes, hasMetadata };
  return { ts, sizes, hasMetadata, metadata: entries.map((e) => (e.metadata && Object.keys(e.metadata).length > 0 ? e.metadata : undefined)) };
}

/**
 * Compresses a serialised payload (versions 1/2 layout, as serializeEntries and Head.serialize
 * write it) into a split region (see the layout above). `sizes`: each original line's UTF-8 byte
 * length, required for version 2 payloads (their lines are transformed); computed from the lines
 * column otherwise.
 */
export function compressBlock(buf: Buffer, level = 1, sizes?: ArrayLike<number>): Buffer {
  const r = new ByteReader(buf);
  const { version, ts } = readTimestampColumn(r);
  const tsEnd = r.pos;
  const n = ts.length;
  // Skip the lines column, collecting sizes when they are the stored lines' own.
  const own = new Uint32Array(n);
  const linesMode = r.u8();
  if (linesMode === LINES_JOINED) {
    const len = r.varint();
    const blob = r.bytes(len);
    let p = 0;
    for (let i = 0; i < n; i++) {
      let e = i === n - 1 ? len : blob.indexOf(10, p);
      if (e < 0) e = len;
      own[i] = e - p;
      p = e + 1;
    }
  } else if (linesMode === LINES_LENGTHS) {
    let total = 0;
    for (let i = 0; i < n; i++) total += own[i] = r.varint();
    r.bytes(total);
  } else if (linesMode === LINES_COLUMNS) {
    if (!sizes) throw new RangeError('sizes are required for columnar lines');
    skipLineColumns(r, n);
  } else {
    throw new RangeError(`unknown lines mode ${linesMode}`);
  }
  const linesEnd = r.pos;
  if (version === PAYLOAD_VERSION_TS && !sizes) throw new RangeError('sizes are required for transformed lines');
  const sz = sizes ?? own;
  if (sz.length !== n) throw new RangeError(`${sz.length} line sizes for ${n} entries`);
  return compressParts(buf.subarray(0, tsEnd), buf.subarray(tsEnd, linesEnd), sz, buf.subarray(linesEnd), level);
}

/**
 * The split region of a payload given as its parts: `ts` its version, count and timestamp column,
 * `lines` its lines column, `sizes` each line's original UTF-8 length, `meta` its metadata column.
 * Sealing a head writes the parts itself (Head.sealParts), instead of a payload that compressBlock
 * would parse back (a BigInt per timestamp) and copy apart.
 */
export function compressParts(ts: Uint8Array, lines: Buffer, sizes: ArrayLike<number>, meta: Uint8Array, level = 1): Buffer {
  const n = sizes.length;
  const w = new ByteWriter(ts.length + n * 3 + meta.length + 8);
  w.bytes(ts);
  writeVarints(w, sizes);
  w.bytes(meta);
  const stats = compressPayload(w.finish(), level);
  const body = compressPayload(lines, level);
  const out = Buffer.allocUnsafe(SPLIT_HEADER + stats.length + body.length);
  out[0] = SPLIT_MARKER;
  out.writeUInt32LE(stats.length, 1);
  stats.copy(out, SPLIT_HEADER);
  body.copy(out, SPLIT_HEADER + stats.length);
  return out;
}
