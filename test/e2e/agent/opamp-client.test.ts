/**
 * The agent's OpAMP client (issue #13) as `logwharf agent` runs it (createAgentProcess), shipping to
 * the real server, reporting to an OpAMP endpoint in this test that decodes and encodes with
 * `@elastic/opamp-client-node`'s classes generated from the real opamp .proto files — an
 * implementation independent of ours (the server's own /v1/opamp route lives on another branch; the
 * end-to-end tests of the whole control plane use it). The endpoint behaves as an OpAMP server
 * does: it offers a configuration while the agent's last reported hash differs from it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AgentToServerSchema, ServerToAgentSchema, type AgentToServer } from '@elastic/opamp-client-node/lib/generated/opamp_pb.js';
import { createAgentProcess } from '../../../src/app/agent.js';
import { createLogger } from '../../../src/util/logger.js';
import { startServer, tempDir, removeDir } from '../helpers/server.js';
import { queryAll, testAgentConfig } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

const silent = createLogger({ level: 'silent' });

interface Endpoint {
  url: string;
  received: AgentToServer[];
  /** The configuration offered (as an OpAMP server: while the agent's reported hash differs). */
  offer: { yaml: string; hash: Buffer } | undefined;
  /** Answer status for every request (200 = OpAMP; 404 = a server without it). */
  status: number;
  /** Set the ReportFullState flag in the next answer. */
  askFullState: boolean;
  /** More fields of the next answer (then cleared). */
  extra: Record<string, unknown> | undefined;
  close(): Promise<void>;
}

async function startEndpoint(): Promise<Endpoint> {
  let reportedHash = '';
  const ep: Endpoint = { url: '', received: [], offer: undefined, status: 200, askFullState: false, extra: undefined, close: async () => {} };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url !== '/v1/opamp' || req.method !== 'POST' || ep.status !== 200) return void res.writeHead(req.url === '/v1/opamp' ? ep.status : 404).end('not found');
      assert.equal(req.headers['content-type'], 'application/x-protobuf');
      const m = fromBinary(AgentToServerSchema, Buffer.concat(chunks));
      ep.received.push(m);
      if (m.remoteConfigStatus) reportedHash = Buffer.from(m.remoteConfigStatus.lastRemoteConfigHash).toString('hex');
      const answer = create(ServerToAgentSchema, {
        instanceUid: m.instanceUid,
        capabilities: 0x7n,
        flags: ep.askFullState ? 1n : 0n,
        ...(ep.offer &&
          ep.offer.hash.toString('hex') !== reportedHash && {
            remoteConfig: { configHash: ep.offer.hash, config: { configMap: { 'logwharf-agent.yaml': { body: Buffer.from(ep.offer.yaml), contentType: 'application/yaml' } } } },
          }),
        ...ep.extra,
      });
      ep.askFullState = false;
      ep.extra = undefined;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end(Buffer.from(toBinary(ServerToAgentSchema, answer)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  ep.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ep.close = () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve())));
  return ep;
}

const sha = (text: string) => createHash('sha256').update(text).digest();
const attrs = (kvs: { key: string; value?: { value: { case?: string; value?: unknown } } }[]) => Object.fromEntries(kvs.map((kv) => [kv.key, kv.value?.value.value]));
const configText = (m: AgentToServer) => Buffer.from(m.effectiveConfig?.configMap?.configMap['logwharf-agent.yaml']?.body ?? []).toString('utf8');
const write = (path: string, from: number, n: number) => appendFileSync(path, Array.from({ length: n }, (_, i) => `line ${from + i}\n`).join(''));

function agentConfig(server: string, endpoint: string, data: string, path: string, control: Record<string, unknown> = {}) {
  return testAgentConfig(server, data, {
    docker: { enabled: 'false' },
    files: [{ paths: [path], labels: { job: 'app' } }],
    // Lines are read at once, so a bad destination has lines to fail with early in the short window.
    read_coalesce: '0s',
    control: { enabled: 'true', url: endpoint, heartbeat: '200ms', health_window: '2s', attributes: { cluster: 'eu', role: 'edge' }, ...control },
  });
}

