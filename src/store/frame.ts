/**
 * Record framing for every append-only file of the store (WAL, streams table, block index):
 * `u32 length · u32 crc32(payload) · payload`. A torn tail — a crash mid-write leaves a short or
 * garbled last record — is detected by the length and the CRC, and the file is truncated there.
 */
import { crc32 } from 'node:zlib';

export const FRAME_HEADER = 8;
/** Larger "lengths" are treated as garbage rather than attempted. */
export const MAX_FRAME = 1 << 30;

/** Frames a payload that was written into `buf` after FRAME_HEADER reserved bytes. */
export function sealFrame(buf: Buffer): Buffer {
  const payload = buf.subarray(FRAME_HEADER);
  buf.writeUInt32LE(payload.length, 0);
  buf.writeUInt32LE(crc32(payload), 4);
  return buf;
}

export function frame(payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER + payload.length);
  payload.copy(out, FRAME_HEADER);
  return sealFrame(out);
}

export interface ScannedFrames {
  records: Buffer[];
  /** Offset just after the last intact record: where the file should be truncated. */
  validEnd: number;
}

export function scanFrames(buf: Buffer): ScannedFrames {
  const records: Buffer[] = [];
  let p = 0;
  while (p + FRAME_HEADER <= buf.length) {
    const len = buf.readUInt32LE(p);
    const crc = buf.readUInt32LE(p + 4);
    // Payloads are never empty, so a zero-filled tail (left by some filesystems) is not a record.
    if (len === 0 || len > MAX_FRAME || p + FRAME_HEADER + len > buf.length) break;
    const payload = buf.subarray(p + FRAME_HEADER, p + FRAME_HEADER + len);
    if (crc32(payload) !== crc) break;
    records.push(payload);
    p += FRAME_HEADER + len;
  }
  return { records, validEnd: p };
}
