/**
 * Hot reload of a running agent (issue #13) against the real server: new configurations applied
 * while lines flow, each rebuilding only what changed (pipeline, shipper, readers, the file
 * discovery), and every line stored exactly once. Plain files are read with the read time as the
 * timestamp, so a line read twice would be stored twice: the server cannot hide a duplicate here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createAgent } from '../../../src/agent/agent.js';
import { createLogger } from '../../../src/util/logger.js';
import type { AgentConfig } from '../../../src/config/agent.js';
import { startServer, tempDir, removeDir } from '../helpers/server.js';
import { queryAll, testAgentConfig } from './helpers.js';
import { pushRequests, startFront } from './ship-helpers.js';
import { waitFor } from '../../helpers/wait-for.js';
import { seededRandom } from '../../helpers/random.js';

const silent = createLogger({ level: 'silent' });

function fileConfig(url: string, data: string, paths: string[], extra: Record<string, unknown> = {}): AgentConfig {
  return testAgentConfig(url, data, { docker: { enabled: 'false' }, files: [{ paths, labels: { job: 'app' } }], ...extra });
}

/** Appends numbered lines to `path` every few ms until stopped; `written` is how many so far. */
function lineWriter(path: string, prefix: string, perTick: number) {
  let written = 0;
  const timer = setInterval(() => {
    let text = '';
    for (let i = 0; i < perTick; i++) text += `${prefix} ${String(written++).padStart(6, '0')}\n`;
    appendFileSync(path, text);
  }, 20);
  return {
    get written() {
      return written;
    },
    stop: () => clearInterval(timer),
  };
}

function assertExactlyOnce(lines: string[], expected: string[], what: string): void {
  const counts = new Map<string, number>();
  for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
  const twice = [...counts].filter(([, n]) => n > 1).map(([l]) => l);
  const missing = expected.filter((l) => !counts.has(l));
  assert.deepEqual({ twice: twice.slice(0, 5), missing: missing.slice(0, 5) }, { twice: [], missing: [] }, `${what}: ${twice.length} duplicated, ${missing.length} missing`);
  assert.equal(lines.length, expected.length, what);
}

