/**
 * Splitting a block's joined-lines column (the lines' UTF-8 bytes separated by '\n') into strings.
 * Decoded in pieces of about DECODE_CHUNK bytes, cut at a '\n', rather than as one string per
 * block: V8 makes a string of a whole block (~270 KB) in its large-object space, and decoding and
 * splitting measured 0.3–0.8 GB/s that way against 1.7–2.5 GB/s in 16 KB pieces (32 and 64 KB
 * alike; bench/line-decode.bench.ts), where it had been the largest single cost of a parsing
 * query (issue #12). A '\n' byte never occurs inside a UTF-8 sequence, so the pieces decode to
 * exactly the whole's text.
 */
export const DECODE_CHUNK = 16 * 1024;

/**
 * The `n` lines of `blob`, as the whole text split at '\n' would give them: the last line takes the
 * rest (newlines included, in a malformed column with too many) and missing lines are empty.
 */
export function splitJoinedLines(blob: Buffer, n: number, chunk = DECODE_CHUNK): string[] {
  const out: string[] = new Array(n);
  const len = blob.length;
  let i = 0;
  let p = 0;
  while (i < n - 1 && p < len) {
    // [p, e): whole lines; e is a '\n' or the end.
    let e = p + chunk;
    if (e >= len) e = len;
    else {
      const nl = blob.lastIndexOf(10, e - 1);
      if (nl >= p) e = nl;
      else {
        const next = blob.indexOf(10, e);
        e = next < 0 ? len : next;
      }
    }
    const text = blob.toString('utf8', p, e);
    let q = 0;
    for (;;) {
      if (i === n - 1) {
        // The last line: the rest of the column, whatever it holds.
        out[i++] = e < len ? text.slice(q) + blob.toString('utf8', e, len) : text.slice(q);
        return out;
      }
      const k = text.indexOf('\n', q);
      if (k < 0) {
        out[i++] = text.slice(q);
        break;
      }
      out[i++] = text.slice(q, k);
      q = k + 1;
    }
    p = e + 1;
  }
  if (i === n - 1 && p <= len) out[i++] = blob.toString('utf8', p, len);
  while (i < n) out[i++] = '';
  return out;
}
