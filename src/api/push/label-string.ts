/**
 * Parser for the Prometheus-style label string Loki's protobuf push carries per stream:
 * `{app="api", env="prod"}`. Values are quoted as in PromQL, which Loki uses to parse them: double or
 * single quotes with Go escapes, or backticks without escapes; a trailing comma is allowed.
 */
import type { Labels } from '../model.js';
import { setLabel } from './decoded-push.js';

/** A label string problem. `reason` is the discard reason Loki reports for it. */
export class LabelStringError extends Error {
  readonly reason: 'invalid_labels' | 'duplicate_label_names';
  constructor(reason: 'invalid_labels' | 'duplicate_label_names', message: string) {
    super(message);
    this.name = 'LabelStringError';
    this.reason = reason;
  }
}

function isNameStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 48 && c <= 57);
}
function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13;
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', '"': '"', "'": "'" };

/**
 * Parses a label string into a label set (keys in the order given). Throws LabelStringError with a
 * message naming the position and the problem.
 */
export function parseLabelString(s: string): Labels {
  const n = s.length;
  let i = 0;
  const fail = (msg: string): never => {
    throw new LabelStringError('invalid_labels', `parse error at position ${i + 1}: ${msg}`);
  };
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  if (s.charCodeAt(i) !== 123 /* { */) fail(n === 0 ? 'empty label string, expected {' : 'expected {');
  i++;
  const out: Labels = {};
  let first = true;
  for (;;) {
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    if (i >= n) fail('unexpected end of input, expected }');
    let c = s.charCodeAt(i);
    if (c === 125 /* } */) {
      i++;
      break;
    }
    if (!first) {
      if (c !== 44 /* , */) fail(`unexpected ${JSON.stringify(s[i])}, expected , or }`);
      i++;
      while (i < n && isSpace(s.charCodeAt(i))) i++;
      c = s.charCodeAt(i);
      // A trailing comma before } is accepted, as Loki's parser does.
      if (c === 125) {
        i++;
        break;
      }
    }
    first = false;
    const ns = i;
    if (!isNameStart(c)) fail(i >= n ? 'unexpected end of input, expected label name' : `invalid label name start ${JSON.stringify(s[i])}`);
    i++;
    while (i < n && isNameChar(s.charCodeAt(i))) i++;
    const name = s.slice(ns, i);
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    if (s.charCodeAt(i) !== 61 /* = */) fail(`expected = after label name ${JSON.stringify(name)}`);
    i++;
    if (s.charCodeAt(i) === 126 /* ~ */) fail('regex matchers are not allowed in a stream label set');
    while (i < n && isSpace(s.charCodeAt(i))) i++;
    const q = s.charCodeAt(i);
    let value: string;
    if (q === 96 /* ` */) {
      const e = s.indexOf('`', i + 1);
      if (e < 0) fail('unterminated raw string');
      value = s.slice(i + 1, e);
      i = e + 1;
    } else if (q === 34 /* " */ || q === 39 /* ' */) {
      i++;
      const vs = i;
      // Fast path: no escapes.
      for (;;) {
        if (i >= n) fail('unterminated quoted string');
        const d = s.charCodeAt(i);
        if (d === q || d === 92) break;
        if (d === 10) fail('newline in quoted string');
        i++;
      }
      if (s.charCodeAt(i) === q) {
        value = s.slice(vs, i);
        i++;
      } else {
        value = s.slice(vs, i);
        ({ value, i } = unquoteRest(s, i, value, q === 34 ? '"' : "'", fail));
      }
    } else {
      fail(i >= n ? 'unexpected end of input, expected quoted label value' : `expected quoted label value for ${JSON.stringify(name)}`);
      value = '';
    }
    if (Object.prototype.hasOwnProperty.call(out, name)) {
      throw new LabelStringError('duplicate_label_names', `duplicate label name: ${JSON.stringify(name)}`);
    }
    setLabel(out, name, value);
  }
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  if (i < n) fail(`unexpected ${JSON.stringify(s[i])} after }`);
  return out;
}

/** Continues a double-quoted Go string at an escape; returns the value and the index after the closing quote. */
function unquoteRest(s: string, i: number, prefix: string, quote: string, fail: (m: string) => never): { value: string; i: number } {
  const n = s.length;
  let out = prefix;
  for (;;) {
    if (i >= n) fail('unterminated quoted string');
    const c = s[i]!;
    if (c === quote) return { value: out, i: i + 1 };
    if (c === '\n') fail('newline in quoted string');
    if (c !== '\\') {
      out += c;
      i++;
      continue;
    }
    const e = s[i + 1];
    if (e === undefined) fail('unterminated escape');
    const simple = SIMPLE_ESCAPES[e!];
    if (simple !== undefined) {
      out += simple;
      i += 2;
      continue;
    }
    let digits = 0;
    let base = 16;
    if (e === 'x') digits = 2;
    else if (e === 'u') digits = 4;
    else if (e === 'U') digits = 8;
    else if (e! >= '0' && e! <= '7') {
      digits = 3;
      base = 8;
    } else fail(`invalid escape \\${e}`);
    const start = base === 8 ? i + 1 : i + 2;
    const hex = s.slice(start, start + digits);
    if (hex.length !== digits || !(base === 8 ? /^[0-7]+$/ : /^[0-9a-fA-F]+$/).test(hex)) fail(`invalid escape \\${e}${hex}`);
    const code = parseInt(hex, base);
    if (e === 'x' || base === 8) {
      // \x and octal escapes are single bytes in Go; bytes ≥ 0x80 alone are not valid UTF-8.
      if (code > 0xff) fail('octal escape value > 255');
      out += code < 0x80 ? String.fromCharCode(code) : '\ufffd';
    } else {
      if (code > 0x10ffff || (code >= 0xd800 && code < 0xe000)) fail(`invalid Unicode code point in escape \\${e}${hex}`);
      out += String.fromCodePoint(code);
    }
    i = start + digits;
  }
}
