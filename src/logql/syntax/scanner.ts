/**
 * The LogQL scanner. It reads one token at a time with charCode comparisons (no regular
 * expressions on the hot path) and decides token kinds the way Loki's lexer does: a number
 * directly followed by duration units is a DURATION (`5m`, `1h30m`, `-5m`), by byte units a BYTES
 * (`10KB`, `1MiB`), `[...]` is one RANGE token holding a Prometheus duration, `--strict` and
 * `--keep-empty` are flags, and `#` starts a comment running to the end of the line (so does `//`,
 * and slash-star block comments are skipped too: Loki's Go scanner does both).
 * Keywords are IDENT tokens; the parser decides what they mean from where they stand.
 */
import { goQuote, parsePromDuration, tryParseBytes, tryParseDuration } from './duration.js';

export type TokenKind =
  | 'EOF'
  | 'IDENT'
  | 'STRING'
  | 'NUMBER'
  | 'DURATION'
  | 'BYTES'
  | 'RANGE'
  | 'FLAG'
  | 'ERROR'
  | 'ILLEGAL'
  | '{'
  | '}'
  | '('
  | ')'
  | ','
  | '.'
  | ']'
  | '='
  | '=='
  | '!='
  | '=~'
  | '!~'
  | '!>'
  | '|'
  | '|='
  | '|~'
  | '|>'
  | '>'
  | '>='
  | '<'
  | '<='
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^';

export interface Token {
  kind: TokenKind;
  /** Source text of the token. */
  text: string;
  offset: number;
  line: number;
  col: number;
  /** STRING: the unquoted value. ERROR: the message. */
  str?: string;
  /** DURATION and RANGE: nanoseconds; BYTES: bytes. */
  value?: number;
}

const C_TAB = 9;
const C_LF = 10;
const C_CR = 13;
const C_SPACE = 32;

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHexDigit(c: number): boolean {
  return isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
}
function isAsciiLetter(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
}
const LETTER = /\p{L}/u;
const NUMBER_CHAR = /\p{N}/u;
function isIdentStart(c: number, s: string, i: number): boolean {
  if (isAsciiLetter(c) || c === 95) return true;
  return c > 127 && LETTER.test(String.fromCodePoint(s.codePointAt(i)!));
}
function isIdentPart(c: number, s: string, i: number): boolean {
  if (isAsciiLetter(c) || c === 95 || isDigit(c)) return true;
  if (c <= 127) return false;
  const ch = String.fromCodePoint(s.codePointAt(i)!);
  return LETTER.test(ch) || NUMBER_CHAR.test(ch);
}
// Runes Loki lets follow a number inside a duration: "ns", "us", "µs", "ms", "s", "m", "h", "d", "w", "y".
function isDurationRune(c: number): boolean {
  return c === 110 || c === 117 || c === 0xb5 || c === 109 || c === 115 || c === 104 || c === 100 || c === 119 || c === 121;
}
// Runes Loki lets follow a number inside a byte size: B, kB, KB, KiB, MB, MiB, ... PiB.
function isBytesRune(c: number): boolean {
  return c === 66 || c === 105 || c === 107 || c === 75 || c === 77 || c === 71 || c === 84 || c === 80;
}
function isSpace(c: number): boolean {
  return c === C_SPACE || c === C_TAB || c === C_LF || c === C_CR;
}

const TWO_CHAR: Record<string, TokenKind> = {
  '==': '==',
  '!=': '!=',
  '=~': '=~',
  '!~': '!~',
  '!>': '!>',
  '|=': '|=',
  '|~': '|~',
  '|>': '|>',
  '>=': '>=',
  '<=': '<=',
};
const ONE_CHAR: Record<string, TokenKind> = {
  '{': '{',
  '}': '}',
  '(': '(',
  ')': ')',
  ',': ',',
  '.': '.',
  ']': ']',
  '=': '=',
  '|': '|',
  '>': '>',
  '<': '<',
  '+': '+',
  '-': '-',
  '*': '*',
  '/': '/',
  '%': '%',
  '^': '^',
};

