import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { LokiClient, LokiClientError, PUSH_ENCODERS, errorMessageOf } from '../../../src/api/client.js';
import type { WireTailFrame } from '../../../src/api/envelope.js';
import { closedPortUrl, startFakeLoki, T0, type FakeLoki } from '../cli/fake-loki.js';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startWebhookReceiver } from '../../helpers/webhook-receiver.js';
import { waitFor } from '../../helpers/wait-for.js';

let loki: FakeLoki;
before(async () => {
  loki = await startFakeLoki();
});
after(() => loki.close());

function last() {
  return loki.requests.at(-1)!;
}

function lastRequest(path: string) {
  return loki.requests.filter((r) => r.path === path).at(-1)!;
}

test('query_range sends Loki parameters as integers and decodes the envelope', async () => {
  const c = new LokiClient({ addr: loki.url, tenant: 'team-a' });
  const res = await c.queryRange('{job="api"}', { start: T0, end: T0 + 10n, limit: 5, direction: 'forward', step: 1_500_000_000n });
  assert.equal(res.status, 'success');
  assert.equal(res.data.resultType, 'streams');
  const r = last();
  assert.equal(r.path, '/loki/api/v1/query_range');
  assert.equal(r.search.get('query'), '{job="api"}');
  assert.equal(r.search.get('start'), T0.toString());
  assert.equal(r.search.get('end'), (T0 + 10n).toString());
  assert.equal(r.search.get('limit'), '5');
  assert.equal(r.search.get('direction'), 'forward');
  assert.equal(r.search.get('step'), '1.5');
  assert.equal(r.headers['x-scope-orgid'], 'team-a');
});

test('instant query, labels, label values (absent data = empty), series, index stats, buildinfo', async () => {
  const c = new LokiClient({ addr: loki.url + '/' });
  assert.equal((await c.query('sum(x)', { time: T0 })).data.resultType, 'vector');
  assert.equal(last().search.get('time'), T0.toString());
  assert.deepEqual(await c.labels({ start: T0, end: T0 + 1n, query: '{a="b"}' }), ['job', 'env']);
  assert.equal(last().search.get('query'), '{a="b"}');
  assert.deepEqual(await c.labelValues('job'), ['api', 'web']);
  assert.deepEqual(await c.labelValues('nothing/../here'), []);
  assert.equal(last().path, '/loki/api/v1/label/nothing%2F..%2Fhere/values');
  assert.equal((await c.series(['{job="api"}', '{job="web"}'])).length, 2);
  assert.deepEqual(last().search.getAll('match[]'), ['{job="api"}', '{job="web"}']);
  assert.deepEqual(await c.indexStats('{job="api"}'), { streams: 2, chunks: 3, bytes: 100, entries: 3 });
  assert.equal((await c.buildInfo()).version, '3.4.0');
});

test('auth headers: bearer wins over basic', async () => {
  await new LokiClient({ addr: loki.url, username: 'u', password: 'p:w' }).labels();
  assert.equal(last().headers.authorization, 'Basic ' + Buffer.from('u:p:w').toString('base64'));
  await new LokiClient({ addr: loki.url, username: 'u', bearerToken: 'tok' }).labels();
  assert.equal(last().headers.authorization, 'Bearer tok');
});

test('a path prefix in the address is kept', async () => {
  const c = new LokiClient({ addr: loki.url + '/gateway' });
  await assert.rejects(c.labels(), (e: LokiClientError) => e.status === 404);
  assert.equal(last().path, '/gateway/loki/api/v1/labels');
});

test('server errors carry the status and the server’s plain-text message', async () => {
  const c = new LokiClient({ addr: loki.url });
  await assert.rejects(c.queryRange('{a="b"} syntax'), (e: unknown) => {
    assert.ok(e instanceof LokiClientError);
    assert.equal(e.status, 400);
    assert.equal(e.message, 'GET /loki/api/v1/query_range: 400 Bad Request: parse error at line 1, col 8: syntax error: unexpected IDENTIFIER');
    return true;
  });
  await assert.rejects(c.queryRange('boom'), /500 Internal Server Error: internal error \(request id 42\)/);
  await assert.rejects(new LokiClient({ addr: loki.url, tenant: 'forbidden' }).labels(), /401 Unauthorized: no org id/);
});

