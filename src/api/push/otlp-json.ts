/**
 * OTLP/JSON (https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding): the protobuf
 * messages mapped with lowerCamelCase names (the original snake_case names are accepted too, as
 * protobuf's JSON parser does), 64-bit integers as decimal strings or numbers, enums as integers
 * (names accepted), trace and span ids as hex, other bytes as base64.
 */
import { LogwharfError } from '../errors.js';
import {
  OtlpInt,
  OtlpKvList,
  emptyLogRecord,
  emptyScope,
  EMPTY_BYTES,
  type OtlpKeyValue,
  type OtlpLogRecord,
  type OtlpLogsRequest,
  type OtlpResourceLogs,
  type OtlpScopeLogs,
  type OtlpValue,
} from './otlp-model.js';
import { MAX_ANYVALUE_DEPTH } from './otlp-proto.js';
import { DEFAULT_MAX_PUSH_ITEMS, checkJsonItems } from './decoded-push.js';

type Obj = Record<string, unknown>;

function bad(msg: string): LogwharfError {
  return new LogwharfError('invalid_push', `invalid OTLP/JSON request: ${msg}`);
}

function typeName(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Reads field `camel` (or its snake_case form). */
function get(o: Obj, camel: string, snake?: string): unknown {
  const v = o[camel];
  return v !== undefined ? v : snake ? o[snake] : undefined;
}

/**
 * `where` names the element in error messages; helpers on per-record fields take the field name
 * separately and join the two only when they throw (a path string per field of 100,000 records cost
 * more than the parse itself).
 */
function at(where: string, field?: string): string {
  return field === undefined ? where : `${where}.${field}`;
}

function obj(v: unknown, where: string, field?: string): Obj | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(`${at(where, field)} must be an object, got ${typeName(v)}`);
  return v as Obj;
}

function arr(v: unknown, where: string, field?: string): unknown[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw bad(`${at(where, field)} must be an array, got ${typeName(v)}`);
  return v;
}

function str(v: unknown, where: string, field?: string): string {
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') throw bad(`${at(where, field)} must be a string, got ${typeName(v)}`);
  return v;
}

function uint(v: unknown, where: string, field?: string): number {
  if (v === undefined || v === null) return 0;
  const n = typeof v === 'string' && /^\d{1,10}$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 0xffffffff) throw bad(`${at(where, field)} must be an unsigned 32-bit integer, got ${JSON.stringify(v)}`);
  return n;
}

function u64(v: unknown, where: string, field?: string): bigint {
  if (v === undefined || v === null) return 0n;
  if (typeof v === 'string' && /^\d{1,20}$/.test(v)) {
    const b = BigInt(v);
    if (b < 1n << 64n) return b;
  }
  // protobuf's JSON parser accepts numbers for 64-bit fields; beyond 2^53 they arrive already rounded.
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 2 ** 64) return BigInt(v);
  throw bad(`${at(where, field)} must be an unsigned 64-bit integer as a decimal string, got ${JSON.stringify(v)}`);
}

function hexId(v: unknown, bytes: number, where: string, field?: string): Uint8Array {
  const s = str(v, where, field);
  // Shared: most records carry no trace context, and an allocation each showed in profiles.
  if (s === '') return EMPTY_BYTES;
  if (s.length !== bytes * 2 || !/^[0-9a-fA-F]+$/.test(s)) throw bad(`${at(where, field)} must be ${bytes * 2} hex digits, got ${JSON.stringify(s.slice(0, 80))}`);
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

const SEVERITY_NAMES = ['UNSPECIFIED', 'TRACE', 'TRACE2', 'TRACE3', 'TRACE4', 'DEBUG', 'DEBUG2', 'DEBUG3', 'DEBUG4', 'INFO', 'INFO2', 'INFO3', 'INFO4', 'WARN', 'WARN2', 'WARN3', 'WARN4', 'ERROR', 'ERROR2', 'ERROR3', 'ERROR4', 'FATAL', 'FATAL2', 'FATAL3', 'FATAL4'];

function severity(v: unknown, where: string, field?: string): number {
  if (typeof v === 'string' && v.startsWith('SEVERITY_NUMBER_')) {
    const i = SEVERITY_NAMES.indexOf(v.slice('SEVERITY_NUMBER_'.length));
    if (i >= 0) return i;
    throw bad(`${at(where, field)}: unknown severity ${JSON.stringify(v)}`);
  }
  if (v === undefined || v === null) return 0;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < -0x80000000 || v > 0x7fffffff) throw bad(`${at(where, field)} must be an integer, got ${JSON.stringify(v)}`);
  return v;
}

/** Decodes an OTLP/JSON ExportLogsServiceRequest body; 413 when it would build more than `maxItems` objects. */
export function decodeOtlpLogsJson(body: Buffer | string, maxItems = DEFAULT_MAX_PUSH_ITEMS * 4): OtlpLogsRequest {
  return readOtlpLogsJson(parseOtlpLogsJson(body, maxItems));
}

