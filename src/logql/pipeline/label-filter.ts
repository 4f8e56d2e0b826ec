/**
 * Label filters: string matchers, number / duration / bytes comparisons and `ip()`, combined with
 * `and` / `or` (short-circuit, left to right). As in Loki: a comparison whose label cannot be
 * converted keeps the entry and sets `__error__=LabelFilterErr` (unless an earlier error is set);
 * a compared label that is absent drops the entry.
 */
import { compare } from '../compare.js';
import type { CompareOp, LabelFilterExpr } from '../syntax/ast.js';
import { compileMatcher } from '../matchers.js';
import type { EntryState } from './entry.js';
import { ERR_LABEL_FILTER } from './entry.js';
import { inRange, parseIpRange } from './ip.js';
import { parseBytes, parseGoDuration, parseGoFloat } from './units.js';

export type LabelPredicate = (s: EntryState) => boolean;

function comparison(
  name: string,
  op: CompareOp,
  value: number,
  convert: (s: string) => number | undefined,
  kind: 'number' | 'duration' | 'bytes',
): LabelPredicate {
  return (s) => {
    const v = s.get(name);
    if (v === undefined) return false;
    const n = convert(v);
    if (n === undefined) {
      s.setError(ERR_LABEL_FILTER, kind === 'duration' ? `time: invalid duration ${JSON.stringify(v)}` : `strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
      return true;
    }
    return compare(op, n, value);
  };
}

export function compileLabelFilter(e: LabelFilterExpr): LabelPredicate {
  switch (e.type) {
    case 'and': {
      const l = compileLabelFilter(e.left);
      const r = compileLabelFilter(e.right);
      return (s) => l(s) && r(s);
    }
    case 'or': {
      const l = compileLabelFilter(e.left);
      const r = compileLabelFilter(e.right);
      return (s) => l(s) || r(s);
    }
    case 'paren':
      return compileLabelFilter(e.expr);
    case 'string': {
      const f = compileMatcher(e.matcher);
      const name = e.matcher.name;
      return (s) => f(s.get(name));
    }
    case 'number':
      return comparison(e.name, e.op, e.value, parseGoFloat, 'number');
    case 'duration':
      return comparison(e.name, e.op, e.value, parseGoDuration, 'duration');
    case 'bytes':
      return comparison(e.name, e.op, e.value, parseBytes, 'bytes');
    case 'ip': {
      const r = parseIpRange(e.value);
      const name = e.name;
      const want = e.op === '=';
      return (s) => {
        const v = s.get(name);
        if (v === undefined) return false;
        return inRange(r, v.trim()) === want;
      };
    }
  }
}
