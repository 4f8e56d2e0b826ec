/**
 * Per-window functions of LogQL range aggregations (issue #3), over one series' samples sorted by
 * time. `evaluateWindows` slides the window `(t - offset - range, t - offset]` across the steps with
 * two pointers, so every sample is passed over by the pointers once.
 *
 * Count and byte sums use prefix sums (integers, exact below 2^53). The unwrap functions run over
 * each window's samples in time order, with the same arithmetic as Loki's `range_vector.go`
 * (plain summation, incremental mean, Welford variance, Prometheus' quantile interpolation), so
 * results agree with Loki to the last bit rather than merely approximately.
 */
import type { RangeOp } from '../../logql/syntax/ast.js';

/** One series' samples: times relative to the query's base (ns, ascending) and values. */
export interface SortedSamples {
  t: Float64Array;
  v: Float64Array;
}

export interface WindowParams {
  op: RangeOp;
  /** quantile_over_time's φ. */
  param?: number;
  /** Whether the range has `| unwrap` (rate then sums values instead of counting). */
  unwrap: boolean;
  /** Range (ns). */
  range: number;
  /** Step (ns). */
  step: number;
  /** Number of steps. Step i's window is `(i*step, i*step + range]` in relative time. */
  count: number;
}

/**
 * The value of the series at every step; NaN where the window holds no sample.
 * For `count_over_time`, `rate`, `bytes_*` without unwrap, `v` holds 1 or the line's byte size.
 * A window that holds samples but whose value is NaN (unwrapped `NaN`, or +Inf and -Inf averaged)
 * is a NaN sample, which Loki returns: `onNaN(i)` is told of each such step, so the caller can
 * mark it present (src/logql/eval/types.ts).
 */
export function evaluateWindows(s: SortedSamples, p: WindowParams, onNaN?: (step: number) => void): Float64Array {
  const out = new Float64Array(p.count);
  const n = s.t.length;
  const t = s.t;
  const seconds = p.range / 1e9;
  const fn = p.unwrap || !isLineOp(p.op) ? windowFunction(p) : undefined;
  // Prefix sums for the line operations (count is b - a, bytes a difference of prefix sums).
  let prefix: Float64Array | undefined;
  if (fn === undefined && (p.op === 'bytes_over_time' || p.op === 'bytes_rate')) {
    prefix = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) prefix[i + 1] = prefix[i]! + s.v[i]!;
  }
  let a = 0;
  let b = 0;
  for (let i = 0; i < p.count; i++) {
    const lo = i * p.step;
    const hi = lo + p.range;
    while (a < n && t[a]! <= lo) a++;
    if (b < a) b = a;
    while (b < n && t[b]! <= hi) b++;
    if (a === b) {
      out[i] = NaN;
      continue;
    }
    if (fn !== undefined) {
      const v = fn(s, a, b);
      out[i] = v;
      if (v !== v && onNaN !== undefined) onNaN(i);
      continue;
    }
    switch (p.op) {
      case 'count_over_time':
        out[i] = b - a;
        break;
      case 'rate':
        out[i] = (b - a) / seconds;
        break;
      case 'bytes_over_time':
        out[i] = prefix![b]! - prefix![a]!;
        break;
      case 'bytes_rate':
        out[i] = (prefix![b]! - prefix![a]!) / seconds;
        break;
      default:
        // absent_over_time: presence is what matters; the caller turns it into absence.
        out[i] = 1;
    }
  }
  return out;
}

/**
 * Count-like operations (count_over_time, rate, bytes_over_time, bytes_rate, absent_over_time
 * without unwrap) over samples in any order: each sample adds itself to the range of steps whose
 * windows hold it, through difference arrays, so no sort is needed: O(samples + steps). Exact,
 * as counts and byte sums are integers. `v` (line sizes) is only read for the bytes operations.
 */
export function evaluateLineWindows(t: ArrayLike<number>, v: ArrayLike<number>, n: number, p: WindowParams): Float64Array {
  const w = new LineWindows(p);
  for (let k = 0; k < n; k++) w.add(t[k]!, v[k]!);
  return w.finish();
}

/**
 * evaluateLineWindows as it goes: the difference arrays filled one sample at a time (`add`), added
 * together across threads (`merge`: integer sums, so in any order the same), evaluated once.
 * Query workers keep these instead of their samples (issue #12): a count over millions of lines
 * crosses to the calling thread as two arrays of the steps' length.
 */
