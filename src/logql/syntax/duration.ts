/**
 * Durations and byte sizes as LogQL reads them. Loki tries Prometheus' duration form first
 * (`1h30m`, `7d`, `2w`, `1y`: integers, units largest first) and falls back to Go's
 * time.ParseDuration (`1.5h`, `300ms`, `-5m`); ranges in `[...]` accept only the Prometheus form.
 * Byte sizes follow go-humanize's ParseBytes (`1KB` = 1000, `1KiB` = 1024, case-insensitive).
 * All durations are nanoseconds as `number`.
 */
import { LogharborError } from '../../api/errors.js';

const MS = 1e6;
const PROM_UNITS: ReadonlyArray<readonly [string, number]> = [
  ['y', 365 * 24 * 3600e9],
  ['w', 7 * 24 * 3600e9],
  ['d', 24 * 3600e9],
  ['h', 3600e9],
  ['m', 60e9],
  ['s', 1e9],
  ['ms', MS],
];
// time.Duration is an int64 of nanoseconds.
const MAX_NS = 9223372036854775807;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Prometheus' model.ParseDuration; returns an error message instead of throwing. */
export function parsePromDuration(s: string): number | string {
  if (s === '0') return 0;
  if (s === '') return 'empty duration string';
  let total = 0;
  let last = -1;
  let i = 0;
  while (i < s.length) {
    const start = i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    if (i === start) return `not a valid duration string: ${goQuote(s)}`;
    const v = Number(s.slice(start, i));
    const ustart = i;
    while (i < s.length && !isDigit(s.charCodeAt(i))) i++;
    if (i === ustart) return `not a valid duration string: ${goQuote(s)}`;
    const unit = s.slice(ustart, i);
    const pos = PROM_UNITS.findIndex((u) => u[0] === unit);
    if (pos < 0) return `unknown unit ${goQuote(unit)} in duration ${goQuote(s)}`;
    if (pos <= last) return `not a valid duration string: ${goQuote(s)}`;
    last = pos;
    total += v * PROM_UNITS[pos]![1];
    if (total > MAX_NS) return 'duration out of range';
  }
  return total;
}

const GO_UNITS: Record<string, number> = { ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: MS, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration; returns an error message instead of throwing. */
export function parseGoDuration(orig: string): number | string {
  const bad = `time: invalid duration ${goQuote(orig)}`;
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return neg ? -0 : 0;
  if (s === '') return bad;
  let total = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (!(c === 46 || isDigit(c))) return bad;
    const intStart = i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    const intPart = s.slice(intStart, i);
    let frac = '';
    if (s[i] === '.') {
      i++;
      const fs = i;
      while (i < s.length && isDigit(s.charCodeAt(i))) i++;
      frac = s.slice(fs, i);
    }
    if (intPart === '' && frac === '') return bad;
    const us = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s.charCodeAt(i))) i++;
    if (us === i) return `time: missing unit in duration ${goQuote(orig)}`;
    const unit = s.slice(us, i);
    const mult = Object.hasOwn(GO_UNITS, unit) ? GO_UNITS[unit] : undefined;
    if (mult === undefined) return `time: unknown unit ${goQuote(unit)} in duration ${goQuote(orig)}`;
    total += Number((intPart || '0') + '.' + (frac || '0')) * mult;
    if (total > MAX_NS) return bad;
  }
  total = Math.round(total);
  return neg ? -total : total;
}

/** Loki's duration rule: Prometheus form first, then Go's. Returns an error message on failure. */
export function tryParseDuration(s: string): number | string {
  const p = parsePromDuration(s);
  if (typeof p === 'number') return p;
  return parseGoDuration(s);
}

/**
 * Parses a LogQL duration (`5m`, `1h30m`, `1d`, `2w`, `1y`, `1.5h`, `250ms`, `-5m`) to nanoseconds.
 * Throws LogharborError('parse_error') when the text is not a duration.
 */
export function parseDuration(text: string): number {
  const r = tryParseDuration(text);
  if (typeof r === 'string') throw new LogharborError('parse_error', r);
  return r;
}

/**
 * Formats nanoseconds so that parseDuration reads the same value back: Prometheus' form
 * (`1h30m`, `1d`, `2w`) when the value is whole milliseconds and not negative, else Go's units
 * (`-1h5m`, `1m0.5us` written as `1m500ns`).
 */
export function formatDuration(ns: number): string {
  if (ns === 0) return '0s';
  if (ns > 0 && ns % MS === 0) {
    let ms = ns / MS;
    let out = '';
    const part = (unit: string, mult: number, exact: boolean): void => {
      if (exact && ms % mult !== 0) return;
      const v = Math.floor(ms / mult);
      if (v > 0) {
        out += `${v}${unit}`;
        ms -= v * mult;
      }
    };
    // Years and weeks only when exact, as Prometheus does: 90d reads better than 12w6d.
    part('y', 365 * 24 * 3600e3, true);
    part('w', 7 * 24 * 3600e3, true);
    part('d', 24 * 3600e3, false);
    part('h', 3600e3, false);
    part('m', 60e3, false);
    part('s', 1e3, false);
    part('ms', 1, false);
    return out;
  }
  let rest = Math.abs(ns);
  let out = ns < 0 ? '-' : '';
  for (const [unit, mult] of [
    ['h', 3600e9],
    ['m', 60e9],
    ['s', 1e9],
    ['ms', 1e6],
    ['us', 1e3],
    ['ns', 1],
  ] as const) {
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      rest -= v * mult;
    }
  }
  return out;
}

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  ki: 1024,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1e12,
  tb: 1e12,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
  p: 1e15,
  pb: 1e15,
  pi: 1024 ** 5,
  pib: 1024 ** 5,
  e: 1e18,
  eb: 1e18,
  ei: 1024 ** 6,
  eib: 1024 ** 6,
};

/** go-humanize's ParseBytes; returns an error message instead of throwing. */
export function tryParseBytes(s: string): number | string {
  let i = 0;
  while (i < s.length && (isDigit(s.charCodeAt(i)) || s[i] === '.' || s[i] === ',')) i++;
  const num = s.slice(0, i).replace(/,/g, '');
  if (!/^(?:\d+\.?\d*|\.\d+)$/.test(num)) return `strconv.ParseFloat: parsing ${goQuote(num)}: invalid syntax`;
  const unit = s.slice(i).trim().toLowerCase();
  if (!Object.hasOwn(BYTE_UNITS, unit)) return `unhandled size name: ${unit}`;
  const v = Number(num) * BYTE_UNITS[unit]!;
  if (v >= 2 ** 64) return `too large: ${s}`;
  return Math.trunc(v);
}

/** Parses a byte size (`1KB`, `1.5KiB`, `20MB`, `42`) to bytes. Throws LogharborError('parse_error'). */
export function parseBytes(text: string): number {
  const r = tryParseBytes(text);
  if (typeof r === 'string') throw new LogharborError('parse_error', r);
  return r;
}

/** Go's %q for the plain text Loki echoes in messages. */
export function goQuote(s: string): string {
  return JSON.stringify(s);
}
