/**
 * Go time layouts (reference time "Mon Jan 2 15:04:05 MST 2006") for the template functions
 * date, toDate, toDateInZone and for printing time.Time. Zones: 'UTC', 'Local' (this process's
 * zone, like Loki's server-local time) or IANA names through Intl.
 */
import { NS_PER_MS, NS_PER_S, nsToSeconds } from '../../../api/time-units.js';
import type { GoTime } from './values.js';


const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const dtfCache = new Map<string, Intl.DateTimeFormat>();
const shortCache = new Map<string, Intl.DateTimeFormat>();

/** The zone's abbreviation as Intl knows it ("EST", "PDT"), when it has a letter one. */
function shortName(zone: string | undefined, ms: number): string | undefined {
  const key = zone ?? '';
  let f = shortCache.get(key);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'short' });
    if (shortCache.size > 64) shortCache.clear();
    shortCache.set(key, f);
  }
  const v = f.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value;
  return v !== undefined && /^[A-Z]{2,5}$/.test(v) && v !== 'GMT' ? v : undefined;
}

function dtf(zone: string): Intl.DateTimeFormat {
  let f = dtfCache.get(zone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'shortOffset' });
    if (dtfCache.size > 64) dtfCache.clear();
    dtfCache.set(zone, f);
  }
  return f;
}

/** True when `zone` is a zone we can use. */
export function validZone(zone: string): boolean {
  if (zone === 'UTC' || zone === 'Local' || zone === '') return true;
  try {
    dtf(zone);
    return true;
  } catch {
    return false;
  }
}

/** Offset east of UTC in seconds, and the zone abbreviation, at `ms`. */
export function zoneAt(loc: string, ms: number): { offset: number; abbr: string } {
  if (loc === 'UTC' || loc === '') return { offset: 0, abbr: 'UTC' };
  if (loc === 'Local') {
    const off = -new Date(ms).getTimezoneOffset() * 60;
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (off === 0 && (tz === 'UTC' || tz === 'Etc/UTC')) return { offset: 0, abbr: 'UTC' };
    return { offset: off, abbr: shortName(undefined, ms) ?? abbrFromOffset(off) };
  }
  const part = dtf(loc)
    .formatToParts(new Date(ms))
    .find((p) => p.type === 'timeZoneName')?.value;
  const m = /GMT([+-])(\d{1,2})(?::(\d{2}))?/.exec(part ?? '');
  const off = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60) : 0;
  return { offset: off, abbr: shortName(loc, ms) ?? (off === 0 && !m ? 'GMT' : abbrFromOffset(off)) };
}

function abbrFromOffset(off: number): string {
  // Go prints the zone's abbreviation; without tzdata abbreviations we print the offset as Go
  // does for zones that have none ("+0530", "-07").
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  const h = Math.floor(a / 3600);
  const m = Math.floor((a % 3600) / 60);
  return sign + String(h).padStart(2, '0') + (m ? String(m).padStart(2, '0') : '');
}

interface Civil {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  min: number;
  sec: number;
  nanos: number;
  wday: number;
  yday: number;
  offset: number;
  abbr: string;
}

function civil(t: GoTime): Civil {
  const sec = nsToSeconds(t.ns);
  const nanos = Number(t.ns - sec * NS_PER_S);
  const ms = Number(sec) * 1000;
  const z = zoneAt(t.loc, ms);
  const d = new Date(ms + z.offset * 1000);
  const start = new Date(0);
  start.setUTCFullYear(d.getUTCFullYear(), 0, 1);
  start.setUTCHours(0, 0, 0, 0);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    min: d.getUTCMinutes(),
    sec: d.getUTCSeconds(),
    nanos,
    wday: d.getUTCDay(),
    yday: Math.floor((d.getTime() - start.getTime()) / 86400000) + 1,
    offset: z.offset,
    abbr: z.abbr,
  };
}

type Tok =
  | { lit: string }
  | { std: string; n?: number };

const layoutCache = new Map<string, Tok[]>();

