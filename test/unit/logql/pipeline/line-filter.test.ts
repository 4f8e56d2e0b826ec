import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePipeline } from '../../../../src/logql/pipeline/compile.js';
import type { PipelineStage } from '../../../../src/logql/syntax/ast.js';
import { LogwharfError } from '../../../../src/api/errors.js';
import { contains, notContains, notRe, re, run } from './helpers.js';

const keeps = (stages: PipelineStage[], line: string) => run(stages, line) !== null;
const ip = (op: '|=' | '!=', ...values: string[]): PipelineStage => ({ kind: 'line_filter', op, values: values.map((value) => ({ kind: 'ip', value })) });
const pat = (op: '|>' | '!>', ...values: string[]): PipelineStage => ({ kind: 'line_filter', op, values: values.map((value) => ({ kind: 'string', value })) });

test('|= and != with or alternatives', () => {
  assert.equal(keeps([contains('error')], 'an error here'), true);
  assert.equal(keeps([contains('error')], 'an ERROR here'), false);
  assert.equal(keeps([contains('error', 'warn')], 'warn: x'), true);
  assert.equal(keeps([contains('error', 'warn')], 'info: x'), false);
  assert.equal(keeps([notContains('debug')], 'debug: x'), false);
  assert.equal(keeps([notContains('debug', 'trace')], 'trace: x'), false, 'negative or: none may match');
  assert.equal(keeps([notContains('debug', 'trace')], 'info: x'), true);
  assert.equal(keeps([contains('')], 'anything'), true);
  assert.equal(keeps([contains('a'), notContains('b')], 'a c'), true);
  assert.equal(keeps([contains('a'), notContains('b')], 'a b'), false);
});

test('|~ and !~ are unanchored RE2 regexes', () => {
  assert.equal(keeps([re('err(or)?\\s+\\d+')], 'got error  42 now'), true);
  assert.equal(keeps([re('(?i)error')], 'An ERROR'), true);
  assert.equal(keeps([re('(?i)error')], 'fine'), false);
  assert.equal(keeps([re('^GET')], 'POST GET'), false);
  assert.equal(keeps([re('a.b')], 'a\nb'), true, 'Loki documents that . matches newlines in line filters');
  assert.equal(keeps([re('timeout|refused')], 'connection refused'), true);
  assert.equal(keeps([re('x\\d', 'y\\d')], 'y9'), true);
  assert.equal(keeps([notRe('x\\d', 'y\\d')], 'y9'), false);
  assert.equal(keeps([notRe('(?i)debug')], 'DEBUG'), false);
  assert.equal(keeps([re('(?P<x>a)b')], 'ab'), true);
  assert.equal(keeps([re('[[:digit:]]{3}')], 'code 503'), true);
});

test('invalid regex in a line filter is a parse error at compile time', () => {
  assert.throws(() => compilePipeline([re('(')]), (e: unknown) => e instanceof LogwharfError && e.code === 'parse_error');
  assert.throws(() => compilePipeline([re('a(?=b)')]), LogwharfError);
});

test('pattern filters |> and !>', () => {
  assert.equal(keeps([pat('|>', '<_> error <_>')], 'level=x error happened'), true);
  assert.equal(keeps([pat('|>', '<_> error <_>')], 'level=x errors'), false);
  assert.equal(keeps([pat('|>', 'GET <_>')], 'GET /x'), true);
  assert.equal(keeps([pat('|>', 'GET <_>')], 'POST GET /x'), false);
  assert.equal(keeps([pat('|>', '<_> 500')], 'x 500 y 500'), true, 'trailing literal is a suffix');
  assert.equal(keeps([pat('|>', '<_> 500')], 'x 500 y'), false);
  assert.equal(keeps([pat('|>', '<a> [<b>] <_>')], 'host [id] rest'), true);
  assert.equal(keeps([pat('|>', 'GET <_>', 'POST <_>')], 'POST /'), true);
  assert.equal(keeps([pat('!>', '<_> debug <_>')], 'a debug b'), false);
  assert.equal(keeps([pat('!>', '<_> debug <_>')], 'a info b'), true);
  assert.throws(() => compilePipeline([pat('|>', '<a><b>')]), /consecutive captures/);
});

