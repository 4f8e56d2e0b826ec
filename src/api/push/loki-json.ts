/**
 * Loki's JSON push body:
 *   {"streams":[{"stream":{"app":"x"},"values":[["<unix ns as string>","line",{"meta":"v"}]]}]}
 * Loki accepts the timestamp only as a string (pkg/loghttp/entry.go), so a JSON number is rejected.
 * The legacy form of /api/prom/push is accepted too, stream by stream:
 *   {"streams":[{"labels":"{app=\"x\"}","entries":[{"ts":"2024-05-01T00:00:00.123456789Z","line":"..."}]}]}
 */
import { msToNs } from '../time-units.js';
import { LogwharfError } from '../errors.js';
import type { Entry, Labels, PushRequest } from '../model.js';
import { LabelStringError, parseLabelString } from './label-string.js';
import { DEFAULT_MAX_PUSH_ITEMS, checkJsonItems, clip, setLabel, tooManyItems, type DecodedPush } from './decoded-push.js';

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

function bad(msg: string): LogwharfError {
  return new LogwharfError('invalid_push', `invalid JSON push request: ${msg}`);
}

function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** Parses a decimal nanosecond timestamp string as Go's strconv.ParseInt(s, 10, 64) would. */
export function parseNsString(s: string): bigint | undefined {
  const n = s.length;
  if (n === 0 || n > 20) return undefined;
  let i = s.charCodeAt(0) === 45 || s.charCodeAt(0) === 43 ? 1 : 0;
  if (i === n) return undefined;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  // BigInt(s), not seconds and nanoseconds read as numbers with the second's product reused: that
  // allocates one bigint more per entry and measured no faster with the launcher's young generation.
  const v = BigInt(s);
  return v > INT64_MAX || v < INT64_MIN ? undefined : v;
}

/**
 * Decodes a JSON push body (already decompressed). Throws LogwharfError('invalid_push') naming the
 * bad element, 413 beyond `maxItems` streams plus entries.
 */
export function decodePushJson(body: Buffer | string, maxItems = DEFAULT_MAX_PUSH_ITEMS): DecodedPush {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  checkJsonItems(buf, maxItems);
  // Not latin1Slice for an ASCII body, though it is ~3x faster alone: above ~1 MB Node makes that an
  // external string, and the server's ingest then used more CPU, not less (docs/benchmarks.md).
  const text = buf.toString('utf8');
  if (text.length === 0) throw bad('empty body');
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw bad((e as Error).message);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw bad(`expected an object at top level, got ${typeName(doc)}`);
  const streams = (doc as { streams?: unknown }).streams;
  const out: DecodedPush = { streams: [], invalid: [] };
  if (streams === undefined || streams === null) return out;
  if (!Array.isArray(streams)) throw bad(`"streams" must be an array, got ${typeName(streams)}`);
  let items = streams.length;
  for (const s of streams) if (s && typeof s === 'object') items += ((s as { values?: unknown[] }).values?.length ?? 0) + ((s as { entries?: unknown[] }).entries?.length ?? 0);
  if (items > maxItems) throw tooManyItems(maxItems);
  for (let si = 0; si < streams.length; si++) {
    const s = streams[si] as Record<string, unknown>;
    const where = `streams[${si}]`;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw bad(`${where} must be an object, got ${typeName(s)}`);
    if (s.values === undefined && (s.entries !== undefined || typeof s.labels === 'string')) {
      decodeLegacyStream(s, si, where, out);
      continue;
    }
    const labels = decodeLabelObject(s.stream, `${where}.stream`);
    const values = s.values;
    const entries: Entry[] = [];
    if (values !== undefined && values !== null) {
      if (!Array.isArray(values)) throw bad(`${where}.values must be an array, got ${typeName(values)}`);
      // The element's path is only spelled out for an error message (a string per entry cost ~5% of the decode).
      for (let vi = 0; vi < values.length; vi++) entries.push(decodeValue(values[vi], where, vi));
    }
    // As in the protobuf decoder: a stream without entries adds nothing.
    if (entries.length > 0) out.streams.push({ labels, entries });
  }
  return out;
}

