/**
 * LogQL regexes: Go RE2 syntax and semantics, matched in linear time.
 *
 * LogQL (like Prometheus) takes regexes in Go's syntax and Loki runs them on Go's RE2 engine, whose
 * time is linear in the input. V8's RegExp backtracks: `(a+)+$` over a line of 25 `a`s and a `b`
 * takes seconds, so a query could hold the process for minutes. Every LogQL regex therefore runs
 * on re2js, a port of Go's regexp package (same parser, so the same syntax, the same errors in Go's
 * words, and the same DFA/NFA matching). docs/benchmarks.md records why this engine was chosen over
 * native re2, re2-wasm and V8's experimental linear engine, with figures.
 *
 * Plain literals and alternations of literals keep their substring fast paths
 * (`literalAlternatives`), which are both faster and trivially linear.
 */
import { RE2JS } from 're2js';
import { LogwharfError } from '../api/errors.js';

export interface Re2Options {
  /** The whole input must match (label matchers, Prometheus/Loki style: `^(?:...)$`). */
  anchored?: boolean;
  /** `.` also matches `\n`, as Prometheus does for label matchers (`(?s:...)`). */
  dotAll?: boolean;
}

/** A match in RegExp's shape: [whole, ...groups] with `index`, `input` and `groups` (named). */
export type Re2Match = RegExpExecArray;

/** A compiled RE2 regex. Stateless, so one instance is shared by every query that uses the pattern. */
export class Re2 {
  /** Capture group names in group order (a group without a name is absent). */
  readonly groupNames: readonly string[];
  /** Number of capture groups. */
  readonly groupCount: number;

  constructor(
    /** The pattern as the user wrote it. */
    readonly pattern: string,
    private readonly re: RE2JS,
    /** For `test` only: an equivalent RegExp that cannot backtrack (see literalTester). */
    private readonly literalTest?: RegExp,
    /** For `test` only: literals every match contains; a line without one cannot match (see requiredLiterals). */
    private readonly required?: (line: string) => boolean,
  ) {
    this.groupCount = re.groupCount();
    const named = re.namedGroups();
    this.groupNames = Object.keys(named).sort((a, b) => named[a]! - named[b]!);
  }

  test(input: string): boolean {
    if (this.literalTest) return this.literalTest.test(input);
    if (this.required && !this.required(input)) return false;
    return this.re.test(input);
  }

  /** The leftmost match with its groups (unmatched groups are undefined), or null. */
  exec(input: string): Re2Match | null {
    return this.re.exec(input) as Re2Match | null;
  }

  /** Number of non-overlapping matches. */
  count(input: string): number {
    let n = 0;
    for (const _ of this.re.matchAll(input)) n++;
    return n;
  }

  /**
   * Replaces every non-overlapping match with what `replacer` returns for it; `groups` is
   * [whole, ...groups] (unmatched groups undefined), `named` maps group names to values.
   */
  replaceAll(input: string, replacer: (groups: Array<string | undefined>, named: Record<string, string | undefined>) => string): string {
    let out = '';
    let last = 0;
    for (const m of this.re.matchAll(input)) {
      const groups = Array.from(m, (g) => g ?? undefined);
      out += input.slice(last, m.index) + replacer(groups, { ...m.groups });
      last = m.index! + m[0].length;
    }
    return out + input.slice(last);
  }
}

const CACHE_MAX = 512;
const cache = new Map<string, Re2>();

/**
 * Compiles a Go RE2 pattern. Results are cached (the same pattern is compiled for every query).
 * Throws LogwharfError('parse_error') with Go's message (`error parsing regexp: ...`) on an invalid
 * pattern, including the constructs RE2 rejects (backreferences, lookaround).
 */
export function compileRe2(pattern: string, opts: Re2Options = {}): Re2 {
  const key = (opts.anchored ? 'a' : '-') + (opts.dotAll ? 's' : '-') + pattern;
  const hit = cache.get(key);
  if (hit !== undefined) {
    // Refresh recency: a Map iterates in insertion order, so the first key is the oldest.
    cache.delete(key);
    cache.set(key, hit);
    return hit;
  }
  // The user's pattern alone first, so an error quotes what they wrote, not our wrapping.
  let re = compileOrThrow(pattern);
  if (opts.anchored || opts.dotAll) {
    // A group keeps the pattern's own flags (`(?i)`, `(?m)`) local and its alternation inside the
    // anchors; Go's `$` without `m` is end of text, as Prometheus's `^(?s:...)$` relies on.
    const body = opts.dotAll ? `(?s:${pattern})` : `(?:${pattern})`;
    re = compileOrThrow(opts.anchored ? `^${body}$` : body);
  }
  const literal = opts.anchored ? undefined : literalTester(pattern);
  const compiled = new Re2(pattern, re, literal, literal ? undefined : requiredLiterals(pattern));
  if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
  cache.set(key, compiled);
  return compiled;
}

function compileOrThrow(source: string): RE2JS {
  try {
    return RE2JS.compile(source);
  } catch (e) {
    // RangeError: a pattern deep enough to exhaust re2js's recursion; Go says this.
    const msg = e instanceof RangeError ? 'error parsing regexp: expression nests too deeply' : (e as Error).message;
    throw new LogwharfError('parse_error', msg);
  }
}

