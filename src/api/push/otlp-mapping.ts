/**
 * Loki's mapping of OTLP logs onto streams (docs: "Ingesting logs to Loki using OpenTelemetry",
 * format considerations):
 * - the default resource attributes below become index labels, dots (and every other character not
 *   allowed in a label name) turned into underscores;
 * - every other resource attribute, every scope attribute (plus scope_name, scope_version) and every
 *   log attribute becomes structured metadata, nested maps flattened with `_`;
 * - the body is stringified (strings as is, everything else as JSON, as the collector's AsString);
 * - the timestamp is TimeUnixNano, else ObservedTimeUnixNano, else the arrival time;
 * - severity_number, severity_text, observed_timestamp (when both times are set),
 *   dropped_attributes_count, flags, trace_id and span_id (hex) are kept as structured metadata.
 * - when the resource has no service.name, service_name is discovered from the index labels
 *   (`discoverServiceName`, Loki's discover_service_name), else set to "unknown_service".
 */
import type { Entry, Labels, PushRequest, StreamPush } from '../model.js';
import { labelsToString, sortLabels } from '../model.js';
import { setLabel } from './decoded-push.js';
import { OtlpInt, OtlpKvList, type OtlpKeyValue, type OtlpLogRecord, type OtlpLogsRequest, type OtlpValue } from './otlp-model.js';

/** Loki's default `default_resource_attributes_as_index_labels`. */
export const OTLP_DEFAULT_INDEX_ATTRIBUTES: readonly string[] = [
  'cloud.availability_zone',
  'cloud.region',
  'container.name',
  'deployment.environment',
  'k8s.cluster.name',
  'k8s.container.name',
  'k8s.cronjob.name',
  'k8s.daemonset.name',
  'k8s.deployment.name',
  'k8s.job.name',
  'k8s.namespace.name',
  'k8s.pod.name',
  'k8s.replicaset.name',
  'k8s.statefulset.name',
  'service.instance.id',
  'service.name',
  'service.namespace',
];

export interface OtlpMappingOptions {
  /** Resource attributes (OTLP names) promoted to index labels. */
  indexAttributes?: readonly string[];
  /** Arrival time in ns, used when a record has neither timestamp. */
  now: bigint;
  /** Label names whose value names the service when service.name is absent; empty disables service_name. */
  discoverServiceName?: readonly string[];
  /**
   * Records without pairs of their own share one frozen metadata object per scope (default true);
   * false builds one object per record, the general path the tests compare the shared one with.
   */
  shareMetadata?: boolean;
}

export const OTLP_UNKNOWN_SERVICE = 'unknown_service';

/**
 * Normalises an attribute name into a label name as Prometheus' OTLP translator does:
 * characters outside [a-zA-Z0-9_] become `_`; a leading digit gets `key_`; a single leading
 * underscore gets `key`.
 */
export function normalizeLabelName(name: string): string {
  let out = nameCache.get(name);
  if (out === undefined) {
    out = normalizeUncached(name);
    // Attribute names repeat on every record; a bounded cache saves the regex for them.
    if (nameCache.size >= NAME_CACHE_MAX) nameCache.clear();
    nameCache.set(name, out);
  }
  return out;
}

const NAME_CACHE_MAX = 4096;
const nameCache = new Map<string, string>();

function normalizeUncached(name: string): string {
  if (name.length === 0) return name;
  let out = name.replace(/[^a-zA-Z0-9_]/g, '_');
  const c = out.charCodeAt(0);
  if (c >= 48 && c <= 57) out = 'key_' + out;
  else if (c === 95 && out.charCodeAt(1) !== 95) out = 'key' + out;
  return out;
}

/** Formats a double as Go's pcommon Value.AsString does (ES6 number formatting). */
function doubleAsString(v: number): string {
  if (Number.isNaN(v)) return 'json: unsupported value: NaN';
  if (!Number.isFinite(v)) return `json: unsupported value: ${v > 0 ? '+Inf' : '-Inf'}`;
  return Object.is(v, -0) ? '-0' : String(v);
}

