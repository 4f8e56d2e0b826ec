/**
 * Duration syntaxes on Loki's HTTP API. `since`, `step` and `interval` use Prometheus' form
 * (`1h30m`, `7d`, `2w`, integers only, units largest first); logcli's flags use Go's
 * `time.ParseDuration` form (`1.5h`, `300ms`). Both are facts of the protocols, written here.
 * Results are nanoseconds as bigint.
 */

const NS_PER_MS = 1_000_000n;
const NS_PER_S = 1_000_000_000n;
const INT64_MAX = 9223372036854775807n;

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

/**
 * Parses a Prometheus duration (`model.ParseDuration`): `0`, or integer-unit pairs from `y` down to
 * `ms`, each unit at most once, largest first. Returns nanoseconds, or `undefined` if invalid.
 */
export function parsePromDuration(text: string): bigint | undefined {
  if (text === '0') return 0n;
  if (text === '') return undefined;
  let total = 0n;
  let lastPos = -1;
  let i = 0;
  while (i < text.length) {
    const digitsStart = i;
    while (i < text.length && text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57) i++;
    if (i === digitsStart) return undefined;
    const value = BigInt(text.slice(digitsStart, i));
    const unitStart = i;
    while (i < text.length && !(text.charCodeAt(i) >= 48 && text.charCodeAt(i) <= 57)) i++;
    const unit = text.slice(unitStart, i);
    const pos = PROM_UNITS.findIndex(([u]) => u === unit);
    if (pos < 0 || pos <= lastPos) return undefined;
    lastPos = pos;
    total += value * PROM_UNITS[pos]![1];
    if (total > INT64_MAX) return undefined;
  }
  return total;
}

const GO_UNITS: Record<string, number> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3,
  'μs': 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * Parses a Go duration (`time.ParseDuration`): an optional sign and decimal-unit pairs such as
 * `1h30m`, `1.5h`, `250ms`. Returns nanoseconds (rounded), or `undefined` if invalid.
 */
export function parseGoDuration(text: string): bigint | undefined {
  let s = text;
  let sign = 1n;
  if (s.startsWith('-') || s.startsWith('+')) {
    if (s[0] === '-') sign = -1n;
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return undefined;
  const re = /^(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/;
  let total = 0n;
  while (s.length > 0) {
    const m = re.exec(s);
    if (!m || (m[1] === '' && (m[2] === undefined || m[2] === ''))) return undefined;
    const mult = BigInt(GO_UNITS[m[3]!]!);
    const whole = BigInt(m[1] || '0') * mult;
    const fracDigits = m[2] ?? '';
    // Fractions are exact in decimal: frac * mult / 10^len, rounded to the nanosecond.
    const frac = fracDigits === '' ? 0n : (BigInt(fracDigits) * mult * 2n + 10n ** BigInt(fracDigits.length)) / (2n * 10n ** BigInt(fracDigits.length));
    total += whole + frac;
    if (total > INT64_MAX) return undefined;
    s = s.slice(m[0].length);
  }
  return sign * total;
}
