/**
 * The pod list/watch client and its reflector against test/helpers/k8s-api-server.ts, a stand-in
 * that implements the API server's documented list/watch semantics (no Kubernetes here).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createK8sApi, runPodReflector, type PodEventType, type PodMeta } from '../../../../src/agent/discovery/k8s-api.js';
import { startK8sApiServer, type K8sApiServer } from '../../../helpers/k8s-api-server.js';
import { waitFor } from '../../../helpers/wait-for.js';

const NODE = 'node-a';
const uid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/** Runs a reflector and mirrors what it reports into a pod map, like the discovery does. */
function reflect(server: K8sApiServer, opts: { tokenFile?: string } = {}) {
  const api = createK8sApi({ apiUrl: server.url, nodeName: NODE, tokenFile: opts.tokenFile, timeoutMs: 2000 });
  const pods = new Map<string, PodMeta>();
  const events: { type: PodEventType; uid: string }[] = [];
  const errors: Error[] = [];
  let lists = 0;
  const abort = new AbortController();
  const done = runPodReflector(
    api,
    {
      onList(list) {
        lists++;
        pods.clear();
        for (const p of list) pods.set(p.uid, p);
      },
      onEvent(type, pod) {
        events.push({ type, uid: pod.uid });
        if (type === 'DELETED') pods.delete(pod.uid);
        else pods.set(pod.uid, pod);
      },
      onHealthy() {},
      onError(err) {
        errors.push(err);
      },
    },
    { signal: abort.signal, minBackoffMs: 20, maxBackoffMs: 100 },
  );
  return {
    pods,
    events,
    errors,
    lists: () => lists,
    async stop() {
      abort.abort();
      await done;
    },
  };
}

function watches(server: K8sApiServer) {
  return server.requests.filter((r) => r.query.get('watch') === '1');
}

test('lists this node\'s pods, then watches ADDED, MODIFIED and DELETED from the list\'s version', async () => {
  const server = await startK8sApiServer();
  server.addPod({ uid: uid(1), namespace: 'default', name: 'web', nodeName: NODE, labels: { app: 'web' } });
  server.addPod({ uid: uid(9), namespace: 'default', name: 'other', nodeName: 'node-b' });
  const r = reflect(server);
  try {
    await waitFor('the list', () => r.lists() === 1 && server.watchCount() === 1);
    assert.deepEqual([...r.pods.keys()], [uid(1)], 'pods of other nodes are not listed');
    assert.equal(server.requests[0]!.query.get('fieldSelector'), `spec.nodeName=${NODE}`);
    assert.equal(watches(server)[0]!.query.get('resourceVersion'), String(server.rv));
    assert.equal(watches(server)[0]!.query.get('allowWatchBookmarks'), 'true');

    server.addPod({ uid: uid(2), namespace: 'shop', name: 'cart', nodeName: NODE, labels: { tier: 'a' } });
    server.addPod({ uid: uid(8), namespace: 'shop', name: 'elsewhere', nodeName: 'node-b' });
    server.modifyPod(uid(2), { tier: 'b' });
    server.deletePod(uid(1));
    await waitFor('the events', () => r.events.length === 3);
    assert.deepEqual(r.events, [
      { type: 'ADDED', uid: uid(2) },
      { type: 'MODIFIED', uid: uid(2) },
      { type: 'DELETED', uid: uid(1) },
    ]);
    assert.deepEqual([...r.pods.values()], [{ uid: uid(2), namespace: 'shop', name: 'cart', labels: { tier: 'b' } }]);
    assert.equal(r.errors.length, 0);
  } finally {
    await r.stop();
    await server.close();
  }
});

test('a bookmark moves the resourceVersion on: the next watch resumes from it', async () => {
  const server = await startK8sApiServer();
  const r = reflect(server);
  try {
    await waitFor('the watch', () => server.watchCount() === 1);
    const first = Number(watches(server)[0]!.query.get('resourceVersion'));
    // Changes on another node move the version without an event for this node; the bookmark says so.
    server.bumpElsewhere();
    server.bumpElsewhere();
    server.bookmark();
    await new Promise((res) => setTimeout(res, 100));
    server.endWatches();
    await waitFor('the second watch', () => watches(server).length === 2);
    assert.equal(Number(watches(server)[1]!.query.get('resourceVersion')), first + 2);
    assert.equal(r.lists(), 1, 'no re-list for an ordinary end of stream');
    assert.equal(r.events.length, 0, 'a bookmark is not a pod event');
  } finally {
    await r.stop();
    await server.close();
  }
});

for (const gone of ['event', 'http'] as const) {
  test(`410 Gone (${gone === 'event' ? 'ERROR event' : 'HTTP status'}) → re-list, and a pod added in the gap is seen`, async () => {
    const server = await startK8sApiServer();
    server.gone = gone;
    server.addPod({ uid: uid(1), namespace: 'default', name: 'web', nodeName: NODE });
    const r = reflect(server);
    try {
      await waitFor('the watch', () => server.watchCount() === 1);
      // The agent is cut off; meanwhile a pod is added and the server forgets the history.
      server.dropWatches();
      server.addPod({ uid: uid(2), namespace: 'default', name: 'gap', nodeName: NODE });
      server.compact();
      server.addPod({ uid: uid(3), namespace: 'default', name: 'after', nodeName: NODE });
      await waitFor('the re-list', () => r.lists() === 2 && server.watchCount() === 1);
      assert.deepEqual([...r.pods.keys()].sort(), [uid(1), uid(2), uid(3)]);
      const lists = server.requests.filter((q) => q.query.get('watch') !== '1');
      assert.equal(lists[0]!.query.get('resourceVersion'), '0', 'the first list may come from the watch cache');
      assert.equal(lists[1]!.query.get('resourceVersion'), null, 'after 410 the list is a consistent read');
      assert.ok(
        r.errors.every((e) => !/410|too old/.test(e.message)),
        '410 is part of the protocol, not an error to report',
      );
    } finally {
      await r.stop();
      await server.close();
    }
  });
}

