/**
 * The file formats of `logwharf export` and `logwharf import`: one exported log entry (stream
 * labels, structured metadata, timestamp, line) written as
 *
 * - `jsonl`: one JSON object per line, `{"ts":"<RFC3339Nano>","labels":{…},"structured_metadata":{…},"line":"…"}`
 *   (RFC3339 with nine fraction digits at most is exact to the nanosecond; labels sorted by name);
 * - `csv`: RFC 4180 with the header `ts,labels,structured_metadata,line`, label sets in Loki's
 *   `{a="1"}` form — for spreadsheets and people; `import` does not read it back;
 * - `loki`: one Loki push body (JSON) per line, `{"streams":[{"stream":{…},"values":[["<ns>","<line>",{…}]]}]}`,
 *   which `import` and any Loki push endpoint take as they are.
 *
 * Parsing (for import) names the field that is wrong; the caller adds the line number.
 */
import { labelsToString, sortLabels, type Labels, type PushRequest, type StreamPush } from './model.js';
import { formatRfc3339Nano, parseRfc3339Nano } from './timestamp.js';
import { decodePushJson, encodePushJson, parseNsString } from './push/loki-json.js';

export interface ExportRecord {
  ts: bigint;
  labels: Labels;
  /** Structured metadata; empty when the entry has none (or the server merged it into the labels). */
  metadata: Labels;
  line: string;
}

export type ExportFormat = 'jsonl' | 'csv' | 'loki';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['jsonl', 'csv', 'loki'];

export const CSV_HEADER = 'ts,labels,structured_metadata,line\n';

/** A `loki` line holds at most about this many bytes of entries, so each is an ordinary push request. */
export const LOKI_BATCH_BYTES = 1024 * 1024;

function isEmpty(o: Labels): boolean {
  for (const _ in o) return false;
  return true;
}

function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/** The text of records in one format; every record (or push body) ends with a newline. */
export function encodeRecords(records: ExportRecord[], format: ExportFormat): string {
  let s = '';
  // Records of one stream share its label object: its text is made once per call, not per entry.
  const labelText = new Map<Labels, string>();
  if (format === 'jsonl') {
    for (const r of records) {
      let l = labelText.get(r.labels);
      if (l === undefined) labelText.set(r.labels, (l = JSON.stringify(sortLabels(r.labels))));
      const m = isEmpty(r.metadata) ? '{}' : JSON.stringify(r.metadata);
      // The same text JSON.stringify of {ts, labels, structured_metadata, line} gives, without the object.
      s += '{"ts":"' + formatRfc3339Nano(r.ts) + '","labels":' + l + ',"structured_metadata":' + m + ',"line":' + JSON.stringify(r.line) + '}\n';
    }
  } else if (format === 'csv') {
    for (const r of records) {
      let l = labelText.get(r.labels);
      if (l === undefined) labelText.set(r.labels, (l = csvField(labelsToString(r.labels))));
      s += formatRfc3339Nano(r.ts) + ',' + l + ',' + csvField(labelsToString(r.metadata)) + ',' + csvField(r.line) + '\n';
    }
  } else {
    for (const req of pushBatches(records, LOKI_BATCH_BYTES)) s += encodePushJson(req) + '\n';
  }
  return s;
}

/** Approximate wire size of an entry, for batch bounds: line, metadata and a little framing. */
export function recordBytes(r: ExportRecord): number {
  let n = r.line.length + 32;
  for (const k in r.metadata) n += k.length + r.metadata[k]!.length + 8;
  return n;
}

/**
 * Groups records into push requests of at most ~maxBytes of entries each (a single larger entry
 * gets a request of its own), streams keyed by their label set, entries in the order given.
 */
export function* pushBatches(records: Iterable<ExportRecord>, maxBytes: number): Generator<PushRequest> {
  let streams = new Map<string, StreamPush>();
  let bytes = 0;
  for (const r of records) {
    const size = recordBytes(r);
    if (bytes > 0 && bytes + size > maxBytes) {
      yield { streams: [...streams.values()] };
      streams = new Map();
      bytes = 0;
    }
    const key = labelsToString(r.labels);
    let s = streams.get(key);
    if (!s) streams.set(key, (s = { labels: r.labels, entries: [] }));
    s.entries.push(Object.keys(r.metadata).length > 0 ? { ts: r.ts, line: r.line, metadata: r.metadata } : { ts: r.ts, line: r.line });
    bytes += size;
  }
  if (bytes > 0) yield { streams: [...streams.values()] };
}

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function labelObject(v: unknown, field: string, allowEmpty: boolean): Labels {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new Error(`"${field}" must be an object of strings`);
  const out: Labels = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') throw new Error(`"${field}.${k}" must be a string, got ${x === null ? 'null' : typeof x}`);
    out[k] = x;
  }
  if (!allowEmpty && Object.keys(out).length === 0) throw new Error(`"${field}" is empty: a stream needs at least one label`);
  if (!allowEmpty) {
    // Caught here rather than by the server's 400 halfway through the import.
    for (const k of Object.keys(out)) if (!LABEL_NAME.test(k)) throw new Error(`"${field}": "${k.slice(0, 60)}" is not a valid label name (want [a-zA-Z_][a-zA-Z0-9_]*)`);
  }
  return out;
}

/** One `jsonl` line back into a record; `ts` may be RFC3339(Nano) or an integer string of nanoseconds. */
export function parseJsonlRecord(text: string): ExportRecord {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new Error(`not JSON (${(e as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new Error('not a JSON object');
  const o = doc as Record<string, unknown>;
  if (typeof o.ts !== 'string') throw new Error('"ts" must be a string: an RFC3339 time or nanoseconds');
  const ts = /^\d+$/.test(o.ts) ? parseNsString(o.ts) : parseRfc3339Nano(o.ts);
  if (ts === undefined) throw new Error(`"ts": "${o.ts.slice(0, 60)}" is not an RFC3339 time or nanoseconds`);
  if (typeof o.line !== 'string') throw new Error('"line" must be a string');
  const labels = labelObject(o.labels, 'labels', false);
  const metadata = o.structured_metadata === undefined ? {} : labelObject(o.structured_metadata, 'structured_metadata', true);
  return { ts, labels, metadata, line: o.line };
}

/** One `loki` line (a push body) back into a push request; malformed bodies and label strings are errors. */
export function parseLokiLine(text: string): PushRequest {
  const decoded = decodePushJson(text);
  const bad = decoded.invalid[0];
  if (bad) throw new Error(`streams[${bad.index}]: ${bad.message}`);
  return { streams: decoded.streams };
}

/** The format of a file from its first non-empty line: a push body has `streams`. */
export function sniffFormat(firstLine: string): 'jsonl' | 'loki' | 'csv' {
  if (firstLine.startsWith(CSV_HEADER.trimEnd())) return 'csv';
  return /^\s*\{\s*"streams"\s*:/.test(firstLine) ? 'loki' : 'jsonl';
}
