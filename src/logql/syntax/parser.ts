/**
 * The LogQL parser: recursive descent, one parseX() per grammar rule, precedence climbing for
 * binary operators. It accepts what Loki's grammar (pkg/logql/syntax/syntax.y) accepts and reports
 * errors in Loki's words ("parse error at line 1, col 17: syntax error: unexpected IDENTIFIER,
 * expecting STRING"). Checks Loki makes after parsing (a selector needs a non-empty-compatible
 * matcher, unwrap rules per range operation, parameters, grouping) run in validate(), in the order
 * Loki runs them, so the first error reported is the one Loki reports.
 */
import { LogwharfError } from '../../api/errors.js';
import { compileRe2 } from '../regex.js';
import type {
  BinaryExpr,
  BinaryOp,
  CompareOp,
  DropKeepItem,
  Expr,
  Grouping,
  LabelFilterExpr,
  LabelFormatItem,
  LineFilterOp,
  LineFilterStage,
  LineFilterValue,
  LogExpr,
  LogRange,
  MatchOp,
  Matcher,
  MetricExpr,
  ParserParam,
  PipelineStage,
  Pos,
  RangeAggregationExpr,
  RangeOp,
  Unwrap,
  UnwrapConversion,
  VectorAggregationExpr,
  VectorMatching,
  VectorOp,
} from './ast.js';
import { literalValue, rangeAggregationError, validateSelector } from './checks.js';
import { goFloat, parseNumber } from './number.js';
import { parseError } from './parse-error.js';
import { Scanner, describeKind, type Token, type TokenKind } from './scanner.js';
import { BINARY_PREC } from './precedence.js';


/** Loki refuses queries this long before parsing. */
const MAX_INPUT_SIZE = 131072;
/** Deepest metric expression tree we accept (Loki has no such limit; no real query comes near it). */
const MAX_DEPTH = 1000;

// Words Loki's lexer always turns into keywords, whatever follows them.
const RESERVED = new Set([
  'by',
  'without',
  'bool',
  'offset',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'or',
  'and',
  'unless',
  'json',
  'regexp',
  'logfmt',
  'unpack',
  'pattern',
  'label_format',
  'line_format',
  'decolorize',
  'drop',
  'keep',
  'unwrap',
]);

const RANGE_OPS = new Set<string>([
  'count_over_time',
  'rate',
  'rate_counter',
  'bytes_over_time',
  'bytes_rate',
  'absent_over_time',
  'sum_over_time',
  'avg_over_time',
  'min_over_time',
  'max_over_time',
  'stdvar_over_time',
  'stddev_over_time',
  'quantile_over_time',
  'first_over_time',
  'last_over_time',
]);
const VECTOR_OPS = new Set<string>(['sum', 'avg', 'min', 'max', 'count', 'stddev', 'stdvar', 'topk', 'bottomk', 'sort', 'sort_desc']);
const CONVERSIONS = new Set<string>(['bytes', 'duration', 'duration_seconds']);
// Words that are function tokens only when a '(' (or `by (`/`without (`) follows, as in Loki's lexer.
const FUNCTIONS = new Set<string>([...RANGE_OPS, ...VECTOR_OPS, ...CONVERSIONS, 'vector', 'label_replace', 'ip', 'approx_topk']);

const LINE_FILTER_OPS = new Set<TokenKind>(['|=', '!=', '|~', '!~', '|>', '!>']);
const COMPARE_OPS = new Set<TokenKind>(['==', '>', '>=', '<', '<=']);

type AnyExpr = Expr;

class Parser {
  private readonly sc: Scanner;
  private readonly buf: Token[] = [];
  private tok: Token;
  /** Errors Loki records on a node while parsing and reports when validating. */
  private readonly deferred = new Map<object, { msg: string; at: Token }>();
  /** The range aggregation being parsed (`rate`, …), to name it when its range is missing. */
  private rangeOp: string | undefined;

  constructor(src: string) {
    this.sc = new Scanner(src);
    this.tok = this.sc.next();
    if (this.tok.kind === 'ERROR') throw parseError(this.tok.str!, this.tok);
  }