test('20 hot reloads in a row while lines flow: each changes the pipeline, the shipper, the readers or the discovery, and every line is stored once', async (t) => {
  const random = seededRandom(t);
  const server = await startServer({ limits: { max_entries_limit_per_query: 20_000 } });
  const data = tempDir();
  const logs = tempDir();
  const a = join(logs, 'a.log');
  const b = join(logs, 'b.log');
  writeFileSync(a, '');
  writeFileSync(b, '');
  const base = fileConfig(server.url, data, [a]);
  const agent = createAgent(base, { log: silent });
  const wa = lineWriter(a, 'a', 8);
  let wb: ReturnType<typeof lineWriter> | undefined;
  try {
    await agent.start();
    // Each reload is one of these changes (picked at random, seed printed); some touch several parts.
    const variants: Array<[string, (c: AgentConfig) => void]> = [
      ['shipper: encoding json, gzip', (c) => Object.assign(c.client, { encoding: 'json', compression: 'gzip' })],
      ['shipper: small batches', (c) => Object.assign(c.client, { batch_size: 2048, batch_wait: '30ms' })],
      ['pipeline: a drop rule that matches nothing', (c) => (c.pipeline.drop = [{ line: '^never', reason: 'drop_rule' }])],
      ['pipeline: multiline (every line a first line)', (c) => (c.pipeline.multiline = [{ selector: '{}', first_line: '^[ab] ', max_wait: '150ms', max_lines: 500 }])],
      ['pipeline: relabel adds a label', (c) => (c.pipeline.relabel = [{ action: 'replace', source_labels: ['job'], separator: ';', regex: '(.*)', target_label: 'team', replacement: 'ops-$1' }])],
      ['pipeline: external labels', (c) => (c.client.external_labels = { cluster: 'eu' })],
      ['readers: poll interval and coalescing', (c) => Object.assign(c, { poll_interval: '60ms', read_coalesce: '0s' })],
      ['files: another label', (c) => (c.files = [{ paths: [a], exclude: [], labels: { job: 'app', tier: 'web' } }])],
      ['positions: sync interval', (c) => (c.positions_sync = '300ms')],
    ];
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const next = structuredClone(base);
      const picks = [variants[random.int(variants.length)]!, variants[random.int(variants.length)]!];
      for (const [, change] of picks) change(next);
      // From the 10th reload on, a second file is collected too (the file discovery restarts with two globs).
      if (i >= 10) next.files = [{ paths: [a, b], exclude: [], labels: { job: 'app' } }];
      if (i === 10) wb = lineWriter(b, 'b', 4);
      const before = wa.written;
      const r = await agent.reconfigure(next);
      assert.ok(r.ok, `reload ${i} (${picks.map((p) => p[0]).join(' + ')}) applied: ${JSON.stringify(r)}`);
      for (const p of r.changed) seen.add(p);
      // Lines keep flowing between reloads: the next one waits until lines written after this one are stored.
      await waitFor(`lines after reload ${i}`, async () => (await queryAll(server.url, `{job="app", filename="${a}"} |~ "^a 0*${before + 8}$"`)).length > 0, { timeoutMs: 15_000 });
    }
    assert.ok(seen.has('pipeline') && seen.has('shipper') && seen.has('files'), `reloads touched ${[...seen].join(', ')}`);
    wa.stop();
    wb?.stop();
    const expected = [...Array.from({ length: wa.written }, (_, i) => `a ${String(i).padStart(6, '0')}`), ...Array.from({ length: wb?.written ?? 0 }, (_, i) => `b ${String(i).padStart(6, '0')}`)];
    await waitFor('every line stored', async () => (await queryAll(server.url, '{job="app"}', { limit: 20_000 })).length >= expected.length, { timeoutMs: 20_000 });
    // A duplicate could only come from the running agent: stop it (it ships what it has) and count then.
    await agent.close();
    const stored = (await queryAll(server.url, '{job="app"}', { limit: 20_000 })).map((l) => l.line);
    assertExactlyOnce(stored, expected, `${expected.length} lines over 20 reloads`);
  } finally {
    wa.stop();
    wb?.stop();
    await agent.close();
    await server.close();
    removeDir(server.dir);
    removeDir(data);
    removeDir(logs);
  }
});

for (const buffered of [false, true]) {
test(`a reload that changes client.url moves shipping to the second server: batches the first one never acknowledged go there, none twice${buffered ? ' (disk buffer on)' : ''}`, async () => {
  const one = await startServer();
  const two = await startServer();
  const front = await startFront(one.url);
  const data = tempDir();
  const logs = tempDir();
  const path = join(logs, 'app.log');
  writeFileSync(path, '');
  const base = fileConfig(front.url, data, [path], buffered ? { buffer: { enabled: true } } : {});
  const agent = createAgent(base, { log: silent });
  try {
    await agent.start();
    const write = (from: number, n: number) => appendFileSync(path, Array.from({ length: n }, (_, i) => `line ${from + i}\n`).join(''));
    write(0, 100);
    await waitFor('100 lines on the first server', async () => (await queryAll(one.url, '{job="app"}')).length >= 100);
    // The first server starts failing: the next lines are read and wait, unacknowledged, in the shipper.
    front.policy = () => ({ status: 503, body: 'down for maintenance' });
    const failedBefore = pushRequests(front).length;
    write(100, 100);
    await waitFor('the shipper retrying against the first server', () => pushRequests(front).length >= failedBefore + 2);
    const r = await agent.reconfigure({ ...base, client: { ...base.client, url: two.url } });
    assert.deepEqual(r, { ok: true, changed: ['shipper'] });
    write(200, 100);
    await waitFor('the rest on the second server', async () => (await queryAll(two.url, '{job="app"}')).length >= 200);
    await agent.close();
    const first = (await queryAll(one.url, '{job="app"}')).map((l) => l.line);
    const second = (await queryAll(two.url, '{job="app"}')).map((l) => l.line);
    assertExactlyOnce([...first, ...second], Array.from({ length: 300 }, (_, i) => `line ${i}`), 'both servers together');
    assert.ok(second.includes('line 100') && second.includes('line 299'), 'what the first server refused went to the second');
    assert.equal(new URL(agent.health().pushUrl).port, new URL(two.url).port);
  } finally {
    await agent.close();
    await front.close();
    await one.close();
    await two.close();
    for (const d of [one.dir, two.dir, data, logs]) removeDir(d);
  }
});
}

