/**
 * Response bodies of Loki's read API, as Loki 3.x writes them (pkg/util/marshal describes the
 * shapes we match): the query envelope for streams, vector, matrix and scalar results, label and
 * series lists, index stats, tail frames and build info. Encoders build JSON text piece by piece
 * (lines and labels go through JSON.stringify, which is native and exact) so that a large result is
 * never first copied into a second object tree. The `Wire*` types describe the decoded JSON, for
 * clients.
 *
 * Errors are not enveloped: like Loki, the HTTP layer answers them as plain text with the status.
 */
import type { Labels } from './model.js';
import { lokiStats, type LokiStats } from './stats.js';
import { formatPromTime, formatSampleValue } from './sample-value.js';

/** The request header through which clients ask for the categorized entry form. */
export const ENCODING_FLAGS_HEADER = 'X-Loki-Response-Encoding-Flags';
/** The flag Grafana sends: entries carry `{structuredMetadata, parsed}` separately from stream labels. */
export const FLAG_CATEGORIZE_LABELS = 'categorize-labels';

/** One log entry of a result. Metadata and parsed labels appear only in the categorized form. */
export interface LogEntry {
  ts: bigint;
  line: string;
  structuredMetadata?: Labels;
  parsed?: Labels;
}

/** A stream of a `streams` result, entries in the order they are to be written. */
export interface LogStream {
  stream: Labels;
  entries: LogEntry[];
}

/** One sample of a `vector` result. Times are milliseconds since the epoch, as in Prometheus. */
export interface VectorSample {
  metric: Labels;
  tsMs: number;
  value: number;
}

/** One series of a `matrix` result: `[milliseconds, value]` pairs in time order. */
export interface MatrixSeries {
  metric: Labels;
  values: Array<[tsMs: number, value: number]>;
}

/** A query result of any of Loki's four result types. */
export type QueryData =
  | { resultType: 'streams'; result: LogStream[] }
  | { resultType: 'vector'; result: VectorSample[] }
  | { resultType: 'matrix'; result: MatrixSeries[] }
  | { resultType: 'scalar'; result: { tsMs: number; value: number } };

export interface EncodeOptions {
  /** Write entries as `[ts, line, {structuredMetadata?, parsed?}]` and add `encodingFlags`. */
  categorizeLabels?: boolean;
  /** Defaults to all-zero stats, which Loki also sends when it measured nothing. */
  stats?: LokiStats;
  warnings?: string[];
}

/** Whether a request's `X-Loki-Response-Encoding-Flags` header value(s) ask for categorize-labels. */
export function wantsCategorizedLabels(headerValue: string | string[] | undefined): boolean {
  if (headerValue === undefined) return false;
  const text = Array.isArray(headerValue) ? headerValue.join(',') : headerValue;
  return text.split(',').some((f) => f.trim() === FLAG_CATEGORIZE_LABELS);
}

/** `{"a":"1","b":"2"}` with names sorted, as Loki writes stream labels and metrics. */
export function encodeLabelSet(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  let s = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (i > 0) s += ',';
    s += JSON.stringify(k) + ':' + JSON.stringify(labels[k]);
  }
  return s + '}';
}

// Structured metadata and parsed labels keep the order they were given in, as Loki does.
function encodeLabelsInOrder(labels: Labels): string {
  let s = '{';
  let first = true;
  for (const k in labels) {
    if (!first) s += ',';
    first = false;
    s += JSON.stringify(k) + ':' + JSON.stringify(labels[k]);
  }
  return s + '}';
}

function isEmpty(labels: Labels | undefined): boolean {
  if (!labels) return true;
  for (const _ in labels) return false;
  return true;
}

/** Encodes one stream object: `{"stream":{...},"values":[["<ns>","line"],...]}`. */
export function encodeStream(s: LogStream, categorizeLabels: boolean): string {
  const parts: string[] = new Array(s.entries.length);
  for (let i = 0; i < s.entries.length; i++) {
    const e = s.entries[i]!;
    let v = '["' + e.ts.toString() + '",' + JSON.stringify(e.line);
    if (categorizeLabels) {
      // Loki writes the third element on every entry in this form, `{}` when there is nothing.
      v += ',{';
      const hasMeta = !isEmpty(e.structuredMetadata);
      if (hasMeta) v += '"structuredMetadata":' + encodeLabelsInOrder(e.structuredMetadata!);
      if (!isEmpty(e.parsed)) v += (hasMeta ? ',' : '') + '"parsed":' + encodeLabelsInOrder(e.parsed!);
      v += '}';
    }
    parts[i] = v + ']';
  }
  return '{"stream":' + encodeLabelSet(s.stream) + ',"values":[' + parts.join(',') + ']}';
}

function encodeSample(s: VectorSample): string {
  return '{"metric":' + encodeLabelSet(s.metric) + ',"value":[' + formatPromTime(s.tsMs) + ',"' + formatSampleValue(s.value) + '"]}';
}

function encodeSeries(s: MatrixSeries): string {
  const points = s.values.map(([t, v]) => '[' + formatPromTime(t) + ',"' + formatSampleValue(v) + '"]');
  return '{"metric":' + encodeLabelSet(s.metric) + ',"values":[' + points.join(',') + ']}';
}

/**
 * Yields the query envelope `{"status":"success","data":{"resultType":...,"result":[...],"stats":{...}}}`
 * in pieces (one per stream or series), for writing to a response as it is built.
 */
