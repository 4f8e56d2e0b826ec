/**
 * The kit's HTTP middleware under the real frameworks (node:http, Express, Fastify): request ids
 * read, created and propagated, response headers, one access line per request, the request metrics,
 * failing and aborted requests, hostile headers, and a request crossing two services.
 */
import { test, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import { httpMiddleware } from '../../../src/kit/http.js';
import { fastifyPlugin } from '../../../src/kit/fastify.js';
import { fetchWithContext } from '../../../src/kit/fetch.js';
import { registry } from '../../../src/kit/metrics.js';
import { parseTraceparent } from '../../../src/kit/context.js';
import { metricSum } from '../../helpers/metrics.js';
import { waitFor } from '../../helpers/wait-for.js';
import { captureKitLog, close, listen, rawHeader, rawRequest, type Line } from '../../helpers/kit-http.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

beforeEach(() => registry.resetMetrics());

function nodeServer(mw: ReturnType<typeof httpMiddleware>, handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>) {
  return createServer((req, res) => mw(req, res, () => void handler(req, res)));
}

const ids = (l: Line) => ({ request_id: l.request_id, trace_id: l.trace_id, span_id: l.span_id });

test('node:http: a request without ids gets new ones, on the response and on every line logged across awaits, timers and a downstream fetch', async () => {
  const log = captureKitLog();
  const downstream = createServer((req, res) => res.end(JSON.stringify({ rid: req.headers['x-request-id'], tp: req.headers.traceparent })));
  const downBase = await listen(downstream);
  const server = nodeServer(httpMiddleware(log.logger), async (_req, res) => {
    log.logger.info('handler start');
    await new Promise((r) => setImmediate(r));
    log.logger.info('after await');
    await new Promise<void>((r) => setTimeout(() => { log.logger.info('in timer'); r(); }, 1));
    const seen = (await (await fetchWithContext(downBase)).json()) as { rid: string; tp: string };
    log.logger.info({ seen }, 'after fetch');
    res.end('hello');
  });
  const base = await listen(server);
  try {
    const res = await fetch(base + '/x');
    assert.equal(await res.text(), 'hello');
    const rid = res.headers.get('x-request-id')!;
    assert.match(rid, UUID);
    const tp = parseTraceparent(res.headers.get('traceparent')!);
    assert.ok(tp, 'the response carries a valid traceparent');
    const access = await waitFor('the access line', () => log.access()[0]);
    assert.equal(access.request_id, rid);
    assert.equal(access.trace_id, tp.trace_id);
    assert.equal(access.span_id, tp.parent_span_id, "the response's traceparent names our span");
    assert.equal(access.parent_span_id, undefined);
    const handlerLines = log.lines.filter((l) => l.msg !== 'request completed');
    assert.deepEqual(handlerLines.map((l) => l.msg), ['handler start', 'after await', 'in timer', 'after fetch']);
    for (const l of handlerLines) assert.deepEqual(ids(l), ids(access), `line "${String(l.msg)}" carries the request's ids`);
    const seen = (handlerLines[3]!.seen as { rid: string; tp: string });
    assert.equal(seen.rid, rid, 'the downstream service got our request id');
    assert.deepEqual(parseTraceparent(seen.tp), { trace_id: tp.trace_id, parent_span_id: tp.parent_span_id, trace_flags: '01' });
  } finally {
    await close(server);
    await close(downstream);
  }
});

test('node:http: incoming X-Request-ID and traceparent are kept; the span is ours, the caller\'s becomes the parent', async () => {
  const log = captureKitLog();
  const server = nodeServer(httpMiddleware(log.logger), (_req, res) => void res.end());
  const base = await listen(server);
  try {
    const res = await fetch(base, { headers: { 'x-request-id': 'req-abc.123', traceparent: `00-${TRACE}-${PARENT}-00` } });
    await res.arrayBuffer();
    assert.equal(res.headers.get('x-request-id'), 'req-abc.123');
    const tp = parseTraceparent(res.headers.get('traceparent')!)!;
    assert.equal(tp.trace_id, TRACE);
    assert.notEqual(tp.parent_span_id, PARENT);
    assert.equal(tp.trace_flags, '00', 'the trace flags are passed on');
    const access = await waitFor('the access line', () => log.access()[0]);
    assert.equal(access.request_id, 'req-abc.123');
    assert.equal(access.trace_id, TRACE);
    assert.equal(access.parent_span_id, PARENT);
    assert.equal(access.span_id, tp.parent_span_id);
  } finally {
    await close(server);
  }
});

test("node:http: a handler that reads the body with req.on('data'/'end') still logs with the request's ids", async () => {
  // node emits a request's body events from the connection's async context; the middleware re-enters the request's.
  const log = captureKitLog();
  const server = nodeServer(httpMiddleware(log.logger), (req, res) => {
    let n = 0;
    req.on('data', (c: Buffer) => (n += c.length));
    req.on('end', () => {
      log.logger.info({ n }, 'body read');
      res.end();
    });
  });
  const base = await listen(server);
  try {
    const res = await fetch(base, { method: 'POST', headers: { 'x-request-id': 'body-events' }, body: 'y'.repeat(100_000) });
    await res.arrayBuffer();
    const line = await waitFor('the handler line', () => log.lines.find((l) => l.msg === 'body read'));
    assert.equal(line.n, 100_000);
    assert.equal(line.request_id, 'body-events');
    assert.deepEqual(ids(line), ids(await waitFor('the access line', () => log.access()[0])));
  } finally {
    await close(server);
  }
});

test('node:http: one access line per request with method, route without query, status, duration, bytes', async () => {
  const log = captureKitLog();
  const server = nodeServer(httpMiddleware(log.logger), async (req, res) => {
    let body = 0;
    for await (const chunk of req) body += (chunk as Buffer).length;
    res.statusCode = 201;
    res.write('ab');
    res.end(Buffer.from(`got ${body}`));
  });
  const base = await listen(server);
  try {
    const r1 = await fetch(base + '/orders/12345?token=secret', { method: 'POST', body: 'x'.repeat(1234) });
    assert.equal(await r1.text(), 'abgot 1234');
    // A chunked upload (no Content-Length) is counted as it arrives.
    const stream = new ReadableStream({ start(c) { c.enqueue(new Uint8Array(700)); c.enqueue(new Uint8Array(300)); c.close(); } });
    const r2 = await fetch(base + '/orders', { method: 'PUT', body: stream, duplex: 'half' } as RequestInit);
    assert.equal(await r2.text(), 'abgot 1000');
    const [a1, a2] = await waitFor('two access lines', () => log.access().length === 2 && log.access());
    assert.equal(log.access().length, 2, 'exactly one access line per request');
    assert.equal(a1!.level, 'info');
    assert.equal(a1!.method, 'POST');
    assert.equal(a1!.route, '/orders/12345');
    assert.ok(!JSON.stringify(a1).includes('secret'), 'the query string is never logged');
    assert.equal(a1!.status, 201);
    assert.equal(a1!.bytes_in, 1234);
    assert.equal(a1!.bytes_out, 'abgot 1234'.length);
    assert.equal(typeof a1!.duration_ms, 'number');
    assert.ok((a1!.duration_ms as number) >= 0 && (a1!.duration_ms as number) < 10_000);
    assert.equal(a2!.method, 'PUT');
    assert.equal(a2!.bytes_in, 1000);
  } finally {
    await close(server);
  }
});

test('node:http: metrics after N requests, routes without a template labelled by their normalised path, capped', async () => {
  const log = captureKitLog();
  const server = nodeServer(httpMiddleware(log.logger, { maxRoutes: 3 }), (req, res) => {
    res.statusCode = req.url!.startsWith('/fail') ? 503 : 200;
    res.end('ok');
  });
  const base = await listen(server);
  try {
    const paths = ['/users/1', '/users/22?q=1', '/users/333', '/files/550e8400-e29b-41d4-a716-446655440000/blob/0123456789abcdef0123', '/fail/9', '/fail/10', '/scan/a', '/scan/b'];
    for (const p of paths) await (await fetch(base + p)).arrayBuffer();
    await waitFor('all access lines', () => log.access().length === paths.length);
    assert.equal(await metricSum(registry, 'http_requests_total'), paths.length);
    assert.equal(await metricSum(registry, 'http_requests_total', { method: 'GET', route: '/users/:id', status_code: '200' }), 3);
    assert.equal(await metricSum(registry, 'http_requests_total', { route: '/files/:id/blob/:id' }), 1);
    assert.equal(await metricSum(registry, 'http_requests_total', { route: '/fail/:id', status_code: '503' }), 2);
    // Three distinct labels so far; the fourth and later distinct paths are "other".
    assert.equal(await metricSum(registry, 'http_requests_total', { route: 'other' }), 2);
    assert.equal(await metricSum(registry, 'http_request_errors_total', { method: 'GET', route: '/fail/:id' }), 2);
    assert.equal(await metricSum(registry, 'http_request_errors_total'), 2);
    const hist = (await registry.getSingleMetric('http_request_duration_seconds')!.get()).values;
    const count = hist.filter((v) => (v as { metricName?: string }).metricName === 'http_request_duration_seconds_count').reduce((s, v) => s + v.value, 0);
    assert.equal(count, paths.length);
    const text = await registry.metrics();
    assert.match(text, /http_request_duration_seconds_bucket\{le="0\.005",method="GET",route="\/users\/:id",status_code="200"\} \d/);
    assert.equal(await metricSum(registry, 'http_requests_in_flight'), 0);
    // The access line keeps the real path (without query); only the metric label is normalised.
    assert.deepEqual(log.access().map((l) => l.route).slice(0, 2), ['/users/1', '/users/22']);
    const failed = log.access().filter((l) => l.status === 503);
    assert.deepEqual(failed.map((l) => l.level), ['error', 'error']);
  } finally {
    await close(server);
  }
});

test('node:http: a request in progress counts as in flight; a client that goes away is logged at warn as aborted (499)', async () => {
  const log = captureKitLog();
  let arrived = false;
  const server = nodeServer(httpMiddleware(log.logger), (_req, res) => {
    arrived = true;
    log.logger.info('waiting for nothing');
    res.on('close', () => undefined); // the response is never sent: the client leaves first
  });
  const base = await listen(server);
  try {
    const { socket } = await rawRequest(base, 'GET /slow/1 HTTP/1.1\r\nHost: x\r\nX-Request-ID: leaving-client');
    await waitFor('the request to arrive', () => arrived);
    assert.equal(await metricSum(registry, 'http_requests_in_flight'), 1);
    socket.destroy();
    const line = await waitFor('the aborted line', () => log.access()[0]);
    assert.equal(line.msg, 'request aborted');
    assert.equal(line.level, 'warn');
    assert.equal(line.aborted, true);
    assert.equal(line.status, 499);
    assert.equal(line.request_id, 'leaving-client');
    assert.equal(log.access().length, 1);
    assert.equal(await metricSum(registry, 'http_requests_in_flight'), 0);
    assert.equal(await metricSum(registry, 'http_requests_total', { route: '/slow/:id', status_code: '499' }), 1);
    assert.equal(await metricSum(registry, 'http_request_errors_total'), 0, 'a client leaving is not a server error');
  } finally {
    await close(server);
  }
});

test('hostile headers: an oversized or control-character X-Request-ID gets a new id; a malformed traceparent starts a new trace', async () => {
  const log = captureKitLog();
  const server = nodeServer(httpMiddleware(log.logger), (_req, res) => void res.end());
  const base = await listen(server);
  try {
    const huge = await fetch(base, { headers: { 'x-request-id': 'a'.repeat(10 * 1024), traceparent: `00-${TRACE}-${PARENT}-01-extra` } });
    await huge.arrayBuffer();
    assert.match(huge.headers.get('x-request-id')!, UUID);
    assert.notEqual(parseTraceparent(huge.headers.get('traceparent')!)!.trace_id, TRACE, 'a version-00 traceparent with extra fields is malformed');
    // fetch refuses control characters in header values; a raw client does not. A tab is valid HTTP but not in an id.
    const tab = await rawRequest(base, `GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Request-ID: evil\tid\r\ntraceparent: 00-${TRACE}-zz${PARENT.slice(2)}-01`);
    const tabText = await tab.response;
    assert.match(tabText, /^HTTP\/1\.1 200/);
    assert.match(rawHeader(tabText, 'x-request-id')!, UUID, 'an id with a tab is replaced');
    assert.notEqual(parseTraceparent(rawHeader(tabText, 'traceparent'))!.trace_id, TRACE, 'a non-hex span id starts a new trace');
    // A header "with a newline" is an obs-fold continuation on the wire: node's parser answers 400 before any handler runs,
    // so no forged line can reach the log.
    const fold = await rawRequest(base, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Request-ID: evil\r\n "level":"fatal"');
    assert.match(await fold.response, /^HTTP\/1\.1 400/);
    await waitFor('the access lines', () => log.access().length >= 2);
    for (const l of log.access()) {
      assert.match(l.request_id as string, UUID);
      assert.equal(l.parent_span_id, undefined);
    }
  } finally {
    await close(server);
  }
});

test('Express: route templates as labels (mounted routers too), handler logs after express.json() carry the ids, a thrown error is a 500 at error level', async () => {
  const log = captureKitLog();
  const app = express();
  app.use(httpMiddleware(log.logger));
  app.use(express.json());
  app.get('/users/:id', (req, res) => {
    log.logger.info({ user: req.params.id }, 'get user');
    res.json({ id: req.params.id });
  });
  app.post('/users', async (req, res) => {
    await new Promise((r) => setTimeout(r, 1));
    log.logger.info({ name: (req.body as { name: string }).name }, 'create user');
    res.status(201).send('created');
  });
  const router = express.Router();
  router.get('/items/:item', (_req, res) => void res.send('item'));
  app.use('/api', router);
  app.get('/boom', () => {
    throw new Error('boom');
  });
  const server = createServer(app);
  const base = await listen(server);
  try {
    for (const id of ['1', '2', '3']) await (await fetch(`${base}/users/${id}?x=${id}`)).arrayBuffer();
    const created = await fetch(base + '/users', { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'create-1' }, body: '{"name":"ada"}' });
    assert.equal(await created.text(), 'created');
    assert.equal(created.headers.get('x-request-id'), 'create-1');
    await (await fetch(base + '/api/items/7')).arrayBuffer();
    const boom = await fetch(base + '/boom');
    await boom.arrayBuffer();
    assert.equal(boom.status, 500);
    await (await fetch(base + '/nope/42')).arrayBuffer();
    await waitFor('all access lines', () => log.access().length === 7);

    assert.equal(await metricSum(registry, 'http_requests_total', { method: 'GET', route: '/users/:id', status_code: '200' }), 3);
    assert.equal(await metricSum(registry, 'http_requests_total', { method: 'POST', route: '/users', status_code: '201' }), 1);
    assert.equal(await metricSum(registry, 'http_requests_total', { route: '/api/items/:item' }), 1);
    assert.equal(await metricSum(registry, 'http_requests_total', { route: '/boom', status_code: '500' }), 1);
    assert.equal(await metricSum(registry, 'http_request_errors_total', { method: 'GET', route: '/boom' }), 1);
    assert.equal(await metricSum(registry, 'http_requests_total', { route: '/nope/:id', status_code: '404' }), 1);

    const create = log.lines.find((l) => l.msg === 'create user')!;
    const createAccess = log.access().find((l) => l.method === 'POST')!;
    assert.equal(create.name, 'ada');
    assert.deepEqual(ids(create), ids(createAccess));
    assert.equal(create.request_id, 'create-1');
    assert.equal(createAccess.bytes_in, '{"name":"ada"}'.length);
    assert.equal(createAccess.route, '/users');
    const getUser = log.lines.filter((l) => l.msg === 'get user');
    assert.equal(new Set(getUser.map((l) => l.request_id)).size, 3, 'each request its own id');
    assert.deepEqual(log.access().slice(0, 3).map((l) => l.route), ['/users/:id', '/users/:id', '/users/:id']);
    const boomLine = log.access().find((l) => l.status === 500)!;
    assert.equal(boomLine.level, 'error');
    assert.equal(boomLine.route, '/boom');
  } finally {
    await close(server);
  }
});

test('Fastify: the plugin opens the context (handler logs after body parsing carry the ids), sets the headers, logs and counts by route template', async () => {
  const log = captureKitLog();
  const app = Fastify();
  await app.register(fastifyPlugin(log.logger));
  app.get('/things/:id', async (request) => {
    await new Promise((r) => setTimeout(r, 1));
    log.logger.info('get thing');
    return { id: (request.params as { id: string }).id };
  });
  app.post('/things', async (request, reply) => {
    log.logger.info({ body: request.body }, 'create thing');
    return reply.code(201).send({ ok: true });
  });
  app.get('/fail', async () => {
    throw new Error('fail');
  });
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const r1 = await fetch(base + '/things/5?secret=1', { headers: { traceparent: `00-${TRACE}-${PARENT}-01` } });
    assert.deepEqual(await r1.json(), { id: '5' });
    const rid = r1.headers.get('x-request-id')!;
    assert.match(rid, UUID);
    assert.equal(parseTraceparent(r1.headers.get('traceparent')!)!.trace_id, TRACE);
    const r2 = await fetch(base + '/things', { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'f-2' }, body: '{"a":1}' });
    assert.equal(r2.status, 201);
    await r2.arrayBuffer();
    const r3 = await fetch(base + '/fail');
    assert.equal(r3.status, 500);
    await r3.arrayBuffer();
    await (await fetch(base + '/missing/123')).arrayBuffer();
    await waitFor('four access lines', () => log.access().length === 4);

    const getThing = log.lines.find((l) => l.msg === 'get thing')!;
    assert.equal(getThing.request_id, rid);
    assert.equal(getThing.trace_id, TRACE);
    const createThing = log.lines.find((l) => l.msg === 'create thing')!;
    assert.equal(createThing.request_id, 'f-2');
    assert.deepEqual(createThing.body, { a: 1 });
    const [a1, a2, a3, a4] = log.access();
    assert.deepEqual(ids(a1!), ids(getThing));
    assert.equal(a1!.route, '/things/:id');
    assert.equal(a1!.parent_span_id, PARENT);
    assert.equal(a2!.bytes_in, 7);
    assert.equal(a2!.bytes_out, '{"ok":true}'.length);
    assert.equal(a3!.level, 'error');
    assert.equal(a3!.status, 500);
    assert.equal(a4!.route, '/missing/123');
    assert.equal(a4!.status, 404);

    assert.equal(await metricSum(registry, 'http_requests_total', { method: 'GET', route: '/things/:id', status_code: '200' }), 1);
    assert.equal(await metricSum(registry, 'http_requests_total', { method: 'POST', route: '/things', status_code: '201' }), 1);
    assert.equal(await metricSum(registry, 'http_request_errors_total', { route: '/fail' }), 1);
    assert.equal(await metricSum(registry, 'http_requests_total', { route: '/missing/:id', status_code: '404' }), 1);
    assert.equal(await metricSum(registry, 'http_requests_in_flight'), 0);
  } finally {
    await app.close();
  }
});

