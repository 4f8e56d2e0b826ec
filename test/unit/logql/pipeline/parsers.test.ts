import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compilePipeline } from '../../../../src/logql/pipeline/compile.js';
import type { PipelineStage } from '../../../../src/logql/syntax/ast.js';
import { LogwharfError } from '../../../../src/api/errors.js';
import { json, labelsOf, logfmt, run } from './helpers.js';

const regexp = (pattern: string): PipelineStage => ({ kind: 'regexp', pattern });
const pattern = (p: string): PipelineStage => ({ kind: 'pattern', pattern: p });
const unpack: PipelineStage = { kind: 'unpack' };
const decolorize: PipelineStage = { kind: 'decolorize' };

test('json flattens nested objects with _, skips arrays and nulls, keeps scalars as written', () => {
  const line = JSON.stringify({
    protocol: 'HTTP/2.0',
    servers: ['129.0.1.1', '10.2.1.3'],
    request: { time: '6.032', method: 'GET', headers: { Accept: '*/*', 'User-Agent': 'curl/7.68.0' } },
    response: { status: 401, ok: false, gone: null },
  }).replace('401', '401.50');
  assert.deepEqual(labelsOf([json()], line, {}), {
    protocol: 'HTTP/2.0',
    request_time: '6.032',
    request_method: 'GET',
    request_headers_Accept: '*/*',
    request_headers_User_Agent: 'curl/7.68.0',
    response_status: '401.50',
    response_ok: 'false',
  });
});

test('json: big integers keep every digit; escapes are decoded; keys sanitised', () => {
  const l = labelsOf([json()], '{"id": 12345678901234567890, "msg": "a\\"b\\u00e9\\n", "a.b": {"c": "d"}, "1st": "x", " sp ace ": "y", "ünï": "z", "😀k": "e"}', {});
  assert.deepEqual(l, { id: '12345678901234567890', msg: 'a"bé\n', a_b_c: 'd', _1st: 'x', sp_ace: 'y', _n_: 'z', _k: 'e' });
});

test('json: escapes anywhere in the line; keys repeated across lines with changing shapes', () => {
  const stages = [json()];
  const p = compilePipeline(stages).forStream({});
  const lines = [
    '{"a":"plain","b":"q\\"uote","c":"tail","d":{"e":"1"}}',
    '{"a":"x\\\\","b":"plain","c":"t\\u0041","d":{"f":"2"}}',
    '{"a\\"k":"esc-key","b":"p","d":"scalar now"}',
    '{"d":{"e":{"g":"deep"}},"a":"reordered"}',
    '{"a":"plain","b":"q\\"uote","c":"tail","d":{"e":"1"}}',
  ];
  const got = lines.map((l) => ({ ...p.process(0n, l)!.labels }));
  assert.deepEqual(got, [
    { a: 'plain', b: 'q"uote', c: 'tail', d_e: '1' },
    { a: 'x\\', b: 'plain', c: 'tA', d_f: '2' },
    { a_k: 'esc-key', b: 'p', d: 'scalar now' },
    { d_e_g: 'deep', a: 'reordered' },
    { a: 'plain', b: 'q"uote', c: 'tail', d_e: '1' },
  ]);
  const withParams = compilePipeline([json(['x', 'a'], ['y', 'c'])]).forStream({});
  assert.deepEqual({ ...withParams.process(0n, '{"a":"1\\"","b":"\\\\","c":"3"}')!.labels }, { x: '1"', y: '3' });
});

