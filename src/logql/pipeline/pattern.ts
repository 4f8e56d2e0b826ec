/**
 * Loki's pattern syntax (`<ip> - - <_> "<method> <uri> <_>"`), used by the `pattern` parser and
 * the `|>` / `!>` filters. A pattern is literals and captures; `<_>` captures nothing. Two
 * captures must be separated by a literal.
 */
import { LogwharfError } from '../../api/errors.js';

export type PatternPart = { lit: string } | { name: string };

export function parsePattern(pattern: string, opts: { requireNamed: boolean }): PatternPart[] {
  const bad = (why: string) => new LogwharfError('parse_error', `invalid pattern ${JSON.stringify(pattern)}: ${why}`);
  const parts: PatternPart[] = [];
  const re = /<([A-Za-z_][A-Za-z0-9_]*)>/g;
  let last = 0;
  for (let m = re.exec(pattern); m !== null; m = re.exec(pattern)) {
    if (m.index > last) parts.push({ lit: pattern.slice(last, m.index) });
    const prev = parts[parts.length - 1];
    if (prev !== undefined && 'name' in prev) throw bad('two consecutive captures must be separated by a literal');
    parts.push({ name: m[1]! });
    last = m.index + m[0].length;
  }
  if (last < pattern.length) parts.push({ lit: pattern.slice(last) });
  if (parts.length === 0) throw bad('empty pattern');
  const names = parts.filter((p): p is { name: string } => 'name' in p && p.name !== '_').map((p) => p.name);
  if (opts.requireNamed && names.length === 0) throw bad('at least one named capture is required');
  if (new Set(names).size !== names.length) throw bad('duplicate capture name');
  return parts;
}

/**
 * Extracts captures the way the pattern parser does: anchored at the start; each capture runs to
 * the next literal (or to the end); when the literal after a capture is not found, that capture
 * takes the rest of the line and matching stops (as Loki's pattern matcher does). Calls `emit` for
 * each named capture.
 */
export function extractPattern(parts: PatternPart[], line: string, emit: (name: string, value: string) => void): void {
  let pos = 0;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if ('lit' in p) {
      if (!line.startsWith(p.lit, pos)) return;
      pos += p.lit.length;
      continue;
    }
    const next = parts[i + 1] as { lit: string } | undefined;
    if (next === undefined) {
      if (p.name !== '_') emit(p.name, line.slice(pos));
      return;
    }
    const at = line.indexOf(next.lit, pos);
    if (at < 0) {
      if (p.name !== '_') emit(p.name, line.slice(pos));
      return;
    }
    if (p.name !== '_') emit(p.name, line.slice(pos, at));
    pos = at;
  }
}

/**
 * Tests a line against a pattern as a filter: the whole line must match, captures acting as
 * wildcards (`<_> error <_>` means "contains ` error `"; `GET <_>` means "starts with `GET `").
 */
export function compilePatternTest(parts: PatternPart[]): (line: string) => boolean {
  const first = parts[0]!;
  const lastPart = parts[parts.length - 1]!;
  const prefix = 'lit' in first ? first.lit : '';
  const suffix = 'lit' in lastPart && parts.length > 1 ? lastPart.lit : '';
  const middle: string[] = [];
  const from = 'lit' in first ? 1 : 0;
  const to = parts.length - (suffix !== '' ? 1 : 0);
  for (let i = from; i < to; i++) {
    const p = parts[i]!;
    if ('lit' in p) middle.push(p.lit);
  }
  const onlyLiteral = parts.length === 1 && 'lit' in first;
  return (line) => {
    if (onlyLiteral) return line === prefix;
    if (!line.startsWith(prefix)) return false;
    let pos = prefix.length;
    const end = line.length - suffix.length;
    if (end < pos || (suffix !== '' && !line.endsWith(suffix))) return false;
    for (const lit of middle) {
      const at = line.indexOf(lit, pos);
      if (at < 0 || at + lit.length > end) return false;
      pos = at + lit.length;
    }
    return true;
  };
}
