/**
 * Array helpers for arrays of any length. `a.push(...b)` and `Math.max(...b)` pass every element
 * as a call argument, which throws "Maximum call stack size exceeded" somewhere past ~100,000
 * elements (a block of 300,000 entries did, on every start); these loop instead.
 */

/** Appends every item of `items` to `into` and returns `into`. */
export function pushAll<T>(into: T[], items: Iterable<T>): T[] {
  for (const x of items) into.push(x);
  return into;
}

/** The largest of `items` as mapped by `f`; -Infinity when empty, as Math.max(). */
export function maxOf<T>(items: Iterable<T>, f: (x: T) => number): number {
  let m = -Infinity;
  for (const x of items) {
    const v = f(x);
    if (v > m || Number.isNaN(v)) m = v;
    if (Number.isNaN(m)) return m;
  }
  return m;
}

/** The smallest of `items` as mapped by `f`; Infinity when empty, as Math.min(). */
export function minOf<T>(items: Iterable<T>, f: (x: T) => number): number {
  let m = Infinity;
  for (const x of items) {
    const v = f(x);
    if (v < m || Number.isNaN(v)) m = v;
    if (Number.isNaN(m)) return m;
  }
  return m;
}
