/**
 * LogQL parse and print speed: microseconds per query for typical queries.
 * Usage: npx tsx bench/logql-parse.bench.ts
 */
import { parseExpr, printExpr } from '../src/logql/syntax/index.js';

const queries = [
  '{app="foo"} |= "error" | json | level="error"',
  '{namespace="prod", app=~"api|web"} != "healthcheck" | logfmt | status >= 500 and duration > 1s',
  'sum by (status) (rate({job="nginx"} | pattern "<ip> - - <_> \\"<method> <uri> <_>\\" <status>" | status >= 500 [5m]))',
  'quantile_over_time(0.99, {app="api"} | json | unwrap duration(took) | __error__="" [5m]) by (route) > 1',
  'sum(rate({a="b"}[5m])) by (pod) / on (pod) group_left (node) sum(rate({c="d"}[5m])) by (pod, node)',
];

function time(fn: () => void, n: number): number {
  for (let i = 0; i < n; i++) fn();
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - t) / 1e3 / n;
}

for (const q of queries) {
  const e = parseExpr(q);
  const parse = time(() => parseExpr(q), 50_000);
  const print = time(() => printExpr(e), 50_000);
  console.log(`parse ${parse.toFixed(2)} µs  print ${print.toFixed(2)} µs  (${q.length} chars) ${q.slice(0, 60)}`);
}
