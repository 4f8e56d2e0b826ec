// Queries written as users write them: parsed by the LogQL parser, run through the pipeline.
// Go's Local zone is the process zone; pin it so expected times do not depend on the machine.
process.env.TZ = 'UTC';

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLogExpr } from '../../../../src/logql/syntax/index.js';
import { compilePipeline, extractFilterHints } from '../../../../src/logql/pipeline/compile.js';
import { matchesAll } from '../../../../src/logql/matchers.js';
import { LogwharfError } from '../../../../src/api/errors.js';
import type { Labels } from '../../../../src/api/model.js';

interface Out {
  line: string;
  labels: Labels;
}

function query(q: string, lines: string[], stream: Labels = { job: 'app' }): Out[] {
  const expr = parseLogExpr(q);
  if (!matchesAll(expr.matchers, stream)) return [];
  const sp = compilePipeline(expr.pipeline).forStream(stream);
  const out: Out[] = [];
  lines.forEach((l, i) => {
    const r = sp.process(BigInt(i), l);
    if (r) out.push({ line: r.line, labels: { ...r.labels } });
  });
  return out;
}

const LOGFMT = [
  'level=info ts=2024-05-01T00:00:00Z caller=api.go:10 msg="request done" method=GET path=/api/users status=200 duration=12ms size=1.2KB client=10.0.0.7',
  'level=error ts=2024-05-01T00:00:01Z caller=api.go:20 msg="upstream timeout" method=POST path=/api/orders status=504 duration=30s size=0B client=192.168.1.20',
  'level=warn ts=2024-05-01T00:00:02Z caller=db.go:5 msg="slow query" method=GET path=/api/orders status=200 duration=1.5s size=20MB client=10.0.0.9',
];

test('line filters, logfmt and label filters from query text', () => {
  assert.deepEqual(
    query('{job="app"} |= "api" != "db.go" | logfmt | status >= 500 or duration > 1s', LOGFMT).map((r) => r.labels.level),
    ['error'],
  );
  assert.deepEqual(query('{job="app"} | logfmt | duration > 1s and size > 1MB', LOGFMT).map((r) => r.labels.level), ['warn']);
  assert.deepEqual(query('{job="app"} | logfmt | level=~"warn|error", method="GET"', LOGFMT).map((r) => r.labels.level), ['warn']);
  assert.deepEqual(query('{job="app"} |~ "(?i)TIMEOUT|slow"', LOGFMT).length, 2);
  assert.deepEqual(query('{job="app"} |= "GET" or "POST" |= ip("192.168.0.0/16")', LOGFMT).length, 1);
  assert.deepEqual(query('{job="app"} | logfmt | client = ip("10.0.0.0/24")', LOGFMT).length, 2);
  assert.deepEqual(query('{job="other"} |= "api"', LOGFMT), []);
});

test('formatting and label manipulation from query text', () => {
  const r = query('{job="app"} | logfmt | line_format "{{.method}} {{.path}} {{.status}} {{ .duration | duration_seconds }}s" | label_format lvl=level | drop caller, ts', LOGFMT);
  assert.equal(r[1]!.line, 'POST /api/orders 504 30s');
  assert.equal(r[2]!.line, 'GET /api/orders 200 1.5s');
  assert.equal(r[0]!.labels.lvl, 'info');
  assert.equal(r[0]!.labels.level, undefined);
  assert.equal(r[0]!.labels.caller, undefined);
  const k = query('{job="app"} | logfmt | keep level, method="GET"', LOGFMT);
  assert.deepEqual(k.map((x) => x.labels), [{ level: 'info', method: 'GET' }, { level: 'error' }, { level: 'warn', method: 'GET' }]);
  const t = query('{job="app"} | logfmt | line_format `{{ if eq .level "error" }}E {{ .msg | ToUpper }}{{ else }}-{{ end }}`', LOGFMT);
  assert.deepEqual(t.map((x) => x.line), ['-', 'E UPSTREAM TIMEOUT', '-']);
});

