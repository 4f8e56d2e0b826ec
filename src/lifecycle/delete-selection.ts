/**
 * A delete request's query as the store applies it. Loki takes a stream selector with optional
 * line filters (`{app="api"} |= "token=" != "health"`); parsers, label filters and formatting
 * stages would make the deleted set depend on extracted labels, which Loki refuses too.
 */
import { LogwharfError } from '../api/errors.js';
import { compileLineFilter } from '../logql/pipeline/line-filter.js';
import { parseLogExpr, printSelector } from '../logql/syntax/index.js';
import type { DeleteSelection } from '../store/index.js';

export function deleteSelection(query: string, from: bigint, to: bigint): DeleteSelection {
  const expr = parseLogExpr(query);
  const preds = expr.pipeline.map((stage) => {
    if (stage.kind !== 'line_filter') {
      throw new LogwharfError('invalid_param', `invalid query: a delete request takes a stream selector and line filters only (|=, !=, |~, !~, |>, !>), not a ${stage.kind.replace(/_/g, ' ')} stage`, { param: 'query' });
    }
    return compileLineFilter(stage);
  });
  const sel: DeleteSelection = { matchers: expr.matchers, from, to };
  if (preds.length > 0) sel.line = (line) => preds.every((p) => p(line));
  return sel;
}

/**
 * The query as it is kept once the request is processed: the selector, and each line filter with
 * its values replaced. A delete request usually names the very text it deletes (a leaked token, a
 * user's e-mail address); keeping it in `<data>/deletes/requests.json` would keep the secret on
 * disk. Loki keeps the query as sent; we depart from that on purpose (docs/lifecycle.md).
 */
export const REDACTED = '<deleted>';

export function redactedQuery(query: string): string {
  const expr = parseLogExpr(query);
  let out = printSelector(expr.matchers);
  for (const st of expr.pipeline) if (st.kind === 'line_filter') out += ` ${st.op} ${st.values.map(() => JSON.stringify(REDACTED)).join(' or ')}`;
  return out;
}
