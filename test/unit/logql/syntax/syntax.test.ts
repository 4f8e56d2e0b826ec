import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LogwharfError, isLogwharfError } from '../../../../src/api/errors.js';
import {
  formatDuration,
  parseBytes,
  parseDuration,
  parseExpr,
  parseLogExpr,
  parseMatchers,
  printExpr,
  type Expr,
  type LabelFilterExpr,
  type MetricExpr,
} from '../../../../src/logql/syntax/index.js';
import { stripPos } from './strip-pos.js';

function parseErr(q: string): LogwharfError {
  try {
    parseExpr(q);
  } catch (e) {
    assert.ok(isLogwharfError(e), `not a LogwharfError: ${String(e)}`);
    assert.equal(e.code, 'parse_error');
    assert.equal(e.status, 400);
    return e;
  }
  assert.fail(`expected ${q} to be rejected`);
}

test('a log query becomes a LogExpr with matchers and stages in order', () => {
  const e = parseLogExpr('{app="foo", env=~"prod|dev"} |= "err" | json a="x.y", b | level="error"');
  assert.deepEqual(e.matchers, [
    { name: 'app', op: '=', value: 'foo' },
    { name: 'env', op: '=~', value: 'prod|dev' },
  ]);
  assert.deepEqual(
    e.pipeline.map((s) => s.kind),
    ['line_filter', 'json', 'label_filter'],
  );
  assert.deepEqual(e.pipeline[1], { kind: 'json', params: [{ label: 'a', expr: 'x.y' }, { label: 'b' }] });
  assert.deepEqual(e.pos, { offset: 0, line: 1, col: 1 });
});

test('parseLogExpr refuses metric queries; parseMatchers refuses pipelines', () => {
  assert.throws(() => parseLogExpr('rate({a="b"}[1m])'), (e: unknown) => isLogwharfError(e) && e.code === 'parse_error');
  assert.deepEqual(parseMatchers('{a="b", c!="d"}'), [
    { name: 'a', op: '=', value: 'b' },
    { name: 'c', op: '!=', value: 'd' },
  ]);
  assert.throws(() => parseMatchers('{a="b"} |= "x"'), /only label matchers are supported/);
  assert.throws(() => parseMatchers('{a=""}'), /at least one regexp or equality matcher/);
  assert.throws(() => parseMatchers('{a=~"("}'), (e: unknown) => isLogwharfError(e) && e.code === 'parse_error');
});

test('errors carry line and column, also on later lines', () => {
  const e = parseErr('sum by (level) (\n  count_over_time({app="foo"} |= [5m])\n)');
  assert.deepEqual(e.details, { line: 2, col: 34 });
  assert.equal(e.message, 'parse error at line 2, col 34: syntax error: unexpected RANGE, expecting STRING or ip');
  const s = parseErr('{app="foo"}\n| json\n| x ==');
  assert.deepEqual(s.details, { line: 3, col: 7 });
});

test('metric expressions have the expected tree', () => {
  const e = parseExpr('sum by (a) (rate({x="y"} | json | unwrap bytes(b) | __error__="" [5m] offset 1h)) > bool on (a) group_left (c) 2 ^ 3 ^ 2');
  assert.equal(e.kind, 'binary');
  if (e.kind !== 'binary') return;
  assert.equal(e.op, '>');
  assert.equal(e.returnBool, true);
  assert.deepEqual(e.matching, { on: true, labels: ['a'], group: { side: 'left', include: ['c'] } });
  const agg = e.left;
  assert.equal(agg.kind, 'vector_agg');
  if (agg.kind !== 'vector_agg') return;
  assert.deepEqual(agg.grouping, { without: false, labels: ['a'] });
  assert.equal(agg.groupingFirst, true);
  const r = agg.inner;
  assert.equal(r.kind, 'range_agg');
  if (r.kind !== 'range_agg') return;
  assert.equal(r.range.range, 5 * 60e9);
  assert.equal(r.range.offset, 3600e9);
  assert.deepEqual(stripPos(r.range.unwrap), {
    label: 'b',
    conversion: 'bytes',
    postFilters: [{ type: 'string', matcher: { name: '__error__', op: '=', value: '' } }],
  });
  // 2 ^ (3 ^ 2): power is right-associative.
  const pow = e.right as MetricExpr;
  assert.equal(pow.kind === 'binary' && pow.right.kind, 'binary');
});

