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
import { OtlpInt, OtlpKvList, type OtlpKeyValue, type OtlpLogsRequest, type OtlpValue } from './otlp-model.js';

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
}

export const OTLP_UNKNOWN_SERVICE = 'unknown_service';

/**
 * Normalises an attribute name into a label name as Prometheus' OTLP translator does:
 * characters outside [a-zA-Z0-9_] become `_`; a leading digit gets `key_`; a single leading
 * underscore gets `key`.
 */
export function normalizeLabelName(name: string): string {
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

/** Flattens one attribute into name → value pairs, nested maps joined with `_`. */
function flatten(key: string, v: OtlpValue, prefix: string, into: (name: string, value: string) => void): void {
  const name = normalizeLabelName(prefix ? prefix + '_' + key : key);
  if (v instanceof OtlpKvList) {
    for (const kv of v.values) flatten(kv.key, kv.value, name, into);
  } else into(name, otlpValueAsString(v));
}

function addAttributes(attrs: OtlpKeyValue[], into: (name: string, value: string) => void): void {
  for (const kv of attrs) flatten(kv.key, kv.value, '', into);
}

/** Maps an OTLP logs request onto Loki streams, grouped by index label set. */
export function otlpToPush(req: OtlpLogsRequest, opts: OtlpMappingOptions): PushRequest {
  const indexSet = new Set(opts.indexAttributes ?? OTLP_DEFAULT_INDEX_ATTRIBUTES);
  const byKey = new Map<string, StreamPush>();
  for (const rl of req.resourceLogs) {
    let labels: Labels = {};
    const resourceMeta: Labels = {};
    for (const kv of rl.attributes) {
      if (indexSet.has(kv.key)) {
        flatten(kv.key, kv.value, '', (n, val) => {
          labels[n] = val;
        });
      } else {
        flatten(kv.key, kv.value, '', (n, val) => {
          if (!(n in resourceMeta)) resourceMeta[n] = val;
        });
      }
    }
    const discover = opts.discoverServiceName;
    if (discover && discover.length > 0 && !labels.service_name) {
      let service = OTLP_UNKNOWN_SERVICE;
      for (const n of discover) {
        if (labels[n]) {
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
    for (const sl of rl.scopeLogs) {
      const scopeMeta: Labels = {};
      const setScope = (n: string, val: string): void => {
        if (!(n in scopeMeta)) scopeMeta[n] = val;
      };
      addAttributes(sl.scope.attributes, setScope);
      if (sl.scope.name) setScope('scope_name', sl.scope.name);
      if (sl.scope.version) setScope('scope_version', sl.scope.version);
      if (sl.scope.droppedAttributesCount) setScope('scope_dropped_attributes_count', String(sl.scope.droppedAttributesCount));
      for (const lr of sl.logRecords) {
        const md: Labels = {};
        const set = (n: string, val: string): void => {
          if (!(n in md)) md[n] = val;
        };
        addAttributes(lr.attributes, set);
        if (lr.timeUnixNano !== 0n && lr.observedTimeUnixNano !== 0n) set('observed_timestamp', lr.observedTimeUnixNano.toString());
        if (lr.severityNumber !== 0) set('severity_number', String(lr.severityNumber));
        if (lr.severityText) set('severity_text', lr.severityText);
        if (lr.droppedAttributesCount) set('dropped_attributes_count', String(lr.droppedAttributesCount));
        if (lr.flags) set('flags', String(lr.flags));
        if (lr.traceId.length && lr.traceId.some((b) => b !== 0)) set('trace_id', Buffer.from(lr.traceId).toString('hex'));
        if (lr.spanId.length && lr.spanId.some((b) => b !== 0)) set('span_id', Buffer.from(lr.spanId).toString('hex'));
        for (const n in resourceMeta) set(n, resourceMeta[n]!);
        for (const n in scopeMeta) set(n, scopeMeta[n]!);
        const ts = lr.timeUnixNano !== 0n ? lr.timeUnixNano : lr.observedTimeUnixNano !== 0n ? lr.observedTimeUnixNano : opts.now;
        const entry: Entry = { ts, line: otlpValueAsString(lr.body) };
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
