import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileMatcher, compileMatchers, literalPrefixOrSet, matchesAll } from '../../../src/logql/matchers.js';
import type { Matcher } from '../../../src/logql/syntax/ast.js';
import { LogwharfError } from '../../../src/api/errors.js';

const mm = (name: string, op: Matcher['op'], value: string): Matcher => ({ name, op, value });

test('equality and missing labels behave as empty string', () => {
  assert.equal(compileMatcher(mm('a', '=', 'x'))('x'), true);
  assert.equal(compileMatcher(mm('a', '=', 'x'))('y'), false);
  assert.equal(compileMatcher(mm('a', '=', ''))(undefined), true);
  assert.equal(compileMatcher(mm('a', '!=', ''))(undefined), false);
  assert.equal(compileMatcher(mm('a', '!=', ''))('v'), true);
  assert.equal(compileMatcher(mm('a', '=~', '.*'))(undefined), true);
  assert.equal(compileMatcher(mm('a', '=~', '.+'))(undefined), false);
  assert.equal(compileMatcher(mm('a', '!~', '.+'))(undefined), true);
});

test('regex matchers are fully anchored and dot matches newline', () => {
  const f = compileMatcher(mm('job', '=~', 'api'));
  assert.equal(f('api'), true);
  assert.equal(f('api-gw'), false);
  assert.equal(compileMatcher(mm('job', '=~', 'api.*'))('api-gw'), true);
  assert.equal(compileMatcher(mm('job', '=~', 'api.*'))('xapi'), false);
  assert.equal(compileMatcher(mm('job', '=~', 'a.*'))('a\nb'), true);
  assert.equal(compileMatcher(mm('job', '=~', 'a|b|c'))('b'), true);
  assert.equal(compileMatcher(mm('job', '=~', 'a|b|c'))('ab'), false);
  assert.equal(compileMatcher(mm('job', '!~', 'a|b'))('c'), true);
  assert.equal(compileMatcher(mm('job', '!~', 'a|b'))('a'), false);
  assert.equal(compileMatcher(mm('job', '=~', '(?i)API'))('api'), true);
  assert.equal(compileMatcher(mm('job', '=~', 'ap[i]+'))('apiii'), true);
  assert.equal(compileMatcher(mm('job', '=~', 'foo.*|bar'))('bar'), true);
  assert.equal(compileMatcher(mm('job', '=~', 'foo.*|bar'))('foox'), true);
  assert.equal(compileMatcher(mm('job', '=~', 'foo.*|bar'))('barx'), false);
  assert.equal(compileMatcher(mm('job', '=~', 'fo+.*'))('fooo'), true);
  assert.equal(compileMatcher(mm('job', '=~', 'fo+.*'))('fx'), false);
});

test('invalid regex matcher throws parse_error', () => {
  assert.throws(() => compileMatcher(mm('a', '=~', '(')), (e: unknown) => e instanceof LogwharfError && e.code === 'parse_error');
  assert.throws(() => compileMatcher(mm('a', '!~', '[')), LogwharfError);
});

test('matchesAll and compileMatchers', () => {
  const ms = [mm('job', '=', 'api'), mm('env', '=~', 'prod|staging'), mm('tmp', '=', '')];
  assert.equal(matchesAll(ms, { job: 'api', env: 'prod' }), true);
  assert.equal(matchesAll(ms, { job: 'api', env: 'dev' }), false);
  assert.equal(matchesAll(ms, { job: 'api', env: 'prod', tmp: 'x' }), false);
  assert.equal(compileMatchers(ms)({ job: 'api', env: 'staging' }), true);
  assert.equal(compileMatchers([])({}), true);
  // Names of Object.prototype members are ordinary (absent) labels.
  assert.equal(matchesAll([mm('constructor', '=', '')], {}), true);
  assert.equal(compileMatchers([mm('toString', '!=', '')])({}), false);
});

test('literalPrefixOrSet', () => {
  assert.deepEqual(literalPrefixOrSet(mm('a', '=', 'x')), { kind: 'set', values: ['x'] });
  assert.deepEqual(literalPrefixOrSet(mm('a', '=~', 'a|b|c|a')), { kind: 'set', values: ['a', 'b', 'c'] });
  assert.deepEqual(literalPrefixOrSet(mm('a', '=~', 'api-.*')), { kind: 'prefix', prefix: 'api-', exact: true });
  assert.deepEqual(literalPrefixOrSet(mm('a', '=~', 'api-\\d+')), { kind: 'prefix', prefix: 'api-', exact: false });
  assert.equal(literalPrefixOrSet(mm('a', '=~', 'ab*')), null);
  assert.equal(literalPrefixOrSet(mm('a', '=~', 'ab.*|c')), null);
  assert.equal(literalPrefixOrSet(mm('a', '=~', '(?i)abc')), null);
  assert.equal(literalPrefixOrSet(mm('a', '!=', 'x')), null);
  assert.equal(literalPrefixOrSet(mm('a', '!~', 'x')), null);
  assert.equal(literalPrefixOrSet(mm('a', '=~', '.*')), null);
});
