/**
 * The agent's OpAMP client against the real server's `POST /v1/opamp` (h/opamp's transport, tokens
 * on): the agent reports with the token it ships with, the transport hands its reports to the fleet
 * controller, and a configuration the controller offers is applied hot and reported APPLIED with its
 * hash. The controller is a small one in this file, following the contract of src/fleet/model.ts
 * (the real one, fleet.db and rollouts, is h/fleet's and is tested end to end with it elsewhere).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAgentProcess } from '../../../src/app/agent.js';
import { AGENT_CONFIG_CONTENT_TYPE, AGENT_CONFIG_FILE, AGENT_SERVICE_NAME, type AgentReport, type ControllerAnswer, type FleetController, type OfferedConfig } from '../../../src/fleet/model.js';
import { createLogger } from '../../../src/util/logger.js';
import { startServer, tempDir, removeDir } from '../helpers/server.js';
import { createTestTokens } from '../helpers/tokens.js';
import { queryAll, testAgentConfig } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

const silent = createLogger({ level: 'silent' });

/** Records every report; offers `offered` to an agent whose last reported hash differs. */
class TestFleet implements FleetController {
  readonly reports: AgentReport[] = [];
  offered?: OfferedConfig;
  private readonly lastHash = new Map<string, string>();

  async report(r: AgentReport): Promise<ControllerAnswer> {
    this.reports.push(r);
    if (r.remoteConfigStatus) this.lastHash.set(r.instanceUid, r.remoteConfigStatus.lastRemoteConfigHash);
    return this.offered && this.lastHash.get(r.instanceUid) !== this.offered.hash ? { remoteConfig: this.offered } : {};
  }
}

function offer(yaml: string): OfferedConfig {
  const body = Buffer.from(yaml);
  return { hash: createHash('sha256').update(body).digest('hex'), files: { [AGENT_CONFIG_FILE]: { body, contentType: AGENT_CONFIG_CONTENT_TYPE } } };
}

test('with tokens on, the agent reports to the real server with its shipping token, applies the offered configuration hot and reports it APPLIED', async () => {
  const dir = tempDir();
  const tokens = createTestTokens(dir, [{ role: 'write', tenants: ['team-a'] }, { role: 'read', tenants: ['team-a'] }]);
  const fleet = new TestFleet();
  const server = await startServer({ data: dir, auth: { tokens_enabled: true } }, { fleet });
  const data = tempDir();
  const logs = tempDir();
  const path = join(logs, 'app.log');
  writeFileSync(path, 'one\n');
  const config = testAgentConfig(server.url, data, {
    client: { tenant_id: 'team-a', bearer_token: tokens.secret('write', 'team-a') },
    docker: { enabled: 'false' },
    files: [{ paths: [path], labels: { job: 'app' } }],
    control: { enabled: 'auto', url: server.url, heartbeat: '200ms', health_window: '1s', attributes: { cluster: 'eu' } },
  });
  const proc = createAgentProcess(config, { log: silent });
  const read = { tenant: 'team-a', token: tokens.secret('read', 'team-a') };
  const query = async (selector: string) => {
    const res = await fetch(`${server.url}/loki/api/v1/query_range?${new URLSearchParams({ query: selector, start: String((Date.now() - 3_600_000) * 1e6), limit: '100' })}`, {
      headers: { 'X-Scope-OrgID': read.tenant, Authorization: `Bearer ${read.token}` },
    });
    const body = (await res.json()) as { data: { result: Array<{ values: unknown[] }> } };
    return body.data.result.reduce((n, s) => n + s.values.length, 0);
  };
  try {
    await proc.start();
    const first = await waitFor('the first report', () => fleet.reports[0]);
    assert.match(first.instanceUid, /^[0-9a-f]{32}$/);
    assert.equal(first.description?.identifying['service.name'], AGENT_SERVICE_NAME);
    assert.equal(first.description?.nonIdentifying.cluster, 'eu');
    assert.equal(first.health?.healthy, true);
    assert.deepEqual(Object.keys(first.effectiveConfig ?? {}), [AGENT_CONFIG_FILE]);
    assert.ok(!first.effectiveConfig![AGENT_CONFIG_FILE]!.body.toString().includes(tokens.secret('write', 'team-a')), 'the token is not reported');
    assert.equal(first.remoteConfigStatus?.status, 'unset');

    fleet.offered = offer('client:\n  external_labels:\n    region: west\n');
    await waitFor('APPLIED', () => fleet.reports.some((r) => r.remoteConfigStatus?.status === 'applied' && r.remoteConfigStatus.lastRemoteConfigHash === fleet.offered!.hash), { timeoutMs: 15_000 });
    appendFileSync(path, 'two\n');
    await waitFor('a line with the remote label', async () => (await query('{job="app", region="west"}')) >= 1);
    assert.equal(proc.control?.client.disabled, false);
    await proc.close();
    assert.equal(fleet.reports.at(-1)?.disconnect, true, 'AgentDisconnect at shutdown');
    assert.equal(await query('{job="app"}'), 2);
  } finally {
    await proc.close();
    await server.close();
    for (const d of [dir, data, logs]) removeDir(d);
  }
});

test('against a server without /v1/opamp (as Loki: a 404), control auto turns itself off and shipping goes on', async () => {
  const server = await startServer();
  const data = tempDir();
  const logs = tempDir();
  const path = join(logs, 'app.log');
  writeFileSync(path, 'one\n');
  const proc = createAgentProcess(
    // Every logwharf server has /v1/opamp: a control URL under a path the server does not serve
    // gives the 404 a Loki answers, while the logs still go to the real server.
    testAgentConfig(server.url, data, { docker: { enabled: 'false' }, files: [{ paths: [path], labels: { job: 'app' } }], control: { url: `${server.url}/not-opamp` } }),
    { log: silent },
  );
  try {
    await proc.start();
    await waitFor('control off', () => proc.control?.client.disabled);
    await waitFor('the line shipped', async () => (await queryAll(server.url, '{job="app"}')).length === 1);
  } finally {
    await proc.close();
    await server.close();
    for (const d of [server.dir, data, logs]) removeDir(d);
  }
});
