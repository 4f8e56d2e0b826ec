/** fetchWithContext: the current request's ids go downstream unless the caller set its own. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { fetchWithContext } from '../../../src/kit/fetch.js';
import { contextFromHeaders, parseTraceparent, withContext } from '../../../src/kit/context.js';
import { close, listen } from '../../helpers/kit-http.js';

interface Echo { rid: string | null; tp: string | null; other: string | null }
const echo = async (res: Response): Promise<Echo> => (await res.json()) as Echo;

async function echoServer() {
  const server = createServer((req, res) => res.end(JSON.stringify({ rid: req.headers['x-request-id'] ?? null, tp: req.headers.traceparent ?? null, other: req.headers['x-other'] ?? null })));
  return { server, base: await listen(server) };
}

test('inside a context it sends X-Request-ID and a traceparent in the same trace with our span as parent', async () => {
  const { server, base } = await echoServer();
  try {
    const ctx = contextFromHeaders({ 'x-request-id': 'r-1', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    const got = await withContext(ctx, async () => echo(await fetchWithContext(base, { headers: { 'x-other': 'kept' } })));
    assert.equal(got.rid, 'r-1');
    assert.equal(got.other, 'kept');
    assert.deepEqual(parseTraceparent(got.tp ?? undefined), { trace_id: ctx.trace_id, parent_span_id: ctx.span_id, trace_flags: '01' });
  } finally {
    await close(server);
  }
});

test("the caller's own headers win, from init or from a Request", async () => {
  const { server, base } = await echoServer();
  try {
    const ctx = contextFromHeaders({});
    const mine = '00-11111111111111111111111111111111-2222222222222222-00';
    const fromInit = await withContext(ctx, async () => echo(await fetchWithContext(base, { headers: { 'X-Request-ID': 'mine', traceparent: mine } })));
    assert.deepEqual([fromInit.rid, fromInit.tp], ['mine', mine]);
    const fromRequest = await withContext(ctx, async () => echo(await fetchWithContext(new Request(base, { headers: { 'x-request-id': 'req-own' } }))));
    assert.equal(fromRequest.rid, 'req-own');
    assert.equal(parseTraceparent(fromRequest.tp ?? undefined)!.trace_id, ctx.trace_id, 'the missing traceparent is still added');
  } finally {
    await close(server);
  }
});

test('outside a context it is plain fetch', async () => {
  const { server, base } = await echoServer();
  try {
    const got = await echo(await fetchWithContext(base));
    assert.deepEqual(got, { rid: null, tp: null, other: null });
  } finally {
    await close(server);
  }
});
