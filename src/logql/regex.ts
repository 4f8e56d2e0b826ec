/**
 * Go RE2 syntax → JavaScript RegExp. LogQL (like Prometheus) takes regexes in Go's syntax
 * (https://github.com/google/re2/wiki/Syntax); users paste queries written for Loki, so we accept
 * that syntax and reject what RE2 rejects where JS would silently mean something else
 * (backreferences, lookaround).
 *
 * Every pattern is compiled with the `u` flag: RE2 matches code points, and `\p{..}` needs it.
 * Node 20 has no inline modifiers, so flag groups are only accepted at the very start of the
 * pattern (where they become RegExp flags) or where they change nothing.
 */
import { LogwharfError } from '../api/errors.js';

export interface Re2Options {
  /** The whole input must match (label matchers, Prometheus/Loki style). */
  anchored?: boolean;
  /** Start with `s` set, as Prometheus does for label matchers (`^(?s:...)$`). */
  dotAll?: boolean;
  /** Add the `g` flag (for replace-all). Such RegExps carry `lastIndex`: do not share them for `exec`. */
  global?: boolean;
}

const CACHE_MAX = 512;
// RE2's limit on nested groups.
const MAX_NESTING = 1000;
const cache = new Map<string, RegExp>();

/**
 * Compiles a Go RE2 pattern into a RegExp. Results are cached (the same pattern is compiled for
 * every query); the returned RegExp has no `g`/`y` flag unless asked, so it is stateless and shared.
 * Throws LogwharfError('parse_error') on an invalid or unsupported pattern.
 */
export function compileRe2(pattern: string, opts: Re2Options = {}): RegExp {
  const key = (opts.anchored ? 'a' : '-') + (opts.dotAll ? 's' : '-') + (opts.global ? 'g' : '-') + pattern;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Refresh recency: a Map iterates in insertion order, so the first key is the oldest.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  const t = translateRe2(pattern, opts.dotAll ?? false);
  let source = t.source;
  if (opts.anchored) {
    source = t.flags.includes('m') ? `(?<![\\s\\S])(?:${source})(?![\\s\\S])` : `^(?:${source})$`;
  }
  let re: RegExp;
  try {
    re = new RegExp(source, t.flags + (opts.global ? 'g' : ''));
  } catch (e) {
    throw invalid(pattern, (e as Error).message.replace(/^Invalid regular expression: /, ''));
  }
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(key, re);
  return re;
}

/** The translated source and flags (`u` plus any of `i`, `s`, `m`). */
export interface Re2Translation {
  source: string;
  flags: string;
}

function invalid(pattern: string, why: string): LogwharfError {
  return new LogwharfError('parse_error', `invalid regex ${JSON.stringify(pattern)}: ${why}`);
}

// Characters that must be escaped to be literal in a `u` RegExp outside a class.
const SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''));
// General categories JS accepts bare in \p{..}; anything else RE2 accepts is a script name.
const GENERAL_CATEGORIES = new Set(
  'L Lu Ll Lt Lm Lo M Mn Mc Me N Nd Nl No P Pc Pd Ps Pe Pi Pf Po S Sm Sc Sk So Z Zs Zl Zp C Cc Cf Cs Co Cn LC'.split(' '),
);
// POSIX classes as RE2 defines them (ASCII only), as code point ranges.
const POSIX: Record<string, Array<[number, number]>> = {
  alnum: [[48, 57], [65, 90], [97, 122]],
  alpha: [[65, 90], [97, 122]],
  ascii: [[0, 127]],
  blank: [[9, 9], [32, 32]],
  cntrl: [[0, 31], [127, 127]],
  digit: [[48, 57]],
  graph: [[33, 126]],
  lower: [[97, 122]],
  print: [[32, 126]],
  punct: [[33, 47], [58, 64], [91, 96], [123, 126]],
  space: [[9, 13], [32, 32]],
  upper: [[65, 90]],
  word: [[48, 57], [65, 90], [95, 95], [97, 122]],
  xdigit: [[48, 57], [65, 70], [97, 102]],
};

const RE2_SPACE = '\\t\\n\\f\\r ';
const RE2_SPACE_RANGES: Array<[number, number]> = [
  [9, 10],
  [12, 13],
  [32, 32],
];

