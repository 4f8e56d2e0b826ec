/**
 * Configurations for OpenTelemetry Collectors through the fleet (issue #13: the Collector
 * configuration "offered to Collectors over OpAMP"), on the real server (port 0, temp data dir):
 * `@elastic/opamp-client-node`, an independent OpAMP client over POST /v1/opamp, says it is a Collector
 * (service.name otelcol-contrib) and stands in for the Collector's OpAMP supervisor (no Collector
 * binary runs here); it receives the rendered YAML, which must pass the Collector schema check
 * (test/unit/fleet/collector-schema.ts), and reports it APPLIED. Our agents are simulated as in the
 * other fleet tests (test/helpers/fleet-agents.ts, through the server's own controller). Operator
 * actions go through the CLI (dist/) and the REST API.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'yaml';
import { create } from '@bufbuild/protobuf';
import { AgentCapabilities, RemoteConfigStatusSchema, RemoteConfigStatuses } from '@elastic/opamp-client-node/lib/generated/opamp_pb.js';
import { createOpAMPClient } from '@elastic/opamp-client-node';
import { startServer, removeDir, runCli, type RunningServer } from './helpers/server.js';
import { SimAgent } from '../helpers/fleet-agents.js';
import { waitFor } from '../helpers/wait-for.js';
import { collectorProblems } from '../unit/fleet/collector-schema.js';
import type { WireAgent, WireHistory, WireRollout } from '../../src/api/fleet.js';

const FLEET = { stale_after: '30s', default_window: '1s', apply_timeout: '30s' };
const COLLECTOR = { server_url: 'https://logs.example:3100', token_file: '/var/run/secrets/logwharf/token', tenant: 'team-a' };

interface Received {
  hash: string;
  files: Record<string, { body: string; contentType: string }>;
}

/** An OpAMP client describing itself as a Collector; it applies whatever it is offered, as the supervisor does with a valid configuration. */
function startCollector(url: string, host: string) {
  const received: Received[] = [];
  const client = createOpAMPClient({
    endpoint: `${url}/v1/opamp`,
    heartbeatIntervalSeconds: 0.1,
    capabilities: BigInt(AgentCapabilities.AgentCapabilities_AcceptsRemoteConfig | AgentCapabilities.AgentCapabilities_ReportsRemoteConfig),
    onMessage: ({ remoteConfig }) => {
      if (!remoteConfig) return;
      const files = Object.fromEntries(Object.entries((remoteConfig.config?.configMap ?? {}) as Record<string, { body: Uint8Array; contentType: string }>).map(([n, f]) => [n, { body: Buffer.from(f.body).toString(), contentType: f.contentType }]));
      const hash = Buffer.from(remoteConfig.configHash).toString('hex');
      if (received.at(-1)?.hash !== hash) received.push({ hash, files });
      client.setRemoteConfigStatus(create(RemoteConfigStatusSchema, { lastRemoteConfigHash: remoteConfig.configHash, status: RemoteConfigStatuses.RemoteConfigStatuses_APPLIED }));
    },
  });
  client.setAgentDescription({ identifyingAttributes: { 'service.name': 'otelcol-contrib', 'service.version': '0.115.0' }, nonIdentifyingAttributes: { 'host.name': host } });
  client.start();
  return { client, received, uid: () => Buffer.from(client.getInstanceUid()).toString('hex') };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  assert.equal(res.status, 200, url);
  return ((await res.json()) as { data: T }).data;
}

/** Heartbeats the simulated agents until the rollout has ended (the Collector heartbeats by itself). */
async function untilEnded(s: RunningServer, agents: SimAgent[], id: number): Promise<WireRollout> {
  return waitFor(`rollout ${id} ended`, async () => {
    for (const a of agents) await a.heartbeat();
    const r = await getJson<WireRollout>(`${s.url}/api/v1/fleet/rollouts/${id}`);
    return r.state !== 'running' && r;
  }, { timeoutMs: 20_000, intervalMs: 100 });
}

const COLLECTOR_SETTINGS = `kubernetes:
  enabled: "true"
pipeline:
  drop_healthchecks: true
  drop:
    - selector: '{namespace="kube-system"}'
  multiline:
    - selector: '{container="api"}'
      first_line: '^\\d{4}-\\d{2}-\\d{2}'
client:
  external_labels:
    cluster: prod
`;

