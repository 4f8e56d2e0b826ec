/**
 * The shipper's small parts: push URLs, backoff and Retry-After, stream merging, the OTLP request
 * shape (checked by the server's own OTLP → Loki mapping).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveUrls } from '../../../../src/agent/ship/http-client.js';
import { createBackoff, parseRetryAfter } from '../../../../src/util/backoff.js';
import { mergeStreams } from '../../../../src/agent/ship/merge.js';
import { toOtlpRequest } from '../../../../src/agent/ship/otlp-request.js';
import { encodePushBody } from '../../../../src/agent/ship/push-body.js';
import { decodeLokiPush, decodeOtlpLogsProto, otlpToPush } from '../../../../src/api/push/index.js';
import { gunzipSync } from 'node:zlib';
import type { StreamPush } from '../../../../src/api/model.js';

test('push URLs: base URL gets the path of the output; a full push URL is kept; base for other posts', () => {
  assert.equal(resolveUrls('http://h:3100', 'loki').push.href, 'http://h:3100/loki/api/v1/push');
  assert.equal(resolveUrls('http://h:3100/', 'otlp').push.href, 'http://h:3100/otlp/v1/logs');
  assert.equal(resolveUrls('https://h/prefix/', 'loki').push.href, 'https://h/prefix/loki/api/v1/push');
  const full = resolveUrls('https://h/prefix/loki/api/v1/push', 'loki');
  assert.equal(full.push.href, 'https://h/prefix/loki/api/v1/push');
  assert.equal(new URL('api/v1/sources', full.base).href, 'https://h/prefix/api/v1/sources');
  assert.equal(resolveUrls('http://h/otlp/v1/logs', 'otlp').push.href, 'http://h/otlp/v1/logs');
});

test('backoff doubles from min to max with jitter in [base/2, base]', () => {
  const lo = createBackoff(100, 1000, () => 0);
  assert.deepEqual([lo.next(), lo.next(), lo.next(), lo.next(), lo.next(), lo.next()], [50, 100, 200, 400, 500, 500]);
  const hi = createBackoff(100, 1000, () => 1);
  assert.deepEqual([hi.next(), hi.next(), hi.next(), hi.next(), hi.next()], [100, 200, 400, 800, 1000]);
  hi.reset();
  assert.equal(hi.next(), 100);
});

test('Retry-After: seconds or an HTTP date; garbage ignored', () => {
  assert.equal(parseRetryAfter('3', 0), 3000);
  assert.equal(parseRetryAfter(' 0.5 ', 0), 500);
  const now = Date.parse('2026-01-01T00:00:00Z');
  assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now), 10_000);
  assert.equal(parseRetryAfter('Thu, 01 Jan 2025 00:00:10 GMT', now), 0);
  assert.equal(parseRetryAfter('soon', now), undefined);
  assert.equal(parseRetryAfter(undefined, now), undefined);
});

test('merging keeps per-stream order and does not touch the callers\' items', () => {
  const a = [{ labels: { x: '1', y: '2' }, entries: [{ ts: 1n, line: 'a1' }] }];
  const b: StreamPush[] = [
    { labels: { y: '2', x: '1' }, entries: [{ ts: 2n, line: 'b1' }] },
    { labels: { x: '3' }, entries: [{ ts: 3n, line: 'b2' }] },
  ];
  const merged = mergeStreams([a, b]);
  assert.equal(merged.length, 2);
  assert.deepEqual(merged[0]!.entries.map((e) => e.line), ['a1', 'b1']);
  assert.equal(a[0]!.entries.length, 1);
});

test('OTLP request: labels as resource attributes with semantic names, metadata as attributes, the server maps them back', () => {
  const streams: StreamPush[] = [
    { labels: { container: 'web', host: 'h', compose_service: 'svc' }, entries: [{ ts: 1_700_000_000_000_000_001n, line: 'hello', metadata: { detected_level: 'info' } }] },
    { labels: { namespace: 'ns', pod: 'p', container: 'c', node: 'n1', app: 'shop' }, entries: [{ ts: 1_700_000_000_000_000_002n, line: 'k' }] },
  ];
  const body = encodePushBody(streams, { output: 'otlp', encoding: 'protobuf', compression: 'none' });
  const req = decodeOtlpLogsProto(body.body);
  assert.deepEqual(req, toOtlpRequest(streams));
  const push = otlpToPush(req, { now: 0n });
  const docker = push.streams.find((s) => s.labels.container_name === 'web')!;
  assert.equal(docker.entries[0]!.ts, 1_700_000_000_000_000_001n);
  assert.equal(docker.entries[0]!.line, 'hello');
  assert.equal(docker.entries[0]!.metadata?.detected_level, 'info');
  assert.equal(docker.entries[0]!.metadata?.host_name, 'h');
  const k8s = push.streams.find((s) => s.labels.k8s_pod_name === 'p')!;
  assert.equal(k8s.labels.k8s_namespace_name, 'ns');
  assert.equal(k8s.labels.k8s_container_name, 'c');
});

test('OTLP request: labels named like Object.prototype members (constructor, toString) keep their names (found by fuzzing)', () => {
  const streams: StreamPush[] = [{ labels: { constructor: 'a', toString: 'b', pod: 'p' }, entries: [{ ts: 1n, line: 'x' }] }];
  const body = encodePushBody(streams, { output: 'otlp', encoding: 'protobuf', compression: 'none' });
  const attrs = decodeOtlpLogsProto(body.body).resourceLogs[0]!.attributes;
  assert.deepEqual(attrs.map((a) => [a.key, a.value]), [['constructor', 'a'], ['toString', 'b'], ['k8s.pod.name', 'p']]);
});

test('Loki bodies decode back to the same streams (protobuf, JSON, gzip)', async () => {
  const streams = [{ labels: { job: 'x' }, entries: [{ ts: 1_700_000_000_123_456_789n, line: 'l \u00e9', metadata: { m: 'v' } }] }];
  for (const fmt of [
    { output: 'loki', encoding: 'protobuf', compression: 'none' },
    { output: 'loki', encoding: 'json', compression: 'none' },
    { output: 'loki', encoding: 'protobuf', compression: 'gzip' },
  ] as const) {
    const b = encodePushBody(streams, fmt);
    if (fmt.compression === 'gzip') assert.ok(gunzipSync(b.body).length > 0);
    const d = await decodeLokiPush({ contentType: b.contentType, contentEncoding: b.contentEncoding, body: b.body });
    assert.equal(d.streams[0]!.entries[0]!.ts, streams[0]!.entries[0]!.ts, `${fmt.encoding}/${fmt.compression}`);
    assert.equal(d.streams[0]!.entries[0]!.line, 'l \u00e9');
  }
});
