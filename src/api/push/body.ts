/**
 * Request-body handling shared by the push formats: Content-Encoding (gzip, deflate, zstd), raw snappy
 * blocks for protobuf, Content-Type dispatch, and a bound on decompressed size so a small
 * compressed bomb cannot exhaust memory.
 */
import { gunzip, inflate } from 'node:zlib';
import { promisify } from 'node:util';
import { createRequire } from 'node:module';
import snappy from 'snappy';
import { LogwharfError } from '../errors.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);

interface ZstdDCtx {
  decompressStream(dst: Uint8Array, src: Uint8Array): [number, number, number];
}
// zstd-napi's streaming classes decode a whole chunk before anyone can count its output; its
// binding's DCtx lets us stop as soon as the bound is passed. Loaded on first use: the agent, which
// only encodes, never needs it (a native module is several MB of its memory).
let zstdBinding: { DCtx: new () => ZstdDCtx } | undefined;
function zstd(): { DCtx: new () => ZstdDCtx } {
  return (zstdBinding ??= createRequire(import.meta.url)('zstd-napi/binding.js') as { DCtx: new () => ZstdDCtx });
}

/** Default bound on a decompressed push body. Loki's gRPC limit is 100 MB; we keep memory lower. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export function tooLarge(size: number | string, limit: number): LogwharfError {
  return new LogwharfError('payload_too_large', `request body too large: ${size} bytes, limit: ${limit} bytes`);
}

/** The media type without parameters, lower-cased: `Application/JSON; charset=utf-8` → `application/json`. */
export function mediaType(contentType: string | undefined): string {
  if (!contentType) return '';
  const semi = contentType.indexOf(';');
  return (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/**
 * Undoes Content-Encoding: gzip, deflate and zstd (as Loki 3 reads them). `snappy` and identity pass
 * through (snappy framing of Loki protobuf bodies is handled by `unsnappy`; Promtail sometimes
 * labels it as a Content-Encoding). Unknown encodings are rejected with Loki's message.
 */
export async function decodeContentEncoding(body: Buffer, encoding: string | undefined, maxBytes: number): Promise<Buffer> {
  const enc = (encoding ?? '').trim().toLowerCase();
  if (enc === '' || enc === 'identity' || enc === 'snappy') {
    if (body.length > maxBytes) throw tooLarge(body.length, maxBytes);
    return body;
  }
  if (enc === 'zstd') return unzstd(body, maxBytes);
  const fn = enc === 'gzip' || enc === 'x-gzip' ? gunzipAsync : enc === 'deflate' ? inflateAsync : undefined;
  if (!fn) throw new LogwharfError('invalid_push', `Content-Encoding ${JSON.stringify(encoding)} not supported`);
  try {
    return await fn(body, { maxOutputLength: maxBytes, chunkSize: fn === gunzipAsync ? gzipChunkSize(body, maxBytes) : DEFAULT_CHUNK });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) throw tooLarge(`more than ${maxBytes}`, maxBytes);
    throw new LogwharfError('invalid_push', `invalid ${enc} body: ${(e as Error).message}`);
  }
}

// zlib's default output chunk is 16 KB: a 1 MB body took ~64 round trips to the thread pool and a
// concatenation, about 3x the CPU of inflating into one buffer (issue #12, docs/benchmarks.md).
const DEFAULT_CHUNK = 64 * 1024;
// Deflate cannot expand data more than ~1032:1, so a claimed size beyond that is a lie.
const MAX_DEFLATE_RATIO = 1032;

/**
 * The output chunk for a gzip body: the size its trailer declares (ISIZE, the last member's
 * length mod 2^32), so one buffer holds it all, bounded by what the compressed bytes can expand
 * to and by `maxBytes` so a forged trailer cannot make us allocate more. A multi-member body, or
 * a wrong trailer, still decodes: zlib adds chunks as needed.
 */
export function gzipChunkSize(body: Buffer, maxBytes: number): number {
  if (body.length < 18) return DEFAULT_CHUNK;
  const declared = body.readUInt32LE(body.length - 4);
  // +1: with exactly the declared size zlib needs one more call to see the stream's end.
  const size = Math.min(declared + 1, body.length * MAX_DEFLATE_RATIO + 64, maxBytes + 1);
  return Math.max(DEFAULT_CHUNK, size);
}

/** Decompresses zstd frames, failing with 413 as soon as the output passes `maxBytes`. */
export function unzstd(body: Buffer, maxBytes: number): Buffer {
  const ctx = new (zstd().DCtx)();
  const chunks: Buffer[] = [];
  let total = 0;
  let src: Buffer = body;
  let inFrame = false;
  try {
    for (;;) {
      const dst = Buffer.allocUnsafe(128 * 1024);
      const [ret, produced, consumed] = ctx.decompressStream(dst, src);
      total += produced;
      if (total > maxBytes) throw tooLarge(`more than ${maxBytes}`, maxBytes);
      if (produced > 0) chunks.push(dst.subarray(0, produced));
      src = src.subarray(consumed);
      inFrame = ret !== 0;
      if (src.length === 0 && (produced < dst.length || ret === 0)) break;
      if (consumed === 0 && produced === 0) throw new Error('no progress');
    }
  } catch (e) {
    if (e instanceof LogwharfError) throw e;
    throw new LogwharfError('invalid_push', `invalid zstd body: ${(e as Error).message}`);
  }
  if (inFrame) throw new LogwharfError('invalid_push', 'invalid zstd body: truncated frame');
  return Buffer.concat(chunks, total);
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
  if (body.length === 0) throw new LogwharfError('invalid_push', 'empty request body: expected a snappy-compressed protobuf PushRequest');
  const declared = snappyDeclaredLength(body);
  if (declared < 0) throw new LogwharfError('invalid_push', 'invalid snappy body: corrupt length header');
  // A snappy element expands at most ~21x (a 3-byte copy yields 64 bytes): a longer claim is corrupt
  // input, not a large body.
  if (declared > body.length * SNAPPY_MAX_EXPANSION + 64) {
    throw new LogwharfError('invalid_push', `invalid snappy body: declared length ${declared} cannot come from ${body.length} bytes`);
  }
  // Checked before decompressing: the declared length is what the decoder allocates.
  if (declared > maxBytes) throw tooLarge(declared, maxBytes);
  try {
    // copyOutputData: an external (mmap-backed) buffer per call costs ~3x more CPU in page faults than the copy.
    return snappy.uncompressSync(body, { asBuffer: true, copyOutputData: true }) as Buffer;
  } catch (e) {
    throw new LogwharfError('invalid_push', `invalid snappy body: ${(e as Error).message}`);
  }
}

/** Compresses a raw snappy block. */
export function snappyCompress(body: Buffer): Buffer {
  return snappy.compressSync(body, { copyOutputData: true });
}