test('two hops: service A (Express) calls service B (node:http) with fetchWithContext; both log the same request and trace, B\'s parent span is A\'s span', async () => {
  const logA = captureKitLog();
  const logB = captureKitLog();
  const b = nodeServer(httpMiddleware(logB.logger), (_req, res) => {
    logB.logger.info('b handles');
    res.end('from b');
  });
  const bBase = await listen(b);
  const appA = express();
  appA.use(httpMiddleware(logA.logger));
  appA.get('/checkout', async (_req, res) => {
    logA.logger.info('a calls b');
    const text = await (await fetchWithContext(bBase + '/stock')).text();
    res.send(`a got ${text}`);
  });
  const a = createServer(appA);
  const aBase = await listen(a);
  try {
    const res = await fetch(aBase + '/checkout', { headers: { 'x-request-id': 'two-hop-1' } });
    assert.equal(await res.text(), 'a got from b');
    const accessA = await waitFor("A's access line", () => logA.access()[0]);
    const accessB = await waitFor("B's access line", () => logB.access()[0]);
    const lineB = logB.lines.find((l) => l.msg === 'b handles')!;
    const lineA = logA.lines.find((l) => l.msg === 'a calls b')!;
    for (const l of [accessA, accessB, lineA, lineB]) assert.equal(l.request_id, 'two-hop-1');
    assert.equal(accessB.trace_id, accessA.trace_id);
    assert.equal(lineB.trace_id, accessA.trace_id);
    assert.equal(accessB.parent_span_id, accessA.span_id);
    assert.notEqual(accessB.span_id, accessA.span_id);
    assert.deepEqual(ids(lineA), ids(accessA));
  } finally {
    await close(a);
    await close(b);
  }
});
