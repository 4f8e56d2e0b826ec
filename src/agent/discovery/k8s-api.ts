/**
 * The little of the Kubernetes API the agent needs: the pods on this node, listed once and then
 * watched (issue #4 §1). Plain node:http/https, no client library: LIST and WATCH of
 * /api/v1/pods with fieldSelector=spec.nodeName, in-cluster service-account auth.
 *
 * The reflector below keeps a local view in step the way Kubernetes' own clients do: LIST gives the
 * pods and a resourceVersion; WATCH from that version streams what changed since; every event, and
 * BOOKMARK events that carry nothing but a newer version, move the version on, so a reconnect
 * resumes exactly where the last stream stopped. When the server no longer has history that old it
 * answers 410 Gone (as an HTTP status or as an ERROR event), and the only way back is a fresh LIST.
 */
import { readFileSync } from 'node:fs';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** What the agent keeps of a pod: identity and labels (nothing else, to stay small). */
export interface PodMeta {
  uid: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
  /**
   * For the API's mirror of a static pod: the static pod's own uid (the kubelet's hash of its
   * manifest, annotation kubernetes.io/config.mirror), which is the uid in its log directory's name.
   */
  mirrorOf?: string;
}

export type PodEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface K8sApiOptions {
  /** Base URL, e.g. https://10.96.0.1:443 (http:// for test servers). */
  apiUrl: string;
  nodeName: string;
  /** Bearer token file, re-read on every request: projected service-account tokens rotate. */
  tokenFile?: string;
  /** PEM CA bundle for https; the system CAs when absent or missing. */
  caFile?: string;
  /** Request timeout of LIST, and the longest silence on a WATCH stream (ms). */
  timeoutMs?: number;
  /** Asked of the server per WATCH; it ends the stream after about this long (s). */
  watchTimeoutSeconds?: number;
}

export class K8sApiError extends Error {
  constructor(
    message: string,
    /** HTTP status, or the `code` of a watch ERROR event. */
    readonly status?: number,
    /** An accepted watch whose connection broke: apiserver restarts and load balancers do that. */
    readonly dropped = false,
  ) {
    super(message);
    this.name = 'K8sApiError';
  }
}

export interface PodList {
  pods: PodMeta[];
  resourceVersion: string;
}

/** One watch event: a pod change, or (BOOKMARK) only a newer resourceVersion. */
export type WatchEvent = { type: PodEventType; pod: PodMeta; resourceVersion: string } | { type: 'BOOKMARK'; resourceVersion: string };

export interface K8sApi {
  /**
   * Pods on this node. `consistent` asks for the newest state (after a 410); otherwise the server may
   * answer from its watch cache (resourceVersion=0), which is far cheaper for it with one agent per node.
   */
  listPods(signal: AbortSignal, consistent?: boolean): Promise<PodList>;
  /**
   * Streams events after `resourceVersion` until the server ends the stream (resolves) or it fails
   * (rejects; a K8sApiError with status 410 when the version is too old). `onConnected` runs once the
   * server accepted the watch.
   */
  watchPods(resourceVersion: string, onEvent: (e: WatchEvent) => void, signal: AbortSignal, onConnected?: () => void): Promise<void>;
}

/** A watch line longer than this is not a pod event; the stream is dropped rather than buffered on. */
const MAX_EVENT_BYTES = 16 * 1024 * 1024;

