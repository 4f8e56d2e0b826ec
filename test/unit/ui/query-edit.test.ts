/**
 * "Filter for / filter out" edits of a log query. Every edited query is also parsed by the server's
 * LogQL parser, and where it matters run through the server's pipeline on real lines, so an edit that
 * reads right but means something else fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withFieldFilter, withStreamMatcher, QueryEditError } from '../../../ui/pages/explore/query-edit.js';
import { quoteLogql, unquoteLogql } from '../../../ui/lib/logql-string.js';
import { parseLogExpr } from '../../../src/logql/syntax/index.js';
import { compilePipeline } from '../../../src/logql/pipeline/compile.js';

function matchers(q: string): string[] {
  return parseLogExpr(q).matchers.map((m) => `${m.name}${m.op}${m.value}`);
}

/** Whether the server's pipeline of `q` keeps `line` of a stream `{job="t"}` (with optional metadata). */
function keeps(q: string, line: string, metadata?: Record<string, string>): boolean {
  return compilePipeline(parseLogExpr(q).pipeline).forStream({ job: 't' }).process(0n, line, metadata) !== null;
}

test('a stream label becomes a matcher of the selector; the rest of the query keeps its text', () => {
  assert.equal(withStreamMatcher('{a="b"}', 'c', 'd', '='), '{a="b", c="d"}');
  assert.equal(withStreamMatcher('{a="b"}', 'c', 'd', '!='), '{a="b", c!="d"}');
  assert.equal(withStreamMatcher('  {a=~"x|y",b!~`z.*`} |= "}{" | json # a comment {c="d"}', 'c', 'd', '='), '  {a=~"x|y", b!~`z.*`, c="d"} |= "}{" | json # a comment {c="d"}');
  assert.equal(withStreamMatcher('', 'app', 'web', '='), '{app="web"}');
  assert.equal(withStreamMatcher('{}', 'app', 'web', '='), '{app="web"}');
});

test('filter for replaces an = matcher on the same label and the exact opposite; identical matchers are left alone', () => {
  assert.equal(withStreamMatcher('{app="api", env="prod"}', 'app', 'web', '='), '{app="web", env="prod"}');
  assert.equal(withStreamMatcher('{app!="web", env="prod"}', 'app', 'web', '='), '{app="web", env="prod"}');
  assert.equal(withStreamMatcher('{app="web", env="prod"}', 'app', 'web', '!='), '{app!="web", env="prod"}');
  assert.equal(withStreamMatcher('{app="web"} |= "x"', 'app', 'web', '='), '{app="web"} |= "x"');
  // A regex on the label is kept: narrowing inside it is what the user asked for.
  assert.equal(withStreamMatcher('{app=~"web|api"}', 'app', 'web', '='), '{app=~"web|api", app="web"}');
  // Filtering out a second value keeps the first exclusion.
  assert.equal(withStreamMatcher('{app!="a"}', 'app', 'b', '!='), '{app!="a", app!="b"}');
});

test('values with quotes, backslashes, newlines and braces are escaped so the server reads them back exactly', () => {
  for (const v of ['say "hi"', 'C:\\temp\\new', 'two\nlines\ttab', '}{,|=', '`raw`', 'ünï 🚀', '\x01ctl']) {
    const q = withStreamMatcher('{job="t"}', 'path', v, '=');
    assert.deepEqual(matchers(q), ['job=t', `path=${v}`], q);
    assert.equal(unquoteLogql(quoteLogql(v)), v);
    const f = withFieldFilter('{job="t"}', 'json', 'msg', v, '=');
    assert.ok(keeps(f, JSON.stringify({ msg: v })), f);
    assert.ok(!keeps(f, JSON.stringify({ msg: v + 'x' })), f);
  }
  // Existing values written with escapes or as raw strings are compared by what they mean.
  assert.equal(withStreamMatcher('{p="a\\"b"}', 'p', 'a"b', '='), '{p="a\\"b"}');
  assert.equal(withStreamMatcher('{p=`a\\b`}', 'p', 'a\\b', '!='), '{p!="a\\\\b"}');
});

