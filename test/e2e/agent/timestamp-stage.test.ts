/**
 * The pipeline's timestamp rule through the real agent and server: pod logs in CRI files (written by
 * the kubelet-style writer, so the runtime's timestamps are real), entries stored at the time their
 * lines carry, to the nanosecond, and so queried in the order the services wrote them even when the
 * runtime read them in another order.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createAgent } from '../../../src/agent/agent.js';
import { formatRfc3339Nano } from '../../../src/api/timestamp.js';
import { createLogger } from '../../../src/util/logger.js';
import { startServer, tempDir, removeDir } from '../helpers/server.js';
import { CriWriter } from '../../helpers/cri-writer.js';
import { queryAll, testAgentConfig } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

const silent = createLogger({ level: 'silent' });

test('entries are stored at their line\'s own time (ns kept); lines without one keep the runtime time and are counted', async () => {
  const server = await startServer();
  const data = tempDir();
  const pods = tempDir();
  const writers = Object.fromEntries(
    ['front', 'back'].map((c, i) => {
      const dir = join(pods, `shop_${c}-1_0000000${i}-1111-2222-3333-444444444444`, c);
      mkdirSync(dir, { recursive: true });
      return [c, new CriWriter({ dir })];
    }),
  ) as Record<'front' | 'back', CriWriter>;
  const agent = createAgent(
    testAgentConfig(server.url, data, {
      docker: { enabled: 'false' },
      kubernetes: { enabled: 'true', pods_dir: pods, api_url: '', node_name: 'node-1' },
      pipeline: { timestamp: [{ selector: '{container=~"front|back"}', source: 'time', format: 'RFC3339Nano' }] },
    }),
    { log: silent },
  );
  // The services' own clock: 10 s ago, so the runtime's timestamps (written now) are all later.
  const base = BigInt(Date.now() - 10_000) * 1_000_000n;
  const own = (offsetNs: bigint) => formatRfc3339Nano(base + offsetNs);
  try {
    await agent.start();
    // Written (and so timestamped by the runtime) back first, then front: the opposite of the order
    // the services wrote them in.
    writers.back.write(JSON.stringify({ time: own(2_000_123n), msg: 'back handled' }));
    writers.front.write(JSON.stringify({ time: own(1_000_001n), msg: 'front request received' }));
    writers.front.write(`time=${own(3_000_000n)} msg="front downstream answered"`);
    const runtimeTs = writers.front.write('front: a line without a time');
    const lines = await waitFor('4 lines', async () => {
      const l = await queryAll(server.url, '{namespace="shop"}');
      return l.length >= 4 ? l : undefined;
    }, { timeoutMs: 10_000 });
    assert.deepEqual(
      lines.map((l) => [l.labels.container, l.ts]),
      [
        ['front', String(base + 1_000_001n)],
        ['back', String(base + 2_000_123n)],
        ['front', String(base + 3_000_000n)],
        ['front', String(runtimeTs)],
      ],
    );
    const failures = await agent.metrics.timestampParseFailures.get();
    assert.deepEqual(failures.values.map((v) => [v.labels.reason, v.value]), [['missing', 1]]);
  } finally {
    writers.front.close();
    writers.back.close();
    await agent.close();
    await server.close();
    removeDir(server.dir);
    removeDir(data);
    removeDir(pods);
  }
});
