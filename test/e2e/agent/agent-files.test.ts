/**
 * The agent on plain files (issue #4 §1, §3) with the real server: globbed files with their labels,
 * lines appended later, logrotate-style rotation, multiline stack traces, and the rule that a
 * position never moves past lines multiline still holds — so a restart in the middle of a stack
 * trace ships it once, whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, renameSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createAgent } from '../../../src/agent/agent.js';
import { createLogger } from '../../../src/util/logger.js';
import { startServer, tempDir, removeDir } from '../helpers/server.js';
import { CriWriter } from '../../helpers/cri-writer.js';
import { queryAll, testAgentConfig } from './helpers.js';
import { waitFor } from '../../helpers/wait-for.js';

const silent = createLogger({ level: 'silent' });

function fileConfig(url: string, data: string, logs: string, extra: Record<string, unknown> = {}) {
  return testAgentConfig(url, data, {
    docker: { enabled: 'false' },
    files: [{ paths: [join(logs, '*.log')], labels: { job: 'app' } }],
    ...extra,
  });
}

test('files by glob: labels, appended lines, rotation by rename, each line once', async () => {
  const server = await startServer();
  const data = tempDir();
  const logs = tempDir();
  const path = join(logs, 'app.log');
  writeFileSync(path, 'one\ntwo\n');
  const agent = createAgent(fileConfig(server.url, data, logs), { log: silent });
  try {
    await agent.start();
    await waitFor('2 lines', async () => ((await queryAll(server.url, '{job="app"}')).length >= 2 ? true : undefined), { timeoutMs: 10_000 });
    appendFileSync(path, 'three\n');
    renameSync(path, path + '.1');
    appendFileSync(path + '.1', 'four (written to the rotated file)\n');
    writeFileSync(path, 'five\n');
    const lines = await waitFor('5 lines', async () => {
      const l = await queryAll(server.url, '{job="app"}');
      return l.length >= 5 ? l : undefined;
    }, { timeoutMs: 10_000 });
    // A duplicate could only come from the running agent: stop it (it ships what it has) and count then.
    await agent.close();
    const all = await queryAll(server.url, '{job="app"}');
    assert.deepEqual(all.map((l) => l.line).sort(), ['five', 'four (written to the rotated file)', 'one', 'three', 'two']);
    assert.equal(lines[0]!.labels.filename, path);
    assert.equal(lines[0]!.labels.host, 'test-host');
    assert.equal(lines[0]!.labels.stream, undefined, 'plain files have no stream');
  } finally {
    await agent.close();
    await server.close();
    removeDir(server.dir);
    removeDir(data);
    removeDir(logs);
  }
});

test('a stack trace in a pod log is one entry, and a restart in its middle neither splits nor repeats it', async () => {
  const server = await startServer();
  const data = tempDir();
  const pods = tempDir();
  const dir = join(pods, 'shop_api-7d9f_0f8e4c1a-1111-2222-3333-444444444444', 'api');
  mkdirSync(dir, { recursive: true });
  const writer = new CriWriter({ dir });
  const config = (wait: string) =>
    testAgentConfig(server.url, data, {
      docker: { enabled: 'false' },
      kubernetes: { enabled: 'true', pods_dir: pods, api_url: '', node_name: 'node-1' },
      pipeline: { multiline: [{ selector: '{namespace="shop"}', first_line: '^\\d{4}-\\d\\d-\\d\\d ', max_wait: wait }] },
    });
  writer.write('2026-11-23 10:00:00 INFO started');
  writer.write('2026-11-23 10:00:01 [ERROR] request failed');
  writer.write('java.lang.IllegalStateException: boom');
  writer.write('\tat com.acme.A.run(A.java:10)');
  let agent = createAgent(config('1h'), { log: silent });
  try {
    await agent.start();
    // The first entry is complete (a new first line followed it); the error entry is still open.
    const first = await waitFor('the first entry', async () => {
      const l = await queryAll(server.url, '{namespace="shop"}');
      return l.length >= 1 ? l : undefined;
    }, { timeoutMs: 10_000 });
    assert.deepEqual(first[0]!.labels, { namespace: 'shop', pod: 'api-7d9f', container: 'api', node: 'node-1', stream: 'stdout', service_name: 'api' });
    await new Promise((r) => setTimeout(r, 1000));
    await agent.close();

    // More of the trace arrives while the agent is down; after the restart it is shipped whole, once
    // (the first entry is read again, with the kubelet's timestamp, and dropped by the server as an
    // exact duplicate).
    writer.write('\tat com.acme.B.call(B.java:20)');
    writer.write('2026-11-23 10:00:02 INFO recovered');
    agent = createAgent(config('200ms'), { log: silent });
    await agent.start();
    await waitFor('3 entries', async () => ((await queryAll(server.url, '{namespace="shop"}')).length >= 3 ? true : undefined), { timeoutMs: 10_000 });
    // A fourth entry could only come from the running agent: stop it (it ships what it has) and count then.
    await agent.close();
    const all = await queryAll(server.url, '{namespace="shop"}');
    assert.equal(all.length, 3, `exactly three entries: ${JSON.stringify(all.map((l) => l.line))}`);
    const error = all.find((l) => l.line.includes('[ERROR]'))!;
    assert.equal(error.line, '2026-11-23 10:00:01 [ERROR] request failed\njava.lang.IllegalStateException: boom\n\tat com.acme.A.run(A.java:10)\n\tat com.acme.B.call(B.java:20)');
    assert.equal(error.metadata?.detected_level, 'error');
  } finally {
    writer.close();
    await agent.close();
    await server.close();
    removeDir(server.dir);
    removeDir(data);
    removeDir(pods);
  }
});
