import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRe2, literalAlternatives } from '../../../src/logql/regex.js';
import { LogwharfError } from '../../../src/api/errors.js';

const m = (p: string, s: string, anchored = false) => compileRe2(p, { anchored }).test(s);

test('leading flag groups set RE2 flags', () => {
  assert.equal(m('(?i)error', 'An ERROR here'), true);
  assert.equal(m('error', 'An ERROR here'), false);
  assert.equal(m('(?s)a.b', 'a\nb'), true);
  assert.equal(m('a.b', 'a\nb'), false);
  assert.equal(m('(?is)A.B', 'a\nb'), true);
  assert.equal(m('(?i)(?s)A.B', 'a\nb'), true);
  assert.equal(m('(?m)^b$', 'a\nb\nc'), true);
  assert.equal(m('^b$', 'a\nb\nc'), false);
});

test('flags inside the pattern apply to their group, as in Go', () => {
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
  assert.equal(m('^(?i)a(?-i:b)$', 'Ab'), true, 'turning a flag off locally works in RE2');
  assert.equal(m('^(?i)a(?-i:b)$', 'AB'), false);
  assert.deepEqual([...compileRe2('(?U)a+').exec('aaa')!], ['a'], 'U makes repeats lazy');
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
  assert.throws(() => compileRe2('[[:nope:]]'), /error parsing regexp: invalid character class range: `\[:nope:\]`/);
});

test('unicode classes', () => {
  assert.equal(m('^\\pL+$', 'héllo'), true);
  assert.equal(m('^\\p{Greek}+$', 'αβγ'), true);
  assert.equal(m('^\\p{Greek}+$', 'abc'), false);
  assert.equal(m('^\\PL+$', '123'), true);
  assert.equal(m('^\\p{^Greek}+$', 'abc'), true);
  assert.equal(m('^[\\p{Lu}]+$', 'ABC'), true);
  assert.equal(m('^.$', '😀'), true, 'dot matches one code point');
  assert.throws(() => compileRe2('\\p{Klingon}'), /error parsing regexp: invalid character class range: `\\p\{Klingon\}`/);
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

test('what RE2 rejects is a parse_error in Go\'s words (backreferences, lookaround, bad syntax)', () => {
  const cases: Array<[string, string]> = [
    ['(a', 'missing closing ): `(a`'],
    ['a)', 'unexpected ): `a)`'],
    ['[a', 'missing closing ]: `[a`'],
    ['(a)\\1', 'invalid escape sequence: `\\1`'],
    ['a(?=b)', 'invalid or unsupported Perl syntax: `(?=`'],
    ['a(?!b)', 'invalid or unsupported Perl syntax: `(?!`'],
    ['a**', 'invalid nested repetition operator: `**`'],
    ['\\C', 'invalid escape sequence: `\\C`'],
    ['a{1001}', 'invalid repeat count: `{1001}`'],
  ];
  for (const [p, why] of cases) {
    assert.throws(
      () => compileRe2(p),
      (e: unknown) => e instanceof LogwharfError && e.code === 'parse_error' && e.message === `error parsing regexp: ${why}`,
      p,
    );
  }
  for (const p of ['(?<=a)b', '(?<!a)b', '\\', '\\k', 'x{3,2}', '(?P<a-b>x)']) {
    assert.throws(() => compileRe2(p), (e: unknown) => e instanceof LogwharfError && e.code === 'parse_error' && e.message.startsWith('error parsing regexp: '), p);
  }
  // Options wrap the pattern in a group; the error still quotes only what the user wrote.
  assert.throws(() => compileRe2('(', { anchored: true, dotAll: true }), { message: 'error parsing regexp: missing closing ): `(`' });
});

test('anchored matching requires the whole value', () => {
  assert.equal(m('foo', 'foobar', true), false);
  assert.equal(m('foo.*', 'foobar', true), true);
  assert.equal(m('a|b', 'a', true), true);
  assert.equal(m('a|b', 'ab', true), false);
  assert.equal(m('(?m)a|b', 'a\nb', true), false);
  assert.equal(compileRe2('.*', { anchored: true, dotAll: true }).test('a\nb'), true);
});

test('cache returns the same regex and separates options', () => {
  assert.equal(compileRe2('abc+'), compileRe2('abc+'));
  assert.notEqual(compileRe2('abc+'), compileRe2('abc+', { anchored: true }));
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

test('hostile patterns match in linear time and do not crash the process', () => {
  // Each of these takes V8's backtracking RegExp seconds to hours on this input.
  const line = 'a'.repeat(5000) + 'b';
  for (const p of ['(a+)+$', '^(a|a)*$', '^(a|aa)+$', '(.*a){20}$', '^(a?){30}a{30}$']) {
    const re = compileRe2(p);
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) assert.equal(re.test(line), false, p);
    const ms = performance.now() - t0;
    assert.ok(ms < 2000, `${p}: 10 matches over a ${line.length}-char line took ${ms.toFixed(0)} ms`);
  }
  assert.throws(() => compileRe2('('.repeat(5000) + 'a' + ')'.repeat(5000)), /nests too deeply/);
  assert.equal(m('('.repeat(100) + 'a' + ')'.repeat(100), 'a'), true);
  assert.equal(m('\u0000', 'a\u0000b'), true);
});

test('replaceAll and count walk non-overlapping matches with groups', () => {
  const re = compileRe2('(?P<k>\\w+)=(\\d+)?');
  assert.equal(re.count('a=1 b= c=3'), 3);
  assert.equal(re.replaceAll('a=1 b= c=3', (g, named) => `${named.k}:${g[2] ?? '-'}`), 'a:1 b:- c:3');
  assert.equal(compileRe2('x*').replaceAll('abc', () => '-'), '-a-b-c-', 'empty matches as Go: at each position');
  assert.deepEqual(compileRe2('(?P<a>x)(y)(?<b>z)').groupNames, ['a', 'b']);
});

test('literal alternations (the fast path for test) agree with RE2 on case and special characters', () => {
  const cases: Array<[string, string, boolean]> = [
    ['(?i)error', 'An ERROR here', true],
    ['(?i)error', 'An err or', false],
    ['(?i)(get|post)', 'method=Post', true],
    ['a\\.b|c\\-d', 'xc-dx', true],
    ['a\\.b|c\\-d', 'axb', false],
    ['(?i)k', '\u212a', true],
    ['x\\/y\\[', 'x/y[', true],
    ['a|', 'zzz', true],
  ];
  for (const [p, line, want] of cases) {
    assert.equal(compileRe2(p).test(line), want, `${p} on ${JSON.stringify(line)}`);
    // The same verdict from the RE2 engine itself (exec does not take the fast path).
    assert.equal(compileRe2(p).exec(line) !== null, want, `${p} via exec`);
  }
});
