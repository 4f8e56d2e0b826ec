/**
 * A stand-in for the Kubernetes API server's pod LIST and WATCH, over an in-memory set of pods.
 * Kubernetes cannot run on this machine, so the agent's client is tested against this instead: it
 * implements the documented semantics the agent relies on, and nothing more —
 *
 * - GET /api/v1/pods?fieldSelector=spec.nodeName=<node> → a PodList with metadata.resourceVersion
 *   (resourceVersion=0 and a consistent read answer alike here: there is no cache to be stale);
 * - GET /api/v1/pods?watch=1&fieldSelector=…&resourceVersion=<rv>[&allowWatchBookmarks=true] →
 *   200 and newline-delimited JSON events {type, object}: every change after <rv> from the history,
 *   then live ones; ADDED/MODIFIED/DELETED carry the pod with its new resourceVersion, BOOKMARK an
 *   object with only metadata.resourceVersion (sent only to watches that allowed them); a watch from
 *   a version older than the retained history gets an ERROR event with a 410 Status (as the real
 *   server does for "too old resource version"), or an HTTP 410 when `gone: 'http'` is set;
 * - resourceVersions are one counter over all pods, as etcd's revision is; changes to pods on other
 *   nodes move it too but are filtered out of this node's watch.
 *
 * Test controls: add/modify/delete pods, send bookmarks, compact (forget history), drop the open
 * watch connections, answer malformed JSON, and a log of the requests (path, query, authorization).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePod {
  uid: string;
  namespace: string;
  name: string;
  nodeName: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface Change {
  rv: number;
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  pod: FakePod;
}

interface Watcher {
  res: ServerResponse;
  node: string | undefined;
  bookmarks: boolean;
}

export interface RequestRecord {
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
}

export interface K8sApiServer {
  url: string;
  requests: RequestRecord[];
  /** Current resourceVersion (the counter of changes). */
  readonly rv: number;
  addPod(p: FakePod): void;
  modifyPod(uid: string, labels: Record<string, string>): void;
  deletePod(uid: string): void;
  /** Moves the version on without a change this node sees (another node's pod changed). */
  bumpElsewhere(): void;
  /** A BOOKMARK at the current version to every watch that allowed them. */
  bookmark(): void;
  /** Forgets the history: watches from any version before now get 410. */
  compact(): void;
  /** Cuts every open watch connection mid-stream. */
  dropWatches(): void;
  /** Ends every open watch cleanly, as the server's timeout does. */
  endWatches(): void;
  /** What the next requests get instead of the real answer. */
  malformed: { list?: boolean; watch?: boolean };
  /** How a too-old version is refused on WATCH: an ERROR event (default) or an HTTP 410. */
  gone: 'event' | 'http';
  watchCount(): number;
  close(): Promise<void>;
}

export async function startK8sApiServer(): Promise<K8sApiServer> {
  const pods = new Map<string, FakePod & { rv: number }>();
  const history: Change[] = [];
  const watchers = new Set<Watcher>();
  let rv = 1;
  let oldest = 1;

  function podObject(p: FakePod, version: number) {
    return {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { uid: p.uid, name: p.name, namespace: p.namespace, labels: p.labels ?? {}, annotations: p.annotations ?? {}, resourceVersion: String(version) },
      spec: { nodeName: p.nodeName, containers: [{ name: 'c' }] },
      status: { phase: 'Running' },
    };
  }

  function send(w: Watcher, c: Change) {
    if (w.node !== undefined && c.pod.nodeName !== w.node) return;
    w.res.write(`${JSON.stringify({ type: c.type, object: podObject(c.pod, c.rv) })}\n`);
  }

  function record(type: Change['type'], pod: FakePod) {
    const c = { rv: ++rv, type, pod: { ...pod } };
    history.push(c);
    for (const w of watchers) send(w, c);
  }

  function nodeOf(q: URLSearchParams): string | undefined {
    const sel = q.get('fieldSelector');
    const m = sel ? /^spec\.nodeName=(.*)$/.exec(sel) : null;
    return m ? m[1] : undefined;
  }

  function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    state.requests.push({ path: url.pathname, query: url.searchParams, authorization: req.headers.authorization });
    if (url.pathname !== '/api/v1/pods') {
      res.writeHead(404).end();
      return;
    }
    const node = nodeOf(url.searchParams);
    if (url.searchParams.get('watch') !== '1') {
      res.writeHead(200, { 'content-type': 'application/json' });
      if (state.malformed.list) return res.end('{"kind":"PodList","items":[');
      const items = [...pods.values()].filter((p) => node === undefined || p.nodeName === node).map((p) => podObject(p, p.rv));
      res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: String(rv) }, items }));
      return;
    }
    const from = url.searchParams.get('resourceVersion');
    const version = from === null || from === '' || from === '0' ? undefined : Number(from);
    if (version !== undefined && (!Number.isInteger(version) || version < oldest - 1)) {
      const status = { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `too old resource version: ${from} (${oldest})`, reason: 'Expired', code: 410 };
      if (state.gone === 'http') {
        res.writeHead(410, { 'content-type': 'application/json' }).end(JSON.stringify(status));
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`${JSON.stringify({ type: 'ERROR', object: status })}\n`);
      }
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    if (state.malformed.watch) {
      res.write('{"type":"ADDED","object":{not json}\n');
      return;
    }
    const w: Watcher = { res, node, bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true' };
    if (version === undefined) {
      // "Any" version: the current state as synthetic ADDED events, then live changes.
      for (const p of pods.values()) send(w, { rv: p.rv, type: 'ADDED', pod: p });
    } else {
      for (const c of history) if (c.rv > version) send(w, c);
    }
    watchers.add(w);
    res.on('close', () => watchers.delete(w));
  }

  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const state: K8sApiServer = {
    url: `http://127.0.0.1:${port}`,
    requests: [],
    get rv() {
      return rv;
    },
    malformed: {},
    gone: 'event',
    addPod(p) {
      record('ADDED', p);
      pods.set(p.uid, { ...p, rv });
    },
    modifyPod(uid, labels) {
      const p = pods.get(uid);
      if (!p) throw new Error(`no pod ${uid}`);
      record('MODIFIED', { ...p, labels });
      pods.set(uid, { ...p, labels, rv });
    },
    deletePod(uid) {
      const p = pods.get(uid);
      if (!p) throw new Error(`no pod ${uid}`);
      pods.delete(uid);
      record('DELETED', p);
    },
    bumpElsewhere() {
      record('MODIFIED', { uid: 'elsewhere', namespace: 'x', name: 'x', nodeName: '\0elsewhere' });
    },
    bookmark() {
      const line = `${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'Pod', apiVersion: 'v1', metadata: { resourceVersion: String(rv) } } })}\n`;
      for (const w of watchers) if (w.bookmarks) w.res.write(line);
    },
    compact() {
      oldest = rv + 1;
      history.length = 0;
    },
    dropWatches() {
      for (const w of watchers) w.res.socket?.destroy();
      watchers.clear();
    },
    endWatches() {
      for (const w of watchers) w.res.end();
      watchers.clear();
    },
    watchCount: () => watchers.size,
    async close() {
      for (const w of watchers) w.res.socket?.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return state;
}
