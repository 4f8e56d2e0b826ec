/**
 * Prometheus' number formatting on the query API: sample values are strings written like Go's
 * strconv.FormatFloat(v, 'f', -1, 64) (shortest round-trip digits, never an exponent; NaN, +Inf,
 * -Inf), and timestamps are JSON numbers of float seconds formatted the same way.
 */

/** Formats a sample value as Loki and Prometheus put it in `"value"` strings. */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  return toFixedShortest(v);
}

/** Formats a millisecond timestamp as float seconds (`1700000000.123`), as Prometheus' model.Time does. */
export function formatPromTime(ms: number): string {
  return toFixedShortest(ms / 1000);
}

/** Parses a sample value string written by {@link formatSampleValue} (or by Loki / Prometheus). */
export function parseSampleValue(text: string): number {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
    default:
      return Number(text);
  }
}

// JS already prints the shortest round-trip digits; only its exponent form (|v| >= 1e21 or < 1e-6)
// has to be spelled out in fixed notation.
function toFixedShortest(v: number): string {
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const neg = s.startsWith('-');
  const mantissa = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = dot < 0 ? mantissa : mantissa.slice(0, dot) + mantissa.slice(dot + 1);
  const intLen = (dot < 0 ? mantissa.length : dot) + exp;
  let out: string;
  if (intLen <= 0) out = '0.' + '0'.repeat(-intLen) + digits;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = digits.slice(0, intLen) + '.' + digits.slice(intLen);
  return neg ? '-' + out : out;
}
