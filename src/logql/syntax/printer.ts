/**
 * The LogQL printer: one canonical line per query, close to Loki's format_query
 * (`{app="foo"} |= "bar" | json | level="error"`, `sum by (a) (rate({x="y"}[5m]))`).
 * For every tree the parser produces, parsing the printed text gives the same tree back;
 * trees built by hand get parentheses where precedence needs them.
 */
import type {
  BinaryExpr,
  DropKeepItem,
  Expr,
  Grouping,
  LabelFilterExpr,
  LineFilterValue,
  LogExpr,
  LogRange,
  Matcher,
  MetricExpr,
  ParserParam,
  PipelineStage,
  Unwrap,
} from './ast.js';
import { formatDuration } from './duration.js';
import { BINARY_PREC } from './precedence.js';

/** Prints a query in canonical form. */
export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'log':
      return printLog(e);
    case 'literal':
      return formatNumber(e.value);
    case 'vector':
      return `vector(${formatNumber(e.value)})`;
    case 'paren':
      return `(${printExpr(e.inner)})`;
    case 'label_replace':
      return `label_replace(${printExpr(e.inner)}, ${quote(e.dst)}, ${quote(e.replacement)}, ${quote(e.src)}, ${quote(e.regex)})`;
    case 'range_agg': {
      const param = e.param !== undefined ? `${formatNumber(e.param)}, ` : '';
      const grouping = e.grouping ? ` ${printGrouping(e.grouping)}` : '';
      return `${e.op}(${param}${printLogRange(e.range)})${grouping}`;
    }
    case 'vector_agg': {
      const param = e.param !== undefined ? `${formatNumber(e.param)}, ` : '';
      const body = `(${param}${printExpr(e.inner)})`;
      if (!e.grouping) return e.op + body;
      const g = printGrouping(e.grouping);
      return e.groupingFirst ? `${e.op} ${g} ${body}` : `${e.op}${body} ${g}`;
    }
    case 'binary':
      return printBinary(e);
  }
}


function printBinary(e: BinaryExpr): string {
  const p = BINARY_PREC[e.op]!;
  const side = (child: MetricExpr, right: boolean): string => {
    const s = printExpr(child);
    if (child.kind !== 'binary') return s;
    const cp = BINARY_PREC[child.op]!;
    const rightAssoc = e.op === '^';
    const needs = cp < p || (cp === p && (right ? !rightAssoc : rightAssoc));
    return needs ? `(${s})` : s;
  };
  let op: string = e.op;
  if (e.returnBool) op += ' bool';
  const m = e.matching;
  if (m) {
    op += ` ${m.on ? 'on' : 'ignoring'} (${m.labels.join(', ')})`;
    if (m.group) {
      op += ` group_${m.group.side}`;
      if (m.group.include.length) op += ` (${m.group.include.join(', ')})`;
    }
  }
  return `${side(e.left, false)} ${op} ${side(e.right, true)}`;
}

function printGrouping(g: Grouping): string {
  return `${g.without ? 'without' : 'by'} (${g.labels.join(', ')})`;
}

function printLogRange(r: LogRange): string {
  const sel = printSelector(r.log.matchers);
  const range = `[${formatDuration(r.range)}]` + (r.offset !== 0 ? ` offset ${formatDuration(r.offset)}` : '');
  const rest = r.log.pipeline.map(printStage);
  if (r.unwrap) rest.push(printUnwrap(r.unwrap));
  if (rest.length === 0) return sel + range;
  if (r.rangeAfterSelector) return `${sel}${range} ${rest.join(' ')}`;
  return `${sel} ${rest.join(' ')} ${range}`;
}

function printUnwrap(u: Unwrap): string {
  let s = `| unwrap ${u.conversion ? `${u.conversion}(${u.label})` : u.label}`;
  for (const f of u.postFilters) s += ` | ${printLabelFilter(f)}`;
  return s;
}

function printLog(e: LogExpr): string {
  const sel = printSelector(e.matchers);
  if (e.pipeline.length === 0) return sel;
  return `${sel} ${e.pipeline.map(printStage).join(' ')}`;
}

/** `{a="b", c=~"d"}` */
export function printSelector(matchers: readonly Matcher[]): string {
  return `{${matchers.map(printMatcher).join(', ')}}`;
}

