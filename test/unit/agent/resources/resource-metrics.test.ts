/**
 * The resource collector over a fixture tree laid out like the host's (/sys/fs/cgroup and /proc):
 * figures in cAdvisor's units, a malformed file skipping only its figures (counted, never a crash),
 * one reading per second however many scrapes, and series that go with their container.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Registry, type OpenMetricsContentType } from 'prom-client';
import { createStatsReader, fromEngineStats } from '../../../../src/agent/resources/container-stats.js';
import { registerResourceMetrics, type ResourceContainer } from '../../../../src/agent/resources/resource-metrics.js';
import { createLogger } from '../../../../src/util/logger.js';
import { parseExposition, samplesOf } from '../../../helpers/exposition.js';
import { CPU_STAT, fixtureTree, podTree, type Tree } from '../../../helpers/cgroup-tree.js';

const silent = createLogger({ level: 'silent' });

function setup(containers: ResourceContainer[], tree: Tree) {
  const registry = new Registry();
  let clock = 1_700_000_000_000;
  registerResourceMetrics(registry, {
    containers: () => containers,
    reader: createStatsReader({ cgroupRoot: tree.cgroup, procRoot: tree.proc }),
    log: silent,
    now: () => clock,
  });
  return {
    scrape: async () => parseExposition(await registry.metrics()),
    advance: (ms: number) => (clock += ms),
  };
}

const A = 'a'.repeat(64);
const B = 'b'.repeat(64);
const labelsA = { container: 'api', compose_service: 'api', host: 'h' };
const labelsB = { container: 'db', host: 'h' };

test('cgroup v2 figures come out in cAdvisor\'s units with the container\'s labels', async (t) => {
  const tree = fixtureTree();
  t.after(() => tree.close());
  tree.container(A, 101);
  const m = setup([{ target: { containerId: A, pid: 101 }, labels: labelsA }], tree);
  const s = await m.scrape();
  const one = (name: string) => {
    const x = samplesOf(s, name);
    assert.equal(x.length, 1, name);
    assert.deepEqual(x[0]!.labels, labelsA, name);
    return x[0]!.value;
  };
  assert.equal(one('container_cpu_usage_seconds_total'), 2.5);
  assert.equal(one('container_cpu_user_seconds_total'), 2);
  assert.equal(one('container_cpu_system_seconds_total'), 0.5);
  assert.equal(one('container_memory_usage_bytes'), 50_000_000);
  assert.equal(one('container_memory_working_set_bytes'), 35_000_000, 'usage less inactive_file');
  assert.equal(one('container_memory_rss'), 30_000_000);
  assert.equal(one('container_spec_memory_limit_bytes'), 268_435_456);
  assert.equal(one('container_network_receive_bytes_total'), 5100, 'loopback left out');
  assert.equal(one('container_network_transmit_bytes_total'), 7200);
  assert.equal(one('container_fs_reads_bytes_total'), 4096);
  assert.equal(one('container_fs_writes_bytes_total'), 8192);
  assert.equal(one('container_last_seen'), 1_700_000_000);
});

test('a malformed file skips only its figures and counts an error; the scrape still answers', async (t) => {
  const tree = fixtureTree();
  t.after(() => tree.close());
  const dirA = tree.container(A, 101);
  tree.container(B, 102);
  writeFileSync(join(dirA, 'memory.stat'), 'anon 30000000\ninactive_file lots\n');
  writeFileSync(join(tree.proc, '101', 'net', 'dev'), 'not a net/dev file\n');
  const m = setup([{ target: { containerId: A, pid: 101 }, labels: labelsA }, { target: { containerId: B, pid: 102 }, labels: labelsB }], tree);
  const s = await m.scrape();
  assert.deepEqual(samplesOf(s, 'container_memory_working_set_bytes').map((x) => x.labels.container), ['db'], 'api\'s memory figures are skipped');
  assert.deepEqual(samplesOf(s, 'container_memory_usage_bytes').map((x) => x.labels.container), ['db']);
  assert.deepEqual(samplesOf(s, 'container_network_receive_bytes_total').map((x) => x.labels.container), ['db']);
  assert.equal(samplesOf(s, 'container_cpu_usage_seconds_total', { container: 'api' })[0]?.value, 2.5, 'its other figures stay');
  assert.equal(samplesOf(s, 'logwharf_agent_resource_metric_errors_total', { file: 'memory.stat' })[0]?.value, 1);
  assert.equal(samplesOf(s, 'logwharf_agent_resource_metric_errors_total', { file: 'net/dev' })[0]?.value, 1);

  // A /proc/<pid>/cgroup that is not one: that container has no series, the other is untouched.
  writeFileSync(join(tree.proc, '102', 'cgroup'), 'nonsense\n');
  const m2 = setup([{ target: { containerId: B, pid: 102 }, labels: labelsB }], tree);
  const s2 = await m2.scrape();
  assert.equal(samplesOf(s2, 'container_cpu_usage_seconds_total').length, 0);
  assert.equal(samplesOf(s2, 'logwharf_agent_resource_metric_errors_total', { file: 'cgroup' })[0]?.value, 1);
});

test('scrapes within a second share one reading; a later scrape reads again', async (t) => {
  const tree = fixtureTree();
  t.after(() => tree.close());
  const dir = tree.container(A, 101);
  const m = setup([{ target: { containerId: A, pid: 101 }, labels: labelsA }], tree);
  const cpu = async () => samplesOf(await m.scrape(), 'container_cpu_usage_seconds_total')[0]!.value;
  assert.equal(await cpu(), 2.5);
  writeFileSync(join(dir, 'cpu.stat'), CPU_STAT.replace('usage_usec 2500000', 'usage_usec 4000000'));
  m.advance(999);
  assert.equal(await cpu(), 2.5, 'served from the reading of 999 ms ago');
  m.advance(1);
  assert.equal(await cpu(), 4);
});

test('a container that is no longer collected, or whose cgroup is gone, has no series', async (t) => {
  const tree = fixtureTree();
  t.after(() => tree.close());
  tree.container(A, 101);
  const dirB = tree.container(B, 102);
  const containers: ResourceContainer[] = [{ target: { containerId: A, pid: 101 }, labels: labelsA }, { target: { containerId: B, pid: 102 }, labels: labelsB }];
  const m = setup(containers, tree);
  assert.equal(samplesOf(await m.scrape(), 'container_last_seen').length, 2);
  containers.shift();
  m.advance(1000);
  assert.deepEqual(samplesOf(await m.scrape(), 'container_last_seen').map((x) => x.labels.container), ['db']);
  rmSync(dirB, { recursive: true });
  m.advance(1000);
  const s = await m.scrape();
  assert.equal(samplesOf(s, 'container_last_seen').length, 0);
  assert.equal(samplesOf(s, 'logwharf_agent_resource_metric_errors_total').length, 0, 'a container that stopped is no error');
});

test('the Docker API\'s stats (cgroup v1 and v2 engines) convert to the same figures', () => {
  const v1 = fromEngineStats({
    cpu_stats: { cpu_usage: { total_usage: 2_500_000_000, usage_in_usermode: 2_000_000_000, usage_in_kernelmode: 500_000_000 } },
    memory_stats: { usage: 50_000_000, limit: 9223372036854771712, stats: { total_inactive_file: 15_000_000, total_rss: 30_000_000 } },
    networks: { eth0: { rx_bytes: 5000, tx_bytes: 7000 }, lo: { rx_bytes: 1, tx_bytes: 1 } },
    blkio_stats: { io_service_bytes_recursive: [{ op: 'Read', value: 4096 }, { op: 'Write', value: 8192 }, { op: 'Total', value: 12288 }] },
  });
  assert.deepEqual(v1, {
    cpuUsageSeconds: 2.5, cpuUserSeconds: 2, cpuSystemSeconds: 0.5,
    memoryUsageBytes: 50_000_000, memoryWorkingSetBytes: 35_000_000, memoryRssBytes: 30_000_000, memoryLimitBytes: 0,
    networkReceiveBytes: 5000, networkTransmitBytes: 7000, fsReadBytes: 4096, fsWriteBytes: 8192,
  });
  const v2 = fromEngineStats({
    memory_stats: { usage: 50_000_000, limit: 268_435_456, stats: { inactive_file: 15_000_000, anon: 30_000_000 } },
    blkio_stats: { io_service_bytes_recursive: [{ op: 'read', value: 1 }, { op: 'write', value: 2 }] },
  });
  assert.equal(v2.memoryWorkingSetBytes, 35_000_000);
  assert.equal(v2.memoryRssBytes, 30_000_000);
  assert.equal(v2.memoryLimitBytes, 268_435_456);
  assert.equal(v2.fsReadBytes, 1);
  assert.equal(v2.networkReceiveBytes, 0, 'no networks: --network none');
});

for (const layout of ['systemd-v2', 'cgroupfs-v1'] as const) {
  test(`a Kubernetes pod's figures come from its pod cgroup (${layout} layout, fixture tree), network from a process of the pod`, async (t) => {
    const tree = fixtureTree();
    t.after(() => tree.close());
    const uid = '1f6a4f3e-9a4b-4c36-8e1a-0d7b5c1d2e3f';
    podTree(tree, layout, uid, 4242);
    const labels = { namespace: 'shop', pod: 'checkout-5c7d', node: 'n1' };
    const m = setup([{ target: { podUid: uid }, labels }], tree);
    const s = await m.scrape();
    const one = (name: string) => samplesOf(s, name, labels)[0]?.value;
    assert.equal(one('container_cpu_usage_seconds_total'), 2.5);
    assert.equal(one('container_cpu_user_seconds_total'), 2);
    assert.equal(one('container_memory_working_set_bytes'), 35_000_000);
    assert.equal(one('container_memory_rss'), 30_000_000);
    assert.equal(one('container_spec_memory_limit_bytes'), 0);
    assert.equal(one('container_network_receive_bytes_total'), 5100);
    assert.equal(samplesOf(s, 'logwharf_agent_resource_metric_errors_total').length, 0);
    // A pod whose cgroup is not on this node has no series (and is no error).
    const other = setup([{ target: { podUid: 'ffffffff-0000-0000-0000-000000000000' }, labels }], tree);
    assert.equal(samplesOf(await other.scrape(), 'container_last_seen').length, 0);
  });
}

test('a file the cgroup does not have (a controller not enabled) loses its figures only, counted; the container is not taken for gone', async (t) => {
  const tree = fixtureTree();
  t.after(() => tree.close());
  const dir = tree.container(A, 101);
  rmSync(join(dir, 'io.stat'));
  const m = setup([{ target: { containerId: A, pid: 101 }, labels: labelsA }], tree);
  const s = await m.scrape();
  assert.equal(samplesOf(s, 'container_fs_reads_bytes_total').length, 0);
  assert.equal(samplesOf(s, 'container_cpu_usage_seconds_total')[0]?.value, 2.5);
  assert.equal(samplesOf(s, 'logwharf_agent_resource_metric_errors_total', { file: 'io.stat' })[0]?.value, 1);
});

test('on an OpenMetrics registry the counters keep one _total suffix', async (t) => {
  const tree = fixtureTree();
  t.after(() => tree.close());
  tree.container(A, 101);
  const registry = new Registry<OpenMetricsContentType>();
  registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
  registerResourceMetrics(registry, {
    containers: () => [{ target: { containerId: A, pid: 101 }, labels: labelsA }],
    reader: createStatsReader({ cgroupRoot: tree.cgroup, procRoot: tree.proc }),
    log: silent,
  });
  const text = await registry.metrics();
  assert.match(text, /^# TYPE container_cpu_usage_seconds counter$/m);
  assert.match(text, /^container_cpu_usage_seconds_total\{[^}]*container="api"[^}]*\} 2\.5$/m);
  assert.doesNotMatch(text, /_total_total/);
});
