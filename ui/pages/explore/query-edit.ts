/**
 * "Filter for / filter out" as edits of a LogQL log query's text: a stream label becomes a matcher
 * of the selector (`{a="b"}` → `{a="b", c="d"}`), a field a parser extracts becomes a label filter
 * after that parser (`| json | c="d"`, reusing a `| json` already in the query), structured
 * metadata a label filter at the end. The rest of the query keeps its text. Pure, unit tested.
 */

import { quoteLogql, unquoteLogql } from '../../lib/logql-string.js';
import type { LineFilter } from '../../components/log-list/types.js';

export type FilterOp = '=' | '!=';

export class QueryEditError extends Error {}

interface Span {
  start: number;
  /** Exclusive, without trailing space or comments. */
  end: number;
}

interface Parsed {
  selector: Span;
  stages: Span[];
}

const LINE_FILTER = /^(\|=|\|~|!=|!~|\|>|!>)/;

/** Finds the selector and the pipeline stages of a log query, skipping strings and comments. */
function scan(q: string): Parsed {
  let i = 0;
  const n = q.length;
  const skipSpace = () => {
    for (;;) {
      while (i < n && /\s/.test(q[i]!)) i++;
      if (q[i] !== '#') return;
      while (i < n && q[i] !== '\n') i++;
    }
  };
  const skipString = () => {
    const quote = q[i]!;
    i++;
    while (i < n && q[i] !== quote) i += quote === '"' && q[i] === '\\' ? 2 : 1;
    if (i >= n) throw new QueryEditError('the query has an unterminated string');
    i++;
  };
  skipSpace();
  if (q[i] !== '{') throw new QueryEditError('only a log query (one that starts with a {selector}) can be edited this way');
  const selStart = i;
  while (i < n && q[i] !== '}') {
    if (q[i] === '"' || q[i] === '`') skipString();
    else i++;
  }
  if (i >= n) throw new QueryEditError('the selector has no closing }');
  i++;
  const selector = { start: selStart, end: i };
  const stages: Span[] = [];
  let cur: Span | undefined;
  let depth = 0;
  let lastEnd = i;
  for (;;) {
    skipSpace();
    if (i >= n) break;
    const rest = q.slice(i, i + 2);
    const startsLine = LINE_FILTER.test(rest);
    const curIsLine = cur !== undefined && LINE_FILTER.test(q.slice(cur.start, cur.start + 2));
    // `|` always starts a stage; `!=`/`!~` only after the selector or another line filter (elsewhere they compare labels).
    if (depth === 0 && (q[i] === '|' || (startsLine && (cur === undefined || curIsLine)))) {
      if (cur) (cur.end = lastEnd, stages.push(cur));
      cur = { start: i, end: i };
      i += startsLine ? 2 : 1;
      lastEnd = i;
      continue;
    }
    if (q[i] === '"' || q[i] === '`') skipString();
    else {
      if (q[i] === '(') depth++;
      else if (q[i] === ')') depth--;
      i++;
    }
    lastEnd = i;
  }
  if (cur) (cur.end = lastEnd, stages.push(cur));
  return { selector, stages };
}

const MATCHER = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|`[^`]*`)\s*$/s;

/** Splits the selector's inside at commas outside strings. */
function matcherTexts(inner: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    const c = inner[i];
    if (c === '"' || c === '`') {
      const quote = c;
      i++;
      while (i < inner.length && inner[i] !== quote) i += quote === '"' && inner[i] === '\\' ? 2 : 1;
    } else if (c === ',') {
      out.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  out.push(inner.slice(start));
  return out.map((s) => s.trim()).filter((s) => s !== '');
}

/**
 * Adds `name op "value"` to the selector. An identical matcher leaves the query as it is; an `=`
 * matcher on the same name (which could not match together with the new one) or the exact opposite
 * (`name!="value"` when filtering for it) is replaced.
 */
