/**
 * Duration syntaxes on Loki's HTTP API and in LogQL. `since`, `step`, `interval` and LogQL ranges use
 * Prometheus' form (`1h30m`, `7d`, `2w`, `1y`: integers only, units largest first); logcli's flags,
 * LogQL's other durations and label filters use Go's `time.ParseDuration` form (`1.5h`, `300ms`,
 * `-5m`). Both are facts of the protocols, written here once. The cores return Loki's error message
 * instead of throwing, so each caller chooses how to fail. Results are nanoseconds.
 */
import { NS_PER_MS, NS_PER_S } from './time-units.js';
import { goQuote } from './quote.js';

// time.Duration is an int64 of nanoseconds; a negative one may reach -2^63.
const INT64_MAX = 9223372036854775807n;
const NEG_LIMIT = INT64_MAX + 1n;
// Fraction digits past this many cannot move a result by a nanosecond; Go drops them too.
const MAX_FRACTION_DIGITS = 30;

// Prometheus' units in the only order they may appear.
const PROM_UNITS: ReadonlyArray<readonly [string, bigint]> = [
  ['y', 365n * 24n * 3600n * NS_PER_S],
  ['w', 7n * 24n * 3600n * NS_PER_S],
  ['d', 24n * 3600n * NS_PER_S],
  ['h', 3600n * NS_PER_S],
  ['m', 60n * NS_PER_S],
  ['s', NS_PER_S],
  ['ms', NS_PER_MS],
];

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * Prometheus' `model.ParseDuration`: `0`, or integer-unit pairs from `y` down to `ms`, each unit at
 * most once, largest first. Returns nanoseconds, or the error message Loki reports.
 */
export function promDurationOrError(s: string): bigint | string {
  if (s === '0') return 0n;
  if (s === '') return 'empty duration string';
  let total = 0n;
  let last = -1;
  let i = 0;
  while (i < s.length) {
    const start = i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    if (i === start) return `not a valid duration string: ${goQuote(s)}`;
    const digits = s.slice(start, i);
    const ustart = i;
    while (i < s.length && !isDigit(s.charCodeAt(i))) i++;
    if (i === ustart) return `not a valid duration string: ${goQuote(s)}`;
    const unit = s.slice(ustart, i);
    const pos = PROM_UNITS.findIndex((u) => u[0] === unit);
    if (pos < 0) return `unknown unit ${goQuote(unit)} in duration ${goQuote(s)}`;
    if (pos <= last) return `not a valid duration string: ${goQuote(s)}`;
    last = pos;
    // More than 19 significant digits is out of range whatever the unit (and would be slow as a BigInt).
    if (digits.replace(/^0+/, '').length > 19) return 'duration out of range';
    total += BigInt(digits) * PROM_UNITS[pos]![1];
    if (total > INT64_MAX) return 'duration out of range';
  }
  return total;
}

/** Prometheus' duration form (see {@link promDurationOrError}); `undefined` if invalid. */
export function parsePromDuration(text: string): bigint | undefined {
  const r = promDurationOrError(text);
  return typeof r === 'bigint' ? r : undefined;
}

const GO_UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n,
  'μs': 1_000n,
  ms: NS_PER_MS,
  s: NS_PER_S,
  m: 60n * NS_PER_S,
  h: 3600n * NS_PER_S,
};

/** A Go duration's sign and magnitude apart, so a number result can keep `-0s` as -0. */
function scanGoDuration(orig: string): { negative: boolean; ns: bigint } | string {
  const bad = `time: invalid duration ${goQuote(orig)}`;
  let s = orig;
  let negative = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return { negative, ns: 0n };
  if (s === '') return bad;
  // The exact decimal sum is num / 10^scale nanoseconds; it is rounded (half up) once, at the end.
  let num = 0n;
  let scale = 0;
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
      frac = s.slice(fs, Math.min(i, fs + MAX_FRACTION_DIGITS));
    }
    if (intPart === '' && frac === '') return bad;
    const us = i;
    while (i < s.length && s[i] !== '.' && !isDigit(s.charCodeAt(i))) i++;
    if (us === i) return `time: missing unit in duration ${goQuote(orig)}`;
    const unit = s.slice(us, i);
    const mult = Object.hasOwn(GO_UNITS, unit) ? GO_UNITS[unit] : undefined;
    if (mult === undefined) return `time: unknown unit ${goQuote(unit)} in duration ${goQuote(orig)}`;
    if (intPart.replace(/^0+/, '').length > 19) return bad;
    if (frac.length > scale) {
      num *= 10n ** BigInt(frac.length - scale);
      scale = frac.length;
    }
    num += BigInt((intPart || '0') + frac.padEnd(scale, '0')) * mult;
    if (num > NEG_LIMIT * 10n ** BigInt(scale)) return bad;
  }
  const den = 10n ** BigInt(scale);
  const ns = (2n * num + den) / (2n * den);
  if (ns > (negative ? NEG_LIMIT : INT64_MAX)) return bad;
  return { negative, ns };
}

/**
 * Go's `time.ParseDuration`: an optional sign and decimal-unit pairs such as `1h30m`, `1.5h`,
 * `250ms`. Returns nanoseconds (rounded to the nearest) as a number (`-0s` gives -0), or Go's
 * error message.
 */
export function goDurationOrError(text: string): number | string {
  const r = scanGoDuration(text);
  if (typeof r === 'string') return r;
  const n = Number(r.ns);
  return r.negative ? -n : n;
}

/** Go's duration form (see {@link goDurationOrError}) as exact bigint nanoseconds; `undefined` if invalid. */
export function parseGoDuration(text: string): bigint | undefined {
  const r = scanGoDuration(text);
  if (typeof r === 'string') return undefined;
  return r.negative ? -r.ns : r.ns;
}

/**
 * Prometheus' `model.Duration.String()`, which Loki uses wherever it prints a duration of its
 * limits (drilldown-limits, /config): whole milliseconds, units from `y` down to `ms`, years and
 * weeks only when they divide the rest exactly (`90d`, not `12w6d`), `0s` for zero.
 */
export function formatPromDuration(ms: number): string {
  let rest = Math.trunc(ms);
  if (rest <= 0) return '0s';
  let out = '';
  for (const [unit, ns] of PROM_UNITS) {
    const mult = Number(ns / NS_PER_MS);
    if ((unit === 'y' || unit === 'w') && rest % mult !== 0) continue;
    const v = Math.floor(rest / mult);
    if (v > 0) {
      out += `${v}${unit}`;
      rest -= v * mult;
    }
  }
  return out;
}
