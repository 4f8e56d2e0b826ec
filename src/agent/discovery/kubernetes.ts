/**
 * Kubernetes discovery (issue #4 §1): the kubelet's pod log files under pods_dir are the targets,
 * their paths carry namespace, pod, container and restart count, and the Kubernetes API adds the
 * pod's labels when it can be reached. The files come first on purpose: with the API down (or
 * api_url "") every container's logs are still collected, only with fewer labels.
 *
 * pods_dir is scanned every interval (an fs.watch on it only brings a scan forward when a pod
 * directory appears). Each `<n>.log` is a target `k8s:<uid>/<container>/<n>`; when `<n+1>.log`
 * appears the container restarted and `<n>.log` is finished, so it is drained to its end. A file
 * missing from one scan is not finished yet (the kubelet's rotation renames it away for a moment);
 * missing from two, or its pod directory gone, it is.
 *
 * Labels decide a line's stream, so a target is not published with path labels a moment before its
 * pod's labels arrive: while the API is up (or not yet answered), a file of a pod the API has not
 * described yet waits up to metaWaitMs. A pod's labels changing later upserts its targets again.
 */
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { AgentConfig } from '../../config/agent.js';
import type { Labels } from '../../api/model.js';
import type { Logger } from '../../util/logger.js';
import type { Discovery, DiscoverySink, Target } from '../model.js';
import { sanitizeLabelName } from './label-name.js';
import { createK8sApi, runPodReflector, type K8sApi, type PodMeta } from './k8s-api.js';
import { isContainerName, parseLogFileName, parsePodDirName, type PodDir, type PodLogPath } from './pod-path.js';
import { watchDir, type FileWatch } from '../tail/dir-watch.js';

export type KubernetesDiscoveryConfig = AgentConfig['kubernetes'] & { host: string };

export interface KubernetesDiscoveryDeps {
  log: Logger;
  /** The API client; one from cfg (api_url, token_file, ca_file) when absent. */
  api?: K8sApi;
  /** Scan interval of pods_dir (ms, default 1000). */
  intervalMs?: number;
  /** Longest a new pod's file waits for the pod's labels while the API is up (ms, default 2000). */
  metaWaitMs?: number;
  /** API reconnect backoff (ms); tests shorten it. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Watch container directories and stat only those that changed (default true; false: stat all, every scan). */
  watchContainers?: boolean;
  /** Called at the end of every scan of pods_dir, before the next can start (tests count scans instead of sleeping). */
  onScanned?: () => void;
}

const SOURCE = 'kubernetes';

/**
 * Pod labels that name the application, most specific first: the recommended
 * app.kubernetes.io/name, then the older conventions `app` (Deployments written by hand, Helm
 * charts of old), `k8s-app` (kube-system add-ons) and `name`.
 */
export const APP_LABELS = ['app.kubernetes.io/name', 'app', 'k8s-app', 'name'] as const;

interface FileEntry {
  path: string;
  parsed: PodLogPath;
  firstSeen: number;
  /** The newest restart file of its container (only the newest is live). */
  newest: boolean;
  /** Labels last upserted (stable JSON); undefined until published. */
  published?: string;
  finished: boolean;
  /** Consecutive scans the file was absent from. */
  missing: number;
}