export function withStreamMatcher(query: string, name: string, value: string, op: FilterOp): string {
  if (query.trim() === '') return `{${name}${op}${quoteLogql(value)}}`;
  const { selector } = scan(query);
  const parts = matcherTexts(query.slice(selector.start + 1, selector.end - 1));
  const wanted = `${name}${op}${quoteLogql(value)}`;
  let replaced = false;
  const next: string[] = [];
  for (const text of parts) {
    const m = MATCHER.exec(text);
    if (m && m[1] === name) {
      const v = unquoteLogql(m[3]!);
      if (m[2] === op && v === value) return query;
      const opposite = m[2] === (op === '=' ? '!=' : '=') && v === value;
      if (opposite || (op === '=' && m[2] === '=')) {
        if (!replaced) next.push(wanted);
        replaced = true;
        continue;
      }
    }
    next.push(text);
  }
  if (!replaced) next.push(wanted);
  return query.slice(0, selector.start) + `{${next.join(', ')}}` + query.slice(selector.end);
}

const LABEL_FILTER = /^\|\s*([A-Za-z_][A-Za-z0-9_]*)\s*(==|!=|=)\s*("(?:[^"\\]|\\.)*"|`[^`]*`)\s*$/s;
const ANY_LABEL_FILTER = /^\|\s*\(?\s*[A-Za-z_][A-Za-z0-9_]*\s*(==|!=|=~|!~|>=|<=|=|>|<)/;

/** True for `| json` and `| logfmt [--strict] [--keep-empty]`: parsers that extract every field. */
function isFullParser(stage: string, parser: 'json' | 'logfmt'): boolean {
  const re = parser === 'json' ? /^\|\s*json\s*$/ : /^\|\s*logfmt(\s+--(strict|keep-empty))*\s*$/;
  return re.test(stage);
}

/**
 * Adds the label filter `| name op "value"` for a field the line's `parser` extracts: right after
 * that parser when the query has it (and after the label filters that already follow it), or
 * `| parser | name op "value"` at the end. Without `parser` (structured metadata, labels the query's
 * own parsers produced) the filter goes at the end. An identical filter leaves the query as it is;
 * its exact opposite is flipped in place.
 */
export function withFieldFilter(query: string, parser: 'json' | 'logfmt' | undefined, name: string, value: string, op: FilterOp): string {
  const { selector, stages } = scan(query);
  const texts = stages.map((s) => query.slice(s.start, s.end));
  const filter = `| ${name}${op}${quoteLogql(value)}`;
  let from = 0;
  if (parser) {
    let p = -1;
    texts.forEach((t, k) => (isFullParser(t, parser) ? (p = k) : undefined));
    if (p < 0) return `${query.slice(0, stages.length ? stages[stages.length - 1]!.end : selector.end)} | ${parser} ${filter}${query.slice(stages.length ? stages[stages.length - 1]!.end : selector.end)}`;
    from = p + 1;
  }
  for (let k = from; k < texts.length; k++) {
    const m = LABEL_FILTER.exec(texts[k]!);
    if (!m || m[1] !== name || unquoteLogql(m[3]!) !== value) continue;
    const same = (m[2] === '!=') === (op === '!=');
    if (same) return query;
    return query.slice(0, stages[k]!.start) + filter + query.slice(stages[k]!.end);
  }
  let at: number;
  if (parser) {
    let k = from;
    while (k < texts.length && ANY_LABEL_FILTER.test(texts[k]!)) k++;
    at = stages[k - 1]!.end;
  } else at = stages.length ? stages[stages.length - 1]!.end : selector.end;
  return `${query.slice(0, at)} ${filter}${query.slice(at)}`;
}

/** The query with the filter a user asked for on an expanded line (a stream matcher or a label filter). */
export function withLineFilter(query: string, f: LineFilter): string {
  return f.source === 'label' ? withStreamMatcher(query, f.name, f.value, f.op) : withFieldFilter(query, f.source === 'field' ? f.parser : undefined, f.name, f.value, f.op);
}
