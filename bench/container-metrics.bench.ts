/**
 * The agent's CPU for container resource metrics (issue #16; target: under 1 % of a core for 100
 * containers scraped every 15 s). Starts 20 real busybox containers, reads their figures the way a
 * scrape does (every family of the registry), and reports CPU per scrape per
 * container (one reading per scrape: the clock moves 15 s between scrapes, so the 1 s cache serves
 * only the families within one scrape) for the cgroup-file path and for the Docker API fallback, extrapolated to 100 containers
 * at one scrape every 15 s.
 *   node --import tsx bench/container-metrics.bench.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from 'prom-client';
import { createDockerApi } from '../src/agent/discovery/docker-api.js';
import { createStatsReader } from '../src/agent/resources/container-stats.js';
import { registerResourceMetrics, type ResourceContainer } from '../src/agent/resources/resource-metrics.js';
import { createLogger } from '../src/util/logger.js';
import { BUSYBOX_IMAGE, DOCKER_SOCKET, ensureDocker, removeContainer, runContainer } from '../test/helpers/docker.js';

const CONTAINERS = 20;
const SCRAPES = 30;
const silent = createLogger({ level: 'silent' });

test(`CPU per scrape per container, ${CONTAINERS} containers`, async () => {
  assert.ok(await ensureDocker(), 'needs Docker');
  const api = createDockerApi(DOCKER_SOCKET);
  const ids = await Promise.all(Array.from({ length: CONTAINERS }, (_x, i) => runContainer(['--name', `lh-bench-res-${process.pid}-${i}`, BUSYBOX_IMAGE, 'sleep', '600'])));
  try {
    const containers: ResourceContainer[] = [];
    for (const id of ids) {
      const c = await api.inspect(id);
      containers.push({ target: { containerId: id, pid: c.State.Pid }, labels: { container: c.Name.slice(1), container_id: id.slice(0, 12), image: BUSYBOX_IMAGE, host: 'bench' } });
    }
    const measure = async (label: string, cgroupRoot: string | undefined) => {
      const registry = new Registry();
      const reader = createStatsReader({ ...(cgroupRoot && { cgroupRoot }), engineStats: (id) => api.stats(id) });
      let clock = Date.now();
      registerResourceMetrics(registry, { containers: () => containers, reader, log: silent, now: () => clock });
      clock += 15_000;
      const check = await registry.metrics();
      const series = check.split('\n').filter((l) => l.startsWith('container_cpu_usage_seconds_total{')).length;
      assert.equal(series, CONTAINERS, `${label}: one CPU series per container`);
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < SCRAPES; i++) {
        clock += 15_000;
        await registry.metrics();
      }
      const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
      const used = process.cpuUsage(cpu0);
      const cpuMs = (used.user + used.system) / 1000;
      const perContainerMs = cpuMs / SCRAPES / CONTAINERS;
      // 100 containers, one scrape every 15 s: CPU ms per 15 s of wall time, as a share of one core.
      const share100 = (perContainerMs * 100) / 15_000;
      console.log(
        `${label}: ${perContainerMs.toFixed(3)} ms CPU per scrape per container (${(cpuMs / SCRAPES).toFixed(1)} ms per scrape of ${CONTAINERS}, wall ${(wallMs / SCRAPES).toFixed(1)} ms); ` +
          `100 containers every 15 s → ${(share100 * 100).toFixed(3)} % of a core`,
      );
      return share100;
    };
    const files = await measure('cgroup files', undefined);
    await measure('Docker API fallback', '/nonexistent-cgroup-root');
    assert.ok(files < 0.01, 'cgroup files: under 1 % of a core for 100 containers every 15 s');
  } finally {
    await Promise.all(ids.map((id) => removeContainer(id)));
  }
});