/**
 * The first half of decodeOtlpLogsJson: bound and JSON.parse. The server runs the two halves in
 * separate turns of the event loop, each about half of what one large body costs.
 */
export function parseOtlpLogsJson(body: Buffer | string, maxItems = DEFAULT_MAX_PUSH_ITEMS * 4): unknown {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  // OTLP/JSON needs several objects per item, so the pre-parse bound is generous and sufficient.
  checkJsonItems(buf, maxItems);
  const text = buf.toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw bad((e as Error).message);
  }
}

/** The second half of decodeOtlpLogsJson: a parsed document to a request, naming the first bad element. */
export function readOtlpLogsJson(doc: unknown): OtlpLogsRequest {
  const root = obj(doc, 'the request');
  if (!root) throw bad('expected an object at top level');
  const out: OtlpLogsRequest = { resourceLogs: [] };
  const rls = arr(get(root, 'resourceLogs', 'resource_logs'), 'resourceLogs');
  for (let i = 0; i < rls.length; i++) out.resourceLogs.push(readResourceLogs(rls[i], `resourceLogs[${i}]`));
  return out;
}

function readResourceLogs(v: unknown, where: string): OtlpResourceLogs {
  const o = obj(v, where) ?? {};
  const res = obj(o.resource, `${where}.resource`) ?? {};
  const rl: OtlpResourceLogs = {
    attributes: readAttributes(res.attributes, `${where}.resource.attributes`, 0),
    droppedAttributesCount: uint(get(res, 'droppedAttributesCount', 'dropped_attributes_count'), `${where}.resource.droppedAttributesCount`),
    scopeLogs: [],
  };
  const sls = arr(get(o, 'scopeLogs', 'scope_logs'), `${where}.scopeLogs`);
  for (let i = 0; i < sls.length; i++) rl.scopeLogs.push(readScopeLogs(sls[i], `${where}.scopeLogs[${i}]`));
  return rl;
}

function readScopeLogs(v: unknown, where: string): OtlpScopeLogs {
  const o = obj(v, where) ?? {};
  const sc = obj(o.scope, `${where}.scope`);
  const scope = emptyScope();
  if (sc) {
    scope.name = str(sc.name, `${where}.scope.name`);
    scope.version = str(sc.version, `${where}.scope.version`);
    scope.attributes = readAttributes(sc.attributes, `${where}.scope.attributes`, 0);
    scope.droppedAttributesCount = uint(get(sc, 'droppedAttributesCount', 'dropped_attributes_count'), `${where}.scope.droppedAttributesCount`);
  }
  const records = arr(get(o, 'logRecords', 'log_records'), `${where}.logRecords`);
  const logRecords: OtlpLogRecord[] = [];
  for (let i = 0; i < records.length; i++) logRecords.push(readLogRecord(records[i], `${where}.logRecords[${i}]`));
  return { scope, logRecords };
}

function readLogRecord(v: unknown, where: string): OtlpLogRecord {
  const o = obj(v, where) ?? {};
  const lr = emptyLogRecord();
  lr.timeUnixNano = u64(get(o, 'timeUnixNano', 'time_unix_nano'), where, 'timeUnixNano');
  lr.observedTimeUnixNano = u64(get(o, 'observedTimeUnixNano', 'observed_time_unix_nano'), where, 'observedTimeUnixNano');
  lr.severityNumber = severity(get(o, 'severityNumber', 'severity_number'), where, 'severityNumber');
  lr.severityText = str(get(o, 'severityText', 'severity_text'), where, 'severityText');
  lr.body = readAnyValue(o.body, where, 0, 'body');
  lr.attributes = readAttributes(o.attributes, where, 0, 'attributes');
  lr.droppedAttributesCount = uint(get(o, 'droppedAttributesCount', 'dropped_attributes_count'), where, 'droppedAttributesCount');
  lr.flags = uint(o.flags, where, 'flags');
  lr.traceId = hexId(get(o, 'traceId', 'trace_id'), 16, where, 'traceId');
  lr.spanId = hexId(get(o, 'spanId', 'span_id'), 8, where, 'spanId');
  lr.eventName = str(get(o, 'eventName', 'event_name'), where, 'eventName');
  return lr;
}

function readAttributes(v: unknown, whereOf: string, depth: number, field?: string): OtlpKeyValue[] {
  const list = arr(v, whereOf, field);
  const out: OtlpKeyValue[] = [];
  if (list.length === 0) return out;
  const where = at(whereOf, field);
  for (let i = 0; i < list.length; i++) {
    const kv = obj(list[i], `${where}[${i}]`) ?? {};
    out.push({ key: str(kv.key, `${where}[${i}].key`), value: readAnyValue(kv.value, `${where}[${i}].value`, depth) });
  }
  return out;
}

