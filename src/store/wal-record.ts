/**
 * The WAL record of one append: `u8 type (2) · str tenant · varint streams · streams ×
 * (str labels-JSON · varint entries · entries × (i64 ts · str line · varint ref · if ref = 1:
 * varint pairs · pairs × (str name · str value)))`, after the frame header and LSN that ./wal.ts
 * fills in. `ref` 0: no metadata; 1: a set follows, numbered 2, 3, … in the order the record
 * brings them; k ≥ 2: the set numbered k again. Labels travel as JSON rather than stream ids, so
 * replay can recreate streams that never reached streams.log.
 *
 * Type 1 (records written before issue #12's stop 17, still replayed) has `varint pairs · pairs ×
 * (str name · str value)` in place of `ref`: every entry's pairs again, although ingest hands the
 * store a few shared objects (one per level, per OTLP resource and scope) — ~20 bytes an entry for
 * detected_level, ~75 for OTLP, written, checksummed and fsynced with every push.
 */
import type { Entry, Labels } from '../api/model.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { setOwn } from './labels.js';
import { FRAME_HEADER, FRAME_MAGIC } from './frame.js';
import { WAL_RECORD_HEADER } from './wal.js';

/** Records before issue #12's stop 17: each entry's metadata pairs in full. */
const REC_APPEND_V1 = 1;
const REC_APPEND = 2;
/**
 * Objects remembered per record without condition; past that, only while references have been at
 * least as many as the objects remembered (an OTLP push of ~100 containers has hundreds of shared
 * objects), so objects made per entry (none met again) stop at 64. Every set is numbered anyway.
 */
const ALWAYS_NUMBERED = 64;
const MAX_NUMBERED = 1 << 16;

export interface AppendRecordStream {
  labels: Labels;
  entries: Entry[];
}

export function encodeAppendRecord(tenant: string, streams: ReadonlyArray<{ labels: Labels; key: string; entries: readonly Entry[] }>): Buffer {
  return encodeAppendRecordLines(tenant, streams).buf;
}

/**
 * A record and where each line's UTF-8 bytes sit in it: `lines[2j]` is the offset of entry j's
 * line (entries numbered across streams in order) and `lines[2j + 1]` its length in bytes. The
 * heads copy a line from there instead of encoding the string a second time (issue #12: every
 * line was encoded to UTF-8 for the WAL and again for its head).
 */
export interface EncodedAppendRecord {
  buf: Buffer;
  lines: Uint32Array;
  /** The whole buffer `buf` is the start of (from `bufferFor`, or a larger one if the estimate fell short). */
  backing: Buffer;
}

/** `bufferFor`: where a record of about `n` bytes is written (default: a new buffer). */
export function encodeAppendRecordLines(
  tenant: string,
  streams: ReadonlyArray<{ labels: Labels; key: string; entries: readonly Entry[] }>,
  bufferFor?: (n: number) => Buffer,
): EncodedAppendRecord {
  // Sized for ASCII plus slack; ByteWriter grows for wider text. Reserving 3 bytes per UTF-16
  // unit up front would triple the memory held by queued records. Metadata counts too (nearly
  // every entry has detected_level): without it the estimate fell short and the buffer was
  // doubled and copied for most records, measured at 2-6% of ingest's CPU.
  let est = WAL_RECORD_HEADER + 64 + tenant.length * 3;
  let count = 0;
  let lastMd: Labels | undefined;
  for (const { key, entries } of streams) {
    est += 16 + key.length * 3;
    count += entries.length;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const md = e.metadata;
      // An object met again is a reference of a byte or two (see the record layout above).
      if (md !== lastMd) {
        lastMd = md;
        est += metadataEstimate(md);
      }
      est += 13 + e.line.length;
    }
  }
  est += est >>> 5;
  const w = new ByteWriter(bufferFor ? bufferFor(est) : est);
  const lines = new Uint32Array(count * 2);
  w.pos = WAL_RECORD_HEADER;
  w.u8(REC_APPEND);
  w.str(tenant);
  w.varint(streams.length);
  // Each metadata object's reference (0: none or empty), once it has been written in full.
  const refs = new Map<Labels, number>();
  let sets = 0;
  let hits = 0;
  let j = 0;
  for (const { labels, entries } of streams) {
    w.str(JSON.stringify(labels));
    w.varint(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      w.i64(e.ts);
      const start = w.str(e.line);
      lines[j++] = start;
      lines[j++] = w.pos - start;
      const md = e.metadata;
      if (md === undefined) {
        w.u8(0);
        continue;
      }
      const ref = refs.get(md);
      if (ref !== undefined) {
        hits++;
        w.varint(ref);
        continue;
      }
      const keys = Object.keys(md);
      if (keys.length === 0) {
        w.u8(0);
        refs.set(md, 0);
        continue;
      }
      w.u8(1);
      w.varint(keys.length);
      for (let k = 0; k < keys.length; k++) {
        w.str(keys[k]!);
        w.str(md[keys[k]!]!);
      }
      // Numbered whether remembered or not: the reader numbers every set it is given.
      const n = refs.size;
      if (n < ALWAYS_NUMBERED || (hits >= n && n < MAX_NUMBERED)) refs.set(md, sets + 2);
      sets++;
    }
  }
  return { buf: w.finish(), lines, backing: w.buf };
}