/** Splits a layout into literal text and Go's std chunks. */
function tokenize(layout: string): Tok[] {
  const hit = layoutCache.get(layout);
  if (hit) return hit;
  const toks: Tok[] = [];
  let lit = '';
  const push = (t: Tok) => {
    if (lit) toks.push({ lit });
    lit = '';
    toks.push(t);
  };
  let i = 0;
  const at = (s: string) => layout.startsWith(s, i);
  const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
  while (i < layout.length) {
    const c = layout[i]!;
    let std: string | undefined;
    switch (c) {
      case 'J':
        if (at('January')) std = 'January';
        else if (at('Jan')) std = 'Jan';
        break;
      case 'M':
        if (at('Monday')) std = 'Monday';
        else if (at('Mon')) std = 'Mon';
        else if (at('MST')) std = 'MST';
        break;
      case '0':
        if (at('002')) std = '002';
        else if (/^0[1-6]/.test(layout.slice(i))) std = layout.slice(i, i + 2);
        break;
      case '1':
        std = at('15') ? '15' : '1';
        break;
      case '2':
        std = at('2006') ? '2006' : '2';
        break;
      case '_':
        if (at('_2') && !at('_2006')) std = '_2';
        else if (at('__2')) std = '__2';
        break;
      case '3':
      case '4':
      case '5':
        std = c;
        break;
      case 'P':
        if (at('PM')) std = 'PM';
        break;
      case 'p':
        if (at('pm')) std = 'pm';
        break;
      case '-':
        for (const z of ['-070000', '-07:00:00', '-0700', '-07:00', '-07']) if (at(z)) {
          std = z;
          break;
        }
        break;
      case 'Z':
        for (const z of ['Z070000', 'Z07:00:00', 'Z0700', 'Z07:00', 'Z07']) if (at(z)) {
          std = z;
          break;
        }
        break;
      case '.':
      case ',': {
        const d = layout[i + 1];
        if (d === '0' || d === '9') {
          let j = i + 1;
          while (layout[j] === d) j++;
          if (!isDigit(layout[j])) {
            push({ std: d === '0' ? '.0' : '.9', n: j - i - 1 });
            // Keep the separator the layout used.
            (toks[toks.length - 1] as { std: string; sep?: string }).sep = c;
            i = j;
            continue;
          }
        }
        break;
      }
    }
    if (std !== undefined) {
      push({ std });
      i += std.length;
    } else {
      lit += c;
      i++;
    }
  }
  if (lit) toks.push({ lit });
  if (layoutCache.size > 256) layoutCache.clear();
  layoutCache.set(layout, toks);
  return toks;
}

const pad = (n: number, w: number, ch = '0') => String(n).padStart(w, ch);

function fmtOffset(off: number, std: string): string {
  if (std.startsWith('Z') && off === 0) return 'Z';
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  const h = pad(Math.floor(a / 3600), 2);
  const m = pad(Math.floor((a % 3600) / 60), 2);
  const s = pad(a % 60, 2);
  const kind = std.slice(1);
  switch (kind) {
    case '070000':
      return sign + h + m + s;
    case '07:00:00':
      return `${sign}${h}:${m}:${s}`;
    case '0700':
      return sign + h + m;
    case '07:00':
      return `${sign}${h}:${m}`;
    default:
      return sign + h;
  }
}