/** Creates the Kubernetes discovery; start() resolves after the first scan of pods_dir. */
export function createKubernetesDiscovery(cfg: KubernetesDiscoveryConfig, sink: DiscoverySink, deps: KubernetesDiscoveryDeps): Discovery {
  const log = deps.log;
  const node = cfg.node_name ?? cfg.host;
  const intervalMs = deps.intervalMs ?? 1000;
  const metaWaitMs = deps.metaWaitMs ?? 2000;
  const apiUrl = cfg.api_url ?? '';
  const api = deps.api ?? (apiUrl ? createK8sApi({ apiUrl, nodeName: node, tokenFile: cfg.token_file, caFile: cfg.ca_file }) : undefined);
  const abort = new AbortController();
  const files = new Map<string, FileEntry>();
  /**
   * Pods the API described, by the uid in their log directories' names; `gone` ones are kept while
   * their files remain, so labels stay put while draining.
   */
  const pods = new Map<string, { meta: PodMeta; gone: boolean }>();
  let apiState: 'off' | 'unknown' | 'up' | 'down' = api ? 'unknown' : 'off';
  let dirError: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;
  let scanning: Promise<void> | undefined;
  let rescan = false;
  let reflector: Promise<void> | undefined;
  const listings: DirListings = new Map();
  const top: PodsDirTop = { names: [], pods: [] };
  const watches: ContainerWatches = new Map();
  let scans = 0;
  /**
   * Some file waits for its pod's labels or was missing from the last scan: the next scan has work
   * even when no directory changed. Otherwise an unchanged scan changes nothing and stops early.
   */
  let due = true;

  function labelsOf(e: FileEntry): Labels {
    return podTargetLabels(e.parsed, node, pods.get(e.parsed.uid)?.meta, cfg.pod_labels);
  }

  function upsert(id: string, e: FileEntry): void {
    const labels = labelsOf(e);
    const key = stableKey(labels);
    if (key === e.published) return;
    e.published = key;
    const { namespace, pod, container } = e.parsed;
    const target: Target = {
      id,
      kind: 'kubernetes',
      labels,
      reader: { type: 'file', path: e.path, format: 'cri' },
      info: { pod, namespace, container, node, file: e.path },
    };
    sink.upsert(target);
  }

  function finish(id: string, e: FileEntry): void {
    if (e.finished) return;
    e.finished = true;
    if (e.published !== undefined) sink.finished(id);
  }

  /** Upserts what is due: new live files (unless waiting for their pod's labels) and changed labels. */
  function publish(): void {
    const now = Date.now();
    due = false;
    for (const [id, e] of files) {
      if (e.finished) continue;
      if (e.missing > 0) due = true;
      const waiting =
        (apiState === 'unknown' || apiState === 'up') && !pods.has(e.parsed.uid) && now - e.firstSeen < metaWaitMs && e.newest;
      if (waiting) due = true;
      else upsert(id, e);
      if (!e.newest) finish(id, e);
    }
    // Pods the API deleted are forgotten once the kubelet removed their logs too.
    const uids = new Set([...files.values()].map((e) => e.parsed.uid));
    for (const [uid, p] of pods) if (p.gone && !uids.has(uid)) pods.delete(uid);
  }

  async function scan(): Promise<void> {
    try {
      await scanOnce();
    } finally {
      deps.onScanned?.();
    }
  }

  async function scanOnce(): Promise<void> {
    // Every FULL_SCAN_EVERY-th scan lists every directory again, whatever their times say.
    if (++scans % FULL_SCAN_EVERY === 0) listings.clear();
    const found = readPodsDir(cfg.pods_dir, listings, top, deps.watchContainers === false ? undefined : watches);
    if (found instanceof Error) {
      // Not knowing what is there is not the same as nothing being there: change nothing.
      if (dirError !== found.message) sink.error(SOURCE, found);
      dirError = found.message;
      top.last = undefined;
      return;
    }
    if (dirError !== undefined) log.info({ pods_dir: cfg.pods_dir }, 'pods_dir readable again');
    dirError = undefined;
    // The same files as the last scan, and nothing waiting on time: nothing to do.
    if (!found.changed && !due) return;
    const now = Date.now();
    const newest = new Map<string, number>();
    for (const p of found.files.values()) {
      const key = `${p.uid}/${p.container}`;
      newest.set(key, Math.max(newest.get(key) ?? -1, p.restart));
    }
    for (const [path, p] of found.files) {
      const id = `k8s:${p.uid}/${p.container}/${p.restart}`;
      let e = files.get(id);
      if (!e) {
        e = { path, parsed: p, firstSeen: now, newest: true, finished: false, missing: 0 };
        files.set(id, e);
      }
      e.missing = 0;
      e.newest = newest.get(`${p.uid}/${p.container}`) === p.restart;
    }
    for (const [id, e] of files) {
      if (found.files.has(e.path)) continue;
      // A pod directory gone is final; a single file missing may be mid-rotation.
      if (!found.podUids.has(e.parsed.uid) || ++e.missing >= 2) {
        finish(id, e);
        files.delete(id);
      }
    }
    publish();
  }

  function runScan(): Promise<void> {
    if (scanning) {
      rescan = true;
      return scanning;
    }
    scanning = (async () => {
      do {
        rescan = false;
        try {
          await scan();
        } catch (e) {
          sink.error(SOURCE, e as Error);
        }
      } while (rescan && !abort.signal.aborted);
    })().finally(() => {
      scanning = undefined;
    });
    return scanning;
  }

  /** (Re)arms the one scan timer; overlapping ticks share a scan and leave one timer behind. */
  function kick(ms: number): void {
    if (timer) clearTimeout(timer);
    if (abort.signal.aborted) return;
    timer = setTimeout(() => void runScan().then(() => kick(intervalMs)), ms);
  }

  function startApi(): void {
    if (!api) {
      log.info({ pods_dir: cfg.pods_dir }, 'Kubernetes API off (api_url ""): pods are labelled from their log paths only');
      return;
    }
    reflector = runPodReflector(
      api,
      {
        onList(list) {
          const current = new Set(list.flatMap(logUids));
          for (const [uid, p] of pods) if (!current.has(uid)) p.gone = true;
          for (const meta of list) for (const uid of logUids(meta)) pods.set(uid, { meta, gone: false });
          publish();
        },
        onEvent(type, meta) {
          for (const uid of logUids(meta)) {
            if (type !== 'DELETED') pods.set(uid, { meta, gone: false });
            else if (pods.has(uid)) pods.get(uid)!.gone = true;
          }
          publish();
        },
        onHealthy() {
          if (apiState === 'down') log.info({ api_url: apiUrl }, 'Kubernetes API reachable again; pod labels resume');
          apiState = 'up';
        },
        onError(err) {
          log.warn({ api_url: apiUrl, err: err.message }, 'Kubernetes API call failed');
          if (apiState !== 'down') {
            sink.error(
              SOURCE,
              new Error(`${err.message}; pods are collected with labels from their log paths only (namespace, pod, container, node) until the API answers`),
            );
          }
          apiState = 'down';
          // Nothing waits for labels that are not coming.
          publish();
        },
      },
      { signal: abort.signal, minBackoffMs: deps.minBackoffMs, maxBackoffMs: deps.maxBackoffMs },
    );
  }

  return {
    async start() {
      startApi();
      try {
        // A new pod directory brings the next scan forward; polling alone would also find it.
        watcher = watch(cfg.pods_dir, { persistent: false }, () => kick(50));
        watcher.on('error', () => watcher?.close());
      } catch {
        // pods_dir missing or not watchable: the scans report and cover it.
      }
      await runScan();
      kick(intervalMs);
    },
    async close() {
      abort.abort();
      if (timer) clearTimeout(timer);
      watcher?.close();
      await scanning;
      for (const w of watches.values()) w.watch.close();
      watches.clear();
      await reflector;
    },
  };
}

