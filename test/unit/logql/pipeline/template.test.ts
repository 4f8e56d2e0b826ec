// Go's Local zone is the process zone; pin it so expected times do not depend on the machine.
process.env.TZ = 'UTC';

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePipeline } from '../../../../src/logql/pipeline/compile.js';
import { Template } from '../../../../src/logql/pipeline/template/exec.js';
import { goSprintf } from '../../../../src/logql/pipeline/template/printf.js';
import { LogwharfError } from '../../../../src/api/errors.js';
import type { Labels } from '../../../../src/api/model.js';
import { lineFormat, logfmt, run } from './helpers.js';

const TS = 1700000000123456789n; // 2023-11-14T22:13:20.123456789Z
const render = (tpl: string, labels: Labels = {}, line = 'the line') => new Template(tpl).render(labels, line, TS);

test('field access, missing fields, text and trimming', () => {
  assert.equal(render('{{.path}}', { path: '/x' }), '/x');
  assert.equal(render('a {{ .path }} b', { path: '/x' }), 'a /x b');
  // Loki runs templates with missingkey=zero over a map[string]string: a missing label is "".
  assert.equal(render('{{.missing}}'), '');
  assert.equal(render('a  {{- .x -}}  b', { x: '1' }), 'a1b');
  assert.equal(render('{{/* comment */}}x{{- /* c */ -}} y'), 'xy');
  assert.equal(render('{{ . }}', { b: '2', a: '1' }), 'map[a:1 b:2]');
  assert.equal(render('{{ $.a }}', { a: '1' }), '1');
  assert.equal(render('no actions'), 'no actions');
  assert.equal(render('{{"quoted \\"x\\"\\n"}}{{`raw \\n`}}'), 'quoted "x"\nraw \\n');
});

test('pipes pass the value as the last argument', () => {
  assert.equal(render('{{ .m | ToUpper }}', { m: 'get' }), 'GET');
  assert.equal(render('{{ .path | replace " " "_" | trunc 5 | upper }}', { path: 'a b c d e f' }), 'A_B_C');
  assert.equal(render('{{ ToUpper "This is a string" | ToLower }}'), 'this is a string');
  assert.equal(render('{{ .x | default "-" }}', { x: '' }), '-');
  assert.equal(render('{{ .x | default "-" }}', {}), '-');
  assert.equal(render('{{ .x | default "-" }}', { x: 'v' }), 'v');
  assert.equal(render('{{ __line__ | lower }}', {}, 'HeLLo'), 'hello');
});

test('if / else if / else, and/or/not, comparisons', () => {
  const t = '{{ if eq .level "error" }}E{{ else if eq .level "warn" }}W{{ else }}O{{ end }}';
  assert.equal(render(t, { level: 'error' }), 'E');
  assert.equal(render(t, { level: 'warn' }), 'W');
  assert.equal(render(t, { level: 'x' }), 'O');
  assert.equal(render('{{ if and (contains "he" "hello") (contains "llo" "hello") }}yes{{end}}'), 'yes');
  assert.equal(render('{{ if or (contains "zz" "hello") (hasPrefix "he" "hello") }}yes{{end}}'), 'yes');
  assert.equal(render('{{ if not .x }}empty{{end}}', { x: '' }), 'empty');
  assert.equal(render('{{ if .x }}set{{else}}unset{{end}}', {}), 'unset');
  assert.equal(render('{{ if hasSuffix "Timeout" .err }}t{{end}}', { err: 'ErrTimeout' }), 't');
  assert.equal(render('{{ if eq .a "1" "2" }}y{{end}}', { a: '2' }), 'y');
  assert.equal(render('{{ if lt 1 2 }}y{{end}}{{ if gt 2.5 1.5 }}z{{end}}{{ if ne "a" "b" }}w{{end}}{{ if le 2 2 }}v{{end}}{{ if ge "b" "a" }}u{{end}}'), 'yzwvu');
  assert.equal(render('{{ with .x }}[{{ . }}]{{ else }}none{{ end }}', { x: 'v' }), '[v]');
  assert.equal(render('{{ $v := .x }}{{ $v }}{{ $v = "b" }}{{ $v }}', { x: 'a' }), 'ab');
  assert.throws(() => render('{{ if gt .status 400 }}x{{end}}', { status: '500' }), /incompatible types/);
});

