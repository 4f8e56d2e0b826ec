/**
 * Go's fmt.Sprintf for the verbs templates use: %v %s %q %d %f %F %e %E %g %G %x %X %o %b %c %t %T
 * %%, with flags `-+ #0`, width and precision (`*` too). Mismatches print like Go
 * (`%!d(string=abc)`, `%!s(MISSING)`, `%!(EXTRA ...)`).
 */
import type { GoValue } from './values.js';
import { GoTime, formatGoFloat, goPrint, goTypeName } from './values.js';

interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  sharp: boolean;
  width: number | undefined;
  prec: number | undefined;
}

function padTo(s: string, sp: Spec): string {
  if (sp.width === undefined || s.length >= sp.width) return s;
  if (sp.minus) return s + ' '.repeat(sp.width - s.length);
  if (sp.zero) {
    const sign = s[0] === '-' || s[0] === '+' ? s[0] : '';
    const body = sign ? s.slice(1) : s;
    return sign + '0'.repeat(sp.width - s.length) + body;
  }
  return ' '.repeat(sp.width - s.length) + s;
}

function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += '\\x' + c.toString(16).padStart(2, '0');
    else if (ch === '\uFFFD') out += '\\ufffd';
    else out += ch;
  }
  return out + '"';
}

function bad(verb: string, v: GoValue): string {
  return `%!${verb}(${goTypeName(v)}=${goPrint(v)})`;
}

function signed(s: string, neg: boolean, sp: Spec): string {
  if (neg) return '-' + s;
  if (sp.plus) return '+' + s;
  if (sp.space) return ' ' + s;
  return s;
}

function fmtInt(v: bigint, verb: string, sp: Spec): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  let s: string;
  switch (verb) {
    case 'x':
      s = a.toString(16);
      if (sp.sharp) s = '0x' + s;
      break;
    case 'X':
      s = a.toString(16).toUpperCase();
      if (sp.sharp) s = '0X' + s;
      break;
    case 'o':
      s = a.toString(8);
      if (sp.sharp) s = '0' + s;
      break;
    case 'b':
      s = a.toString(2);
      break;
    default:
      s = a.toString();
  }
  if (sp.prec !== undefined && s.length < sp.prec) s = '0'.repeat(sp.prec - s.length) + s;
  return padTo(signed(s, neg, sp), sp);
}

function fmtFloat(v: number, verb: string, sp: Spec): string {
  if (!Number.isFinite(v)) {
    const s = Number.isNaN(v) ? 'NaN' : v > 0 ? (sp.plus ? '+Inf' : 'Inf') : '-Inf';
    return padTo(s, { ...sp, zero: false });
  }
  const neg = v < 0 || Object.is(v, -0);
  const a = Math.abs(v);
  let s: string;
  switch (verb) {
    case 'f':
    case 'F':
      s = a.toFixed(sp.prec ?? 6);
      break;
    case 'e':
    case 'E': {
      const [m, e] = a.toExponential(sp.prec ?? 6).split('e') as [string, string];
      const digits = e.replace(/^[+-]/, '');
      s = `${m}e${e.startsWith('-') ? '-' : '+'}${digits.padStart(2, '0')}`;
      if (verb === 'E') s = s.toUpperCase();
      break;
    }
    default: {
      // %g / %G / %v
      if (sp.prec === undefined) s = formatGoFloat(a);
      else {
        const p = sp.prec === 0 ? 1 : sp.prec;
        const exp = a === 0 ? 0 : Math.floor(Math.log10(a));
        if (exp < -4 || exp >= p) {
          const [m, e] = a.toExponential(p - 1).split('e') as [string, string];
          const mm = m.includes('.') ? m.replace(/\.?0+$/, '') : m;
          s = `${mm}e${e.startsWith('-') ? '-' : '+'}${e.replace(/^[+-]/, '').padStart(2, '0')}`;
        } else {
          s = a.toPrecision(p);
          if (s.includes('.')) s = s.replace(/\.?0+$/, '');
        }
      }
      if (verb === 'G') s = s.toUpperCase();
    }
  }
  return padTo(signed(s, neg, sp), sp);
}

