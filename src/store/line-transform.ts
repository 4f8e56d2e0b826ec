/**
 * A lossless line transform for block payload version 2 (./block-codec.ts): most log lines repeat
 * their own timestamp as text (`"ts":"2024-05-01T00:00:00.123Z"`, `2024-05-01 00:00:00.123 UTC`,
 * `[01/May/2024:00:00:00 +0000]`, `"ts":1714521600.123000`), which zstd cannot predict from the
 * timestamp column; removing it saves ~0.02 bytes per raw byte on the shared corpus.
 *
 * For an entry with timestamp ts, the first occurrence in its line of `format_f(ts)` — tried in
 * the order of FORMATS — is replaced by MARK followed by the format's code byte, and every MARK
 * already in the line becomes MARK MARK. Decoding re-formats the entry's own timestamp, so it is
 * exact by construction: the encoder replaced only a substring that *is* `format_f(ts)`, the
 * formatters are pure functions of ts, and the tests check the fast formatters against Date's.
 * Replacements are ASCII and never '\n', so line joining and the UTF-8 handling of the codec
 * (a lone surrogate is stored as U+FFFD) are unchanged. Free of side effects: query workers import it.
 */

/** The escape character: U+0001, rare in logs, ASCII (one UTF-8 byte), not '\n'. */
const MARK = '\u0001';
const MARK_CODE = 1;

const MAX_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z: four-digit years only
const DAY_MS = 86_400_000;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

// Calendar parts of the last day formatted (lines of a block are close in time).
let cachedDay = -1;
let ymd = ''; // YYYY-MM-DD
let clfDate = ''; // DD/Mon/YYYY

function setDay(day: number): void {
  if (day === cachedDay) return;
  const d = new Date(day * DAY_MS);
  const y = String(d.getUTCFullYear()).padStart(4, '0');
  const mo = d.getUTCMonth();
  const dd = String(d.getUTCDate()).padStart(2, '0');
  ymd = `${y}-${String(mo + 1).padStart(2, '0')}-${dd}`;
  clfDate = `${dd}/${MONTHS[mo]!}/${y}`;
  cachedDay = day;
}

function p2(n: number): string {
  return n < 10 ? '0' + n : String(n);
}

function p3(n: number): string {
  return n < 10 ? '00' + n : n < 100 ? '0' + n : String(n);
}

/** HH:MM:SS of a millisecond time of day. */
function hms(r: number): string {
  const h = Math.floor(r / 3_600_000);
  const m = Math.floor((r % 3_600_000) / 60_000);
  const s = Math.floor((r % 60_000) / 1000);
  return `${p2(h)}:${p2(m)}:${p2(s)}`;
}

type Formatter = (ms: number, ts: bigint) => string;

/** Code byte (index + 2) → formatter. Codes are persisted: only ever append. */
export const FORMATS: readonly Formatter[] = [
  // 2: ISO 8601 UTC with milliseconds, as Date.prototype.toISOString.
  (ms) => {
    const day = Math.floor(ms / DAY_MS);
    setDay(day);
    const r = ms - day * DAY_MS;
    return `${ymd}T${hms(r)}.${p3(r % 1000)}Z`;
  },
  // 3: the same with a space and no zone (PostgreSQL, Python logging).
  (ms) => {
    const day = Math.floor(ms / DAY_MS);
    setDay(day);
    const r = ms - day * DAY_MS;
    return `${ymd} ${hms(r)}.${p3(r % 1000)}`;
  },
  // 4: Common Log Format, seconds, UTC (nginx, Apache).
  (ms) => {
    const day = Math.floor(ms / DAY_MS);
    setDay(day);
    return `${clfDate}:${hms(ms - day * DAY_MS)} +0000`;
  },
  // 5: Unix seconds with six fraction digits (Caddy, zap).
  (_ms, ts) => {
    const us = ts / 1000n;
    return `${us / 1_000_000n}.${String(us % 1_000_000n).padStart(6, '0')}`;
  },
];

/** Milliseconds of a timestamp in ns, or -1 when outside what the formats cover. */
function msOf(ts: bigint): number {
  if (ts < 0n) return -1;
  const ms = Number(ts / 1_000_000n);
  return ms <= MAX_MS ? ms : -1;
}

/** The text a format code stands for, for an entry's timestamp. */
export function formatTimestamp(code: number, ts: bigint): string {
  const f = FORMATS[code - 2];
  const ms = msOf(ts);
  if (!f || ms < 0) throw new RangeError(`bad timestamp escape ${code} for ${ts}`);
  return f(ms, ts);
}

function escape(line: string): string {
  return line.indexOf(MARK) < 0 ? line : line.split(MARK).join(MARK + MARK);
}

/**
 * Transforms the lines of entries (in block order) for payload version 2, or returns undefined
 * when no line holds its own timestamp (version 1 then stores the lines as they are).
 */