test('ip() line filters: single address, CIDR and ranges, v4 and v6', () => {
  assert.equal(keeps([ip('|=', '192.168.4.5')], 'client 192.168.4.5 connected'), true);
  assert.equal(keeps([ip('|=', '192.168.4.5')], 'client 192.168.4.50 connected'), false);
  assert.equal(keeps([ip('|=', '192.168.4.0/24')], 'from=192.168.4.77:8080'), true);
  assert.equal(keeps([ip('|=', '192.168.4.0/24')], 'from=192.168.5.77'), false);
  assert.equal(keeps([ip('|=', '10.0.0.1-10.0.0.10')], 'ip 10.0.0.9.'), true);
  assert.equal(keeps([ip('|=', '10.0.0.1-10.0.0.10')], 'ip 10.0.0.11'), false);
  assert.equal(keeps([ip('|=', '2001:db8::/32')], 'addr [2001:db8::1]:443'), true);
  assert.equal(keeps([ip('|=', '2001:db8::/32')], 'addr 2001:db9::1'), false);
  assert.equal(keeps([ip('|=', '::1')], 'listening on ::1'), true);
  assert.equal(keeps([ip('|=', '1.2.3.4')], 'mapped ::ffff:1.2.3.4'), true);
  assert.equal(keeps([ip('!=', '192.168.0.0/16')], 'from 192.168.1.1'), false);
  assert.equal(keeps([ip('!=', '192.168.0.0/16')], 'from 10.1.1.1'), true);
  assert.equal(keeps([ip('|=', '192.168.0.0/16')], 'version 1.2.3 and 999.1.1.1 and deadbeef'), false);
  for (const bad of ['300.1.1.1', '1.2.3.4/33', '1.2.3.9-1.2.3.1', 'x', '1.2.3.4-::1', '01.2.3.4']) {
    assert.throws(() => compilePipeline([ip('|=', bad)]), (e: unknown) => e instanceof LogwharfError && e.code === 'parse_error', bad);
  }
});

test('a filter-only pipeline returns the stream labels object itself', () => {
  const labels = { job: 'api' };
  const sp = compilePipeline([contains('x'), re('y+')]).forStream(labels);
  const r = sp.process(1n, 'xyy');
  assert.ok(r);
  assert.equal(r.labels, labels);
  assert.equal(r.line, 'xyy');
  assert.equal(sp.process(1n, 'zzz'), null);
  const withMeta = sp.process(1n, 'xy', { trace_id: 't1' });
  assert.deepEqual(withMeta?.labels, { job: 'api', trace_id: 't1' });
  assert.equal(labels.job, 'api');
  assert.deepEqual(Object.keys(labels), ['job'], 'stream labels are never mutated');
});

test('empty pipeline', () => {
  const p = compilePipeline([]);
  assert.equal(p.empty, true);
  const labels = { a: '1' };
  assert.equal(p.forStream(labels).process(0n, 'l')?.labels, labels);
  assert.equal(compilePipeline([contains('a')]).empty, false);
});

test('huge lines and odd characters', () => {
  const big = 'x'.repeat(5_000_000) + 'needle';
  assert.equal(keeps([contains('needle')], big), true);
  assert.equal(keeps([re('(?i)NEEDLE$')], big), true);
  assert.equal(keeps([contains('\uFFFD')], 'bad \uFFFD byte'), true);
  assert.equal(keeps([re('^\\x{1F600}')], '😀 smile'), true);
  // A catastrophic pattern is the user's problem, but must not crash on short input.
  assert.equal(keeps([re('(a+)+b')], 'aaaaaaaaaaaaaaaaaaac'), false);
});