export class Scanner {
  private pos = 0;
  private line = 1;
  private lineStart = 0;

  constructor(readonly src: string) {}

  /** Scans the next token. Lexical errors come back as an ERROR token (the parser reports them). */
  next(): Token {
    const closed = this.skipSpaceAndComments();
    const s = this.src;
    const start = this.pos;
    const line = this.line;
    const col = start - this.lineStart + 1;
    if (!closed) {
      this.pos = s.length;
      return this.fail('comment not terminated', start, line, col);
    }
    if (start >= s.length) return { kind: 'EOF', text: '', offset: start, line, col };
    const c = s.charCodeAt(start);

    if (isIdentStart(c, s, start)) {
      let i = start + (c > 0xffff ? 2 : 1);
      while (i < s.length) {
        const d = s.charCodeAt(i);
        if (!isIdentPart(d, s, i)) break;
        i += s.codePointAt(i)! > 0xffff ? 2 : 1;
      }
      return this.make('IDENT', start, i, line, col);
    }
    if (isDigit(c) || (c === 46 && isDigit(s.charCodeAt(start + 1)))) return this.scanNumber(start, line, col);
    if (c === 34) return this.scanString(start, line, col);
    if (c === 96) {
      const end = s.indexOf('`', start + 1);
      if (end < 0) {
        this.pos = s.length;
        return this.fail('literal not terminated', start, line, col);
      }
      this.countLines(start, end + 1);
      const t = this.make('STRING', start, end + 1, line, col);
      t.str = s.slice(start + 1, end);
      return t;
    }
    if (c === 91) {
      // '[' ... ']' is one token: Loki reads everything up to ']' as a Prometheus duration.
      const end = s.indexOf(']', start + 1);
      if (end < 0) {
        this.pos = s.length;
        return this.fail("missing closing ']' in duration", start, line, col);
      }
      const text = s.slice(start + 1, end);
      this.countLines(start, end + 1);
      const d = parsePromDuration(text);
      if (typeof d === 'string') return this.fail(d, start, line, col);
      const t = this.make('RANGE', start, end + 1, line, col);
      t.value = d;
      return t;
    }
    if (c === 45) {
      const n = s.charCodeAt(start + 1);
      if (n === 45) {
        let i = start + 2;
        while (i < s.length && (isAsciiLetter(s.charCodeAt(i)) || s.charCodeAt(i) === 45)) i++;
        const flag = s.slice(start, i);
        if (flag === '--strict' || flag === '--keep-empty') return this.make('FLAG', start, i, line, col);
      }
      // A negative duration is one token (`offset -5m`); `-5` stays SUB NUMBER.
      const d = this.tryUnit(start + 1, '-', isDurationRune, tryParseDuration);
      if (d) {
        const t = this.make('DURATION', start, d.end, line, col);
        t.value = d.value;
        return t;
      }
      return this.make('-', start, start + 1, line, col);
    }
    const two = TWO_CHAR[s.slice(start, start + 2)];
    if (two) return this.make(two, start, start + 2, line, col);
    const one = ONE_CHAR[s[start]!];
    if (one) return this.make(one, start, start + 1, line, col);
    return this.make('ILLEGAL', start, start + (c >= 0xd800 && c <= 0xdbff ? 2 : 1), line, col);
  }

  private make(kind: TokenKind, start: number, end: number, line: number, col: number): Token {
    this.pos = end;
    return { kind, text: this.src.slice(start, end), offset: start, line, col, str: undefined, value: undefined };
  }

  /** A lexical error; the scan position has already moved past the bad text. */
  private fail(msg: string, start: number, line: number, col: number): Token {
    return { kind: 'ERROR', text: this.src.slice(start, this.pos), offset: start, line, col, str: msg, value: undefined };
  }

