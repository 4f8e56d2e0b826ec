/**
 * What the store knows about a sealed block without reading it, and the two on-disk forms of that
 * knowledge:
 * - the block header written in the segment file just before the payload (so a segment is
 *   self-describing for recovery tools and `logwharf fsck`): magic · u32 stream id · i64 minTs ·
 *   i64 maxTs · u32 entries · u32 raw bytes · u32 payload length · u32 checksum(payload) — 40
 *   bytes. Magic `LHB2` (written since issue #8): the checksum is CRC-32C; `LHB1` (older
 *   blocks, still read): CRC-32. The payload's zstd frames carry their own content checksum too,
 *   so a damaged payload never decodes into wrong lines;
 * - the record in the tenant's `index.log` (framed, see ./frame.ts), which also holds the token
 *   bloom and the WAL LSN up to which the stream is sealed, and is what start() loads. A block
 *   of the cold tier (recompressed by compaction, see ./compaction.ts) is recorded with type 3
 *   instead of 1, so compaction does not recompress it again; readers before it do not know it.
 */
import { crc32 } from 'node:zlib';
import { crc32c } from '@node-rs/crc32';
import { ByteReader, ByteWriter } from './bytes.js';

export const BLOCK_HEADER = 40;
const MAGIC_V1 = 0x3142484c; // 'LHB1' little-endian
const MAGIC = 0x3242484c; // 'LHB2'

export interface BlockMeta {
  streamId: number;
  minTs: bigint;
  maxTs: bigint;
  entries: number;
  rawBytes: number;
  /** Segment file number and the payload's region in it (after the header). */
  segment: number;
  offset: number;
  length: number;
  /** Every WAL record with LSN ≤ this one for this stream is in sealed blocks. */
  lsn: number;
  bloom: Uint8Array;
  /** Written by the cold tier of compaction (merged and recompressed at the cold level). */
  cold?: boolean;
}

export function blockHeader(m: Pick<BlockMeta, 'streamId' | 'minTs' | 'maxTs' | 'entries' | 'rawBytes'>, payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(BLOCK_HEADER);
  b.writeUInt32LE(MAGIC, 0);
  b.writeUInt32LE(m.streamId, 4);
  b.writeBigInt64LE(m.minTs, 8);
  b.writeBigInt64LE(m.maxTs, 16);
  b.writeUInt32LE(m.entries, 24);
  b.writeUInt32LE(Math.min(m.rawBytes, 0xffffffff), 28);
  b.writeUInt32LE(payload.length, 32);
  b.writeUInt32LE(crc32c(payload), 36);
  return b;
}

/** What a block header says about the payload after it. */
export interface BlockHeaderInfo {
  /** Offset of the header in the segment file. */
  offset: number;
  streamId: number;
  entries: number;
  /** Payload length. */
  length: number;
  checksum: number;
  v2: boolean;
}

export function readBlockHeader(buf: Buffer, offset: number): BlockHeaderInfo | undefined {
  if (offset + BLOCK_HEADER > buf.length) return undefined;
  const magic = buf.readUInt32LE(offset);
  if (magic !== MAGIC && magic !== MAGIC_V1) return undefined;
  return { offset, streamId: buf.readUInt32LE(offset + 4), entries: buf.readUInt32LE(offset + 24), length: buf.readUInt32LE(offset + 32), checksum: buf.readUInt32LE(offset + 36), v2: magic === MAGIC };
}

/** Whether `payload` matches the checksum of its header. */
export function payloadChecksumOk(h: BlockHeaderInfo, payload: Buffer): boolean {
  return (h.v2 ? crc32c(payload) : crc32(payload)) === h.checksum;
}

/**
 * The blocks of a segment file in order, as their headers describe them, stopping at the first
 * place that is not a block header (the end, or damage: later blocks are then not walked).
 */
export function* walkBlockHeaders(buf: Buffer): Generator<BlockHeaderInfo> {
  let p = 0;
  for (;;) {
    const h = readBlockHeader(buf, p);
    if (!h || p + BLOCK_HEADER + h.length > buf.length) return;
    yield h;
    p += BLOCK_HEADER + h.length;
  }
}

const REC_BLOCK = 1;
const REC_STREAM_LSN = 2;
const REC_COLD_BLOCK = 3;

export function encodeBlockRecord(m: BlockMeta): Buffer {
  const w = new ByteWriter(64 + m.bloom.length);
  w.u8(m.cold ? REC_COLD_BLOCK : REC_BLOCK);
  w.varint(m.streamId);
  w.i64(m.minTs);
  w.i64(m.maxTs);
  w.varint(m.entries);
  w.varint(m.rawBytes);
  w.varint(m.segment);
  w.varint(m.offset);
  w.varint(m.length);
  w.varint(m.lsn);
  w.varint(m.bloom.length);
  w.bytes(m.bloom);
  return w.finish();
}

/** Keeps a stream's sealed LSN when all its blocks are gone (written on index rewrites). */
export function encodeStreamLsnRecord(streamId: number, lsn: number): Buffer {
  const w = new ByteWriter(24);
  w.u8(REC_STREAM_LSN);
  w.varint(streamId);
  w.varint(lsn);
  return w.finish();
}

export type IndexRecord = { kind: 'block'; meta: BlockMeta } | { kind: 'lsn'; streamId: number; lsn: number };

export function decodeIndexRecord(buf: Buffer): IndexRecord {
  const r = new ByteReader(buf);
  const type = r.u8();
  if (type === REC_STREAM_LSN) return { kind: 'lsn', streamId: r.varint(), lsn: r.varint() };
  if (type !== REC_BLOCK && type !== REC_COLD_BLOCK) throw new RangeError(`unknown index record type ${type}`);
  const streamId = r.varint();
  const minTs = r.i64();
  const maxTs = r.i64();
  const entries = r.varint();
  const rawBytes = r.varint();
  const segment = r.varint();
  const offset = r.varint();
  const length = r.varint();
  const lsn = r.varint();
  // Copy the bloom out of the file buffer so the buffer can be freed.
  const bloom = new Uint8Array(r.bytes(r.varint()));
  const meta: BlockMeta = { streamId, minTs, maxTs, entries, rawBytes, segment, offset, length, lsn, bloom };
  if (type === REC_COLD_BLOCK) meta.cold = true;
  return { kind: 'block', meta };
}
