/**
 * Timestamps as Loki's HTTP API takes and gives them (pkg/loghttp/params.go behaviour):
 * an integer of at most 10 characters is Unix seconds, a longer one Unix nanoseconds; a number with
 * a '.' is float seconds rounded to the millisecond; anything else must be RFC3339 / RFC3339Nano.
 * Everything is nanoseconds since the epoch as bigint.
 */
import { msToNs, NS_PER_S } from './time-units.js';

const INT64_MAX = 9223372036854775807n;
const INT64_MIN = -9223372036854775808n;

const INTEGER = /^[+-]?\d+$/;
const DECIMAL_FLOAT = /^[+-]?(?:\d+\.\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses a timestamp parameter the way Loki does. Returns nanoseconds, or `undefined` if the text
 * is not a timestamp in any accepted form.
 */
export function parseLokiTimestamp(text: string): bigint | undefined {
  if (text.includes('.') && DECIMAL_FLOAT.test(text)) {
    const secs = Number(text);
    // Beyond ±2^63 ns the value cannot be a time; Go would silently wrap, we refuse.
    if (!Number.isFinite(secs) || Math.abs(secs) >= 9.2e9) return undefined;
    const whole = Math.trunc(secs);
    const fracMs = roundHalfAway((secs - whole) * 1000);
    return BigInt(whole) * NS_PER_S + msToNs(fracMs);
  }
  if (INTEGER.test(text)) {
    const n = BigInt(text);
    if (n > INT64_MAX || n < INT64_MIN) return undefined;
    return text.length <= 10 ? n * NS_PER_S : n;
  }
  return parseRfc3339Nano(text);
}

/** Go's math.Round: halves away from zero (JS Math.round rounds -0.5 up to 0). */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Parses RFC3339 with optional fraction of up to 9 digits (Go's RFC3339Nano layout). */
export function parseRfc3339Nano(text: string): bigint | undefined {
  const m = RFC3339.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6]].map(Number) as [number, number, number, number, number, number];
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return undefined;
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  const maxDay = month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day < 1 || day > maxDay) return undefined;
  let offsetSecs = 0;
  if (!m[8]) {
    const oh = Number(m[10]);
    const om = Number(m[11]);
    if (oh > 23 || om > 59) return undefined;
    offsetSecs = (oh * 3600 + om * 60) * (m[9] === '-' ? -1 : 1);
  }
  const d = new Date(0);
  // setUTCFullYear, not Date.UTC: Date.UTC maps years 0–99 to 1900–1999.
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  const frac = m[7] ? BigInt(m[7].padEnd(9, '0')) : 0n;
  return (BigInt(d.getTime() / 1000) - BigInt(offsetSecs)) * NS_PER_S + frac;
}

/** Formats nanoseconds as Go's RFC3339Nano in UTC: trailing zeros of the fraction dropped. */
export function formatRfc3339Nano(ns: bigint): string {
  let secs = ns / NS_PER_S;
  let frac = ns % NS_PER_S;
  if (frac < 0n) {
    frac += NS_PER_S;
    secs -= 1n;
  }
  const iso = new Date(Number(secs) * 1000).toISOString(); // 2024-01-02T03:04:05.000Z
  const base = iso.slice(0, iso.indexOf('.'));
  if (frac === 0n) return base + 'Z';
  return base + '.' + frac.toString().padStart(9, '0').replace(/0+$/, '') + 'Z';
}
