/**
 * The LogQL abstract syntax tree. The parser (parser.ts) produces it, the printer (printer.ts)
 * turns it back into canonical text, the pipeline compiler (../pipeline) and the evaluators
 * (../eval) consume it. Grammar reference: https://grafana.com/docs/loki/latest/query/
 *
 * Durations are nanoseconds as `number` (exact up to ~104 days; LogQL ranges are far shorter, and
 * longer ones lose only sub-microsecond precision).
 */

/** Source position of a node: 1-based line and column, 0-based offset. */
export interface Pos {
  offset: number;
  line: number;
  col: number;
}

// ---------------------------------------------------------------------------------------------
// Stream selector

export type MatchOp = '=' | '!=' | '=~' | '!~';

export interface Matcher {
  name: string;
  op: MatchOp;
  value: string;
}

// ---------------------------------------------------------------------------------------------
// Log pipeline stages

/** `|=` contains, `!=` not contains, `|~` regex, `!~` not regex, `|>` pattern, `!>` not pattern. */
export type LineFilterOp = '|=' | '!=' | '|~' | '!~' | '|>' | '!>';

/** One operand of a line filter: a literal string or an `ip("cidr")` call. */
export type LineFilterValue = { kind: 'string'; value: string } | { kind: 'ip'; value: string };

/**
 * A line filter with its `or` alternatives: `|= "a" or "b"` has op `|=` and two values.
 * A positive filter matches when any alternative matches; a negative one when none does.
 */
export interface LineFilterStage {
  kind: 'line_filter';
  op: LineFilterOp;
  values: LineFilterValue[];
}

/** `| json`, `| json a="x.y", b` (params: label name and optional JSON path expression). */
export interface JsonParserStage {
  kind: 'json';
  params: ParserParam[];
}

/** `| logfmt [--strict] [--keep-empty] [a="x", b]` */
export interface LogfmtParserStage {
  kind: 'logfmt';
  strict: boolean;
  keepEmpty: boolean;
  params: ParserParam[];
}

/** A `json`/`logfmt` extraction parameter: `label` or `label="expression"`. */
export interface ParserParam {
  label: string;
  /** The expression (JSON path or logfmt key); absent means "same as label". */
  expr?: string;
}

export interface RegexpParserStage {
  kind: 'regexp';
  pattern: string;
}

export interface PatternParserStage {
  kind: 'pattern';
  pattern: string;
}

export interface UnpackParserStage {
  kind: 'unpack';
}

export interface DecolorizeStage {
  kind: 'decolorize';
}

export interface LineFormatStage {
  kind: 'line_format';
  template: string;
}

/** `label_format dst=src` (rename) or `dst="{{template}}"`. */
export interface LabelFormatItem {
  dst: string;
  /** Rename source label name, when this is a rename. */
  rename?: string;
  /** Template text, when this is a template. */
  template?: string;
}

export interface LabelFormatStage {
  kind: 'label_format';
  items: LabelFormatItem[];
}

/** `drop a, b="x", c=~"y"` / `keep a, b="x"`: a bare name, or a name with a matcher. */
export interface DropKeepItem {
  name: string;
  matcher?: Matcher;
}

export interface DropStage {
  kind: 'drop';
  items: DropKeepItem[];
}

export interface KeepStage {
  kind: 'keep';
  items: DropKeepItem[];
}

export type CompareOp = '==' | '!=' | '>' | '>=' | '<' | '<=';

/** A label filter expression: `| level="error" and duration > 1s or status >= 400`. */
export type LabelFilterExpr =
  | { type: 'and' | 'or'; left: LabelFilterExpr; right: LabelFilterExpr }
  | { type: 'paren'; expr: LabelFilterExpr }
  /** String matcher: `name op "value"` with op `=`, `!=`, `=~`, `!~`. */
  | { type: 'string'; matcher: Matcher }
  /** Number comparison; `=` in the source is stored as `==`. */
  | { type: 'number'; name: string; op: CompareOp; value: number; text: string }
  /** Duration comparison, value in nanoseconds. */
  | { type: 'duration'; name: string; op: CompareOp; value: number; text: string }
  /** Bytes comparison, value in bytes. */
  | { type: 'bytes'; name: string; op: CompareOp; value: number; text: string }
  /** `name = ip("cidr")` / `name != ip("...")`. */
  | { type: 'ip'; name: string; op: '=' | '!='; value: string };

export interface LabelFilterStage {
  kind: 'label_filter';
  expr: LabelFilterExpr;
}

