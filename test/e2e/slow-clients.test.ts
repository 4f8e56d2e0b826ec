/**
 * Issue #8 finding 7: slow clients are cut off. A client that trickles its request headers gets 408
 * and loses the connection once http.header_timeout has passed, while normal requests and a live
 * tail (which must outlive every connection timeout) carry on.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import WebSocket from 'ws';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';

const HEADER_TIMEOUT_MS = 1000;
let srv: RunningServer;
before(async () => {
  srv = await startServer({ http: { header_timeout: '1s', request_timeout: '2s', idle_timeout: '1s', socket_timeout: '1s' } });
});
after(async () => {
  await srv.close();
  removeDir(srv.dir);
});

/** Sends a request line and then one header byte every 100 ms, forever; resolves when the server closes. */
function trickle(): Promise<{ answer: string; openMs: number }> {
  const { port } = new URL(srv.url);
  const sock = connect(Number(port), '127.0.0.1');
  const started = Date.now();
  let answer = '';
  let timer: NodeJS.Timeout | undefined;
  sock.on('connect', () => {
    sock.write('GET /ready HTTP/1.1\r\nHost: x\r\n');
    timer = setInterval(() => sock.write('X'), 100);
  });
  sock.on('data', (c) => (answer += c));
  sock.on('error', () => {});
  return new Promise((resolve) =>
    sock.on('close', () => {
      clearInterval(timer);
      resolve({ answer, openMs: Date.now() - started });
    }),
  );
}

test('200 slow-header clients get 408 and are disconnected after header_timeout; others are served meanwhile', async () => {
  const slow = Array.from({ length: 200 }, () => trickle());
  // While they trickle, normal requests are answered.
  for (let i = 0; i < 5; i++) assert.equal((await fetch(srv.url + '/ready')).status, 200);
  const results = await Promise.all(slow);
  for (const r of results) {
    assert.match(r.answer, /^HTTP\/1\.1 408 /);
    assert.ok(r.openMs >= HEADER_TIMEOUT_MS - 50, `closed after ${r.openMs} ms, before the header timeout`);
    // The deadline is checked every 250 ms (header_timeout / 4): well within a few seconds.
    assert.ok(r.openMs < HEADER_TIMEOUT_MS + 3000, `still open after ${r.openMs} ms`);
  }
  assert.equal((await fetch(srv.url + '/ready')).status, 200);
});

test('a live tail outlives the header, request, idle and socket timeouts', async () => {
  const ws = new WebSocket(`${srv.url.replace('http', 'ws')}/loki/api/v1/tail?query=${encodeURIComponent('{job="slow"}')}`);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  let closed = false;
  ws.on('close', () => (closed = true));
  // Asserting an absence needs time to pass: the longest timeout (plus the checking
  // interval, 250 ms), then a line pushed now must still arrive on the same connection.
  const got = new Promise<string>((resolve) =>
    ws.on('message', (d) => {
      const f = JSON.parse(String(d)) as { streams: { values: [string, string][] }[] };
      const line = f.streams[0]?.values[0]?.[1];
      if (line) resolve(line);
    }),
  );
  await new Promise((r) => setTimeout(r, 2000 + 750));
  assert.equal(closed, false, 'the tail was closed by a connection timeout');
  const ts = (BigInt(Date.now()) * 1_000_000n).toString();
  const res = await fetch(srv.url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ streams: [{ stream: { job: 'slow' }, values: [[ts, 'still tailing']] }] }),
  });
  assert.equal(res.status, 204);
  assert.equal(await got, 'still tailing');
  ws.close();
});
