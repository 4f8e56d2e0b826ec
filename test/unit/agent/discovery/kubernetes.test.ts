/**
 * Kubernetes discovery over a real temporary pods_dir laid out as the kubelet does, with pod
 * metadata from test/helpers/k8s-api-server.ts (the list/watch stand-in; no Kubernetes here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { agentConfigSchema } from '../../../../src/config/agent.js';
import { createKubernetesDiscovery, podTargetLabels, type KubernetesDiscoveryConfig } from '../../../../src/agent/discovery/kubernetes.js';
import { createLogger } from '../../../../src/util/logger.js';
import { createK8sApi, type K8sApi } from '../../../../src/agent/discovery/k8s-api.js';
import { startK8sApiServer } from '../../../helpers/k8s-api-server.js';
import { recordingSink, scanCounter } from './recording-sink.js';
import { waitFor } from '../../../helpers/wait-for.js';

const NODE = 'node-a';
const log = createLogger({ level: 'silent' });
const uid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function setup(over: Partial<KubernetesDiscoveryConfig> = {}) {
  const root = mkdtempSync(join(tmpdir(), 'k8s-pods-'));
  const podsDir = join(root, 'pods');
  mkdirSync(podsDir);
  const cfg: KubernetesDiscoveryConfig = {
    ...agentConfigSchema.parse({}).kubernetes,
    pods_dir: podsDir,
    api_url: '',
    node_name: NODE,
    host: 'host-1',
    ...over,
  };
  const podDir = (ns: string, pod: string, u: string) => join(podsDir, `${ns}_${pod}_${u}`);
  const writeLog = (ns: string, pod: string, u: string, container: string, n: number | string) => {
    const dir = join(podDir(ns, pod, u), container);
    mkdirSync(dir, { recursive: true });
    const path = join(dir, typeof n === 'number' ? `${n}.log` : n);
    writeFileSync(path, '2024-01-01T00:00:00.000000000Z stdout F hello\n');
    return path;
  };
  return { root, podsDir, cfg, podDir, writeLog, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

test('pod log files become targets labelled from their paths; restarts and removals finish them', async () => {
  const t = setup();
  const web = t.writeLog('default', 'web-7d9f8-abcde', uid(1), 'nginx', 0);
  t.writeLog('default', 'web-7d9f8-abcde', uid(1), 'nginx', '0.log.20240101-120000.gz');
  t.writeLog('default', 'web-7d9f8-abcde', uid(1), 'nginx', '0.log.20240101-120000');
  mkdirSync(join(t.podsDir, 'not-a-pod'));
  writeFileSync(join(t.podsDir, 'stray.log'), 'x\n');
  t.writeLog('bad_ns', 'x', uid(5), 'c', 0); // an underscore too many: not the kubelet's
  // A container that restarted while the agent was away: 0.log is finished at once (drained), 1.log is live.
  const old = t.writeLog('jobs', 'batch', uid(2), 'worker', 0);
  const cur = t.writeLog('jobs', 'batch', uid(2), 'worker', 1);
  const sink = recordingSink();
  const d = createKubernetesDiscovery(t.cfg, sink, { log, intervalMs: 100 });
  try {
    await d.start();
    assert.deepEqual(sink.upserts.map((u) => u.id).sort(), [`k8s:${uid(1)}/nginx/0`, `k8s:${uid(2)}/worker/0`, `k8s:${uid(2)}/worker/1`]);
    assert.deepEqual(sink.latest(`k8s:${uid(1)}/nginx/0`), {
      id: `k8s:${uid(1)}/nginx/0`,
      kind: 'kubernetes',
      labels: { namespace: 'default', pod: 'web-7d9f8-abcde', container: 'nginx', node: NODE },
      reader: { type: 'file', path: web, format: 'cri' },
      info: { pod: 'web-7d9f8-abcde', namespace: 'default', container: 'nginx', node: NODE, file: web },
    });
    assert.equal(sink.latest(`k8s:${uid(2)}/worker/0`)!.info.file, old);
    assert.equal(sink.latest(`k8s:${uid(2)}/worker/1`)!.info.file, cur);
    assert.deepEqual(sink.finishedIds, [`k8s:${uid(2)}/worker/0`]);
    assert.deepEqual(sink.errors, []);

    // The container restarts: the new file is live, the old one is finished so it gets drained.
    t.writeLog('default', 'web-7d9f8-abcde', uid(1), 'nginx', 1);
    await waitFor('the restart file', () => sink.latest(`k8s:${uid(1)}/nginx/1`) !== undefined);
    await waitFor('the old file finished', () => sink.finishedIds.includes(`k8s:${uid(1)}/nginx/0`));

    // A new pod is found within a scan or two.
    t.writeLog('shop', 'cart', uid(3), 'app', 0);
    await waitFor('the new pod', () => sink.latest(`k8s:${uid(3)}/app/0`) !== undefined, { timeoutMs: 2000 });

    // The pod is deleted: the kubelet removes its directory, every file of it is finished.
    rmSync(t.podDir('default', 'web-7d9f8-abcde', uid(1)), { recursive: true });
    await waitFor('the pod dir gone', () => sink.finishedIds.includes(`k8s:${uid(1)}/nginx/1`));
    assert.equal(sink.finishedIds.filter((id) => id === `k8s:${uid(1)}/nginx/0`).length, 1, 'finished once');
    assert.equal(sink.upserts.filter((u) => u.id.startsWith(`k8s:${uid(1)}/`)).length, 2, 'no re-upsert of known targets');
  } finally {
    await d.close();
    t.cleanup();
  }
});

test('a live file missing for less than a scan interval (kubelet rotation) is not finished', async () => {
  const t = setup();
  const path = t.writeLog('default', 'web', uid(1), 'nginx', 0);
  const sink = recordingSink();
  const scans = scanCounter();
  const d = createKubernetesDiscovery(t.cfg, sink, { log, intervalMs: 100, onScanned: scans.onScanned });
  try {
    await d.start();
    // Renamed away between two scans and back right at the end of the next: missing from exactly one.
    const gone = scans.atEndOfScan(1, () => renameSync(path, `${path}.20240101-120000`));
    const back = scans.atEndOfScan(2, () => writeFileSync(path, ''));
    await Promise.all([gone, back]);
    await scans.scans(2);
    assert.deepEqual(sink.finishedIds, []);
    assert.equal(sink.upserts.length, 1);
    // Gone for good (two scans and more): finished.
    rmSync(path);
    await waitFor('finished', () => sink.finishedIds.length === 1, { timeoutMs: 3000 });
  } finally {
    await d.close();
    t.cleanup();
  }
});

for (const watchContainers of [true, false]) {
  test(`after scans that found nothing new, restarts, new containers and removed containers are still seen (issue #17; ${watchContainers ? 'container directories watched' : 'stat only'})`, async () => {
    // Unchanged scans stop early (they were a quarter of a busy agent's allocations), and watched
    // container directories are not even stat'ed; what changes in any directory of pods_dir must still
    // be found at the next scan, with the watch and without it (no inotify).
    const t = setup();
    t.writeLog('default', 'web', uid(1), 'nginx', 0);
    t.writeLog('default', 'api', uid(2), 'app', 0);
    t.writeLog('default', 'api', uid(2), 'sidecar', 0);
    const sink = recordingSink();
    const scans = scanCounter();
    const d = createKubernetesDiscovery(t.cfg, sink, { log, intervalMs: 50, onScanned: scans.onScanned, watchContainers });
    try {
      await d.start();
      assert.equal(sink.upserts.length, 3);
      await scans.scans(4);
      assert.equal(sink.upserts.length, 3, 'nothing upserted again while nothing changes');
      // A restart deep in a container directory whose pod directory did not change.
      t.writeLog('default', 'web', uid(1), 'nginx', 1);
      // A new container in an existing pod.
      t.writeLog('default', 'web', uid(1), 'init', 0);
      // Within two scans (counted, not timed: a full listing every 30 scans would find them anyway).
      await scans.scans(2);
      assert.ok(sink.latest(`k8s:${uid(1)}/nginx/1`), 'the restart file');
      assert.ok(sink.latest(`k8s:${uid(1)}/init/0`), 'the new container');
      assert.ok(sink.finishedIds.includes(`k8s:${uid(1)}/nginx/0`), 'the old file finished');
      await scans.scans(4);
      // One container directory removed while its pod stays: finished after two scans without it.
      rmSync(join(t.podDir('default', 'api', uid(2)), 'sidecar'), { recursive: true });
      await scans.scans(3);
      assert.ok(sink.finishedIds.includes(`k8s:${uid(2)}/sidecar/0`), 'the removed container finished');
      await scans.scans(4);
      assert.deepEqual(sink.finishedIds.sort(), [`k8s:${uid(1)}/nginx/0`, `k8s:${uid(2)}/sidecar/0`]);
      assert.deepEqual(sink.upserts.map((u) => u.id).sort(), [`k8s:${uid(1)}/init/0`, `k8s:${uid(1)}/nginx/0`, `k8s:${uid(1)}/nginx/1`, `k8s:${uid(2)}/app/0`, `k8s:${uid(2)}/sidecar/0`]);
    } finally {
      await d.close();
      t.cleanup();
    }
  });
}

test('pod labels from the API: app, selected labels, __meta labels; changes upsert again', async () => {
  const server = await startK8sApiServer();
  const t = setup({ api_url: server.url, pod_labels: ['team', 'example.com/tier', 'absent'] });
  server.addPod({
    uid: uid(1),
    namespace: 'shop',
    name: 'cart-1',
    nodeName: NODE,
    labels: { 'app.kubernetes.io/name': 'cart', app: 'legacy', team: 'payments', 'example.com/tier': 'db' },
  });
  t.writeLog('shop', 'cart-1', uid(1), 'app', 0);
  // Files of a pod the API does not know (yet): published with path labels after metaWaitMs.
  t.writeLog('shop', 'late', uid(2), 'app', 0);
  const sink = recordingSink();
  const d = createKubernetesDiscovery(t.cfg, sink, { log, intervalMs: 100, metaWaitMs: 1000, minBackoffMs: 20 });
  try {
    await d.start();
    const id = `k8s:${uid(1)}/app/0`;
    await waitFor('the labelled target', () => sink.latest(id) !== undefined);
    const first = sink.upserts.find((u) => u.id === id)!;
    assert.deepEqual(first.labels, {
      namespace: 'shop',
      pod: 'cart-1',
      container: 'app',
      node: NODE,
      app: 'cart',
      team: 'payments',
      example_com_tier: 'db',
      __meta_kubernetes_pod_label_app_kubernetes_io_name: 'cart',
      __meta_kubernetes_pod_label_app: 'legacy',
      __meta_kubernetes_pod_label_team: 'payments',
      __meta_kubernetes_pod_label_example_com_tier: 'db',
    }, 'the first upsert already carries the pod labels: the stream never starts with path labels only');

    const lateId = `k8s:${uid(2)}/app/0`;
    await waitFor('the target without metadata', () => sink.latest(lateId) !== undefined, { timeoutMs: 3000 });
    assert.deepEqual(sink.latest(lateId)!.labels, { namespace: 'shop', pod: 'late', container: 'app', node: NODE });

    // Metadata arriving later, and labels changing: upserted again with the new labels.
    server.addPod({ uid: uid(2), namespace: 'shop', name: 'late', nodeName: NODE, labels: { 'k8s-app': 'dns' } });
    await waitFor('late metadata', () => sink.latest(lateId)!.labels.app === 'dns');
    server.modifyPod(uid(1), { app: 'cart-v2', team: 'checkout' });
    await waitFor('changed labels', () => sink.latest(id)!.labels.team === 'checkout');
    assert.equal(sink.latest(id)!.labels.app, 'cart-v2');
    assert.equal(sink.latest(id)!.labels.example_com_tier, undefined);
    const before = sink.upserts.length;
    // Watch events are handled in order: once a later change to another pod is published, an
    // earlier event has had its effect (if it had one). That, not a sleep, shows "nothing happened".
    const barrier = async (app: string) => {
      server.modifyPod(uid(2), { 'k8s-app': app });
      await waitFor(`the barrier change (${app})`, () => sink.latest(lateId)!.labels.app === app);
    };
    // A status-only change (same labels) upserts nothing.
    server.modifyPod(uid(1), { app: 'cart-v2', team: 'checkout' });
    await barrier('dns-2');
    assert.deepEqual(sink.upserts.slice(before).map((u) => u.id), [lateId]);

    // Deleted from the API while its files remain (draining): its labels stay as they were.
    server.deletePod(uid(1));
    await barrier('dns-3');
    assert.deepEqual(sink.upserts.slice(before).map((u) => u.id), [lateId, lateId]);
    assert.equal(sink.latest(id)!.labels.team, 'checkout');
    assert.deepEqual(sink.errors, []);
    assert.deepEqual(sink.finishedIds, []);
  } finally {
    await d.close();
    await server.close();
    t.cleanup();
  }
});

test('a static pod\'s logs get the labels of its mirror pod (matched by kubernetes.io/config.mirror)', async () => {
  const server = await startK8sApiServer();
  const hash = '4a1b2c3d4e5f60718293a4b5c6d7e8f9';
  const t = setup({ api_url: server.url });
  server.addPod({
    uid: uid(7),
    namespace: 'kube-system',
    name: 'etcd-node-a',
    nodeName: NODE,
    labels: { component: 'etcd', 'k8s-app': 'etcd' },
    annotations: { 'kubernetes.io/config.mirror': hash },
  });
  t.writeLog('kube-system', 'etcd-node-a', hash, 'etcd', 0);
  const sink = recordingSink();
  const d = createKubernetesDiscovery(t.cfg, sink, { log, intervalMs: 100, metaWaitMs: 2000, minBackoffMs: 20 });
  try {
    await d.start();
    await waitFor('the target', () => sink.upserts.length === 1);
    assert.equal(sink.upserts[0]!.id, `k8s:${hash}/etcd/0`);
    assert.equal(sink.upserts[0]!.labels.app, 'etcd');
    assert.equal(sink.upserts[0]!.labels.__meta_kubernetes_pod_label_component, 'etcd');
  } finally {
    await d.close();
    await server.close();
    t.cleanup();
  }
});

test('API unreachable: targets from paths alone, one error per outage, retries go on', async () => {
  const server = await startK8sApiServer();
  const url = server.url;
  await server.close();
  const t = setup({ api_url: url });
  t.writeLog('default', 'web', uid(1), 'nginx', 0);
  const sink = recordingSink();
  // The real client, with its LIST attempts counted: "several retries" is a count, not a time.
  const real = createK8sApi({ apiUrl: url, nodeName: NODE });
  let lists = 0;
  const api: K8sApi = { listPods: (signal, consistent) => (lists++, real.listPods(signal, consistent)), watchPods: real.watchPods.bind(real) };
  const d = createKubernetesDiscovery(t.cfg, sink, { log, api, intervalMs: 100, metaWaitMs: 5000, minBackoffMs: 20, maxBackoffMs: 40 });
  try {
    await d.start();
    // Not held back for metaWaitMs: labels that cannot come are not waited for.
    await waitFor('the path-labelled target', () => sink.upserts.length === 1, { timeoutMs: 2000 });
    assert.deepEqual(sink.upserts[0]!.labels, { namespace: 'default', pod: 'web', container: 'nginx', node: NODE });
    await waitFor('several retries', () => lists >= 5);
    assert.equal(sink.errors.length, 1, 'reported once per outage, not per retry');
    assert.equal(sink.errors[0]!.source, 'kubernetes');
    assert.match(sink.errors[0]!.err.message, /unreachable: ECONNREFUSED.*labels from their log paths only/);
  } finally {
    await d.close();
    t.cleanup();
  }
});

test('malformed JSON from the API: an error, path labels, no crash; recovery brings the labels', async () => {
  const server = await startK8sApiServer();
  server.malformed.list = true;
  server.addPod({ uid: uid(1), namespace: 'default', name: 'web', nodeName: NODE, labels: { app: 'web' } });
  const t = setup({ api_url: server.url });
  t.writeLog('default', 'web', uid(1), 'nginx', 0);
  const sink = recordingSink();
  const d = createKubernetesDiscovery(t.cfg, sink, { log, intervalMs: 100, minBackoffMs: 50, maxBackoffMs: 50 });
  try {
    await d.start();
    await waitFor('the error', () => sink.errors.length === 1);
    assert.match(sink.errors[0]!.err.message, /not JSON/);
    await waitFor('the path-labelled target', () => sink.upserts.length === 1);
    server.malformed = {};
    await waitFor('the labels after recovery', () => sink.upserts.at(-1)!.labels.app === 'web');
    assert.equal(sink.errors.length, 1);
  } finally {
    await d.close();
    await server.close();
    t.cleanup();
  }
});

test('a missing pods_dir is reported once and picked up when it appears', async () => {
  const t = setup();
  rmSync(t.podsDir, { recursive: true });
  const sink = recordingSink();
  const scans = scanCounter();
  const d = createKubernetesDiscovery(t.cfg, sink, { log, intervalMs: 100, onScanned: scans.onScanned });
  try {
    await d.start();
    await scans.scans(3);
    assert.equal(sink.errors.length, 1);
    assert.match(sink.errors[0]!.err.message, /cannot read pods_dir .*ENOENT/);
    t.writeLog('default', 'web', uid(1), 'nginx', 0);
    await waitFor('the target', () => sink.upserts.length === 1);
  } finally {
    await d.close();
    t.cleanup();
  }
});

test('app comes from app.kubernetes.io/name, app, k8s-app, name in that order; path labels win', () => {
  const p = { namespace: 'ns', pod: 'p', uid: uid(1), container: 'c', restart: 0 };
  const app = (labels: Record<string, string>) => podTargetLabels(p, NODE, { uid: uid(1), namespace: 'ns', name: 'p', labels }, []).app;
  assert.equal(app({ name: 'd', 'k8s-app': 'c', app: 'b', 'app.kubernetes.io/name': 'a' }), 'a');
  assert.equal(app({ name: 'd', 'k8s-app': 'c', app: 'b' }), 'b');
  assert.equal(app({ name: 'd', 'k8s-app': 'c' }), 'c');
  assert.equal(app({ name: 'd' }), 'd');
  assert.equal(app({ 'app.kubernetes.io/name': '', app: 'b' }), 'b', 'an empty value is skipped');
  assert.equal(app({}), undefined);
  const hostile = podTargetLabels(p, NODE, { uid: uid(1), namespace: 'ns', name: 'p', labels: { namespace: 'evil', '9lives': 'x' } }, ['namespace', '9lives']);
  assert.equal(hostile.namespace, 'ns', 'a selected pod label cannot overwrite the path\'s namespace');
  assert.equal(hostile._9lives, 'x');
  assert.equal(hostile.__meta_kubernetes_pod_label_namespace, 'evil');
});
