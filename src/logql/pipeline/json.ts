/**
 * A small JSON scanner for the `json` and `unpack` parsers. It does not build objects: it walks the
 * text once, emitting flattened labels, and keeps numbers and booleans as written (Loki returns
 * `1.50` as "1.50" and 64-bit ids without rounding, which JSON.parse cannot).
 */
import { LogwharfError } from '../../api/errors.js';

export class JsonSyntaxError extends Error {}

const MAX_DEPTH = 1000;

export class JsonScanner {
  s = '';
  i = 0;

  reset(s: string): void {
    this.s = s;
    this.i = 0;
    this.bs = -1;
  }

  /** Moves back (or on) to `i`; the backslash position remembered for str() no longer holds. */
  seek(i: number): void {
    this.i = i;
    this.bs = -1;
  }

  fail(what: string): never {
    throw new JsonSyntaxError(`${what} at offset ${this.i}`);
  }

  ws(): void {
    const s = this.s;
    let i = this.i;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === 32 || c === 10 || c === 13 || c === 9) i++;
      else break;
    }
    this.i = i;
  }

  peek(): number {
    // Most tokens follow the last without whitespace: skip the loop then (every JSON whitespace is ≤ 32).
    const c = this.s.charCodeAt(this.i);
    if (c > 32) return c;
    this.ws();
    return this.s.charCodeAt(this.i);
  }

  expect(c: number, what: string): void {
    if (this.peek() !== c) this.fail(`expected ${what}`);
    this.i++;
  }

  // Position of the next backslash at or after the last string start (-1: unknown, MAX: none), so
  // strings are found with native indexOf instead of a character loop.
  private bs = -1;

  /** Reads a string starting at the opening quote; returns its unescaped value. */
  str(): string {
    const s = this.s;
    const start = this.i + 1;
    const end = s.indexOf('"', start);
    if (end < 0) this.fail('unterminated string');
    if (this.bs < start) {
      const b = s.indexOf('\\', start);
      this.bs = b < 0 ? Number.MAX_SAFE_INTEGER : b;
    }
    if (this.bs > end) {
      this.i = end + 1;
      return s.slice(start, end);
    }
    return this.strEscaped(start);
  }

  /** Checks a string as str() does (same errors), without building its value. */
  strSkip(): void {
    const s = this.s;
    const start = this.i + 1;
    const end = s.indexOf('"', start);
    if (end < 0) this.fail('unterminated string');
    if (this.bs < start) {
      const b = s.indexOf('\\', start);
      this.bs = b < 0 ? Number.MAX_SAFE_INTEGER : b;
    }
    if (this.bs > end) {
      this.i = end + 1;
      return;
    }
    this.strEscaped(start);
  }

  private strEscaped(start: number): string {
    const s = this.s;
    let out = '';
    let i = start;
    let run = start;
    for (;;) {
      const c = s.charCodeAt(i);
      if (Number.isNaN(c)) this.fail('unterminated string');
      if (c === 34) {
        out += s.slice(run, i);
        this.i = i + 1;
        return out;
      }
      if (c !== 92) {
        i++;
        continue;
      }
      out += s.slice(run, i);
      const e = s[i + 1];
      i += 2;
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out += e;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          const code = this.hex4(i);
          i += 4;
          if (code >= 0xd800 && code <= 0xdbff && s[i] === '\\' && s[i + 1] === 'u') {
            const lo = this.hex4(i + 2);
            if (lo >= 0xdc00 && lo <= 0xdfff) {
              out += String.fromCharCode(code, lo);
              i += 6;
              break;
            }
          }
          // A lone surrogate cannot be encoded as UTF-8; it becomes U+FFFD as Go would.
          out += code >= 0xd800 && code <= 0xdfff ? '\uFFFD' : String.fromCharCode(code);
          break;
        }
        default:
          this.i = i - 2;
          this.fail('invalid escape');
      }
      run = i;
    }
  }

  private hex4(at: number): number {
    const h = this.s.slice(at, at + 4);
    if (!/^[0-9A-Fa-f]{4}$/.test(h)) {
      this.i = at;
      this.fail('invalid \\u escape');
    }
    return parseInt(h, 16);
  }

  /** Reads a number, true, false or null as written. */
  scalar(): string {
    const s = this.s;
    const start = this.i;
    let i = start;
    for (;;) {
      const c = s.charCodeAt(i);
      // Stop at structural characters and whitespace.
      if (Number.isNaN(c) || c === 44 || c === 125 || c === 93 || c === 32 || c === 10 || c === 13 || c === 9 || c === 58) break;
      i++;
    }
    const tok = s.slice(start, i);
    if (tok !== 'true' && tok !== 'false' && tok !== 'null' && !/^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?$/.test(tok)) {
      this.fail(`invalid value ${JSON.stringify(tok.slice(0, 20))}`);
    }
    this.i = i;
    return tok;
  }

  /** Checks a number, true, false or null as scalar() does (same errors), without slicing it. */
  scalarSkip(): void {
    const s = this.s;
    const start = this.i;
    let i = start;
    for (;;) {
      const c = s.charCodeAt(i);
      if (Number.isNaN(c) || c === 44 || c === 125 || c === 93 || c === 32 || c === 10 || c === 13 || c === 9 || c === 58) break;
      i++;
    }
    if (!isScalarToken(s, start, i)) this.fail(`invalid value ${JSON.stringify(s.slice(start, i).slice(0, 20))}`);
    this.i = i;
  }

  // Container kinds while skipping (1 object, 0 array); reused so skipping does not allocate.
  private stack: number[] = [];

  /** Skips a string starting at its opening quote without unescaping it. */
  skipStr(): void {
    const s = this.s;
    let j = this.i + 1;
    for (;;) {
      const q = s.indexOf('"', j);
      if (q < 0) this.fail('unterminated string');
      let b = 0;
      while (s.charCodeAt(q - 1 - b) === 92) b++;
      if (b % 2 === 0) {
        this.i = q + 1;
        return;
      }
      j = q + 1;
    }
  }

  private key(): void {
    if (this.peek() !== 34) this.fail('expected key');
    this.skipStr();
    this.expect(58, "':'");
  }

  /** Skips one value of any kind (iteratively, so deep nesting cannot overflow the stack). */
  skip(): void {
    const stack = this.stack;
    let sp = 0;
    for (;;) {
      const c = this.peek();
      if (c === 123) {
        this.i++;
        if (this.peek() === 125) this.i++;
        else {
          stack[sp++] = 1;
          this.key();
          continue;
        }
      } else if (c === 91) {
        this.i++;
        if (this.peek() === 93) this.i++;
        else {
          stack[sp++] = 0;
          continue;
        }
      } else if (c === 34) {
        this.skipStr();
      } else if (c === 125 || c === 93 || c === 44 || c === 58 || Number.isNaN(c)) {
        this.fail('expected a value');
      } else {
        this.scalar();
      }
      for (;;) {
        if (sp === 0) return;
        const d = this.peek();
        const obj = stack[sp - 1] === 1;
        if (d === 44) {
          this.i++;
          if (obj) this.key();
          break;
        }
        if (d === (obj ? 125 : 93)) {
          this.i++;
          sp--;
          continue;
        }
        this.fail("expected ',' or a closing bracket");
      }
    }
  }

  /** Skips a value and returns its raw text. */
  raw(): string {
    this.ws();
    const start = this.i;
    this.skip();
    return this.s.slice(start, this.i);
  }

  end(): void {
    this.ws();
    if (this.i < this.s.length) this.fail('unexpected data after the document');
  }
}

