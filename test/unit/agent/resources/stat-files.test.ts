/**
 * The parsers of container resource files (issue #16), on text shaped exactly as the kernel writes
 * it (cgroup v2 and v1, /proc/<pid>/net/dev, /proc/<pid>/cgroup under Docker's two cgroup drivers),
 * and on malformed text, which must be refused with the file's name rather than read as numbers.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MalformedStatError,
  parseBlkioServiceBytes,
  parseFlatKeyed,
  parseIoStat,
  parseMemoryLimit,
  parseNetDev,
  parseSingle,
} from '../../../../src/agent/resources/stat-files.js';
import { locateCgroup, podCgroupCandidates } from '../../../../src/agent/resources/cgroup-path.js';
import { CPU_STAT, NET_DEV } from '../../../helpers/cgroup-tree.js';

const ID = '406a2c0c2831b670c455ef0f57da33b0b0a15448cf442a8abe3f58563a56af96';

test('cpu.stat and memory.stat are key value lines; a line of another shape is malformed', () => {
  const f = parseFlatKeyed('cpu.stat', CPU_STAT);
  assert.equal(f.get('usage_usec'), 2_500_000);
  assert.equal(f.get('system_usec'), 500_000);
  assert.throws(() => parseFlatKeyed('cpu.stat', 'usage_usec 12\nuser_usec\n'), (e: unknown) => e instanceof MalformedStatError && e.file === 'cpu.stat' && /key value/.test(e.message));
  assert.throws(() => parseFlatKeyed('memory.stat', 'anon -5\n'), /memory.stat: anon is not a non-negative integer/);
  assert.throws(() => parseFlatKeyed('memory.stat', 'anon 1.5e3\n'), MalformedStatError);
});

test('single-number files, and memory limits where "max" and v1\'s huge value mean no limit (0, as cAdvisor)', () => {
  assert.equal(parseSingle('memory.current', '31457280\n'), 31_457_280);
  assert.throws(() => parseSingle('memory.current', ''), /memory.current: the value is not a non-negative integer/);
  assert.equal(parseMemoryLimit('memory.max', 'max\n'), 0);
  assert.equal(parseMemoryLimit('memory.max', '536870912\n'), 536_870_912);
  assert.equal(parseMemoryLimit('memory.limit_in_bytes', '9223372036854771712\n'), 0);
  assert.throws(() => parseMemoryLimit('memory.max', 'lots\n'), MalformedStatError);
});

test('io.stat sums rbytes and wbytes over devices; v1 blkio sums Read and Write', () => {
  assert.deepEqual(parseIoStat('io.stat', '8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n259:0 rbytes=100 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n'), { read: 4196, write: 8192 });
  assert.deepEqual(parseIoStat('io.stat', ''), { read: 0, write: 0 }, 'no IO yet: an empty file');
  assert.throws(() => parseIoStat('io.stat', 'sda rbytes=1\n'), /io.stat: line does not start with a device/);
  assert.throws(() => parseIoStat('io.stat', '8:0 rbytes=x\n'), /rbytes is not a non-negative integer/);
  assert.throws(() => parseIoStat('io.stat', '8:0 rbytes\n'), /is not key=value/);
  const v1 = '8:0 Read 4096\n8:0 Write 512\n8:0 Sync 0\n8:0 Async 4608\n8:0 Discard 0\n8:0 Total 4608\nTotal 4608\n';
  assert.deepEqual(parseBlkioServiceBytes('blkio.throttle.io_service_bytes', v1), { read: 4096, write: 512 });
  assert.deepEqual(parseBlkioServiceBytes('blkio.throttle.io_service_bytes', 'Total 0\n'), { read: 0, write: 0 });
  assert.throws(() => parseBlkioServiceBytes('blkio.throttle.io_service_bytes', '8:0 Read\n'), MalformedStatError);
});

test('net/dev sums every interface but loopback; a short or headless file is malformed', () => {
  assert.deepEqual(parseNetDev('net/dev', NET_DEV), { receive: 5100, transmit: 7200 });
  const onlyLo = NET_DEV.split('\n').slice(0, 3).join('\n') + '\n';
  assert.deepEqual(parseNetDev('net/dev', onlyLo), { receive: 0, transmit: 0 }, '--network none: loopback only');
  assert.throws(() => parseNetDev('net/dev', 'eth0: 1 2 3\n'), /no "Receive … Transmit" header/);
  const short = NET_DEV.replace('eth1:     100       1    0', 'eth1:     100');
  assert.throws(() => parseNetDev('net/dev', short), /eth1 has 14 fields, not 16/);
});

test('/proc/<pid>/cgroup: cgroup v2 under the systemd and cgroupfs drivers, v1 hierarchies, and the root cgroup', () => {
  assert.deepEqual(locateCgroup(`0::/system.slice/docker-${ID}.scope\n`, '/sys/fs/cgroup'), { version: 2, dir: `/sys/fs/cgroup/system.slice/docker-${ID}.scope` });
  assert.deepEqual(locateCgroup(`0::/docker/${ID}\n`, '/sys/fs/cgroup'), { version: 2, dir: `/sys/fs/cgroup/docker/${ID}` });
  // A hybrid host (this machine's layout): v1 controllers hold the figures, the unified tree none.
  const hybrid = `9:name=systemd:/docker/${ID}\n7:blkio:/docker/${ID}\n4:memory:/docker/${ID}\n2:cpuacct:/docker/${ID}\n1:cpu:/docker/${ID}\n0::/docker/${ID}\n`;
  assert.deepEqual(locateCgroup(hybrid, '/r'), { version: 1, cpuacct: `/r/cpuacct/docker/${ID}`, memory: `/r/memory/docker/${ID}`, blkio: `/r/blkio/docker/${ID}` });
  // systemd hosts on v1 mount cpu and cpuacct together, and Docker's systemd driver uses scopes.
  const systemdV1 = `4:memory:/system.slice/docker-${ID}.scope\n3:cpu,cpuacct:/system.slice/docker-${ID}.scope\n`;
  assert.deepEqual(locateCgroup(systemdV1, '/r'), { version: 1, cpuacct: `/r/cpu,cpuacct/system.slice/docker-${ID}.scope`, memory: `/r/memory/system.slice/docker-${ID}.scope`, blkio: undefined });
  assert.equal(locateCgroup('0::/\n'), undefined, 'the root cgroup is the whole host, not a container');
  assert.equal(locateCgroup('4:memory:/\n2:cpuacct:/\n0::/\n'), undefined);
  assert.throws(() => locateCgroup('garbage\n'), (e: unknown) => e instanceof MalformedStatError && e.file === 'cgroup');
});

test('Kubernetes pod cgroups: the kubelet\'s systemd and cgroupfs layouts for each QoS class (there is no Kubernetes here: paths only)', () => {
  const uid = '1f6a4f3e-9a4b-4c36-8e1a-0d7b5c1d2e3f';
  const c = podCgroupCandidates(uid, '/r');
  assert.ok(c.includes('/r/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f6a4f3e_9a4b_4c36_8e1a_0d7b5c1d2e3f.slice'));
  assert.ok(c.includes('/r/kubepods.slice/kubepods-pod1f6a4f3e_9a4b_4c36_8e1a_0d7b5c1d2e3f.slice'), 'Guaranteed pods sit directly under kubepods.slice');
  assert.ok(c.includes(`/r/kubepods/besteffort/pod${uid}`));
  assert.ok(c.includes(`/r/kubepods/pod${uid}`));
  assert.deepEqual(podCgroupCandidates('../../etc'), [], 'a uid is hex and dashes, never a path');
});