export function* encodeQueryResponseChunks(data: QueryData, opts: EncodeOptions = {}): Generator<string> {
  let head = '{"status":"success"';
  if (opts.warnings && opts.warnings.length > 0) head += ',"warnings":' + JSON.stringify(opts.warnings);
  head += ',"data":{"resultType":"' + data.resultType + '"';
  const categorize = data.resultType === 'streams' && opts.categorizeLabels === true;
  if (categorize) head += ',"encodingFlags":["' + FLAG_CATEGORIZE_LABELS + '"]';
  head += ',"result":';
  switch (data.resultType) {
    case 'scalar':
      yield head + '[' + formatPromTime(data.result.tsMs) + ',"' + formatSampleValue(data.result.value) + '"]';
      break;
    case 'streams':
      yield head + '[';
      for (let i = 0; i < data.result.length; i++) yield (i > 0 ? ',' : '') + encodeStream(data.result[i]!, categorize);
      yield ']';
      break;
    case 'vector':
      yield head + '[';
      for (let i = 0; i < data.result.length; i++) yield (i > 0 ? ',' : '') + encodeSample(data.result[i]!);
      yield ']';
      break;
    case 'matrix':
      yield head + '[';
      for (let i = 0; i < data.result.length; i++) yield (i > 0 ? ',' : '') + encodeSeries(data.result[i]!);
      yield ']';
      break;
  }
  yield ',"stats":' + JSON.stringify(opts.stats ?? lokiStats()) + '}}';
}

/** The whole query envelope as one string. See {@link encodeQueryResponseChunks}. */
export function encodeQueryResponse(data: QueryData, opts: EncodeOptions = {}): string {
  let s = '';
  for (const chunk of encodeQueryResponseChunks(data, opts)) s += chunk;
  return s;
}

/**
 * `/labels` and `/label/<name>/values`: `{"status":"success","data":[...]}`. Like Loki (whose
 * `data` is `omitempty`), an empty list is answered as `{"status":"success"}`.
 */
export function encodeLabelsResponse(values: readonly string[]): string {
  if (values.length === 0) return '{"status":"success"}';
  return '{"status":"success","data":' + JSON.stringify(values) + '}';
}

/** `/series`: `{"status":"success","data":[{label set},...]}` (an empty list stays `[]`). */
export function encodeSeriesResponse(series: readonly Labels[]): string {
  return '{"status":"success","data":[' + series.map(encodeLabelSet).join(',') + ']}';
}

/** `/index/stats` answers a bare object, without the status envelope. */
export interface IndexStats {
  streams: number;
  chunks: number;
  bytes: number;
  entries: number;
}

export function encodeIndexStatsResponse(s: IndexStats): string {
  return `{"streams":${s.streams},"chunks":${s.chunks},"bytes":${s.bytes},"entries":${s.entries}}`;
}

/**
 * `/index/volume` answers a `vector` and `/index/volume_range` a `matrix` query envelope whose
 * metrics are the aggregated label sets and whose values are byte counts.
 */
export function encodeVolumeResponse(data: Extract<QueryData, { resultType: 'vector' | 'matrix' }>): string {
  return encodeQueryResponse(data);
}

/** An entry the tailer had to drop because the client was too slow. */
export interface DroppedEntry {
  labels: Labels;
  ts: bigint;
}

/** One WebSocket message of `/loki/api/v1/tail`. */
export interface TailFrame {
  streams: LogStream[];
  droppedEntries?: DroppedEntry[];
}

/** `{"streams":[...],"dropped_entries":[{"timestamp":"<ns>","labels":{...}}]}`; dropped_entries only when non-empty. */
export function encodeTailFrame(frame: TailFrame, opts: { categorizeLabels?: boolean } = {}): string {
  const categorize = opts.categorizeLabels === true;
  let s = '{"streams":[' + frame.streams.map((st) => encodeStream(st, categorize)).join(',') + ']';
  if (frame.droppedEntries && frame.droppedEntries.length > 0) {
    s += ',"dropped_entries":[' + frame.droppedEntries.map((d) => '{"timestamp":"' + d.ts.toString() + '","labels":' + encodeLabelSet(d.labels) + '}').join(',') + ']';
  }
  if (categorize) s += ',"encodingFlags":["' + FLAG_CATEGORIZE_LABELS + '"]';
  return s + '}';
}

/** `/loki/api/v1/status/buildinfo`. Clients branch on `version`. */
export interface BuildInfo {
  version: string;
  revision: string;
  branch: string;
  buildUser: string;
  buildDate: string;
  goVersion: string;
  [extra: string]: string;
}

// ---- decoded forms, for clients ----

/** Third element of a categorized entry. */
export interface WireEntryExtra {
  structuredMetadata?: Labels;
  parsed?: Labels;
}

export type WireEntry = [ts: string, line: string] | [ts: string, line: string, extra: WireEntryExtra];

export interface WireStream {
  stream: Labels;
  values: WireEntry[];
}

export interface WireVectorSample {
  metric: Labels;
  value: [tsSeconds: number, value: string];
}

export interface WireMatrixSeries {
  metric: Labels;
  values: Array<[tsSeconds: number, value: string]>;
}

export type WireQueryData = (
  | { resultType: 'streams'; result: WireStream[] }
  | { resultType: 'vector'; result: WireVectorSample[] }
  | { resultType: 'matrix'; result: WireMatrixSeries[] }
  | { resultType: 'scalar'; result: [tsSeconds: number, value: string] }
) & { stats?: LokiStats; encodingFlags?: string[] };

export interface WireQueryResponse {
  status: 'success';
  warnings?: string[];
  data: WireQueryData;
}

export interface WireTailFrame {
  streams?: WireStream[];
  dropped_entries?: Array<{ timestamp: string; labels?: Labels }>;
  encodingFlags?: string[];
}
