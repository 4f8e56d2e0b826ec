/**
 * `ip("...")` for line and label filters: a single address, a CIDR prefix or an `a-b` range, IPv4
 * or IPv6 (https://grafana.com/docs/loki/latest/query/ip/). Addresses are compared as bigints in
 * their own family; an IPv4-mapped IPv6 address counts as IPv4.
 */
import { LogwharfError } from '../../api/errors.js';

interface Addr {
  v6: boolean;
  n: bigint;
}

/** Parses a dotted-quad IPv4 address (no leading zeros beyond a single 0, as Go's netip). */
export function parseIPv4(s: string): bigint | undefined {
  let n = 0;
  let parts = 0;
  let i = 0;
  while (parts < 4) {
    const start = i;
    let v = 0;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (c < 48 || c > 57) break;
      v = v * 10 + (c - 48);
      i++;
    }
    const len = i - start;
    if (len === 0 || len > 3 || v > 255 || (len > 1 && s.charCodeAt(start) === 48)) return undefined;
    n = n * 256 + v;
    parts++;
    if (parts < 4) {
      if (s.charCodeAt(i) !== 46) return undefined;
      i++;
    }
  }
  return i === s.length ? BigInt(n) : undefined;
}

/** Parses an IPv6 address (with `::` compression and an optional trailing IPv4 part; no zone). */
export function parseIPv6(s: string): bigint | undefined {
  if (s.length < 2 || s.length > 45) return undefined;
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const parseGroups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const pieces = part.split(':');
    for (let k = 0; k < pieces.length; k++) {
      const p = pieces[k]!;
      if (k === pieces.length - 1 && p.includes('.')) {
        const v4 = parseIPv4(p);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
        continue;
      }
      if (!/^[0-9A-Fa-f]{1,4}$/.test(p)) return undefined;
      out.push(parseInt(p, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = parseGroups(s.slice(0, dbl));
    const tail = parseGroups(s.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    groups = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  } else {
    const g = parseGroups(s);
    if (!g || g.length !== 8) return undefined;
    groups = g;
  }
  let n = 0n;
  for (const g of groups) n = (n << 16n) | BigInt(g);
  return n;
}


/** Parses an address of either family; IPv4-mapped IPv6 becomes IPv4. */
export function parseAddr(s: string): Addr | undefined {
  if (s.includes(':')) {
    const n = parseIPv6(s);
    if (n === undefined) return undefined;
    if (n >> 32n === 0xffffn) return { v6: false, n: n & 0xffffffffn };
    return { v6: true, n };
  }
  const n = parseIPv4(s);
  return n === undefined ? undefined : { v6: false, n };
}

/** A compiled `ip("...")` range. */
export interface IpRange {
  v6: boolean;
  lo: bigint;
  hi: bigint;
}

export function parseIpRange(spec: string): IpRange {
  const bad = (why: string) => new LogwharfError('parse_error', `invalid ip filter ${JSON.stringify(spec)}: ${why}`);
  const s = spec.trim();
  const slash = s.indexOf('/');
  if (slash >= 0) {
    const a = parseAddr(s.slice(0, slash));
    const bitsText = s.slice(slash + 1);
    if (!a) throw bad('invalid address');
    const width = a.v6 ? 128 : 32;
    if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > width) throw bad('invalid prefix length');
    const host = BigInt(width - Number(bitsText));
    const lo = (a.n >> host) << host;
    return { v6: a.v6, lo, hi: lo + (1n << host) - 1n };
  }
  const dash = s.indexOf('-');
  if (dash >= 0) {
    const a = parseAddr(s.slice(0, dash).trim());
    const b = parseAddr(s.slice(dash + 1).trim());
    if (!a || !b) throw bad('invalid address in range');
    if (a.v6 !== b.v6) throw bad('range mixes IPv4 and IPv6');
    if (a.n > b.n) throw bad('range start is after its end');
    return { v6: a.v6, lo: a.n, hi: b.n };
  }
  const a = parseAddr(s);
  if (!a) throw bad('invalid address');
  return { v6: a.v6, lo: a.n, hi: a.n };
}

export function inRange(r: IpRange, value: string): boolean {
  const a = parseAddr(value);
  return a !== undefined && a.v6 === r.v6 && a.n >= r.lo && a.n <= r.hi;
}

function isIpChar(c: number): boolean {
  return (c >= 48 && c <= 58) || c === 46 || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** True when some address written in `line` is in the range. */
export function lineHasIpInRange(r: IpRange, line: string): boolean {
  // Quick reject: an IPv4 address needs a dot, an IPv6 one a colon.
  if (line.indexOf(r.v6 ? ':' : '.') < 0) return false;
  const n = line.length;
  let i = 0;
  while (i < n) {
    if (!isIpChar(line.charCodeAt(i))) {
      i++;
      continue;
    }
    let j = i;
    while (j < n && isIpChar(line.charCodeAt(j))) j++;
    if (j - i >= 2 && testToken(r, line, i, j)) return true;
    i = j;
  }
  return false;
}

function testToken(r: IpRange, line: string, start: number, end: number): boolean {
  // Trim separators that belong to the text around the address ("at 10.0.0.1." or "ip=::1:").
  while (start < end && line.charCodeAt(start) === 46) start++;
  while (end > start && (line.charCodeAt(end - 1) === 46 || (line.charCodeAt(end - 1) === 58 && line.charCodeAt(end - 2) !== 58))) end--;
  if (end - start < 2) return false;
  const tok = line.slice(start, end);
  if (inRange(r, tok)) return true;
  // "10.0.0.1:8080": try the colon-separated parts as IPv4.
  if (!r.v6 && tok.includes(':')) {
    for (const part of tok.split(':')) if (part.includes('.') && inRange(r, part)) return true;
  }
  return false;
}