function fmtString(s: string, verb: string, sp: Spec): string {
  if (sp.prec !== undefined) s = Array.from(s).slice(0, sp.prec).join('');
  switch (verb) {
    case 'q':
      s = goQuote(s);
      break;
    case 'x':
    case 'X': {
      let h = Buffer.from(s, 'utf8').toString('hex');
      if (verb === 'X') h = h.toUpperCase();
      s = h;
      break;
    }
  }
  // Width counts runes in Go.
  const len = Array.from(s).length;
  if (sp.width === undefined || len >= sp.width) return s;
  const fill = ' '.repeat(sp.width - len);
  return sp.minus ? s + fill : (sp.zero ? '0'.repeat(sp.width - len) : fill) + s;
}

function fmtOne(v: GoValue, verb: string, sp: Spec): string {
  if (verb === 'T') return padTo(goTypeName(v), sp);
  if (verb === 'v') {
    if (typeof v === 'bigint') return fmtInt(v, 'd', sp);
    if (typeof v === 'number') return fmtFloat(v, 'g', sp);
    if (typeof v === 'string') return fmtString(v, 's', sp);
    return padTo(goPrint(v), sp);
  }
  switch (typeof v) {
    case 'string':
      if (verb === 's' || verb === 'q' || verb === 'x' || verb === 'X') return fmtString(v, verb, sp);
      return bad(verb, v);
    case 'bigint':
      if ('dxXobc'.includes(verb)) {
        if (verb === 'c') return padTo(String.fromCodePoint(Number(v)), sp);
        return fmtInt(v, verb, sp);
      }
      if (verb === 'q') return padTo(goQuote(String.fromCodePoint(Number(v))).replace(/^"|"$/g, "'"), sp);
      return bad(verb, v);
    case 'number':
      if ('eEfFgG'.includes(verb)) return fmtFloat(v, verb, sp);
      return bad(verb, v);
    case 'boolean':
      if (verb === 't') return padTo(v ? 'true' : 'false', sp);
      return bad(verb, v);
    default:
      break;
  }
  if (v instanceof GoTime && verb === 's') return fmtString(goPrint(v), 's', sp);
  if (v === undefined) return `%!${verb}(<nil>)`;
  return bad(verb, v);
}

export function goSprintf(format: string, args: GoValue[]): string {
  let out = '';
  let argi = 0;
  let i = 0;
  const n = format.length;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const sp: Spec = { minus: false, plus: false, space: false, zero: false, sharp: false, width: undefined, prec: undefined };
    for (; i < n; i++) {
      const c = format[i];
      if (c === '-') sp.minus = true;
      else if (c === '+') sp.plus = true;
      else if (c === ' ') sp.space = true;
      else if (c === '0') sp.zero = !sp.minus;
      else if (c === '#') sp.sharp = true;
      else break;
    }
    const readNum = (): number | undefined => {
      if (format[i] === '*') {
        i++;
        const a = args[argi++];
        return typeof a === 'bigint' ? Number(a) : undefined;
      }
      const m = /^\d+/.exec(format.slice(i));
      if (!m) return undefined;
      i += m[0].length;
      return Math.min(Number(m[0]), 1_000_000);
    };
    sp.width = readNum();
    if (sp.width !== undefined && sp.width < 0) {
      sp.minus = true;
      sp.width = -sp.width;
    }
    if (format[i] === '.') {
      i++;
      sp.prec = readNum() ?? 0;
    }
    const verb = format[i];
    if (verb === undefined) {
      out += '%!(NOVERB)';
      break;
    }
    i++;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += fmtOne(args[argi++], verb, sp);
  }
  if (argi < args.length) {
    out += '%!(EXTRA ' + args.slice(argi).map((a) => `${goTypeName(a)}=${goPrint(a)}`).join(', ') + ')';
  }
  return out;
}
