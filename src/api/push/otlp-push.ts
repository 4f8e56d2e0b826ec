/**
 * OTLP/HTTP logs requests and responses (https://opentelemetry.io/docs/specs/otlp/#otlphttp):
 * Content-Type application/x-protobuf or application/json, optional gzip, deflate, zstd or snappy
 * Content-Encoding; success is 200 with an
 * empty ExportLogsServiceResponse in the request's encoding; failures carry a google.rpc.Status
 * { int32 code = 1; string message = 2; } in the request's encoding.
 */
import { LogwharfError, type ErrorCode } from '../errors.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, decodeContentEncoding, mediaType, unsnappy } from './body.js';
import type { PushBody } from './loki-push.js';
import type { OtlpLogsRequest } from './otlp-model.js';
import { parseOtlpLogsJson, readOtlpLogsJson } from './otlp-json.js';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { decodeOtlpLogsProto } from './otlp-proto.js';
import { ProtoWriter, WIRE_LEN, WIRE_VARINT } from './protobuf.js';

export const OTLP_PROTOBUF = 'application/x-protobuf';
export const OTLP_JSON = 'application/json';

export type OtlpEncoding = 'protobuf' | 'json';

/** Which OTLP encoding a Content-Type names, or undefined when it is not one of the two. */
export function otlpEncodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const t = mediaType(contentType);
  return t === OTLP_PROTOBUF ? 'protobuf' : t === OTLP_JSON ? 'json' : undefined;
}

/** Decodes an OTLP/HTTP logs body. 415 for other content types, 400 malformed, 413 oversize. */
export async function decodeOtlpLogs(req: PushBody, opts: { maxDecompressedBytes?: number; maxItems?: number } = {}): Promise<{ request: OtlpLogsRequest; encoding: OtlpEncoding }> {
  const encoding = otlpEncodingOf(req.contentType);
  if (!encoding) {
    throw new LogwharfError('unsupported_media_type', `content type: ${req.contentType ?? '(none)'} is not supported; use application/x-protobuf or application/json`);
  }
  const max = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  let body = await decodeContentEncoding(req.body, req.contentEncoding, max);
  // The OTel Collector can send snappy as a Content-Encoding of its own (block format).
  if ((req.contentEncoding ?? '').trim().toLowerCase() === 'snappy') body = unsnappy(body, max);
  if (encoding === 'protobuf') return { request: decodeOtlpLogsProto(body, opts.maxItems), encoding };
  const doc = parseOtlpLogsJson(body, opts.maxItems);
  // Parsing and reading a large JSON body are separate turns, so neither holds the loop long.
  await nextTurn();
  const request = readOtlpLogsJson(doc);
  return { request, encoding };
}

/** The empty ExportLogsServiceResponse in the given encoding. */
export function otlpSuccessResponse(encoding: OtlpEncoding): { contentType: string; body: Buffer } {
  return encoding === 'json' ? { contentType: OTLP_JSON, body: Buffer.from('{}') } : { contentType: OTLP_PROTOBUF, body: Buffer.alloc(0) };
}

/** gRPC status codes used in google.rpc.Status bodies. */
const GRPC_CODE: Partial<Record<ErrorCode, number>> = {
  rate_limited: 8, // RESOURCE_EXHAUSTED
  stream_limit: 8,
  payload_too_large: 8,
  unauthorized: 16, // UNAUTHENTICATED
  store_unavailable: 14, // UNAVAILABLE
  timeout: 4, // DEADLINE_EXCEEDED
  internal: 13, // INTERNAL
};

/**
 * The body of an OTLP error response for `err`, encoded like the request (protobuf when the request's
 * type was not understood). The HTTP status stays `err.status`.
 */
export function otlpErrorResponse(err: LogwharfError, requestContentType: string | undefined): { status: number; contentType: string; body: Buffer } {
  const code = GRPC_CODE[err.code] ?? (err.status >= 500 ? 13 : 3); // 3 = INVALID_ARGUMENT
  if (otlpEncodingOf(requestContentType) === 'json') {
    return { status: err.status, contentType: OTLP_JSON, body: Buffer.from(JSON.stringify({ code, message: err.message })) };
  }
  const w = new ProtoWriter(64 + err.message.length * 3);
  w.tag(1, WIRE_VARINT);
  w.uint32(code);
  w.tag(2, WIRE_LEN);
  w.string(err.message);
  return { status: err.status, contentType: OTLP_PROTOBUF, body: Buffer.from(w.finish()) };
}