test('label filter precedence follows Loki: and over or, comma groups to the right', () => {
  const lf = (q: string): LabelFilterExpr => {
    const e = parseLogExpr(`{a="b"} | ${q}`);
    const s = e.pipeline[0]!;
    assert.equal(s.kind, 'label_filter');
    return (s as { expr: LabelFilterExpr }).expr;
  };
  const shape = (x: LabelFilterExpr): string => {
    switch (x.type) {
      case 'and':
      case 'or':
        return `${x.type}(${shape(x.left)},${shape(x.right)})`;
      case 'paren':
        return `(${shape(x.expr)})`;
      case 'string':
        return x.matcher.name;
      default:
        return x.name;
    }
  };
  assert.equal(shape(lf('a="1" or b="2" and c="3"')), 'or(a,and(b,c))');
  assert.equal(shape(lf('a="1" and b="2" or c="3"')), 'or(and(a,b),c)');
  assert.equal(shape(lf('a="1", b="2" or c="3"')), 'and(a,or(b,c))');
  assert.equal(shape(lf('a="1" and b="2", c="3"')), 'and(a,and(b,c))');
  assert.equal(shape(lf('a="1" b>2')), 'and(a,b)');
  const n = lf('x = 5');
  assert.deepEqual(n, { type: 'number', name: 'x', op: '==', value: 5, text: '5' });
  assert.deepEqual(lf('d > -1.5s'), { type: 'duration', name: 'd', op: '>', value: -1.5e9, text: '-1.5s' });
  assert.deepEqual(lf('s <= 2KiB'), { type: 'bytes', name: 's', op: '<=', value: 2048, text: '2KiB' });
});

test('the range may follow the selector or the pipeline, and prints back the same way', () => {
  for (const q of ['rate({a="b"}[5m] | json)', 'rate({a="b"} | json [5m])', 'rate({a="b"}[5m])']) {
    assert.equal(printExpr(parseExpr(q)), q);
  }
});

test('durations: Prometheus form first, then Go form; formatDuration reads back', () => {
  assert.equal(parseDuration('1h30m'), 5400e9);
  assert.equal(parseDuration('1d'), 86400e9);
  assert.equal(parseDuration('2w'), 14 * 86400e9);
  assert.equal(parseDuration('1y'), 365 * 86400e9);
  assert.equal(parseDuration('1.5h'), 5400e9);
  assert.equal(parseDuration('500ms'), 500e6);
  assert.equal(parseDuration('-5m'), -300e9);
  assert.equal(parseDuration('10us'), 10e3);
  assert.equal(parseDuration('0'), 0);
  for (const bad of ['', '5', 'abc', '1.5d', '5x', '1h30']) assert.throws(() => parseDuration(bad), /invalid|unknown|missing/, bad);
  for (const ns of [1, 999, 1e6, 90e9, 5400e9, 86400e9, 7 * 86400e9, 365 * 86400e9, 86400e9 + 1500, -300e9, -86400e9 - 1, 123456789]) {
    assert.equal(parseDuration(formatDuration(ns)), ns, formatDuration(ns));
  }
  assert.equal(formatDuration(90e9), '1m30s');
  assert.equal(formatDuration(0), '0s');
});

test('bytes follow go-humanize', () => {
  assert.equal(parseBytes('1KB'), 1000);
  assert.equal(parseBytes('1KiB'), 1024);
  assert.equal(parseBytes('1.5MiB'), 1.5 * 1024 * 1024);
  assert.equal(parseBytes('42'), 42);
  assert.equal(parseBytes('5 mb'), 5e6);
  assert.throws(() => parseBytes('5 parsecs'), /unhandled size name/);
  assert.throws(() => parseBytes('x'), /invalid syntax/);
});

