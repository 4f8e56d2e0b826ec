/**
 * Byte sizes as Loki reads them, with go-humanize's `ParseBytes`: a decimal number (commas allowed)
 * and a case-insensitive unit, SI (`1KB` = 1000) or IEC (`1KiB` = 1024), optionally after spaces.
 */
import { goQuote } from './quote.js';

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

function isNumberRune(c: number): boolean {
  return (c >= 48 && c <= 57) || c === 46 || c === 44;
}

/**
 * go-humanize's `ParseBytes` (`42MB`, `1.5KiB`, `20 B`, `1,024`): whole bytes (truncated), or the
 * error message Loki reports.
 */
export function bytesOrError(s: string): number | string {
  let i = 0;
  while (i < s.length && isNumberRune(s.charCodeAt(i))) i++;
  const num = s.slice(0, i).replace(/,/g, '');
  if (!/^(?:\d+\.?\d*|\.\d+)$/.test(num)) return `strconv.ParseFloat: parsing ${goQuote(num)}: invalid syntax`;
  const unit = s.slice(i).trim().toLowerCase();
  if (!Object.hasOwn(BYTE_UNITS, unit)) return `unhandled size name: ${unit}`;
  const v = Number(num) * BYTE_UNITS[unit]!;
  // ParseBytes returns a uint64.
  if (v >= 2 ** 64) return `too large: ${s}`;
  return Math.trunc(v);
}

/** A byte size (see {@link bytesOrError}); `undefined` if invalid. */
export function parseBytes(text: string): number | undefined {
  const r = bytesOrError(text);
  return typeof r === 'number' ? r : undefined;
}