  // -------------------------------------------------------------------------------------------
  // Token plumbing

  private peek(k: number): Token {
    while (this.buf.length < k) {
      const last = this.buf.length ? this.buf[this.buf.length - 1]! : this.tok;
      this.buf.push(last.kind === 'EOF' || last.kind === 'ERROR' ? last : this.sc.next());
    }
    return this.buf[k - 1]!;
  }

  private advance(): Token {
    const t = this.tok;
    this.tok = this.buf.length ? this.buf.shift()! : t.kind === 'EOF' ? t : this.sc.next();
    if (this.tok.kind === 'ERROR') throw parseError(this.tok.str!, this.tok);
    return t;
  }

  private word(t: Token = this.tok): string {
    return t.kind === 'IDENT' ? t.text.toLowerCase() : '';
  }

  /** Whether the IDENT at lookahead k (0 = current) is a function token: a name followed by '(' or `by (`. */
  private isFuncAt(k: number): boolean {
    const t = k === 0 ? this.tok : this.peek(k);
    if (t.kind !== 'IDENT' || !FUNCTIONS.has(t.text.toLowerCase())) return false;
    const n = this.peek(k + 1);
    if (n.kind === '(') return true;
    const w = this.word(n);
    return (w === 'by' || w === 'without') && this.peek(k + 2).kind === '(';
  }

  /** A plain identifier (label name), not a keyword or function token. */
  private isName(k = 0): boolean {
    const t = k === 0 ? this.tok : this.peek(k);
    return t.kind === 'IDENT' && !RESERVED.has(t.text.toLowerCase()) && !this.isFuncAt(k);
  }

  private isKeyword(w: string): boolean {
    return this.tok.kind === 'IDENT' && this.tok.text.toLowerCase() === w;
  }

  private describe(t: Token = this.tok, k = 0): string {
    if (t.kind === 'IDENT') {
      const w = t.text.toLowerCase();
      if (RESERVED.has(w)) return w;
      if (this.isFuncAt(k)) return w === 'label_replace' || w === 'ip' ? w : w.toUpperCase();
    }
    return describeKind(t.kind);
  }

  private unexpected(expected?: readonly string[]): never {
    let msg = `syntax error: unexpected ${this.describe()}`;
    if (expected && expected.length) msg += `, expecting ${expected.join(' or ')}`;
    throw parseError(msg, this.tok);
  }

  private expect(kind: TokenKind, expected: readonly string[] = [describeKind(kind)]): Token {
    if (this.tok.kind !== kind) this.unexpected(expected);
    return this.advance();
  }

  private name(expected: readonly string[] = ['IDENTIFIER']): string {
    if (!this.isName()) this.unexpected(expected);
    return this.advance().text;
  }

  private pos(t: Token): Pos {
    return { offset: t.offset, line: t.line, col: t.col };
  }

  private defer(node: object, msg: string, at: Token): void {
    this.deferred.set(node, { msg, at });
  }

  // -------------------------------------------------------------------------------------------
  // Entry points

  parseQuery(): Expr {
    const e = this.parseBinary(1);
    if (this.tok.kind !== 'EOF') this.unexpected();
    this.validate(e);
    return e;
  }

  // -------------------------------------------------------------------------------------------
  // Metric expressions

  private binaryOp(): BinaryOp | undefined {
    const t = this.tok;
    if (t.kind === 'IDENT') {
      const w = t.text.toLowerCase();
      return w === 'or' || w === 'and' || w === 'unless' ? w : undefined;
    }
    return t.kind in BINARY_PREC ? (t.kind as BinaryOp) : undefined;
  }