/**
 * A pod container's stream labels: namespace, pod, container, node from the path; with the pod's
 * metadata also `app` (see APP_LABELS), the selected pod labels (sanitised names) and every pod label
 * as `__meta_kubernetes_pod_label_<sanitised>` for relabel rules. The path's own labels win over a
 * selected pod label of the same name.
 */
export function podTargetLabels(p: PodLogPath, node: string, meta: PodMeta | undefined, selected: readonly string[]): Labels {
  const labels: Labels = {};
  if (meta) {
    for (const [k, v] of Object.entries(meta.labels)) labels[`__meta_kubernetes_pod_label_${sanitizeLabelName(k)}`] = v;
    for (const wanted of selected) {
      const v = meta.labels[wanted];
      if (v !== undefined) labels[sanitizeLabelName(wanted)] = v;
    }
    for (const name of APP_LABELS) {
      const v = meta.labels[name];
      if (v) {
        labels.app = v;
        break;
      }
    }
  }
  labels.namespace = p.namespace;
  labels.pod = p.pod;
  labels.container = p.container;
  labels.node = node;
  return labels;
}

interface PodsDirListing {
  /** path → parsed, live `<n>.log` files only. */
  files: Map<string, PodLogPath>;
  /** uids of the pod directories present. */
  podUids: Set<string>;
  /** Whether any directory's entries differ from the scan before (false: the same files as then). */
  changed: boolean;
}

/**
 * Directory listings kept between scans with the directory's change times: a directory whose
 * modification and status-change times are unchanged has the same entries, so a scan of 500 pods
 * costs a stat per pod and container directory (synchronous: microseconds each) and reads only the
 * directories that changed (issue #17: listing every directory every second was a tenth of the
 * agent's CPU on a busy node). A listing also keeps what was derived from its entries (children's
 * paths, parsed names), so an unchanged scan allocates next to nothing (issue #17, stop 15: the
 * scans were a quarter of the agent's allocations, all of it garbage).
 */
type DirListings = Map<string, DirListing>;

interface DirListing {
  mtimeMs: number;
  ctimeMs: number;
  names: string[];
  /** A pod directory's container directories, or a container directory's live log files: from `names`, once. */
  children?: Array<{ path: string; container?: string; restart?: number }>;
}

/** pods_dir's own entries as last read, parsed once per name. */
interface PodsDirTop {
  names: string[];
  pods: Array<{ dir: string; pod: PodDir }>;
  /** The last result, returned again while nothing changed. */
  last?: PodsDirListing;
}

