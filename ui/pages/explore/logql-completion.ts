/**
 * What the LogQL editor should offer at the cursor: label names inside a selector, label values inside
 * a matcher's string, pipeline stages after `|`, functions and aggregations where an expression starts,
 * `by`/`without` after an aggregation, label names inside `by (…)`. Pure (no DOM, no CodeMirror) so
 * unit tests run it in node.
 *
 * Strings and braces are found by a small scan of the text before the cursor, because a half-typed
 * query usually has an unclosed quote, which Grafana's grammar cannot tokenize into anything useful;
 * everything outside strings and selectors is decided from the lezer tree.
 */
import { parser } from '@grafana/lezer-logql';
import type { SyntaxNode } from '@lezer/common';

export type CompletionContext =
  /** `selector` is `{…}` made of the selector's complete matchers (for scoping), or '' when there are none. */
  | { kind: 'label-name'; from: number; selector: string }
  | { kind: 'label-value'; from: number; label: string; quote: '"' | '`'; selector: string }
  /** `pipeFrom` is where the `|` is, for line filters (`|=` …) that replace it. */
  | { kind: 'pipeline'; from: number; pipeFrom: number }
  /** `aggregation`: right after an aggregation, where `by`/`without` fit. */
  | { kind: 'function'; from: number; aggregation: boolean }
  | { kind: 'grouping-label'; from: number; selector: string }
  | { kind: 'none' };

export const PIPELINE_STAGES = ['json', 'logfmt', 'regexp', 'pattern', 'unpack', 'line_format', 'label_format', 'drop', 'keep', 'decolorize', 'unwrap'] as const;
export const LINE_FILTERS = ['|=', '!=', '|~', '!~'] as const;
export const RANGE_FUNCTIONS = [
  'count_over_time', 'rate', 'rate_counter', 'bytes_over_time', 'bytes_rate', 'avg_over_time', 'sum_over_time', 'min_over_time', 'max_over_time',
  'stddev_over_time', 'stdvar_over_time', 'quantile_over_time', 'first_over_time', 'last_over_time', 'absent_over_time',
] as const;
export const AGGREGATIONS = ['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'sort', 'sort_desc'] as const;
export const OTHER_FUNCTIONS = ['label_replace', 'vector'] as const;
export const GROUPING = ['by', 'without'] as const;

interface Scan {
  /** Start of the string the cursor is in (the quote's offset), or -1. */
  stringStart: number;
  /** Offset of the `{` of the selector the cursor is in, or -1. */
  braceStart: number;
}

/** Where the text before `pos` leaves the cursor: inside a string? inside a selector's braces? */
function scan(doc: string, pos: number): Scan {
  let quote = '';
  let stringStart = -1;
  const braces: number[] = [];
  for (let i = 0; i < pos; i++) {
    const c = doc[i]!;
    if (quote) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === '`') (quote = c), (stringStart = i);
    else if (c === '{') braces.push(i);
    else if (c === '}') braces.pop();
  }
  return { stringStart: quote ? stringStart : -1, braceStart: braces.length ? braces[braces.length - 1]! : -1 };
}

const MATCHER = /([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|`[^`]*`)/g;

/** The complete matchers of the selector opening at `brace`, other than the one at `exclude`, as `{…}`; '' when none or not valid. */
function selectorSoFar(doc: string, brace: number, exclude = -1): string {
  // The selector's body: up to its closing brace outside strings, or the end of the text.
  let end = doc.length;
  let quote = '';
  for (let i = brace + 1; i < doc.length; i++) {
    const c = doc[i]!;
    if (quote) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) quote = '';
    } else if (c === '"' || c === '`') quote = c;
    else if (c === '}') {
      end = i;
      break;
    }
  }
  const body = doc.slice(brace + 1, end);
  const matchers: string[] = [];
  for (const m of body.matchAll(MATCHER)) {
    const at = brace + 1 + m.index!;
    if (exclude >= at && exclude <= at + m[0].length) continue;
    matchers.push(m[0]);
  }
  if (matchers.length === 0) return '';
  const selector = `{${matchers.join(', ')}}`;
  return isValid(selector) ? selector : '';
}