export class LineWindows {
  readonly hits: Float64Array;
  readonly sums: Float64Array;
  private readonly bytes: boolean;

  constructor(
    private readonly p: WindowParams,
    from?: { hits: Float64Array; sums: Float64Array },
  ) {
    this.bytes = p.op === 'bytes_over_time' || p.op === 'bytes_rate';
    this.hits = from?.hits ?? new Float64Array(p.count + 1);
    this.sums = this.bytes ? (from?.sums ?? new Float64Array(p.count + 1)) : this.hits;
  }

  add(x: number, size: number): void {
    const { count, step, range } = this.p;
    // Steps i whose window (i·step, i·step + range] holds x: i·step < x and i·step ≥ x − range.
    // The divisions give the answer up to rounding; the loops settle it with exact products.
    let hi = Math.ceil(x / step) - 1;
    while (hi >= 0 && hi * step >= x) hi--;
    while ((hi + 1) * step < x) hi++;
    const from = x - range;
    let lo = Math.ceil(from / step);
    while (lo * step < from) lo++;
    while ((lo - 1) * step >= from) lo--;
    if (lo < 0) lo = 0;
    if (hi > count - 1) hi = count - 1;
    if (lo > hi) return;
    this.hits[lo]! += 1;
    this.hits[hi + 1]! -= 1;
    if (this.bytes) {
      this.sums[lo]! += size;
      this.sums[hi + 1]! -= size;
    }
  }

  merge(o: { hits: Float64Array; sums: Float64Array }): void {
    for (let i = 0; i < this.hits.length; i++) this.hits[i]! += o.hits[i]!;
    if (this.bytes) for (let i = 0; i < this.sums.length; i++) this.sums[i]! += o.sums[i]!;
  }

  finish(): Float64Array {
    const p = this.p;
    const { count, range } = p;
    const bytes = this.bytes;
    const hits = this.hits;
    const sums = this.sums;
    const out = new Float64Array(count);
    const seconds = range / 1e9;
    let c = 0;
    let sum = 0;
    for (let i = 0; i < count; i++) {
      c += hits[i]!;
      if (bytes) sum += sums[i]!;
      if (c === 0) {
        out[i] = NaN;
        continue;
      }
      switch (p.op) {
        case 'rate':
          out[i] = c / seconds;
          break;
        case 'bytes_over_time':
          out[i] = sum;
          break;
        case 'bytes_rate':
          out[i] = sum / seconds;
          break;
        case 'absent_over_time':
          out[i] = 1;
          break;
        default:
          out[i] = c;
      }
    }
    return out;
  }
}

/** The operations evaluateLineWindows computes (without unwrap). */
export function isLineOp(op: RangeOp): boolean {
  return op === 'count_over_time' || op === 'rate' || op === 'bytes_over_time' || op === 'bytes_rate' || op === 'absent_over_time';
}

/** A function over the samples `[a, b)` (non-empty) of one window. */
type WindowFn = (s: SortedSamples, a: number, b: number) => number;

function windowFunction(p: WindowParams): WindowFn {
  const seconds = p.range / 1e9;
  switch (p.op) {
    case 'rate':
      return (s, a, b) => sum(s.v, a, b) / seconds;
    case 'count_over_time':
      return (_s, a, b) => b - a;
    case 'bytes_over_time':
    case 'sum_over_time':
      return (s, a, b) => sum(s.v, a, b);
    case 'bytes_rate':
      return (s, a, b) => sum(s.v, a, b) / seconds;
    case 'avg_over_time':
      return (s, a, b) => avg(s.v, a, b);
    case 'min_over_time':
      return (s, a, b) => min(s.v, a, b);
    case 'max_over_time':
      return (s, a, b) => max(s.v, a, b);
    case 'stdvar_over_time':
      return (s, a, b) => stdvar(s.v, a, b);
    case 'stddev_over_time':
      return (s, a, b) => Math.sqrt(stdvar(s.v, a, b));
    case 'quantile_over_time': {
      const q = p.param ?? NaN;
      return (s, a, b) => quantile(q, s.v.slice(a, b));
    }
    case 'first_over_time':
      return (s, a) => s.v[a]!;
    case 'last_over_time':
      return (s, _a, b) => s.v[b - 1]!;
    case 'rate_counter': {
      const rangeMs = Math.trunc(p.range / 1e6);
      return (s, a, b) => rateCounter(s, a, b, rangeMs, seconds);
    }
    case 'absent_over_time':
      return () => 1;
  }
}