test('the printer parenthesises hand-built trees where precedence needs it', () => {
  const lit = (value: number): MetricExpr => ({ kind: 'literal', value });
  const add: MetricExpr = { kind: 'binary', op: '+', left: lit(1), right: lit(2), returnBool: false };
  const mul: Expr = { kind: 'binary', op: '*', left: add, right: add, returnBool: false };
  assert.equal(printExpr(mul), '(1 + 2) * (1 + 2)');
  const sub: Expr = { kind: 'binary', op: '-', left: lit(1), right: { kind: 'binary', op: '-', left: lit(2), right: lit(3), returnBool: false }, returnBool: false };
  assert.equal(printExpr(sub), '1 - (2 - 3)');
  const or: LabelFilterExpr = {
    type: 'or',
    left: { type: 'string', matcher: { name: 'a', op: '=', value: '1' } },
    right: { type: 'string', matcher: { name: 'b', op: '=', value: '2' } },
  };
  const and: Expr = { kind: 'log', matchers: [{ name: 'x', op: '=', value: 'y' }], pipeline: [{ kind: 'label_filter', expr: { type: 'and', left: or, right: or } }] };
  const printed = printExpr(and);
  assert.equal(printed, '{x="y"} | (a="1" or b="2"), a="1" or b="2"');
  assert.equal(printExpr(parseExpr(printed)), printed);
  assert.equal(printExpr({ kind: 'log', matchers: [{ name: 'a', op: '=', value: 'q"\\\n\t\x01é' }], pipeline: [] }), '{a="q\\"\\\\\\n\\t\\x01é"}');
});

test('hostile input: huge, deeply nested, binary junk never escapes as anything but a parse error', () => {
  assert.match(parseErr('{a="b"} |= "' + 'x'.repeat(140000) + '"').message, /input size too long/);
  assert.match(parseErr('('.repeat(20000) + '1' + ')'.repeat(20000)).message, /nested too deeply/);
  assert.match(parseErr('1' + ' + 1'.repeat(5000)).message, /nested too deeply/);
  for (const q of ['\0', '{a="b"}\0', '{a="\\x', '{a="\\u12"}', '{a="\\ud800"}', '\ud800', '😀', '{😀="x"}', '[', ']', '{a="b"} | x > 1e', '`', '{a=`b']) {
    parseErr(q);
  }
});

// Mutations of every golden query: whatever we accept must print and read back to the same tree.
test('mutated golden queries: accepted ones round-trip, rejected ones fail cleanly', () => {
  const dir = fileURLToPath(new URL('../../../golden/syntax/', import.meta.url));
  const queries: string[] = [];
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.txt') && x !== 'crosscheck.txt')) {
    const lines = readFileSync(dir + f, 'utf8').split('\n');
    for (let i = 0; i + 2 < lines.length; i++) if (lines[i]!.startsWith('# ') && lines[i + 2] === '==>') queries.push(lines[i + 1]!);
  }
  const pieces = [' ', '(', ')', '|', '"', ',', 'or ', 'and ', '[1m]', ' by (a)', '5m', '1', '-', '{', '}', '=', '!', '#', '`', '\n'];
  let seed = 12345;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  let accepted = 0;
  for (let round = 0; round < 4000; round++) {
    const q = queries[rand(queries.length)]!;
    const at = rand(q.length + 1);
    const mutated = rand(2) ? q.slice(0, at) + pieces[rand(pieces.length)] + q.slice(at) : q.slice(0, at) + q.slice(at + 1 + rand(3));
    let e: Expr;
    try {
      e = parseExpr(mutated);
    } catch (err) {
      assert.ok(isLogwharfError(err) && err.code === 'parse_error', `${mutated}: ${String(err)}`);
      continue;
    }
    accepted++;
    const printed = printExpr(e);
    assert.deepEqual(stripPos(parseExpr(printed)), stripPos(e), `${mutated} printed as ${printed}`);
  }
  assert.ok(accepted > 100, `only ${accepted} mutations parsed`);
});