test('a configuration with type=collector is rendered, offered to Collectors only, applied, rolled out and rolled back; ours never reach a Collector', async (t) => {
  const s = await startServer({ fleet: { ...FLEET, collector: COLLECTOR } });
  const collector = startCollector(s.url, 'node-7');
  t.after(async () => (await collector.client.shutdown(), await s.close(), removeDir(s.dir)));
  const agents = ['node-a', 'node-b'].map((host) => new SimAgent(s.role.fleet.controller, { host }));
  for (const a of agents) await a.hello();
  await waitFor('the Collector registered', async () => (await getJson<WireAgent[]>(`${s.url}/api/v1/fleet/agents`)).some((a) => a.type === 'otelcol-contrib'));

  // Our agents' configuration (no type: logwharf-agent agents only).
  const base = join(s.dir, 'base.yaml');
  writeFileSync(base, 'pipeline:\n  detect_level: true\n');
  const ours = await runCli(['fleet', 'apply', base, '--addr', s.url, '--canary', '1', '--window', '1s']);
  assert.equal(ours.code, 0, ours.stderr);
  assert.doesNotMatch(ours.stderr, /warning:/);
  assert.equal((await untilEnded(s, agents, Number(ours.stdout.trim()))).state, 'succeeded');
  const baseHash = (await getJson<WireHistory>(`${s.url}/api/v1/fleet/configs/base/history`)).versions[0]!.hash;

  // The Collectors' configuration, in our agent's format; what cannot be translated is printed.
  const file = join(s.dir, 'collectors.yaml');
  writeFileSync(file, COLLECTOR_SETTINGS);
  const applied = await runCli(['fleet', 'apply', file, '--addr', s.url, '--selector', 'type=collector', '--canary', '1', '--window', '1s']);
  assert.equal(applied.code, 0, applied.stderr);
  assert.match(applied.stderr, /^warning: pipeline\.drop_healthchecks: not translated/m);
  const first = await untilEnded(s, agents, Number(applied.stdout.trim()));
  assert.equal(first.state, 'succeeded', JSON.stringify(first));

  const history = await getJson<WireHistory>(`${s.url}/api/v1/fleet/configs/collectors/history`);
  const v1 = history.versions[0]!;
  assert.equal(history.selector, 'type=collector');
  // History keeps what the operator wrote; the hash is the rendering's, which is what Collectors get and report.
  const body = await (await fetch(`${s.url}/api/v1/fleet/configs/collectors/versions/1`)).text();
  assert.equal(body, COLLECTOR_SETTINGS);
  const got = collector.received.find((r) => r.hash === v1.hash);
  assert.ok(got, `the Collector got version 1 (${JSON.stringify(collector.received.map((r) => r.hash))})`);
  assert.deepEqual(Object.keys(got.files), [''], 'one file under the key "" (the whole configuration)');
  assert.equal(got.files['']!.contentType, 'text/yaml');
  const yaml = got.files['']!.body;
  assert.equal(await (await fetch(`${s.url}/api/v1/fleet/configs/collectors/versions/1?offered=true`)).text(), yaml, 'the stored rendering is what was offered');
  assert.equal((await fetch(`${s.url}/api/v1/fleet/configs/collectors/versions/1?offered=yes`)).status, 400);
  assert.equal(createHash('sha256').update(yaml).digest('hex'), v1.hash);
  const cfg = parse(yaml) as { exporters: { otlphttp: { endpoint: string; headers: Record<string, string> } }; receivers: Record<string, { operators?: Array<{ type: string }> }> };
  assert.deepEqual(collectorProblems(cfg), [], yaml);
  assert.equal(cfg.exporters.otlphttp.endpoint, 'https://logs.example:3100/otlp');
  assert.deepEqual(cfg.exporters.otlphttp.headers, { 'X-Scope-OrgID': 'team-a', Authorization: 'Bearer ${file:/var/run/secrets/logwharf/token}' });
  assert.ok(cfg.receivers.filelog!.operators!.some((o) => o.type === 'recombine'), 'the multiline rule rendered');
  assert.match(yaml, /# WARNING: pipeline\.drop_healthchecks: not translated/);

  const view = (await getJson<WireAgent[]>(`${s.url}/api/v1/fleet/agents`)).find((a) => a.id === collector.uid())!;
  assert.deepEqual([view.type, view.config, view.config_version, view.remote_config_status], ['otelcol-contrib', 'collectors', 1, 'applied']);

  // A second version, then a rollback to the first: the Collector follows both, by hash.
  writeFileSync(file, COLLECTOR_SETTINGS.replace('kube-system', 'kube-public'));
  const second = await runCli(['fleet', 'apply', file, '--addr', s.url, '--canary', '1', '--window', '1s']);
  assert.equal(second.code, 0, second.stderr);
  assert.equal((await untilEnded(s, agents, Number(second.stdout.trim()))).state, 'succeeded');
  const v2 = (await getJson<WireHistory>(`${s.url}/api/v1/fleet/configs/collectors/history`)).versions[1]!;
  assert.ok(collector.received.at(-1)?.files['']!.body.includes('kube-public'));
  assert.equal(collector.received.at(-1)?.hash, v2.hash);
  const rb = await runCli(['fleet', 'rollback', 'collectors', '--to', '1', '--addr', s.url]);
  assert.equal(rb.code, 0, rb.stderr);
  assert.equal((await untilEnded(s, agents, Number(rb.stdout.trim()))).state, 'succeeded');
  await waitFor('the Collector back on version 1', () => collector.received.at(-1)?.hash === v1.hash);

  // Neither kind ever saw the other's configuration.
  for (const a of agents) assert.deepEqual(a.offered, [baseHash], `${a.attrs.host} was offered only "base"`);
  for (const r of collector.received) assert.deepEqual(Object.keys(r.files), ['']);
  assert.ok(!collector.received.some((r) => r.hash === baseHash));
  const rollouts = await getJson<WireRollout[]>(`${s.url}/api/v1/fleet/rollouts/${first.id}`.replace(/\/\d+$/, ''));
  assert.deepEqual(rollouts.map((r) => [r.config, r.state]), [['collectors', 'succeeded'], ['collectors', 'succeeded'], ['collectors', 'succeeded'], ['base', 'succeeded']]);

  // A configuration keeps its kind, and `type=collector` ties with another Collector type of the same specificity.
  const moved = await fetch(`${s.url}/api/v1/fleet/configs/base?selector=type=collector`, { method: 'POST', body: 'pipeline:\n  detect_level: false\n' });
  assert.equal(moved.status, 400);
  assert.match(await moved.text(), /would move configuration "base" from logwharf-agent agents to Collectors/);
  const tie = await fetch(`${s.url}/api/v1/fleet/configs/contrib?selector=type=otelcol-contrib`, { method: 'POST', body: COLLECTOR_SETTINGS });
  assert.equal(tie.status, 400);
  assert.match(await tie.text(), /ties with configuration "collectors"/);
  // Checked as any configuration: our agent's schema first.
  const bad = await fetch(`${s.url}/api/v1/fleet/configs/other?selector=type=otelcol-contrib,role=edge`, { method: 'POST', body: 'pipeline:\n  drop:\n    - line: "("\n' });
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /pipeline\.drop\.0\.line/);
});

