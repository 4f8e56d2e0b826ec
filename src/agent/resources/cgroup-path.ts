/**
 * Where a container's cgroup is (issue #16). The container's init process says it in
 * `/proc/<pid>/cgroup`, which covers Docker's cgroupfs driver (`/docker/<id>`) and systemd driver
 * (`/system.slice/docker-<id>.scope`) alike, and cgroup v2 (`0::<path>`) as well as v1 hierarchies
 * (`<n>:<controllers>:<path>`, each mounted at /sys/fs/cgroup/<controllers>).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { MalformedStatError } from './stat-files.js';

export const CGROUP_ROOT = '/sys/fs/cgroup';

/** The directories whose files hold a container's figures. */
export type CgroupLocation =
  | { version: 2; dir: string }
  | { version: 1; cpuacct: string; memory: string; blkio: string | undefined };

/**
 * Reads `/proc/<pid>/cgroup` text. Returns undefined when the process sits in the root cgroup (its
 * files would be the whole host's: an agent in its own cgroup namespace sees that), so the caller
 * asks the Docker API instead. v1 wins when its memory controller is there: on a hybrid host the
 * unified hierarchy holds no controllers.
 */
export function locateCgroup(procCgroup: string, root = CGROUP_ROOT): CgroupLocation | undefined {
  /** controller → [mount dir name, path in the hierarchy] */
  const v1 = new Map<string, [string, string]>();
  let unified: string | undefined;
  for (const line of procCgroup.split('\n')) {
    if (line === '') continue;
    const m = /^(\d+):([^:]*):(\/.*)$/.exec(line);
    if (!m) throw new MalformedStatError('cgroup', `line is not "id:controllers:path": ${JSON.stringify(line.slice(0, 80))}`);
    const [, id, controllers, path] = m as unknown as [string, string, string, string];
    if (id === '0' && controllers === '') unified = path;
    else for (const c of controllers.split(',')) v1.set(c, [controllers, path]);
  }
  const memory = v1.get('memory');
  const cpuacct = v1.get('cpuacct');
  if (memory !== undefined && cpuacct !== undefined) {
    if (memory[1] === '/' || cpuacct[1] === '/') return undefined;
    const blkio = v1.get('blkio');
    const dir = ([mount, path]: [string, string]) => join(root, mount, path);
    return { version: 1, cpuacct: dir(cpuacct), memory: dir(memory), blkio: blkio && blkio[1] !== '/' ? dir(blkio) : undefined };
  }
  if (unified === undefined || unified === '/') return undefined;
  return { version: 2, dir: join(root, unified) };
}

/**
 * The candidate directories of a Kubernetes pod's cgroup (best effort: the kubelet's layout, not read
 * from the kubelet). systemd driver: `kubepods.slice/kubepods-<qos>.slice/kubepods-<qos>-pod<uid with
 * _ for ->.slice`, Guaranteed pods directly under kubepods.slice; cgroupfs driver:
 * `kubepods/<qos>/pod<uid>`, Guaranteed under `kubepods/pod<uid>`.
 */
export function podCgroupCandidates(uid: string, root = CGROUP_ROOT): string[] {
  if (!/^[0-9a-fA-F-]{1,64}$/.test(uid)) return [];
  const u = uid.replace(/-/g, '_');
  const out = [join(root, 'kubepods.slice', `kubepods-pod${u}.slice`)];
  for (const qos of ['burstable', 'besteffort']) out.push(join(root, 'kubepods.slice', `kubepods-${qos}.slice`, `kubepods-${qos}-pod${u}.slice`));
  out.push(join(root, 'kubepods', `pod${uid}`));
  for (const qos of ['burstable', 'besteffort']) out.push(join(root, 'kubepods', qos, `pod${uid}`));
  return out;
}

/**
 * A pod's cgroup on this node, best effort: the first candidate that exists, on cgroup v2 directly
 * under the root, on v1 under the memory, cpuacct and blkio hierarchies. Undefined when none does.
 */
export function locatePodCgroup(uid: string, root = CGROUP_ROOT): CgroupLocation | undefined {
  const v2 = podCgroupCandidates(uid, root).find((d) => existsSync(join(d, 'cpu.stat')));
  if (v2) return { version: 2, dir: v2 };
  const memory = podCgroupCandidates(uid, join(root, 'memory')).find((d) => existsSync(d));
  if (!memory) return undefined;
  const relative = memory.slice(join(root, 'memory').length);
  const cpuacct = ['cpuacct', 'cpu,cpuacct'].map((m) => join(root, m) + relative).find((d) => existsSync(d));
  if (!cpuacct) return undefined;
  const blkio = join(root, 'blkio') + relative;
  return { version: 1, memory, cpuacct, blkio: existsSync(blkio) ? blkio : undefined };
}
