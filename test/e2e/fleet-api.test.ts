/**
 * The fleet API and `logwharf fleet` against the real server (port 0, temporary data dir). Agents
 * are simulated (test/helpers/fleet-agents.ts) and report through the server's own FleetController
 * in-process — the OpAMP transport in front of it (POST /v1/opamp, protobuf) has its own end-to-end
 * tests — while every operator action goes over HTTP: the CLI as a user runs it (dist/), and the REST
 * routes with malformed input.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer, removeDir, runCli, tempDir, type RunningServer } from './helpers/server.js';
import { createTestTokens } from './helpers/tokens.js';
import { auditRecords } from './helpers/audit.js';
import { SimAgent } from '../helpers/fleet-agents.js';
import { waitFor } from '../helpers/wait-for.js';
import type { WireAgent, WireRollout } from '../../src/api/fleet.js';

const FLEET = { stale_after: '30s', default_window: '1s', apply_timeout: '30s' };

/** Heartbeats every agent until the rollout has ended; its final view. */
async function untilEnded(s: RunningServer, agents: SimAgent[], id: number, headers: Record<string, string> = {}): Promise<WireRollout> {
  return waitFor(`rollout ${id} ended`, async () => {
    for (const a of agents) await a.heartbeat();
    const r = (await (await fetch(`${s.url}/api/v1/fleet/rollouts/${id}`, { headers })).json()) as { data: WireRollout };
    return r.data.state !== 'running' && r.data;
  }, { timeoutMs: 20_000, intervalMs: 100 });
}

test('fleet apply, status, history and rollback through the CLI against the real server', async (t) => {
  const s = await startServer({ fleet: FLEET });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const agents = ['node-a', 'node-b', 'node-c'].map((host) => new SimAgent(s.role.fleet.controller, { host, cluster: 'eu-1' }));
  for (const a of agents) await a.hello();
  const file = join(s.dir, 'base.yaml');
  writeFileSync(file, 'pipeline:\n  detect_level: true\n  drop_healthchecks: false\n');

  const applied = await runCli(['fleet', 'apply', file, '--addr', s.url, '--selector', 'cluster=eu-1', '--canary', '1', '--window', '1s', '--comment', 'first']);
  assert.equal(applied.code, 0, applied.stderr);
  const id = Number(applied.stdout.trim());
  assert.ok(Number.isInteger(id) && id > 0, applied.stdout);
  assert.match(applied.stderr, /configuration "base" version 1 \(sha256 [0-9a-f]{12}\) stored; rollout \d+: canary/);
  const first = await untilEnded(s, agents, id);
  assert.equal(first.state, 'succeeded', JSON.stringify(first));

  const st = await runCli(['fleet', 'status', '--addr', s.url, '--output', 'json']);
  assert.equal(st.code, 0, st.stderr);
  const status = JSON.parse(st.stdout) as { agents: WireAgent[]; rollouts: WireRollout[] };
  assert.deepEqual(status.agents.map((a) => [a.host, a.config, a.config_version, a.healthy, a.stale]), [
    ['node-a', 'base', 1, true, false],
    ['node-b', 'base', 1, true, false],
    ['node-c', 'base', 1, true, false],
  ]);
  for (const a of status.agents) assert.ok(Date.now() - Date.parse(a.last_seen) < 60_000 && /^[0-9a-f]{32}$/.test(a.id));
  assert.deepEqual(status.rollouts.map((r) => [r.id, r.state]), [[id, 'succeeded']]);
  const tableOut = await runCli(['fleet', 'status', '--addr', s.url]);
  assert.match(tableOut.stdout, /^AGENTS\nID +HOST +CONFIG +CONFIG_VERSION +HEALTHY +STATE +LAST_SEEN\n[0-9a-f]{32} +node-a +base +1 +true +connected/m);
  assert.match(tableOut.stdout, new RegExp(`ROLLOUTS\\nID +CONFIG +VERSION +STATE .*\\n${id} +base +1 +succeeded +succeeded`));

  // A second version whose canary fails: rolled back automatically, the other agents untouched.
  writeFileSync(file, 'client:\n  url: http://127.0.0.1:9/\npipeline:\n  detect_level: true\n  drop_healthchecks: true\n');
  // As our agent does with an unreachable client.url: it fails the health window and rolls itself back.
  for (const a of agents) a.policy = (body) => (body.includes('127.0.0.1:9/') ? 'fail' : 'apply');
  const bad = await runCli(['fleet', 'apply', file, '--addr', s.url, '--canary', '1', '--window', '1s']);
  assert.equal(bad.code, 0, bad.stderr);
  const second = await untilEnded(s, agents, Number(bad.stdout.trim()));
  assert.equal(second.state, 'rolled_back');
  assert.match(second.reason, /failed to apply the version: health window: pushes to client.url failed/);
  assert.equal(agents.filter((a) => a.offered.length > 1).length, 1, 'only the canary was offered version 2');
  await waitFor('the canary back on version 1', async () => {
    for (const a of agents) await a.heartbeat();
    return agents.every((a) => a.rcStatus === 'applied' && a.body.includes('drop_healthchecks: false'));
  });

  const hist = await runCli(['fleet', 'history', 'base', '--addr', s.url]);
  assert.equal(hist.code, 0, hist.stderr);
  assert.match(hist.stdout, /^configuration base, selector cluster=eu-1, good version 1\n/);
  assert.match(hist.stdout, /version 1 .* by anonymous {2}sha256 [0-9a-f]{12} {2}"first"\n\nversion 2 /);
  assert.match(hist.stdout, /\+client:\n\+ {2}url: http:\/\/127\.0\.0\.1:9\/\n pipeline:\n {3}detect_level: true\n- {2}drop_healthchecks: false\n\+ {2}drop_healthchecks: true\n/);

  const rb = await runCli(['fleet', 'rollback', 'base', '--to', '1', '--addr', s.url]);
  assert.equal(rb.code, 0, rb.stderr);
  assert.match(rb.stderr, /rolled back to version 1 as version 3/);
  assert.equal((await untilEnded(s, agents, Number(rb.stdout.trim()))).state, 'succeeded');

  const configs = (await (await fetch(`${s.url}/api/v1/fleet/configs`)).json()) as { data: unknown };
  assert.deepEqual(configs.data, [{ name: 'base', selector: 'cluster=eu-1', latest_version: 3, good_version: 3, running_rollout: null }]);
  // What the status endpoint and /metrics read.
  const summary = s.role.fleet.summary();
  assert.deepEqual(summary.agents.by_config_version, [{ config: 'base', version: 3, agents: 3 }]);
  assert.deepEqual([summary.agents.connected, summary.agents.stale, summary.agents.unhealthy, summary.rollouts.running.length], [3, 0, 0, 0]);
  const metrics = await (await fetch(`${s.url}/metrics`)).text();
  assert.match(metrics, /^logwharf_fleet_agents\{state="healthy"\} 3$/m);
  assert.match(metrics, /^logwharf_fleet_rollouts\{state="rolled_back"\} 1$/m);
  assert.match(metrics, /^logwharf_fleet_config_versions 3$/m);
});