test('unreachable server and bad addresses are explained', async () => {
  const dead = await closedPortUrl();
  await assert.rejects(new LokiClient({ addr: dead }).labels(), (e: LokiClientError) => e.status === undefined && e.message === `GET ${dead}/loki/api/v1/labels failed (ECONNREFUSED)`);
  assert.throws(() => new LokiClient({ addr: 'localhost:3100' }), /scheme must be http or https/);
  assert.throws(() => new LokiClient({ addr: 'not a url' }), /invalid address/);
});

test('a very long query goes as a form POST', async () => {
  const q = '{job="api"} |= "' + 'x'.repeat(10_000) + '"';
  await new LokiClient({ addr: loki.url }).queryRange(q);
  assert.equal(last().method, 'POST');
  assert.equal(last().search.get('query'), q);
});

test('push: protobuf+snappy by default, JSON on request, structured metadata kept', async () => {
  const before = loki.pushes.length;
  const req = { streams: [{ labels: { job: 'x' }, entries: [{ ts: 5n, line: 'a' }, { ts: 6n, line: 'b', metadata: { trace_id: 't' } }] }] };
  await new LokiClient({ addr: loki.url }).push(req);
  await new LokiClient({ addr: loki.url }).push(req, PUSH_ENCODERS.json);
  assert.equal(lastRequest('/loki/api/v1/push').headers['content-type'], 'application/json');
  const expected = [{ stream: { job: 'x' }, values: [['5', 'a'], ['6', 'b', { trace_id: 't' }]] }];
  assert.deepEqual(loki.pushes.slice(before), [expected, expected]);
  assert.deepEqual(loki.pushFormats.slice(before), ['protobuf', 'json']);
  await assert.rejects(new LokiClient({ addr: loki.url }).push({ streams: [{ labels: { job: 'x' }, entries: [{ ts: 1n, line: 'REJECT' }] }] }), /400 Bad Request: entry rejected/);
});

test('tail receives frames, sends parameters and tenant, and closes cleanly', async () => {
  loki.tailFrames.length = 0;
  loki.tailFrames.push({ streams: [{ stream: { job: 'api' }, entries: [{ ts: T0, line: 'hello' }] }] }, { streams: [], droppedEntries: [{ labels: { job: 'api' }, ts: T0 }] });
  const frames: WireTailFrame[] = [];
  const c = new LokiClient({ addr: loki.url, tenant: 't1' });
  let handle!: ReturnType<LokiClient['tail']>;
  const got = new Promise<void>((resolve) => {
    handle = c.tail('{job="api"}', { delayFor: 2, limit: 10, start: T0 }, (f) => {
      frames.push(f);
      if (frames.length === 2) resolve();
    });
  });
  await got;
  handle.close();
  await handle.done;
  assert.deepEqual(frames[0], { streams: [{ stream: { job: 'api' }, values: [[T0.toString(), 'hello']] }] });
  assert.deepEqual(frames[1]!.dropped_entries, [{ timestamp: T0.toString(), labels: { job: 'api' } }]);
  const r = loki.requests.filter((x) => x.path === '/loki/api/v1/tail').at(-1)!;
  assert.equal(r.search.get('delay_for'), '2');
  assert.equal(r.search.get('limit'), '10');
  assert.equal(r.search.get('start'), T0.toString());
  assert.equal(r.headers['x-scope-orgid'], 't1');
});

test('tail errors: HTTP refusal, server close with reason, unreachable', async () => {
  loki.tailFrames.length = 0;
  const c = new LokiClient({ addr: loki.url });
  await assert.rejects(c.tail('{a="b"} syntax', {}, () => {}).done, (e: LokiClientError) => e.status === 400 && /400 Bad Request: parse error at line 1, col 8/.test(e.message));
  await assert.rejects(c.tail('{a="fail"}', {}, () => {}).done, /tail closed by the server \(code 1011\): tail failed: store unavailable/);
  await c.tail('{a="end"}', {}, () => {}).done; // a normal close resolves
  const dead = await closedPortUrl();
  await assert.rejects(new LokiClient({ addr: dead }).tail('{a="b"}', {}, () => {}).done, { message: `tail: cannot connect to ${dead.replace('http', 'ws')} (ECONNREFUSED)` });
});

