/**
 * The timestamp stage (Promtail's `timestamp`): an entry's time is taken from a field of its line
 * instead of the runtime's read time, so lines of services that call each other sort in the order
 * they were written, not the order the runtime happened to read them.
 *
 * Only lines of streams a rule's selector matches are looked at. A JSON line's field is found by a
 * scan over the top-level keys, the last of repeated keys winning as in JSON.parse (no JSON.parse
 * unless the value has escapes);
 * any other line is read as logfmt. A line whose field is missing, does not parse, or lies further
 * than max_skew from the runtime's time keeps the runtime's time: never dropped, only counted.
 */
import type { Labels } from '../../api/model.js';
import { NS_PER_S } from '../../api/time-units.js';
import type { AgentConfig } from '../../config/agent.js';
import { parseDuration } from '../../logql/syntax/index.js';
import { scanLogfmt } from '../../logql/pipeline/logfmt.js';
import { createTimestampParser } from '../tail/timestamp.js';
import { compileSelector, configError } from './selector.js';
import { endOfString, skipValue, skipWs } from '../../api/json-scan.js';

export type TimestampRuleConfig = AgentConfig['pipeline']['timestamp'][number];
export type TimestampFormat = TimestampRuleConfig['format'];

/** Why a line kept the runtime's time: the `reason` label of logwharf_agent_timestamp_parse_failures_total. */
export type TimestampFailure = 'missing' | 'unparsable' | 'skew';

export interface TimestampRule {
  appliesTo(labels: Labels): boolean;
  /** The line's own time in ns, or why it has none usable (`runtimeTs` is the reader's time). */
  extract(line: string, runtimeTs: bigint): bigint | TimestampFailure;
}

const UNIX_SCALE: Record<string, bigint> = { Unix: NS_PER_S, UnixMs: 1_000_000n, UnixUs: 1_000n, UnixNs: 1n };
const DECIMAL = /^(-?)(\d{1,20})(?:\.(\d+))?$/;

export function compileTimestampRules(rules: readonly TimestampRuleConfig[]): TimestampRule[] {
  return rules.map((r, i) => {
    const where = `pipeline.timestamp[${i}]`;
    if (typeof r.source !== 'string' || r.source === '') throw configError(`${where}.source: a field name is required`);
    let maxSkew: bigint;
    try {
      maxSkew = BigInt(parseDuration(r.max_skew ?? '1h'));
    } catch (e) {
      throw configError(`${where}.max_skew: ${(e as Error).message}`);
    }
    const parse = timeParser(r.format, where);
    const source = r.source;
    return {
      appliesTo: compileSelector(r.selector ?? '{}', `${where}.selector`),
      extract(line, runtimeTs) {
        const raw = fieldOf(line, source);
        if (raw === undefined) return 'missing';
        const ts = parse(raw);
        if (ts === undefined) return 'unparsable';
        const d = ts - runtimeTs;
        return d > maxSkew || -d > maxSkew ? 'skew' : ts;
      },
    };
  });
}

/** A parser of the field's text in one of Promtail's format names; nanoseconds or undefined. */
export function timeParser(format: TimestampFormat, where = 'pipeline.timestamp'): (text: string) => bigint | undefined {
  // Go's time.Parse with the RFC3339 layout accepts a fraction too, so both names take 0–9 digits.
  if (format === 'RFC3339' || format === 'RFC3339Nano') return createTimestampParser();
  const scale = UNIX_SCALE[format];
  if (scale === undefined) throw configError(`${where}.format: unknown format ${JSON.stringify(format)}`);
  return (text) => {
    const m = DECIMAL.exec(text);
    if (m === null) return undefined;
    // Exact: digits beyond a nanosecond are cut, never rounded through a float.
    let ns = BigInt(m[2]!) * scale;
    if (m[3] !== undefined) {
      const digits = scale.toString().length - 1;
      if (digits > 0) ns += BigInt(m[3].slice(0, digits).padEnd(digits, '0'));
    }
    return m[1] === '-' ? -ns : ns;
  };
}

/** The text of field `key` of a JSON object line (top level) or a logfmt line; undefined when absent. */
export function fieldOf(line: string, key: string): string | undefined {
  const p = skipWs(line, 0);
  if (line.charCodeAt(p) === 123 /* { */) return jsonField(line, p + 1, key);
  // A logfmt pair is written `key=…`: most lines without it are let go without a scan.
  if (!line.includes(`${key}=`)) return undefined;
  let found: string | undefined;
  scanLogfmt(line, false, {
    pair(k, v) {
      if (found === undefined && k === key && v !== null) found = v;
    },
  });
  return found;
}

/** The decoded text of the JSON string s[start, end) (quotes included); JSON.parse only when it has escapes. */
function stringText(s: string, start: number, end: number): string | undefined {
  const body = s.slice(start + 1, end - 1);
  if (!body.includes('\\')) return body;
  try {
    return JSON.parse(s.slice(start, end)) as string;
  } catch {
    return undefined;
  }
}

/**
 * The top-level `key` of the object whose body starts at `p`: a string value decoded, a number (or
 * other scalar) as written; objects and arrays are not times (undefined). Nested objects are
 * skipped by bracket counting, so a nested "time" never matches. A repeated key gives its last
 * value, as JSON.parse (and LogQL's `json`) do, so the whole object is read.
 */
function jsonField(s: string, p: number, key: string): string | undefined {
  let found: string | undefined;
  for (;;) {
    p = skipWs(s, p);
    if (s.charCodeAt(p) !== 34) return undefined; // `{}` or not JSON
    const ks = p;
    p = endOfString(s, p);
    if (p < 0) return undefined;
    const ke = p;
    p = skipWs(s, p);
    if (s.charCodeAt(p) !== 58 /* : */) return undefined;
    p = skipWs(s, p + 1);
    const vs = p;
    p = skipValue(s, p);
    if (p < 0) return undefined;
    // A key of the same raw length matches as written; only a longer one can be the key with escapes.
    const rawLength = ke - ks - 2;
    if (rawLength === key.length ? s.startsWith(key, ks + 1) : rawLength > key.length && stringText(s, ks, ke) === key) {
      const c = s.charCodeAt(vs);
      found = c === 34 ? stringText(s, vs, p) : c === 123 || c === 91 ? undefined : s.slice(vs, p);
    }
    p = skipWs(s, p);
    if (s.charCodeAt(p) === 125 /* } */) return found;
    if (s.charCodeAt(p) !== 44 /* , */) return undefined;
    p++;
  }
}
