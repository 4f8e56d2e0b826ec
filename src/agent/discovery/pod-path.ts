/**
 * The kubelet's pod log layout, `<pods_dir>/<namespace>_<pod>_<uid>/<container>/<restart>.log`, read
 * back into the pod's identity. Everything here is checked against Kubernetes' own name rules, so a
 * directory that is not the kubelet's (or a hostile name such as `..` or one with extra `_`) is never
 * mistaken for a pod: `_` cannot occur in namespaces, pod names or container names, which is what
 * makes the directory name splittable at all.
 */

/** A pod container's log file, as its path describes it. */
export interface PodLogPath {
  namespace: string;
  pod: string;
  uid: string;
  container: string;
  /** The container's restart count: the kubelet starts `<n+1>.log` when the container restarts. */
  restart: number;
}

export interface PodDir {
  namespace: string;
  pod: string;
  uid: string;
}

/** RFC 1123 label: namespaces and container names. */
const DNS_LABEL = /^[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?$/;
/** RFC 1123 subdomain: pod names (dots allowed). */
const DNS_SUBDOMAIN = /^[a-z0-9](?:[-a-z0-9.]{0,251}[a-z0-9])?$/;
/**
 * API pods have UUIDs; static (mirror) pods get the kubelet's hash of their manifest, 32 hex digits,
 * as uid. Both are accepted; nothing else is.
 */
const UID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32})$/;
/**
 * Only the live file `<n>.log`: rotated ones (`0.log.20240101-120000`, `.gz`) are the file reader's
 * business, which follows rotation from the live file itself.
 */
const LOG_FILE = /^(0|[1-9][0-9]{0,8})\.log$/;

/** `<namespace>_<pod>_<uid>` → its parts, or undefined when the name is not a pod directory. */
export function parsePodDirName(name: string): PodDir | undefined {
  const parts = name.split('_');
  if (parts.length !== 3) return undefined;
  const [namespace, pod, uid] = parts as [string, string, string];
  if (!DNS_LABEL.test(namespace) || !DNS_SUBDOMAIN.test(pod) || !UID.test(uid)) return undefined;
  return { namespace, pod, uid };
}

/** A container directory name the kubelet could have written. */
export function isContainerName(name: string): boolean {
  return DNS_LABEL.test(name);
}

/** `<n>.log` → n; undefined for rotated, compressed or foreign files. */
export function parseLogFileName(name: string): number | undefined {
  const m = LOG_FILE.exec(name);
  return m ? Number(m[1]) : undefined;
}

/**
 * A pod log path (absolute or relative; only its last three components matter) → the pod and
 * container it belongs to, or undefined when it is not a live kubelet log file.
 */
export function parsePodLogPath(path: string): PodLogPath | undefined {
  const parts = path.split('/');
  if (parts.length < 3) return undefined;
  const [dir, container, file] = parts.slice(-3) as [string, string, string];
  const pod = parsePodDirName(dir);
  const restart = parseLogFileName(file);
  if (!pod || restart === undefined || !isContainerName(container)) return undefined;
  return { ...pod, container, restart };
}