/** Whether s[start, end) is `true`, `false`, `null` or a JSON number: scalar()'s regex, by hand. */
function isScalarToken(s: string, start: number, end: number): boolean {
  const n = end - start;
  const c0 = s.charCodeAt(start);
  if (c0 === 116) return n === 4 && s.startsWith('true', start);
  if (c0 === 102) return n === 5 && s.startsWith('false', start);
  if (c0 === 110) return n === 4 && s.startsWith('null', start);
  let i = start;
  if (c0 === 45) i++;
  // Integer part: 0, or a digit 1-9 and more digits.
  if (i < end && s.charCodeAt(i) === 48) i++;
  else {
    if (!(i < end && isDigit(s.charCodeAt(i)))) return false;
    while (i < end && isDigit(s.charCodeAt(i))) i++;
  }
  if (i < end && s.charCodeAt(i) === 46) {
    i++;
    const from = i;
    while (i < end && isDigit(s.charCodeAt(i))) i++;
    if (i === from) return false;
  }
  if (i < end && (s.charCodeAt(i) === 101 || s.charCodeAt(i) === 69)) {
    i++;
    if (i < end && (s.charCodeAt(i) === 43 || s.charCodeAt(i) === 45)) i++;
    const from = i;
    while (i < end && isDigit(s.charCodeAt(i))) i++;
    if (i === from) return false;
  }
  return i === end;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * The keys met at each position of the previous document, with their label names. Lines of one
 * stream usually repeat the same keys in the same order, so a key that matches the prediction is
 * neither sliced, unescaped, sanitised nor concatenated, and the label name reused is an interned
 * string, which keeps property access on the label objects fast.
 */
export class KeyNode {
  keys: string[] = [];
  names: string[] = [];
  children: Array<KeyNode | undefined> = [];
  /** Under parser hints, per position: 1 when its name is wanted as a leaf, 2 when an object there can hold one. */
  wanted: number[] = [];
}

/**
 * Which flattened names to emit (parser hints, ./label-hints.ts): `has` for a leaf, `hasUnder` for
 * an object whose leaves would be named `prefix_...`. Every value is still checked as without.
 */
export interface JsonWants {
  has(name: string): boolean;
  hasUnder(prefix: string): boolean;
}

/**
 * For a walk that may stop early (walkJsonObject): finds the text in a line that could be (part of)
 * a key yielding a name the caller still needs.
 */
export interface JsonTail {
  /** Of the first occurrences at or after `from` of the texts such a key must contain, the last one's start; -1 when none occurs. */
  nextPossibleAt(line: string, from: number): number;
}

/** Emits nothing: the walk only validates (an object no wanted name can come from). */
const NOTHING: JsonWants = { has: () => false, hasUnder: () => false };

/**
 * Walks a JSON object, calling `emit(path, value)` for every string, number and boolean leaf;
 * nested object keys are joined with `_` after `name(key, isFirst)` maps each key. Arrays and
 * nulls are skipped. Throws JsonSyntaxError on malformed input or a non-object document.
 */
export function walkJsonObject(
  sc: JsonScanner,
  root: KeyNode,
  name: (key: string, first: boolean) => string,
  emit: (label: string, value: string) => void,
  wants: JsonWants | null = null,
  tail: JsonTail | null = null,
): void {
  if (sc.peek() !== 123) sc.fail('expected a JSON object');
  if (walkObject(sc, '', root, name, emit, 0, wants, tail)) return;
  sc.end();
}

/**
 * Where the walk may stop (walkJsonObject's `tail`, for a caller to whom a malformed document means
 * nothing more than "no further labels": the `json` stage whose errors the next stage drops). No
 * later key can yield a wanted name when the rest holds no backslash (so every key is its raw text)
 * and none of the names' letter-and-digit runs (sanitising keeps those as they are, and joining
 * nested keys only adds `_`): the rest would only be validated, and validity changes nothing for
 * such a caller, so the walk stops at a top-level comma. Returns -1 when nothing follows `from`
 * (stop), else the last position at which something found starts: no need to look again before it.
 */
function nextPossibleAt(s: string, from: number, tail: JsonTail): number {
  return Math.max(s.indexOf('\\', from), tail.nextPossibleAt(s, from));
}

/** With `wants` (parser hints), only wanted names are emitted; the others are checked, not decoded. */
function walkObject(
  sc: JsonScanner,
  prefix: string,
  node: KeyNode,
  name: (key: string, first: boolean) => string,
  emit: (label: string, value: string) => void,
  depth: number,
  wants: JsonWants | null,
  tail: JsonTail | null = null,
): boolean {
  if (depth > MAX_DEPTH) sc.fail('nesting too deep');
  sc.i++; // '{'
  if (sc.peek() === 125) {
    sc.i++;
    return false;
  }
  const s = sc.s;
  // Under `tail` (the top level of a walk that may stop early): no need to look for a stop before this.
  let lookAt = 0;
  for (let k = 0; ; k++) {
    if (sc.peek() !== 34) sc.fail('expected key');
    const predicted = node.keys[k];
    let full: string;
    // Under hints: 1 when the name is wanted as a leaf, 2 when an object under it can hold one.
    let bits = 3;
    if (predicted !== undefined && s.startsWith(predicted, sc.i + 1) && s.charCodeAt(sc.i + 1 + predicted.length) === 34) {
      sc.i += predicted.length + 2;
      full = node.names[k]!;
      if (wants !== null) bits = node.wanted[k]!;
    } else {
      const key = sc.str();
      const part = name(key, prefix === '');
      full = prefix === '' ? part : part === '' ? prefix : prefix + '_' + part;
      // Keys with quotes or backslashes are not predicted: their raw text differs from the key.
      if (key.indexOf('"') < 0 && key.indexOf('\\') < 0) {
        node.keys[k] = key;
        node.names[k] = full;
        if (wants !== null) node.wanted[k] = bits = (wants.has(full) ? 1 : 0) | (wants.hasUnder(full) ? 2 : 0);
        node.children[k] = undefined;
      } else {
        node.keys.length = Math.min(node.keys.length, k);
        if (wants !== null) bits = (wants.has(full) ? 1 : 0) | (wants.hasUnder(full) ? 2 : 0);
      }
    }
    sc.expect(58, "':'");
    const c = sc.peek();
    // 1: decode and emit; 0: only check (unwanted under hints).
    const want = (c === 123 ? bits & 2 : bits & 1) !== 0 ? 1 : 0;
    if (c === 34) {
      if (want === 0) sc.strSkip();
      else {
        const v = sc.str();
        if (full !== '') emit(full, v);
      }
    } else if (c === 123) {
      let child = node.children[k];
      if (child === undefined || node.keys[k] === undefined) {
        child = new KeyNode();
        if (node.keys[k] !== undefined) node.children[k] = child;
      }
      walkObject(sc, full, child, name, emit, depth + 1, want === 0 ? NOTHING : wants);
    } else if (c === 91) {
      sc.skip();
    } else if (want === 0) {
      sc.scalarSkip();
    } else {
      const v = sc.scalar();
      if (v !== 'null' && full !== '') emit(full, v);
    }
    const d = sc.peek();
    if (d === 44) {
      if (tail !== null && sc.i >= lookAt) {
        const at = nextPossibleAt(s, sc.i, tail);
        if (at < 0) return true;
        lookAt = at + 1;
      }
      sc.i++;
      continue;
    }
    if (d === 125) {
      sc.i++;
      return false;
    }
    sc.fail("expected ',' or '}'");
  }
}

/** One step of a `json` parser expression: a key or an array index. */
export type JsonPathStep = string | number;

/** Parses a `json` parameter expression: `a.b[0]["c d"]`. */
export function parseJsonPath(expr: string): JsonPathStep[] {
  const bad = () => new LogwharfError('parse_error', `invalid json path ${JSON.stringify(expr)}`);
  const steps: JsonPathStep[] = [];
  let i = 0;
  const ident = () => {
    const m = /^[^.[\]"\s]+/.exec(expr.slice(i));
    if (!m) throw bad();
    i += m[0].length;
    return m[0];
  };
  if (expr[0] !== '[') steps.push(ident());
  while (i < expr.length) {
    if (expr[i] === '.') {
      i++;
      steps.push(ident());
    } else if (expr[i] === '[') {
      const rest = expr.slice(i);
      const num = /^\[\s*(\d+)\s*\]/.exec(rest);
      const quoted = /^\[\s*"((?:[^"\\]|\\.)*)"\s*\]/.exec(rest);
      if (num) {
        steps.push(Number(num[1]));
        i += num[0].length;
      } else if (quoted) {
        steps.push(JSON.parse(`"${quoted[1]}"`) as string);
        i += quoted[0].length;
      } else throw bad();
    } else throw bad();
  }
  if (steps.length === 0) throw bad();
  return steps;
}