  private parseBinary(minPrec: number): AnyExpr {
    let left = this.parseUnary();
    for (;;) {
      const op = this.binaryOp();
      if (!op) return left;
      const prec = BINARY_PREC[op]!;
      if (prec < minPrec) return left;
      const opTok = this.advance();
      let returnBool = false;
      if (this.isKeyword('bool')) {
        this.advance();
        returnBool = true;
      }
      let matching: VectorMatching | undefined;
      if (this.isKeyword('on') || this.isKeyword('ignoring')) {
        const on = this.word(this.advance()) === 'on';
        matching = { on, labels: this.parseLabelList() };
        if (this.isKeyword('group_left') || this.isKeyword('group_right')) {
          const side = this.word(this.advance()) === 'group_left' ? 'left' : 'right';
          const include = this.tok.kind === '(' ? this.parseLabelList() : [];
          matching.group = { side, include };
        }
      }
      // '^' is right-associative; the others are left-associative.
      const right = this.parseBinary(op === '^' ? prec : prec + 1);
      const node: BinaryExpr = {
        kind: 'binary',
        op,
        left: left as MetricExpr,
        right: right as MetricExpr,
        returnBool,
        ...(matching ? { matching } : {}),
        pos: this.pos(opTok),
      };
      this.checkBinary(node, left, right, opTok);
      left = node;
    }
  }

  /** Loki's mustNewBinOpExpr checks: both legs are samples; set operators take no literal. */
  private checkBinary(node: BinaryExpr, left: AnyExpr, right: AnyExpr, at: Token): void {
    const goType = (e: LogExpr): string => (e.pipeline.length ? '*syntax.PipelineExpr' : '*syntax.MatchersExpr');
    if (left.kind === 'log') return this.defer(node, `unexpected type for left leg of binary operation (${node.op}): ${goType(left)}`, at);
    if (right.kind === 'log') return this.defer(node, `unexpected type for right leg of binary operation (${node.op}): ${goType(right)}`, at);
    if (node.op === 'and' || node.op === 'or' || node.op === 'unless') {
      const l = literalValue(left);
      if (l !== undefined) return this.defer(node, `unexpected literal for left leg of logical/set binary operation (${node.op}): ${goFloat(l)}`, at);
      const r = literalValue(right);
      if (r !== undefined) return this.defer(node, `unexpected literal for right leg of logical/set binary operation (${node.op}): ${goFloat(r)}`, at);
    }
  }

  private parseUnary(): AnyExpr {
    const t = this.tok;
    switch (t.kind) {
      case '{':
        return this.parseLogExpr();
      case '(': {
        this.advance();
        const inner = this.parseBinary(1);
        this.expect(')');
        if (inner.kind === 'log') return inner;
        return { kind: 'paren', inner, pos: this.pos(t) };
      }
      case 'NUMBER':
        return this.parseLiteral(false);
      case '+':
      case '-':
        if (this.peek(1).kind !== 'NUMBER') {
          this.advance();
          this.unexpected(['NUMBER']);
        }
        return this.parseLiteral(true);
      case 'IDENT': {
        if (!this.isFuncAt(0)) break;
        const w = t.text.toLowerCase();
        if (RANGE_OPS.has(w)) return this.parseRangeAggregation();
        if (VECTOR_OPS.has(w)) return this.parseVectorAggregation();
        if (w === 'vector') return this.parseVector();
        if (w === 'label_replace') return this.parseLabelReplace();
        break;
      }
    }
    return this.unexpected();
  }

  private parseLiteral(signed: boolean): MetricExpr {
    const start = this.tok;
    let neg = false;
    if (signed) neg = this.advance().kind === '-';
    const num = this.advance();
    const v = parseNumber(num.text);
    const node: MetricExpr = { kind: 'literal', value: typeof v === 'number' ? (neg ? -v : v) : NaN, pos: this.pos(start) };
    if (typeof v === 'string') this.defer(node, `unable to parse literal as a float: ${v}`, num);
    return node;
  }

  private parseVector(): MetricExpr {
    const start = this.advance();
    this.expect('(');
    const num = this.expect('NUMBER');
    this.expect(')');
    const v = parseNumber(num.text);
    const node: MetricExpr = { kind: 'vector', value: typeof v === 'number' ? v : NaN, pos: this.pos(start) };
    if (typeof v === 'string') this.defer(node, `unable to parse vectorExpr as a float: ${v}`, num);
    return node;
  }

