/**
 * Detected fields, as Loki answers `/loki/api/v1/detected_fields` and
 * `/loki/api/v1/detected_field/<name>/values` for Grafana's Logs Drilldown: the newest `line_limit`
 * lines of the query are read; each line's structured metadata are fields without a parser, and the
 * line is parsed as JSON, or as logfmt when it is not JSON; labels the query's own parsers extracted
 * count too. Each field gets a type inferred from its values and a cardinality.
 */
import { sanitizeLabelName, isUsableValue } from '../../logql/pipeline/sanitize.js';
import { scanLogfmt, LogfmtError } from '../../logql/pipeline/logfmt.js';
import { parseGoFloat, parseGoDuration, parseBytes } from '../../logql/pipeline/units.js';
import type { ResultEntry } from '../engine/log-query.js';
import { mix32 } from '../../util/mix32.js';

export type FieldType = 'string' | 'int' | 'float' | 'boolean' | 'duration' | 'bytes';
export type FieldParser = 'json' | 'logfmt';

/** Distinct values held exactly per field; past it the cardinality is a HyperLogLog estimate. */
export const EXACT_VALUES_BOUND = 1000;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const GO_BOOLS = new Set(['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False']);
/** Labels parsers set on failure; never fields. */
const ERROR_LABELS = new Set(['__error__', '__error_details__', '__preserve_error__']);

/**
 * The type of one value, tried in Loki's order: Go's ParseInt, ParseFloat, ParseBool,
 * time.ParseDuration, then go-humanize's ParseBytes; anything else is a string.
 */
export function inferType(v: string): FieldType {
  if (/^[+-]?\d+$/.test(v)) {
    const n = BigInt(v);
    if (n >= INT64_MIN && n <= INT64_MAX) return 'int';
  }
  if (parseGoFloat(v) !== undefined) return 'float';
  if (GO_BOOLS.has(v)) return 'boolean';
  if (parseGoDuration(v) !== undefined) return 'duration';
  if (parseBytes(v) !== undefined) return 'bytes';
  return 'string';
}

/**
 * The type of a field from the types of its sampled values: the type every value agrees on, with
 * ints widened to float when both occur; otherwise the most frequent type (Loki keeps the type of
 * the last line it looked at, which flips with sampling; a majority is stable).
 */
export function combineTypes(counts: Map<FieldType, number>): FieldType {
  if (counts.size === 0) return 'string';
  if (counts.size === 1) return counts.keys().next().value!;
  if (counts.size === 2 && counts.has('int') && counts.has('float')) return 'float';
  let best: FieldType = 'string';
  let bestN = -1;
  for (const [t, n] of counts) {
    if (n > bestN) {
      best = t;
      bestN = n;
    }
  }
  return best;
}

/** A HyperLogLog sketch with 2^10 registers (~3% error), for fields past EXACT_VALUES_BOUND. */
class Hll {
  private readonly reg = new Uint8Array(1024);

  add(s: string): void {
    const h = hash32(s);
    const idx = h >>> 22;
    const rest = (h << 10) >>> 0;
    const rank = rest === 0 ? 23 : Math.clz32(rest) + 1;
    if (rank > this.reg[idx]!) this.reg[idx] = rank;
  }

  estimate(): number {
    const m = this.reg.length;
    let sum = 0;
    let zeros = 0;
    for (const r of this.reg) {
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const e = ((0.7213 / (1 + 1.079 / m)) * m * m) / sum;
    if (e <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros));
    return Math.round(e);
  }
}

/** FNV-1a over UTF-16 code units, with a murmur3 finaliser for good high bits. */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** What is known of one field after sampling. */
export class FieldStats {
  readonly values = new Set<string>();
  /** More distinct values were seen than `values` holds. */
  overflow = false;
  private hll?: Hll;
  readonly types = new Map<FieldType, number>();
  readonly parsers: FieldParser[] = [];
  /** For JSON fields: the keys leading to the value, as Logs Drilldown builds `| json x="a.b"`. */
  jsonPath?: string[];

  add(value: string): void {
    const t = inferType(value);
    this.types.set(t, (this.types.get(t) ?? 0) + 1);
    if (!this.overflow) {
      if (this.values.has(value)) return;
      if (this.values.size < EXACT_VALUES_BOUND) {
        this.values.add(value);
        return;
      }
      this.overflow = true;
      this.hll = new Hll();
      for (const v of this.values) this.hll.add(v);
    }
    this.hll!.add(value);
  }

  addParser(p: FieldParser): void {
    if (!this.parsers.includes(p)) this.parsers.push(p);
  }

  get cardinality(): number {
    return this.overflow ? Math.max(this.hll!.estimate(), EXACT_VALUES_BOUND) : this.values.size;
  }

  get type(): FieldType {
    return combineTypes(this.types);
  }
}

/** One parsed field of a line. */
interface Parsed {
  value: string;
  jsonPath?: string[];
}

