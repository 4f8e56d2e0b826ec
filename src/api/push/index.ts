/** Loki and OTLP push wire formats: decoding, encoding and the OTLP → Loki mapping. */
export { decodeLokiPush, encodeLokiPushJson, encodeLokiPushProtobuf, encodePushRequest, pushFormatOf, type DecodeOptions, type PushBody, type PushFormat } from './loki-push.js';
export { decodePushProto, encodePushProto } from './loki-proto.js';
export { decodePushJson, encodePushJson, parseNsString, parseRfc3339Nano } from './loki-json.js';
export { parseLabelString, LabelStringError } from './label-string.js';
export { DEFAULT_MAX_DECOMPRESSED_BYTES, decodeContentEncoding, mediaType, snappyCompress, unsnappy } from './body.js';
export type { DecodedPush, InvalidStream, InvalidStreamReason } from './decoded-push.js';
export { decodeOtlpLogs, otlpEncodingOf, otlpErrorResponse, otlpSuccessResponse, OTLP_JSON, OTLP_PROTOBUF, type OtlpEncoding } from './otlp-push.js';
export { decodeOtlpLogsProto, encodeOtlpLogsProto } from './otlp-proto.js';
export { decodeOtlpLogsJson, encodeOtlpLogsJson } from './otlp-json.js';
export { otlpToPush, otlpValueAsString, normalizeLabelName, OTLP_DEFAULT_INDEX_ATTRIBUTES, OTLP_UNKNOWN_SERVICE, type OtlpMappingOptions } from './otlp-mapping.js';
export * from './otlp-model.js';
