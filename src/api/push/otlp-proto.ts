/**
 * OTLP logs over protobuf: decoding ExportLogsServiceRequest and encoding it (the encoder exists for
 * tests and for our own agent). Field numbers from opentelemetry-proto:
 *   ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
 *   ResourceLogs { Resource resource = 1; repeated ScopeLogs scope_logs = 2; string schema_url = 3; }
 *   Resource { repeated KeyValue attributes = 1; uint32 dropped_attributes_count = 2; }
 *   ScopeLogs { InstrumentationScope scope = 1; repeated LogRecord log_records = 2; string schema_url = 3; }
 *   InstrumentationScope { string name = 1; string version = 2; repeated KeyValue attributes = 3;
 *                          uint32 dropped_attributes_count = 4; }
 *   LogRecord { fixed64 time_unix_nano = 1; SeverityNumber severity_number = 2; string severity_text = 3;
 *               AnyValue body = 5; repeated KeyValue attributes = 6; uint32 dropped_attributes_count = 7;
 *               fixed32 flags = 8; bytes trace_id = 9; bytes span_id = 10;
 *               fixed64 observed_time_unix_nano = 11; string event_name = 12; }
 *   KeyValue { string key = 1; AnyValue value = 2; }
 *   AnyValue { oneof { string string_value = 1; bool bool_value = 2; int64 int_value = 3;
 *              double double_value = 4; ArrayValue array_value = 5; KeyValueList kvlist_value = 6;
 *              bytes bytes_value = 7; } }
 *   ArrayValue { repeated AnyValue values = 1; }  KeyValueList { repeated KeyValue values = 1; }
 */
import { ProtoReader, ProtoWriter, WIRE_FIXED32, WIRE_FIXED64, WIRE_LEN, WIRE_VARINT, protoError } from './protobuf.js';
import { DEFAULT_MAX_PUSH_ITEMS, tooManyItems } from './decoded-push.js';
import {
  OtlpInt,
  OtlpKvList,
  emptyLogRecord,
  emptyScope,
  type OtlpKeyValue,
  type OtlpLogRecord,
  type OtlpLogsRequest,
  type OtlpResourceLogs,
  type OtlpScopeLogs,
  type OtlpValue,
} from './otlp-model.js';

/** Nesting bound for AnyValue arrays and maps; deeper input is hostile, not telemetry. */
export const MAX_ANYVALUE_DEPTH = 64;

// Items (resources, scopes, records, key-values, array elements) left in the current decode; the
// decoders are synchronous, so one module-level budget is enough.
let budget = 0;
let budgetLimit = 0;
function spend(): void {
  if (--budget < 0) throw tooManyItems(budgetLimit);
}

/** Runs `fn` with the reader narrowed to [pos, end), restoring the outer bound afterwards. */
function sub<T>(r: ProtoReader, end: number, fn: () => T): T {
  const outer = r.end;
  r.end = end;
  try {
    return fn();
  } finally {
    r.end = outer;
    r.pos = end;
  }
}

/**
 * `fn(r, arg)` with the reader narrowed to [pos, end), for the per-record paths: no closure to
 * allocate, and no restoring on a throw, which abandons the whole decode (the reader is its own).
 */
function within<A, T>(r: ProtoReader, end: number, fn: (r: ProtoReader, arg: A) => T, arg: A): T {
  const outer = r.end;
  r.end = end;
  const v = fn(r, arg);
  r.end = outer;
  r.pos = end;
  return v;
}

function msgEnd(r: ProtoReader, tag: number, field: string): number {
  r.expect(tag, WIRE_LEN, field);
  return r.lenEnd();
}

/**
 * Decodes an ExportLogsServiceRequest. 400 on malformed bytes; 413 beyond `maxItems` resources,
 * scopes, records, attributes and array elements together.
 */
export function decodeOtlpLogsProto(buf: Buffer, maxItems = DEFAULT_MAX_PUSH_ITEMS * 4): OtlpLogsRequest {
  budget = budgetLimit = maxItems;
  const r = new ProtoReader(buf);
  const out: OtlpLogsRequest = { resourceLogs: [] };
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      const e = msgEnd(r, tag, 'ExportLogsServiceRequest.resource_logs');
      out.resourceLogs.push(sub(r, e, () => readResourceLogs(r)));
    } else r.skip(tag & 7);
  }
  return out;
}

