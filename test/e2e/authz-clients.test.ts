/**
 * Real clients with credentials against the real server with `auth.tokens_enabled` (issue #11):
 * the project's own agent with a bearer token and with Promtail-style basic auth (the token as
 * password), pino-loki with basicAuth, the OpenTelemetry JS SDK's OTLP exporters (HTTP/JSON and
 * HTTP/protobuf) with a bearer header, as the OTel Collector's otlphttp exporter sends one, the CLI
 * with --bearer-token, and a Grafana-style query (basic auth plus X-Scope-OrgID). Lines arrive, queries answer, and a wrong token is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { pinoLoki } from 'pino-loki';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter as OTLPHttpJsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as OTLPProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { createAgent } from '../../src/agent/agent.js';
import { createLogger } from '../../src/util/logger.js';
import { startServer, removeDir, tempDir, runCli } from './helpers/server.js';
import { createTestTokens } from './helpers/tokens.js';
import { testAgentConfig } from './agent/helpers.js';
import { captureLog } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait-for.js';

/** The real server with `auth.tokens_enabled`, and a write and a read token of team-a in its token store. */
async function tokenServer(log?: ReturnType<typeof captureLog>['log']) {
  const dir = tempDir();
  const tokens = createTestTokens(dir, [
    { role: 'write', tenants: ['team-a'] },
    { role: 'read', tenants: ['team-a'] },
  ]);
  const s = await startServer({ data: dir, auth: { tokens_enabled: true } }, log ? { log } : {});
  return { s, WRITE: tokens.secret('write', 'team-a'), READ: tokens.secret('read', 'team-a') };
}
const basic = (user: string, token: string) => `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;

/** The lines of `selector` in the last hour, read as Grafana's Loki data source asks. */
async function grafanaQuery(url: string, selector: string, authorization: string): Promise<{ status: number; lines: string[] }> {
  const q = new URLSearchParams({ query: selector, start: String((Date.now() - 3_600_000) * 1e6), limit: '1000' });
  const res = await fetch(`${url}/loki/api/v1/query_range?${q}`, { headers: { Authorization: authorization, 'X-Scope-OrgID': 'team-a', 'X-Grafana-Org-Id': '1' } });
  if (res.status !== 200) return { status: res.status, lines: [] };
  const body = (await res.json()) as { data: { result: { values: [string, string][] }[] } };
  return { status: 200, lines: body.data.result.flatMap((s) => s.values.map(([, l]) => l)).sort() };
}


test('agent with a bearer token and with basic auth ships; a wrong token is refused and logged', async (t) => {
  const cap = captureLog('info');
  const { s, WRITE, READ } = await tokenServer(cap.log);
  const linesOf = async (selector: string) => (await grafanaQuery(s.url, selector, basic('grafana', READ))).lines;
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const silent = createLogger({ level: 'silent' });
  const startAgent = async (a: { job: string; client: Record<string, unknown> }) => {
    const data = tempDir();
    const logs = tempDir();
    writeFileSync(join(logs, 'app.log'), `${a.job} one\n${a.job} two\n`);
    const agent = createAgent(testAgentConfig(s.url, data, { docker: { enabled: 'false' }, files: [{ paths: [join(logs, '*.log')], labels: { job: a.job } }], client: a.client }), { log: silent });
    t.after(async () => (await agent.close(), removeDir(data), removeDir(logs)));
    await agent.start();
  };
  await startAgent({ job: 'bearer', client: { bearer_token: WRITE } });
  await startAgent({ job: 'basic', client: { basic_auth: { username: 'team-a', password: WRITE } } });
  await waitFor('the bearer agent\'s lines', async () => ((await linesOf('{job="bearer"}')).length === 2 ? true : undefined), { timeoutMs: 10_000 });
  await waitFor('the basic-auth agent\'s lines', async () => ((await linesOf('{job="basic"}')).length === 2 ? true : undefined), { timeoutMs: 10_000 });
  assert.deepEqual(await linesOf('{job="basic"}'), ['basic one', 'basic two']);
  // Started last: its refusals count against this address's failure budget (the limiter), which
  // must not cut off the agents above while they ship.
  await startAgent({ job: 'wrong', client: { bearer_token: 'lwt_revoked_or_never_was' } });
  await waitFor('the wrong token\'s push refused', () => cap.lines.some((l) => l.event === 'request_denied' && l.route === '/loki/api/v1/push' && l.reason === 'bad_credentials'), { timeoutMs: 10_000 });
  assert.deepEqual(await linesOf('{job="wrong"}'), []);
  // The agents' source reports are `write` too: the registry holds the two that may write.
  const sources = await fetch(`${s.url}/api/v1/sources`, { headers: { Authorization: `Bearer ${READ}` } });
  assert.equal(sources.status, 200);
});

test('pino-loki with basicAuth pushes; with a wrong password it is refused', async (t) => {
  const cap = captureLog('info');
  const { s, WRITE, READ } = await tokenServer(cap.log);
  const linesOf = async (selector: string) => (await grafanaQuery(s.url, selector, basic('grafana', READ))).lines;
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const good = pinoLoki({ host: s.url, batching: false, labels: { app: 'pino-ok' }, basicAuth: { username: 'team-a', password: WRITE } });
  const bad = pinoLoki({ host: s.url, batching: false, silenceErrors: true, labels: { app: 'pino-bad' }, basicAuth: { username: 'team-a', password: 'wrong' } });
  t.after(() => (good.end(), bad.end()));
  pino(good).info('order placed');
  pino(bad).info('should not land');
  await waitFor('pino-loki\'s line', async () => ((await linesOf('{app="pino-ok"}')).length === 1 ? true : undefined), { timeoutMs: 10_000 });
  await waitFor('the wrong password refused', () => cap.lines.some((l) => l.event === 'request_denied' && l.reason === 'bad_credentials'), { timeoutMs: 10_000 });
  assert.deepEqual(await linesOf('{app="pino-bad"}'), []);
});

for (const kind of ['http', 'proto'] as const) {
  test(`@opentelemetry/exporter-logs-otlp-${kind} with a bearer header ships; with a wrong token it is refused`, async (t) => {
    const cap = captureLog('info');
    const { s, WRITE, READ } = await tokenServer(cap.log);
    const linesOf = async (selector: string) => (await grafanaQuery(s.url, selector, basic('grafana', READ))).lines;
    t.after(async () => (await s.close(), removeDir(s.dir)));
    const emit = async (service: string, token: string, body: string) => {
      const config = { url: `${s.url}/otlp/v1/logs`, headers: { Authorization: `Bearer ${token}` } };
      const exporter = kind === 'proto' ? new OTLPProtoExporter(config) : new OTLPHttpJsonExporter(config);
      const provider = new LoggerProvider({ resource: resourceFromAttributes({ 'service.name': service }), processors: [new SimpleLogRecordProcessor({ exporter })] });
      provider.getLogger('app').emit({ body });
      await provider.forceFlush();
      await provider.shutdown();
    };
    await emit(`otel-${kind}-ok`, WRITE, 'exported with a token');
    await waitFor('the exporter\'s line', async () => ((await linesOf(`{service_name="otel-${kind}-ok"}`)).length === 1 ? true : undefined), { timeoutMs: 10_000 });
    assert.deepEqual(await linesOf(`{service_name="otel-${kind}-ok"}`), ['exported with a token']);
    await emit(`otel-${kind}-bad`, 'lwt_0123456789abcdef_' + 'x'.repeat(43), 'should not land');
    await waitFor('the wrong token refused', () => cap.lines.some((l) => l.event === 'request_denied' && l.reason === 'bad_credentials' && l.route === '/otlp/v1/logs'), { timeoutMs: 10_000 });
    assert.deepEqual(await linesOf(`{service_name="otel-${kind}-bad"}`), []);
  });
}

test('CLI query with --bearer-token, and a Grafana-style query with basic auth and X-Scope-OrgID', async (t) => {
  const { s, WRITE, READ } = await tokenServer();
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const push = await runCli(['push', '--addr', s.url, '--bearer-token', WRITE, '--labels', '{job="cli"}'], 'from the cli\n');
  assert.equal(push.code, 0, push.stderr);
  const q = await runCli(['query', '--addr', s.url, '--bearer-token', READ, '{job="cli"}', '--since', '1h', '--output', 'raw']);
  assert.equal(q.code, 0, q.stderr);
  assert.equal(q.stdout.trim(), 'from the cli');
  const wrongRole = await runCli(['query', '--addr', s.url, '--bearer-token', WRITE, '{job="cli"}', '--since', '1h', '--output', 'raw']);
  assert.notEqual(wrongRole.code, 0);
  assert.match(wrongRole.stderr, /403|needs the read role/);
  const wrong = await runCli(['query', '--addr', s.url, '--bearer-token', 'lwt_nope', '{job="cli"}', '--since', '1h']);
  assert.notEqual(wrong.code, 0);
  assert.match(wrong.stderr, /401|unauthorized/);

  assert.deepEqual((await grafanaQuery(s.url, '{job="cli"}', basic('grafana', READ))).lines, ['from the cli']);
  assert.equal((await grafanaQuery(s.url, '{job="cli"}', basic('grafana', 'lwt_nope'))).status, 401);
  const labels = await fetch(`${s.url}/loki/api/v1/labels`, { headers: { Authorization: basic('grafana', READ), 'X-Scope-OrgID': 'team-a' } });
  assert.deepEqual(((await labels.json()) as { data: string[] }).data.includes('job'), true);
});
