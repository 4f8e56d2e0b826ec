/**
 * Fixture trees laid out like a host's /sys/fs/cgroup and /proc, for the container resource metrics
 * (issue #16): kernel files as the kernel writes them, a Docker container's cgroup, and the kubelet's
 * pod cgroups (there is no Kubernetes here).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const CPU_STAT = `usage_usec 2500000
user_usec 2000000
system_usec 500000
nr_periods 0
nr_throttled 0
throttled_usec 0
`;

export const NET_DEV = `Inter-|   Receive                                                |  Transmit
 face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed
    lo:    1000      10    0    0    0     0          0         0     1000      10    0    0    0     0       0          0
  eth0:    5000      40    0    0    0     0          0         0     7000      50    0    0    0     0       0          0
  eth1:     100       1    0    0    0     0          0         0      200       2    0    0    0     0       0          0
`;

export interface Tree {
  root: string;
  cgroup: string;
  proc: string;
  /** Writes a container's v2 cgroup (systemd driver) and its /proc entry; returns its cgroup dir. */
  container(id: string, pid: number): string;
  close(): void;
}

export function fixtureTree(): Tree {
  const root = mkdtempSync(join(tmpdir(), 'lw-cgroup-'));
  const cgroup = join(root, 'sys/fs/cgroup');
  const proc = join(root, 'proc');
  return {
    root,
    cgroup,
    proc,
    container(id, pid) {
      const dir = join(cgroup, 'system.slice', `docker-${id}.scope`);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cpu.stat'), CPU_STAT);
      writeFileSync(join(dir, 'memory.current'), '50000000\n');
      writeFileSync(join(dir, 'memory.stat'), 'anon 30000000\nfile 20000000\nactive_file 5000000\ninactive_file 15000000\nshmem 0\n');
      writeFileSync(join(dir, 'memory.max'), '268435456\n');
      writeFileSync(join(dir, 'io.stat'), '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n');
      mkdirSync(join(proc, String(pid), 'net'), { recursive: true });
      writeFileSync(join(proc, String(pid), 'cgroup'), `0::/system.slice/docker-${id}.scope\n`);
      writeFileSync(join(proc, String(pid), 'net', 'dev'), NET_DEV);
      return dir;
    },
    close: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** The kubelet's pod cgroup, as laid out on a node (there is no Kubernetes here: a fixture tree). */
export function podTree(tree: Tree, layout: 'systemd-v2' | 'cgroupfs-v1', uid: string, pid: number): void {
  const files: Record<string, string> = {};
  if (layout === 'systemd-v2') {
    const pod = join(tree.cgroup, 'kubepods.slice/kubepods-burstable.slice', `kubepods-burstable-pod${uid.replace(/-/g, '_')}.slice`);
    Object.assign(files, {
      [join(pod, 'cpu.stat')]: CPU_STAT,
      [join(pod, 'memory.current')]: '50000000\n',
      [join(pod, 'memory.stat')]: 'anon 30000000\ninactive_file 15000000\n',
      [join(pod, 'memory.max')]: 'max\n',
      [join(pod, 'io.stat')]: '',
      [join(pod, 'cri-containerd-0123abcd.scope', 'cgroup.procs')]: `${pid}\n${pid + 1}\n`,
    });
  } else {
    const rel = join('kubepods/besteffort', `pod${uid}`);
    Object.assign(files, {
      [join(tree.cgroup, 'cpu,cpuacct', rel, 'cpuacct.usage')]: '2500000000\n',
      [join(tree.cgroup, 'cpu,cpuacct', rel, 'cpuacct.stat')]: 'user 200\nsystem 50\n',
      [join(tree.cgroup, 'memory', rel, 'memory.usage_in_bytes')]: '50000000\n',
      [join(tree.cgroup, 'memory', rel, 'memory.stat')]: 'rss 1\ntotal_rss 30000000\ntotal_inactive_file 15000000\n',
      [join(tree.cgroup, 'memory', rel, 'memory.limit_in_bytes')]: '9223372036854771712\n',
      [join(tree.cgroup, 'memory', rel, '0123abcd', 'cgroup.procs')]: `${pid}\n`,
    });
  }
  files[join(tree.proc, String(pid), 'net', 'dev')] = NET_DEV;
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, text);
  }
}