function cp(c: number): string {
  return `\\u{${c.toString(16)}}`;
}

function rangesToClassBody(ranges: Array<[number, number]>): string {
  let s = '';
  for (const [a, b] of ranges) s += a === b ? cp(a) : `${cp(a)}-${cp(b)}`;
  return s;
}

function complement(ranges: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let next = 0;
  for (const [a, b] of [...ranges].sort((x, y) => x[0] - y[0])) {
    if (a > next) out.push([next, a - 1]);
    next = Math.max(next, b + 1);
  }
  if (next <= 0x10ffff) out.push([next, 0x10ffff]);
  return out;
}

/** Translates RE2 syntax to a JS source and flags. Exported for tests and pattern analysis. */
export function translateRe2(pattern: string, dotAll = false): Re2Translation {
  const flags = new Set<string>(['u']);
  if (dotAll) flags.add('s');
  let i = 0;
  const n = pattern.length;

  // Leading flag groups: `(?i)`, `(?is)`, `(?i)(?s)`, `(?-s)`.
  for (;;) {
    const m = /^\(\?([imsU]*)(?:-([imsU]*))?\)/.exec(pattern.slice(i));
    if (!m) break;
    for (const f of m[1]!) applyFlag(flags, f, true, pattern);
    for (const f of m[2] ?? '') applyFlag(flags, f, false, pattern);
    i += m[0].length;
  }

  // Flags inside groups: `(?i:...)`, or `(?s)` in the middle of a group until its end. JS has no
  // inline modifiers (Node 20), so where a local flag differs from the RegExp's we rewrite the
  // atoms it affects: `.` for s, `^`/`$` for m, letters and classes for i. Turning i off locally
  // under a global i cannot be expressed and is rejected.
  const g = { i: flags.has('i'), m: flags.has('m'), s: flags.has('s') };
  let local = { ...g };
  const stack: Array<typeof local> = [];
  const setLocal = (on: string, off: string, group: string) => {
    if (on.includes('U') || off.includes('U')) throw midFlag(pattern, group);
    const next = { ...local };
    for (const f of on) next[f as 'i' | 'm' | 's'] = true;
    for (const f of off) next[f as 'i' | 'm' | 's'] = false;
    if (g.i && !next.i) throw invalid(pattern, `turning off case-insensitivity with (?${group} is not supported when (?i) starts the pattern`);
    local = next;
  };

  let out = '';
  let depth = 0;
  while (i < n) {
    const c = pattern[i]!;
    if (c === '\\') {
      const fold = local.i && !g.i;
      if (fold && pattern[i + 1] === 'Q') {
        const e = pattern.indexOf('\\E', i + 2);
        const lit = e < 0 ? pattern.slice(i + 2) : pattern.slice(i + 2, e);
        for (const ch of lit) out += foldChar(ch) ?? escapeLiteralChar(ch);
        i = e < 0 ? n : e + 2;
        continue;
      }
      const r = translateEscape(pattern, i, false);
      out += r.text;
      i = r.end;
    } else if (c === '[') {
      const r = translateClass(pattern, i, local.i && !g.i);
      out += r.text;
      i = r.end;
    } else if (c === '(') {
      stack.push(local);
      if (pattern[i + 1] === '?') {
        const rest = pattern.slice(i + 2);
        if (rest.startsWith('P<') || rest.startsWith('<')) {
          const nameStart = rest.startsWith('P<') ? 2 : 1;
          const close = rest.indexOf('>', nameStart);
          const name = close < 0 ? '' : rest.slice(nameStart, close);
          if (rest.startsWith('<=') || rest.startsWith('<!')) {
            throw invalid(pattern, 'lookbehind is not supported (RE2 syntax)');
          }
          if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw invalid(pattern, `invalid named capture ${JSON.stringify(name)}`);
          out += `(?<${name}>`;
          i += 2 + close + 1;
        } else if (rest.startsWith(':')) {
          out += '(?:';
          i += 3;
        } else if (rest.startsWith('=') || rest.startsWith('!')) {
          throw invalid(pattern, 'lookahead is not supported (RE2 syntax)');
        } else {
          const m = /^([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest);
          if (!m || (m[1] === '' && (m[2] ?? '') === '')) throw invalid(pattern, `unknown group syntax at offset ${i}`);
          i += 2 + m[0].length;
          if (m[3] === ')') {
            // `(?i)` mid-pattern: applies until the end of the enclosing group.
            stack.pop();
            setLocal(m[1]!, m[2] ?? '', m[0]);
            continue;
          }
          setLocal(m[1]!, m[2] ?? '', m[0]);
          out += '(?:';
        }
      } else {
        out += '(';
        i++;
      }
      depth++;
      if (depth > MAX_NESTING) throw invalid(pattern, 'expression nests too deeply');
    } else if (c === ')') {
      if (depth === 0) throw invalid(pattern, 'unexpected )');
      depth--;
      local = stack.pop()!;
      out += ')';
      i++;
    } else if (c === '{') {
      // RE2 treats a brace that does not start a valid repeat as a literal; `u` RegExps reject it.
      const m = /^\{(\d+)(,(\d*))?\}/.exec(pattern.slice(i));
      if (m) {
        const lo = Number(m[1]);
        const hi = m[3] ? Number(m[3]) : lo;
        if (lo > 1000 || hi > 1000) throw invalid(pattern, 'repeat count exceeds 1000');
        if (m[3] && hi < lo) throw invalid(pattern, `invalid repeat count ${m[0]}`);
        out += m[0];
        i += m[0].length;
      } else {
        out += '\\{';
        i++;
      }
    } else if (c === '}' || c === ']') {
      // Literal in RE2, a syntax error in a `u` RegExp.
      out += '\\' + c;
      i++;
    } else if (c === '/') {
      out += '\\/';
      i++;
    } else if (c === '.') {
      // Without s, RE2's dot excludes only \n; JS's also excludes \r, U+2028 and U+2029.
      out += local.s ? (g.s ? '.' : '[\\s\\S]') : '[^\\n]';
      i++;
    } else if (c === '^') {
      out += local.m === g.m ? '^' : local.m ? '(?:^|(?<=\\n))' : '(?<![\\s\\S])';
      i++;
    } else if (c === '$') {
      out += local.m === g.m ? '$' : local.m ? '(?:$|(?=\\n))' : '(?![\\s\\S])';
      i++;
    } else {
      out += (local.i && !g.i ? foldChar(c) : undefined) ?? c;
      i++;
    }
  }
  if (depth !== 0) throw invalid(pattern, 'missing )');
  // Canonical flag order keeps cache keys and RegExp.flags stable.
  const f = ['i', 'm', 's', 'u'].filter((x) => flags.has(x)).join('');
  return { source: out, flags: f };
}

function midFlag(pattern: string, group: string): LogwharfError {
  return invalid(pattern, `flag group (?${group} is not supported`);
}

/** `[aA]` for a letter with a distinct single-character other case, else undefined. */
function foldChar(ch: string): string | undefined {
  const lo = ch.toLowerCase();
  const up = ch.toUpperCase();
  if (lo === up || lo.length !== 1 || up.length !== 1) return undefined;
  return `[${lo}${up}]`;
}

function applyFlag(flags: Set<string>, f: string, on: boolean, pattern: string): void {
  if (f === 'U') throw invalid(pattern, 'the U (ungreedy) flag is not supported');
  if (on) flags.add(f);
  else flags.delete(f);
}

interface Piece {
  text: string;
  end: number;
  /** For escapes inside classes: the code point ranges, when the escape is a set we can complement. */
}

function translateEscape(p: string, i: number, inClass: boolean): Piece {
  const c = p[i + 1];
  if (c === undefined) throw invalid(p, 'trailing backslash');
  switch (c) {
    case 'a':
      return { text: cp(7), end: i + 2 };
    case 's':
      // RE2's \s is ASCII [\t\n\f\r ]; JS's also has \v and Unicode spaces.
      return { text: inClass ? RE2_SPACE : `[${RE2_SPACE}]`, end: i + 2 };
    case 'S':
      return { text: inClass ? rangesToClassBody(complement(RE2_SPACE_RANGES)) : `[^${RE2_SPACE}]`, end: i + 2 };
    case 'f':
    case 't':
    case 'n':
    case 'r':
    case 'v':
    case 'd':
    case 'D':
    case 'w':
    case 'W':
      return { text: '\\' + c, end: i + 2 };
    case 'b':
    case 'B':
      if (inClass) throw invalid(p, `\\${c} is not allowed in a character class`);
      return { text: '\\' + c, end: i + 2 };
    case 'A':
      if (inClass) throw invalid(p, '\\A is not allowed in a character class');
      return { text: '(?<![\\s\\S])', end: i + 2 };
    case 'z':
      if (inClass) throw invalid(p, '\\z is not allowed in a character class');
      return { text: '(?![\\s\\S])', end: i + 2 };
    case 'Q': {
      // \Q...\E quotes literally.
      const e = p.indexOf('\\E', i + 2);
      const lit = e < 0 ? p.slice(i + 2) : p.slice(i + 2, e);
      let text = '';
      for (const ch of lit) text += inClass ? escapeClassChar(ch) : escapeLiteralChar(ch);
      return { text, end: e < 0 ? p.length : e + 2 };
    }
    case 'x': {
      if (p[i + 2] === '{') {
        const close = p.indexOf('}', i + 3);
        const hex = close < 0 ? '' : p.slice(i + 3, close);
        if (!/^[0-9A-Fa-f]{1,6}$/.test(hex) || parseInt(hex, 16) > 0x10ffff) throw invalid(p, 'invalid \\x{...} escape');
        return { text: cp(parseInt(hex, 16)), end: close + 1 };
      }
      const hex = p.slice(i + 2, i + 4);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw invalid(p, 'invalid \\x escape');
      return { text: cp(parseInt(hex, 16)), end: i + 4 };
    }
    case 'p':
    case 'P': {
      let name: string;
      let end: number;
      if (p[i + 2] === '{') {
        const close = p.indexOf('}', i + 3);
        if (close < 0) throw invalid(p, 'unterminated \\p{');
        name = p.slice(i + 3, close);
        end = close + 1;
      } else {
        name = p[i + 2] ?? '';
        end = i + 3;
      }
      let neg = c === 'P';
      if (name.startsWith('^')) {
        neg = !neg;
        name = name.slice(1);
      }
      if (!/^[A-Za-z_]+$/.test(name)) throw invalid(p, `invalid character class \\${c}{${name}}`);
      const prop = name === 'Any' || GENERAL_CATEGORIES.has(name) ? name : `Script=${name}`;
      // Validate here so the error names the property rather than the whole translated pattern.
      try {
        new RegExp(`\\p{${prop}}`, 'u');
      } catch {
        throw invalid(p, `unknown Unicode class ${name}`);
      }
      return { text: `\\${neg ? 'P' : 'p'}{${prop}}`, end };
    }
    case 'C':
      throw invalid(p, '\\C is not supported');
    default:
      break;
  }
  if (c >= '0' && c <= '7') {
    // RE2: \1-\9 alone are backreferences (unsupported); \0 and multi-digit are octal.
    let j = i + 1;
    while (j < p.length && j < i + 4 && p[j]! >= '0' && p[j]! <= '7') j++;
    const digits = p.slice(i + 1, j);
    if (c !== '0' && digits.length === 1) throw invalid(p, `backreference \\${c} is not supported (RE2 syntax)`);
    return { text: cp(parseInt(digits, 8)), end: j };
  }
  if (c === '8' || c === '9') throw invalid(p, `backreference \\${c} is not supported (RE2 syntax)`);
  const code = c.charCodeAt(0);
  // RE2 allows escaping any ASCII punctuation; letters and digits not listed above are errors.
  if (code < 128 && !/[A-Za-z0-9]/.test(c)) {
    return { text: inClass ? escapeClassChar(c) : escapeLiteralChar(c), end: i + 2 };
  }
  throw invalid(p, `invalid escape sequence \\${c}`);
}

function escapeLiteralChar(ch: string): string {
  return SYNTAX.has(ch) ? '\\' + ch : ch;
}

function escapeClassChar(ch: string): string {
  return ch === '\\' || ch === ']' || ch === '[' || ch === '-' || ch === '^' ? '\\' + ch : ch;
}

/** Translates a bracket expression starting at `[`; `fold` adds the other case of letters. */
function translateClass(p: string, start: number, fold = false): Piece {
  let i = start + 1;
  let neg = false;
  if (p[i] === '^') {
    neg = true;
    i++;
  }
  let body = '';
  let first = true;
  // POSIX classes negated inside a larger class need set arithmetic; collect them.
  while (i < p.length) {
    const c = p[i]!;
    if (c === ']' && !first) {
      return { text: `[${neg ? '^' : ''}${body}]`, end: i + 1 };
    }
    first = false;
    if (c === '[' && p[i + 1] === ':') {
      const close = p.indexOf(':]', i + 2);
      if (close < 0) throw invalid(p, 'unterminated POSIX class');
      let name = p.slice(i + 2, close);
      let pneg = false;
      if (name.startsWith('^')) {
        pneg = true;
        name = name.slice(1);
      }
      const ranges = POSIX[name];
      if (!ranges) throw invalid(p, `unknown POSIX class [:${name}:]`);
      body += rangesToClassBody(pneg ? complement(ranges) : ranges);
      i = close + 2;
      continue;
    }
    let atom: string;
    let atomChar: string | undefined;
    if (c === '\\') {
      const r = translateEscape(p, i, true);
      atom = r.text;
      i = r.end;
    } else {
      // Take a whole code point so astral characters stay one class member.
      const ch = String.fromCodePoint(p.codePointAt(i)!);
      atom = escapeClassChar(ch);
      atomChar = ch;
      i += ch.length;
    }
    // A range `a-b` (a `-` before `]` is literal).
    if (p[i] === '-' && p[i + 1] !== undefined && p[i + 1] !== ']') {
      i++;
      let hi: string;
      let hiChar: string | undefined;
      if (p[i] === '\\') {
        const r = translateEscape(p, i, true);
        hi = r.text;
        i = r.end;
      } else {
        const ch = String.fromCodePoint(p.codePointAt(i)!);
        hi = escapeClassChar(ch);
        hiChar = ch;
        i += ch.length;
      }
      body += `${atom}-${hi}`;
      // ASCII letter ranges get their other case (a-f → A-F); other ranges are left as written.
      if (fold && atomChar && hiChar && /^[a-z]$/.test(atomChar) && /^[a-z]$/.test(hiChar)) body += `${atomChar.toUpperCase()}-${hiChar.toUpperCase()}`;
      else if (fold && atomChar && hiChar && /^[A-Z]$/.test(atomChar) && /^[A-Z]$/.test(hiChar)) body += `${atomChar.toLowerCase()}-${hiChar.toLowerCase()}`;
    } else {
      body += atom;
      if (fold && atomChar) {
        const f = foldChar(atomChar);
        if (f) body += f.slice(1, -1);
      }
    }
  }
  throw invalid(p, 'missing closing ]');
}

/**
 * If the pattern (without flags) is a plain literal or an alternation of plain literals, returns
 * them with their case-sensitivity; otherwise null. `(?i)` is the only flag accepted. Used for
 * fast paths (substring search instead of a regex) and for block-skipping hints.
 */
export function literalAlternatives(pattern: string): { values: string[]; insensitive: boolean } | null {
  let p = pattern;
  let insensitive = false;
  if (p.startsWith('(?i)')) {
    insensitive = true;
    p = p.slice(4);
  }
  // An optional wrapping group: `(a|b)` or `(?:a|b)`.
  const wrapped = /^\((?:\?:)?(.*)\)$/s.exec(p);
  if (wrapped && !/[()]/.test(wrapped[1]!)) p = wrapped[1]!;
  const values: string[] = [];
  let cur = '';
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '|') {
      values.push(cur);
      cur = '';
    } else if (c === '\\') {
      const d = p[i + 1];
      if (d === undefined || /[A-Za-z0-9]/.test(d) || d.charCodeAt(0) >= 128) return null;
      cur += d;
      i++;
    } else if ('.*+?()[]{}^$'.includes(c)) {
      return null;
    } else {
      cur += c;
    }
  }
  values.push(cur);
  return { values, insensitive };
}
