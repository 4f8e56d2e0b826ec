/** Numeric comparison by LogQL operator, shared by label filters and metric binary operators. */
import type { CompareOp } from './syntax/ast.js';

export function compare(op: CompareOp, a: number, b: number): boolean {
  switch (op) {
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
  }
}
