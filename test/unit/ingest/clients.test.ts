/**
 * Real clients from npm (pino-loki, winston-loki in protobuf and JSON modes, the OpenTelemetry
 * OTLP/HTTP log exporters in JSON and protobuf) push to a plain node:http server on port 0 whose
 * handler calls the push service, so their actual bytes go through our real decoders.
 * The store is the recording in-memory one (./recording-store.ts), because this test is about the
 * wire formats; the full server is covered by test/e2e.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { pino } from 'pino';
import { pinoLoki } from 'pino-loki';
import winston from 'winston';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter as OTLPHttpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { createPushService } from '../../../src/ingest/push-service.js';
import { otlpErrorResponse } from '../../../src/api/push/index.js';
import { LogwharfError } from '../../../src/api/errors.js';
import type { Entry } from '../../../src/api/model.js';
import { RecordingStore } from './recording-store.js';
import { waitFor } from '../../helpers/wait-for.js';

const require = createRequire(import.meta.url);
const LokiTransport = require('winston-loki') as new (opts: Record<string, unknown>) => winston.transport;

const store = new RecordingStore();
const svc = createPushService({ store });
const requests: { path: string; contentType: string | undefined; status: number }[] = [];
let server: Server;
let url: string;

before(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const tenant = (req.headers['x-scope-orgid'] as string | undefined) ?? 'fake';
    const h = { contentType: req.headers['content-type'], contentEncoding: req.headers['content-encoding'], body };
    const log = (status: number) => requests.push({ path: req.url ?? '', contentType: req.headers['content-type'], status });
    try {
      if (req.url === '/otlp/v1/logs') {
        const out = await svc.pushOtlp(tenant, h);
        log(200);
        res.writeHead(200, { 'Content-Type': out.contentType }).end(out.body);
      } else {
        await svc.push(tenant, h);
        log(204);
        res.writeHead(204).end();
      }
    } catch (e) {
      const err = e instanceof LogwharfError ? e : new LogwharfError('internal', String(e));
      log(err.status);
      if (req.url === '/otlp/v1/logs') {
        const r = otlpErrorResponse(err, req.headers['content-type']);
        res.writeHead(r.status, { 'Content-Type': r.contentType }).end(r.body);
      } else res.writeHead(err.status, { 'Content-Type': 'text/plain' }).end(err.message);
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise((r) => server.close(r));
});

function find(tenant: string, pred: (labels: Record<string, string>) => boolean): { labels: Record<string, string>; entries: Entry[] }[] {
  const out: { labels: Record<string, string>; entries: Entry[] }[] = [];
  for (const a of store.appends) if (a.tenant === tenant) for (const s of a.streams) if (pred(s.labels)) out.push({ labels: s.labels, entries: s.entries });
  return out;
}

test('pino-loki (JSON push with structured metadata)', async () => {
  const transport = pinoLoki({ host: url, batching: false, labels: { app: 'pino-app' }, headers: { 'X-Scope-OrgID': 'pino' } });
  const logger = pino({ level: 'info' }, transport);
  logger.info({ meta: { trace_id: 'abc123', attempt: 2 }, order: 42 }, 'order placed ✓');
  logger.warn('low stock');
  await waitFor('pino lines', () => find('pino', (l) => l.app === 'pino-app').reduce((n, s) => n + s.entries.length, 0) >= 2);
  const streams = find('pino', (l) => l.app === 'pino-app');
  const info = streams.find((s) => s.labels.level === 'info')!;
  assert.equal(info.labels.service_name, 'pino-app');
  const line = JSON.parse(info.entries[0]!.line) as { msg: string; order: number };
  assert.equal(line.msg, 'order placed ✓');
  assert.equal(line.order, 42);
  // detected_level comes from the stream's level label, normalised ("warning" → "warn").
  assert.deepEqual(info.entries[0]!.metadata, { trace_id: 'abc123', attempt: '2', detected_level: 'info' });
  const warning = streams.find((s) => s.labels.level === 'warning')!;
  assert.deepEqual(warning.entries[0]!.metadata, { detected_level: 'warn' });
  transport.end();
});

for (const json of [false, true]) {
  test(`winston-loki (${json ? 'JSON' : 'protobuf+snappy'})`, async () => {
    const job = json ? 'winston-json' : 'winston-proto';
    const logger = winston.createLogger({
      transports: [new LokiTransport({ host: url, batching: false, json, labels: { job }, replaceTimestamp: true, gracefulShutdown: false, onConnectionError: (e: unknown) => assert.fail(String(e)) })],
    });
    logger.info('hello from winston', { labels: { module: 'http' } });
    logger.error('it broke');
    await waitFor(`${job} lines`, () => find('fake', (l) => l.job === job).reduce((n, s) => n + s.entries.length, 0) >= 2);
    const lines = find('fake', (l) => l.job === job).flatMap((s) => s.entries.map((e) => e.line));
    assert.ok(lines.some((l) => l.includes('hello from winston')), lines.join('|'));
    assert.ok(lines.some((l) => l.includes('it broke')));
    assert.ok(find('fake', (l) => l.job === job && l.module === 'http').length > 0);
    const wanted = json ? 'application/json' : 'application/x-protobuf';
    assert.ok(requests.some((r) => r.contentType === wanted && r.status === 204));
    logger.close();
  });
}

for (const kind of ['http-json', 'proto'] as const) {
  test(`@opentelemetry/exporter-logs-otlp-${kind === 'proto' ? 'proto' : 'http'} (${kind === 'proto' ? 'protobuf' : 'JSON'})`, async () => {
    const exporter = kind === 'proto' ? new OTLPProtoExporter({ url: url + '/otlp/v1/logs' }) : new OTLPHttpJsonExporter({ url: url + '/otlp/v1/logs' });
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': `otel-${kind}`, 'k8s.namespace.name': 'shop', 'host.name': 'node-7' }),
      processors: [new SimpleLogRecordProcessor({ exporter })],
    });
    const logger = provider.getLogger('checkout-lib', '2.0.0');
    logger.emit({ severityNumber: SeverityNumber.WARN, severityText: 'WARN', body: 'payment retried', attributes: { 'http.status_code': 503, 'user.id': 'u-1' } });
    logger.emit({ severityNumber: SeverityNumber.INFO, body: { event: 'structured', n: 1 } });
    await provider.forceFlush();
    await provider.shutdown();
    const streams = find('fake', (l) => l.service_name === `otel-${kind}`);
    assert.equal(streams.length > 0, true, JSON.stringify(requests));
    assert.deepEqual(streams[0]!.labels, { k8s_namespace_name: 'shop', service_name: `otel-${kind}` });
    const entries = streams.flatMap((s) => s.entries);
    const warn = entries.find((e) => e.line === 'payment retried')!;
    assert.ok(warn, JSON.stringify(entries, (_k, v) => (typeof v === 'bigint' ? v.toString() : v)));
    assert.equal(warn.metadata!.severity_text, 'WARN');
    assert.equal(warn.metadata!.severity_number, '13');
    assert.equal(warn.metadata!.http_status_code, '503');
    assert.equal(warn.metadata!.user_id, 'u-1');
    assert.equal(warn.metadata!.host_name, 'node-7');
    assert.equal(warn.metadata!.scope_name, 'checkout-lib');
    assert.equal(warn.metadata!.scope_version, '2.0.0');
    // The SDK stamps the record time; it must be now-ish nanoseconds.
    const ageMs = Date.now() - Number(warn.ts / 1_000_000n);
    assert.ok(ageMs >= 0 && ageMs < 60_000, `age ${ageMs} ms`);
    const structured = entries.find((e) => e.line.startsWith('{'))!;
    assert.deepEqual(JSON.parse(structured.line), { event: 'structured', n: 1 });
  });
}