  private parseLabelReplace(): MetricExpr {
    const start = this.advance();
    this.expect('(');
    const inner = this.parseBinary(1);
    if (inner.kind === 'log') this.unexpected();
    const args: string[] = [];
    for (let i = 0; i < 4; i++) {
      this.expect(',');
      args.push(this.expect('STRING').str!);
    }
    this.expect(')');
    const [dst, replacement, src, regex] = args as [string, string, string, string];
    const node: MetricExpr = { kind: 'label_replace', inner, dst, replacement, src, regex, pos: this.pos(start) };
    try {
      compileRe2(regex, { anchored: true });
    } catch (e) {
      this.defer(node, `invalid regex in label_replace: ${(e as Error).message}`, start);
    }
    return node;
  }

  /** `by (a, b)` / `without ()`. */
  private parseGrouping(): Grouping {
    const without = this.word(this.advance()) === 'without';
    return { without, labels: this.parseLabelList() };
  }

  /** `(a, b)` or `()`. */
  private parseLabelList(): string[] {
    this.expect('(');
    const labels: string[] = [];
    if (this.tok.kind === ')') {
      this.advance();
      return labels;
    }
    labels.push(this.name(['IDENTIFIER', ')']));
    while (this.tok.kind === ',') {
      this.advance();
      labels.push(this.name());
    }
    this.expect(')', [',', ')']);
    return labels;
  }

  private isGroupingStart(): boolean {
    return this.isKeyword('by') || this.isKeyword('without');
  }

  private parseVectorAggregation(): VectorAggregationExpr {
    const opTok = this.advance();
    const op = opTok.text.toLowerCase() as VectorOp;
    let grouping: Grouping | undefined;
    let groupingFirst = false;
    if (this.isGroupingStart()) {
      grouping = this.parseGrouping();
      groupingFirst = true;
    }
    this.expect('(');
    let paramTok: Token | undefined;
    if (this.tok.kind === 'NUMBER' && this.peek(1).kind === ',') {
      paramTok = this.advance();
      this.advance();
    }
    const inner = this.parseBinary(1);
    if (inner.kind === 'log') this.unexpected();
    this.expect(')');
    if (!grouping && this.isGroupingStart()) grouping = this.parseGrouping();
    const node: VectorAggregationExpr = { kind: 'vector_agg', op, inner, pos: this.pos(opTok) };
    if (paramTok) {
      const v = parseNumber(paramTok.text);
      if (typeof v === 'number') node.param = v;
    }
    if (grouping) {
      node.grouping = grouping;
      node.groupingFirst = groupingFirst;
    }
    const p = paramTok?.text;
    if (op === 'topk' || op === 'bottomk') {
      if (p === undefined) this.defer(node, `parameter required for operation ${op}`, opTok);
      else if (!/^[+-]?\d+$/.test(p)) this.defer(node, `invalid parameter ${op}(${p},`, opTok);
      else if (Number(p) <= 0) this.defer(node, `invalid parameter (must be greater than 0) ${op}(${p}`, opTok);
    } else if (p !== undefined) {
      this.defer(node, `unsupported parameter for operation ${op}(${p},`, opTok);
    }
    return node;
  }

  private parseRangeAggregation(): RangeAggregationExpr {
    const opTok = this.advance();
    const op = opTok.text.toLowerCase() as RangeOp;
    this.expect('(');
    let paramTok: Token | undefined;
    if (this.tok.kind === 'NUMBER') {
      paramTok = this.advance();
      this.expect(',');
    } else if (this.tok.kind !== '{' && this.tok.kind !== '(') {
      this.unexpected(['NUMBER', '{', '(']);
    }
    const outer = this.rangeOp;
    this.rangeOp = op;
    const range = this.parseLogRange();
    this.rangeOp = outer;
    this.expect(')');
    const node: RangeAggregationExpr = { kind: 'range_agg', op, range, pos: this.pos(opTok) };
    let paramErr: string | undefined;
    if (paramTok) {
      const v = parseNumber(paramTok.text);
      if (typeof v === 'number') node.param = v;
      else paramErr = v;
    }
    if (this.isGroupingStart()) node.grouping = this.parseGrouping();
    const msg = rangeAggregationError(node, paramTok?.text, paramErr);
    if (msg) this.defer(node, msg, opTok);
    return node;
  }

