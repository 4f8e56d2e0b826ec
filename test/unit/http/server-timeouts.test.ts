/**
 * The connection timeouts of the HTTP server factory (issue #8 finding 7) leave handling time alone:
 * a handler that takes longer than every timeout (a long query) still answers, while a connection
 * that sends nothing is closed after socket_timeout.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { createHttpServer } from '../../../src/http/server.js';
import { Router } from '../../../src/http/router.js';
import { createMetrics } from '../../../src/http/metrics.js';
import { createLogger } from '../../../src/util/logger.js';

const TIMEOUTS = { headerMs: 300, requestMs: 300, idleMs: 300, socketMs: 300 };

async function serve(router: Router) {
  const server = createHttpServer({ router, log: createLogger({ level: 'silent' }), metrics: createMetrics(), authEnabled: false, maxBodyBytes: 1024, maxInflightBodyBytes: 1024, timeouts: TIMEOUTS });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

test('a handler slower than every connection timeout still answers on a fresh and on a reused connection', async (t) => {
  let release: () => void = () => {};
  const router = new Router().add('GET', '/slow', async (ctx) => {
    // Held until the test has seen more than three times every timeout pass (a long query).
    await new Promise<void>((resolve) => (release = resolve));
    ctx.res.writeHead(200).end('done');
  });
  router.add('GET', '/fast', (ctx) => void ctx.res.writeHead(200).end('ok'));
  const { server, url } = await serve(router);
  t.after(() => server.close());
  for (const first of [false, true]) {
    const { port } = new URL(url);
    const sock = connect(Number(port), '127.0.0.1');
    let answer = '';
    sock.on('data', (c) => (answer += c));
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    // On the second round a first request is answered on the connection before the slow one.
    if (first) {
      sock.write('GET /fast HTTP/1.1\r\nHost: x\r\n\r\n');
      while (!answer.includes('ok')) await new Promise((r) => sock.once('data', r));
      answer = '';
    }
    sock.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    const started = Date.now();
    // An absence can only be shown by letting the time pass: 1 s is over three times each timeout.
    await new Promise((r) => setTimeout(r, 1000));
    release();
    while (!answer.includes('done')) {
      const more = await Promise.race([new Promise((r) => sock.once('data', r)).then(() => true), closed.then(() => false)]);
      if (!more) break;
    }
    assert.match(answer, /^HTTP\/1\.1 200 [\s\S]*\r\ndone\r\n/, `after ${Date.now() - started} ms: ${JSON.stringify(answer)}`);
    sock.destroy();
  }
});

test('a connection that sends nothing is closed after the header timeout', { timeout: 15_000 }, async (t) => {
  const { server, url } = await serve(new Router());
  t.after(() => server.close());
  const { port } = new URL(url);
  const sock = connect(Number(port), '127.0.0.1');
  // Read what the server sends (a 408 when the header timeout fires first): a socket nobody reads
  // never sees the server's FIN, so it would never close.
  sock.resume();
  const started = Date.now();
  await new Promise<void>((resolve) => sock.on('close', () => resolve()));
  const ms = Date.now() - started;
  assert.ok(ms >= 250 && ms < 3000, `closed after ${ms} ms`);
});