test('json: collisions with stream labels get _extracted; the last value of a repeated key wins (Loki 2.8, JSON.parse)', () => {
  assert.deepEqual(labelsOf([json()], '{"job":"j","level":"a","level":"b"}', { job: 'x' }), { job: 'x', job_extracted: 'j', level: 'b' });
  assert.deepEqual(labelsOf([json()], '{"job":"j","job":"k","level":"a"}', { job: 'x' }), { job: 'x', job_extracted: 'k', level: 'a' });
  // The case, in every JSON form.
  const line = '{"trace_id":"a","msg":"m","trace_id":"b"}';
  assert.equal(labelsOf([json()], line, {})?.trace_id, 'b');
  assert.equal(labelsOf([json(['trace_id', 'trace_id'])], line, {})?.trace_id, 'b');
  assert.equal(labelsOf([unpack], line, {})?.trace_id, 'b');
  // Nested: the last object's fields; a later key sanitised to the same name also replaces.
  assert.deepEqual(labelsOf([json()], '{"a":{"b":"1"},"a":{"b":"2"},"a-b":"3"}', {}), { a_b: '3' });
  assert.equal(labelsOf([json(['x', 'a.b'])], '{"a":{"b":"1"},"a":{"c":"2"}}', {})?.x, '');
  assert.equal(labelsOf([json(['x', 'a.b'])], '{"a":{"b":"1"},"a":{"b":"2\\"q"}}', {})?.x, '2"q');
  // null, arrays and objects are not values of their own for `json`: an earlier value stays.
  assert.equal(labelsOf([json()], '{"a":"1","a":null}', {})?.a, '1');
  assert.equal(labelsOf([json()], '{"a":"1","a":[2]}', {})?.a, '1');
  // A value set before this parser ran (an earlier parser's) is kept, as before.
  assert.equal(labelsOf([regexp('(?P<a>x)'), json()], '{"a":"2","b":"x"}', {})?.a, 'x');
  assert.deepEqual(labelsOf([json(), json()], '{"a":"1","a":"2"}', {}), { a: '2' });
});

test('a stream label removed earlier still makes an extracted label _extracted', () => {
  assert.deepEqual(labelsOf([{ kind: 'drop', items: [{ name: 'job' }] }, json()], '{"job":"j"}', { job: 'x' }), { job_extracted: 'j' });
  assert.deepEqual(labelsOf([json()], '{"a":"1"}', { ['__proto__']: 'p' } as Record<string, string>)?.a, '1');
});

test('json: invalid input sets JSONParserErr and keeps the line', () => {
  for (const bad of ['not json', '{"a":', '{"a":1,}', '[1,2]', '"str"', '{"a":tru}', '{"a":1} x', '']) {
    const r = run([json()], bad, { job: 'x' });
    assert.ok(r, bad);
    assert.equal(r.labels.__error__, 'JSONParserErr', bad);
    assert.equal(typeof r.labels.__error_details__, 'string');
    assert.equal(r.line, bad);
  }
});

test('json: hostile input', () => {
  // Deeply nested objects and arrays: an error or a result, never a crash.
  const deepObj = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
  assert.equal(run([json()], deepObj)?.labels.__error__, 'JSONParserErr');
  const deepArr = '{"a":' + '['.repeat(200_000) + ']'.repeat(200_000) + ',"b":"ok"}';
  assert.deepEqual(labelsOf([json()], deepArr, {}), { b: 'ok' });
  const wide = '{' + Array.from({ length: 5000 }, (_v, i) => `"k${i}":${i}`).join(',') + '}';
  assert.equal(Object.keys(labelsOf([json()], wide, {})!).length, 5000);
  // Prototype-sensitive names are ordinary labels.
  const l = run([json()], '{"__proto__":"p","constructor":"c","toString":"t"}', {})!.labels;
  assert.equal(l['__proto__'], 'p');
  assert.equal(Object.getPrototypeOf(l), Object.prototype);
  assert.equal(l.constructor, 'c');
  assert.deepEqual(Object.keys(l).sort(), ['__proto__', 'constructor', 'toString']);
  // A lone surrogate escape or a replacement character (invalid UTF-8 upstream) drops that value.
  assert.deepEqual(labelsOf([json()], '{"a":"\\ud800","b":"ok","c":"bad\uFFFD"}', {}), { b: 'ok' });
  const huge = '{"msg":"' + 'x'.repeat(2_000_000) + '"}';
  assert.equal(run([json()], huge)?.labels.msg?.length, 2_000_000);
});