  // -------------------------------------------------------------------------------------------
  // Log ranges: the range may follow the selector or the whole pipeline; parentheses may wrap
  // the selector (with its pipeline) or the whole range, as Loki's logRangeExpr allows.

  private parseLogRange(): LogRange {
    if (this.tok.kind === '(') {
      this.advance();
      return this.parseLogRangeInParens();
    }
    const sel = this.parseSelector();
    if (this.tok.kind === 'RANGE') return this.parseRangeFirst(sel);
    const { stages, unwrap } = this.parseStages(true);
    const range = this.expectRange().value!;
    const offset = this.parseOffset();
    return this.logRange(sel, stages, unwrap, range, offset, false);
  }

  /**
   * The range after a selector or pipeline. Leaving it out (`sum(rate({app="x"}))`) is a common
   * first mistake, and Loki's bare "unexpected )" does not say what is missing, so inside a range
   * aggregation the error names the range (issue #8).
   */
  private expectRange(): Token {
    // Only where the aggregation ends: elsewhere the range may be there and something else wrong.
    if (this.rangeOp !== undefined && (this.tok.kind === ')' || this.tok.kind === 'EOF')) {
      throw parseError(`syntax error: unexpected ${this.describe()}, expecting a range such as [1m] after the log selector or pipeline of ${this.rangeOp}`, this.tok);
    }
    return this.expect('RANGE', []);
  }

  /** `{sel}[5m] [offset d] [| stages] [| unwrap x]` */
  private parseRangeFirst(sel: { matchers: Matcher[]; pos: Pos }): LogRange {
    const range = this.advance().value!;
    const offset = this.parseOffset();
    const { stages, unwrap } = this.parseStages(true);
    return this.logRange(sel, stages, unwrap, range, offset, stages.length > 0 || unwrap !== undefined);
  }

  /** After '(': either `( logRange )` or `( {sel} [stages] [unwrap] ) [5m] ...`. */
  private parseLogRangeInParens(): LogRange {
    if (this.tok.kind === '(') {
      const r = this.parseLogRange();
      this.expect(')');
      return r;
    }
    const sel = this.parseSelector();
    if (this.tok.kind === 'RANGE') {
      const r = this.parseRangeFirst(sel);
      this.expect(')');
      return r;
    }
    const { stages, unwrap: innerUnwrap } = this.parseStages(true);
    if ((this.tok as Token).kind === 'RANGE') {
      const range = this.advance().value!;
      const offset = this.parseOffset();
      this.expect(')');
      return this.logRange(sel, stages, innerUnwrap, range, offset, false);
    }
    this.expect(')');
    const range = this.expect('RANGE').value!;
    const offset = this.parseOffset();
    let unwrap = innerUnwrap;
    // Only `( {sel} ) [5m]` may take an unwrap after the range.
    if (!unwrap && stages.length === 0 && this.tok.kind === '|' && this.word(this.peek(1)) === 'unwrap') unwrap = this.parseUnwrap();
    return this.logRange(sel, stages, unwrap, range, offset, false);
  }

  private logRange(
    sel: { matchers: Matcher[]; pos: Pos },
    pipeline: PipelineStage[],
    unwrap: Unwrap | undefined,
    range: number,
    offset: number,
    rangeAfterSelector: boolean,
  ): LogRange {
    const r: LogRange = { log: { kind: 'log', matchers: sel.matchers, pipeline, pos: sel.pos }, range, offset, rangeAfterSelector };
    if (unwrap) r.unwrap = unwrap;
    return r;
  }

  private parseOffset(): number {
    if (!this.isKeyword('offset')) return 0;
    this.advance();
    // `offset -0` scans as a duration of -0; it means no offset.
    return this.expect('DURATION').value! + 0;
  }