  /** Skips white space and comments; false when a block comment is not terminated. */
  private skipSpaceAndComments(): boolean {
    const s = this.src;
    let i = this.pos;
    for (;;) {
      const c = s.charCodeAt(i);
      if (c === C_LF) {
        i++;
        this.line++;
        this.lineStart = i;
      } else if (isSpace(c)) {
        i++;
      } else if (c === 35 || (c === 47 && s.charCodeAt(i + 1) === 47)) {
        while (i < s.length && s.charCodeAt(i) !== C_LF) i++;
      } else if (c === 47 && s.charCodeAt(i + 1) === 42) {
        // Loki's scanner runs in Go's GoTokens mode, which also skips // and /* */ comments.
        const end = s.indexOf('*/', i + 2);
        if (end < 0) {
          this.pos = i;
          return false;
        }
        this.countLines(i, end + 2);
        i = end + 2;
      } else break;
    }
    this.pos = i;
    return true;
  }

  private countLines(from: number, to: number): void {
    for (let i = from; i < to; i++) {
      if (this.src.charCodeAt(i) === C_LF) {
        this.line++;
        this.lineStart = i + 1;
      }
    }
  }

  /**
   * After a number (or a lone '-'), reads the following duration or byte-unit runes up to a space,
   * and keeps them only if the whole text parses — exactly Loki's tryScanDuration/tryScanBytes.
   */
  private tryUnit(
    from: number,
    prefix: string,
    isUnitRune: (c: number) => boolean,
    parse: (t: string) => number | string,
  ): { end: number; value: number } | undefined {
    const s = this.src;
    let i = from;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (isSpace(c) || !(isDigit(c) || c === 46 || isUnitRune(c))) break;
      i++;
    }
    if (i === from) return undefined;
    const v = parse(prefix + s.slice(from, i));
    return typeof v === 'number' ? { end: i, value: v } : undefined;
  }

  private scanNumber(start: number, line: number, col: number): Token {
    const s = this.src;
    let i = start;
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1) | 0x20;
    const c2 = s.charCodeAt(i + 2);
    // 0x..., 0b..., 0o... (a prefix only when a digit follows: `0B` is zero bytes).
    if (c0 === 48 && ((c1 === 120 && isHexDigit(c2)) || ((c1 === 98 || c1 === 111) && isDigit(c2)))) {
      // Go's scanner reads these; only hex floats with a 'p' exponent survive ParseFloat.
      i += 2;
      while (i < s.length && (isHexDigit(s.charCodeAt(i)) || s.charCodeAt(i) === 95 || s.charCodeAt(i) === 46)) i++;
      if (c1 === 120 && (s.charCodeAt(i) | 0x20) === 112) {
        i++;
        if (s[i] === '+' || s[i] === '-') i++;
        while (isDigit(s.charCodeAt(i))) i++;
      }
    } else {
      while (isDigit(s.charCodeAt(i)) || s.charCodeAt(i) === 95) i++;
      if (s.charCodeAt(i) === 46) {
        i++;
        while (isDigit(s.charCodeAt(i)) || s.charCodeAt(i) === 95) i++;
      }
      if ((s.charCodeAt(i) | 0x20) === 101) {
        let j = i + 1;
        if (s[j] === '+' || s[j] === '-') j++;
        if (!isDigit(s.charCodeAt(j))) {
          this.pos = j;
          return { kind: 'ERROR', text: s.slice(start, j), offset: start, line, col, str: 'exponent has no digits' };
        }
        while (isDigit(s.charCodeAt(j))) j++;
        i = j;
      }
    }
    const text = s.slice(start, i);
    const d = this.tryUnit(i, text, isDurationRune, tryParseDuration);
    if (d) {
      this.pos = d.end;
      return { kind: 'DURATION', text: s.slice(start, d.end), offset: start, line, col, value: d.value };
    }
    const b = this.tryUnit(i, text, isBytesRune, tryParseBytes);
    if (b) {
      this.pos = b.end;
      return { kind: 'BYTES', text: s.slice(start, b.end), offset: start, line, col, value: b.value };
    }
    this.pos = i;
    return { kind: 'NUMBER', text, offset: start, line, col };
  }

  /** A double-quoted string with Go's escapes; octal and \x escapes are bytes, decoded as UTF-8. */
  private scanString(start: number, line: number, col: number): Token {
    const s = this.src;
    let i = start + 1;
    // Fast path: no escapes.
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c === 34) {
        const t = this.make('STRING', start, i + 1, line, col);
        t.str = s.slice(start + 1, i);
        return t;
      }
      if (c === 92 || c === C_LF) break;
    }
    i = start + 1;
    let out = '';
    let bytes: number[] | undefined;
    const flush = (): void => {
      if (bytes) {
        out += Buffer.from(bytes).toString('utf8');
        bytes = undefined;
      }
    };
    const fail = (msg: string, at: number): Token => {
      this.pos = at;
      return { kind: 'ERROR', text: s.slice(start, at), offset: start, line, col, str: msg };
    };
    let runStart = i;
    for (;;) {
      if (i >= s.length) return fail('literal not terminated', i);
      const c = s.charCodeAt(i);
      if (c === 34) break;
      if (c === C_LF) return fail('literal not terminated', i);
      if (c !== 92) {
        i++;
        continue;
      }
      if (runStart < i) {
        flush();
        out += s.slice(runStart, i);
      }
      const e = s[i + 1];
      i += 2;
      switch (e) {
        case 'a':
          flush();
          out += '\x07';
          break;
        case 'b':
          flush();
          out += '\b';
          break;
        case 'f':
          flush();
          out += '\f';
          break;
        case 'n':
          flush();
          out += '\n';
          break;
        case 'r':
          flush();
          out += '\r';
          break;
        case 't':
          flush();
          out += '\t';
          break;
        case 'v':
          flush();
          out += '\v';
          break;
        case '\\':
        case '"':
          flush();
          out += e;
          break;
        case 'x':
        case 'u':
        case 'U': {
          const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
          const hex = s.slice(i, i + n);
          if (hex.length < n || ![...hex].every((h) => isHexDigit(h.charCodeAt(0)))) return fail('invalid char escape', i);
          i += n;
          const v = parseInt(hex, 16);
          if (e === 'x') (bytes ??= []).push(v);
          else {
            if (v > 0x10ffff || (v >= 0xd800 && v < 0xe000)) return fail('escape sequence is invalid Unicode code point', i);
            flush();
            out += String.fromCodePoint(v);
          }
          break;
        }
        default: {
          if (e !== undefined && e >= '0' && e <= '7') {
            const oct = s.slice(i - 1, i + 2);
            if (!/^[0-7]{3}$/.test(oct)) return fail('invalid char escape', i);
            const v = parseInt(oct, 8);
            if (v > 255) return fail('octal escape value > 255', i);
            (bytes ??= []).push(v);
            i += 2;
            break;
          }
          return fail('invalid char escape', i);
        }
      }
      runStart = i;
    }
    flush();
    out += s.slice(runStart, i);
    this.pos = i + 1;
    return { kind: 'STRING', text: s.slice(start, i + 1), offset: start, line, col, str: out };
  }
}

/** Loki's spelling of a token in "unexpected X" messages (yacc names, or the literal symbol). */
export function describeKind(kind: TokenKind): string {
  switch (kind) {
    case 'EOF':
      return '$end';
    case 'IDENT':
    case 'ILLEGAL':
      return 'IDENTIFIER';
    case 'FLAG':
      return 'FUNCTION_FLAG';
    case 'ERROR':
      return 'error';
    default:
      return kind;
  }
}

export { goQuote };