test('json with parameters: paths, arrays, objects as raw JSON, missing as empty', () => {
  const line = '{"servers":["129.0.1.1","10.2.1.3"],"request":{"headers":{"User-Agent":"curl/7.68.0","Accept":"*/*"}},"n":null,"a.b":"dot"}';
  const l = labelsOf(
    [json(['first_server', 'servers[0]'], ['ua', 'request.headers["User-Agent"]'], ['servers'], ['headers', 'request.headers'], ['missing', 'nope.x'], ['n'], ['dotted', '["a.b"]'], ['oob', 'servers[5]'])],
    line,
    {},
  );
  assert.deepEqual(l, {
    first_server: '129.0.1.1',
    ua: 'curl/7.68.0',
    servers: '["129.0.1.1","10.2.1.3"]',
    headers: '{"User-Agent":"curl/7.68.0","Accept":"*/*"}',
    missing: '',
    n: '',
    dotted: 'dot',
    oob: '',
  });
  assert.equal(run([json(['a', 'b'])], '{bad')?.labels.__error__, 'JSONParserErr');
  assert.throws(() => compilePipeline([json(['a', 'x[y'])]), (e: unknown) => e instanceof LogwharfError && e.code === 'parse_error');
});

test('logfmt: pairs, quoted values, standalone keys, --keep-empty', () => {
  const line = 'at=info method=GET path=/ host=grafana.net fwd="124.133.124.161" service=8ms status=200 msg="say \\"hi\\"\\n" flag empty=';
  assert.deepEqual(labelsOf([logfmt()], line, {}), {
    at: 'info',
    method: 'GET',
    path: '/',
    host: 'grafana.net',
    fwd: '124.133.124.161',
    service: '8ms',
    status: '200',
    msg: 'say "hi"\n',
    empty: '',
  });
  assert.equal(labelsOf([logfmt({ keepEmpty: true })], 'a=1 flag', {})!.flag, '');
  assert.deepEqual(labelsOf([logfmt({}, ['host'], ['fwd_ip', 'fwd'], ['flag'])], line, {}), { host: 'grafana.net', fwd_ip: '124.133.124.161', flag: '' });
  assert.deepEqual(labelsOf([logfmt()], 'job=a level=x level=y', { job: 's' }), { job: 's', job_extracted: 'a', level: 'x' });
  assert.deepEqual(labelsOf([logfmt()], 'a.b=1 c-d=2 3e=3', {}), { a_b: '1', c_d: '2', _3e: '3' });
});

test('logfmt: malformed pairs are skipped; --strict sets LogfmtParserErr', () => {
  for (const bad of ['=value a=1', 'foo=bar=buzz a=1', 'fo"o=bar a=1', 'a=1 b="unterminated']) {
    const l = labelsOf([logfmt()], bad, {})!;
    assert.equal(l.a, '1', bad);
    assert.equal(l.__error__, undefined, bad);
    const s = run([logfmt({ strict: true })], bad, {})!;
    assert.equal(s.labels.__error__, 'LogfmtParserErr', bad);
    assert.match(s.labels.__error_details__!, /logfmt syntax error at pos \d+/);
  }
  assert.equal(labelsOf([logfmt({ strict: true })], 'a=1 b="x y"', {})!.__error__, undefined);
  // Non-logfmt text is just skipped.
  assert.deepEqual(labelsOf([logfmt()], '', {}), {});
  assert.deepEqual(labelsOf([logfmt()], 'plain text line', {}), {});
});

test('regexp parser: named captures become labels', () => {
  const stage = regexp('(?P<method>\\w+) (?P<path>[\\w|/]+) \\((?P<status>\\d+?)\\) (?P<duration>.*)');
  assert.deepEqual(labelsOf([stage], 'POST /api/prom/api/v1/query_range (200) 1.5s', {}), {
    method: 'POST',
    path: '/api/prom/api/v1/query_range',
    status: '200',
    duration: '1.5s',
  });
  assert.deepEqual(labelsOf([stage], 'no match', {}), {});
  assert.deepEqual(labelsOf([regexp('(?P<a>x)?(?P<b>y)')], 'y', {}), { a: '', b: 'y' });
  assert.throws(() => compilePipeline([regexp('(\\w+)')]), /named capture/);
  assert.throws(() => compilePipeline([regexp('(?P<a>')]), LogwharfError);
});