  private parseUnwrap(): Unwrap {
    this.advance(); // |
    this.advance(); // unwrap
    let label: string;
    let conversion: UnwrapConversion | undefined;
    if (this.tok.kind === 'IDENT' && CONVERSIONS.has(this.word()) && this.isFuncAt(0) && this.peek(1).kind === '(') {
      conversion = this.word(this.advance()) as UnwrapConversion;
      this.expect('(');
      label = this.name();
      this.expect(')');
    } else {
      label = this.name(['IDENTIFIER', 'BYTES_CONV', 'DURATION_CONV', 'DURATION_SECONDS_CONV']);
    }
    const postFilters: LabelFilterExpr[] = [];
    while (this.tok.kind === '|') {
      this.advance();
      postFilters.push(this.parseLabelFilter());
    }
    return conversion ? { label, conversion, postFilters } : { label, postFilters };
  }

  // -------------------------------------------------------------------------------------------
  // Log expressions

  private parseLogExpr(): LogExpr {
    const sel = this.parseSelector();
    const { stages } = this.parseStages(false);
    return { kind: 'log', matchers: sel.matchers, pipeline: stages, pos: sel.pos };
  }

  parseSelector(): { matchers: Matcher[]; pos: Pos } {
    const open = this.expect('{');
    const matchers: Matcher[] = [];
    if (this.tok.kind === '}') {
      this.advance();
      return { matchers, pos: this.pos(open) };
    }
    if (!this.isName()) this.unexpected(['IDENTIFIER', '}']);
    matchers.push(this.parseMatcher());
    while (this.tok.kind === ',') {
      this.advance();
      matchers.push(this.parseMatcher());
    }
    this.expect('}', ['}', ',']);
    return { matchers, pos: this.pos(open) };
  }

  private parseMatcher(): Matcher {
    const name = this.name();
    const k = this.tok.kind;
    if (k !== '=' && k !== '!=' && k !== '=~' && k !== '!~') this.unexpected(['=', '=~', '!~', '!=']);
    this.advance();
    const valueTok = this.expect('STRING');
    const value = valueTok.str!;
    if (k === '=~' || k === '!~') {
      // Loki builds (and so compiles) every matcher while parsing; a bad regex stops the parse there.
      try {
        compileRe2(value, { anchored: true, dotAll: true });
      } catch (e) {
        throw parseError((e as Error).message, valueTok);
      }
    }
    return { name, op: k as MatchOp, value };
  }

  private parseStages(allowUnwrap: boolean): { stages: PipelineStage[]; unwrap?: Unwrap } {
    const stages: PipelineStage[] = [];
    for (;;) {
      const k = this.tok.kind;
      if (LINE_FILTER_OPS.has(k)) {
        stages.push(this.parseLineFilter());
        continue;
      }
      if (k !== '|') return { stages };
      const w = this.word(this.peek(1));
      if (w === 'unwrap' && allowUnwrap) return { stages, unwrap: this.parseUnwrap() };
      stages.push(this.parseStage());
    }
  }

  private parseStage(): PipelineStage {
    this.advance(); // |
    const t = this.tok;
    const w = this.word();
    if (t.kind === 'IDENT' && RESERVED.has(w)) {
      switch (w) {
        case 'json':
          this.advance();
          return { kind: 'json', params: this.isName() ? this.parseParams() : [] };
        case 'logfmt': {
          this.advance();
          let strict = false;
          let keepEmpty = false;
          while (this.tok.kind === 'FLAG') {
            if (this.advance().text === '--strict') strict = true;
            else keepEmpty = true;
          }
          return { kind: 'logfmt', strict, keepEmpty, params: this.isName() ? this.parseParams() : [] };
        }
        case 'regexp':
        case 'pattern':
          this.advance();
          return { kind: w, pattern: this.expect('STRING').str! };
        case 'unpack':
        case 'decolorize':
          this.advance();
          return { kind: w };
        case 'line_format':
          this.advance();
          return { kind: 'line_format', template: this.expect('STRING').str! };
        case 'label_format':
          this.advance();
          return { kind: 'label_format', items: this.parseLabelFormatItems() };
        case 'drop':
        case 'keep':
          this.advance();
          return { kind: w, items: this.parseDropKeepItems() };
      }
    }
    if (t.kind === '(' || this.isName()) return { kind: 'label_filter', expr: this.parseLabelFilter() };
    return this.unexpected();
  }

