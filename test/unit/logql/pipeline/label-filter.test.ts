import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePipeline } from '../../../../src/logql/pipeline/compile.js';
import type { CompareOp, DropKeepItem, LabelFilterExpr, PipelineStage } from '../../../../src/logql/syntax/ast.js';
import { LogwharfError } from '../../../../src/api/errors.js';
import { json, labelFilter, labelsOf, logfmt, run, str } from './helpers.js';

const num = (name: string, op: CompareOp, value: number): LabelFilterExpr => ({ type: 'number', name, op, value, text: String(value) });
const dur = (name: string, op: CompareOp, value: number): LabelFilterExpr => ({ type: 'duration', name, op, value, text: '' });
const bytes = (name: string, op: CompareOp, value: number): LabelFilterExpr => ({ type: 'bytes', name, op, value, text: '' });
const and = (left: LabelFilterExpr, right: LabelFilterExpr): LabelFilterExpr => ({ type: 'and', left, right });
const or = (left: LabelFilterExpr, right: LabelFilterExpr): LabelFilterExpr => ({ type: 'or', left, right });
const keeps = (line: string, e: LabelFilterExpr, stages: PipelineStage[] = [logfmt()]) => run([...stages, labelFilter(e)], line, { job: 'x' }) !== null;

test('string matchers on stream and extracted labels; missing is empty', () => {
  assert.equal(keeps('level=error', str('level', '=', 'error')), true);
  assert.equal(keeps('level=info', str('level', '=', 'error')), false);
  assert.equal(keeps('level=info', str('level', '!=', 'error')), true);
  assert.equal(keeps('level=info', str('level', '=~', 'info|warn')), true);
  assert.equal(keeps('level=info', str('level', '=~', 'inf')), false, 'anchored');
  assert.equal(keeps('level=info', str('job', '=', 'x')), true);
  assert.equal(keeps('a=1', str('level', '=', '')), true);
  assert.equal(keeps('a=1', str('level', '!=', '')), false);
  assert.throws(() => compilePipeline([labelFilter(str('a', '=~', '('))]), LogwharfError);
});

test('number comparisons', () => {
  assert.equal(keeps('status=503', num('status', '>=', 500)), true);
  assert.equal(keeps('status=404', num('status', '>=', 500)), false);
  assert.equal(keeps('status=200', num('status', '==', 200)), true);
  assert.equal(keeps('status=200.0', num('status', '==', 200)), true);
  assert.equal(keeps('v=1e3', num('v', '>', 999)), true);
  assert.equal(keeps('v=-2.5', num('v', '<', -2)), true);
  assert.equal(keeps('v=2', num('v', '!=', 2)), false);
  assert.equal(keeps('v=2', num('v', '<=', 2)), true);
  assert.equal(keeps('a=1', num('status', '>', 1)), false, 'missing label drops');
});

test('conversion failure keeps the entry with LabelFilterErr; the first error is kept; a string filter can drop it', () => {
  const r = run([logfmt(), labelFilter(num('status', '>', 1))], 'status=abc', {})!;
  assert.equal(r.labels.__error__, 'LabelFilterErr');
  assert.equal(r.labels.__error_details__, 'strconv.ParseFloat: parsing "abc": invalid syntax');
  const twice = run([logfmt(), labelFilter(num('status', '>', 1)), labelFilter(dur('other', '>', 1))], 'status=abc other=zz', {})!;
  assert.equal(twice.labels.__error_details__, 'strconv.ParseFloat: parsing "abc": invalid syntax', 'the first error is kept');
  assert.equal(run([logfmt(), labelFilter(num('status', '>', 1)), labelFilter(num('n', '>', 5))], 'status=abc n=2', {}), null, 'later comparisons still filter');
  assert.equal(run([json(), logfmt({ strict: true })], 'a="x', {})!.labels.__error__, 'JSONParserErr');
  assert.equal(run([logfmt(), labelFilter(num('status', '>', 1)), labelFilter(str('__error__', '=', ''))], 'status=abc', {}), null);
  assert.equal(run([json(), labelFilter(str('__error__', '=', ''))], 'not json', {}), null);
  assert.ok(run([json(), labelFilter(str('__error__', '=', 'JSONParserErr'))], 'not json', {}));
  assert.equal(run([logfmt(), labelFilter(dur('d', '>', 1e9))], 'd=12', {})!.labels.__error_details__, 'time: invalid duration "12"');
});

test('duration comparisons with Go durations', () => {
  assert.equal(keeps('d=1.5s', dur('d', '>', 1e9)), true);
  assert.equal(keeps('d=250ms', dur('d', '>', 1e9)), false);
  assert.equal(keeps('d=2h45m', dur('d', '>=', 2 * 3600e9)), true);
  assert.equal(keeps('d=1m30s', dur('d', '==', 90e9)), true);
  assert.equal(keeps('d=300us', dur('d', '<', 1e6)), true);
  assert.equal(keeps('d=300µs', dur('d', '<', 1e6)), true);
  assert.equal(keeps('d=-1s', dur('d', '<', 0)), true);
  assert.equal(keeps('d=0', dur('d', '==', 0)), true);
  assert.equal(keeps('d=1.5ns', dur('d', '==', 2)), true, 'whole nanoseconds, rounded');
  for (const bad of ['1', '1x', 's', '.s', '1.5', '', '10000000000h']) {
    const r = run([logfmt(), labelFilter(dur('d', '>', 1))], `d="${bad}"`, {})!;
    assert.equal(r.labels.__error__, 'LabelFilterErr', bad);
  }
});

