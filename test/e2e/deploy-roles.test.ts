/**
 * The configurations the Kubernetes manifests ship start the real roles and work together: the
 * server from the rendered server ConfigMap, the agent from the rendered agent ConfigMap through
 * the launcher the DaemonSet runs (bin/logwharf, with its small heap), reading a kubelet-style pod
 * log directory (test/helpers/cri-writer.ts; no Kubernetes here) and shipping to that server.
 * What a cluster provides is given the way the manifests give it: the listen address and data
 * directory as flags, NODE_NAME in the environment, and the host's /var/log/pods where the
 * rendered file expects it (here a temporary directory, the one value rewritten).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { parseDeployValues } from '../../src/deploy/values.js';
import { kubernetesObjects } from '../../src/deploy/render.js';
import type { K8sObject } from '../../src/deploy/k8s-common.js';
import { startChildServer, startCli, tempDir, removeDir } from './helpers/server.js';
import { CriWriter } from '../helpers/cri-writer.js';
import { waitFor } from '../helpers/wait-for.js';

function configMapFile(objects: K8sObject[], name: string, key: string): string {
  const cm = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === name) as { data: Record<string, string> } | undefined;
  assert.ok(cm, `no ConfigMap ${name}`);
  return cm.data[key]!;
}

test('the rendered server and agent configurations run together: pod log lines reach the server', { timeout: 120_000 }, async (t) => {
  const objects = [...kubernetesObjects(parseDeployValues({ server: { retention: { period: '14d' } } })).values()].flat();
  const dir = tempDir('logwharf-deploy-roles-');
  t.after(() => removeDir(dir));

  const serverFile = join(dir, 'server.yaml');
  writeFileSync(serverFile, configMapFile(objects, 'logwharf-config', 'server.yaml'));
  const server = await startChildServer(join(dir, 'data'), ['--config', serverFile]);
  t.after(async () => {
    server.proc.kill('SIGTERM');
    await server.exited;
  });

  const pods = join(dir, 'pods');
  const agentConfig = parse(configMapFile(objects, 'logwharf-agent-config', 'agent.yaml')) as { kubernetes: { pods_dir: string } };
  assert.equal(agentConfig.kubernetes.pods_dir, '/var/log/pods');
  agentConfig.kubernetes.pods_dir = pods;
  const agentFile = join(dir, 'agent.yaml');
  writeFileSync(agentFile, stringify(agentConfig));
  const podDir = join(pods, 'shop_web-1_6a1b2c3d-0000-4000-8000-000000000001', 'app');
  mkdirSync(podDir, { recursive: true });
  const writer = new CriWriter({ dir: podDir });
  t.after(() => writer.close());

  process.env.NODE_NAME = 'node-7';
  const agent = await startCli(['agent', '--config', agentFile, '--server', server.url, '--data', join(dir, 'positions'), '--metrics-listen', '127.0.0.1:0'], 'logwharf agent ready', { viaBin: true });
  t.after(async () => {
    agent.proc.kill('SIGTERM');
    await agent.exited;
  });
  // The launcher's small heap is in effect (Node's own default on this machine is several times larger).
  assert.ok(Number(agent.ready.heap_limit_mb) <= 200, `heap_limit_mb ${agent.ready.heap_limit_mb}`);
  // The probe path of the DaemonSet answers on the metrics address.
  const ready = await fetch(`${agent.ready.metrics as string}`.replace(/\/metrics$/, '') + '/ready');
  assert.equal(ready.status, 200);

  for (let i = 0; i < 50; i++) writer.write(`deploy-roles line ${i}`);
  const lines = await waitFor('the pod\'s 50 lines in the server', async () => {
    const res = await fetch(`${server.url}/loki/api/v1/query_range?${new URLSearchParams({ query: '{namespace="shop", pod="web-1"} |= "deploy-roles"', limit: '100', since: '1h' })}`);
    const body = (await res.json()) as { data: { result: Array<{ stream: Record<string, string>; values: string[][] }> } };
    const all = body.data.result.flatMap((s) => s.values.map((v) => ({ line: v[1]!, labels: s.stream })));
    return all.length >= 50 ? all : undefined;
  }, { timeoutMs: 30_000, intervalMs: 200 });
  assert.equal(lines.length, 50);
  assert.equal(lines[0]!.labels.container, 'app');
  assert.equal(lines[0]!.labels.node, 'node-7', 'NODE_NAME from the environment names the node');
});
