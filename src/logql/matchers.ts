/**
 * Label matchers (`=`, `!=`, `=~`, `!~`) as Loki and Prometheus evaluate them: regexes are fully
 * anchored with `.` matching newlines (Prometheus compiles `^(?s:re)$`), and a missing label
 * behaves as the empty string, so `{a=""}` selects streams without `a` and `{a!=""}` those with it.
 */
import type { Labels } from '../api/model.js';
import type { Matcher } from './syntax/ast.js';
import { compileRe2, literalAlternatives } from './regex.js';

/** A compiled matcher: `undefined` (label absent) is treated as `""`. */
export type ValueMatcher = (value: string | undefined) => boolean;

/**
 * Compiles one matcher. Common regex shapes take fast paths (`.*`, `.+`, literals and literal
 * alternations, `prefix.*`). Throws LogwharfError('parse_error') for an invalid regex.
 */
export function compileMatcher(m: Matcher): ValueMatcher {
  const v = m.value;
  switch (m.op) {
    case '=':
      return (x) => (x ?? '') === v;
    case '!=':
      return (x) => (x ?? '') !== v;
    case '=~': {
      const f = regexTest(v);
      return (x) => f(x ?? '');
    }
    case '!~': {
      const f = regexTest(v);
      return (x) => !f(x ?? '');
    }
  }
}

function regexTest(pattern: string): (s: string) => boolean {
  // Compile first so an invalid pattern is reported even when a fast path would apply.
  const re = compileRe2(pattern, { anchored: true, dotAll: true });
  if (pattern === '.*') return () => true;
  if (pattern === '.+') return (s) => s.length > 0;
  const shape = literalPrefixOrSet({ name: '', op: '=~', value: pattern });
  if (shape?.kind === 'set') {
    if (shape.values.length === 1) {
      const only = shape.values[0]!;
      return (s) => s === only;
    }
    const set = new Set(shape.values);
    return (s) => set.has(s);
  }
  if (shape?.kind === 'prefix' && shape.exact) {
    const prefix = shape.prefix;
    return (s) => s.startsWith(prefix);
  }
  return (s) => re.test(s);
}

// Compiled matchers by AST node, so repeated matchesAll calls (tail, per stream) compile once.
const compiledByNode = new WeakMap<Matcher, ValueMatcher>();

/** True when every matcher accepts its label in `labels`. */
export function matchesAll(matchers: readonly Matcher[], labels: Labels): boolean {
  for (const m of matchers) {
    let f = compiledByNode.get(m);
    if (f === undefined) compiledByNode.set(m, (f = compileMatcher(m)));
    const v = labels[m.name];
    if (!f(typeof v === 'string' ? v : undefined)) return false;
  }
  return true;
}

/** Compiles a list of matchers once; the result tests label sets. */
export function compileMatchers(matchers: readonly Matcher[]): (labels: Labels) => boolean {
  const compiled = matchers.map((m) => ({ name: m.name, f: compileMatcher(m) }));
  return (labels) => {
    for (const c of compiled) {
      const v = labels[c.name];
      if (!c.f(typeof v === 'string' ? v : undefined)) return false;
    }
    return true;
  };
}

/**
 * What an index can use for a positive regex matcher:
 * - `set`: the value is exactly one of these strings (`=~"a|b|c"`, or `="x"`);
 * - `prefix`: the value starts with `prefix` (`=~"api-.*"`); `exact` means starting with it is
 *   also sufficient (nothing follows `.*`).
 * null when nothing useful is known (including negative and case-insensitive matchers).
 */
export type MatcherShape =
  | { kind: 'set'; values: string[] }
  | { kind: 'prefix'; prefix: string; exact: boolean };

export function literalPrefixOrSet(m: Matcher): MatcherShape | null {
  if (m.op === '=') return { kind: 'set', values: [m.value] };
  if (m.op !== '=~') return null;
  const lit = literalAlternatives(m.value);
  if (lit && !lit.insensitive) return { kind: 'set', values: [...new Set(lit.values)] };
  // `prefix.*` or `prefix.+`-style: a literal run followed by a tail we do not analyse further.
  let prefix = '';
  let i = 0;
  const p = m.value;
  while (i < p.length) {
    const c = p[i]!;
    if (c === '\\') {
      const d = p[i + 1];
      if (d === undefined || /[A-Za-z0-9]/.test(d) || d.charCodeAt(0) >= 128) break;
      prefix += d;
      i += 2;
    } else if ('.*+?()[]{}^$|'.includes(c)) {
      break;
    } else {
      prefix += c;
      i++;
    }
  }
  // A quantifier right after the literal applies to its last character, and a top-level `|`
  // anywhere means the prefix is not required.
  if (prefix === '' || i >= p.length || '*+?{'.includes(p[i]!) || hasTopLevelAlternation(p)) return null;
  return { kind: 'prefix', prefix, exact: p.slice(i) === '.*' };
}

function hasTopLevelAlternation(p: string): boolean {
  let depth = 0;
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i]!;
    if (c === '\\') i++;
    else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
      if (p[i + 1] === '^') i++;
      if (p[i + 1] === ']') i++;
    } else if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === '|' && depth === 0) return true;
  }
  return false;
}