test('pattern parser', () => {
  const line = '0.191.12.2 - - [10/Jun/2021:09:14:29 +0000] "GET /api/plugins/versioncheck HTTP/1.1" 200 2 "-" "Go-http-client/2.0" "13.76.247.102, 34.120.177.193" "TLSv1.2" "US" ""';
  assert.deepEqual(labelsOf([pattern('<ip> - - <_> "<method> <uri> <_>" <status> <size> <_> "<agent>" <_>')], line, {}), {
    ip: '0.191.12.2',
    method: 'GET',
    uri: '/api/plugins/versioncheck',
    status: '200',
    size: '2',
    agent: 'Go-http-client/2.0',
  });
  assert.deepEqual(labelsOf([pattern('<_> msg="<method> <path> (<status>) <latency>"')], 'level=debug ts=x msg="POST /push (204) 16.6ms"', {}), {
    method: 'POST',
    path: '/push',
    status: '204',
    latency: '16.6ms',
  });
  // Anchored at the start; when the literal after a capture is missing, that capture takes the rest
  // of the line and matching stops (Loki's pattern matcher).
  assert.deepEqual(labelsOf([pattern('GET <a> x <b>')], 'POST 1 x 2', {}), {});
  assert.deepEqual(labelsOf([pattern('<a> x <b> y')], '1 x 2', {}), { a: '1', b: '2' });
  assert.deepEqual(labelsOf([pattern('<method> <path> <status>')], 'weird line', {}), { method: 'weird', path: 'line' });
  assert.throws(() => compilePipeline([pattern('<_> foo')]), /named capture/);
  assert.throws(() => compilePipeline([pattern('<a><b>')]), /consecutive/);
  assert.throws(() => compilePipeline([pattern('<a> <a>')]), /duplicate/);
});

test('unpack: string fields become labels and _entry replaces the line', () => {
  const r = run([unpack], '{"container":"myapp","pod":"pod-3223f","_entry":"original log message","n":5,"o":{"x":"y"}}', { job: 'x' })!;
  assert.equal(r.line, 'original log message');
  assert.deepEqual({ ...r.labels }, { job: 'x', container: 'myapp', pod: 'pod-3223f' });
  const bad = run([unpack], 'plain', {})!;
  assert.equal(bad.line, 'plain');
  assert.equal(bad.labels.__error__, 'JSONParserErr');
  // unpack then json on the embedded line.
  const r2 = run([unpack, json()], '{"app":"a","_entry":"{\\"level\\":\\"warn\\"}"}', {})!;
  assert.deepEqual({ ...r2.labels }, { app: 'a', level: 'warn' });
});

test('decolorize strips ANSI sequences', () => {
  assert.equal(run([decolorize], '\x1b[31mred\x1b[0m and \x1b[1;32mbold green\x1b[m \x1b]0;title\x07done')!.line, 'red and bold green done');
  assert.equal(run([decolorize], 'plain')!.line, 'plain');
});

test('parsers chain: a later parser does not overwrite earlier labels', () => {
  const r = run([json(), { kind: 'line_format', template: '{{.log}}' }, logfmt()], '{"log":"level=warn msg=hi","level":"info"}', {})!;
  assert.equal(r.line, 'level=warn msg=hi');
  assert.equal(r.labels.level, 'info');
  assert.equal(r.labels.msg, 'hi');
});

test('structured metadata is visible to stages and returned', () => {
  const r = run([logfmt()], 'a=1 trace_id=zzz', { job: 'x' }, 0n, { trace_id: 't' })!;
  assert.deepEqual({ ...r.labels }, { job: 'x', trace_id: 't', a: '1' });
});