/** time.Time.Format(layout). */
export function formatGoTime(t: GoTime, layout: string): string {
  const c = civil(t);
  let out = '';
  for (const tok of tokenize(layout)) {
    if ('lit' in tok) {
      out += tok.lit;
      continue;
    }
    switch (tok.std) {
      case 'January':
        out += MONTHS[c.month - 1];
        break;
      case 'Jan':
        out += MONTHS[c.month - 1]!.slice(0, 3);
        break;
      case 'Monday':
        out += DAYS[c.wday];
        break;
      case 'Mon':
        out += DAYS[c.wday]!.slice(0, 3);
        break;
      case 'MST':
        out += c.abbr;
        break;
      case '01':
        out += pad(c.month, 2);
        break;
      case '1':
        out += c.month;
        break;
      case '02':
        out += pad(c.day, 2);
        break;
      case '2':
        out += c.day;
        break;
      case '_2':
        out += pad(c.day, 2, ' ');
        break;
      case '002':
        out += pad(c.yday, 3);
        break;
      case '__2':
        out += pad(c.yday, 3, ' ');
        break;
      case '2006':
        out += pad(c.year, 4);
        break;
      case '06':
        out += pad(c.year % 100, 2);
        break;
      case '15':
        out += pad(c.hour, 2);
        break;
      case '03':
        out += pad(c.hour % 12 || 12, 2);
        break;
      case '3':
        out += c.hour % 12 || 12;
        break;
      case '04':
        out += pad(c.min, 2);
        break;
      case '4':
        out += c.min;
        break;
      case '05':
        out += pad(c.sec, 2);
        break;
      case '5':
        out += c.sec;
        break;
      case 'PM':
        out += c.hour >= 12 ? 'PM' : 'AM';
        break;
      case 'pm':
        out += c.hour >= 12 ? 'pm' : 'am';
        break;
      case '.0':
      case '.9': {
        const sep = (tok as { sep?: string }).sep ?? '.';
        let digits = pad(c.nanos, 9).slice(0, tok.n);
        if (tok.std === '.9') {
          digits = digits.replace(/0+$/, '');
          if (digits === '') break;
        }
        out += sep + digits;
        break;
      }
      default:
        out += fmtOffset(c.offset, tok.std);
    }
  }
  return out;
}

/** time.Time.String(): "2006-01-02 15:04:05.999999999 -0700 MST". */
export function formatGoTimeString(t: GoTime): string {
  return formatGoTime(t, '2006-01-02 15:04:05.999999999 -0700 MST');
}

/** Go's zero time, 0001-01-01 00:00:00 UTC. */
export const ZERO_TIME_NS = -62135596800n * NS_PER_S;

function civilToNs(y: number, mo: number, d: number, h: number, mi: number, s: number, nanos: number, offset: number): bigint {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return BigInt(date.getTime() - offset * 1000) * NS_PER_MS + BigInt(nanos);
}