/**
 * Parses a line as a JSON object (nested keys joined with `_`, arrays and nulls skipped, as LogQL's
 * `json` does) or, failing that, as logfmt. Names are sanitised as LogQL's parsers do, and a name
 * taken by a stream label gets `_extracted`. Returns undefined when neither parser finds a field.
 */
export function parseLine(line: string, streamLabels: Record<string, string>): { parser: FieldParser; fields: Map<string, Parsed> } | undefined {
  const fields = new Map<string, Parsed>();
  const put = (name: string, p: Parsed) => {
    if (name === '' || !isUsableValue(p.value)) return;
    if (Object.hasOwn(streamLabels, name)) name += '_extracted';
    if (!fields.has(name)) fields.set(name, p);
  };
  const trimmed = line.trimStart();
  if (trimmed.startsWith('{')) {
    let doc: unknown;
    try {
      doc = JSON.parse(line);
    } catch {
      doc = undefined;
    }
    if (doc !== null && typeof doc === 'object' && !Array.isArray(doc)) {
      walk(doc as Record<string, unknown>, '', [], put, 0);
      return { parser: 'json', fields };
    }
  }
  try {
    scanLogfmt(line, false, {
      pair(key, value) {
        if (value === null) return;
        put(sanitizeLabelName(key), { value });
      },
    });
  } catch (e) {
    if (!(e instanceof LogfmtError)) throw e;
  }
  return fields.size > 0 ? { parser: 'logfmt', fields } : undefined;
}

const MAX_JSON_DEPTH = 64;

function walk(obj: Record<string, unknown>, prefix: string, path: string[], put: (name: string, p: Parsed) => void, depth: number): void {
  if (depth > MAX_JSON_DEPTH) return;
  for (const [key, v] of Object.entries(obj)) {
    const part = sanitizeLabelName(key, prefix === '');
    const name = prefix === '' ? part : part === '' ? prefix : prefix + '_' + part;
    const p = [...path, key];
    if (v === null || Array.isArray(v)) continue;
    if (typeof v === 'object') walk(v as Record<string, unknown>, name, p, put, depth + 1);
    else put(name, { value: String(v), jsonPath: p });
  }
}

/** Every field of one entry: name → values, with the parser that found it (none for metadata). */
function entryFields(e: ResultEntry, visit: (name: string, value: string, parser: FieldParser | undefined, jsonPath?: string[]) => void): void {
  const meta = e.metadata ?? {};
  for (const [k, v] of Object.entries(meta)) visit(k, v, undefined);
  const stream = e.stream.labels;
  const parsed = parseLine(e.line, stream);
  // Labels the query's own parsers extracted (`{...} | json | ...`): neither stream nor metadata.
  for (const [k, v] of Object.entries(e.labels)) {
    if (Object.hasOwn(stream, k) || Object.hasOwn(meta, k) || ERROR_LABELS.has(k) || parsed?.fields.has(k)) continue;
    visit(k, v, parsed?.parser);
  }
  if (parsed) for (const [k, p] of parsed.fields) visit(k, p.value, parsed.parser, p.jsonPath);
}

/** Field statistics over sampled entries; at most `fieldLimit` fields, the first ones found. */
export function detectFields(entries: ResultEntry[], fieldLimit: number): Map<string, FieldStats> {
  const out = new Map<string, FieldStats>();
  for (const e of entries) {
    entryFields(e, (name, value, parser, jsonPath) => {
      let f = out.get(name);
      if (!f) {
        if (out.size >= fieldLimit) return;
        out.set(name, (f = new FieldStats()));
      }
      if (parser) f.addParser(parser);
      if (jsonPath && !f.jsonPath) f.jsonPath = jsonPath;
      f.add(value);
    });
  }
  return out;
}

/** One field as Loki's JSON answer shows it. */
export interface DetectedField {
  label: string;
  type: FieldType;
  cardinality: number;
  /** null for structured metadata, as Loki answers (Logs Drilldown tells the two apart by it). */
  parsers: FieldParser[] | null;
  jsonPath?: string[];
}

export function encodeDetectedFields(fields: Map<string, FieldStats>, limit: number): { fields: DetectedField[]; limit: number } {
  const out: DetectedField[] = [];
  for (const name of [...fields.keys()].sort()) {
    const f = fields.get(name)!;
    const d: DetectedField = { label: name, type: f.type, cardinality: f.cardinality, parsers: f.parsers.length > 0 ? [...f.parsers] : null };
    if (f.jsonPath && f.parsers.includes('json')) d.jsonPath = f.jsonPath;
    out.push(d);
  }
  return { fields: out, limit };
}

/** Distinct values of one field over sampled entries, sorted, at most `limit`. */
export function fieldValues(entries: ResultEntry[], field: string, limit: number): string[] {
  const values = new Set<string>();
  for (const e of entries) {
    entryFields(e, (name, value) => {
      if (name === field && values.size < limit) values.add(value);
    });
    if (values.size >= limit) break;
  }
  return [...values].sort();
}