/** Go's encoding/json escapes <, >, & and U+2028/9 inside strings; JSON.stringify does not. */
function goJsonString(s: string): string {
  return JSON.stringify(s).replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function toGoJson(v: OtlpValue): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (v instanceof OtlpInt) return v.value;
  if (v instanceof Uint8Array) return '"' + Buffer.from(v).toString('base64') + '"';
  if (Array.isArray(v)) return '[' + v.map(toGoJson).join(',') + ']';
  // Maps marshal with sorted keys; a repeated key keeps its last value.
  const m = new Map<string, OtlpValue>();
  for (const kv of v.values) m.set(kv.key, kv.value);
  const keys = [...m.keys()].sort();
  return '{' + keys.map((k) => goJsonString(k) + ':' + toGoJson(m.get(k)!)).join(',') + '}';
}

/** An AnyValue as a string, as the OTel collector's Value.AsString. */
export function otlpValueAsString(v: OtlpValue): string {
  if (v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return doubleAsString(v);
  if (v instanceof OtlpInt) return v.value;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  return toGoJson(v);
}

/**
 * Flattens one attribute into `target`, nested maps joined with `_`. An existing name is kept unless
 * `overwrite` (structured metadata keeps the most specific value, which is added first).
 */
function flattenInto(target: Labels, key: string, v: OtlpValue, prefix: string, overwrite: boolean): void {
  const name = normalizeLabelName(prefix ? prefix + '_' + key : key);
  if (v instanceof OtlpKvList) {
    for (const kv of v.values) flattenInto(target, kv.key, kv.value, name, overwrite);
  } else if (overwrite || !Object.hasOwn(target, name)) setLabel(target, name, otlpValueAsString(v));
}

function addAttributes(target: Labels, attrs: OtlpKeyValue[]): void {
  for (let i = 0; i < attrs.length; i++) flattenInto(target, attrs[i]!.key, attrs[i]!.value, '', false);
}

function setIfAbsent(target: Labels, name: string, value: string): void {
  if (!Object.hasOwn(target, name)) setLabel(target, name, value);
}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Lower-case hex of an id, or '' when it is empty or all zeros (an invalid id in OTLP). */
function idHex(b: Uint8Array): string {
  let s = '';
  let nonZero = false;
  for (let i = 0; i < b.length; i++) {
    if (b[i] !== 0) nonZero = true;
    s += HEX[b[i]!];
  }
  return nonZero ? s : '';
}

function nonZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return true;
  return false;
}

/** Whether a record adds pairs of its own to the resource's and scope's structured metadata (see otlpToPush). */
function hasOwnMetadata(lr: OtlpLogRecord): boolean {
  return (
    lr.attributes.length > 0 ||
    (lr.timeUnixNano !== 0n && lr.observedTimeUnixNano !== 0n) ||
    lr.severityNumber !== 0 ||
    lr.severityText !== '' ||
    lr.droppedAttributesCount !== 0 ||
    lr.flags !== 0 ||
    nonZero(lr.traceId) ||
    nonZero(lr.spanId)
  );
}