test('without fleet.collector.server_url a configuration for Collectors is refused at apply, unless it sets client.url', async (t) => {
  const s = await startServer({ fleet: FLEET });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const file = join(s.dir, 'collectors.yaml');
  writeFileSync(file, COLLECTOR_SETTINGS);
  const refused = await runCli(['fleet', 'apply', file, '--addr', s.url, '--selector', 'type=otelcol-contrib']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /set fleet\.collector\.server_url in the server's configuration/);
  assert.deepEqual(await getJson<unknown[]>(`${s.url}/api/v1/fleet/configs`), [], 'nothing stored');
  // Our agents' configurations need no server URL.
  const ours = await fetch(`${s.url}/api/v1/fleet/configs/base`, { method: 'POST', body: COLLECTOR_SETTINGS });
  assert.equal(ours.status, 201);
  // A configuration's own client.url says where its Collectors ship.
  const own = await fetch(`${s.url}/api/v1/fleet/configs/collectors?selector=type=otelcol-contrib`, { method: 'POST', body: `${COLLECTOR_SETTINGS}  url: http://gateway:3100\n` });
  assert.equal(own.status, 201, await own.clone().text());
  const result = ((await own.json()) as { data: { hash: string; warnings: string[] } }).data;
  assert.ok(result.warnings.some((w) => /drop_healthchecks/.test(w)));
});