function sum(v: Float64Array, a: number, b: number): number {
  let r = 0;
  for (let i = a; i < b; i++) r += v[i]!;
  return r;
}

/** Incremental mean that survives infinities, as Prometheus' avg_over_time (and Loki) compute it. */
function avg(v: Float64Array, a: number, b: number): number {
  let mean = 0;
  let count = 0;
  for (let i = a; i < b; i++) {
    const x = v[i]!;
    count++;
    if (!Number.isFinite(mean) && !Number.isNaN(mean)) {
      if (!Number.isFinite(x) && !Number.isNaN(x) && (mean > 0) === (x > 0)) continue;
      if (Number.isFinite(x)) continue;
    }
    mean += x / count - mean / count;
  }
  return mean;
}

function min(v: Float64Array, a: number, b: number): number {
  let m = v[a]!;
  for (let i = a; i < b; i++) if (v[i]! < m || Number.isNaN(m)) m = v[i]!;
  return m;
}

function max(v: Float64Array, a: number, b: number): number {
  let m = v[a]!;
  for (let i = a; i < b; i++) if (v[i]! > m || Number.isNaN(m)) m = v[i]!;
  return m;
}

/** Population variance, Welford's method. */
function stdvar(v: Float64Array, a: number, b: number): number {
  let aux = 0;
  let count = 0;
  let mean = 0;
  for (let i = a; i < b; i++) {
    const x = v[i]!;
    count++;
    const delta = x - mean;
    mean += delta / count;
    aux += delta * (x - mean);
  }
  return aux / count;
}

/**
 * Prometheus' quantile: sort (NaN first), rank φ·(n−1), linear interpolation between the two
 * neighbouring values; φ < 0 gives −Inf, φ > 1 gives +Inf. Sorts `values` in place.
 */
export function quantile(q: number, values: Float64Array): number {
  const n = values.length;
  if (n === 0 || Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  // Float64Array.sort orders numerically with NaN last; Prometheus puts NaN first.
  values.sort();
  let nan = 0;
  while (nan < n && Number.isNaN(values[n - 1 - nan]!)) nan++;
  const at = (i: number) => (i < nan ? NaN : values[i - nan]!);
  const rank = q * (n - 1);
  const lower = Math.max(0, Math.floor(rank));
  const upper = Math.min(n - 1, lower + 1);
  const weight = rank - Math.floor(rank);
  return at(lower) * (1 - weight) + at(upper) * weight;
}

/**
 * `rate_counter`: Loki's copy of Prometheus' extrapolatedRate (counter, per second), including
 * its anchoring: Loki passes no window bounds to the function, so the range is taken to start
 * `range` before the first sample and to end at the last one, and sample times are nanoseconds
 * where the formula expects milliseconds. Reproduced as is, because rate_counter results must agree
 * with Loki's. Fewer than two samples give 0.
 */
function rateCounter(s: SortedSamples, a: number, b: number, rangeMs: number, seconds: number): number {
  const n = b - a;
  if (n < 2) return 0;
  const t = s.t;
  const v = s.v;
  let result = v[b - 1]! - v[a]!;
  let last = 0;
  for (let i = a; i < b; i++) {
    if (v[i]! < last) result += last;
    last = v[i]!;
  }
  let durationToStart = rangeMs / 1000;
  const durationToEnd = 0;
  const sampledInterval = (t[b - 1]! - t[a]!) / 1000;
  const averageBetween = sampledInterval / (n - 1);
  if (result > 0 && v[a]! >= 0) {
    const durationToZero = sampledInterval * (v[a]! / result);
    if (durationToZero < durationToStart) durationToStart = durationToZero;
  }
  const threshold = averageBetween * 1.1;
  let interval = sampledInterval;
  interval += durationToStart < threshold ? durationToStart : averageBetween / 2;
  interval += durationToEnd < threshold ? durationToEnd : averageBetween / 2;
  result = result * (interval / sampledInterval);
  return result / seconds;
}
