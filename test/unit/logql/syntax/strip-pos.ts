/** A copy of a tree without `pos` fields or undefined-valued keys, for structural comparison. */
export function stripPos(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripPos);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (k !== 'pos' && x !== undefined) out[k] = stripPos(x);
    return out;
  }
  return v;
}