test('bytes comparisons', () => {
  assert.equal(keeps('s=42MB', bytes('s', '>', 40e6)), true);
  assert.equal(keeps('s=1.5KiB', bytes('s', '==', 1536)), true);
  assert.equal(keeps('s=20B', bytes('s', '<', 21)), true);
  assert.equal(keeps('s="1 kb"', bytes('s', '==', 1000)), true);
  assert.equal(keeps('s=2MiB', bytes('s', '==', 2 * 1024 * 1024)), true);
  assert.equal(keeps('s=1024', bytes('s', '==', 1024)), true);
  assert.equal(run([logfmt(), labelFilter(bytes('s', '>', 1))], 's=12XB', {})!.labels.__error__, 'LabelFilterErr');
  // As go-humanize: no leading space, and no more than a uint64.
  assert.equal(run([logfmt(), labelFilter(bytes('s', '>', 1))], 's=" 42"', {})!.labels.__error__, 'LabelFilterErr');
  assert.equal(run([logfmt(), labelFilter(bytes('s', '>', 1))], 's=20000EB', {})!.labels.__error__, 'LabelFilterErr');
});

test('ip label filter', () => {
  const ip = (op: '=' | '!=', value: string): LabelFilterExpr => ({ type: 'ip', name: 'addr', op, value });
  assert.equal(keeps('addr=192.168.1.5', ip('=', '192.168.1.0/24')), true);
  assert.equal(keeps('addr=192.168.2.5', ip('=', '192.168.1.0/24')), false);
  assert.equal(keeps('addr=192.168.2.5', ip('!=', '192.168.1.0/24')), true);
  assert.equal(keeps('addr=::1', ip('=', '::1')), true);
  assert.equal(keeps('addr=nope', ip('=', '::1')), false);
  assert.equal(keeps('other=1', ip('!=', '::1')), false, 'missing label drops');
});

test('and / or with left-to-right precedence and short-circuit', () => {
  // duration >= 20ms or method="GET" and size <= 20KB  ==  ((d or m) and s)
  const e = and(or(dur('d', '>=', 20e6), str('method', '=', 'GET')), bytes('size', '<=', 20e3));
  assert.equal(keeps('d=30ms method=POST size=1KB', e), true);
  assert.equal(keeps('d=1ms method=GET size=1KB', e), true);
  assert.equal(keeps('d=1ms method=POST size=1KB', e), false);
  assert.equal(keeps('d=30ms method=GET size=30KB', e), false);
  // Short-circuit: the right side is not evaluated, so no conversion error appears.
  const r = run([logfmt(), labelFilter(or(str('a', '=', '1'), num('b', '>', 1)))], 'a=1 b=zz', {})!;
  assert.equal(r.labels.__error__, undefined);
  const r2 = run([logfmt(), labelFilter(and(str('a', '=', '2'), num('b', '>', 1)))], 'a=1 b=zz', {});
  assert.equal(r2, null);
  const paren: LabelFilterExpr = { type: 'paren', expr: or(str('a', '=', '1'), str('a', '=', '2')) };
  assert.equal(keeps('a=2', paren), true);
});

test('drop and keep', () => {
  const drop = (...items: DropKeepItem[]): PipelineStage => ({ kind: 'drop', items });
  const keep = (...items: DropKeepItem[]): PipelineStage => ({ kind: 'keep', items });
  const line = '{"app":"some-api-service","level":"info","method":"GET","path":"/","host":"grafana.net","status":"200"}';
  assert.deepEqual(labelsOf([json(), drop({ name: 'level' }, { name: 'method', matcher: { name: 'method', op: '=', value: 'GET' } })], line, { job: 'varlogs' }), {
    job: 'varlogs',
    app: 'some-api-service',
    path: '/',
    host: 'grafana.net',
    status: '200',
  });
  assert.deepEqual(labelsOf([json(), drop({ name: 'level' }, { name: 'path' }, { name: 'app', matcher: { name: 'app', op: '=~', value: 'some-api.*' } })], line, { job: 'varlogs' }), {
    job: 'varlogs',
    method: 'GET',
    host: 'grafana.net',
    status: '200',
  });
  assert.deepEqual(labelsOf([json(), keep({ name: 'level' }, { name: 'method', matcher: { name: 'method', op: '=', value: 'GET' } })], line, { job: 'varlogs' }), { level: 'info', method: 'GET' });
  assert.deepEqual(labelsOf([json(), keep({ name: 'level' }, { name: 'method', matcher: { name: 'method', op: '=', value: 'POST' } })], line, { job: 'varlogs' }), { level: 'info' });
  // keep never drops error labels; drop __error__ clears them.
  assert.deepEqual(labelsOf([json(), keep({ name: 'job' })], 'INFO GET /', { job: 'v' })?.__error__, 'JSONParserErr');
  assert.deepEqual(labelsOf([json(), drop({ name: '__error__' }, { name: '__error_details__' })], 'INFO GET /', { job: 'v' }), { job: 'v' });
  assert.deepEqual(labelsOf([json(), drop({ name: '__error__', matcher: { name: '__error__', op: '=', value: 'Other' } })], 'x', {})?.__error__, 'JSONParserErr');
  // Stream labels are never modified in place.
  const stream = { job: 'v', level: 'x' };
  run([drop({ name: 'level' })], 'l', stream);
  assert.deepEqual(stream, { job: 'v', level: 'x' });
});
