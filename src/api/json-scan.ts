/**
 * A scanner over the raw text of a JSON line, for the hot paths that need one top-level field without
 * JSON.parse (level detection at ingest and in the agent, the agent's timestamp rule): whitespace,
 * strings (escapes skipped, not decoded) and whole values (objects and arrays by bracket counting,
 * so nesting never recurses). Indices in, indices out; -1 means the text is not well-formed there.
 */

/** The index of the first non-whitespace character at or after `p` (JSON's four whitespace characters). */
export function skipWs(s: string, p: number): number {
  const n = s.length;
  while (p < n) {
    const c = s.charCodeAt(p);
    if (c === 32 || c === 9 || c === 10 || c === 13) p++;
    else break;
  }
  return p;
}

/** From a `"`: the index after the closing quote (an escaped quote does not close), or -1. */
export function endOfString(s: string, p: number): number {
  const n = s.length;
  p++;
  while (p < n) {
    const c = s.charCodeAt(p);
    if (c === 34) return p + 1;
    p += c === 92 ? 2 : 1;
  }
  return -1;
}

/** The index after the value starting at `p` (a string, object, array or scalar), or -1. */
export function skipValue(s: string, p: number): number {
  const n = s.length;
  const c = s.charCodeAt(p);
  if (c === 34) return endOfString(s, p);
  if (c === 123 || c === 91) {
    let depth = 0;
    while (p < n) {
      const d = s.charCodeAt(p);
      if (d === 34) {
        p = endOfString(s, p);
        if (p < 0) return -1;
        continue;
      }
      if (d === 123 || d === 91) depth++;
      else if ((d === 125 || d === 93) && --depth === 0) return p + 1;
      p++;
    }
    return -1;
  }
  const start = p;
  while (p < n) {
    const d = s.charCodeAt(p);
    if (d === 44 || d === 125 || d === 93 || d === 32 || d === 9 || d === 10 || d === 13) break;
    p++;
  }
  return p > start ? p : -1;
}