test('a dropped watch connection reconnects from the last version, missing nothing', async () => {
  const server = await startK8sApiServer();
  const r = reflect(server);
  try {
    await waitFor('the watch', () => server.watchCount() === 1);
    server.addPod({ uid: uid(1), namespace: 'default', name: 'a', nodeName: NODE });
    await waitFor('the first event', () => r.events.length === 1);
    server.dropWatches();
    server.addPod({ uid: uid(2), namespace: 'default', name: 'b', nodeName: NODE });
    await waitFor('the event sent while disconnected', () => r.events.length === 2);
    assert.deepEqual(r.events.map((e) => e.uid), [uid(1), uid(2)]);
    assert.equal(r.lists(), 1, 'resumed by version, not by re-listing');
    assert.deepEqual(r.errors, [], 'a broken watch that reconnects at once is not an outage');
    const ws = watches(server);
    assert.equal(Number(ws.at(-1)!.query.get('resourceVersion')), server.rv - 1, 'resumed from the version of the last event seen');
  } finally {
    await r.stop();
    await server.close();
  }
});

test('the bearer token is re-read from token_file on every reconnect (tokens rotate)', async () => {
  const server = await startK8sApiServer();
  const dir = mkdtempSync(join(tmpdir(), 'k8s-token-'));
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, 'first-token\n');
  const r = reflect(server, { tokenFile });
  try {
    await waitFor('the watch', () => server.watchCount() === 1);
    writeFileSync(tokenFile, 'second-token\n');
    server.dropWatches();
    await waitFor('the reconnect', () => watches(server).length === 2);
    assert.equal(server.requests[0]!.authorization, 'Bearer first-token');
    assert.equal(watches(server)[1]!.authorization, 'Bearer second-token');
  } finally {
    await r.stop();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('malformed JSON from the API is an error, retried, never a crash', async () => {
  const server = await startK8sApiServer();
  server.malformed.list = true;
  const r = reflect(server);
  try {
    await waitFor('a list error', () => r.errors.length >= 1);
    assert.match(r.errors[0]!.message, /pod list: the answer is not JSON/);
    server.malformed = { watch: true };
    await waitFor('a watch error', () => r.errors.some((e) => /an event is not JSON/.test(e.message)));
    server.malformed = {};
    server.addPod({ uid: uid(1), namespace: 'default', name: 'a', nodeName: NODE });
    await waitFor('recovery', () => r.pods.has(uid(1)));
  } finally {
    await r.stop();
    await server.close();
  }
});

test('an unreachable API is reported with the address, and retried with backoff', async () => {
  const server = await startK8sApiServer();
  const url = server.url;
  await server.close();
  const api = createK8sApi({ apiUrl: url, nodeName: NODE, timeoutMs: 1000 });
  await assert.rejects(api.listPods(new AbortController().signal), /Kubernetes API 127\.0\.0\.1:\d+ unreachable: ECONNREFUSED/);
});

test('a 403 names the RBAC rules the service account needs', async () => {
  const { createServer } = await import('node:http');
  const srv = createServer((_req, res) => {
    res.writeHead(403, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'Status', code: 403, message: 'pods is forbidden: User "system:serviceaccount:x:y" cannot list resource "pods"' }));
  });
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  const { port } = srv.address() as { port: number };
  try {
    const api = createK8sApi({ apiUrl: `http://127.0.0.1:${port}`, nodeName: NODE });
    await assert.rejects(api.listPods(new AbortController().signal), (e: Error) => {
      assert.match(e.message, /HTTP 403: pods is forbidden/);
      assert.match(e.message, /get, list and watch on pods/);
      return true;
    });
  } finally {
    srv.close();
  }
});

test('https: the server certificate is checked against ca_file', async (t) => {
  const { spawnSync } = await import('node:child_process');
  const { createServer } = await import('node:https');
  const { readFileSync } = await import('node:fs');
  const dir = mkdtempSync(join(tmpdir(), 'k8s-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'ca.crt');
  const made = spawnSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert,
  ]);
  if (made.status !== 0) return t.skip('openssl could not make a certificate');
  const srv = createServer({ key: readFileSync(key), cert: readFileSync(cert) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ kind: 'PodList', metadata: { resourceVersion: '7' }, items: [] }));
  });
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', res));
  t.after(() => srv.close());
  const url = `https://127.0.0.1:${(srv.address() as { port: number }).port}`;
  const signal = new AbortController().signal;
  const trusted = createK8sApi({ apiUrl: url, nodeName: NODE, caFile: cert });
  assert.deepEqual(await trusted.listPods(signal), { pods: [], resourceVersion: '7' });
  const untrusted = createK8sApi({ apiUrl: url, nodeName: NODE, caFile: join(dir, 'missing.crt') });
  await assert.rejects(untrusted.listPods(signal), /certificate is not trusted \((SELF_SIGNED|DEPTH_ZERO_SELF_SIGNED)\w*\); ca_file .*missing\.crt/);
});
