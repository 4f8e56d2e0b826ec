/**
 * Push paths end to end, with tenancy: what Loki's clients send, what they get back, and that
 * rejected input leaves nothing behind.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, deflateSync } from 'node:zlib';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';
import { encodeOtlpLogsProto, encodePushJson, encodePushRequest } from '../../src/api/push/index.js';
import { toOtlpRequest } from '../../src/agent/ship/otlp-request.js';

let srv: RunningServer;
const now = () => BigInt(Date.now()) * 1_000_000n;

before(async () => {
  srv = await startServer({ auth_enabled: true });
});
after(async () => {
  await srv.close();
  removeDir(srv.dir);
});

async function pushRaw(body: Buffer | string, headers: Record<string, string>) {
  const res = await fetch(srv.url + '/loki/api/v1/push', { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

async function lines(tenant: string, query: string): Promise<string[]> {
  const u = new URL(srv.url + '/loki/api/v1/query_range');
  u.searchParams.set('query', query);
  u.searchParams.set('since', '1h');
  u.searchParams.set('limit', '1000');
  const res = await fetch(u, { headers: { 'X-Scope-OrgID': tenant } });
  assert.equal(res.status, 200, await res.clone().text());
  const j = (await res.json()) as { data: { result: { values: [string, string][] }[] } };
  return j.data.result.flatMap((s) => s.values.map((v) => v[1])).sort();
}

test('auth enabled: a request without X-Scope-OrgID is refused with 401', async () => {
  const r = await pushRaw(JSON.stringify({ streams: [] }), { 'Content-Type': 'application/json' });
  assert.equal(r.status, 401);
  assert.match(r.text, /no org id/);
  const q = await fetch(srv.url + '/loki/api/v1/labels');
  assert.equal(q.status, 401);
});

test('auth enabled: readiness, metrics and buildinfo answer without a tenant (probes and scrapes send none)', async () => {
  const ready = await fetch(srv.url + '/ready');
  assert.equal(ready.status, 200);
  assert.equal(await ready.text(), 'ready\n');
  const metrics = await fetch(srv.url + '/metrics');
  assert.equal(metrics.status, 200);
  assert.match(await metrics.text(), /^logwharf_request_duration_seconds_bucket/m);
  const build = await fetch(srv.url + '/loki/api/v1/status/buildinfo');
  assert.equal(build.status, 200);
  assert.equal(typeof ((await build.json()) as { version: unknown }).version, 'string');
  // Everything else still needs one.
  assert.equal((await fetch(srv.url + '/loki/api/v1/labels')).status, 401);
  assert.equal((await fetch(srv.url + '/api/v1/sources')).status, 401);
});

test('tenants never see each other\'s data', async () => {
  const ts = now().toString();
  for (const t of ['team-a', 'team-b']) {
    const r = await pushRaw(JSON.stringify({ streams: [{ stream: { job: 'iso' }, values: [[ts, `secret of ${t}`]] }] }), {
      'Content-Type': 'application/json',
      'X-Scope-OrgID': t,
    });
    assert.equal(r.status, 204, r.text);
  }
  assert.deepEqual(await lines('team-a', '{job="iso"}'), ['secret of team-a']);
  assert.deepEqual(await lines('team-b', '{job="iso"}'), ['secret of team-b']);
  assert.deepEqual(await lines('team-c', '{job="iso"}'), []);
  const bad = await pushRaw('{}', { 'Content-Type': 'application/json', 'X-Scope-OrgID': '../../etc' });
  assert.equal(bad.status, 401);
});

test('protobuf+snappy (the default content type), gzip and deflate bodies, and the legacy path', async () => {
  const h = { 'X-Scope-OrgID': 'codec' };
  const ts = now();
  const proto = encodePushRequest({ streams: [{ labels: { job: 'codec', via: 'proto' }, entries: [{ ts, line: 'from protobuf', metadata: { trace_id: 't1' } }] }] });
  assert.equal((await pushRaw(proto, { ...h, 'Content-Type': 'application/x-protobuf' })).status, 204);
  const json = JSON.stringify({ streams: [{ stream: { job: 'codec', via: 'gzip' }, values: [[(ts + 1n).toString(), 'from gzip']] }] });
  assert.equal((await pushRaw(gzipSync(json), { ...h, 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' })).status, 204);
  const json2 = JSON.stringify({ streams: [{ stream: { job: 'codec', via: 'deflate' }, values: [[(ts + 2n).toString(), 'from deflate']] }] });
  assert.equal((await pushRaw(deflateSync(json2), { ...h, 'Content-Type': 'application/json', 'Content-Encoding': 'deflate' })).status, 204);
  const json3 = JSON.stringify({ streams: [{ stream: { job: 'codec', via: 'legacy' }, values: [[(ts + 3n).toString(), 'from legacy path']] }] });
  const legacy = await fetch(srv.url + '/api/prom/push', { method: 'POST', headers: { ...h, 'Content-Type': 'application/json' }, body: json3 });
  assert.equal(legacy.status, 204);
  assert.deepEqual(await lines('codec', '{job="codec"}'), ['from deflate', 'from gzip', 'from legacy path', 'from protobuf']);
});

test('malformed and hostile bodies get 400 with a reason and store nothing', async () => {
  const h = { 'X-Scope-OrgID': 'hostile' };
  const cases: [string, Buffer | string, Record<string, string>][] = [
    ['truncated JSON', '{"streams":[{"stream":{"job":"x"},"values":[["1', { 'Content-Type': 'application/json' }],
    ['wrong types', JSON.stringify({ streams: [{ stream: { job: 'x' }, values: [[1, 2]] }] }), { 'Content-Type': 'application/json' }],
    ['no labels', JSON.stringify({ streams: [{ stream: {}, values: [[now().toString(), 'x']] }] }), { 'Content-Type': 'application/json' }],
    ['garbage protobuf', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2, 3]), { 'Content-Type': 'application/x-protobuf' }],
    ['gzip that is not gzip', 'not gzip at all', { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' }],
    ['bad label name', JSON.stringify({ streams: [{ stream: { 'bad-name': 'x' }, values: [[now().toString(), 'x']] }] }), { 'Content-Type': 'application/json' }],
  ];
  for (const [name, body, headers] of cases) {
    const r = await pushRaw(body, { ...h, ...headers });
    assert.equal(r.status, 400, `${name}: expected 400, got ${r.status} ${r.text}`);
    assert.ok(r.text.trim().length > 0, `${name}: the 400 must say why`);
  }
  const labels = await fetch(srv.url + '/loki/api/v1/labels?since=1h', { headers: h });
  assert.deepEqual(((await labels.json()) as { data?: string[] }).data ?? [], []);
});

test('OTLP/HTTP JSON logs land as Loki streams with Loki\'s mapping', async () => {
  const nowNs = now().toString();
  const body = {
    resourceLogs: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }, { key: 'host.name', value: { stringValue: 'node-1' } }] },
        scopeLogs: [
          {
            scope: { name: 'test' },
            logRecords: [
              {
                timeUnixNano: nowNs,
                severityText: 'ERROR',
                severityNumber: 17,
                body: { stringValue: 'card declined' },
                attributes: [{ key: 'order.id', value: { intValue: '42' } }],
              },
            ],
          },
        ],
      },
    ],
  };
  const res = await fetch(srv.url + '/otlp/v1/logs', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Scope-OrgID': 'otel' }, body: JSON.stringify(body) });
  assert.equal(res.status, 200, await res.clone().text());
  const u = new URL(srv.url + '/loki/api/v1/query_range');
  u.searchParams.set('query', '{service_name="checkout"}');
  u.searchParams.set('since', '1h');
  const q = await fetch(u, { headers: { 'X-Scope-OrgID': 'otel', 'X-Loki-Response-Encoding-Flags': 'categorize-labels' } });
  const j = (await q.json()) as any;
  assert.equal(j.data.result.length, 1);
  const [ts, line, extra] = j.data.result[0].values[0];
  assert.equal(ts, nowNs);
  assert.equal(line, 'card declined');
  assert.equal(j.data.result[0].stream.service_name, 'checkout');
  assert.equal(extra.structuredMetadata.order_id, '42');
  assert.equal(extra.structuredMetadata.host_name, 'node-1');
  assert.equal(extra.structuredMetadata.severity_text, 'ERROR');
  // Loki 3 maps the OTLP severity onto detected_level.
  assert.equal(extra.structuredMetadata.detected_level, 'error');
});

test('pushes in flight together, in every format, each store exactly their own lines (push bodies share reused buffers)', async () => {
  // Bodies of ~100-200 KB of distinct lines, 4 at a time, JSON, gzip JSON, protobuf and OTLP
  // protobuf interleaved: the server reads a later body into a buffer an earlier one gave back
  // (src/http/body-budget.ts), so any line read from a reused buffer would show up here as another's.
  const tenant = 'reuse';
  const base = BigInt(Date.now() - 120_000) * 1_000_000n;
  const formats = ['json', 'json-gzip', 'protobuf', 'otlp'] as const;
  const sent = new Map<string, string[]>();
  const send = async (i: number) => {
    const job = `reuse-${i}`;
    const n = 100 + (i % 5) * 20;
    const lines = Array.from({ length: n }, (_, k) => `push ${i} line ${k} ${String.fromCharCode(97 + ((i + k) % 26)).repeat(900 + ((i * 7 + k) % 200))}`);
    sent.set(job, [...lines].sort());
    const streams = [{ labels: { job }, entries: lines.map((line, k) => ({ ts: base + BigInt(i * 1000 + k), line })) }];
    const f = formats[i % formats.length]!;
    let path = '/loki/api/v1/push';
    let body: Buffer;
    const headers: Record<string, string> = { 'X-Scope-OrgID': tenant };
    if (f === 'otlp') {
      path = '/otlp/v1/logs';
      headers['Content-Type'] = 'application/x-protobuf';
      body = encodeOtlpLogsProto(toOtlpRequest(streams));
    } else if (f === 'protobuf') {
      headers['Content-Type'] = 'application/x-protobuf';
      body = encodePushRequest({ streams });
    } else {
      headers['Content-Type'] = 'application/json';
      body = Buffer.from(encodePushJson({ streams }));
      if (f === 'json-gzip') {
        headers['Content-Encoding'] = 'gzip';
        body = gzipSync(body);
      }
    }
    const res = await fetch(srv.url + path, { method: 'POST', headers, body });
    assert.ok(res.status === 204 || res.status === 200, `push ${i} (${f}): ${res.status} ${await res.text()}`);
  };
  const pushes = 24;
  for (let i = 0; i < pushes; i += 4) await Promise.all([i, i + 1, i + 2, i + 3].map(send));
  for (const [job, want] of sent) {
    // Every stream has a service_name (Loki's discovery from job; OTLP's resource), so one selector
    // reads them all; the line filter picks this push's lines.
    const i = Number(job.slice('reuse-'.length));
    const got = await lines(tenant, `{service_name=~".+"} |= "push ${i} line "`);
    assert.deepEqual(got.filter((l) => l.startsWith(`push ${i} line `)), want, `${job}: the lines it sent, no other push's`);
  }
});