test('a parsed field appends its parser and a label filter, or reuses the parser the query has', () => {
  assert.equal(withFieldFilter('{job="t"}', 'json', 'level', 'error', '='), '{job="t"} | json | level="error"');
  assert.equal(withFieldFilter('{job="t"} |= "GET"', 'logfmt', 'status', '500', '!='), '{job="t"} |= "GET" | logfmt | status!="500"');
  // Reuse: the filter goes after the parser (and the filters already following it), before later stages.
  assert.equal(withFieldFilter('{job="t"} | json | line_format "{{.msg}}"', 'json', 'level', 'error', '='), '{job="t"} | json | level="error" | line_format "{{.msg}}"');
  assert.equal(withFieldFilter('{job="t"} | json | a="1" | line_format "{{.msg}}"', 'json', 'b', '2', '='), '{job="t"} | json | a="1" | b="2" | line_format "{{.msg}}"');
  assert.equal(withFieldFilter('{job="t"} | logfmt --strict', 'logfmt', 'a', 'x', '='), '{job="t"} | logfmt --strict | a="x"');
  // A json parser with parameters extracts only those: a full one is added.
  assert.equal(withFieldFilter('{job="t"} | json msg="m"', 'json', 'level', 'info', '='), '{job="t"} | json msg="m" | json | level="info"');
  // A stage that merely contains the word json is not a parser.
  assert.equal(withFieldFilter('{job="t"} |= "| json"', 'json', 'a', 'b', '='), '{job="t"} |= "| json" | json | a="b"');
});

test('line filters with != and label filters with != are told apart', () => {
  const q = '{job="t"} |= "a" != "b" | json | level != "debug"';
  assert.equal(withFieldFilter(q, 'json', 'x', '1', '='), '{job="t"} |= "a" != "b" | json | level != "debug" | x="1"');
  assert.equal(withFieldFilter('{job="t"} != "b" | logfmt', 'logfmt', 'x', '1', '='), '{job="t"} != "b" | logfmt | x="1"');
  parseLogExpr(withFieldFilter(q, 'json', 'x', '1', '='));
});

test('the same filter twice leaves the query alone; its opposite is flipped in place', () => {
  const q = withFieldFilter('{job="t"} | json', 'json', 'level', 'error', '=');
  assert.equal(withFieldFilter(q, 'json', 'level', 'error', '='), q);
  assert.equal(withFieldFilter(q, 'json', 'level', 'error', '!='), '{job="t"} | json | level!="error"');
  const lf = '{job="t"} | logfmt | a!="x" | line_format "{{.a}}"';
  assert.equal(withFieldFilter(lf, 'logfmt', 'a', 'x', '='), '{job="t"} | logfmt | a="x" | line_format "{{.a}}"');
});

test('structured metadata and labels from the query become a label filter at the end', () => {
  const q = withFieldFilter('{job="t"} |= "x"', undefined, 'trace_id', 'abc"1', '=');
  assert.equal(q, '{job="t"} |= "x" | trace_id="abc\\"1"');
  assert.ok(keeps(q, 'x', { trace_id: 'abc"1' }));
  assert.ok(!keeps(q, 'x', { trace_id: 'other' }));
  assert.equal(withFieldFilter('{job="t"}', undefined, 'pod', 'p', '!='), '{job="t"} | pod!="p"');
});

test('edits keep the query meaning what it said: filter for keeps only matching lines, filter out drops them', () => {
  const lines = ['level=error msg=a', 'level=info msg=b', 'level=error msg=c'];
  const forErr = withFieldFilter('{job="t"}', 'logfmt', 'level', 'error', '=');
  assert.deepEqual(lines.filter((l) => keeps(forErr, l)), ['level=error msg=a', 'level=error msg=c']);
  const outErr = withFieldFilter(forErr, 'logfmt', 'msg', 'c', '!=');
  assert.deepEqual(lines.filter((l) => keeps(outErr, l)), ['level=error msg=a']);
});

test('a metric query or a broken query is refused in plain words', () => {
  assert.throws(() => withStreamMatcher('sum(rate({a="b"}[5m]))', 'c', 'd', '='), QueryEditError);
  assert.throws(() => withFieldFilter('count_over_time({a="b"}[1m])', 'json', 'c', 'd', '='), /only a log query/);
  assert.throws(() => withStreamMatcher('{a="b}', 'c', 'd', '='), QueryEditError);
});