function readResourceLogs(r: ProtoReader): OtlpResourceLogs {
  spend();
  const rl: OtlpResourceLogs = { attributes: [], droppedAttributesCount: 0, scopeLogs: [] };
  while (r.pos < r.end) {
    const tag = r.tag();
    const f = tag >>> 3;
    if (f === 1) {
      const e = msgEnd(r, tag, 'ResourceLogs.resource');
      sub(r, e, () => {
        while (r.pos < r.end) {
          const t = r.tag();
          if (t >>> 3 === 1) {
            const ke = msgEnd(r, t, 'Resource.attributes');
            rl.attributes.push(within(r, ke, readKeyValue, 0));
          } else if (t >>> 3 === 2) {
            r.expect(t, WIRE_VARINT, 'Resource.dropped_attributes_count');
            rl.droppedAttributesCount = r.uint32();
          } else r.skip(t & 7);
        }
      });
    } else if (f === 2) {
      const e = msgEnd(r, tag, 'ResourceLogs.scope_logs');
      rl.scopeLogs.push(sub(r, e, () => readScopeLogs(r)));
    } else r.skip(tag & 7);
  }
  return rl;
}

function readScopeLogs(r: ProtoReader): OtlpScopeLogs {
  spend();
  const sl: OtlpScopeLogs = { scope: emptyScope(), logRecords: [] };
  while (r.pos < r.end) {
    const tag = r.tag();
    const f = tag >>> 3;
    if (f === 2) {
      const e = msgEnd(r, tag, 'ScopeLogs.log_records');
      sl.logRecords.push(within(r, e, readLogRecord, undefined));
    } else if (f === 1) {
      const e = msgEnd(r, tag, 'ScopeLogs.scope');
      const s = sl.scope;
      sub(r, e, () => {
        while (r.pos < r.end) {
          const t = r.tag();
          switch (t >>> 3) {
            case 1:
              r.expect(t, WIRE_LEN, 'InstrumentationScope.name');
              s.name = r.string();
              break;
            case 2:
              r.expect(t, WIRE_LEN, 'InstrumentationScope.version');
              s.version = r.string();
              break;
            case 3: {
              const ke = msgEnd(r, t, 'InstrumentationScope.attributes');
              s.attributes.push(within(r, ke, readKeyValue, 0));
              break;
            }
            case 4:
              r.expect(t, WIRE_VARINT, 'InstrumentationScope.dropped_attributes_count');
              s.droppedAttributesCount = r.uint32();
              break;
            default:
              r.skip(t & 7);
          }
        }
      });
    } else r.skip(tag & 7);
  }
  return sl;
}

function readLogRecord(r: ProtoReader, _: undefined): OtlpLogRecord {
  spend();
  const lr = emptyLogRecord();
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_FIXED64, 'LogRecord.time_unix_nano');
        lr.timeUnixNano = r.fixed64();
        break;
      case 2:
        r.expect(tag, WIRE_VARINT, 'LogRecord.severity_number');
        lr.severityNumber = r.uint32() | 0;
        break;
      case 3:
        r.expect(tag, WIRE_LEN, 'LogRecord.severity_text');
        lr.severityText = r.string();
        break;
      case 5: {
        const e = msgEnd(r, tag, 'LogRecord.body');
        lr.body = within(r, e, readAnyValue, 0);
        break;
      }
      case 6: {
        const e = msgEnd(r, tag, 'LogRecord.attributes');
        lr.attributes.push(within(r, e, readKeyValue, 0));
        break;
      }
      case 7:
        r.expect(tag, WIRE_VARINT, 'LogRecord.dropped_attributes_count');
        lr.droppedAttributesCount = r.uint32();
        break;
      case 8:
        r.expect(tag, WIRE_FIXED32, 'LogRecord.flags');
        lr.flags = r.fixed32();
        break;
      case 9:
        r.expect(tag, WIRE_LEN, 'LogRecord.trace_id');
        lr.traceId = new Uint8Array(r.bytes());
        break;
      case 10:
        r.expect(tag, WIRE_LEN, 'LogRecord.span_id');
        lr.spanId = new Uint8Array(r.bytes());
        break;
      case 11:
        r.expect(tag, WIRE_FIXED64, 'LogRecord.observed_time_unix_nano');
        lr.observedTimeUnixNano = r.fixed64();
        break;
      case 12:
        r.expect(tag, WIRE_LEN, 'LogRecord.event_name');
        lr.eventName = r.string();
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return lr;
}

