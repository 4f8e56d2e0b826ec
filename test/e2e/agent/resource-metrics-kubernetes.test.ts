/**
 * Pod resource metrics (issue #16) through the whole agent: Kubernetes cannot run here, so the node
 * is stood in for as in agent-kubernetes.test.ts (kubelet-style CRI files, the documented list/watch
 * API) and its cgroups by a fixture tree in the kubelet's systemd layout. The pod's series carry the
 * labels of its logs less `container` (pod level, as cAdvisor's pod series), and go with the pod.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createAgent } from '../../../src/agent/agent.js';
import { createLogger } from '../../../src/util/logger.js';
import { startServer, tempDir, removeDir } from '../helpers/server.js';
import { CriWriter } from '../../helpers/cri-writer.js';
import { startK8sApiServer } from '../../helpers/k8s-api-server.js';
import { fixtureTree, podTree } from '../../helpers/cgroup-tree.js';
import { parseExposition, samplesOf } from '../../helpers/exposition.js';
import { testAgentConfig } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

const silent = createLogger({ level: 'silent' });
const UID = '0f8e4c1a-1111-2222-3333-555555555555';

test('a pod\'s figures are on the agent\'s /metrics with its log labels less container, and go when the pod goes', async (t) => {
  const server = await startServer();
  const api = await startK8sApiServer();
  api.addPod({ uid: UID, namespace: 'shop', name: 'cart-1', nodeName: 'node-1', labels: { 'app.kubernetes.io/name': 'cart' } });
  const data = tempDir();
  const pods = tempDir();
  const tree = fixtureTree();
  t.after(() => tree.close());
  podTree(tree, 'systemd-v2', UID, 4242);
  const podDir = join(pods, `shop_cart-1_${UID}`);
  const dir = join(podDir, 'cart');
  mkdirSync(dir, { recursive: true });
  const writer = new CriWriter({ dir });
  let writing = true;
  const stopWriting = () => {
    if (writing) writer.close();
    writing = false;
  };
  writer.write('hello from cart');
  const agent = createAgent(
    testAgentConfig(server.url, data, {
      docker: { enabled: 'false' },
      kubernetes: { enabled: 'true', pods_dir: pods, api_url: api.url, node_name: 'node-1' },
    }),
    { log: silent, resourceRoots: { cgroup: tree.cgroup, proc: tree.proc } },
  );
  try {
    await agent.start();
    const series = await waitFor('the pod\'s log stream', async () => {
      const q = new URLSearchParams({ 'match[]': '{namespace="shop"}' });
      const r = (await (await fetch(`${server.url}/loki/api/v1/series?${q}`)).json()) as { data: Record<string, string>[] };
      return r.data.length > 0 ? r.data : undefined;
    }, { timeoutMs: 10_000 });
    const { stream: _s, service_name: _n, container, ...podLabels } = series[0]!;
    assert.equal(container, 'cart');
    assert.equal(podLabels.app, 'cart');
    const s = parseExposition(await agent.registry.metrics());
    const cpu = samplesOf(s, 'container_cpu_usage_seconds_total', { pod: 'cart-1' });
    assert.equal(cpu.length, 1);
    assert.deepEqual(cpu[0]!.labels, podLabels, 'the labels of the pod\'s logs, less container');
    assert.equal(cpu[0]!.value, 2.5);
    assert.equal(samplesOf(s, 'container_network_receive_bytes_total', podLabels)[0]?.value, 5100);

    // The pod is deleted: its log directory goes, and so do its series.
    stopWriting();
    rmSync(podDir, { recursive: true, force: true });
    await waitFor('the pod\'s series to go', async () => {
      const now = parseExposition(await agent.registry.metrics());
      return samplesOf(now, 'container_last_seen', { pod: 'cart-1' }).length === 0 ? true : undefined;
    }, { timeoutMs: 15_000 });
  } finally {
    stopWriting();
    await agent.close();
    await api.close();
    await server.close();
    removeDir(server.dir);
    removeDir(data);
    removeDir(pods);
  }
});
