/**
 * The WAL record of one append: `u8 type (1) · str tenant · varint streams · streams ×
 * (str labels-JSON · varint entries · entries × (i64 ts · str line · varint pairs · pairs ×
 * (str name · str value)))`, after the frame header and LSN that ./wal.ts fills in. Labels travel
 * as JSON rather than stream ids, so replay can recreate streams that never reached streams.log.
 */
import type { Entry, Labels } from '../api/model.js';
import { ByteReader, ByteWriter } from './bytes.js';
import { setOwn } from './labels.js';
import { MetadataBytes } from './metadata-bytes.js';
import { FRAME_HEADER, FRAME_MAGIC } from './frame.js';
import { WAL_RECORD_HEADER } from './wal.js';

const REC_APPEND = 1;

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
}

export function encodeAppendRecordLines(tenant: string, streams: ReadonlyArray<{ labels: Labels; key: string; entries: readonly Entry[] }>): EncodedAppendRecord {
  // Sized for ASCII plus slack; ByteWriter grows for wider text. Reserving 3 bytes per UTF-16
  // unit up front would triple the memory held by queued records. Metadata counts too (nearly
  // every entry has detected_level): without it the estimate fell short and the buffer was
  // doubled and copied for most records, measured at 2-6% of ingest's CPU.
  let est = WAL_RECORD_HEADER + 64 + tenant.length * 3;
  let count = 0;
  let lastMd: Labels | undefined;
  let lastMdEst = 1;
  for (const { key, entries } of streams) {
    est += 16 + key.length * 3;
    count += entries.length;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      const md = e.metadata;
      if (md !== lastMd) {
        lastMd = md;
        lastMdEst = metadataEstimate(md);
      }
      est += 12 + e.line.length + lastMdEst;
    }
  }
  est += est >>> 5;
  const w = new ByteWriter(est);
  const lines = new Uint32Array(count * 2);
  w.pos = WAL_RECORD_HEADER;
  w.u8(REC_APPEND);
  w.str(tenant);
  w.varint(streams.length);
  const meta = new MetadataBytes();
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
      meta.write(w, e.metadata);
    }
  }
  return { buf: w.finish(), lines };
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
  if (r.u8() !== REC_APPEND) return undefined;
  const tenant = r.str();
  const n = r.varint();
  const streams: AppendRecordStream[] = [];
  for (let i = 0; i < n; i++) {
    const labels = JSON.parse(r.str()) as Labels;
    const count = r.varint();
    const entries: Entry[] = new Array(count);
    for (let j = 0; j < count; j++) {
      const ts = r.i64();
      const line = r.str();
      const pairs = r.varint();
      const e: Entry = { ts, line };
      if (pairs > 0) {
        const m: Labels = {};
        for (let k = 0; k < pairs; k++) {
          const name = r.str();
          setOwn(m, name, r.str());
        }
        e.metadata = m;
      }
      entries[j] = e;
    }
    streams.push({ labels, entries });
  }
  return { tenant, streams };
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