function isValid(query: string): boolean {
  let ok = true;
  parser.parse(query).iterate({
    enter: (n) => {
      if (n.type.isError) ok = false;
      return ok;
    },
  });
  return ok;
}

function ancestor(node: SyntaxNode | null, name: string): SyntaxNode | null {
  for (let n = node; n; n = n.parent) if (n.name === name) return n;
  return null;
}

/** The first selector of the query, for scoping `by (…)` label names. */
function firstSelector(doc: string): string {
  const b = doc.indexOf('{');
  return b < 0 ? '' : selectorSoFar(doc, b);
}

export function completionContext(doc: string, pos: number): CompletionContext {
  const before = doc.slice(0, pos);
  const { stringStart, braceStart } = scan(doc, pos);

  if (stringStart >= 0) {
    // A label value: the string follows `name op` inside a selector.
    if (braceStart < 0 || braceStart > stringStart) return { kind: 'none' };
    const m = /([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*$/.exec(doc.slice(braceStart + 1, stringStart));
    if (!m) return { kind: 'none' };
    return { kind: 'label-value', from: stringStart + 1, label: m[1]!, quote: doc[stringStart] as '"' | '`', selector: selectorSoFar(doc, braceStart, stringStart) };
  }

  const word = /[A-Za-z_][A-Za-z0-9_]*$/.exec(before);
  const from = word ? pos - word[0].length : pos;

  if (braceStart >= 0) {
    // A label name where a matcher starts: right after `{` or `,`.
    const lead = doc.slice(braceStart + 1, from);
    if (!/(^|,)\s*$/.test(lead)) return { kind: 'none' };
    return { kind: 'label-name', from, selector: selectorSoFar(doc, braceStart, from) };
  }

  const tree = parser.parse(doc);
  const node = tree.resolveInner(pos, -1);
  const grouping = ancestor(node, 'Grouping');
  if (grouping && doc.slice(grouping.from, from).includes('(')) return { kind: 'grouping-label', from, selector: firstSelector(doc) };

  const lead = before.slice(0, from).trimEnd();
  if (ancestor(node, 'PipelineExpr') || ancestor(node, 'PipelineStage')) {
    if (/\|$/.test(lead) && !/\|\|$/.test(lead)) return { kind: 'pipeline', from, pipeFrom: lead.length - 1 };
    return { kind: 'none' };
  }
  if (ancestor(node, 'Selector') || ancestor(node, 'Range') || ancestor(node, 'LabelReplaceExpr')) return { kind: 'none' };

  // Right after an aggregation's name or its closing parenthesis: `by`/`without` (and, after the name, `(`).
  const aggregationName = new RegExp(`\\b(${AGGREGATIONS.join('|')})$`).test(lead);
  const afterAggregationCall = lead.endsWith(')') && (ancestor(node, 'VectorAggregationExpr') !== null || endsWithAggregationCall(lead));
  if (aggregationName || afterAggregationCall) return { kind: 'function', from, aggregation: true };

  // Where an expression starts: the beginning, after `(`, `,` or a binary operator.
  if (lead === '' || /[(,+\-*/%^]$/.test(lead) || /(==|!=|>=|<=|>|<)$/.test(lead) || /\b(and|or|unless|bool)$/.test(lead)) {
    return { kind: 'function', from, aggregation: false };
  }
  return { kind: 'none' };
}

/** Whether `lead` ends with `agg(…)`: the parenthesis closed last opened right after an aggregation's name. */
function endsWithAggregationCall(lead: string): boolean {
  let depth = 0;
  for (let i = lead.length - 1; i >= 0; i--) {
    const c = lead[i];
    if (c === ')') depth++;
    else if (c === '(' && --depth === 0) return new RegExp(`\\b(${AGGREGATIONS.join('|')})\\s*$`).test(lead.slice(0, i));
  }
  return false;
}
