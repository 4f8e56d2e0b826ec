/**
 * Remote configuration with the health window (issue #13) against the real server: a configuration
 * that validates but fails in practice (an unreachable client.url) is rolled back by the agent
 * itself within the window, with the reason, and no line is lost; a healthy one becomes the last
 * good configuration, survives a restart, and is what a later failure goes back to.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAgent } from '../../../src/agent/agent.js';
import { createRemoteConfig, loadRemoteConfig, REMOTE_CONFIG_FILE, type RemoteConfigStatus } from '../../../src/agent/remote-config.js';
import { createLogger } from '../../../src/util/logger.js';
import { startServer, tempDir, removeDir } from '../helpers/server.js';
import { queryAll, testAgentConfig } from './helpers.js';
import { metricValue } from './ship-helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

const silent = createLogger({ level: 'silent' });
const WINDOW_MS = 3000;

function setup(url: string, data: string, path: string) {
  return testAgentConfig(url, data, { docker: { enabled: 'false' }, files: [{ paths: [path], labels: { job: 'app' } }] });
}

const write = (path: string, from: number, n: number) => appendFileSync(path, Array.from({ length: n }, (_, i) => `line ${from + i}\n`).join(''));

test('an unreachable client.url is rolled back by the agent within the health window, with the reason, and no line is lost', async () => {
  const server = await startServer();
  const data = tempDir();
  const logs = tempDir();
  const path = join(logs, 'app.log');
  writeFileSync(path, '');
  const local = setup(server.url, data, path);
  const agent = createAgent(local, { log: silent });
  const statuses: RemoteConfigStatus[] = [];
  const remote = createRemoteConfig({ agent, local, windowMs: WINDOW_MS, log: silent, onStatus: (s) => statuses.push(s) });
  try {
    await agent.start();
    write(path, 0, 50);
    await waitFor('50 lines', async () => (await queryAll(server.url, '{job="app"}')).length >= 50);
    const appliedAt = Date.now();
    remote.offer('client:\n  url: http://127.0.0.1:1\n', 'bad-1');
    await waitFor('the bad configuration running', () => agent.config.client.url === 'http://127.0.0.1:1');
    // Lines read while the bad destination is in force wait in the shipper, unacknowledged.
    write(path, 50, 50);
    const failed = await waitFor('the rollback', () => statuses.find((s) => s.state === 'failed'), { timeoutMs: WINDOW_MS * 3 });
    const tookMs = Date.now() - appliedAt;
    assert.ok(tookMs <= WINDOW_MS + 500, `rolled back within the window: ${tookMs} ms`);
    assert.equal(failed.hash, 'bad-1');
    assert.match(failed.error, /^client\.url http:\/\/127\.0\.0\.1:1\/loki\/api\/v1\/push: connect ECONNREFUSED 127\.0\.0\.1:1 \(ECONNREFUSED\) for \ds; rolled back to the local configuration$/);
    assert.deepEqual(statuses.map((s) => s.state), ['applying', 'failed']);
    assert.equal(agent.config.client.url, server.url);
    write(path, 100, 50);
    await waitFor('every line on the server', async () => (await queryAll(server.url, '{job="app"}')).length >= 150);
    // Offered again (a server that does not know better), the failed configuration is not applied again.
    remote.offer('client:\n  url: http://127.0.0.1:1\n', 'bad-1');
    await remote.idle();
    assert.equal(statuses.length, 2);
    await agent.close();
    const lines = (await queryAll(server.url, '{job="app"}')).map((l) => l.line);
    assert.deepEqual(lines.sort(), Array.from({ length: 150 }, (_, i) => `line ${i}`).sort());
    const stored = JSON.parse(readFileSync(join(data, REMOTE_CONFIG_FILE), 'utf8'));
    assert.deepEqual(stored, { status: failed });
    assert.equal(await metricValue(agent.registry, 'logwharf_agent_remote_configs_total', { result: 'rolled_back' }), 1);
    assert.equal(await metricValue(agent.registry, 'logwharf_agent_remote_configs_total', { result: 'failed' }), 1);
    assert.equal(await metricValue(agent.registry, 'logwharf_agent_config_reloads_total', { result: 'applied' }), 2, 'the bad one and the rollback');
  } finally {
    await remote.close();
    await agent.close();
    await server.close();
    for (const d of [server.dir, data, logs]) removeDir(d);
  }
});

test('on a quiet node a new client.url is asked with an empty push at the end of the window: unreachable or not a push API is rolled back, a working one is kept', async () => {
  const server = await startServer();
  const other = await startServer();
  const data = tempDir();
  const logs = tempDir();
  const path = join(logs, 'app.log');
  writeFileSync(path, 'before\n');
  const local = setup(server.url, data, path);
  const agent = createAgent(local, { log: silent });
  const statuses: RemoteConfigStatus[] = [];
  const remote = createRemoteConfig({ agent, local, windowMs: WINDOW_MS, log: silent, onStatus: (s) => statuses.push(s) });
  try {
    await agent.start();
    await waitFor('the first line', async () => (await queryAll(server.url, '{job="app"}')).length === 1);
    // Nothing is written during these windows: only the empty push can tell a bad destination.
    remote.offer('client:\n  url: http://127.0.0.1:1\n', 'quiet-bad');
    const refused = await waitFor('the unreachable URL rolled back', () => statuses.find((s) => s.hash === 'quiet-bad' && s.state === 'failed'), { timeoutMs: WINDOW_MS * 3 });
    assert.match(refused.error, /^client\.url http:\/\/127\.0\.0\.1:1\/loki\/api\/v1\/push: .*ECONNREFUSED.* \(an empty push: nothing was shipped in the health window\); rolled back to the local configuration$/);
    assert.equal(agent.config.client.url, server.url);
    // A server that answers, but not with a push API (404).
    remote.offer(`client:\n  url: ${server.url}/not-a-push-api\n`, 'quiet-404');
    const notPush = await waitFor('the wrong path rolled back', () => statuses.find((s) => s.hash === 'quiet-404' && s.state === 'failed'), { timeoutMs: WINDOW_MS * 3 });
    assert.match(notPush.error, /\/not-a-push-api\/loki\/api\/v1\/push: HTTP 404 .*\(an empty push/);
    // A working destination passes, though nothing was shipped to it.
    remote.offer(`client:\n  url: ${other.url}\n`, 'quiet-good');
    await waitFor('the second server kept', () => remote.status().hash === 'quiet-good' && remote.status().state === 'applied', { timeoutMs: WINDOW_MS * 3 });
    assert.equal(agent.config.client.url, other.url);
    write(path, 0, 5);
    await waitFor('new lines on the second server', async () => (await queryAll(other.url, '{job="app"}')).length === 5);
    assert.equal((await queryAll(server.url, '{job="app"}')).length, 1, 'nothing shipped twice');
  } finally {
    await remote.close();
    await agent.close();
    await server.close();
    await other.close();
    for (const d of [server.dir, other.dir, data, logs]) removeDir(d);
  }
});

test('a healthy remote configuration becomes the last good one: persisted, started on after a restart (local-only keys from the file), and what a later failure goes back to', async () => {
  const server = await startServer();
  const data = tempDir();
  const logs = tempDir();
  const path = join(logs, 'app.log');
  writeFileSync(path, '');
  const local = setup(server.url, data, path);
  let agent = createAgent(local, { log: silent });
  const statuses: RemoteConfigStatus[] = [];
  let remote = createRemoteConfig({ agent, local, windowMs: WINDOW_MS, log: silent, onStatus: (s) => statuses.push(s) });
  try {
    await agent.start();
    // `data` is local-only: the remote value is ignored, the local file wins.
    remote.offer('client:\n  external_labels: {cluster: eu}\ndata: /elsewhere\n', 'good-1');
    write(path, 0, 20);
    await waitFor('applied', () => remote.status().state === 'applied', { timeoutMs: WINDOW_MS * 3 });
    assert.deepEqual(statuses.map((s) => s.state), ['applying', 'applied']);
    assert.equal(agent.config.data, data);
    await waitFor('lines with the remote label', async () => (await queryAll(server.url, '{job="app", cluster="eu"}')).length === 20);
    await remote.close();
    await agent.close();

    // A restart comes back up on the last good remote configuration.
    const loaded = loadRemoteConfig(local, silent);
    assert.deepEqual(loaded.config.client.external_labels, { cluster: 'eu' });
    assert.equal(loaded.config.data, data);
    agent = createAgent(loaded.config, { log: silent });
    remote = createRemoteConfig({ agent, local, windowMs: WINDOW_MS, log: silent, onStatus: (s) => statuses.push(s) }, loaded.stored);
    assert.deepEqual(remote.status(), { state: 'applied', hash: 'good-1', error: '' });
    await agent.start();
    write(path, 20, 20);
    await waitFor('40 lines with the remote label', async () => (await queryAll(server.url, '{job="app", cluster="eu"}')).length === 40);

    // A bad one goes back to the last good one (cluster=eu), not to the local file.
    remote.offer('client:\n  url: http://127.0.0.1:1\n  external_labels: {cluster: us}\n', 'bad-2');
    await waitFor('the bad configuration running', () => agent.config.client.url === 'http://127.0.0.1:1');
    write(path, 40, 20);
    await waitFor('failed', () => remote.status().state === 'failed', { timeoutMs: WINDOW_MS * 3 });
    assert.match(remote.status().error, /rolled back to the last good remote configuration \(good-1\)$/);
    assert.deepEqual(agent.config.client.external_labels, { cluster: 'eu' });
    assert.equal(agent.config.client.url, server.url);
    // The last good configuration offered again (a rollout rolled back): it is what runs, so it is APPLIED without a window.
    const again = Date.now();
    remote.offer('client:\n  external_labels: {cluster: eu}\n', 'good-1-again');
    await remote.idle();
    assert.deepEqual(remote.status(), { state: 'applied', hash: 'good-1-again', error: '' });
    assert.ok(Date.now() - again < WINDOW_MS, 'no health window for the configuration already running');
    await waitFor('60 lines', async () => (await queryAll(server.url, '{job="app"}')).length >= 60);
    await agent.close();
    const all = await queryAll(server.url, '{job="app"}');
    assert.deepEqual(all.map((l) => l.line).sort(), Array.from({ length: 60 }, (_, i) => `line ${i}`).sort());
    // Lines read under the bad configuration were labelled by it (cluster=us) and shipped, after the rollback, to the good server.
    assert.ok(all.every((l) => l.labels.cluster === 'eu' || l.labels.cluster === 'us'));
  } finally {
    await remote.close();
    await agent.close();
    await server.close();
    for (const d of [server.dir, data, logs]) removeDir(d);
  }
});

test('a remote configuration the schema refuses fails at once with the line, and nothing changes', async () => {
  const server = await startServer();
  const data = tempDir();
  const logs = tempDir();
  const path = join(logs, 'app.log');
  writeFileSync(path, '');
  const local = setup(server.url, data, path);
  const agent = createAgent(local, { log: silent });
  const remote = createRemoteConfig({ agent, local, windowMs: WINDOW_MS, log: silent });
  try {
    await agent.start();
    remote.offer('pipeline:\n  drop:\n    - line: "x"\n      colour: red\n', 'typo');
    await remote.idle();
    assert.equal(remote.status().state, 'failed');
    assert.match(remote.status().error, /colour/);
    assert.match(remote.status().error, /line 4/);
    remote.offer('client: [1, 2]\n', 'list');
    await remote.idle();
    assert.match(remote.status().error, /client/);
    assert.equal(agent.config, local);
  } finally {
    await remote.close();
    await agent.close();
    await server.close();
    for (const d of [server.dir, data, logs]) removeDir(d);
  }
});