/**
 * An alternation of plain literals, possibly case-insensitive (`(?i)error`, `GET|POST`) as a V8
 * RegExp. re2js has no literal acceleration under `(?i)` (measured 15–20× slower than V8 on such
 * patterns, which are the most common regex line filters), while V8 runs a literal alternation with
 * a fast scan, and it cannot backtrack beyond one alternative's length at each position, so the
 * time stays linear in the line. Both engines fold case the same way (Unicode simple folding).
 */
function literalTester(pattern: string): RegExp | undefined {
  const lit = literalAlternatives(pattern);
  if (!lit) return undefined;
  const source = lit.values.map((v) => v.replace(/[\\^$.*+?()[\]{}|\/]/g, '\\$&')).join('|');
  return new RegExp(source, lit.insensitive ? 'iu' : 'u');
}

// Characters that stand for themselves in RE2 outside a class, unescaped.
const PLAIN = /[A-Za-z0-9 _\-:=",'<>@#%&!~;\/]/;
// A literal shorter than this is not worth a scan of its own.
const MIN_REQUIRED = 3;

/**
 * A prefilter for patterns re2js runs slowly (10–20× V8 under `(?i)` or without a literal prefix,
 * see docs/benchmarks.md): the runs of plain characters in the pattern's top-level concatenation,
 * outside any group, class or alternation, must all occur in a matching line. A line missing one
 * is rejected by a substring scan (a V8 RegExp of the escaped literal with `i` under `(?i)`, which
 * folds case as RE2 does and cannot backtrack); the others still go to re2js. Only a leading `(?i)`
 * is understood; any other flag group, `\Q`, or a top-level `|` means no prefilter.
 */
function requiredLiterals(pattern: string): ((line: string) => boolean) | undefined {
  let p = pattern;
  let insensitive = false;
  if (p.startsWith('(?i)')) {
    insensitive = true;
    p = p.slice(4);
  }
  const runs: string[] = [];
  let cur = '';
  const end = () => {
    if (cur.length >= MIN_REQUIRED) runs.push(cur);
    cur = '';
  };
  // Whether the atom ending before index j is repeated (and so not required).
  const quantified = (j: number) => /[*+?{]/.test(p[j] ?? '');
  let depth = 0;
  for (let i = 0; i < p.length; ) {
    const c = p[i]!;
    if (c === '[') {
      end();
      i = classEnd(p, i);
      continue;
    }
    if (c === '\\') {
      const d = p[i + 1];
      if (d === 'Q') return undefined;
      const j = escapeEnd(p, i);
      // Escaped punctuation is that character; every other escape is a class or an assertion.
      if (depth === 0 && j === i + 2 && d !== undefined && /[!-/:-@[-`{-~]/.test(d) && !quantified(j)) cur += d;
      else end();
      i = j;
      continue;
    }
    if (c === '(') {
      if (depth === 0 && p[i + 1] === '?' && p[i + 2] !== ':' && p[i + 2] !== 'P' && p[i + 2] !== '<') return undefined;
      end();
      depth++;
      i++;
      continue;
    }
    if (c === ')') {
      depth--;
      i++;
      continue;
    }
    if (depth > 0) {
      i++;
      continue;
    }
    if (c === '|') return undefined;
    const rep = c === '{' ? /^\{\d+(,\d*)?\}/.exec(p.slice(i)) : null;
    if (rep) {
      end();
      i += rep[0].length;
      continue;
    }
    if (PLAIN.test(c) && !quantified(i + 1)) cur += c;
    else end();
    i++;
  }
  end();
  if (runs.length === 0) return undefined;
  if (!insensitive) return (line) => runs.every((r) => line.includes(r));
  const res = runs.map((r) => new RegExp(r.replace(/[\\^$.*+?()[\]{}|\/]/g, '\\$&'), 'iu'));
  return (line) => res.every((re) => re.test(line));
}

/** The index after the escape at `i` (`\\d`, `\\pL`, `\\p{Greek}`, `\\x41`, `\\x{1F600}`, `\\101`). */
function escapeEnd(p: string, i: number): number {
  const d = p[i + 1];
  if (d === 'p' || d === 'P' || d === 'x') {
    if (p[i + 2] === '{') {
      const close = p.indexOf('}', i + 3);
      return close < 0 ? p.length : close + 1;
    }
    return d === 'x' ? i + 4 : i + 3;
  }
  if (d !== undefined && d >= '0' && d <= '7') {
    let j = i + 1;
    while (j < p.length && j < i + 4 && p[j]! >= '0' && p[j]! <= '7') j++;
    return j;
  }
  return i + 2;
}

/** The index after the class starting at `i` (`[`): `]` first is literal, `[:name:]` and escapes nest. */
function classEnd(p: string, i: number): number {
  let j = i + 1;
  if (p[j] === '^') j++;
  if (p[j] === ']') j++;
  while (j < p.length && p[j] !== ']') {
    if (p[j] === '\\') j = escapeEnd(p, j);
    else if (p[j] === '[' && p[j + 1] === ':') {
      const close = p.indexOf(':]', j + 2);
      j = close < 0 ? j + 1 : close + 2;
    } else j++;
  }
  return j + 1;
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