test('error bodies: plain text, Prometheus JSON, long text', () => {
  assert.equal(errorMessageOf('bad thing\n'), 'bad thing');
  assert.equal(errorMessageOf('{"status":"error","errorType":"bad_data","error":"invalid"}'), 'invalid');
  assert.equal(errorMessageOf('{not json'), '{not json');
  assert.equal(errorMessageOf('x'.repeat(5000)).length, 2001);
});

test('a success answer that is not JSON is reported, not crashed on', async () => {
  await assert.rejects(new LokiClient({ addr: loki.url, tenant: 'not-json' }).labels(), /GET \/loki\/api\/v1\/labels: the server answered 200 with a body that is not JSON: hello/);
});

test('malformed query responses are reported with what is wrong', async () => {
  const c = new LokiClient({ addr: loki.url, tenant: 'malformed' });
  await assert.rejects(c.queryRange('numts'), { message: 'GET /loki/api/v1/query_range: unexpected response: an entry is not ["<ns>", "<line>"]: [1,"x"]' });
  await assert.rejects(c.queryRange('nodata'), /unexpected response: no data/);
  await assert.rejects(c.query('error'), /unexpected response: status is "error", not "success"/);
  await assert.rejects(c.queryRange('weird'), /unknown resultType "histogram"/);
  await assert.rejects(c.query('badvec'), /a sample is not \[<seconds>, "<value>"\]/);
  assert.deepEqual(await c.labels(), [], 'an empty object is an empty list');
  await assert.rejects(c.labels({ query: 'labels' }), /GET \/loki\/api\/v1\/labels: unexpected response: data is not a list of strings/);
  await assert.rejects(c.series(['labels']), /data is not a list of label sets/);
});

test('post: any path under the base URL, a per-request tenant and headers, the status, Retry-After, and abort', async (t) => {
  const rx = await startWebhookReceiver({ respond: 202 });
  t.after(() => rx.close());
  const c = new LokiClient({ addr: rx.url + 'prefix', tenant: 'default', bearerToken: 'tok', headers: { 'User-Agent': 'me/1' } });
  await c.post('api/v2/alerts', { contentType: 'application/json', body: '[]' }, { tenant: 'team-b', headers: { 'X-Extra': '1', authorization: 'not this', 'x-scope-orgid': 'nor this' } });
  const r = rx.requests[0]!;
  assert.equal(r.path, '/prefix/api/v2/alerts');
  assert.deepEqual([r.headers['x-scope-orgid'], r.headers['x-extra'], r.headers.authorization, r.headers['user-agent']], ['team-b', '1', 'Bearer tok', 'me/1']);
  assert.equal(r.body.toString(), '[]');
  rx.respondWith(503);
  await assert.rejects(c.post('x', { contentType: 'text/plain', body: 'a' }), (e: LokiClientError) => e.status === 503 && e.message === 'POST /prefix/x: 503 Service Unavailable: answering 503 as told');
  rx.respondWith('hang');
  const abort = new AbortController();
  const hung = c.post('x', { contentType: 'text/plain', body: 'a' }, { signal: abort.signal });
  await waitFor('the hanging request', () => rx.requests.length === 3);
  abort.abort();
  await assert.rejects(hung, (e: LokiClientError) => e.status === undefined && /POST http:\/\/127\.0\.0\.1:\d+\/prefix\/x aborted/.test(e.message));
  await assert.rejects(new LokiClient({ addr: rx.url, timeoutMs: 100 }).post('x', { contentType: 'text/plain', body: 'a' }), /POST http:\/\/127\.0\.0\.1:\d+\/x timed out/);
});

test('post: Retry-After of a 429 is kept on the error', async (t) => {
  const srv = createHttpServer((_req, res) => res.writeHead(429, { 'retry-after': '7' }).end('slow down'));
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  t.after(() => srv.close());
  const c = new LokiClient({ addr: `http://127.0.0.1:${(srv.address() as AddressInfo).port}` });
  await assert.rejects(c.post('w', { contentType: 'text/plain', body: '' }), (e: LokiClientError) => e.status === 429 && e.retryAfter === '7');
});