test('json, pattern, regexp and unpack from query text', () => {
  const J = ['{"level":"info","http":{"method":"GET","status":200},"servers":["a","b"]}', 'not json at all'];
  const j = query('{job="app"} | json | __error__=""', J);
  assert.deepEqual(j.map((x) => x.labels), [{ job: 'app', level: 'info', http_method: 'GET', http_status: '200' }]);
  const e = query('{job="app"} | json', J);
  assert.equal(e[1]!.labels.__error__, 'JSONParserErr');
  assert.deepEqual(query('{job="app"} | json first="servers[0]", st="http.status"', J)[0]!.labels, { job: 'app', first: 'a', st: '200' });
  assert.deepEqual(query('{job="app"} | json | drop __error__, __error_details__', J)[1]!.labels, { job: 'app' });
  const p = query('{job="app"} | pattern `<ip> - - <_> "<method> <uri> <_>" <status> <_>`', ['10.1.2.3 - - [x] "GET /a HTTP/1.1" 200 5']);
  assert.deepEqual(p[0]!.labels, { job: 'app', ip: '10.1.2.3', method: 'GET', uri: '/a', status: '200' });
  const rx = query('{job="app"} | regexp `(?P<method>\\w+) (?P<path>\\S+)`', ['GET /x']);
  assert.deepEqual(rx[0]!.labels, { job: 'app', method: 'GET', path: '/x' });
  const u = query('{job="app"} | unpack | line_format "{{.pod}}: {{ __line__ }}"', ['{"pod":"p1","_entry":"hello"}']);
  assert.equal(u[0]!.line, 'p1: hello');
  assert.equal(query('{job="app"} |> "<_> error <_>"', ['an error here', 'fine']).length, 1);
  assert.equal(query('{job="app"} | decolorize |= "red"', ['\x1b[31mred\x1b[0m']).length, 1);
});

test('compile-time errors surface as parse errors', () => {
  for (const q of [
    '{job="app"} |~ "("',
    '{job="app"} | regexp "(\\\\w+)"',
    '{job="app"} | line_format "{{ nope }}"',
    '{job="app"} | pattern "<_>"',
    '{job="app"} |= ip("999.1.1.1")',
  ]) {
    assert.throws(
      () => compilePipeline(parseLogExpr(q).pipeline),
      (err: unknown) => err instanceof LogwharfError && err.code === 'parse_error',
      q,
    );
  }
});

test('filter hints from query text', () => {
  assert.deepEqual(extractFilterHints(parseLogExpr('{job="a"} |= "x" or "y" |~ "(?i)err" | json |= "z" | line_format "{{.a}}" |= "w"').pipeline), {
    required: [['x', 'y'], ['z']],
    requiredInsensitive: [['err']],
  });
});

test('examples from the LogQL documentation', () => {
  const metrics = 'level=info caller=metrics.go:1 duration=12.5s throughput_mb=100 query="sum(x)"';
  assert.equal(
    query('{container="query-frontend",namespace="loki-dev"} |= "metrics.go" | logfmt | duration > 10s and throughput_mb < 500', [metrics], {
      container: 'query-frontend',
      namespace: 'loki-dev',
    }).length,
    1,
  );
  const doc = '{"protocol":"HTTP/2.0","servers":["129.0.1.1","10.2.1.3"],"request":{"time":"6.032","method":"GET","host":"foo.grafana.net","size":"55","headers":{"Accept":"*/*","User-Agent":"curl/7.68.0"}},"response":{"status":401,"size":"228","latency_seconds":"6.031"}}';
  assert.deepEqual(query('{job="app"} | json first_server="servers[0]", ua="request.headers[\\"User-Agent\\"]"', [doc])[0]!.labels, {
    job: 'app',
    first_server: '129.0.1.1',
    ua: 'curl/7.68.0',
  });
  const fwd = 'at=info method=GET path=/ host=grafana.net fwd="124.133.124.161" service=8ms status=200 standalone';
  assert.deepEqual(query('{job="app"} | logfmt --strict --keep-empty host, fwd_ip="fwd", standalone', [fwd])[0]!.labels, {
    job: 'app',
    host: 'grafana.net',
    fwd_ip: '124.133.124.161',
    standalone: '',
  });
  assert.equal(
    query('{job="app"} | logfmt | duration >= 20ms or size == 20KB and method!~"2.."', ['duration=30ms size=20KB method=GET']).length,
    1,
  );
  const epoch = query(
    '{job="app"} | logfmt | label_format nowEpoch=`{{(unixEpoch now)}}`,createDateEpoch=`{{unixEpoch (toDate "2006-01-02" .createDate)}}` | label_format dateTimeDiff=`{{sub .nowEpoch .createDateEpoch}}` | dateTimeDiff > 86400',
    ['createDate=2020-01-01', `createDate=${new Date().toISOString().slice(0, 10)}`],
  );
  assert.equal(epoch.length, 1);
  assert.equal(epoch[0]!.labels.createDate, '2020-01-01');
  assert.equal(query('{job="app"} | logfmt | line_format "{{.ip}} {{.status}} {{div .duration 1000}}"', ['ip=1.1.1.1 status=200 duration=3000'])[0]!.line, '1.1.1.1 200 3');
});