test('string functions', () => {
  const cases: Array<[string, string]> = [
    ['{{ Replace "a-b-c" "-" "+" 1 }}', 'a+b-c'],
    ['{{ Replace "a-b-c" "-" "+" -1 }}', 'a+b+c'],
    ['{{ Trim "xxhixx" "x" }}', 'hi'],
    ['{{ TrimLeft "xxhixx" "x" }}', 'hixx'],
    ['{{ TrimRight "xxhixx" "x" }}', 'xxhi'],
    ['{{ TrimPrefix "prefix-x" "prefix-" }}', 'x'],
    ['{{ TrimSuffix "x.log" ".log" }}', 'x'],
    ['{{ TrimSpace "  hi \\n" }}', 'hi'],
    ['{{ trim "   hello    " }}', 'hello'],
    ['{{ trimAll "$" "$5.00$" }}', '5.00'],
    ['{{ trimPrefix "-" "-hello" }}', 'hello'],
    ['{{ trimSuffix "-" "hello-" }}', 'hello'],
    ['{{ replace "hello" "world" "hello world" }}', 'world world'],
    ['{{ trunc 5 "hello world" }}', 'hello'],
    ['{{ trunc -5 "hello world" }}', 'world'],
    ['{{ trunc 50 "hi" }}', 'hi'],
    ['{{ substr 0 5 "hello world" }}', 'hello'],
    ['{{ substr 6 11 "hello world" }}', 'world'],
    ['{{ substr -1 2 "hello" }}', 'he'],
    ['{{ substr 2 -1 "hello" }}', 'llo'],
    ['{{ title "hello world" }}', 'Hello World'],
    ['{{ repeat 3 "ab" }}', 'ababab'],
    ['{{ indent 2 "a\\nb" }}', '  a\n  b'],
    ['{{ nindent 2 "a" }}', '\n  a'],
    ['{{ alignLeft 5 "hello world" }}|{{ alignLeft 5 "hi" }}|', 'hello|hi   |'],
    ['{{ alignRight 5 "hello world" }}|{{ alignRight 5 "hi" }}|', 'world|   hi|'],
    ['{{ b64enc "hello" }}', 'aGVsbG8='],
    ['{{ b64dec "aGVsbG8=" }}', 'hello'],
    ['{{ urlencode "a b&c=d/é" }}', 'a+b%26c%3Dd%2F%C3%A9'],
    ['{{ urldecode "a+b%26c" }}', 'a b&c'],
    ['{{ count "a|b" "abab" }}', '4'],
    ['{{ count "o" "foo" }}', '2'],
    ['{{ regexReplaceAll "(a*)bc" "xaabcx" "${1}W" }}', 'xaaWx'],
    ['{{ regexReplaceAll "(?P<k>\\\\w+)=(\\\\d+)" "a=1 b=2" "$2:$k" }}', '1:a 2:b'],
    ['{{ regexReplaceAll "a(x*)b" "-ab-axxb-" "$1W" }}', '---'],
    ['{{ regexReplaceAll "a" "aa" "$$" }}', '$$'],
    ['{{ regexReplaceAllLiteral "(ts=)" "ts=1" "timestamp=" }}', 'timestamp=1'],
    ['{{ regexReplaceAllLiteral "a" "aa" "$1" }}', '$1$1'],
    ['{{ len "héllo" }}', '6'],
    ['{{ print "a" 1 2 "b" }}', 'a1 2b'],
    ['{{ println "a" 1 }}', 'a 1\n'],
    ['{{ urlquery "a b" }}', 'a+b'],
    ['{{ html "<a href=\'x\'>" }}', '&lt;a href=&#39;x&#39;&gt;'],
    ['{{ slice "hello" 1 3 }}', 'el'],
    ['{{ index (fromJson "{\\"a\\":[1,\\"x\\"]}") "a" }}', '[1 x]'],
    ['{{ (fromJson "{\\"foo\\": 55}").foo }}', '55'],
    ['{{ range $q := fromJson .qs }}[{{ $q.query }}]{{ end }}', '[a][b]'],
    ['{{ range $i, $v := fromJson "[\\"x\\",\\"y\\"]" }}{{$i}}={{$v}};{{ else }}none{{ end }}', '0=x;1=y;'],
    ['{{ fromJson "not json" }}', ''],
  ];
  for (const [tpl, want] of cases) assert.equal(render(tpl, { qs: '[{"query":"a"},{"query":"b"}]' }), want, tpl);
});

