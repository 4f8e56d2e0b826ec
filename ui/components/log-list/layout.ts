/**
 * The arithmetic of the virtualised log list: row offsets as prefix sums over measured or estimated
 * heights, and which rows a scroll position shows. Pure and O(n) at most, so that 100,000 rows cost
 * a few milliseconds to lay out and a binary search per scroll frame.
 */

/** offsets[i] = top of display row i; offsets[n] = total height. */
export function buildOffsets(n: number, heightAt: (i: number) => number): Float64Array {
  const offsets = new Float64Array(n + 1);
  let y = 0;
  for (let i = 0; i < n; i++) {
    offsets[i] = y;
    y += heightAt(i);
  }
  offsets[n] = y;
  return offsets;
}

/** The display row under `y` (the last row whose top is ≤ y), clamped to [0, n-1]; 0 when empty. */
export function indexAt(offsets: Float64Array, y: number): number {
  const n = offsets.length - 1;
  if (n <= 0) return 0;
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** The rows to render for a viewport: visible ones plus `overscan` on each side, end exclusive. */
export function visibleRange(offsets: Float64Array, scrollTop: number, viewport: number, overscan: number): { start: number; end: number } {
  const n = offsets.length - 1;
  if (n <= 0) return { start: 0, end: 0 };
  const first = indexAt(offsets, scrollTop);
  const last = indexAt(offsets, scrollTop + Math.max(viewport, 1) - 0.5);
  return { start: Math.max(0, first - overscan), end: Math.min(n, last + 1 + overscan) };
}

/** A wrapped row's estimated height from its length alone (reading every line's text would cost O(total chars)). */
export function estimateWrapped(length: number, charsPerLine: number, lineHeight: number, padding: number): number {
  const lines = Math.max(1, Math.ceil(length / Math.max(1, charsPerLine)));
  return lines * lineHeight + padding;
}