/** A full listing this often (scans), in case a file system's times are too coarse to show a change. */
const FULL_SCAN_EVERY = 30;

/**
 * Container directories watched through the readers' inotify watch (src/agent/tail/dir-watch.ts):
 * one whose watch said nothing since it was listed is not even stat'ed (issue #17: the stats were
 * the largest allocation and CPU item left in a scan). `dirty` is set by any rename in it.
 */
type ContainerWatches = Map<string, { watch: FileWatch; dirty: boolean }>;

function readPodsDir(dir: string, listings: DirListings, top: PodsDirTop, watches?: ContainerWatches): PodsDirListing | Error {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return new Error(`cannot read pods_dir ${dir}: ${code}`);
  }
  let changed = top.last === undefined || !sameNames(entries, top.names);
  if (changed) {
    top.names = entries;
    top.pods = [];
    for (const name of entries) {
      const pod = parsePodDirName(name);
      if (pod) top.pods.push({ dir: join(dir, name), pod });
    }
  }
  const seen = new Set<string>();
  const scan = { changed: false };
  // First the directories' times: when none changed, the files are those of the last scan.
  const pods: Array<{ pod: PodDir; containers: DirListing[] }> = [];
  for (const { dir: podDir, pod } of top.pods) {
    const podListing = listDir(podDir, listings, seen, scan);
    const containers: DirListing[] = [];
    if (podListing) {
      podListing.children ??= podListing.names.filter(isContainerName).map((c) => ({ path: join(podDir, c), container: c }));
      for (const c of podListing.children) {
        const listing = listDir(c.path, listings, seen, scan, watches);
        if (!listing) continue;
        listing.children ??= listing.names.flatMap((file) => {
          const restart = parseLogFileName(file);
          return restart === undefined ? [] : [{ path: join(c.path, file), container: c.container!, restart }];
        });
        containers.push(listing);
      }
    }
    pods.push({ pod, containers });
  }
  // Directories not looked at in this scan are gone.
  for (const d of listings.keys()) {
    if (seen.has(d)) continue;
    listings.delete(d);
    scan.changed = true;
  }
  if (watches) {
    for (const [d, w] of watches) {
      if (listings.has(d)) continue;
      w.watch.close();
      watches.delete(d);
    }
  }
  changed ||= scan.changed;
  if (!changed && top.last) return { ...top.last, changed: false };
  const out: PodsDirListing = { files: new Map(), podUids: new Set(), changed: true };
  for (const { pod, containers } of pods) {
    out.podUids.add(pod.uid);
    for (const listing of containers) for (const f of listing.children!) out.files.set(f.path, { ...pod, container: f.container!, restart: f.restart! });
  }
  top.last = out;
  return out;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A directory's listing, from the last scan when its times have not changed; undefined when it is gone. */
function listDir(dir: string, listings: DirListings, seen: Set<string>, scan: { changed: boolean }, watches?: ContainerWatches): DirListing | undefined {
  seen.add(dir);
  const known = listings.get(dir);
  if (watches) {
    let w = watches.get(dir);
    if (w && known && !w.dirty && w.watch.watching) return known;
    if (w && !w.watch.watching && !known) {
      // Could not watch (no inotify watches left, say): try again at the first and every full listing.
      w.watch.close();
      watches.delete(dir);
      w = undefined;
    }
    if (!w) {
      // Watched before it is read, so nothing that happens after the read goes unheard.
      const entry = { watch: undefined as unknown as FileWatch, dirty: false };
      entry.watch = watchDir(dir, (e) => {
        if (e === 'rename') entry.dirty = true;
      });
      watches.set(dir, (w = entry));
    }
    w.dirty = false;
  }
  try {
    const st = statSync(dir);
    if (known && known.mtimeMs === st.mtimeMs && known.ctimeMs === st.ctimeMs) return known;
    const listing: DirListing = { mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, names: readdirSync(dir) };
    if (!known || !sameNames(known.names, listing.names)) scan.changed = true;
    else listing.children = known.children;
    listings.set(dir, listing);
    return listing;
  } catch {
    if (listings.delete(dir)) scan.changed = true;
    return undefined;
  }
}

/** The uids a pod's log directories can carry: its own, and for a static pod's mirror the static pod's. */
function logUids(meta: PodMeta): string[] {
  return meta.mirrorOf ? [meta.uid, meta.mirrorOf] : [meta.uid];
}

function stableKey(labels: Labels): string {
  return JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
