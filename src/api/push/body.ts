/**
 * Request-body handling shared by the push formats: Content-Encoding (gzip, deflate), raw snappy
 * blocks for protobuf, Content-Type dispatch, and a bound on decompressed size so a small
 * compressed bomb cannot exhaust memory.
 */
import { gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import snappy from 'snappy';
import { LogharborError } from '../errors.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

/** Default bound on a decompressed push body. Loki's gRPC limit is 100 MB; we keep memory lower. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export function tooLarge(size: number | string, limit: number): LogharborError {
  return new LogharborError('payload_too_large', `request body too large: ${size} bytes, limit: ${limit} bytes`);
}

/** The media type without parameters, lower-cased: `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string {
  if (!contentType) return '';
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/**
 * Undoes Content-Encoding. `snappy` and identity pass through (snappy framing of protobuf bodies is
 * handled by `unsnappy`, as Loki does). Unknown encodings are rejected with Loki's message.
 */
export async function decodeContentEncoding(body: Buffer, encoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity' || enc === 'snappy') {
    if (body.length > maxBytes) throw tooLarge(body.length, maxBytes);
    return body;
  }
  const fn = enc === 'gzip' || enc === 'x-gzip' ? gunzipAsync : enc === 'deflate' ? inflateAsync : undefined;
  if (!fn) throw new LogharborError('invalid_push', `Content-Encoding ${JSON.stringify(encoding)} not supported`);
  try {
    return await fn(body, { maxOutputLength: maxBytes });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) throw tooLarge(`more than ${maxBytes}`, maxBytes);
    throw new LogharborError('invalid_push', `invalid ${enc} body: ${(e as Error).message}`);
  }
}

/** Reads the uncompressed length a raw snappy block declares (its varint prefix), or -1 if unreadable. */
export function snappyDeclaredLength(b: Buffer): number {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 5 && i < b.length; i++) {
    const c = b[i]!;
    v += (c & 0x7f) * mul;
    if (c < 0x80) return v;
    mul *= 128;
  }
  return -1;
}

const SNAPPY_MAX_EXPANSION = 22;

/** Decompresses a raw snappy block (not the framed stream format), bounded by `maxBytes`. */
export function unsnappy(body: Buffer, maxBytes: number): Buffer {
  if (body.length === 0) throw new LogharborError('invalid_push', 'empty request body: expected a snappy-compressed protobuf PushRequest');
  const declared = snappyDeclaredLength(body);
  if (declared < 0) throw new LogharborError('invalid_push', 'invalid snappy body: corrupt length header');
  // A snappy element expands at most ~21x (a 3-byte copy yields 64 bytes): a longer claim is corrupt
  // input, not a large body.
  if (declared > body.length * SNAPPY_MAX_EXPANSION + 64) {
    throw new LogharborError('invalid_push', `invalid snappy body: declared length ${declared} cannot come from ${body.length} bytes`);
  }
  // Checked before decompressing: the declared length is what the decoder allocates.
  if (declared > maxBytes) throw tooLarge(declared, maxBytes);
  try {
    // copyOutputData: an external (mmap-backed) buffer per call costs ~3x more CPU in page faults than the copy.
    return snappy.uncompressSync(body, { asBuffer: true, copyOutputData: true }) as Buffer;
  } catch (e) {
    throw new LogharborError('invalid_push', `invalid snappy body: ${(e as Error).message}`);
  }
}

/** Compresses a raw snappy block. */
export function snappyCompress(body: Buffer): Buffer {
  return snappy.compressSync(body, { copyOutputData: true });
}