/**
 * Finds the value at `path` in a validated document; strings are unescaped, other scalars kept as
 * written, objects and arrays returned as their JSON text, null as "". undefined when absent.
 * Where a key repeats in an object the last one is followed, as JSON.parse and `json` without
 * parameters do, so `json a="a"` and `json` agree on `{"a":1,"a":2}`. (Loki 2.8's own `json` with
 * parameters stops at the first occurrence, jsoniter's Get; a deliberate difference, docs/api.md.)
 */
export function jsonPathValue(sc: JsonScanner, path: JsonPathStep[]): string | undefined {
  sc.reset(sc.s);
  for (const step of path) {
    const c = sc.peek();
    if (typeof step === 'string') {
      if (c !== 123) return undefined;
      sc.i++;
      if (sc.peek() === 125) return undefined;
      // The whole object is read: the value of the key's last occurrence is the one followed.
      let at = -1;
      for (;;) {
        const key = sc.str();
        sc.expect(58, "':'");
        if (key === step) at = sc.i;
        sc.skip();
        if (sc.peek() !== 44) break;
        sc.i++;
        sc.peek();
      }
      if (at < 0) return undefined;
      sc.seek(at);
    } else {
      if (c !== 91) return undefined;
      sc.i++;
      if (sc.peek() === 93) return undefined;
      for (let k = 0; k < step; k++) {
        sc.skip();
        if (sc.peek() !== 44) return undefined;
        sc.i++;
      }
    }
  }
  const c = sc.peek();
  if (c === 34) return sc.str();
  if (c === 123 || c === 91) return sc.raw();
  const v = sc.scalar();
  return v === 'null' ? '' : v;
}