function decodeLabelObject(v: unknown, where: string): Labels {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw bad(`${where} must be an object of label names to string values, got ${typeName(v)}`);
  const labels: Labels = {};
  for (const k of Object.keys(v)) {
    const val = (v as Record<string, unknown>)[k];
    if (typeof val !== 'string') throw bad(`${where}[${JSON.stringify(clip(k, 64))}] must be a string, got ${typeName(val)}`);
    setLabel(labels, k, val);
  }
  return labels;
}

function decodeValue(v: unknown, stream: string, vi: number): Entry {
  if (Array.isArray(v) && v.length === 2) {
    // The common shape, ["<ns>", "line"], checked without building the path.
    const t = v[0];
    const line = v[1];
    if (typeof t === 'string' && typeof line === 'string') {
      const ts = parseNsString(t);
      if (ts !== undefined) return { ts, line, metadata: undefined };
    }
  }
  return decodeValueChecked(v, `${stream}.values[${vi}]`);
}

function decodeValueChecked(v: unknown, where: string): Entry {
  if (!Array.isArray(v)) throw bad(`${where} must be an array [timestamp, line, metadata?], got ${typeName(v)}`);
  if (v.length < 2 || v.length > 3) throw bad(`${where} must have 2 or 3 elements, got ${v.length}`);
  const t = v[0];
  if (typeof t !== 'string') throw bad(`${where}[0]: timestamp must be a string of Unix nanoseconds, got ${typeName(t)}`);
  const ts = parseNsString(t);
  if (ts === undefined) throw bad(`${where}[0]: timestamp ${JSON.stringify(clip(t, 40))} is not an integer number of nanoseconds`);
  const line = v[1];
  if (typeof line !== 'string') throw bad(`${where}[1]: line must be a string, got ${typeName(line)}`);
  if (v.length === 3 && v[2] !== null) {
    const md = decodeLabelObject(v[2], `${where}[2]`);
    for (const _ in md) return { ts, line, metadata: md };
  }
  return { ts, line, metadata: undefined };
}

function decodeLegacyStream(s: Record<string, unknown>, si: number, where: string, out: DecodedPush): void {
  if (typeof s.labels !== 'string') throw bad(`${where}.labels must be a string, got ${typeName(s.labels)}`);
  const entriesIn = s.entries ?? [];
  if (!Array.isArray(entriesIn)) throw bad(`${where}.entries must be an array, got ${typeName(entriesIn)}`);
  const entries: Entry[] = [];
  let bytes = 0;
  for (let ei = 0; ei < entriesIn.length; ei++) {
    const e = entriesIn[ei] as Record<string, unknown>;
    const w = `${where}.entries[${ei}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw bad(`${w} must be an object, got ${typeName(e)}`);
    if (typeof e.ts !== 'string') throw bad(`${w}.ts must be an RFC3339 string, got ${typeName(e.ts)}`);
    const ts = parseRfc3339Nano(e.ts);
    if (ts === undefined) throw bad(`${w}.ts ${JSON.stringify(clip(e.ts, 40))} is not an RFC3339 timestamp`);
    if (typeof e.line !== 'string') throw bad(`${w}.line must be a string, got ${typeName(e.line)}`);
    bytes += e.line.length;
    entries.push({ ts, line: e.line, metadata: undefined });
  }
  if (entries.length === 0) return;
  try {
    out.streams.push({ labels: parseLabelString(s.labels), entries });
  } catch (err) {
    if (!(err instanceof LabelStringError)) throw err;
    out.invalid.push({ index: si, labels: clip(s.labels), reason: err.reason, message: err.message, entries: entries.length, bytes });
  }
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** Parses an RFC3339 timestamp with up to nanosecond precision into Unix nanoseconds. */
export function parseRfc3339Nano(s: string): bigint | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[4]!.toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = (m[3] ?? '').padEnd(9, '0');
  return msToNs(ms) + BigInt(frac);
}

/** Encodes a push request as Loki JSON (timestamps as strings, metadata as the optional third element). */
export function encodePushJson(req: PushRequest): string {
  return JSON.stringify({
    streams: req.streams.map((s) => ({
      stream: s.labels,
      values: s.entries.map((e) => (e.metadata ? [e.ts.toString(), e.line, e.metadata] : [e.ts.toString(), e.line])),
    })),
  });
}