function readAnyValue(v: unknown, whereOf: string, depth: number, field?: string): OtlpValue {
  if (depth > MAX_ANYVALUE_DEPTH) throw bad(`${at(whereOf, field)}: AnyValue nested deeper than ${MAX_ANYVALUE_DEPTH}`);
  const o = obj(v, whereOf, field);
  if (!o) return null;
  let x: unknown;
  // The common case first, before any path string is built.
  if (typeof o.stringValue === 'string') return o.stringValue;
  const where = at(whereOf, field);
  if ((x = get(o, 'stringValue', 'string_value')) !== undefined) return str(x, `${where}.stringValue`);
  if ((x = get(o, 'boolValue', 'bool_value')) !== undefined) {
    if (typeof x !== 'boolean') throw bad(`${where}.boolValue must be a boolean, got ${typeName(x)}`);
    return x;
  }
  if ((x = get(o, 'intValue', 'int_value')) !== undefined) {
    if ((typeof x === 'string' && /^-?\d{1,19}$/.test(x)) || (typeof x === 'number' && Number.isSafeInteger(x))) {
      const b = BigInt(x as string | number);
      if (b >= -(1n << 63n) && b < 1n << 63n) return new OtlpInt(b.toString());
    }
    throw bad(`${where}.intValue must be a 64-bit integer, got ${JSON.stringify(x)}`);
  }
  if ((x = get(o, 'doubleValue', 'double_value')) !== undefined) {
    if (typeof x === 'number') return x;
    if (x === 'NaN') return NaN;
    if (x === 'Infinity') return Infinity;
    if (x === '-Infinity') return -Infinity;
    if (typeof x === 'string' && x.trim() !== '' && !Number.isNaN(Number(x))) return Number(x);
    throw bad(`${where}.doubleValue must be a number, got ${JSON.stringify(x)}`);
  }
  if ((x = get(o, 'bytesValue', 'bytes_value')) !== undefined) {
    const s = str(x, `${where}.bytesValue`);
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(s)) throw bad(`${where}.bytesValue must be base64`);
    return Uint8Array.from(Buffer.from(s, 'base64'));
  }
  if ((x = get(o, 'arrayValue', 'array_value')) !== undefined) {
    const a = obj(x, `${where}.arrayValue`) ?? {};
    const values = arr(a.values, `${where}.arrayValue.values`);
    return values.map((e, i) => readAnyValue(e, `${where}.arrayValue.values[${i}]`, depth + 1));
  }
  if ((x = get(o, 'kvlistValue', 'kvlist_value')) !== undefined) {
    const a = obj(x, `${where}.kvlistValue`) ?? {};
    return new OtlpKvList(readAttributes(a.values, `${where}.kvlistValue.values`, depth + 1));
  }
  return null;
}

/** Encodes a request as OTLP/JSON (for tests and our agent). */
export function encodeOtlpLogsJson(req: OtlpLogsRequest): string {
  return JSON.stringify({
    resourceLogs: req.resourceLogs.map((rl) => ({
      resource: { attributes: rl.attributes.map(kvJson), droppedAttributesCount: rl.droppedAttributesCount || undefined },
      scopeLogs: rl.scopeLogs.map((sl) => ({
        scope: { name: sl.scope.name || undefined, version: sl.scope.version || undefined, attributes: sl.scope.attributes.map(kvJson) },
        logRecords: sl.logRecords.map((lr) => ({
          timeUnixNano: lr.timeUnixNano ? lr.timeUnixNano.toString() : undefined,
          observedTimeUnixNano: lr.observedTimeUnixNano ? lr.observedTimeUnixNano.toString() : undefined,
          severityNumber: lr.severityNumber || undefined,
          severityText: lr.severityText || undefined,
          body: lr.body === null ? undefined : anyJson(lr.body),
          attributes: lr.attributes.map(kvJson),
          droppedAttributesCount: lr.droppedAttributesCount || undefined,
          flags: lr.flags || undefined,
          traceId: lr.traceId.length ? Buffer.from(lr.traceId).toString('hex') : undefined,
          spanId: lr.spanId.length ? Buffer.from(lr.spanId).toString('hex') : undefined,
          eventName: lr.eventName || undefined,
        })),
      })),
    })),
  });
}

function kvJson(kv: OtlpKeyValue): unknown {
  return { key: kv.key, value: anyJson(kv.value) };
}

function anyJson(v: OtlpValue): unknown {
  if (v === null) return {};
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (typeof v === 'number') return { doubleValue: Number.isFinite(v) ? v : String(v) };
  if (v instanceof OtlpInt) return { intValue: v.value };
  if (v instanceof Uint8Array) return { bytesValue: Buffer.from(v).toString('base64') };
  if (Array.isArray(v)) return { arrayValue: { values: v.map(anyJson) } };
  return { kvlistValue: { values: v.values.map(kvJson) } };
}