  private parseLineFilter(): LineFilterStage {
    const op = this.advance().kind as LineFilterOp;
    const values: LineFilterValue[] = [this.parseLineFilterValue()];
    while (this.isKeyword('or')) {
      this.advance();
      values.push(this.parseLineFilterValue());
    }
    return { kind: 'line_filter', op, values };
  }

  private parseLineFilterValue(): LineFilterValue {
    if (this.tok.kind === 'STRING') return { kind: 'string', value: this.advance().str! };
    if (this.word() === 'ip' && this.peek(1).kind === '(') return { kind: 'ip', value: this.parseIpCall() };
    return this.unexpected(['STRING', 'ip']);
  }

  /** `ip("...")` */
  private parseIpCall(): string {
    this.advance();
    this.expect('(');
    const v = this.expect('STRING').str!;
    this.expect(')');
    return v;
  }

  private parseParams(): ParserParam[] {
    const params: ParserParam[] = [];
    for (;;) {
      const label = this.name();
      if (this.tok.kind === '=') {
        this.advance();
        params.push({ label, expr: this.expect('STRING').str! });
      } else params.push({ label });
      if (this.tok.kind !== ',') return params;
      this.advance();
    }
  }

  private parseLabelFormatItems(): LabelFormatItem[] {
    const items: LabelFormatItem[] = [];
    for (;;) {
      const dst = this.name();
      this.expect('=');
      if (this.tok.kind === 'STRING') items.push({ dst, template: this.advance().str! });
      else items.push({ dst, rename: this.name(['IDENTIFIER', 'STRING']) });
      if (this.tok.kind !== ',') return items;
      this.advance();
    }
  }