test('math functions print like Go', () => {
  const cases: Array<[string, string]> = [
    ['{{ add 3 2 5 }}', '10'],
    ['{{ add "3" 2 }}', '5'],
    ['{{ sub 5 2 }}', '3'],
    ['{{ mul 5 2 3 }}', '30'],
    ['{{ div 10 3 }}', '3'],
    ['{{ div .duration 1000 }}', '3'],
    ['{{ mod 10 3 }}', '1'],
    ['{{ addf 3.5 2 5 }}', '10.5'],
    ['{{ subf 5.5 2 1.5 }}', '2'],
    ['{{ mulf 5.5 2 2.5 }}', '27.5'],
    ['{{ divf 10 2 4 }}', '1.25'],
    ['{{ mulf 1.1 3 }} {{ addf 0.1 0.2 }} {{ subf 0.3 0.1 }} {{ divf 1 3 }} {{ divf 2 3 }}', '3.3 0.3 0.2 0.3333333333333333 0.6666666666666667'],
    ['{{ mulf 1e300 1e300 }} {{ addf 1e-7 1 }} {{ mulf -2.5 4 }}', '+Inf 1.0000001 -10'],
    ['{{ max 1 2 3 }}{{ min 1 2 3 }}', '31'],
    ['{{ maxf 1 2.5 3 }} {{ minf 1.5 2.5 3 }}', '3 1.5'],
    ['{{ ceil 123.001 }} {{ floor 123.9999 }}', '124 123'],
    ['{{ round 123.555555 3 }}', '123.556'],
    ['{{ round 123.88571428571 5 .2 }}', '123.88572'],
    ['{{ "3" | int }} {{ "3.5" | int }} {{ "x" | int }}', '3 0 0'],
    ['{{ "3.5" | float64 }}', '3.5'],
    ['{{ mulf 1000000 1 }} {{ 0.00001 }} {{ 123456.0 }} {{ 1e21 }}', '1e+06 1e-05 123456 1e+21'],
    ['{{ duration "1m30s" }} {{ duration_seconds "250ms" }}', '90 0.25'],
    ['{{ bytes "2KiB" }}', '2048'],
  ];
  for (const [tpl, want] of cases) assert.equal(render(tpl, { duration: '3000' }), want, tpl);
  assert.throws(() => render('{{ div 1 0 }}'), /divide by zero/);
});

test('printf verbs, width and precision', () => {
  const cases: Array<[string, unknown[], string]> = [
    ['The IP address was %s', ['129.168.1.1'], 'The IP address was 129.168.1.1'],
    ['%-10.4s|', ['abcdefgh'], 'abcd      |'],
    ['%15.15s|', ['short'], '          short|'],
    ['%d %5d %-5d| %05d %+d', [42n, 42n, 42n, 42n, 42n], '42    42 42   | 00042 +42'],
    ['%x %X %o %b %#x', [255n, 255n, 8n, 5n, 255n], 'ff FF 10 101 0xff'],
    ['%f %.2f %8.3f %e %g', [3.14159, 3.14159, 3.14159, 1234.5678, 0.000012], '3.141590 3.14    3.142 1.234568e+03 1.2e-05'],
    ['%q %v %t', ['a"b', 1.5, true], '"a\\"b" 1.5 true'],
    ['%x', ['hi'], '6869'],
    ['%d', ['str'], '%!d(string=str)'],
    ['%s %s', ['a'], 'a %!s(MISSING)'],
    ['%s', ['a', 'b'], 'a%!(EXTRA string=b)'],
    ['100%%', [], '100%'],
    ['%T %T', [1n, 'x'], 'int string'],
  ];
  for (const [f, args, want] of cases) assert.equal(goSprintf(f, args as never), want, f);
  assert.equal(render('{{ printf "%-5.5s|%3d" .m 7 }}', { m: 'GETTING' }), 'GETTI|  7');
});

test('time functions', () => {
  assert.equal(render('{{ __timestamp__ }}'), '2023-11-14 22:13:20.123456789 +0000 UTC');
  assert.equal(render('{{ __timestamp__ | date "2006-01-02T15:04:05.00Z07:00" }}'), '2023-11-14T22:13:20.12Z');
  assert.equal(render('{{ __timestamp__ | date "Mon Jan _2 3:04:05 PM 2006 MST .000000 .999" }}'), 'Tue Nov 14 10:13:20 PM 2023 UTC .123456 .123');
  assert.equal(render('{{ __timestamp__ | unixEpoch }} {{ __timestamp__ | unixEpochMillis }} {{ __timestamp__ | unixEpochNanos }}'), '1700000000 1700000000123 1700000000123456789');
  assert.equal(render('{{ toDateInZone "2006-01-02" "UTC" "2021-11-02" | unixEpoch }}'), '1635811200');
  assert.equal(render('{{ toDateInZone "2006-01-02 15:04" "America/New_York" "2021-07-01 12:00" | unixEpoch }}'), '1625155200');
  assert.equal(render('{{ .foo | toDateInZone "2006-01-02T15:04:05.999999999Z07:00" "UTC" | unixEpochNanos }}', { foo: '2021-11-02T10:00:00.5+01:00' }), '1635843600500000000');
  assert.equal(render('{{ toDate "2006-01-02" "garbage" | unixEpoch }}'), '-62135596800', 'unparsable dates give Go zero time');
  assert.equal(render('{{ date "2006-01-02" (unixToTime .from) }}', { from: '1679577215' }), '2023-03-23');
  assert.equal(render('{{ unixToTime "1679577215000" | unixEpoch }}'), '1679577215');
  assert.equal(render('{{ date "2006" 0 }}'), '1970');
  assert.equal(
    render('{{ toDateInZone "2006-01-02 15:04" "America/New_York" "2021-01-15 12:00" | date "15:04 MST -07:00" }}'),
    '17:00 UTC +00:00',
    'date formats in the Local zone',
  );
  const now = Number(render('{{ unixEpoch now }}'));
  assert.ok(Math.abs(now - Date.now() / 1000) < 5);
  assert.throws(() => render('{{ unixToTime "12" }}'), /unable to parse time/);
});