/** Creates the API client; nothing is sent until listPods or watchPods is called. */
export function createK8sApi(opts: K8sApiOptions): K8sApi {
  const base = new URL(opts.apiUrl);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const watchTimeout = opts.watchTimeoutSeconds ?? 300;
  const selector = `fieldSelector=${encodeURIComponent(`spec.nodeName=${opts.nodeName}`)}`;

  function open(path: string, signal: AbortSignal, idleMs: number): Promise<IncomingMessage> {
    const url = new URL(path, base);
    const headers: Record<string, string> = { accept: 'application/json' };
    const token = readOptional(opts.tokenFile)?.trim();
    if (token) headers.authorization = `Bearer ${token}`;
    const https = url.protocol === 'https:';
    const ca = https ? readOptional(opts.caFile) : undefined;
    return new Promise((resolve, reject) => {
      const req = (https ? httpsRequest : httpRequest)(url, { method: 'GET', headers, signal, ...(ca ? { ca } : {}) }, resolve);
      req.setTimeout(idleMs, () => req.destroy(new K8sApiError(`Kubernetes API ${url.host}: no answer within ${idleMs} ms`)));
      req.on('error', (e) => reject(describe(e, url, opts.caFile)));
      req.end();
    });
  }

  async function failure(res: IncomingMessage, what: string): Promise<K8sApiError> {
    const body = (await readBody(res, 64 * 1024).catch(() => '')).trim();
    let detail = body.slice(0, 300);
    try {
      const status = JSON.parse(body) as { message?: unknown };
      if (typeof status.message === 'string') detail = status.message;
    } catch {
      // Not a Status object: show the text as it is.
    }
    const status = res.statusCode ?? 0;
    const hint =
      status === 401 || status === 403
        ? ' (the agent\'s service account needs get, list and watch on pods; check token_file and the RBAC rules)'
        : '';
    return new K8sApiError(`Kubernetes API ${what}: HTTP ${status}${detail ? `: ${detail}` : ''}${hint}`, status);
  }

  return {
    async listPods(signal, consistent = false) {
      const res = await open(`/api/v1/pods?${selector}${consistent ? '' : '&resourceVersion=0'}`, signal, timeoutMs);
      if (res.statusCode !== 200) throw await failure(res, 'pod list');
      const text = await readBody(res, 256 * 1024 * 1024);
      let doc: unknown;
      try {
        doc = JSON.parse(text);
      } catch {
        throw new K8sApiError(`Kubernetes API pod list: the answer is not JSON: ${text.slice(0, 100)}`);
      }
      const list = doc as { metadata?: { resourceVersion?: unknown }; items?: unknown };
      const rv = list?.metadata?.resourceVersion;
      if (typeof rv !== 'string' || !Array.isArray(list.items)) {
        throw new K8sApiError('Kubernetes API pod list: the answer is not a PodList (no items or metadata.resourceVersion)');
      }
      const pods: PodMeta[] = [];
      for (const item of list.items) {
        const pod = toPodMeta(item);
        if (pod) pods.push(pod);
      }
      return { pods, resourceVersion: rv };
    },

    async watchPods(resourceVersion, onEvent, signal, onConnected) {
      const path =
        `/api/v1/pods?watch=1&${selector}&resourceVersion=${encodeURIComponent(resourceVersion)}` +
        `&allowWatchBookmarks=true&timeoutSeconds=${watchTimeout}`;
      // A stream silent for longer than the server's own timeout is a dead connection.
      const res = await open(path, signal, Math.max(timeoutMs, (watchTimeout + 60) * 1000));
      if (res.statusCode !== 200) throw await failure(res, 'pod watch');
      onConnected?.();
      await new Promise<void>((resolve, reject) => {
        let pending = '';
        let failed = false;
        const fail = (e: Error) => {
          if (failed) return;
          failed = true;
          res.destroy();
          reject(e);
        };
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (failed) return;
          pending += chunk;
          let nl: number;
          while ((nl = pending.indexOf('\n')) >= 0) {
            const line = pending.slice(0, nl).trim();
            pending = pending.slice(nl + 1);
            if (!line) continue;
            try {
              const event = parseWatchLine(line);
              if (event) onEvent(event);
            } catch (e) {
              return fail(e as Error);
            }
          }
          if (pending.length > MAX_EVENT_BYTES) fail(new K8sApiError(`Kubernetes API pod watch: an event longer than ${MAX_EVENT_BYTES} bytes`));
        });
        res.on('end', () => {
          if (failed) return;
          const rest = pending.trim();
          try {
            if (rest) {
              const event = parseWatchLine(rest);
              if (event) onEvent(event);
            }
          } catch (e) {
            return fail(e as Error);
          }
          resolve();
        });
        res.on('error', (e) => fail(signal.aborted ? e : new K8sApiError(`Kubernetes API pod watch: ${e.message}`, undefined, true)));
        res.on('close', () => {
          if (!res.complete) fail(new K8sApiError('Kubernetes API pod watch: the connection closed mid-stream', undefined, true));
        });
      });
    },
  };
}

/** One line of a watch stream → an event; throws on what no API server sends. */
export function parseWatchLine(line: string): WatchEvent | undefined {
  let doc: { type?: unknown; object?: unknown };
  try {
    doc = JSON.parse(line) as typeof doc;
  } catch {
    throw new K8sApiError(`Kubernetes API pod watch: an event is not JSON: ${line.slice(0, 100)}`);
  }
  const object = (doc?.object ?? {}) as { metadata?: { resourceVersion?: unknown }; code?: unknown; message?: unknown; reason?: unknown };
  switch (doc?.type) {
    case 'ERROR': {
      const code = typeof object.code === 'number' ? object.code : undefined;
      const msg = typeof object.message === 'string' ? object.message : String(object.reason ?? 'unknown error');
      throw new K8sApiError(`Kubernetes API pod watch: ${msg}`, code);
    }
    case 'BOOKMARK': {
      const rv = object.metadata?.resourceVersion;
      if (typeof rv !== 'string') throw new K8sApiError('Kubernetes API pod watch: a BOOKMARK without metadata.resourceVersion');
      return { type: 'BOOKMARK', resourceVersion: rv };
    }
    case 'ADDED':
    case 'MODIFIED':
    case 'DELETED': {
      const pod = toPodMeta(object);
      const rv = object.metadata?.resourceVersion;
      if (!pod || typeof rv !== 'string') throw new K8sApiError(`Kubernetes API pod watch: a ${doc.type} event without a pod in it`);
      return { type: doc.type, pod, resourceVersion: rv };
    }
    default:
      throw new K8sApiError(`Kubernetes API pod watch: unknown event type ${JSON.stringify(doc?.type)}`);
  }
}

