/**
 * Value conversions for label filters and templates: Go's strconv.ParseFloat, time.ParseDuration
 * and go-humanize's ParseBytes, as Loki uses them. Each returns undefined when the text is not
 * valid, so the caller can set `__error__`. Durations and byte sizes are parsed in api/, shared
 * with LogQL's lexer and the HTTP API.
 */
import { goDurationOrError } from '../../api/duration.js';

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

/** time.ParseDuration: `300ms`, `-1.5h`, `2h45m`, `0`. Returns nanoseconds (rounded to the nearest). */
export function parseGoDuration(s: string): number | undefined {
  const r = goDurationOrError(s);
  return typeof r === 'number' ? r : undefined;
}

/** go-humanize ParseBytes: `42MB`, `1.5KiB`, `20 B`, `1024` (case-insensitive units). */
export { parseBytes } from '../../api/bytes.js';
