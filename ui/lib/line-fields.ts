/**
 * The fields LogQL's `json` or `logfmt` parser would extract from one log line, computed in the
 * browser so an expanded line can offer "filter for / filter out" on them. It follows the server's
 * parsers (src/logql/pipeline) in what a user can observe: names sanitised like Loki's (letters,
 * digits and `_`; a leading digit gets `_`), nested JSON keys joined with `_`, arrays and nulls
 * skipped, numbers and booleans kept as their raw text, logfmt's standalone keys and malformed pairs
 * skipped. Pure: no DOM, unit tested under test/unit/ui.
 */

export type LineParser = 'json' | 'logfmt';

export interface LineFields {
  parser: LineParser;
  /** Sanitised name → value, in the line's order. */
  fields: Array<[name: string, value: string]>;
}

/** The parser a user would add for this line and what it extracts; undefined for plain text. */
export function lineFields(line: string): LineFields | undefined {
  const t = line.trimStart();
  if (t.startsWith('{')) {
    const json = jsonFields(t);
    if (json) return json.length > 0 ? { parser: 'json', fields: json } : undefined;
  }
  const lf = logfmtFields(line);
  return lf.length > 0 ? { parser: 'logfmt', fields: lf } : undefined;
}

/** Loki's label-name sanitising; `first` is true for the first segment of a flattened name. */
export function sanitizeName(key: string, first = true): string {
  const k = key.trim();
  if (k === '') return '';
  let out = '';
  for (const ch of k) out += /^[A-Za-z0-9_]$/.test(ch) ? ch : '_';
  return first && /^[0-9]/.test(out) ? '_' + out : out;
}

class JsonReader {
  i = 0;
  constructor(readonly s: string) {}
  ws(): void {
    while (this.i < this.s.length && ' \t\n\r'.includes(this.s[this.i]!)) this.i++;
  }
  peek(): string | undefined {
    this.ws();
    return this.s[this.i];
  }
  fail(): never {
    throw new SyntaxError('not JSON');
  }
  str(): string {
    // The raw quoted text, decoded by JSON.parse (exact escapes, surrogates included).
    const start = this.i;
    this.i++;
    while (this.i < this.s.length) {
      const c = this.s[this.i];
      if (c === '\\') this.i += 2;
      else if (c === '"') {
        this.i++;
        return JSON.parse(this.s.slice(start, this.i)) as string;
      } else this.i++;
    }
    return this.fail();
  }
  /** A number, true, false or null as its raw text. */
  scalar(): string {
    const m = /^(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)/.exec(this.s.slice(this.i, this.i + 64));
    if (!m) this.fail();
    this.i += m[0].length;
    return m[0];
  }
  skipValue(): void {
    const c = this.peek();
    if (c === '"') this.str();
    else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      this.i++;
      if (this.peek() === close) return void this.i++;
      for (;;) {
        if (c === '{') {
          if (this.peek() !== '"') this.fail();
          this.str();
          if (this.peek() !== ':') this.fail();
          this.i++;
        }
        this.skipValue();
        const d = this.peek();
        this.i++;
        if (d === close) return;
        if (d !== ',') this.fail();
      }
    } else this.scalar();
  }
}

function jsonFields(text: string): Array<[string, string]> | undefined {
  const r = new JsonReader(text);
  const out: Array<[string, string]> = [];
  const seen = new Set<string>();
  const walk = (prefix: string, depth: number): void => {
    if (depth > 64) r.fail();
    r.i++; // '{'
    if (r.peek() === '}') return void r.i++;
    for (;;) {
      if (r.peek() !== '"') r.fail();
      const part = sanitizeName(r.str(), prefix === '');
      const name = prefix === '' ? part : part === '' ? prefix : `${prefix}_${part}`;
      if (r.peek() !== ':') r.fail();
      r.i++;
      const c = r.peek();
      if (c === '{') walk(name, depth + 1);
      else if (c === '[') r.skipValue();
      else {
        const v = c === '"' ? r.str() : r.scalar();
        if (name !== '' && v !== 'null' && !seen.has(name)) (seen.add(name), out.push([name, v]));
      }
      const d = r.peek();
      r.i++;
      if (d === '}') return;
      if (d !== ',') r.fail();
    }
  };
  try {
    walk('', 0);
    if (r.peek() !== undefined) r.fail();
    return out;
  } catch {
    return undefined;
  }
}

const LOGFMT_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', b: '\b', f: '\f' };

function logfmtFields(line: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const seen = new Set<string>();
  const add = (key: string, value: string) => {
    const name = sanitizeName(key);
    if (name !== '' && !seen.has(name)) (seen.add(name), out.push([name, value]));
  };
  // A pair is key=value, key="quoted \"value\"" or key= ; anything else (a word, a stray quote) is skipped.
  const re = /(?:^|\s)([^\s="]+)=(?:"((?:[^"\\]|\\.)*)"(?=\s|$)|([^\s="]*)(?=\s|$))/gs;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (m[2] !== undefined) add(m[1]!, m[2].replace(/\\(u[0-9A-Fa-f]{4}|.)/gs, (_, e: string) => (e.length === 5 ? String.fromCharCode(parseInt(e.slice(1), 16)) : (LOGFMT_ESCAPES[e] ?? e))));
    else add(m[1]!, m[3] ?? '');
  }
  return out;
}
