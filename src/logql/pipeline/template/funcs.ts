/**
 * The template functions: Go's text/template builtins and the functions Loki documents for
 * line_format / label_format (https://grafana.com/docs/loki/latest/query/template_functions/),
 * with the argument order and edge cases of their Go originals (strings, sprig, cast).
 */
import { durationNsToSeconds, NS_PER_MS, NS_PER_S, nowNs, nsToMs, nsToSeconds } from '../../../api/time-units.js';
import { compileRe2 } from '../../regex.js';
import { parseBytes, parseGoDuration } from '../units.js';
import { decimalOp } from './decimal.js';
import { ZERO_TIME_NS, formatGoTime, parseGoTime, validZone } from './gotime.js';
import { goSprintf } from './printf.js';
import type { GoValue } from './values.js';
import { GoTime, TemplateError, asInt, asString, castFloat, castInt, goPrint, goTypeName, truthy } from './values.js';
import { maxOf, minOf } from '../../../util/arrays.js';

export interface Ctx {
  line: string;
  ts: bigint;
}

/** One template function; `C` is what the dialect passes each call (line_format: the entry). */
export interface Fn<C = Ctx> {
  min: number;
  max?: number;
  fn: (a: GoValue[], ctx: C) => GoValue;
}

/** A function table: each template dialect (line_format, alert templates) has its own. */
export type FuncTable<C> = Readonly<Record<string, Fn<C>>>;

const MAX_LEN = 16 * 1024 * 1024;

function checkSize(n: number): void {
  if (!Number.isFinite(n) || n > MAX_LEN) throw new TemplateError('result too large');
}


function nowTime(): GoTime {
  return new GoTime(nowNs(), 'Local');
}

function asTime(v: GoValue, fn: string): GoTime {
  if (v instanceof GoTime) return v;
  throw new TemplateError(`wrong type for value; expected time.Time; got ${goTypeName(v)} (in ${fn})`);
}

// Go's comparison kinds.
function kind(v: GoValue): 'string' | 'int' | 'float' | 'bool' | undefined {
  switch (typeof v) {
    case 'string':
      return 'string';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'boolean':
      return 'bool';
    default:
      return undefined;
  }
}

function eq2(a: GoValue, b: GoValue): boolean {
  const ka = kind(a);
  const kb = kind(b);
  if (ka === undefined || kb === undefined) {
    if (a === null && b === null) return true;
    throw new TemplateError('invalid type for comparison');
  }
  if (ka !== kb) throw new TemplateError('incompatible types for comparison');
  return a === b;
}

function lt2(a: GoValue, b: GoValue): boolean {
  const ka = kind(a);
  const kb = kind(b);
  if (ka === undefined || kb === undefined || ka === 'bool' || kb === 'bool') throw new TemplateError('invalid type for comparison');
  if (ka !== kb) throw new TemplateError('incompatible types for comparison');
  return (a as string | number | bigint) < (b as string | number | bigint);
}

// fmt.Sprint: spaces between operands when neither side is a string.
function sprint(args: GoValue[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    if (i > 0 && typeof args[i] !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += goPrint(args[i]);
  }
  return out;
}

function queryEscape(s: string): string {
  return encodeURIComponent(s)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
}

function queryUnescape(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    throw new TemplateError(`invalid URL escape in ${JSON.stringify(s.slice(0, 50))}`);
  }
}

function trimCutset(s: string, cutset: string, left: boolean, right: boolean): string {
  const set = new Set(Array.from(cutset));
  const chars = Array.from(s);
  let a = 0;
  let b = chars.length;
  if (left) while (a < b && set.has(chars[a]!)) a++;
  if (right) while (b > a && set.has(chars[b - 1]!)) b--;
  return chars.slice(a, b).join('');
}

function goTrimSpace(s: string): string {
  return s.replace(/^[\s\u0085]+|[\s\u0085]+$/g, '');
}