function toPodMeta(item: unknown): PodMeta | undefined {
  const meta = (item as { metadata?: Record<string, unknown> } | null)?.metadata;
  if (!meta || typeof meta.uid !== 'string' || typeof meta.name !== 'string' || typeof meta.namespace !== 'string') return undefined;
  const labels: Record<string, string> = {};
  if (meta.labels && typeof meta.labels === 'object') {
    for (const [k, v] of Object.entries(meta.labels as Record<string, unknown>)) if (typeof v === 'string') labels[k] = v;
  }
  const pod: PodMeta = { uid: meta.uid, namespace: meta.namespace, name: meta.name, labels };
  const mirror = (meta.annotations as Record<string, unknown> | undefined)?.['kubernetes.io/config.mirror'];
  if (typeof mirror === 'string' && mirror) pod.mirrorOf = mirror;
  return pod;
}

export interface PodReflectorHandlers {
  /** A full listing: the complete set of pods on the node now. */
  onList(pods: PodMeta[]): void;
  onEvent(type: PodEventType, pod: PodMeta): void;
  /** The API answered (a listing, or a watch accepted): an outage, if any, is over. */
  onHealthy(): void;
  /** A failure; the reflector retries by itself after a backoff. */
  onError(err: Error): void;
}

export interface PodReflectorOptions {
  signal: AbortSignal;
  minBackoffMs?: number;
  maxBackoffMs?: number;
}

/** LIST, then WATCH from its version for as long as `signal` allows; see the header for the rules. */
export async function runPodReflector(api: K8sApi, h: PodReflectorHandlers, opts: PodReflectorOptions): Promise<void> {
  const minBackoff = opts.minBackoffMs ?? 500;
  const maxBackoff = opts.maxBackoffMs ?? 30_000;
  let backoff = minBackoff;
  let rv: string | undefined;
  let consistent = false;
  while (!opts.signal.aborted) {
    try {
      if (rv === undefined) {
        const list = await api.listPods(opts.signal, consistent);
        rv = list.resourceVersion;
        h.onHealthy();
        h.onList(list.pods);
      }
      let progressed = false;
      await api.watchPods(
        rv,
        (e) => {
          rv = e.resourceVersion;
          progressed = true;
          backoff = minBackoff;
          if (e.type !== 'BOOKMARK') h.onEvent(e.type, e.pod);
        },
        opts.signal,
        () => h.onHealthy(),
      );
      // The server ended the stream (its timeout): resume at once, unless it does so without a single
      // event, when a pause keeps a misbehaving server from turning this into a busy loop.
      if (!progressed) await delay(backoff, opts.signal);
    } catch (e) {
      if (opts.signal.aborted) break;
      if (e instanceof K8sApiError && e.status === 410) {
        // History that old is gone: list afresh, from the newest state, and watch from there.
        rv = undefined;
        consistent = true;
        continue;
      }
      // A broken watch is retried quietly; if reconnecting fails too, that failure is reported.
      if (!(e instanceof K8sApiError && e.dropped)) h.onError(e as Error);
      await delay(backoff, opts.signal);
      backoff = Math.min(maxBackoff, backoff * 2);
    }
  }
}

function readOptional(file: string | undefined): string | undefined {
  if (!file) return undefined;
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function readBody(res: IncomingMessage, max: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    res.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        res.destroy();
        reject(new K8sApiError(`Kubernetes API: an answer larger than ${max} bytes`));
      } else chunks.push(c);
    });
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function describe(e: Error, url: URL, caFile: string | undefined): Error {
  if (e instanceof K8sApiError || e.name === 'AbortError') return e;
  const code = (e as NodeJS.ErrnoException).code;
  if (code && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL/.test(code)) {
    return new K8sApiError(`Kubernetes API ${url.host}: its TLS certificate is not trusted (${code}); ca_file ${caFile ?? '(none)'} should hold the cluster CA`);
  }
  return new K8sApiError(`Kubernetes API ${url.host} unreachable: ${code ?? e.message}`);
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