function readKeyValue(r: ProtoReader, depth: number): OtlpKeyValue {
  spend();
  let key = '';
  let value: OtlpValue = null;
  while (r.pos < r.end) {
    const tag = r.tag();
    if (tag >>> 3 === 1) {
      r.expect(tag, WIRE_LEN, 'KeyValue.key');
      key = r.string();
    } else if (tag >>> 3 === 2) {
      const e = msgEnd(r, tag, 'KeyValue.value');
      value = within(r, e, readAnyValue, depth);
    } else r.skip(tag & 7);
  }
  return { key, value };
}

function readAnyValue(r: ProtoReader, depth: number): OtlpValue {
  if (depth > MAX_ANYVALUE_DEPTH) throw protoError(`AnyValue nested deeper than ${MAX_ANYVALUE_DEPTH}`, r.pos);
  let v: OtlpValue = null;
  while (r.pos < r.end) {
    const tag = r.tag();
    switch (tag >>> 3) {
      case 1:
        r.expect(tag, WIRE_LEN, 'AnyValue.string_value');
        v = r.string();
        break;
      case 2:
        r.expect(tag, WIRE_VARINT, 'AnyValue.bool_value');
        v = r.bool();
        break;
      case 3:
        r.expect(tag, WIRE_VARINT, 'AnyValue.int_value');
        v = new OtlpInt(String(r.int64()));
        break;
      case 4:
        r.expect(tag, WIRE_FIXED64, 'AnyValue.double_value');
        v = r.double();
        break;
      case 5: {
        const e = msgEnd(r, tag, 'AnyValue.array_value');
        v = sub(r, e, () => {
          const arr: OtlpValue[] = [];
          while (r.pos < r.end) {
            const t = r.tag();
            if (t >>> 3 === 1) {
              spend();
              const ve = msgEnd(r, t, 'ArrayValue.values');
              arr.push(within(r, ve, readAnyValue, depth + 1));
            } else r.skip(t & 7);
          }
          return arr;
        });
        break;
      }
      case 6: {
        const e = msgEnd(r, tag, 'AnyValue.kvlist_value');
        v = sub(r, e, () => {
          const kvs: OtlpKeyValue[] = [];
          while (r.pos < r.end) {
            const t = r.tag();
            if (t >>> 3 === 1) {
              const ke = msgEnd(r, t, 'KeyValueList.values');
              kvs.push(within(r, ke, readKeyValue, depth + 1));
            } else r.skip(t & 7);
          }
          return new OtlpKvList(kvs);
        });
        break;
      }
      case 7:
        r.expect(tag, WIRE_LEN, 'AnyValue.bytes_value');
        v = new Uint8Array(r.bytes());
        break;
      default:
        r.skip(tag & 7);
    }
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Encoding

export function encodeOtlpLogsProto(req: OtlpLogsRequest): Buffer {
  const w = new ProtoWriter(4096);
  for (const rl of req.resourceLogs) {
    w.tag(1, WIRE_LEN);
    const m = w.begin();
    w.tag(1, WIRE_LEN);
    const rm = w.begin();
    for (const kv of rl.attributes) writeKeyValue(w, 1, kv);
    if (rl.droppedAttributesCount) {
      w.tag(2, WIRE_VARINT);
      w.uint32(rl.droppedAttributesCount);
    }
    w.end(rm);
    for (const sl of rl.scopeLogs) {
      w.tag(2, WIRE_LEN);
      const sm = w.begin();
      w.tag(1, WIRE_LEN);
      const scm = w.begin();
      if (sl.scope.name) {
        w.tag(1, WIRE_LEN);
        w.string(sl.scope.name);
      }
      if (sl.scope.version) {
        w.tag(2, WIRE_LEN);
        w.string(sl.scope.version);
      }
      for (const kv of sl.scope.attributes) writeKeyValue(w, 3, kv);
      if (sl.scope.droppedAttributesCount) {
        w.tag(4, WIRE_VARINT);
        w.uint32(sl.scope.droppedAttributesCount);
      }
      w.end(scm);
      for (const lr of sl.logRecords) {
        w.tag(2, WIRE_LEN);
        const lm = w.begin();
        writeLogRecord(w, lr);
        w.end(lm);
      }
      w.end(sm);
    }
    w.end(m);
  }
  return w.finish();
}

function writeLogRecord(w: ProtoWriter, lr: OtlpLogRecord): void {
  if (lr.timeUnixNano) {
    w.tag(1, WIRE_FIXED64);
    w.fixed64(lr.timeUnixNano);
  }
  if (lr.severityNumber) {
    w.tag(2, WIRE_VARINT);
    w.uint32(lr.severityNumber);
  }
  if (lr.severityText) {
    w.tag(3, WIRE_LEN);
    w.string(lr.severityText);
  }
  if (lr.body !== null) {
    w.tag(5, WIRE_LEN);
    const m = w.begin();
    writeAnyValue(w, lr.body);
    w.end(m);
  }
  for (const kv of lr.attributes) writeKeyValue(w, 6, kv);
  if (lr.droppedAttributesCount) {
    w.tag(7, WIRE_VARINT);
    w.uint32(lr.droppedAttributesCount);
  }
  if (lr.flags) {
    w.tag(8, WIRE_FIXED32);
    w.fixed32(lr.flags);
  }
  if (lr.traceId.length) {
    w.tag(9, WIRE_LEN);
    w.bytes(lr.traceId);
  }
  if (lr.spanId.length) {
    w.tag(10, WIRE_LEN);
    w.bytes(lr.spanId);
  }
  if (lr.observedTimeUnixNano) {
    w.tag(11, WIRE_FIXED64);
    w.fixed64(lr.observedTimeUnixNano);
  }
  if (lr.eventName) {
    w.tag(12, WIRE_LEN);
    w.string(lr.eventName);
  }
}

function writeKeyValue(w: ProtoWriter, field: number, kv: OtlpKeyValue): void {
  w.tag(field, WIRE_LEN);
  const m = w.begin();
  w.tag(1, WIRE_LEN);
  w.string(kv.key);
  if (kv.value !== null) {
    w.tag(2, WIRE_LEN);
    const vm = w.begin();
    writeAnyValue(w, kv.value);
    w.end(vm);
  }
  w.end(m);
}

function writeAnyValue(w: ProtoWriter, v: OtlpValue): void {
  if (v === null) return;
  if (typeof v === 'string') {
    w.tag(1, WIRE_LEN);
    w.string(v);
  } else if (typeof v === 'boolean') {
    w.tag(2, WIRE_VARINT);
    w.uint32(v ? 1 : 0);
  } else if (typeof v === 'number') {
    w.tag(4, WIRE_FIXED64);
    w.double(v);
  } else if (v instanceof OtlpInt) {
    w.tag(3, WIRE_VARINT);
    w.int64(BigInt(v.value));
  } else if (v instanceof Uint8Array) {
    w.tag(7, WIRE_LEN);
    w.bytes(v);
  } else if (Array.isArray(v)) {
    w.tag(5, WIRE_LEN);
    const m = w.begin();
    for (const x of v) {
      w.tag(1, WIRE_LEN);
      const xm = w.begin();
      writeAnyValue(w, x);
      w.end(xm);
    }
    w.end(m);
  } else {
    w.tag(6, WIRE_LEN);
    const m = w.begin();
    for (const kv of v.values) writeKeyValue(w, 1, kv);
    w.end(m);
  }
}
