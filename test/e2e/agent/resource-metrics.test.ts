/**
 * Container resource metrics (issue #16) against a real Docker engine: a container that burns CPU
 * and holds 30 MB in its /dev/shm shows on the agent's /metrics under cAdvisor's names, with exactly
 * the labels of its log stream on the server, its CPU seconds grow between scrapes, its working set
 * covers what it holds, and its series are gone once it is removed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createAgentProcess } from '../../../src/app/agent.js';
import { RESOURCE_METRIC_NAMES } from '../../../src/agent/resources/resource-metrics.js';
import { createDockerApi } from '../../../src/agent/discovery/docker-api.js';
import { createStatsReader } from '../../../src/agent/resources/container-stats.js';
import { createLogger } from '../../../src/util/logger.js';
import { startServer, tempDir, removeDir } from '../helpers/server.js';
import { dockerOrSkip, runContainer, removeContainer, BUSYBOX_IMAGE, DOCKER_SOCKET } from '../../helpers/docker.js';
import { parseExposition, samplesOf } from '../../helpers/exposition.js';
import { testAgentConfig } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

const silent = createLogger({ level: 'silent' });
const HELD_BYTES = 30_000_000;

test('a container\'s CPU, memory, network and IO are on the agent\'s /metrics with its log labels, and go when it goes', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const server = await startServer();
  const data = tempDir();
  const cname = `lh-res-${randomUUID().slice(0, 8)}`;
  const id = await runContainer([
    '--name', cname,
    '--label', 'com.docker.compose.project=shop',
    '--label', 'com.docker.compose.service=api',
    '--label', 'tier=backend',
    BUSYBOX_IMAGE, 'sh', '-c', `head -c ${HELD_BYTES} /dev/zero > /dev/shm/held; echo held; while :; do :; done`,
  ]);
  // External labels and a relabel rule shape the log labels: the metrics must follow them.
  const config = testAgentConfig(server.url, data, {
    metrics_listen: '127.0.0.1:0',
    client: { external_labels: { cluster: 'c1' } },
    pipeline: { relabel: [{ source_labels: ['__meta_docker_container_label_tier'], target_label: 'tier' }] },
  });
  const proc = createAgentProcess(config, { log: silent });
  try {
    const { metricsUrl } = await proc.start();
    const scrape = async () => parseExposition(await (await fetch(`${metricsUrl}/metrics`)).text());

    // The log stream as the server has it.
    const series = await waitFor('the container\'s log stream on the server', async () => {
      const q = new URLSearchParams({ 'match[]': `{container="${cname}"}` });
      const r = (await (await fetch(`${server.url}/loki/api/v1/series?${q}`)).json()) as { data: Record<string, string>[] };
      return r.data.length > 0 ? r.data : undefined;
    }, { timeoutMs: 15_000 });
    assert.equal(series.length, 1, 'one stream: stdout');
    // `stream` tells stdout from stderr, which a container's figures do not have; `service_name` is
    // added by the server (Loki's discover_service_name, from `container` here), not by the agent.
    const { stream, service_name: serviceName, ...logLabels } = series[0]!;
    assert.equal(stream, 'stdout');
    assert.equal(serviceName, cname);
    assert.equal(logLabels.compose_service, 'api');
    assert.equal(logLabels.cluster, 'c1');
    assert.equal(logLabels.tier, 'backend');

    const first = await waitFor('the working set to cover the held bytes', async () => {
      const s = await scrape();
      const ws = samplesOf(s, 'container_memory_working_set_bytes', { container: cname });
      return ws.length === 1 && ws[0]!.value >= HELD_BYTES ? s : undefined;
    }, { timeoutMs: 15_000 });
    for (const name of RESOURCE_METRIC_NAMES) {
      const mine = samplesOf(first, name, { container: cname });
      assert.equal(mine.length, 1, `${name} has one series for the container`);
      assert.deepEqual(mine[0]!.labels, logLabels, `${name} carries exactly the labels of the container's logs`);
    }
    assert.ok(samplesOf(first, 'container_memory_usage_bytes', { container: cname })[0]!.value >= HELD_BYTES);
    assert.ok(Math.abs(samplesOf(first, 'container_last_seen', { container: cname })[0]!.value - Date.now() / 1000) < 60);
    assert.equal(samplesOf(first, 'container_spec_memory_limit_bytes', { container: cname })[0]!.value, 0, 'no limit was set');
    assert.equal(samplesOf(first, 'logwharf_agent_resource_metric_errors_total').reduce((a, s) => a + s.value, 0), 0, 'nothing was malformed');

    // It burns a core: its CPU seconds grow from one scrape to a later one.
    const cpu0 = samplesOf(first, 'container_cpu_usage_seconds_total', { container: cname })[0]!.value;
    assert.ok(cpu0 > 0);
    await waitFor('CPU seconds to grow', async () => {
      const cpu = samplesOf(await scrape(), 'container_cpu_usage_seconds_total', { container: cname })[0]?.value;
      return cpu !== undefined && cpu > cpu0 ? true : undefined;
    }, { timeoutMs: 10_000 });

    await removeContainer(id);
    await waitFor('its series to disappear', async () => {
      const s = await scrape();
      return RESOURCE_METRIC_NAMES.every((n) => samplesOf(s, n, { container: cname }).length === 0) ? true : undefined;
    }, { timeoutMs: 10_000 });
  } finally {
    await proc.close();
    await removeContainer(id);
    await server.close();
    removeDir(server.dir);
    removeDir(data);
  }
});

test('without readable cgroup files the Docker API\'s stats give the same figures', async (t) => {
  if (!(await dockerOrSkip(t))) return;
  const api = createDockerApi(DOCKER_SOCKET);
  const id = await runContainer(['--name', `lh-res-api-${randomUUID().slice(0, 8)}`, BUSYBOX_IMAGE, 'sh', '-c', `head -c ${HELD_BYTES} /dev/zero > /dev/shm/held; while :; do :; done`]);
  try {
    const pid = (await api.inspect(id)).State.Pid;
    // A cgroup root that does not exist stands for an agent without /sys/fs/cgroup mounted.
    const reader = createStatsReader({ cgroupRoot: '/nonexistent-cgroup-root', engineStats: (cid) => api.stats(cid) });
    const first = await waitFor('the held bytes in the working set', async () => {
      const r = await reader.read({ containerId: id, pid });
      return (r.stats.memoryWorkingSetBytes ?? 0) >= HELD_BYTES ? r : undefined;
    }, { timeoutMs: 15_000 });
    assert.equal(first.via, 'docker_api');
    assert.deepEqual(first.errors, []);
    assert.ok(first.stats.cpuUsageSeconds! > 0);
    assert.equal(first.stats.networkReceiveBytes, 0, '--network none');
    assert.equal(typeof first.stats.fsReadBytes, 'number');
    await waitFor('CPU seconds to grow', async () => ((await reader.read({ containerId: id, pid })).stats.cpuUsageSeconds! > first.stats.cpuUsageSeconds! ? true : undefined), { timeoutMs: 10_000 });
    // And the cgroup files, where readable, agree on what the container holds.
    const files = await createStatsReader().read({ containerId: id, pid });
    assert.equal(files.via, 'cgroup');
    assert.ok(files.stats.memoryWorkingSetBytes! >= HELD_BYTES);
  } finally {
    await removeContainer(id);
  }
});