/** About the bytes of one entry's metadata in a record (ASCII assumed, as for lines). */
function metadataEstimate(md: Labels | undefined): number {
  let n = 1;
  if (md !== undefined) for (const k in md) n += 2 + k.length + md[k]!.length;
  return n;
}

/** Decodes a record body (after the LSN); undefined for record types this version does not know. */
export function decodeAppendRecord(body: Buffer): { tenant: string; streams: AppendRecordStream[] } | undefined {
  const r = new ByteReader(body);
  const type = r.u8();
  if (type !== REC_APPEND && type !== REC_APPEND_V1) return undefined;
  const tenant = r.str();
  const n = r.varint();
  const streams: AppendRecordStream[] = [];
  // Type 2: the record's sets in order (entries referring to one share its object, as at ingest).
  const sets: Labels[] = [];
  for (let i = 0; i < n; i++) {
    const labels = JSON.parse(r.str()) as Labels;
    const count = r.varint();
    const entries: Entry[] = new Array(count);
    for (let j = 0; j < count; j++) {
      const ts = r.i64();
      const line = r.str();
      const e: Entry = { ts, line };
      if (type === REC_APPEND_V1) {
        const m = readPairs(r, r.varint());
        if (m) e.metadata = m;
      } else {
        const ref = r.varint();
        if (ref === 1) {
          const m = readPairs(r, r.varint());
          sets.push(m ? Object.freeze(m) : NO_PAIRS);
          if (m) e.metadata = m;
        } else if (ref > 1) {
          if (ref - 2 >= sets.length) throw new RangeError(`metadata reference ${ref} before its set`);
          const m = sets[ref - 2]!;
          if (m !== NO_PAIRS) e.metadata = m;
        }
      }
      entries[j] = e;
    }
    streams.push({ labels, entries });
  }
  return { tenant, streams };
}

/** A set of no pairs (never written, but numbered like any other if it were). */
const NO_PAIRS: Labels = Object.freeze({});

function readPairs(r: ByteReader, pairs: number): Labels | undefined {
  if (pairs === 0) return undefined;
  const m: Labels = {};
  for (let k = 0; k < pairs; k++) {
    const name = r.str();
    setOwn(m, name, r.str());
  }
  return m;
}

/**
 * Best effort: how many entries the WAL records in a damaged region held, read from their
 * (unverified) structure; undefined when it does not parse. Damage that flips bytes inside lines
 * leaves the counts readable, which is the common case; nothing read here is ever replayed.
 */
export function countDamagedEntries(region: Buffer): number | undefined {
  let total = 0;
  let p = 0;
  let any = false;
  while (p + 8 <= region.length) {
    const v2 = region.readUInt32LE(p) === FRAME_MAGIC;
    const header = v2 ? FRAME_HEADER : 8;
    if (p + header > region.length) break;
    const len = region.readUInt32LE(v2 ? p + 8 : p);
    if (len < 9 || p + header + len > region.length) break;
    try {
      const rec = decodeAppendRecord(region.subarray(p + header + 8, p + header + len));
      if (!rec) break;
      for (const s of rec.streams) total += s.entries.length;
      any = true;
    } catch {
      break;
    }
    p += header + len;
  }
  return any ? total : undefined;
}
