/**
 * LogQL syntax: parse query text into the AST (./ast.ts) and print it back.
 */
import { LogwharfError } from '../../api/errors.js';
import type { Expr, LogExpr, Matcher } from './ast.js';
import { parse } from './parser.js';

export type * from './ast.js';
export { isLogExpr } from './ast.js';
export { printExpr, printSelector, printLabelFilter } from './printer.js';
export { parseDuration, parseBytes, formatDuration } from './duration.js';
export { ERR_NO_EQUALITY_MATCHER } from './checks.js';

/**
 * Parses any LogQL query (log or metric) and runs Loki's parse-time checks.
 * Throws LogwharfError('parse_error') with Loki's message and `details.line`/`details.col`.
 */
export function parseExpr(text: string): Expr {
  return parse(text);
}

/** Parses a log query (`{sel} | stages`); a metric query is an error. */
export function parseLogExpr(text: string): LogExpr {
  const e = parse(text);
  if (e.kind !== 'log') throw new LogwharfError('parse_error', 'only log selector is supported');
  return e;
}

/**
 * Parses a bare stream selector (`{a="b", c=~"d"}`), as /series `match[]` and the label APIs take
 * it. Anything else (a pipeline, a metric query) is an error, as in Loki.
 */
export function parseMatchers(text: string): Matcher[] {
  const e = parse(text);
  if (e.kind !== 'log' || e.pipeline.length > 0) throw new LogwharfError('parse_error', 'only label matchers are supported');
  return e.matchers;
}