test('malformed input: usage errors from the CLI, clear 4xx from the API', async (t) => {
  const s = await startServer({ fleet: FLEET });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const file = join(s.dir, 'x.yaml');
  writeFileSync(file, 'pipeline: {}\n');
  const usage: Array<[string[], RegExp]> = [
    [['fleet'], /Usage:/],
    [['fleet', 'deploy'], /fleet: unknown subcommand "deploy" \(want apply, status, history, rollback, render-otel\)/],
    [['fleet', 'apply', '--addr', s.url], /give exactly one FILE/],
    [['fleet', 'apply', join(s.dir, 'missing.yaml'), '--addr', s.url], /cannot read .*missing\.yaml \(ENOENT\)/],
    [['fleet', 'apply', file, '--addr', s.url, '--selector', 'zone=a'], /--selector: invalid selector: unknown key "zone"/],
    [['fleet', 'apply', file, '--addr', s.url, '--canary', '0'], /--canary: invalid canary "0"/],
    [['fleet', 'apply', file, '--addr', s.url, '--canary', '150%'], /--canary: invalid canary "150%"/],
    [['fleet', 'apply', file, '--addr', s.url, '--window', 'soon'], /--window: "soon" is not a duration/],
    [['fleet', 'apply', file, '--addr', s.url, '--name', 'Bad Name'], /--name: invalid configuration name "Bad Name"/],
    [['fleet', 'apply', file, '--addr', s.url, '--bogus'], /Unknown option '--bogus'/],
    [['fleet', 'rollback', 'x', '--addr', s.url], /--to VERSION is required/],
    [['fleet', 'rollback', 'x', '--to', 'latest', '--addr', s.url], /--to: "latest" is not an integer/],
    [['fleet', 'status', '--addr', s.url, '--output', 'yaml'], /--output: "yaml" is not one of table, json/],
    [['fleet', 'history', '--addr', s.url], /give exactly one configuration NAME/],
  ];
  for (const [args, want] of usage) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want, args.join(' '));
  }
  // Refused by the server: exit 1 with its words.
  writeFileSync(file, 'client:\n  url: http://x:3100\n  bearer_token: nope\n');
  const forbidden = await runCli(['fleet', 'apply', file, '--addr', s.url]);
  assert.equal(forbidden.code, 1);
  assert.match(forbidden.stderr, /400 Bad Request: invalid remote configuration: line 3: client\.bearer_token: a remote configuration may not set this key/);
  writeFileSync(file, 'pipeline:\n  drop: [\n');
  const yaml = await runCli(['fleet', 'apply', file, '--addr', s.url]);
  assert.equal(yaml.code, 1);
  assert.match(yaml.stderr, /not valid YAML: .*line 3, column 1/);
  const none = await runCli(['fleet', 'rollback', 'nothing', '--to', '1', '--addr', s.url]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /404 Not Found: no configuration named "nothing"/);
  // No agent connected: the rollout fails at once, and the command says so.
  writeFileSync(file, 'pipeline: {}\n');
  const lonely = await runCli(['fleet', 'apply', file, '--addr', s.url]);
  assert.equal(lonely.code, 1);
  assert.match(lonely.stderr, /rollout \d+: failed \(no connected agent matches configuration "x"/);
  const unknownVersion = await runCli(['fleet', 'rollback', 'x', '--to', '7', '--addr', s.url]);
  assert.match(unknownVersion.stderr, /404 Not Found: configuration "x" has no version 7 \(its versions are 1 to 1\)/);

  const api = async (method: string, path: string, body?: string) => {
    const res = await fetch(s.url + path, { method, body, headers: body === undefined ? {} : { 'Content-Type': 'application/yaml' } });
    return `${res.status} ${(await res.text()).trim()}`;
  };
  assert.match(await api('POST', '/api/v1/fleet/configs/x?selector=role', '{}'), /^400 invalid selector: "role" is not key=value/);
  assert.match(await api('POST', '/api/v1/fleet/configs/x?canary=abc', '{}'), /^400 invalid canary "abc"/);
  assert.match(await api('POST', '/api/v1/fleet/configs/x?window=1parsec', '{}'), /^400 invalid window "1parsec"/);
  assert.match(await api('POST', '/api/v1/fleet/configs/UPPER', '{}'), /^400 invalid configuration name "UPPER"/);
  assert.match(await api('POST', '/api/v1/fleet/configs/x', 'data: /elsewhere\n'), /^400 invalid remote configuration: line 1: data:/);
  assert.match(await api('POST', '/api/v1/fleet/configs/x/rollback', ''), /^400 missing parameter "to"/);
  assert.match(await api('POST', '/api/v1/fleet/configs/x/rollback?to=0', ''), /^400 invalid to "0"/);
  assert.match(await api('GET', '/api/v1/fleet/rollouts/abc'), /^404 no rollout with id "abc"/);
  assert.match(await api('GET', '/api/v1/fleet/rollouts/999'), /^404 no rollout with id 999/);
  assert.match(await api('GET', '/api/v1/fleet/configs/nope/history'), /^404 no configuration named "nope"/);
  assert.match(await api('GET', '/api/v1/fleet/configs/x/versions/1'), /^200 pipeline: \{\}/);
  const invalidUtf8 = await fetch(`${s.url}/api/v1/fleet/configs/x`, { method: 'POST', body: Buffer.from([0x61, 0x3a, 0x20, 0xff, 0x0a]) });
  assert.equal(`${invalidUtf8.status} ${(await invalidUtf8.text()).trim()}`, '400 the remote configuration is not valid UTF-8');
});

