/**
 * The kit's lines need no configuration on the server (issue #16): pushed through the real push API,
 * each gets its detected_level from the schema's `level` (fatal stays "fatal", as Loki 3 keeps it),
 * `| json` yields request_id and trace_id to filter on, and Logs Drilldown's detected_fields lists them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';
import { createLogger } from '../../src/kit/logger.js';
import { contextFromHeaders, setContextFields, withContext } from '../../src/kit/context.js';
import { assertSchemaLine } from '../helpers/log-schema.js';

let srv: RunningServer;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv.close();
  removeDir(srv.dir);
});

interface Result {
  stream: Record<string, string>;
  values: [string, string, { structuredMetadata?: Record<string, string>; parsed?: Record<string, string> }?][];
}

async function get(path: string, params: Record<string, string>): Promise<any> {
  const u = new URL(srv.url + path);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const res = await fetch(u, { headers: { 'X-Loki-Response-Encoding-Flags': 'categorize-labels' } });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return JSON.parse(text);
}

test('kit lines pushed as they are: detected_level per line, request_id and trace_id from | json, Drilldown fields', async () => {
  const texts: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, done) {
      for (const t of String(chunk).split('\n')) if (t) texts.push(t);
      done();
    },
  });
  const log = createLogger({ service: 'checkout', version: '3.1.0', env: 'test', level: 'debug', destination });
  log.debug({ detail: { level: 'info' } }, 'cache state'); // a nested `level` does not count
  log.info('started');
  const ctx = contextFromHeaders({ 'x-request-id': 'req-kit-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
  await withContext(ctx, async () => {
    setContextFields({ user_id: 'u-9' });
    log.warn({ ms: 812 }, 'slow payment provider');
    await Promise.resolve();
    log.error({ err: new Error('card declined') }, 'charge failed');
  });
  log.fatal('out of memory');
  assert.equal(texts.length, 5);
  for (const t of texts) assertSchemaLine(t);

  const t0 = BigInt(Date.now() - 60_000) * 1_000_000n;
  const res = await fetch(srv.url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ streams: [{ stream: { service_name: 'checkout' }, values: texts.map((t, i) => [String(t0 + BigInt(i) * 1_000_000n), t]) }] }),
  });
  assert.equal(res.status, 204, await res.text());

  const range = { since: '1h', limit: '100', direction: 'forward' };
  const all = (await get('/loki/api/v1/query_range', { ...range, query: '{service_name="checkout"}' })).data.result as Result[];
  const levels = all.flatMap((s) => s.values).sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : 1)).map((v) => [JSON.parse(v[1]).msg, v[2]?.structuredMetadata?.detected_level]);
  assert.deepEqual(levels, [
    ['cache state', 'debug'],
    ['started', 'info'],
    ['slow payment provider', 'warn'],
    ['charge failed', 'error'],
    ['out of memory', 'fatal'],
  ]);

  const byRequest = (await get('/loki/api/v1/query_range', { ...range, query: '{service_name="checkout"} | json | request_id="req-kit-1"' })).data.result as Result[];
  const lines = byRequest.flatMap((s) => s.values.map((v) => ({ msg: JSON.parse(v[1]).msg as string, parsed: v[2]?.parsed ?? {} })));
  assert.deepEqual(lines.map((l) => l.msg).sort(), ['charge failed', 'slow payment provider']);
  for (const l of lines) {
    assert.equal(l.parsed.trace_id, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(l.parsed.span_id, ctx.span_id);
    assert.equal(l.parsed.user_id, 'u-9');
  }
  const byTrace = (await get('/loki/api/v1/query_range', { ...range, query: '{service_name="checkout"} | json | trace_id="0af7651916cd43dd8448eb211c80319c"' })).data.result as Result[];
  assert.equal(byTrace.reduce((n, s) => n + s.values.length, 0), 2);

  const fields = (await get('/loki/api/v1/detected_fields', { query: '{service_name="checkout"}', since: '1h' })).fields as Array<{ label: string; type: string; cardinality: number; parsers: string[] | null }>;
  const f = Object.fromEntries(fields.map((x) => [x.label, x]));
  for (const [label, cardinality] of [['request_id', 1], ['trace_id', 1], ['span_id', 1], ['service', 1], ['version', 1], ['env', 1], ['user_id', 1], ['err_type', 1], ['msg', 5]] as const) {
    assert.deepEqual([f[label]?.cardinality, f[label]?.parsers], [cardinality, ['json']], `detected field ${label}: ${JSON.stringify(f[label])}`);
  }
  assert.equal(f.detected_level?.cardinality, 5);
});
