/**
 * The real server fuzzed over HTTP (issue #8): random push bodies (Loki and OTLP, any content type
 * and encoding) and random query parameters get a 2xx or a 4xx with a message — never a 5xx — and
 * the server keeps serving. FUZZ_SEED replays a run.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';
import { encodePushJson, encodePushProto, snappyCompress } from '../../src/api/push/index.js';
import { fuzzParams } from '../helpers/fuzz.js';

let srv: RunningServer;
before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv.close();
  removeDir(srv.dir);
});

const now = BigInt(Date.now()) * 1_000_000n;
const validish = fc
  .array(fc.record({ labels: fc.dictionary(fc.stringMatching(/^[a-z_]{1,6}$/), fc.string({ maxLength: 8 }), { maxKeys: 3 }), entries: fc.array(fc.record({ ts: fc.bigInt({ min: now - 3_600_000_000_000n, max: now }), line: fc.string({ maxLength: 30 }) }), { maxLength: 4 }) }), { maxLength: 3 })
  .chain((streams) => fc.constantFrom(Buffer.from(encodePushJson({ streams })), snappyCompress(encodePushProto({ streams }))));
const bodyArb = fc.oneof(fc.uint8Array({ maxLength: 1024 }).map((a) => Buffer.from(a)), fc.json().map((s) => Buffer.from(s)), validish);

async function assertNot5xx(res: Response, what: string): Promise<void> {
  const text = await res.text();
  assert.ok(res.status < 500, `${what}: ${res.status} ${text}`);
  if (res.status >= 400) assert.ok(text.trim().length > 0, `${what}: ${res.status} without a message`);
}

test('push endpoints: random bodies, content types and encodings never get a 5xx', async () => {
  await fc.assert(
    fc.asyncProperty(
      bodyArb,
      fc.constantFrom('/loki/api/v1/push', '/api/prom/push', '/otlp/v1/logs'),
      fc.constantFrom('application/json', 'application/x-protobuf', 'text/plain', ''),
      fc.constantFrom('', 'gzip', 'zstd', 'snappy', 'br'),
      fc.boolean(),
      async (body, path, contentType, enc, compress) => {
        const sent = compress && enc === 'gzip' ? gzipSync(body) : body;
        const headers: Record<string, string> = {};
        if (contentType) headers['Content-Type'] = contentType;
        if (enc) headers['Content-Encoding'] = enc;
        await assertNot5xx(await fetch(srv.url + path, { method: 'POST', headers, body: sent }), `${path} ${contentType} ${enc}`);
      },
    ),
    fuzzParams(0.5),
  );
  assert.equal((await fetch(srv.url + '/ready')).status, 200);
});

test('query parameters: random values never get a 5xx', async () => {
  const text = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('{job="x"}', 'rate({job="x"}[1m])', '-1', '0', '1e400', 'NaN', '1h', 'now', '2026-01-01T00:00:00Z', '9223372036854775808', 'forward', 'backward'));
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom('/loki/api/v1/query_range', '/loki/api/v1/query', '/loki/api/v1/labels', '/loki/api/v1/series', '/loki/api/v1/index/volume', '/api/v1/sources'),
      fc.dictionary(fc.constantFrom('query', 'start', 'end', 'since', 'step', 'limit', 'direction', 'interval', 'match[]', 'time', 'state', 'kind'), text, { maxKeys: 6 }),
      async (path, params) => {
        const u = new URL(srv.url + path);
        for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
        await assertNot5xx(await fetch(u), u.pathname + u.search);
      },
    ),
    fuzzParams(0.5),
  );
  assert.equal((await fetch(srv.url + '/ready')).status, 200);
});