test('what cannot change hot is refused with the reason, and nothing changes', async () => {
  const server = await startServer();
  const data = tempDir();
  const logs = tempDir();
  const path = join(logs, 'app.log');
  writeFileSync(path, 'one\n');
  const base = fileConfig(server.url, data, [path]);
  const agent = createAgent(base, { log: silent });
  try {
    assert.deepEqual(await agent.reconfigure(base), { ok: false, reason: 'the agent is not running' });
    await agent.start();
    const moved = await agent.reconfigure({ ...base, data: tempDir(), client: { ...base.client, bearer_token: 'x' } });
    assert.equal(moved.ok, false);
    assert.match((moved as { reason: string }).reason, /cannot change while the agent runs: data, client\.bearer_token \(local-only/);
    const bad = await agent.reconfigure({ ...base, pipeline: { ...base.pipeline, drop: [{ line: '(', reason: 'x' }] } });
    assert.equal(bad.ok, false);
    assert.match((bad as { reason: string }).reason, /pipeline\.drop\[0\]\.line/);
    assert.equal(agent.config, base, 'the running configuration is unchanged');
    assert.deepEqual(await agent.reconfigure(structuredClone(base)), { ok: true, changed: [] });
    appendFileSync(path, 'two\n');
    await waitFor('lines still shipped', async () => (await queryAll(server.url, '{job="app"}')).length === 2);
  } finally {
    await agent.close();
    await server.close();
    removeDir(server.dir);
    removeDir(data);
    removeDir(logs);
  }
});

test('a discovery turned off finishes its sources; turned on again, they go on from their positions: nothing lost, nothing twice', async () => {
  const server = await startServer();
  const data = tempDir();
  const logs = tempDir();
  const path = join(logs, 'app.log');
  writeFileSync(path, Array.from({ length: 10 }, (_, i) => `line ${i}\n`).join(''));
  const base = fileConfig(server.url, data, [path]);
  const agent = createAgent(base, { log: silent });
  try {
    await agent.start();
    await waitFor('10 lines', async () => (await queryAll(server.url, '{job="app"}')).length === 10);
    const off = await agent.reconfigure({ ...base, files: [] });
    assert.deepEqual(off, { ok: true, changed: ['files'] });
    await waitFor('the source finished', () => agent.sources().find((s) => s.id === `file:${path}`)?.state === 'finished');
    appendFileSync(path, Array.from({ length: 10 }, (_, i) => `line ${10 + i}\n`).join(''));
    const on = await agent.reconfigure(base);
    assert.deepEqual(on, { ok: true, changed: ['files'] });
    await waitFor('20 lines', async () => (await queryAll(server.url, '{job="app"}')).length >= 20);
    await agent.close();
    const lines = (await queryAll(server.url, '{job="app"}')).map((l) => l.line);
    assert.deepEqual(lines.sort(), Array.from({ length: 20 }, (_, i) => `line ${i}`).sort());
  } finally {
    await agent.close();
    await server.close();
    for (const d of [server.dir, data, logs]) removeDir(d);
  }
});