/** Maps an OTLP logs request onto Loki streams, grouped by index label set. */
export function otlpToPush(req: OtlpLogsRequest, opts: OtlpMappingOptions): PushRequest {
  const indexSet = new Set(opts.indexAttributes ?? OTLP_DEFAULT_INDEX_ATTRIBUTES);
  const byKey = new Map<string, StreamPush>();
  const share = opts.shareMetadata ?? true;
  for (const rl of req.resourceLogs) {
    let labels: Labels = {};
    const resourceMeta: Labels = {};
    for (const kv of rl.attributes) flattenInto(indexSet.has(kv.key) ? labels : resourceMeta, kv.key, kv.value, '', indexSet.has(kv.key));
    const discover = opts.discoverServiceName;
    if (discover && discover.length > 0 && !labels.service_name) {
      let service = OTLP_UNKNOWN_SERVICE;
      for (const n of discover) {
        if (Object.hasOwn(labels, n) && labels[n]) {
          service = labels[n]!;
          break;
        }
      }
      labels.service_name = service;
    }
    labels = sortLabels(labels);
    const key = labelsToString(labels);
    let stream = byKey.get(key);
    if (!stream) {
      stream = { labels, entries: [] };
      byKey.set(key, stream);
    }
    const resourceNames = Object.keys(resourceMeta);
    for (const sl of rl.scopeLogs) {
      const scopeMeta: Labels = {};
      addAttributes(scopeMeta, sl.scope.attributes);
      if (sl.scope.name) setIfAbsent(scopeMeta, 'scope_name', sl.scope.name);
      if (sl.scope.version) setIfAbsent(scopeMeta, 'scope_version', sl.scope.version);
      if (sl.scope.droppedAttributesCount) setIfAbsent(scopeMeta, 'scope_dropped_attributes_count', String(sl.scope.droppedAttributesCount));
      const scopeNames = Object.keys(scopeMeta);
      // Records that carry nothing of their own (no attributes, severity, ids, second timestamp)
      // share one frozen object with the resource's and scope's pairs, which ingest, the WAL and
      // the blocks then handle once rather than per record.
      let shared: Labels | null | undefined;
      for (const lr of sl.logRecords) {
        if (share && !hasOwnMetadata(lr)) {
          if (shared === undefined) {
            const md: Labels = {};
            for (let i = 0; i < resourceNames.length; i++) setIfAbsent(md, resourceNames[i]!, resourceMeta[resourceNames[i]!]!);
            for (let i = 0; i < scopeNames.length; i++) setIfAbsent(md, scopeNames[i]!, scopeMeta[scopeNames[i]!]!);
            shared = resourceNames.length + scopeNames.length > 0 ? Object.freeze(md) : null;
          }
          const ts = lr.timeUnixNano !== 0n ? lr.timeUnixNano : lr.observedTimeUnixNano !== 0n ? lr.observedTimeUnixNano : opts.now;
          stream.entries.push({ ts, line: otlpValueAsString(lr.body), metadata: shared !== null ? shared : undefined });
          continue;
        }
        const md: Labels = {};
        addAttributes(md, lr.attributes);
        if (lr.timeUnixNano !== 0n && lr.observedTimeUnixNano !== 0n) setIfAbsent(md, 'observed_timestamp', lr.observedTimeUnixNano.toString());
        if (lr.severityNumber !== 0) setIfAbsent(md, 'severity_number', String(lr.severityNumber));
        if (lr.severityText) setIfAbsent(md, 'severity_text', lr.severityText);
        if (lr.droppedAttributesCount) setIfAbsent(md, 'dropped_attributes_count', String(lr.droppedAttributesCount));
        if (lr.flags) setIfAbsent(md, 'flags', String(lr.flags));
        if (lr.traceId.length) {
          const h = idHex(lr.traceId);
          if (h) setIfAbsent(md, 'trace_id', h);
        }
        if (lr.spanId.length) {
          const h = idHex(lr.spanId);
          if (h) setIfAbsent(md, 'span_id', h);
        }
        for (let i = 0; i < resourceNames.length; i++) setIfAbsent(md, resourceNames[i]!, resourceMeta[resourceNames[i]!]!);
        for (let i = 0; i < scopeNames.length; i++) setIfAbsent(md, scopeNames[i]!, scopeMeta[scopeNames[i]!]!);
        const ts = lr.timeUnixNano !== 0n ? lr.timeUnixNano : lr.observedTimeUnixNano !== 0n ? lr.observedTimeUnixNano : opts.now;
        const entry: Entry = { ts, line: otlpValueAsString(lr.body), metadata: undefined };
        for (const _ in md) {
          entry.metadata = md;
          break;
        }
        stream.entries.push(entry);
      }
    }
  }
  return { streams: [...byKey.values()].filter((s) => s.entries.length > 0) };
}
