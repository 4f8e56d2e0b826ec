/**
 * Value conversions for label filters and templates: Go's strconv.ParseFloat, time.ParseDuration
 * and go-humanize's ParseBytes, as Loki uses them. Each returns undefined when the text is not
 * valid, so the caller can set `__error__`.
 */

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_FLOATS: Record<string, number> = {
  inf: Infinity,
  '+inf': Infinity,
  '-inf': -Infinity,
  infinity: Infinity,
  '+infinity': Infinity,
  '-infinity': -Infinity,
  nan: NaN,
};

/** strconv.ParseFloat(s, 64) for decimal input (hex floats are not accepted). */
export function parseGoFloat(s: string): number | undefined {
  if (FLOAT_RE.test(s)) return Number(s);
  const k = s.toLowerCase();
  return Object.hasOwn(SPECIAL_FLOATS, k) ? SPECIAL_FLOATS[k] : undefined;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** time.ParseDuration: `300ms`, `-1.5h`, `2h45m`, `0`. Returns nanoseconds. */
export function parseGoDuration(s: string): number | undefined {
  let i = 0;
  let neg = false;
  if (s[0] === '-' || s[0] === '+') {
    neg = s[0] === '-';
    i = 1;
  }
  if (s.slice(i) === '0') return 0;
  if (i >= s.length) return undefined;
  let total = 0;
  while (i < s.length) {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s.slice(i))!;
    if (m[0] === '' || m[0] === '.' || (m[1] === '' && (m[2] ?? '') === '')) return undefined;
    const value = Number((m[1] || '0') + '.' + (m[2] || '0'));
    i += m[0].length;
    const u = /^[^\d.]+/.exec(s.slice(i));
    if (!u) return undefined;
    const mult = DURATION_UNITS[u[0]];
    if (mult === undefined || !Object.hasOwn(DURATION_UNITS, u[0])) return undefined;
    total += value * mult;
    i += u[0].length;
  }
  return neg ? -total : total;
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

/** go-humanize ParseBytes: `42MB`, `1.5KiB`, `20 B`, `1024` (case-insensitive units). */
export function parseBytes(s: string): number | undefined {
  const m = /^\s*([0-9][0-9,]*(?:\.[0-9]*)?|\.[0-9]+)\s*([A-Za-z]*)\s*$/.exec(s);
  if (!m) return undefined;
  const unit = m[2]!.toLowerCase();
  if (!Object.hasOwn(BYTE_UNITS, unit)) return undefined;
  const n = Number(m[1]!.replace(/,/g, ''));
  if (!Number.isFinite(n)) return undefined;
  return Math.trunc(n * BYTE_UNITS[unit]!);
}
