/**
 * The sources registry over HTTP, against the real server: agents POST reports, operators GET them
 * with coverage; bad reports are refused with a message that says what is wrong; the registry
 * survives a restart on the same data directory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'node:http';
import { startServer, removeDir, tempDir } from './helpers/server.js';
import type { SourceReport, SourceStatus, SourcesResponse } from '../../src/api/sources.js';
import { createAgent } from '../../src/agent/agent.js';
import { createLogger } from '../../src/util/logger.js';
import { waitFor } from '../helpers/wait-for.js';
import { testAgentConfig } from './agent/helpers.js';

function source(id: string, over: Partial<SourceStatus> = {}): SourceStatus {
  return {
    id: `docker:${id}`,
    kind: 'docker',
    node: 'host-a',
    container: `web-${id}`,
    container_id: id,
    image: 'nginx:1.27',
    labels: { container: `web-${id}`, host: 'host-a' },
    state: 'tailing',
    lines_read: 120,
    lines_shipped: 120,
    bytes_shipped: 9000,
    lines_dropped: 0,
    lag_seconds: 0.2,
    first_seen: '2026-11-23T11:00:00Z',
    last_shipped_at: '2026-11-23T11:59:00Z',
    ...over,
  };
}

function report(agentId: string, sources: SourceStatus[]): SourceReport {
  return { agent: { id: agentId, host: `${agentId}.example`, version: '0.1.0', started_at: '2026-11-23T10:00:00Z' }, sources };
}

async function post(url: string, body: string | Buffer, headers: Record<string, string> = { 'Content-Type': 'application/json' }) {
  const res = await fetch(`${url}/api/v1/sources`, { method: 'POST', headers, body });
  return { status: res.status, text: await res.text() };
}

async function get(url: string, query = ''): Promise<SourcesResponse['data']> {
  const res = await fetch(`${url}/api/v1/sources${query}`);
  assert.equal(res.status, 200, await res.clone().text());
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  const body = (await res.json()) as SourcesResponse;
  assert.equal(body.status, 'success');
  return body.data;
}

test('POST a report, GET it back with agents and coverage, filter it', async (t) => {
  const srv = await startServer();
  t.after(async () => {
    await srv.close();
    removeDir(srv.dir);
  });
  const r1 = await post(srv.url, JSON.stringify(report('node-a', [source('aaa'), source('bbb', { lines_read: 0, lines_shipped: 0, bytes_shipped: 0 })])));
  assert.equal(r1.status, 204, r1.text);
  assert.equal(r1.text, '');
  const k8s: SourceStatus = {
    ...source('x'),
    id: 'k8s:uid-1/app/0',
    kind: 'kubernetes',
    container_id: undefined,
    namespace: 'shop',
    pod: 'cart-1',
    container: 'app',
    state: 'error',
    lines_read: 40,
    lines_shipped: 0,
    last_error: 'EACCES: permission denied',
  };
  // gzip-encoded, as an agent with compression on sends it.
  const r2 = await post(srv.url, gzipSync(JSON.stringify(report('node-b', [k8s]))), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
  assert.equal(r2.status, 204, r2.text);

  const all = await get(srv.url);
  assert.deepEqual(all.sources.map((s) => `${s.agent_id} ${s.id} ${s.state}`), ['node-a docker:aaa tailing', 'node-a docker:bbb tailing', 'node-b k8s:uid-1/app/0 error']);
  const aaa = all.sources[0]!;
  assert.equal(aaa.container, 'web-aaa');
  assert.equal(aaa.lines_shipped, 120);
  assert.equal(aaa.stale, false);
  assert.match(aaa.updated_at, /^\d{4}-\d\d-\d\dT/);
  assert.equal(all.sources[2]!.last_error, 'EACCES: permission denied');
  assert.deepEqual(all.agents.map((a) => [a.id, a.host, a.stale]), [['node-a', 'node-a.example', false], ['node-b', 'node-b.example', false]]);
  // aaa arrived, bbb never wrote, the pod's container read lines that never arrived.
  assert.deepEqual(all.coverage, { containers_seen: 3, containers_with_logs: 1, containers_silent: 1, ratio: 0.5 });

  assert.deepEqual((await get(srv.url, '?state=error')).sources.map((s) => s.id), ['k8s:uid-1/app/0']);
  assert.deepEqual((await get(srv.url, '?kind=docker&agent=node-a')).sources.map((s) => s.id), ['docker:aaa', 'docker:bbb']);
  assert.deepEqual((await get(srv.url, '?namespace=shop')).coverage, { containers_seen: 1, containers_with_logs: 0, containers_silent: 0, ratio: 0 });
  assert.deepEqual((await get(srv.url, '?container=web-bbb')).sources.map((s) => s.id), ['docker:bbb']);
  const bad = await fetch(`${srv.url}/api/v1/sources?state=running`);
  assert.equal(bad.status, 400);
  assert.match(await bad.text(), /invalid state "running": expected one of tailing, draining, finished, error/);

  // The next report from node-a no longer has bbb: it is finished.
  assert.equal((await post(srv.url, JSON.stringify(report('node-a', [source('aaa')])))).status, 204);
  assert.deepEqual((await get(srv.url, '?state=finished')).sources.map((s) => s.id), ['docker:bbb']);

  const metrics = await (await fetch(`${srv.url}/metrics`)).text();
  assert.match(metrics, /logwharf_registry_sources\{state="finished"\} 1\n/);
  assert.match(metrics, /logwharf_registry_sources\{state="error"\} 1\n/);
  assert.match(metrics, /logwharf_registry_coverage_ratio 0\.5\n/);
});

test('malformed reports are refused with 400 and a message naming the problem', async (t) => {
  const srv = await startServer();
  t.after(async () => {
    await srv.close();
    removeDir(srv.dir);
  });
  const cases: Array<[string, string | Buffer, RegExp]> = [
    ['not JSON', 'agent=1&sources=2', /invalid source report: the body is not JSON/],
    ['empty body', '', /the body is not JSON/],
    ['a JSON array', '[]', /invalid source report: \(body\): Invalid input: expected object/],
    ['missing agent', JSON.stringify({ sources: [] }), /agent: Invalid input: expected object, received undefined/],
    ['missing sources', JSON.stringify({ agent: report('a', []).agent }), /sources: Invalid input: expected array/],
    ['count as a string', JSON.stringify(report('a', [source('aaa', { lines_read: '12' as unknown as number })])), /sources\[0\]\.lines_read: Invalid input: expected number, received string/],
    ['negative count', JSON.stringify(report('a', [source('aaa', { bytes_shipped: -1 })])), /sources\[0\]\.bytes_shipped: Too small/],
    ['fractional count', JSON.stringify(report('a', [source('aaa', { lines_shipped: 1.5 })])), /sources\[0\]\.lines_shipped: Invalid input: expected int/],
    ['unknown kind', JSON.stringify(report('a', [source('aaa', { kind: 'podman' as 'docker' })])), /sources\[0\]\.kind: Invalid option/],
    ['bad time', JSON.stringify(report('a', [source('aaa', { first_seen: 'yesterday' })])), /sources\[0\]\.first_seen: expected an RFC 3339 time/],
    ['label value a number', JSON.stringify(report('a', [source('aaa', { labels: { app: 1 as unknown as string } })])), /sources\[0\]\.labels\.app: Invalid input: expected string/],
    ['duplicate ids', JSON.stringify(report('a', [source('aaa'), source('aaa')])), /source id "docker:aaa" appears twice/],
    ['empty agent id', JSON.stringify({ ...report('a', []), agent: { ...report('a', []).agent, id: '' } }), /agent\.id: must not be empty/],
    ['huge label value', JSON.stringify(report('a', [source('aaa', { labels: { app: 'x'.repeat(5000) } })])), /sources\[0\]\.labels\.app: at most 4096 characters/],
    ['too many sources', JSON.stringify(report('a', Array.from({ length: 10_001 }, (_, i) => source(`s${i}`)))), /sources: at most 10000 sources per report/],
  ];
  for (const [name, body, message] of cases) {
    const r = await post(srv.url, body);
    assert.equal(r.status, 400, `${name}: ${r.text}`);
    assert.match(r.text, message, name);
  }
  const gzipGarbage = await post(srv.url, Buffer.from('not gzip'), { 'Content-Encoding': 'gzip' });
  assert.equal(gzipGarbage.status, 400);
  assert.match(gzipGarbage.text, /invalid gzip body/);
  // Nothing of the refused reports was stored.
  assert.deepEqual((await get(srv.url)).sources, []);
});

test('oversized reports are refused with 413 before or after decompression', async (t) => {
  const srv = await startServer();
  t.after(async () => {
    await srv.close();
    removeDir(srv.dir);
  });
  const big = Buffer.alloc(17 * 1024 * 1024, 0x20);
  const declared = await post(srv.url, big);
  assert.equal(declared.status, 413);
  assert.match(declared.text, /source report too large: 17825792 bytes, limit 16777216 bytes/);
  // A small gzip bomb: 17 MiB of spaces in a few KiB.
  const bomb = await post(srv.url, gzipSync(big), { 'Content-Encoding': 'gzip' });
  assert.equal(bomb.status, 413);
  assert.match(bomb.text, /source report too large: more than that after decompression/);
  // Without Content-Length (chunked), the size is checked after reading.
  const chunked = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(`${srv.url}/api/v1/sources`, { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    for (let i = 0; i < 17; i++) req.write(Buffer.alloc(1024 * 1024, 0x20));
    req.end();
  });
  assert.equal(chunked.status, 413);
  // The server-wide body bound (max_body_bytes, 16 MiB by default, the same as a report's) stops it first.
  assert.match(chunked.text, /request body exceeds the limit of 16777216 bytes/);
});

test('the registry survives a restart on the same data directory', async (t) => {
  const dir = tempDir();
  t.after(() => removeDir(dir));
  const first = await startServer({ data: dir });
  try {
    assert.equal((await post(first.url, JSON.stringify(report('node-a', [source('aaa'), source('bbb')])))).status, 204);
  } finally {
    await first.close();
  }
  assert.ok(existsSync(join(dir, 'registry.db')));
  const second = await startServer({ data: dir });
  try {
    const data = await get(second.url);
    assert.deepEqual(data.sources.map((s) => s.id), ['docker:aaa', 'docker:bbb']);
    assert.equal(data.sources[0]!.bytes_shipped, 9000);
    assert.deepEqual(data.agents.map((a) => a.id), ['node-a']);
    assert.equal(data.coverage.containers_with_logs, 2);
  } finally {
    await second.close();
  }
});

test('agents become stale after registry.stale_after without a report', async (t) => {
  let now = Date.parse('2026-11-23T12:00:00Z');
  const srv = await startServer({ registry: { stale_after: '5s' } }, { now: () => now });
  t.after(async () => {
    await srv.close();
    removeDir(srv.dir);
  });
  assert.equal((await post(srv.url, JSON.stringify(report('node-a', [source('aaa')])))).status, 204);
  assert.equal((await get(srv.url)).agents[0]!.stale, false);
  now += 5001;
  const data = await get(srv.url);
  assert.equal(data.agents[0]!.stale, true);
  assert.equal(data.agents[0]!.last_report_at, '2026-11-23T12:00:00.000Z');
  assert.equal(data.sources[0]!.stale, true);
});

test('with auth enabled, each tenant reads only what its own agents reported', async (t) => {
  const srv = await startServer({ auth_enabled: true });
  t.after(async () => {
    await srv.close();
    removeDir(srv.dir);
  });
  const as = (tenant: string) => ({ 'Content-Type': 'application/json', 'X-Scope-OrgID': tenant });
  assert.equal((await post(srv.url, JSON.stringify(report('node-1', [source('aaa')])), as('team-a'))).status, 204);
  // Same agent id under another tenant: a separate agent, which finishes nothing of team-a's.
  assert.equal((await post(srv.url, JSON.stringify(report('node-1', [source('bbb')])), as('team-b'))).status, 204);
  const read = async (tenant: string) => {
    const res = await fetch(`${srv.url}/api/v1/sources`, { headers: { 'X-Scope-OrgID': tenant } });
    assert.equal(res.status, 200);
    return ((await res.json()) as SourcesResponse).data;
  };
  assert.deepEqual((await read('team-a')).sources.map((s) => [s.id, s.state]), [['docker:aaa', 'tailing']]);
  assert.deepEqual((await read('team-b')).sources.map((s) => [s.id, s.state]), [['docker:bbb', 'tailing']]);
  assert.deepEqual((await read('team-c')).sources, []);
  assert.equal((await post(srv.url, JSON.stringify(report('node-1', [])))).status, 401);
});

test('a real agent stopped cleanly leaves its sources stopped, not tailing and stale', async (t) => {
  const srv = await startServer({ registry: { stale_after: '1s' } });
  const data = tempDir();
  const logs = tempDir();
  t.after(async () => {
    await srv.close();
    for (const d of [srv.dir, data, logs]) removeDir(d);
  });
  writeFileSync(join(logs, 'app.log'), 'one\n');
  const config = testAgentConfig(srv.url, data, { docker: { enabled: 'false' }, files: [{ paths: [join(logs, '*.log')], labels: { job: 'app' } }] });
  const agent = createAgent(config, { log: createLogger({ level: 'silent' }) });
  await agent.start();
  await waitFor('the file source reported with its line shipped', async () => (await get(srv.url)).sources.find((s) => s.kind === 'file' && s.lines_shipped === 1));
  await agent.close();
  const after = await get(srv.url);
  assert.deepEqual(after.sources.map((s) => [s.kind, s.state]), [['file', 'stopped']]);
  assert.equal(after.agents.length, 1);
  assert.equal(typeof after.agents[0]!.stopped_at, 'string');
  // Past stale_after it is still stopped, not stale: the agent said goodbye.
  const stoppedAt = Date.parse(after.agents[0]!.stopped_at!);
  await waitFor('stale_after to pass', () => Date.now() > stoppedAt + 1500);
  const later = await get(srv.url);
  assert.deepEqual(later.agents.map((a) => a.stale), [false]);
  assert.deepEqual(later.sources.map((s) => [s.state, s.stale]), [['stopped', false]]);
});