/** time.ParseInLocation(layout, value, loc); returns the time or an error message. */
export function parseGoTime(layout: string, value: string, loc: string): { ns: bigint } | { error: string } {
  let y = 1;
  let mo = 1;
  let d = 1;
  let h = 0;
  let mi = 0;
  let s = 0;
  let nanos = 0;
  let pm: boolean | undefined;
  let offset: number | undefined;
  let i = 0;
  const fail = (what: string) => ({ error: `parsing time ${JSON.stringify(value)} as ${JSON.stringify(layout)}: cannot parse ${JSON.stringify(value.slice(i))} as ${JSON.stringify(what)}` });
  const num = (min: number, max: number): number | undefined => {
    let j = i;
    while (j < value.length && j - i < max && value[j]! >= '0' && value[j]! <= '9') j++;
    if (j - i < min) return undefined;
    const n = Number(value.slice(i, j));
    i = j;
    return n;
  };
  const toks = tokenize(layout);
  for (let k = 0; k < toks.length; k++) {
    const tok = toks[k]!;
    if ('lit' in tok) {
      if (!value.startsWith(tok.lit, i)) return fail(tok.lit);
      i += tok.lit.length;
      continue;
    }
    let v: number | undefined;
    switch (tok.std) {
      case 'January':
      case 'Jan': {
        const idx = MONTHS.findIndex((m) => {
          const name = tok.std === 'Jan' ? m.slice(0, 3) : m;
          return value.slice(i, i + name.length).toLowerCase() === name.toLowerCase();
        });
        if (idx < 0) return fail(tok.std);
        i += tok.std === 'Jan' ? 3 : MONTHS[idx]!.length;
        mo = idx + 1;
        continue;
      }
      case 'Monday':
      case 'Mon': {
        const idx = DAYS.findIndex((dname) => {
          const name = tok.std === 'Mon' ? dname.slice(0, 3) : dname;
          return value.slice(i, i + name.length).toLowerCase() === name.toLowerCase();
        });
        if (idx < 0) return fail(tok.std);
        i += tok.std === 'Mon' ? 3 : DAYS[idx]!.length;
        continue;
      }
      case 'MST': {
        const m = /^[A-Z]{3,5}|^[+-]\d{2,4}/.exec(value.slice(i));
        if (!m) return fail('MST');
        i += m[0].length;
        if (m[0] === 'UTC' || m[0] === 'GMT') offset = 0;
        continue;
      }
      case '01':
      case '1':
        v = num(tok.std === '01' ? 2 : 1, 2);
        if (v === undefined || v < 1 || v > 12) return fail(tok.std);
        mo = v;
        continue;
      case '02':
      case '2':
      case '_2':
        if (tok.std === '_2' && value[i] === ' ') i++;
        v = num(tok.std === '02' ? 2 : 1, 2);
        if (v === undefined || v < 1 || v > 31) return fail(tok.std);
        d = v;
        continue;
      case '002':
      case '__2':
        while (value[i] === ' ') i++;
        v = num(1, 3);
        if (v === undefined) return fail(tok.std);
        continue;
      case '2006':
        v = num(4, 4);
        if (v === undefined) return fail('2006');
        y = v;
        continue;
      case '06':
        v = num(2, 2);
        if (v === undefined) return fail('06');
        y = v >= 69 ? 1900 + v : 2000 + v;
        continue;
      case '15':
        v = num(1, 2);
        if (v === undefined || v > 23) return fail('15');
        h = v;
        continue;
      case '03':
      case '3':
        v = num(tok.std === '03' ? 2 : 1, 2);
        if (v === undefined || v < 1 || v > 12) return fail(tok.std);
        h = v;
        continue;
      case '04':
      case '4':
        v = num(tok.std === '04' ? 2 : 1, 2);
        if (v === undefined || v > 59) return fail(tok.std);
        mi = v;
        continue;
      case '05':
      case '5': {
        v = num(tok.std === '05' ? 2 : 1, 2);
        if (v === undefined || v > 59) return fail(tok.std);
        s = v;
        // Go accepts a fractional second after the seconds even when the layout has none.
        const next = toks[k + 1];
        if ((value[i] === '.' || value[i] === ',') && !(next && 'std' in next && (next.std === '.0' || next.std === '.9'))) {
          const m = /^[.,](\d+)/.exec(value.slice(i));
          if (m) {
            nanos = Number(m[1]!.slice(0, 9).padEnd(9, '0'));
            i += m[0].length;
          }
        }
        continue;
      }
      case 'PM':
      case 'pm': {
        const ap = value.slice(i, i + 2).toUpperCase();
        if (ap !== 'AM' && ap !== 'PM') return fail(tok.std);
        pm = ap === 'PM';
        i += 2;
        continue;
      }
      case '.0':
      case '.9': {
        if (value[i] !== '.' && value[i] !== ',') {
          if (tok.std === '.9') continue;
          return fail('.' + '0'.repeat(tok.n ?? 1));
        }
        const m = /^[.,](\d+)/.exec(value.slice(i));
        if (!m) return fail(tok.std);
        nanos = Number(m[1]!.slice(0, 9).padEnd(9, '0'));
        i += m[0].length;
        continue;
      }
      default: {
        if (tok.std.startsWith('Z') && value[i] === 'Z') {
          i++;
          offset = 0;
          continue;
        }
        const m = /^([+-])(\d{2}):?(\d{2})?(?::?(\d{2}))?/.exec(value.slice(i));
        if (!m) return fail(tok.std);
        offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0));
        i += m[0].length;
        continue;
      }
    }
  }
  if (i < value.length) return { error: `parsing time ${JSON.stringify(value)}: extra text: ${JSON.stringify(value.slice(i))}` };
  if (pm !== undefined) {
    if (pm && h < 12) h += 12;
    if (!pm && h === 12) h = 0;
  }
  if (offset === undefined) {
    // Resolve the zone's offset at this wall time (two passes cover DST transitions well enough).
    const guess = civilToNs(y, mo, d, h, mi, s, 0, 0);
    let off = zoneAt(loc, Number(guess / NS_PER_MS)).offset;
    off = zoneAt(loc, Number(civilToNs(y, mo, d, h, mi, s, 0, off) / NS_PER_MS)).offset;
    offset = off;
  }
  return { ns: civilToNs(y, mo, d, h, mi, s, nanos, offset) };
}
