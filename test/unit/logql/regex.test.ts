import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRe2, literalAlternatives } from '../../../src/logql/regex.js';
import { LogwharfError } from '../../../src/api/errors.js';

const m = (p: string, s: string, anchored = false) => compileRe2(p, { anchored }).test(s);

test('leading flag groups become RegExp flags', () => {
  assert.equal(m('(?i)error', 'An ERROR here'), true);
  assert.equal(m('error', 'An ERROR here'), false);
  assert.equal(m('(?s)a.b', 'a\nb'), true);
  assert.equal(m('a.b', 'a\nb'), false);
  assert.equal(m('(?is)A.B', 'a\nb'), true);
  assert.equal(m('(?i)(?s)A.B', 'a\nb'), true);
  assert.equal(m('(?m)^b$', 'a\nb\nc'), true);
  assert.equal(m('^b$', 'a\nb\nc'), false);
  assert.equal(compileRe2('(?i)x').flags, 'iu');
});

test('flags inside the pattern are rewritten into the atoms they affect', () => {
  assert.equal(m('foo(?i)bar', 'fooBAR'), true);
  assert.equal(m('foo(?i)bar', 'FOObar'), false);
  assert.equal(m('^a(?i:b)c$', 'aBc'), true);
  assert.equal(m('^a(?i:b)c$', 'aBC'), false);
  assert.equal(m('^(x(?i)y)z$', 'xYz'), true, 'a mid-group flag ends with its group');
  assert.equal(m('^(x(?i)y)z$', 'xYZ'), false);
  assert.equal(m('^(?i:[a-c]+[X])$', 'AbCx'), true);
  assert.equal(m('^(?i:\\Qa.b\\E)$', 'A.B'), true);
  assert.equal(m('^(?i:é)$', 'É'), true);
  assert.equal(m('a(?s:.)b', 'a\nb'), true);
  assert.equal(m('a(?s:.)b.', 'a\nb\n'), false);
  assert.equal(m('(?s)a(?-s:.)b', 'a\nb'), false);
  assert.equal(m('(?s)a(?-s:.)b', 'axb'), true);
  assert.equal(m('x\n(?m:^y$)\n', 'x\ny\n'), true);
  assert.equal(m('(?m)x$(?-m:$)', 'x\n'), false);
  assert.equal(m('(?i)a(?i:b)c', 'ABC'), true);
  assert.throws(() => compileRe2('(?i)a(?-i:b)'), (e: unknown) => e instanceof LogwharfError && e.code === 'parse_error');
  assert.throws(() => compileRe2('a(?U)b'), LogwharfError);
});

test('dot and \\s have RE2 meanings, not JavaScript ones', () => {
  assert.equal(m('a.b', 'a\rb'), true, 'RE2 dot excludes only newline');
  assert.equal(m('a.b', 'a\u2028b'), true);
  assert.equal(m('a.b', 'a\nb'), false);
  assert.equal(m('^\\s$', '\v'), false);
  assert.equal(m('^\\s$', '\u00a0'), false);
  assert.equal(m('^\\s+$', ' \t\r\n\f'), true);
  assert.equal(m('^\\S$', '\u00a0'), true);
  assert.equal(m('^[\\S]+$', 'ab\u00a0'), true);
  assert.equal(m('^[\\S]+$', 'a b'), false);
  assert.equal(m('^[^\\s]+$', 'ab'), true);
  assert.equal(m('^[\\s\\S]+$', 'a\nb'), true);
});

test('named groups, \\A, \\z, \\Q..\\E', () => {
  const re = compileRe2('(?P<status>\\d{3}) (?<size>\\d+)');
  assert.deepEqual({ ...re.exec('GET 200 512')!.groups }, { status: '200', size: '512' });
  assert.equal(m('\\Afoo', 'foobar'), true);
  assert.equal(m('\\Afoo', 'xfoo'), false);
  assert.equal(m('bar\\z', 'foobar'), true);
  assert.equal(m('bar\\z', 'foobar\n'), false);
  assert.equal(m('(?m)bar\\z', 'bar\nx'), false);
  assert.equal(m('\\Qa.b*c\\E', 'xa.b*cx'), true);
  assert.equal(m('\\Qa.b*c\\E', 'aabbc'), false);
});