/** Go's Regexp.Expand template: `$1`, `${1}`, `$name`, `${name}`, `$$`. */
function expand(tmpl: string, groups: Array<string | undefined>, named: Record<string, string | undefined> | undefined): string {
  let out = '';
  let i = 0;
  while (i < tmpl.length) {
    const d = tmpl.indexOf('$', i);
    if (d < 0) {
      out += tmpl.slice(i);
      break;
    }
    out += tmpl.slice(i, d);
    i = d + 1;
    if (tmpl[i] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string | undefined;
    if (tmpl[i] === '{') {
      const close = tmpl.indexOf('}', i);
      const inner = close < 0 ? '' : tmpl.slice(i + 1, close);
      if (close >= 0 && /^[A-Za-z0-9_]+$/.test(inner)) {
        name = inner;
        i = close + 1;
      }
    } else {
      const m = /^[A-Za-z0-9_]+/.exec(tmpl.slice(i));
      if (m) {
        name = m[0];
        i += m[0].length;
      }
    }
    if (name === undefined) {
      out += '$';
      continue;
    }
    if (/^\d+$/.test(name)) out += groups[Number(name)] ?? '';
    else out += named?.[name] ?? '';
  }
  return out;
}

function fromJsonValue(v: unknown): GoValue {
  if (v === null) return null;
  if (Array.isArray(v)) return v.map(fromJsonValue);
  if (typeof v === 'object') {
    const o: Record<string, GoValue> = {};
    for (const [k, x] of Object.entries(v as object)) Object.defineProperty(o, k, { value: fromJsonValue(x), enumerable: true, writable: true, configurable: true });
    return o;
  }
  return v as GoValue;
}

function unixToTime(epoch: string): GoTime {
  if (!/^-?\d+$/.test(epoch)) throw new TemplateError(`unable to parse time ${JSON.stringify(epoch)}`);
  const n = BigInt(epoch);
  const digits = epoch.replace('-', '').length;
  switch (digits) {
    case 5:
      return new GoTime(n * 86400n * NS_PER_S, 'Local');
    case 10:
      return new GoTime(n * NS_PER_S, 'Local');
    case 13:
      return new GoTime(n * NS_PER_MS, 'Local');
    case 16:
      return new GoTime(n * 1000n, 'Local');
    case 19:
      return new GoTime(n, 'Local');
    default:
      throw new TemplateError(`unable to parse time ${JSON.stringify(epoch)}: unsupported precision`);
  }
}

function toDateIn(layout: string, value: string, loc: string): GoTime {
  const r = parseGoTime(layout, value, loc);
  // sprig's toDate ignores the error and returns Go's zero time.
  return 'ns' in r ? new GoTime(r.ns, loc) : new GoTime(ZERO_TIME_NS, 'UTC');
}

function roundSprig(a: number, p: number, roundOn = 0.5): number {
  const pow = 10 ** p;
  const digit = pow * a;
  const frac = digit - Math.trunc(digit);
  const r = frac >= roundOn ? Math.ceil(digit) : Math.floor(digit);
  return r / pow;
}

/** Go's strings.Title: the first letter of each word upper-cased. */
export function goTitle(x: string): string {
  return x.replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_m, p: string, c: string) => p + c.toUpperCase());
}

/** Go's Regexp.ReplaceAllString (RE2): `repl` may refer to groups as `$1`, `${name}`. */
export function regexReplaceAll(pattern: string, input: string, repl: string): string {
  return compileRe2(pattern).replaceAll(input, (groups, named) => expand(repl, groups, named));
}

const s = asString;
const n = asInt;

function str1(name: string, f: (x: string) => GoValue): Fn {
  return { min: 1, max: 1, fn: (a) => f(s(a[0], name)) };
}