export function stripTimestamps(entries: ReadonlyArray<{ ts: bigint; line: string }>): string[] | undefined {
  const out: string[] = new Array(entries.length);
  let any = false;
  for (let i = 0; i < entries.length; i++) {
    const { ts, line } = entries[i]!;
    out[i] = escape(line);
    const ms = msOf(ts);
    if (ms < 0) continue;
    for (let f = 0; f < FORMATS.length; f++) {
      const text = FORMATS[f]!(ms, ts);
      const at = line.indexOf(text);
      if (at < 0) continue;
      out[i] = escape(line.slice(0, at)) + MARK + String.fromCharCode(f + 2) + escape(line.slice(at + text.length));
      any = true;
      break;
    }
  }
  return any ? out : undefined;
}

/** Inverse of the transform for one line. Throws RangeError on a malformed escape. */
export function restoreTimestamp(line: string, ts: bigint): string {
  let p = line.indexOf(MARK);
  if (p < 0) return line;
  let out = '';
  let from = 0;
  while (p >= 0) {
    out += line.slice(from, p);
    const c = line.charCodeAt(p + 1);
    if (c === MARK_CODE) out += MARK;
    else if (c >= 2) out += formatTimestamp(c, ts);
    else throw new RangeError('truncated escape in a block line');
    from = p + 2;
    p = line.indexOf(MARK, from);
  }
  return out + line.slice(from);
}

/** The byte of a timestamp escape (MARK) in a transformed line's UTF-8. */
export const MARK_BYTE = MARK_CODE;
/** The most bytes a timestamp escape stands for (`DD/Mon/YYYY:HH:MM:SS +0000`: 26). */
export const MAX_TIMESTAMP_BYTES = 32;

// YYYY-MM-DD of the last day written as bytes.
let bytesDay = -1;
const YMD = new Uint8Array(10);

function digits2(out: Uint8Array, at: number, v: number): void {
  out[at] = 48 + ((v / 10) | 0);
  out[at + 1] = 48 + (v % 10);
}

/**
 * Writes the text escape `code` stands for, for an entry's timestamp, into `out` at `at` (ASCII,
 * exactly formatTimestamp's text) and returns its length: the ISO forms (codes 2 and 3, most
 * lines) digit by digit, so a decoder restoring escapes as bytes makes no string per line.
 * Throws RangeError as formatTimestamp does.
 */
export function writeTimestamp(code: number, ts: bigint, out: Uint8Array, at: number): number {
  if (code !== 2 && code !== 3) {
    const s = formatTimestamp(code, ts);
    for (let k = 0; k < s.length; k++) out[at + k] = s.charCodeAt(k);
    return s.length;
  }
  const ms = msOf(ts);
  if (ms < 0) throw new RangeError(`bad timestamp escape ${code} for ${ts}`);
  return writeIso(code, ms, out, at);
}

/** Line timestamps as a block's stats frame holds them: line i's is first + offsets[i] ns, exactly. */
export interface LineTimes {
  first: bigint;
  offsets: ArrayLike<number>;
}

// `first` of the last LineTimes written from, in whole ms and the ns below.
let msFirst = -1n;
let msWhole = 0;
let msRest = 0;

/**
 * writeTimestamp for line i's timestamp in `times`, the ISO forms from its milliseconds as numbers:
 * a BigInt per line (the sum, then msOf's division) was a tenth of assembling a cold block's lines.
 */
export function writeLineTimestamp(code: number, times: LineTimes, i: number, out: Uint8Array, at: number): number {
  const { first } = times;
  if ((code !== 2 && code !== 3) || first < 0n) return writeTimestamp(code, first + BigInt(times.offsets[i]!), out, at);
  if (first !== msFirst) {
    msWhole = Number(first / 1_000_000n);
    msRest = Number(first % 1_000_000n);
    msFirst = first;
  }
  // Exact: the rest and an offset (ns, integral, below 2^53) add up exactly as doubles.
  const ms = msWhole + Math.floor((msRest + times.offsets[i]!) / 1_000_000);
  if (ms > MAX_MS) throw new RangeError(`bad timestamp escape ${code} for ${first + BigInt(times.offsets[i]!)}`);
  return writeIso(code, ms, out, at);
}

/** The ISO forms (codes 2 and 3) of `ms` written as bytes. */
function writeIso(code: number, ms: number, out: Uint8Array, at: number): number {
  const day = Math.floor(ms / DAY_MS);
  if (day !== bytesDay) {
    setDay(day);
    for (let k = 0; k < 10; k++) YMD[k] = ymd.charCodeAt(k);
    bytesDay = day;
  }
  for (let k = 0; k < 10; k++) out[at + k] = YMD[k]!;
  // The time of day as an int32: % of doubles is a call into C, which made this 3× slower.
  const r = (ms - day * DAY_MS) | 0;
  out[at + 10] = code === 2 ? 84 : 32; // 'T' or ' '
  digits2(out, at + 11, (r / 3_600_000) | 0);
  out[at + 13] = 58;
  digits2(out, at + 14, ((r % 3_600_000) / 60_000) | 0);
  out[at + 16] = 58;
  digits2(out, at + 17, ((r % 60_000) / 1000) | 0);
  out[at + 19] = 46;
  const f = r % 1000;
  out[at + 20] = 48 + ((f / 100) | 0);
  digits2(out, at + 21, f % 100);
  if (code === 3) return 23;
  out[at + 23] = 90; // 'Z'
  return 24;
}