test('POSIX classes inside brackets', () => {
  assert.equal(m('^[[:alpha:]]+$', 'abcXYZ'), true);
  assert.equal(m('^[[:alpha:]]+$', 'abc1'), false);
  assert.equal(m('^[[:digit:][:space:]]+$', '12 3\t4'), true);
  assert.equal(m('^[[:^digit:]]+$', 'abc'), true);
  assert.equal(m('^[[:^digit:]]+$', 'ab1'), false);
  assert.equal(m('^[^[:upper:]]+$', 'abc'), true);
  assert.equal(m('^[^[:upper:]]+$', 'aBc'), false);
  assert.equal(m('[[:xdigit:]]{4}', 'zz0aF9zz'), true);
  assert.throws(() => compileRe2('[[:nope:]]'), /unknown POSIX class/);
});

test('unicode classes', () => {
  assert.equal(m('^\\pL+$', 'héllo'), true);
  assert.equal(m('^\\p{Greek}+$', 'αβγ'), true);
  assert.equal(m('^\\p{Greek}+$', 'abc'), false);
  assert.equal(m('^\\PL+$', '123'), true);
  assert.equal(m('^\\p{^Greek}+$', 'abc'), true);
  assert.equal(m('^[\\p{Lu}]+$', 'ABC'), true);
  assert.equal(m('^.$', '😀'), true, 'dot matches one code point');
  assert.throws(() => compileRe2('\\p{Klingon}'), /unknown Unicode class/);
});

test('RE2 literals that a u-mode RegExp would reject', () => {
  assert.equal(m('a{', 'a{'), true);
  assert.equal(m('a{,3}', 'a{,3}'), true);
  assert.equal(m('x}', 'x}'), true);
  assert.equal(m('a]', 'a]'), true);
  assert.equal(m('\\-\\"\\#\\<', '-"#<'), true);
  assert.equal(m('[]a]+', ']a]'), true);
  assert.equal(m('[a-]+', 'a-a'), true);
  assert.equal(m('\\x41\\x{1F600}', 'A😀'), true);
  assert.equal(m('\\101', 'A'), true, 'octal');
  assert.equal(m('a/b', 'a/b'), true);
  assert.equal(m('^a{2,3}$', 'aaa'), true);
  assert.equal(m('^a{2,3}$', 'aaaa'), false);
});

test('unsupported or invalid syntax throws parse_error naming the pattern', () => {
  for (const p of ['(a', 'a)', '[a', '\\1', '(?=a)', '(?!a)', '(?<=a)b', '(?<!a)b', 'a**', '\\', '\\C', '\\k', 'a{1001}', 'x{3,2}', '(?P<1a>x)', '(?U)a']) {
    assert.throws(
      () => compileRe2(p),
      (e: unknown) => e instanceof LogwharfError && e.code === 'parse_error' && e.message.startsWith('invalid regex'),
      p,
    );
  }
});

test('anchored matching requires the whole value', () => {
  assert.equal(m('foo', 'foobar', true), false);
  assert.equal(m('foo.*', 'foobar', true), true);
  assert.equal(m('a|b', 'a', true), true);
  assert.equal(m('a|b', 'ab', true), false);
  assert.equal(m('(?m)a|b', 'a\nb', true), false);
  assert.equal(compileRe2('.*', { anchored: true, dotAll: true }).test('a\nb'), true);
});

test('cache returns the same RegExp and separates options', () => {
  assert.equal(compileRe2('abc+'), compileRe2('abc+'));
  assert.notEqual(compileRe2('abc+'), compileRe2('abc+', { anchored: true }));
  assert.equal(compileRe2('abc+', { global: true }).global, true);
  for (let i = 0; i < 2000; i++) compileRe2('x' + i);
  assert.equal(m('x5', 'x5'), true);
});

test('literalAlternatives recognises plain literals only', () => {
  assert.deepEqual(literalAlternatives('foo'), { values: ['foo'], insensitive: false });
  assert.deepEqual(literalAlternatives('(?i)Foo'), { values: ['Foo'], insensitive: true });
  assert.deepEqual(literalAlternatives('a|b\\.c'), { values: ['a', 'b.c'], insensitive: false });
  assert.deepEqual(literalAlternatives('(a|b)'), { values: ['a', 'b'], insensitive: false });
  assert.equal(literalAlternatives('a.b'), null);
  assert.equal(literalAlternatives('a\\d'), null);
  assert.equal(literalAlternatives('(a)|(b)'), null);
});

test('hostile patterns do not crash the process', () => {
  // Catastrophic backtracking is the user's problem, but compiling must work and deep nesting must not overflow.
  assert.ok(compileRe2('(a+)+b'));
  assert.throws(() => compileRe2('('.repeat(5000) + 'a' + ')'.repeat(5000)), /nests too deeply/);
  assert.equal(m('('.repeat(100) + 'a' + ')'.repeat(100), 'a'), true);
  assert.equal(m('\u0000', 'a\u0000b'), true);
});