test('the agent reports itself over OpAMP, applies a remote configuration hot (APPLYING → APPLIED), rolls a bad one back (FAILED with the reason), keeps its identity and last good configuration over a restart, and says goodbye', async () => {
  const server = await startServer();
  const ep = await startEndpoint();
  const data = tempDir();
  const logs = tempDir();
  const path = join(logs, 'app.log');
  writeFileSync(path, '');
  const config = agentConfig(server.url, ep.url, data, path);
  let proc = createAgentProcess(config, { log: silent });
  try {
    await proc.start();
    const first = await waitFor('the first report', () => ep.received[0]);
    assert.equal(first.instanceUid.length, 16);
    assert.equal(first.sequenceNum, 0n);
    // ReportsStatus | AcceptsRemoteConfig | ReportsEffectiveConfig | ReportsHealth | ReportsRemoteConfig | ReportsHeartbeat
    assert.equal(first.capabilities, 0x1n | 0x2n | 0x4n | 0x800n | 0x1000n | 0x2000n);
    assert.equal(attrs(first.agentDescription!.identifyingAttributes as never)['service.name'], 'logwharf-agent');
    assert.deepEqual(
      { ...attrs(first.agentDescription!.nonIdentifyingAttributes as never) },
      { 'host.name': 'test-host', 'os.type': process.platform, cluster: 'eu', role: 'edge' },
    );
    assert.equal(first.health?.healthy, true);
    assert.equal(first.remoteConfigStatus?.status, 0, 'UNSET');
    const effective = configText(first);
    assert.match(effective, new RegExp(`url: ${server.url}`));
    assert.ok(!effective.includes(data) && !effective.includes('control'), 'local-only settings are not reported');
    const uid = Buffer.from(first.instanceUid).toString('hex');

    // A remote configuration: applied hot, reported APPLYING then APPLIED with its hash.
    write(path, 0, 20);
    const good = 'client:\n  external_labels:\n    team: payments\n';
    ep.offer = { yaml: good, hash: sha(good) };
    const statuses = () => ep.received.flatMap((m) => (m.remoteConfigStatus ? [{ status: m.remoteConfigStatus.status, hash: Buffer.from(m.remoteConfigStatus.lastRemoteConfigHash).toString('hex'), error: m.remoteConfigStatus.errorMessage }] : []));
    await waitFor('APPLIED', () => statuses().some((s) => s.status === 1 && s.hash === sha(good).toString('hex')), { timeoutMs: 15_000 });
    assert.deepEqual(statuses().slice(1, 3).map((s) => [s.status, s.hash]), [
      [2, sha(good).toString('hex')],
      [1, sha(good).toString('hex')],
    ], 'APPLYING, then APPLIED');
    assert.match(configText(ep.received.findLast((m) => m.effectiveConfig)!), /team: payments/);
    write(path, 20, 20);
    await waitFor('lines with the remote label', async () => (await queryAll(server.url, '{job="app", team="payments"}')).length >= 20);

    // A bad one (nothing listens on port 1): rolled back within the window, FAILED with the reason.
    const bad = 'client:\n  url: http://127.0.0.1:1\n';
    ep.offer = { yaml: bad, hash: sha(bad) };
    await waitFor('the bad configuration running', () => proc.agent.config.client.url === 'http://127.0.0.1:1', { timeoutMs: 5000 });
    write(path, 40, 20);
    const failed = await waitFor('FAILED', () => statuses().find((s) => s.status === 3), { timeoutMs: 15_000 });
    assert.equal(failed.hash, sha(bad).toString('hex'));
    assert.match(failed.error, /^client\.url http:\/\/127\.0\.0\.1:1\/loki\/api\/v1\/push: connect ECONNREFUSED.* for \ds; rolled back to the last good remote configuration/);
    await waitFor('all 60 lines', async () => (await queryAll(server.url, '{job="app"}')).length >= 60);
    const offeredAgain = ep.received.length;
    await waitFor('two more heartbeats', () => ep.received.length >= offeredAgain + 2);
    assert.equal(proc.agent.config.client.url, server.url, 'the failed configuration offered again is not applied again');

    // ReportFullState: the next report carries everything again.
    const before = ep.received.length;
    ep.askFullState = true;
    const full = await waitFor('a full report', () => ep.received.slice(before + 1).find((m) => m.agentDescription));
    assert.ok(full.effectiveConfig && full.remoteConfigStatus && full.health);

    await proc.close();
    assert.ok(ep.received.at(-1)!.agentDisconnect, 'AgentDisconnect at shutdown');
    const lines = (await queryAll(server.url, '{job="app"}')).map((l) => l.line);
    assert.deepEqual(lines.sort(), Array.from({ length: 60 }, (_, i) => `line ${i}`).sort(), 'every line once');

    // A restart: same instance_uid, and it comes back up on the last good remote configuration.
    ep.received.length = 0;
    ep.offer = undefined;
    proc = createAgentProcess(config, { log: silent });
    await proc.start();
    const again = await waitFor('the first report after the restart', () => ep.received[0]);
    assert.equal(Buffer.from(again.instanceUid).toString('hex'), uid);
    assert.match(configText(again), /team: payments/);
    assert.equal(proc.agent.config.client.external_labels.team, 'payments');
  } finally {
    await proc.close();
    await ep.close();
    await server.close();
    for (const d of [server.dir, data, logs]) removeDir(d);
  }
});