test('with tokens: reads need read, changes need admin, the author is the token and the change is audited', async (t) => {
  const dir = tempDir();
  const tokens = createTestTokens(dir, [
    { role: 'admin', tenants: ['team-a'] },
    { role: 'read', tenants: ['team-a'] },
    { role: 'admin', tenants: ['logwharf-audit'] },
  ]);
  const s = await startServer({ data: dir, auth: { tokens_enabled: true }, fleet: FLEET });
  t.after(async () => (await s.close(), removeDir(dir)));
  const agent = new SimAgent(s.role.fleet.controller, { host: 'node-a' });
  await agent.hello();
  const file = join(dir, 'base.yaml');
  writeFileSync(file, 'pipeline: {drop_healthchecks: true}\n');
  const asRead = await runCli(['fleet', 'apply', file, '--addr', s.url, '--bearer-token', tokens.secret('read', 'team-a')]);
  assert.equal(asRead.code, 1);
  assert.match(asRead.stderr, /403/);
  const asAdmin = await runCli(['fleet', 'apply', file, '--addr', s.url, '--bearer-token', tokens.secret('admin', 'team-a'), '--window', '1s']);
  assert.equal(asAdmin.code, 0, asAdmin.stderr);
  const read = { Authorization: `Bearer ${tokens.secret('read', 'team-a')}` };
  assert.equal((await untilEnded(s, [agent], Number(asAdmin.stdout.trim()), read)).state, 'succeeded');
  const hist = (await (await fetch(`${s.url}/api/v1/fleet/configs/base/history`, { headers: read })).json()) as { data: { versions: Array<{ author: string }> } };
  assert.equal(hist.data.versions[0]!.author, 'admin-team-a');
  const audit = await waitFor('the apply in the audit log', async () => {
    const records = await auditRecords(s.url, { Authorization: `Bearer ${tokens.secret('admin', 'logwharf-audit')}` });
    return records.find((r) => r.line.route === '/api/v1/fleet/configs/:name' && r.line.status === 201);
  });
  assert.equal(audit.line.who, 'admin-team-a');
  assert.equal(audit.line.action, 'fleet.config.apply');
  assert.deepEqual(audit.line.target, { name: 'base', config: 'base', version: 1, rollout: 1, unchanged: false });
});