function printMatcher(m: Matcher): string {
  return `${m.name}${m.op}${quote(m.value)}`;
}

function printStage(s: PipelineStage): string {
  switch (s.kind) {
    case 'line_filter':
      return `${s.op} ${s.values.map(printLineFilterValue).join(' or ')}`;
    case 'json':
      return s.params.length ? `| json ${printParams(s.params)}` : '| json';
    case 'logfmt': {
      let out = '| logfmt';
      if (s.strict) out += ' --strict';
      if (s.keepEmpty) out += ' --keep-empty';
      if (s.params.length) out += ` ${printParams(s.params)}`;
      return out;
    }
    case 'regexp':
    case 'pattern':
      return `| ${s.kind} ${quote(s.pattern)}`;
    case 'unpack':
    case 'decolorize':
      return `| ${s.kind}`;
    case 'line_format':
      return `| line_format ${quote(s.template)}`;
    case 'label_format':
      return `| label_format ${s.items.map((i) => `${i.dst}=${i.template !== undefined ? quote(i.template) : i.rename}`).join(', ')}`;
    case 'drop':
    case 'keep':
      return `| ${s.kind} ${s.items.map(printDropKeepItem).join(', ')}`;
    case 'label_filter':
      return `| ${printLabelFilter(s.expr)}`;
  }
}

function printLineFilterValue(v: LineFilterValue): string {
  return v.kind === 'ip' ? `ip(${quote(v.value)})` : quote(v.value);
}

function printParams(params: readonly ParserParam[]): string {
  return params.map((p) => (p.expr !== undefined ? `${p.label}=${quote(p.expr)}` : p.label)).join(', ');
}

function printDropKeepItem(i: DropKeepItem): string {
  return i.matcher ? printMatcher(i.matcher) : i.name;
}

/**
 * Label filters. Loki's comma (and juxtaposition) groups to the right of everything, so an `and`
 * whose right side is itself an and/or is printed with a comma; that reads back as the same tree.
 */
export function printLabelFilter(e: LabelFilterExpr): string {
  switch (e.type) {
    case 'paren':
      return `(${printLabelFilter(e.expr)})`;
    case 'string':
      return printMatcher(e.matcher);
    case 'ip':
      return `${e.name}${e.op}ip(${quote(e.value)})`;
    case 'number':
    case 'duration':
    case 'bytes':
      return `${e.name}${e.op}${e.text}`;
    case 'and': {
      const left = openEnded(e.left) || e.left.type === 'or' ? `(${printLabelFilter(e.left)})` : printLabelFilter(e.left);
      const grouped = e.right.type === 'and' || e.right.type === 'or';
      return `${left}${grouped ? ', ' : ' and '}${printLabelFilter(e.right)}`;
    }
    case 'or': {
      const left = openEnded(e.left) ? `(${printLabelFilter(e.left)})` : printLabelFilter(e.left);
      const right = e.right.type === 'or' ? `(${printLabelFilter(e.right)})` : printLabelFilter(e.right);
      return `${left} or ${right}`;
    }
  }
}

/** Whether the printed filter ends in a comma group, which would swallow whatever follows. */
function openEnded(e: LabelFilterExpr): boolean {
  if (e.type === 'and') return e.right.type === 'and' || e.right.type === 'or' || openEnded(e.right);
  if (e.type === 'or') return openEnded(e.right);
  return false;
}

/** A number as a NUMBER token the scanner reads back exactly (`-0` would scan as a duration). */
export function formatNumber(v: number): string {
  if (Object.is(v, -0)) return '-0.0';
  if (Number.isNaN(v)) return 'NaN';
  return String(v);
}

/** A double-quoted LogQL string that scans back to `s`. */
export function quote(s: string): string {
  let out = '"';
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string | undefined;
    if (c === 34) esc = '\\"';
    else if (c === 92) esc = '\\\\';
    else if (c === 10) esc = '\\n';
    else if (c === 13) esc = '\\r';
    else if (c === 9) esc = '\\t';
    else if (c < 32 || c === 127) esc = `\\x${c.toString(16).padStart(2, '0')}`;
    if (esc !== undefined) {
      out += s.slice(run, i) + esc;
      run = i + 1;
    }
  }
  return out + s.slice(run) + '"';
}
