/**
 * Durations and byte sizes as LogQL reads them. Loki tries Prometheus' duration form first
 * (`1h30m`, `7d`, `2w`, `1y`: integers, units largest first) and falls back to Go's
 * time.ParseDuration (`1.5h`, `300ms`, `-5m`); ranges in `[...]` accept only the Prometheus form.
 * Byte sizes follow go-humanize's ParseBytes (`1KB` = 1000, `1KiB` = 1024, case-insensitive).
 * The parsers themselves live in api/ (the HTTP API and CLI read the same forms); durations here are
 * nanoseconds as `number`.
 */
import { bytesOrError } from '../../api/bytes.js';
import { goDurationOrError, promDurationOrError } from '../../api/duration.js';
import { LogwharfError } from '../../api/errors.js';

export { goQuote } from '../../api/quote.js';

const MS = 1e6;

/** Prometheus' model.ParseDuration; returns an error message instead of throwing. */
export function parsePromDuration(s: string): number | string {
  const r = promDurationOrError(s);
  return typeof r === 'string' ? r : Number(r);
}

/** Loki's duration rule: Prometheus form first, then Go's. Returns an error message on failure. */
export function tryParseDuration(s: string): number | string {
  const p = parsePromDuration(s);
  if (typeof p === 'number') return p;
  return goDurationOrError(s);
}

/**
 * Parses a LogQL duration (`5m`, `1h30m`, `1d`, `2w`, `1y`, `1.5h`, `250ms`, `-5m`) to nanoseconds.
 * Throws LogwharfError('parse_error') when the text is not a duration.
 */
export function parseDuration(text: string): number {
  const r = tryParseDuration(text);
  if (typeof r === 'string') throw new LogwharfError('parse_error', r);
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

/** go-humanize's ParseBytes; returns an error message instead of throwing. */
export const tryParseBytes: (s: string) => number | string = bytesOrError;

/** Parses a byte size (`1KB`, `1.5KiB`, `20MB`, `42`) to bytes. Throws LogwharfError('parse_error'). */
export function parseBytes(text: string): number {
  const r = tryParseBytes(text);
  if (typeof r === 'string') throw new LogwharfError('parse_error', r);
  return r;
}
