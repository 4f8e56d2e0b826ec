/**
 * Record framing for every append-only file of the store (WAL, streams table, block index).
 *
 * Two versions, told apart by the first u32 of a frame, so files written before v2 keep opening:
 * - v1 (before issue #8): `u32 length · u32 crc32(payload) · payload`; length < 2^30.
 * - v2: `u32 MAGIC · u32 crc32c(length · payload) · u32 length · payload`. MAGIC has its top bit
 *   set, so it is never a v1 length. The checksum is CRC-32C (Castagnoli, better error detection
 *   than CRC-32 and computed with SIMD by @node-rs/crc32) and covers the length too, and the
 *   magic lets a reader find the next record after a damaged one (`scanFrames` resynchronises).
 * Writers always write v2; a file may hold v1 frames followed by v2 ones.
 *
 * A torn tail (a crash mid-write leaves a short or garbled last record) is told from damage in
 * the middle by whether any intact record follows it.
 */
import { crc32 } from 'node:zlib';
import { crc32c } from '@node-rs/crc32';

/** Header bytes of a v2 frame (what writers reserve). */
export const FRAME_HEADER = 12;
const V1_HEADER = 8;
/** 'LWF2' with the top bit set: never a v1 length (those are < MAX_FRAME). */
export const FRAME_MAGIC = 0xb246574c;
const MAGIC_BYTES = Buffer.from([0x4c, 0x57, 0x46, 0xb2]);
/** Larger "lengths" are treated as garbage rather than attempted. */
export const MAX_FRAME = 1 << 30;

function v2Checksum(buf: Buffer, at: number, len: number): number {
  // Length and payload are contiguous: one pass over both.
  return crc32c(buf.subarray(at + 8, at + FRAME_HEADER + len));
}

/** Frames a payload that was written into `buf` after FRAME_HEADER reserved bytes. */
export function sealFrame(buf: Buffer): Buffer {
  const len = buf.length - FRAME_HEADER;
  buf.writeUInt32LE(FRAME_MAGIC, 0);
  buf.writeUInt32LE(len, 8);
  buf.writeUInt32LE(v2Checksum(buf, 0, len), 4);
  return buf;
}

export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  payload.copy(out, FRAME_HEADER);
  return sealFrame(out);
}

/** A region of a framed file that holds no intact record. */
export interface DamagedRegion {
  offset: number;
  length: number;
}

export interface ScannedFrames {
  records: Buffer[];
  /** Byte offset of each record's frame in the file (parallel to `records`). */
  offsets: number[];
  /**
   * Damaged regions: bytes that held no intact record although intact records follow them (or
   * a complete frame failing its checksum at the end). Their records are lost, the rest was read.
   */
  damaged: DamagedRegion[];
  /** Offset just after the last intact record: where the file should be truncated. */
  validEnd: number;
}

/** The record at `p` if it is an intact frame: its payload and its end. */
function frameAt(buf: Buffer, p: number): { payload: Buffer; end: number } | undefined {
  if (p + V1_HEADER > buf.length) return undefined;
  const first = buf.readUInt32LE(p);
  if (first === FRAME_MAGIC) {
    if (p + FRAME_HEADER > buf.length) return undefined;
    const len = buf.readUInt32LE(p + 8);
    if (len === 0 || len > MAX_FRAME || p + FRAME_HEADER + len > buf.length) return undefined;
    if (v2Checksum(buf, p, len) !== buf.readUInt32LE(p + 4)) return undefined;
    return { payload: buf.subarray(p + FRAME_HEADER, p + FRAME_HEADER + len), end: p + FRAME_HEADER + len };
  }
  // v1. Payloads are never empty, so a zero-filled tail (left by some filesystems) is not a record.
  const len = first;
  if (len === 0 || len > MAX_FRAME || p + V1_HEADER + len > buf.length) return undefined;
  const payload = buf.subarray(p + V1_HEADER, p + V1_HEADER + len);
  if (crc32(payload) !== buf.readUInt32LE(p + 4)) return undefined;
  return { payload, end: p + V1_HEADER + len };
}

function completeFrame(buf: Buffer, p: number): boolean {
  return p + FRAME_HEADER <= buf.length && buf.readUInt32LE(p) === FRAME_MAGIC && p + FRAME_HEADER + buf.readUInt32LE(p + 8) === buf.length;
}

/**
 * Offset of the next intact frame after the damaged one at `at`, or -1. When the damaged frame's
 * header still reads as v2 and an intact frame starts right after its extent, that extent is
 * trusted: bytes inside its payload (log lines, timestamps: input anyone can send) are then never
 * taken for frames. But the checksum covers the length too, so the length itself may be what was
 * damaged. That shows when frames inside the extent chain, intact and back to back, exactly up to
 * its end (a forged frame in a payload does not: the rest of the payload follows it); then the
 * extent is wrong and the scan resumes at the first intact frame after `at`, so no intact record
 * is skipped. Otherwise (no v2 header) the next v2 magic that starts an intact frame.
 */
function resync(buf: Buffer, at: number): number {
  if (at + FRAME_HEADER <= buf.length && buf.readUInt32LE(at) === FRAME_MAGIC) {
    const next = at + FRAME_HEADER + buf.readUInt32LE(at + 8);
    if (next < buf.length && frameAt(buf, next) && !extentIsWrong(buf, at, next)) return next;
  }
  for (let p = buf.indexOf(MAGIC_BYTES, at + 1); p >= 0; p = buf.indexOf(MAGIC_BYTES, p + 1)) {
    if (frameAt(buf, p)) return p;
  }
  return -1;
}

/** Whether some frames inside (at, next) chain, intact, exactly to `next`. */
function extentIsWrong(buf: Buffer, at: number, next: number): boolean {
  for (let p = buf.indexOf(MAGIC_BYTES, at + 1); p >= 0 && p < next; p = buf.indexOf(MAGIC_BYTES, p + 1)) {
    if (chainsTo(buf, p, next)) return true;
  }
  return false;
}

/** Whether intact frames follow each other from `p` to exactly `end`. */
function chainsTo(buf: Buffer, p: number, end: number): boolean {
  let q = p;
  while (q < end) {
    const f = frameAt(buf, q);
    if (!f) return false;
    q = f.end;
  }
  return q === end;
}

/**
 * Reads every intact record of a framed file. After a damaged frame the scan resumes at the next
 * intact v2 frame (found by its magic and checked by its checksum); damage with no intact record
 * after it is a torn tail (`validEnd`), not a damaged region.
 */
export function scanFrames(buf: Buffer): ScannedFrames {
  const records: Buffer[] = [];
  const offsets: number[] = [];
  const damaged: DamagedRegion[] = [];
  let p = 0;
  while (p < buf.length) {
    const f = frameAt(buf, p);
    if (f) {
      records.push(f.payload);
      offsets.push(p);
      p = f.end;
      continue;
    }
    const next = resync(buf, p);
    if (next < 0) {
      // A complete v2 frame that fails its checksum was written whole (and maybe acknowledged),
      // so it is damage, not a torn write; it is still cut off with the tail.
      if (completeFrame(buf, p)) damaged.push({ offset: p, length: buf.length - p });
      break;
    }
    damaged.push({ offset: p, length: next - p });
    p = next;
  }
  return { records, offsets, damaged, validEnd: p };
}
