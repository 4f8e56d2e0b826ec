/**
 * The checks Loki makes once a query has parsed (pkg/logql/syntax validateExpr and the node
 * constructors): which range operations take unwrap, a parameter or grouping, that a selector
 * names at least one stream-narrowing matcher, and how literal legs fold.
 */
import type { BinaryOp, Expr, LogExpr, RangeAggregationExpr } from './ast.js';
import { compileMatcher } from '../matchers.js';
import { parseError } from './parse-error.js';

export const ERR_NO_EQUALITY_MATCHER =
  'queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~".*" does not meet this requirement, but app=~".+" will';

const GROUPING_OK = new Set<string>(['avg_over_time', 'stddev_over_time', 'stdvar_over_time', 'quantile_over_time', 'max_over_time', 'min_over_time', 'first_over_time', 'last_over_time']);
const UNWRAP_OK = new Set<string>([
  'avg_over_time',
  'sum_over_time',
  'max_over_time',
  'min_over_time',
  'stddev_over_time',
  'stdvar_over_time',
  'quantile_over_time',
  'rate',
  'rate_counter',
  'absent_over_time',
  'first_over_time',
  'last_over_time',
]);
const NO_UNWRAP_OK = new Set<string>(['bytes_over_time', 'bytes_rate', 'count_over_time', 'rate', 'absent_over_time']);

export function rangeAggregationError(node: RangeAggregationExpr, paramText: string | undefined, paramErr: string | undefined): string | undefined {
  const op = node.op;
  if (paramText !== undefined) {
    if (op !== 'quantile_over_time') return `parameter ${paramText} not supported for operation ${op}`;
    if (paramErr) return `invalid parameter for operation ${op}: ${paramErr}`;
  } else if (op === 'quantile_over_time') {
    return `parameter required for operation ${op}`;
  }
  if (node.grouping && !GROUPING_OK.has(op)) return `grouping not allowed for ${op} aggregation`;
  if (node.range.unwrap) return UNWRAP_OK.has(op) ? undefined : `invalid aggregation ${op} with unwrap`;
  return NO_UNWRAP_OK.has(op) ? undefined : `invalid aggregation ${op} without unwrap`;
}

export function validateSelector(e: LogExpr): void {
  // A matcher that accepts the empty string selects every stream; at least one must not.
  for (const m of e.matchers) if (!compileMatcher(m)(undefined)) return;
  const at = e.pos ?? { line: 1, col: 1 };
  throw parseError(ERR_NO_EQUALITY_MATCHER, at);
}

/** The value of a literal leg as Loki sees it (it folds `1 + 1` into `2` while parsing). */
export function literalValue(e: Expr): number | undefined {
  switch (e.kind) {
    case 'literal':
      return e.value;
    case 'paren':
      return literalValue(e.inner);
    case 'binary': {
      const l = literalValue(e.left);
      const r = l === undefined ? undefined : literalValue(e.right);
      if (l === undefined || r === undefined) return undefined;
      return foldBinary(e.op, l, r, e.returnBool);
    }
    default:
      return undefined;
  }
}

function foldBinary(op: BinaryOp, l: number, r: number, returnBool: boolean): number {
  const b = (x: boolean): number => (returnBool ? (x ? 1 : 0) : x ? l : NaN);
  switch (op) {
    case '+':
      return l + r;
    case '-':
      return l - r;
    case '*':
      return l * r;
    // Division and modulo by zero are NaN in Loki (src/logql/eval/binary.ts `arith`).
    case '/':
      return r === 0 ? NaN : l / r;
    case '%':
      return r === 0 ? NaN : l % r;
    case '^':
      return Math.pow(l, r);
    case '==':
      return b(l === r);
    case '!=':
      return b(l !== r);
    case '>':
      return b(l > r);
    case '>=':
      return b(l >= r);
    case '<':
      return b(l < r);
    case '<=':
      return b(l <= r);
    default:
      return NaN;
  }
}
