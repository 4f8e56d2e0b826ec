/** LogQL text: string literals (writing any value as one, reading one back, with Go's escapes as LogQL reads them) and a stream's exact selector. Pure. */

/** A LogQL double-quoted string for any value (Go's escapes, which LogQL reads). */
export function quoteLogql(value: string): string {
  let out = '"';
  for (const ch of value) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}

const ESCAPES: Record<string, string> = { n: '\n', r: '\r', t: '\t', a: '\x07', b: '\b', f: '\f', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/** The value of a LogQL string literal (`"…"` with Go escapes, or a raw `` `…` ``). */
export function unquoteLogql(lit: string): string {
  if (lit.startsWith('`')) return lit.slice(1, -1);
  return lit.slice(1, -1).replace(/\\(x[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|[0-7]{3}|.)/gs, (_, e: string) => {
    if (e.length === 1) return ESCAPES[e] ?? e;
    if (/^[0-7]{3}$/.test(e)) return String.fromCharCode(parseInt(e, 8));
    return String.fromCodePoint(parseInt(e.slice(1), 16));
  });
}

/** `{a="b", c="d"}`: the exact selector of one stream. */
export function streamSelector(labels: Record<string, string>): string {
  return `{${Object.keys(labels)
    .sort()
    .map((k) => `${k}=${quoteLogql(labels[k]!)}`)
    .join(', ')}}`;
}
