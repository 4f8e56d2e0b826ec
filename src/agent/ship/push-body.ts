/**
 * One batch of streams as the bytes of a push request, in the configured output and encoding:
 * Loki protobuf (snappy) or JSON, or OTLP protobuf; optionally gzipped on top.
 */
import { gzipSync } from 'node:zlib';
import type { StreamPush } from '../../api/model.js';
import { encodeLokiPushJson, encodeOtlpLogsProto, encodePushRequest, OTLP_PROTOBUF } from '../../api/push/index.js';
import { toOtlpRequest } from './otlp-request.js';

export interface BodyFormat {
  output: 'loki' | 'otlp';
  encoding: 'protobuf' | 'json';
  compression: 'none' | 'gzip';
}

export interface EncodedBody {
  contentType: string;
  contentEncoding?: string;
  body: Buffer;
}

export function encodePushBody(streams: StreamPush[], format: BodyFormat): EncodedBody {
  let out: EncodedBody;
  if (format.output === 'otlp') out = { contentType: OTLP_PROTOBUF, body: encodeOtlpLogsProto(toOtlpRequest(streams)) };
  else if (format.encoding === 'json') out = encodeLokiPushJson({ streams });
  else out = { contentType: 'application/x-protobuf', body: encodePushRequest({ streams }) };
  // gzip level 1: most of the size win at a fraction of the CPU (snappy already squeezed protobuf).
  if (format.compression === 'gzip') out = { ...out, contentEncoding: 'gzip', body: gzipSync(out.body, { level: 1 }) };
  return out;
}