test('compile-time errors: unknown functions and bad syntax', () => {
  for (const bad of ['{{ nope .x }}', '{{ .x | nope }}', '{{ if .x }}', '{{ end }}', '{{ .x', '{{ "unterminated }}', '{{ else }}', '{{ define "x" }}{{ end }}', '{{ (.x }}', '{{ if }}{{ end }}']) {
    assert.throws(() => new Template(bad), (e: unknown) => e instanceof LogwharfError && e.code === 'parse_error', bad);
    assert.throws(() => compilePipeline([lineFormat(bad)]), LogwharfError, bad);
  }
  assert.throws(() => compilePipeline([{ kind: 'label_format', items: [{ dst: 'a', template: '{{ zz }}' }] }]), /function "zz" not defined/);
  assert.throws(() => new Template('{{ ' + '('.repeat(100_000) + '1' + ')'.repeat(100_000) + ' }}'), LogwharfError);
  assert.throws(() => new Template('{{ if 1 }}'.repeat(100_000)), LogwharfError);
});

test('execution errors set TemplateFormatErr and keep the line', () => {
  const r = run([lineFormat('{{ ToUpper 5 }}')], 'orig', {})!;
  assert.equal(r.line, 'orig');
  assert.equal(r.labels.__error__, 'TemplateFormatErr');
  assert.match(r.labels.__error_details__!, /ToUpper/);
  const r2 = run([lineFormat('{{ repeat 100000000 "xxxxxxxxxx" }}')], 'orig', {})!;
  assert.equal(r2.labels.__error__, 'TemplateFormatErr');
  const r3 = run([lineFormat('{{ .a.b }}')], 'orig', { a: 'str' })!;
  assert.equal(r3.labels.__error__, 'TemplateFormatErr');
  // A missing label is "" (missingkey=zero), not an error.
  const r4 = run([lineFormat('[{{ ToUpper .missing }}]')], 'orig', {})!;
  assert.equal(r4.line, '[]');
  assert.equal(r4.labels.__error__, undefined);
});

test('line_format rewrites the line from labels', () => {
  const r = run([logfmt(), lineFormat('{{.ip}} {{.status}} {{div .duration 1000}}')], 'ip=1.1.1.1 status=200 duration=3000', {})!;
  assert.equal(r.line, '1.1.1.1 200 3');
  assert.equal(run([lineFormat('constant')], 'x')!.line, 'constant');
  assert.equal(run([lineFormat('{{ .job }}: {{ __line__ }}')], 'msg', { job: 'api' })!.line, 'api: msg');
});

test('label_format: rename, template, override of a stream label; templates see pre-stage values', () => {
  const lf = (...items: Array<{ dst: string; rename?: string; template?: string }>) => ({ kind: 'label_format' as const, items });
  assert.deepEqual({ ...run([logfmt(), lf({ dst: 'lvl', rename: 'level' })], 'level=info', { job: 'x' })!.labels }, { job: 'x', lvl: 'info' });
  assert.deepEqual({ ...run([lf({ dst: 'job', template: '{{ .job | ToUpper }}-{{ .env }}' })], 'l', { job: 'api', env: 'prod' })!.labels }, { job: 'API-prod', env: 'prod' });
  assert.deepEqual(
    { ...run([lf({ dst: 'a', template: '{{ .b }}' }, { dst: 'b', template: '{{ .a }}' })], 'l', { a: '1', b: '2' })!.labels },
    { a: '2', b: '1' },
  );
  assert.deepEqual({ ...run([lf({ dst: 'dst', template: '{{ .src }}' })], 'l', { src: 'v' })!.labels }, { src: 'v', dst: 'v' });
  assert.deepEqual({ ...run([lf({ dst: 'x', rename: 'absent' })], 'l', { a: '1' })!.labels }, { a: '1' });
  assert.throws(() => compilePipeline([lf({ dst: 'a', rename: 'b' }, { dst: 'a', template: 'x' })]), /more than once/);
  const stream = { job: 'api' };
  run([lf({ dst: 'job', template: 'changed' })], 'l', stream);
  assert.deepEqual(stream, { job: 'api' });
});
