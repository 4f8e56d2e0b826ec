/**
 * The parts of an OTLP ExportLogsServiceRequest we read, independent of wire format (protobuf or
 * OTLP/JSON). Field names follow opentelemetry-proto (collector/logs/v1, logs/v1, common/v1,
 * resource/v1).
 */

/** An OTLP int64 AnyValue, kept as its decimal text so no precision is lost. */
export class OtlpInt {
  constructor(readonly value: string) {}
}

/** An OTLP key-value list AnyValue (a nested map). */
export class OtlpKvList {
  constructor(readonly values: OtlpKeyValue[]) {}
}

/**
 * An AnyValue: string, bool, int (OtlpInt), double (number), bytes (Uint8Array), array,
 * kvlist (OtlpKvList), or null when unset.
 */
export type OtlpValue = string | boolean | number | OtlpInt | Uint8Array | OtlpValue[] | OtlpKvList | null;

export interface OtlpKeyValue {
  key: string;
  value: OtlpValue;
}

export interface OtlpLogRecord {
  /** 0n when unset. */
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: OtlpValue;
  attributes: OtlpKeyValue[];
  droppedAttributesCount: number;
  flags: number;
  /** Empty when unset. */
  traceId: Uint8Array;
  spanId: Uint8Array;
  eventName: string;
}

export interface OtlpScope {
  name: string;
  version: string;
  attributes: OtlpKeyValue[];
  droppedAttributesCount: number;
}

export interface OtlpScopeLogs {
  scope: OtlpScope;
  logRecords: OtlpLogRecord[];
}

export interface OtlpResourceLogs {
  attributes: OtlpKeyValue[];
  droppedAttributesCount: number;
  scopeLogs: OtlpScopeLogs[];
}

export interface OtlpLogsRequest {
  resourceLogs: OtlpResourceLogs[];
}

export const EMPTY_BYTES = new Uint8Array(0);

export function emptyScope(): OtlpScope {
  return { name: '', version: '', attributes: [], droppedAttributesCount: 0 };
}

export function emptyLogRecord(): OtlpLogRecord {
  return {
    timeUnixNano: 0n,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: null,
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: EMPTY_BYTES,
    spanId: EMPTY_BYTES,
    eventName: '',
  };
}
