/**
 * Real clients from npm against the real server on port 0: pino-loki (JSON), winston-loki
 * (protobuf+snappy and JSON), the OpenTelemetry OTLP/HTTP log exporters (JSON and protobuf). What
 * they push must come back through Loki's query API with the labels and structured metadata
 * Loki would give it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { pino } from 'pino';
import { pinoLoki } from 'pino-loki';
import winston from 'winston';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter as OTLPHttpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

const require = createRequire(import.meta.url);
const LokiTransport = require('winston-loki') as new (opts: Record<string, unknown>) => winston.transport;

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
  values: [string, string, { structuredMetadata?: Record<string, string> }?][];
}

async function query(q: string, tenant = 'fake'): Promise<Result[]> {
  const u = new URL(srv.url + '/loki/api/v1/query_range');
  u.searchParams.set('query', q);
  u.searchParams.set('since', '1h');
  u.searchParams.set('limit', '1000');
  const res = await fetch(u, { headers: { 'X-Scope-OrgID': tenant, 'X-Loki-Response-Encoding-Flags': 'categorize-labels' } });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { data: { result: Result[] } }).data.result;
}

async function waitForLines(q: string, n: number, tenant = 'fake'): Promise<Result[]> {
  let last: Result[] = [];
  return waitFor(`${n} lines of ${q}`, async () => {
    last = await query(q, tenant);
    return last.reduce((a, s) => a + s.values.length, 0) >= n ? last : undefined;
  }).catch((e: Error) => assert.fail(`${e.message}; last result: ${JSON.stringify(last)}`));
}

test('pino-loki: JSON push with structured metadata', async () => {
  const transport = pinoLoki({ host: srv.url, batching: false, labels: { app: 'pino-app' }, headers: { 'X-Scope-OrgID': 'pino' } });
  const logger = pino({ level: 'info' }, transport);
  logger.info({ meta: { trace_id: 'abc123' }, order: 42 }, 'order placed ✓');
  logger.warn('low stock');
  const r = await waitForLines('{app="pino-app"}', 2, 'pino');
  const info = r.find((s) => s.stream.level === 'info')!;
  assert.equal(JSON.parse(info.values[0]![1]).msg, 'order placed ✓');
  assert.equal(info.values[0]![2]?.structuredMetadata?.trace_id, 'abc123');
  // Loki 3's enrichment: service_name from app; detected_level from the level label, normalised.
  assert.equal(info.stream.service_name, 'pino-app');
  assert.equal(info.values[0]![2]?.structuredMetadata?.detected_level, 'info');
  const warning = r.find((s) => s.stream.level === 'warning')!;
  assert.equal(warning.values[0]![2]?.structuredMetadata?.detected_level, 'warn');
  transport.end();
});

for (const json of [false, true]) {
  test(`winston-loki (${json ? 'JSON' : 'protobuf+snappy'})`, async () => {
    const job = json ? 'winston-json' : 'winston-proto';
    const logger = winston.createLogger({ transports: [new LokiTransport({ host: srv.url, batching: false, json, labels: { job }, replaceTimestamp: true, gracefulShutdown: false })] });
    logger.info('hello from winston', { labels: { module: 'http' } });
    logger.error('it broke');
    const r = await waitForLines(`{job="${job}"}`, 2);
    const lines = r.flatMap((s) => s.values.map((v) => v[1]));
    assert.ok(lines.some((l) => l.includes('hello from winston')), lines.join('|'));
    assert.ok(r.some((s) => s.stream.module === 'http'));
    logger.close();
  });
}

for (const kind of ['http', 'proto'] as const) {
  test(`@opentelemetry/exporter-logs-otlp-${kind}`, async () => {
    const url = srv.url + '/otlp/v1/logs';
    const exporter = kind === 'proto' ? new OTLPProtoExporter({ url }) : new OTLPHttpJsonExporter({ url });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': `otel-${kind}`, 'k8s.namespace.name': 'shop', 'host.name': 'node-7' }),
      processors: [new SimpleLogRecordProcessor({ exporter })],
    });
    provider.getLogger('checkout-lib', '2.0.0').emit({ severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'payment retried', attributes: { 'user.id': 'u-1' } });
    await provider.forceFlush();
    await provider.shutdown();
    const r = await waitForLines(`{service_name="otel-${kind}"}`, 1);
    assert.deepEqual(r[0]!.stream, { k8s_namespace_name: 'shop', service_name: `otel-${kind}` });
    const [, line, extra] = r[0]!.values[0]!;
    assert.equal(line, 'payment retried');
    assert.equal(extra?.structuredMetadata?.severity_text, 'WARN');
    assert.equal(extra?.structuredMetadata?.detected_level, 'warn');
    assert.equal(extra?.structuredMetadata?.user_id, 'u-1');
    assert.equal(extra?.structuredMetadata?.host_name, 'node-7');
    assert.equal(extra?.structuredMetadata?.scope_name, 'checkout-lib');
  });
}

test('OTLP/HTTP errors carry a google.rpc.Status in the request encoding', async () => {
  const url = srv.url + '/otlp/v1/logs';
  const bad = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"resourceLogs": 5}' });
  assert.equal(bad.status, 400);
  assert.match(bad.headers.get('content-type') ?? '', /application\/json/);
  const status = (await bad.json()) as { code: number; message: string };
  assert.equal(status.code, 3);
  assert.match(status.message, /resourceLogs must be an array/);
  const proto = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf' }, body: new Uint8Array([0x0a, 0xff]) });
  assert.equal(proto.status, 400);
  assert.equal(proto.headers.get('content-type'), 'application/x-protobuf');
  const body = Buffer.from(await proto.arrayBuffer());
  assert.equal(body[0], 0x08); // field 1 (code), varint
  assert.equal(body[1], 3);
  const unsupported = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' });
  assert.equal(unsupported.status, 415);
});
