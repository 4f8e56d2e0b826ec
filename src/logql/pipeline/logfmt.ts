/**
 * The logfmt parser (https://brandur.org/logfmt, as go-logfmt reads it): `key=value`,
 * `key="quoted \"value\""`, standalone `key`. Without `--strict`, malformed pairs are skipped;
 * with it, parsing stops and `__error__=LogfmtParserErr` is set.
 */

export interface LogfmtVisitor {
  /** A pair; `value` is null for a standalone key. Returning true stops the scan (not in strict mode). */
  pair(key: string, value: string | null): boolean | void;
  /**
   * Parser hints (./label-hints.ts): whether the key at [start, end) of `line` is wanted. A pair
   * whose key is not is checked as usual (strict mode still fails on it) but neither sliced,
   * unquoted nor reported. Absent: every pair is reported.
   */
  wants?(line: string, start: number, end: number): boolean;
}

export class LogfmtError extends Error {}

function isSpace(c: number): boolean {
  return c <= 32;
}

function unquote(s: string, start: number, end: number): string {
  let out = '';
  let run = start;
  let i = start;
  while (i < end) {
    if (s.charCodeAt(i) !== 92) {
      i++;
      continue;
    }
    out += s.slice(run, i);
    const e = s[i + 1];
    i += 2;
    switch (e) {
      case 'n':
        out += '\n';
        break;
      case 't':
        out += '\t';
        break;
      case 'r':
        out += '\r';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        const h = s.slice(i, i + 4);
        if (/^[0-9A-Fa-f]{4}$/.test(h)) {
          const code = parseInt(h, 16);
          out += code >= 0xd800 && code <= 0xdfff ? '\uFFFD' : String.fromCharCode(code);
          i += 4;
        } else out += '\\u';
        break;
      }
      default:
        out += e ?? '';
    }
    run = i;
  }
  return out + s.slice(run, end);
}

function err(pos: number, what: string): never {
  throw new LogfmtError(`logfmt syntax error at pos ${pos + 1} : ${what}`);
}

/**
 * Scans a logfmt line. In strict mode throws LogfmtError at the first malformed pair; otherwise
 * skips it and goes on.
 */
export function scanLogfmt(line: string, strict: boolean, v: LogfmtVisitor): void {
  const n = line.length;
  let i = 0;
  outer: while (i < n) {
    while (i < n && isSpace(line.charCodeAt(i))) i++;
    if (i >= n) break;
    const keyStart = i;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (c === 61 || isSpace(c)) break;
      if (c === 34) {
        if (strict) err(i, 'unexpected \'"\'');
        while (i < n && !isSpace(line.charCodeAt(i))) i++;
        continue outer;
      }
      i++;
    }
    if (i === keyStart) {
      // '=' with no key.
      if (strict) err(i, "unexpected '='");
      while (i < n && !isSpace(line.charCodeAt(i))) i++;
      continue;
    }
    const wanted = v.wants === undefined || v.wants(line, keyStart, i);
    if (i >= n || isSpace(line.charCodeAt(i))) {
      if (wanted && v.pair(line.slice(keyStart, i), null) === true && !strict) return;
      continue;
    }
    const i0 = i; // the key's end
    i++; // '='
    if (i < n && line.charCodeAt(i) === 34) {
      const qs = i + 1;
      let j = qs;
      for (;;) {
        if (j >= n) {
          if (strict) err(j, 'unterminated quoted value');
          break outer;
        }
        const c = line.charCodeAt(j);
        if (c === 92) j += 2;
        else if (c === 34) break;
        else j++;
      }
      i = j + 1;
      if (i < n && !isSpace(line.charCodeAt(i))) {
        if (strict) err(i, `unexpected '${line[i]}'`);
        while (i < n && !isSpace(line.charCodeAt(i))) i++;
        continue;
      }
      if (wanted && v.pair(line.slice(keyStart, i0), unquote(line, qs, j)) === true && !strict) return;
      continue;
    }
    const vs = i;
    let bad = -1;
    while (i < n) {
      const c = line.charCodeAt(i);
      if (isSpace(c)) break;
      if ((c === 61 || c === 34) && bad < 0) bad = i;
      i++;
    }
    if (bad >= 0) {
      if (strict) err(bad, `unexpected '${line[bad]}'`);
      continue;
    }
    if (wanted && v.pair(line.slice(keyStart, i0), line.slice(vs, i)) === true && !strict) return;
  }
}