  private parseDropKeepItems(): DropKeepItem[] {
    const items: DropKeepItem[] = [];
    for (;;) {
      const k = this.peek(1).kind;
      if (this.isName() && (k === '=' || k === '!=' || k === '=~' || k === '!~')) {
        const matcher = this.parseMatcher();
        items.push({ name: matcher.name, matcher });
      } else items.push({ name: this.name() });
      if (this.tok.kind !== ',') return items;
      this.advance();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Label filters. `and` binds tighter than `or`, both left-associative. A comma (or two filters
  // side by side) is also "and", but Loki's grammar gives it no precedence, so it always shifts:
  // it joins the filter before it with everything that follows (`a, b or c` is `a and (b or c)`).

  private parseLabelFilter(): LabelFilterExpr {
    let left = this.parseLabelFilterAnd();
    while (this.isKeyword('or')) {
      this.advance();
      left = { type: 'or', left, right: this.parseLabelFilterAnd() };
    }
    return left;
  }

  private parseLabelFilterAnd(): LabelFilterExpr {
    let left = this.parseLabelFilterUnit();
    while (this.isKeyword('and')) {
      this.advance();
      left = { type: 'and', left, right: this.parseLabelFilterUnit() };
    }
    return left;
  }

  private parseLabelFilterUnit(): LabelFilterExpr {
    const atom = this.parseLabelFilterAtom();
    if (this.tok.kind === ',') {
      this.advance();
      return { type: 'and', left: atom, right: this.parseLabelFilter() };
    }
    if (this.tok.kind === '(' || this.isName()) return { type: 'and', left: atom, right: this.parseLabelFilter() };
    return atom;
  }

  private parseLabelFilterAtom(): LabelFilterExpr {
    if (this.tok.kind === '(') {
      this.advance();
      const expr = this.parseLabelFilter();
      this.expect(')');
      return { type: 'paren', expr };
    }
    const name = this.name();
    const opTok = this.tok;
    const k = opTok.kind;
    if (k === '=~' || k === '!~') {
      this.advance();
      const valueTok = this.expect('STRING');
      try {
        compileRe2(valueTok.str!, { anchored: true, dotAll: true });
      } catch (e) {
        throw parseError((e as Error).message, valueTok);
      }
      return { type: 'string', matcher: { name, op: k, value: valueTok.str! } };
    }
    if (k === '=' || k === '!=') {
      this.advance();
      if (this.tok.kind === 'STRING') return { type: 'string', matcher: { name, op: k, value: this.advance().str! } };
      if (this.word() === 'ip' && this.peek(1).kind === '(') return { type: 'ip', name, op: k, value: this.parseIpCall() };
      return this.parseUnitFilter(name, k === '=' ? '==' : '!=');
    }
    if (COMPARE_OPS.has(k)) {
      this.advance();
      return this.parseUnitFilter(name, k as CompareOp);
    }
    return this.unexpected();
  }

  private parseUnitFilter(name: string, op: CompareOp): LabelFilterExpr {
    const t = this.tok;
    if (t.kind === 'DURATION') {
      this.advance();
      return { type: 'duration', name, op, value: t.value!, text: t.text };
    }
    if (t.kind === 'BYTES') {
      this.advance();
      return { type: 'bytes', name, op, value: t.value!, text: t.text };
    }
    let sign = '';
    if (t.kind === '+' || t.kind === '-') {
      sign = this.advance().kind === '-' ? '-' : '';
      if (this.tok.kind !== 'NUMBER') this.unexpected(['NUMBER']);
    }
    if (this.tok.kind !== 'NUMBER') this.unexpected();
    const num = this.advance();
    const v = parseNumber(num.text);
    // Loki fails right away here (mustNewNumericLabelFilter panics), before any later syntax error.
    if (typeof v === 'string') throw parseError(`unable to parse literal as a float: ${v}`, num);
    return { type: 'number', name, op, value: sign ? -v : v, text: sign + num.text };
  }

  // -------------------------------------------------------------------------------------------
  // Validation after a successful parse (Loki's validateExpr).

  private validate(e: AnyExpr, depth = 0): void {
    // Bounded so that every tree we hand out can be printed and evaluated recursively.
    if (depth > MAX_DEPTH) throw new LogwharfError('parse_error', 'parse error : expression nested too deeply', { line: 0, col: 0 });
    const own = this.deferred.get(e);
    switch (e.kind) {
      case 'log':
        return validateSelector(e);
      case 'binary':
        if (own) throw parseError(own.msg, own.at);
        this.validate(e.left, depth + 1);
        return this.validate(e.right, depth + 1);
      case 'literal':
      case 'vector':
        if (own) throw parseError(own.msg, own.at);
        return;
      case 'vector_agg':
        if (own) throw parseError(own.msg, own.at);
        if ((e.op === 'sort' || e.op === 'sort_desc') && e.grouping && e.grouping.labels.length > 0) {
          throw parseError('sort and sort_desc doesn\'t allow grouping by ', e.pos ?? { line: 1, col: 1 });
        }
        return this.validate(e.inner, depth + 1);
      case 'label_replace':
        if (own) throw parseError(own.msg, own.at);
        return this.validate(e.inner, depth + 1);
      case 'paren':
        return this.validate(e.inner, depth + 1);
      case 'range_agg':
        if (own) throw parseError(own.msg, own.at);
        return validateSelector(e.range.log);
    }
  }
}

function checkSize(text: string): void {
  if (text.length >= MAX_INPUT_SIZE) {
    throw new LogwharfError('parse_error', `parse error : input size too long (${text.length} > ${MAX_INPUT_SIZE})`, { line: 0, col: 0 });
  }
}

/** Parses and validates a LogQL query. */
export function parse(text: string): Expr {
  checkSize(text);
  try {
    return new Parser(text).parseQuery();
  } catch (e) {
    // Thousands of nested parentheses or comma-joined filters exhaust the stack; that is the
    // query's fault, not the server's (Loki's yacc parser has its own stack and a size limit).
    if (e instanceof RangeError) throw new LogwharfError('parse_error', 'parse error : expression nested too deeply', { line: 0, col: 0 });
    throw e;
  }
}
