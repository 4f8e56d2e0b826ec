/**
 * Decoding and encoding of a whole Loki push request body, as Loki's distributor reads it
 * (pkg/loghttp/push/push.go): Content-Encoding first, then `application/json` (any parameters) is
 * JSON and every other Content-Type, including none, is snappy-compressed protobuf.
 */
import type { PushRequest } from '../model.js';
import { DEFAULT_MAX_DECOMPRESSED_BYTES, decodeContentEncoding, mediaType, snappyCompress, unsnappy } from './body.js';
import type { DecodedPush } from './decoded-push.js';
import { decodePushJson, encodePushJson } from './loki-json.js';
import { decodePushProto, encodePushProto } from './loki-proto.js';

export interface PushBody {
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
  body: Buffer;
}

export interface DecodeOptions {
  /** Bound on the decompressed body; larger bodies fail with 413. */
  maxDecompressedBytes?: number;
  /** Bound on streams plus entries in one request (413 above it); DEFAULT_MAX_PUSH_ITEMS when absent. */
  maxItems?: number;
}

export type PushFormat = 'json' | 'protobuf';

export function pushFormatOf(contentType: string | undefined): PushFormat {
  return mediaType(contentType) === 'application/json' ? 'json' : 'protobuf';
}

/** Decodes a Loki push body. Throws LogwharfError: 400 for malformed input, 413 for oversize. */
export async function decodeLokiPush(req: PushBody, opts: DecodeOptions = {}): Promise<DecodedPush & { format: PushFormat }> {
  const max = opts.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  const body = await decodeContentEncoding(req.body, req.contentEncoding, max);
  const format = pushFormatOf(req.contentType);
  if (format === 'json') return { ...decodePushJson(body, opts.maxItems), format };
  return { ...decodePushProto(unsnappy(body, max), opts.maxItems), format };
}

/** Encodes a push request the way Promtail sends it: snappy-compressed protobuf. */
export function encodeLokiPushProtobuf(req: PushRequest): { contentType: string; body: Buffer } {
  return { contentType: 'application/x-protobuf', body: snappyCompress(encodePushProto(req)) };
}

/** Encodes a push request as Loki JSON. */
export function encodeLokiPushJson(req: PushRequest): { contentType: string; body: Buffer } {
  return { contentType: 'application/json', body: Buffer.from(encodePushJson(req)) };
}

/** The snappy-compressed protobuf body of a push request (Content-Type application/x-protobuf). */
export function encodePushRequest(req: PushRequest): Buffer {
  return snappyCompress(encodePushProto(req));
}