/** Go's text/template builtins (and/or are handled by the evaluator), shared by every dialect. */
export const GO_BUILTINS: FuncTable<unknown> = {
  not: { min: 1, max: 1, fn: (a) => !truthy(a[0]) },
  len: {
    min: 1,
    max: 1,
    fn: (a) => {
      const v = a[0];
      if (typeof v === 'string') return BigInt(Buffer.byteLength(v, 'utf8'));
      if (Array.isArray(v)) return BigInt(v.length);
      if (v && typeof v === 'object' && !(v instanceof GoTime)) return BigInt(Object.keys(v).length);
      throw new TemplateError(`len of type ${goTypeName(v)}`);
    },
  },
  index: {
    min: 1,
    fn: (a) => {
      let v = a[0];
      for (const k of a.slice(1)) {
        if (Array.isArray(v)) {
          const i = Number(castInt(k));
          if (i < 0 || i >= v.length) throw new TemplateError(`index out of range: ${i}`);
          v = v[i];
        } else if (typeof v === 'string') {
          const i = Number(castInt(k));
          const b = Buffer.from(v, 'utf8');
          if (i < 0 || i >= b.length) throw new TemplateError(`index out of range: ${i}`);
          v = BigInt(b[i]!);
        } else if (v && typeof v === 'object' && !(v instanceof GoTime)) {
          const key = s(k, 'index');
          v = Object.hasOwn(v, key) ? (v as Record<string, GoValue>)[key] : undefined;
        } else throw new TemplateError(`can't index item of type ${goTypeName(v)}`);
      }
      return v;
    },
  },
  slice: {
    min: 1,
    max: 3,
    fn: (a) => {
      const v = a[0];
      const lo = a[1] === undefined ? 0 : Number(castInt(a[1]));
      if (typeof v === 'string') {
        const hi = a[2] === undefined ? v.length : Number(castInt(a[2]));
        if (lo < 0 || hi > v.length || lo > hi) throw new TemplateError('slice index out of range');
        return v.slice(lo, hi);
      }
      if (Array.isArray(v)) {
        const hi = a[2] === undefined ? v.length : Number(castInt(a[2]));
        if (lo < 0 || hi > v.length || lo > hi) throw new TemplateError('slice index out of range');
        return v.slice(lo, hi);
      }
      throw new TemplateError(`can't slice item of type ${goTypeName(v)}`);
    },
  },
  print: { min: 0, fn: (a) => sprint(a) },
  println: { min: 0, fn: (a) => a.map(goPrint).join(' ') + '\n' },
  printf: { min: 1, fn: (a) => goSprintf(s(a[0], 'printf'), a.slice(1)) },
  urlquery: { min: 0, fn: (a) => queryEscape(sprint(a)) },
  html: {
    min: 0,
    fn: (a) =>
      sprint(a).replace(/[&'<>"\0]/g, (c) => ({ '&': '&amp;', "'": '&#39;', '<': '&lt;', '>': '&gt;', '"': '&#34;', '\0': '\uFFFD' })[c]!),
  },
  js: {
    min: 0,
    fn: (a) =>
      sprint(a).replace(/[\\'"<>&=\n\r\t]/g, (c) =>
        c === '\\' ? '\\\\' : c === "'" ? "\\'" : c === '"' ? '\\"' : '\\u00' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'),
      ),
  },
  eq: {
    min: 2,
    fn: (a) => {
      for (const b of a.slice(1)) if (eq2(a[0], b)) return true;
      return false;
    },
  },
  ne: { min: 2, max: 2, fn: (a) => !eq2(a[0], a[1]) },
  lt: { min: 2, max: 2, fn: (a) => lt2(a[0], a[1]) },
  le: { min: 2, max: 2, fn: (a) => lt2(a[0], a[1]) || eq2(a[0], a[1]) },
  gt: { min: 2, max: 2, fn: (a) => !(lt2(a[0], a[1]) || eq2(a[0], a[1])) },
  ge: { min: 2, max: 2, fn: (a) => !lt2(a[0], a[1]) },
};

/** line_format / label_format's table: the builtins plus Loki's functions. */
export const FUNCS: FuncTable<Ctx> = {
  ...GO_BUILTINS,
  // --- the entry ---
  __line__: { min: 0, max: 0, fn: (_a, ctx) => ctx.line },
  __timestamp__: { min: 0, max: 0, fn: (_a, ctx) => new GoTime(ctx.ts, 'Local') },

  // --- Go strings functions, with Go's argument order (Loki's original set) ---
  ToLower: str1('ToLower', (x) => x.toLowerCase()),
  ToUpper: str1('ToUpper', (x) => x.toUpperCase()),
  Replace: {
    min: 4,
    max: 4,
    fn: (a) => {
      const src = s(a[0], 'Replace');
      const old = s(a[1], 'Replace');
      const nw = s(a[2], 'Replace');
      let count = n(a[3], 'Replace');
      if (count < 0) return src.split(old).join(nw);
      let out = '';
      let i = 0;
      while (count-- > 0) {
        const at = old === '' ? (i <= src.length ? i : -1) : src.indexOf(old, i);
        if (at < 0) break;
        out += src.slice(i, at) + nw;
        if (old === '') {
          out += src.slice(at, at + 1);
          i = at + 1;
        } else i = at + old.length;
      }
      return out + src.slice(i);
    },
  },
  Trim: { min: 2, max: 2, fn: (a) => trimCutset(s(a[0], 'Trim'), s(a[1], 'Trim'), true, true) },
  TrimLeft: { min: 2, max: 2, fn: (a) => trimCutset(s(a[0], 'TrimLeft'), s(a[1], 'TrimLeft'), true, false) },
  TrimRight: { min: 2, max: 2, fn: (a) => trimCutset(s(a[0], 'TrimRight'), s(a[1], 'TrimRight'), false, true) },
  TrimPrefix: {
    min: 2,
    max: 2,
    fn: (a) => {
      const x = s(a[0], 'TrimPrefix');
      const p = s(a[1], 'TrimPrefix');
      return x.startsWith(p) ? x.slice(p.length) : x;
    },
  },
  TrimSuffix: {
    min: 2,
    max: 2,
    fn: (a) => {
      const x = s(a[0], 'TrimSuffix');
      const p = s(a[1], 'TrimSuffix');
      return p !== '' && x.endsWith(p) ? x.slice(0, x.length - p.length) : x;
    },
  },
  TrimSpace: str1('TrimSpace', goTrimSpace),

  // --- sprig-style functions (value last, so they chain in pipelines) ---
  lower: str1('lower', (x) => x.toLowerCase()),
  upper: str1('upper', (x) => x.toUpperCase()),
  title: str1('title', goTitle),
  trim: str1('trim', goTrimSpace),
  trimAll: { min: 2, max: 2, fn: (a) => trimCutset(s(a[1], 'trimAll'), s(a[0], 'trimAll'), true, true) },
  trimPrefix: {
    min: 2,
    max: 2,
    fn: (a) => {
      const p = s(a[0], 'trimPrefix');
      const x = s(a[1], 'trimPrefix');
      return x.startsWith(p) ? x.slice(p.length) : x;
    },
  },
  trimSuffix: {
    min: 2,
    max: 2,
    fn: (a) => {
      const p = s(a[0], 'trimSuffix');
      const x = s(a[1], 'trimSuffix');
      return p !== '' && x.endsWith(p) ? x.slice(0, x.length - p.length) : x;
    },
  },
  replace: { min: 3, max: 3, fn: (a) => s(a[2], 'replace').split(s(a[0], 'replace')).join(s(a[1], 'replace')) },
  trunc: {
    min: 2,
    max: 2,
    fn: (a) => {
      const c = n(a[0], 'trunc');
      const x = s(a[1], 'trunc');
      if (c < 0 && -c < x.length) return x.slice(x.length + c);
      if (c >= 0 && x.length > c) return x.slice(0, c);
      return x;
    },
  },
  substr: {
    min: 3,
    max: 3,
    fn: (a) => {
      const start = n(a[0], 'substr');
      const end = n(a[1], 'substr');
      const x = s(a[2], 'substr');
      if (start < 0) return x.slice(0, Math.max(0, end));
      if (end < 0 || end > x.length) return x.slice(start);
      return x.slice(start, Math.max(start, end));
    },
  },
  contains: { min: 2, max: 2, fn: (a) => s(a[1], 'contains').includes(s(a[0], 'contains')) },
  hasPrefix: { min: 2, max: 2, fn: (a) => s(a[1], 'hasPrefix').startsWith(s(a[0], 'hasPrefix')) },
  hasSuffix: { min: 2, max: 2, fn: (a) => s(a[1], 'hasSuffix').endsWith(s(a[0], 'hasSuffix')) },
  repeat: {
    min: 2,
    max: 2,
    fn: (a) => {
      const c = n(a[0], 'repeat');
      const x = s(a[1], 'repeat');
      if (c < 0) throw new TemplateError('negative repeat count');
      checkSize(c * x.length);
      return x.repeat(c);
    },
  },
  indent: {
    min: 2,
    max: 2,
    fn: (a) => {
      const c = Math.max(0, n(a[0], 'indent'));
      const x = s(a[1], 'indent');
      checkSize(c * (x.split('\n').length + 1) + x.length);
      const pad = ' '.repeat(c);
      return pad + x.split('\n').join('\n' + pad);
    },
  },
  nindent: {
    min: 2,
    max: 2,
    fn: (a) => {
      const c = Math.max(0, n(a[0], 'nindent'));
      const x = s(a[1], 'nindent');
      checkSize(c * (x.split('\n').length + 1) + x.length);
      const pad = ' '.repeat(c);
      return '\n' + pad + x.split('\n').join('\n' + pad);
    },
  },
  alignLeft: {
    min: 2,
    max: 2,
    fn: (a) => {
      const c = n(a[0], 'alignLeft');
      const x = s(a[1], 'alignLeft');
      if (c < 0) return x;
      checkSize(c);
      const chars = Array.from(x);
      return chars.length >= c ? chars.slice(0, c).join('') : x + ' '.repeat(c - chars.length);
    },
  },
  alignRight: {
    min: 2,
    max: 2,
    fn: (a) => {
      const c = n(a[0], 'alignRight');
      const x = s(a[1], 'alignRight');
      if (c < 0) return x;
      checkSize(c);
      const chars = Array.from(x);
      return chars.length >= c ? chars.slice(chars.length - c).join('') : ' '.repeat(c - chars.length) + x;
    },
  },
  default: {
    min: 1,
    fn: (a) => {
      if (a.length < 2) return a[0];
      const given = a[a.length - 1];
      return truthy(given) ? given : a[0];
    },
  },
  b64enc: str1('b64enc', (x) => Buffer.from(x, 'utf8').toString('base64')),
  b64dec: str1('b64dec', (x) => {
    const clean = x.trim();
    const bad = /[^A-Za-z0-9+/=]/.exec(clean);
    // sprig returns the decoding error's text instead of failing.
    if (bad || clean.length % 4 !== 0) return `illegal base64 data at input byte ${bad ? bad.index : clean.length - (clean.length % 4)}`;
    return Buffer.from(clean, 'base64').toString('utf8');
  }),
  urlencode: str1('urlencode', queryEscape),
  urldecode: str1('urldecode', queryUnescape),
  fromJson: str1('fromJson', (x) => {
    try {
      return fromJsonValue(JSON.parse(x));
    } catch {
      return '';
    }
  }),
  count: {
    min: 2,
    max: 2,
    fn: (a) => {
      return BigInt(compileRe2(s(a[0], 'count')).count(s(a[1], 'count')));
    },
  },
  regexReplaceAll: {
    min: 3,
    max: 3,
    fn: (a) => regexReplaceAll(s(a[0], 'regexReplaceAll'), s(a[1], 'regexReplaceAll'), s(a[2], 'regexReplaceAll')),
  },
  regexReplaceAllLiteral: {
    min: 3,
    max: 3,
    fn: (a) => {
      const repl = s(a[2], 'regexReplaceAllLiteral');
      return compileRe2(s(a[0], 'regexReplaceAllLiteral')).replaceAll(s(a[1], 'regexReplaceAllLiteral'), () => repl);
    },
  },

  // --- numbers (cast-style conversions: unparsable strings count as 0) ---
  int: { min: 1, max: 1, fn: (a) => castInt(a[0]) },
  float64: { min: 1, max: 1, fn: (a) => castFloat(a[0]) },
  add: { min: 0, fn: (a) => a.reduce<bigint>((acc, x) => acc + castInt(x), 0n) },
  sub: { min: 2, max: 2, fn: (a) => castInt(a[0]) - castInt(a[1]) },
  mul: { min: 1, fn: (a) => a.slice(1).reduce<bigint>((acc, x) => acc * castInt(x), castInt(a[0])) },
  div: {
    min: 2,
    max: 2,
    fn: (a) => {
      const d = castInt(a[1]);
      if (d === 0n) throw new TemplateError('integer divide by zero');
      return castInt(a[0]) / d;
    },
  },
  mod: {
    min: 2,
    max: 2,
    fn: (a) => {
      const d = castInt(a[1]);
      if (d === 0n) throw new TemplateError('integer divide by zero');
      return castInt(a[0]) % d;
    },
  },
  max: { min: 1, fn: (a) => a.slice(1).reduce<bigint>((m, x) => (castInt(x) > m ? castInt(x) : m), castInt(a[0])) },
  min: { min: 1, fn: (a) => a.slice(1).reduce<bigint>((m, x) => (castInt(x) < m ? castInt(x) : m), castInt(a[0])) },
  addf: { min: 0, fn: (a) => a.reduce<number>((acc, x) => decimalOp(acc, castFloat(x), '+'), 0) },
  subf: { min: 1, fn: (a) => a.slice(1).reduce<number>((acc, x) => decimalOp(acc, castFloat(x), '-'), castFloat(a[0])) },
  mulf: { min: 1, fn: (a) => a.slice(1).reduce<number>((acc, x) => decimalOp(acc, castFloat(x), '*'), castFloat(a[0])) },
  divf: {
    min: 1,
    fn: (a) =>
      a.slice(1).reduce<number>((acc, x) => {
        const d = castFloat(x);
        if (d === 0) throw new TemplateError('decimal division by 0');
        return decimalOp(acc, d, '/');
      }, castFloat(a[0])),
  },
  maxf: { min: 1, fn: (a) => maxOf(a, castFloat) },
  minf: { min: 1, fn: (a) => minOf(a, castFloat) },
  ceil: { min: 1, max: 1, fn: (a) => Math.ceil(castFloat(a[0])) },
  floor: { min: 1, max: 1, fn: (a) => Math.floor(castFloat(a[0])) },
  round: {
    min: 2,
    max: 3,
    fn: (a) => roundSprig(castFloat(a[0]), Number(castInt(a[1])), a[2] === undefined ? 0.5 : castFloat(a[2])),
  },
  bytes: {
    min: 1,
    max: 1,
    fn: (a) => {
      const v = parseBytes(s(a[0], 'bytes'));
      if (v === undefined) throw new TemplateError(`invalid bytes value ${JSON.stringify(a[0])}`);
      return v;
    },
  },
  duration: { min: 1, max: 1, fn: (a) => durationSeconds(a[0]) },
  duration_seconds: { min: 1, max: 1, fn: (a) => durationSeconds(a[0]) },

  // --- time ---
  now: { min: 0, max: 0, fn: () => nowTime() },
  date: {
    min: 2,
    max: 2,
    fn: (a) => {
      const layout = s(a[0], 'date');
      const v = a[1];
      let t: GoTime;
      if (v instanceof GoTime) t = new GoTime(v.ns, 'Local');
      else if (typeof v === 'bigint') t = new GoTime(v * NS_PER_S, 'Local');
      else t = nowTime();
      return formatGoTime(t, layout);
    },
  },
  toDate: { min: 2, max: 2, fn: (a) => toDateIn(s(a[0], 'toDate'), s(a[1], 'toDate'), 'Local') },
  toDateInZone: {
    min: 3,
    max: 3,
    fn: (a) => {
      const zone = s(a[1], 'toDateInZone');
      return toDateIn(s(a[0], 'toDateInZone'), s(a[2], 'toDateInZone'), validZone(zone) ? zone || 'UTC' : 'UTC');
    },
  },
  unixEpoch: { min: 1, max: 1, fn: (a) => nsToSeconds(asTime(a[0], 'unixEpoch').ns).toString() },
  unixEpochMillis: { min: 1, max: 1, fn: (a) => nsToMs(asTime(a[0], 'unixEpochMillis').ns).toString() },
  unixEpochNanos: { min: 1, max: 1, fn: (a) => asTime(a[0], 'unixEpochNanos').ns.toString() },
  unixToTime: str1('unixToTime', unixToTime),
};

function durationSeconds(v: GoValue): number {
  const x = s(v, 'duration_seconds');
  const ns = parseGoDuration(x);
  if (ns === undefined) throw new TemplateError(`time: invalid duration ${JSON.stringify(x)}`);
  return durationNsToSeconds(ns);
}