test('control.enabled auto turns itself off against a server without /v1/opamp (404); shipping goes on', async () => {
  const server = await startServer();
  const ep = await startEndpoint();
  ep.status = 404;
  const data = tempDir();
  const logs = tempDir();
  const path = join(logs, 'app.log');
  writeFileSync(path, 'one\n');
  const proc = createAgentProcess(agentConfig(server.url, ep.url, data, path, { enabled: 'auto' }), { log: silent });
  try {
    await proc.start();
    await waitFor('the client off', () => proc.control?.client.disabled);
    await waitFor('the line shipped', async () => (await queryAll(server.url, '{job="app"}')).length === 1);
    assert.equal(proc.control?.client.exchanges, 0);
  } finally {
    await proc.close();
    await ep.close();
    await server.close();
    for (const d of [server.dir, data, logs]) removeDir(d);
  }
});

test('a new instance_uid assigned by the server is used and kept; the heartbeat the server offers is followed; a configuration without logwharf-agent.yaml is FAILED', async () => {
  const server = await startServer();
  const ep = await startEndpoint();
  const data = tempDir();
  const logs = tempDir();
  const path = join(logs, 'app.log');
  writeFileSync(path, '');
  const proc = createAgentProcess(agentConfig(server.url, ep.url, data, path, { heartbeat: '30s' }), { log: silent });
  try {
    const assigned = Buffer.from('0190f3a2b4c64d7e8f90a1b2c3d4e5f6', 'hex');
    // The answer to the first report: a new uid, and heartbeats every second instead of the configured 30 s.
    ep.extra = { agentIdentification: { newInstanceUid: assigned }, connectionSettings: { hash: Buffer.from('cs'), opamp: { heartbeatIntervalSeconds: 1n } } };
    await proc.start();
    const first = await waitFor('the first report', () => ep.received[0]);
    assert.ok(!Buffer.from(first.instanceUid).equals(assigned));
    const after = await waitFor('a report under the new uid', () => ep.received.find((m) => Buffer.from(m.instanceUid).equals(assigned)), { timeoutMs: 5000 });
    assert.ok(after.agentDescription, 'the full state again under the new identity');
    const n = ep.received.length;
    await waitFor('heartbeats at the offered interval', () => ep.received.length >= n + 2, { timeoutMs: 5000 });
    assert.equal(readFileSync(join(data, 'opamp-instance-uid'), 'utf8').trim(), assigned.toString('hex'));
    // Meant for another kind of agent (a Collector's whole configuration under ""): refused, nothing changes.
    ep.extra = { remoteConfig: { configHash: Buffer.from('c0ffee', 'hex'), config: { configMap: { '': { body: Buffer.from('receivers: {}'), contentType: 'text/yaml' } } } } };
    const failed = await waitFor('FAILED', () => ep.received.find((m) => m.remoteConfigStatus?.status === 3));
    assert.equal(Buffer.from(failed.remoteConfigStatus!.lastRemoteConfigHash).toString('hex'), 'c0ffee');
    assert.match(failed.remoteConfigStatus!.errorMessage, /has no logwharf-agent\.yaml \(files: ""\)/);
  } finally {
    await proc.close();
    await ep.close();
    await server.close();
    for (const d of [server.dir, data, logs]) removeDir(d);
  }
});
