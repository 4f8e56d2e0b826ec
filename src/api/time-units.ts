/**
 * Time-unit conversions, in one place. Loki's wire and our store count nanoseconds (bigint);
 * clocks, timers and configuration count milliseconds (number); Prometheus-style parameters and
 * metrics count seconds. Conversions to a coarser unit round down (towards -∞, also before 1970),
 * so a timestamp always falls in the millisecond or second that contains it.
 */

export const NS_PER_MS = 1_000_000n;
export const NS_PER_S = 1_000_000_000n;

/** Milliseconds (a `Date.now()`, possibly fractional from arithmetic) → nanoseconds of the whole ms. */
export function msToNs(ms: number): bigint {
  return BigInt(Math.floor(ms)) * NS_PER_MS;
}

/** Now, in nanoseconds (millisecond resolution). */
export function nowNs(): bigint {
  return msToNs(Date.now());
}

/** Nanoseconds → the whole millisecond containing them. */
export function nsToMs(ns: bigint): bigint {
  return floorDiv(ns, NS_PER_MS);
}

/** Nanoseconds → the whole second containing them. */
export function nsToSeconds(ns: bigint): bigint {
  return floorDiv(ns, NS_PER_S);
}

/** The nanoseconds past the whole second: 0 … 999,999,999, also before 1970. */
export function subsecondNs(ns: bigint): bigint {
  return ns - nsToSeconds(ns) * NS_PER_S;
}

/** Nanoseconds as exact decimal seconds, without trailing zeros: `1.5`, `-0.000000001`, `1700000000`. */
export function nsToSecondsString(ns: bigint): string {
  const neg = ns < 0n;
  const abs = neg ? -ns : ns;
  const frac = (abs % NS_PER_S).toString().padStart(9, '0').replace(/0+$/, '');
  return (neg ? '-' : '') + (abs / NS_PER_S).toString() + (frac ? '.' + frac : '');
}

/** A duration in nanoseconds as a float (what parseDuration returns) → float milliseconds. */
export function durationNsToMs(ns: number): number {
  return ns / 1e6;
}

/** A duration in nanoseconds (float, or a bigint difference of two clocks) → float seconds. */
export function durationNsToSeconds(ns: number | bigint): number {
  return Number(ns) / 1e9;
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}