export type PipelineStage =
  | LineFilterStage
  | JsonParserStage
  | LogfmtParserStage
  | RegexpParserStage
  | PatternParserStage
  | UnpackParserStage
  | DecolorizeStage
  | LabelFilterStage
  | LineFormatStage
  | LabelFormatStage
  | DropStage
  | KeepStage;

// ---------------------------------------------------------------------------------------------
// Expressions

/** A log query: `{selector} | stage | stage ...`. */
export interface LogExpr {
  kind: 'log';
  matchers: Matcher[];
  pipeline: PipelineStage[];
  pos?: Pos;
}

export type UnwrapConversion = 'bytes' | 'duration' | 'duration_seconds';

export interface Unwrap {
  label: string;
  conversion?: UnwrapConversion;
  /** Label filters after unwrap (`| unwrap x | __error__=""`). */
  postFilters: LabelFilterExpr[];
}

/** A log range: `{sel} | pipeline [| unwrap x] [5m] [offset 1h]`. */
export interface LogRange {
  log: LogExpr;
  unwrap?: Unwrap;
  /** Range in nanoseconds. */
  range: number;
  /** Offset in nanoseconds (0 when absent). */
  offset: number;
  /** Whether the range was written after the whole pipeline, or right after the selector (`{a="b"}[5m] | json`). */
  rangeAfterSelector?: boolean;
}

export type RangeOp =
  | 'count_over_time'
  | 'rate'
  | 'rate_counter'
  | 'bytes_over_time'
  | 'bytes_rate'
  | 'absent_over_time'
  | 'sum_over_time'
  | 'avg_over_time'
  | 'min_over_time'
  | 'max_over_time'
  | 'stdvar_over_time'
  | 'stddev_over_time'
  | 'quantile_over_time'
  | 'first_over_time'
  | 'last_over_time';

export interface Grouping {
  without: boolean;
  labels: string[];
}

export interface RangeAggregationExpr {
  kind: 'range_agg';
  op: RangeOp;
  range: LogRange;
  /** quantile_over_time's φ. */
  param?: number;
  grouping?: Grouping;
  pos?: Pos;
}

export type VectorOp =
  | 'sum'
  | 'avg'
  | 'min'
  | 'max'
  | 'count'
  | 'stddev'
  | 'stdvar'
  | 'topk'
  | 'bottomk'
  | 'sort'
  | 'sort_desc';

export interface VectorAggregationExpr {
  kind: 'vector_agg';
  op: VectorOp;
  inner: MetricExpr;
  /** topk/bottomk's k. */
  param?: number;
  grouping?: Grouping;
  /** Whether the grouping was written before the parameters (`sum by (a) (x)`) or after. */
  groupingFirst?: boolean;
  pos?: Pos;
}

export type BinaryOp =
  | 'or'
  | 'and'
  | 'unless'
  | '+'
  | '-'
  | '*'
  | '/'
  | '%'
  | '^'
  | '=='
  | '!='
  | '>'
  | '>='
  | '<'
  | '<=';

export interface VectorMatching {
  on: boolean;
  labels: string[];
  /** group_left / group_right, with the extra labels to copy. */
  group?: { side: 'left' | 'right'; include: string[] };
}

export interface BinaryExpr {
  kind: 'binary';
  op: BinaryOp;
  left: MetricExpr;
  right: MetricExpr;
  /** Comparison with `bool`. */
  returnBool: boolean;
  matching?: VectorMatching;
  pos?: Pos;
}

export interface LiteralExpr {
  kind: 'literal';
  value: number;
  pos?: Pos;
}

/** `vector(1)` */
export interface VectorExpr {
  kind: 'vector';
  value: number;
  pos?: Pos;
}

/** `label_replace(expr, "dst", "replacement", "src", "regex")` */
export interface LabelReplaceExpr {
  kind: 'label_replace';
  inner: MetricExpr;
  dst: string;
  replacement: string;
  src: string;
  regex: string;
  pos?: Pos;
}

/** Explicit parentheses around a metric expression (kept so the printer can round-trip). */
export interface ParenExpr {
  kind: 'paren';
  inner: MetricExpr;
  pos?: Pos;
}

export type MetricExpr =
  | RangeAggregationExpr
  | VectorAggregationExpr
  | BinaryExpr
  | LiteralExpr
  | VectorExpr
  | LabelReplaceExpr
  | ParenExpr;

/** Any LogQL query. */
export type Expr = LogExpr | MetricExpr;

export function isLogExpr(e: Expr): e is LogExpr {
  return e.kind === 'log';
}
