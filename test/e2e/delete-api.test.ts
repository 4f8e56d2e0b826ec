/**
 * Loki's log deletion API (issue #15) against a real server: requests, their list and statuses,
 * cancellation during the cancel period, bad parameters; a processed request removes exactly the
 * selected lines from queries, stats and the files on disk (WAL and blocks, decompressed), keeps
 * everything else, and survives a restart; kill -9 while a request is applied loses nothing else
 * and the request completes after the restart.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startChildServer, startServer, tempDir, removeDir } from './helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';
import { seededRandom } from '../helpers/random.js';
import { filesHolding } from '../helpers/data-scan.js';
import { auditRecords } from './helpers/audit.js';

const T0 = BigInt(Date.now() - 30 * 60_000) * 1_000_000n;
const S = 1_000_000_000n;
const FROM = T0 - S;
const TO = T0 + 3600n * S;

interface DeleteRequestJson {
  request_id: string;
  start_time: number;
  end_time: number;
  query: string;
  status: string;
  created_at: number;
}

async function push(url: string, labels: Record<string, string>, values: [string, string][]): Promise<void> {
  const res = await fetch(url + '/loki/api/v1/push', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ streams: [{ stream: labels, values }] }) });
  assert.equal(res.status, 204, await res.text());
}

async function lines(url: string, query: string, limit = 5000): Promise<string[]> {
  const u = new URL(url + '/loki/api/v1/query_range');
  u.search = new URLSearchParams({ query, start: String(FROM), end: String(TO), limit: String(limit) }).toString();
  const res = await fetch(u);
  assert.equal(res.status, 200);
  const body = (await res.json()) as { data: { result: Array<{ values: [string, string][] }> } };
  return body.data.result.flatMap((s) => s.values.map((v) => v[1])).sort();
}

async function entriesStat(url: string, query: string): Promise<number> {
  const u = new URL(url + '/loki/api/v1/index/stats');
  u.search = new URLSearchParams({ query, start: String(FROM), end: String(TO) }).toString();
  const body = (await (await fetch(u)).json()) as { entries: number };
  return body.entries;
}

async function requestDelete(url: string, params: Record<string, string>, method = 'POST'): Promise<Response> {
  return fetch(`${url}/loki/api/v1/delete?${new URLSearchParams(params)}`, { method });
}

async function list(url: string): Promise<DeleteRequestJson[]> {
  const res = await fetch(url + '/loki/api/v1/delete');
  assert.equal(res.status, 200);
  return (await res.json()) as DeleteRequestJson[];
}

const secs = (ns: bigint) => String(ns / S);

test('requests are listed as received, cancelled during the cancel period, and bad ones refused', async () => {
  const srv = await startServer({ deletion: { cancel_period: '1h' } });
  try {
    const start = secs(T0);
    const end = secs(T0 + 60n * S);
    assert.equal((await requestDelete(srv.url, { query: '{app="a"} |= "x"', start, end })).status, 204);
    // Loki's older form: PUT.
    assert.equal((await requestDelete(srv.url, { query: '{app="b"}', start: new Date(Number(T0 / 1_000_000n)).toISOString() }, 'PUT')).status, 204);
    const all = await list(srv.url);
    assert.equal(all.length, 2);
    const a = all.find((r) => r.query === '{app="a"} |= "x"')!;
    assert.equal(a.status, 'received');
    assert.equal(a.start_time, Number(start));
    assert.equal(a.end_time, Number(end));
    assert.match(a.request_id, /^[0-9a-f]{8}$/);
    assert.ok(Math.abs(a.created_at * 1000 - Date.now()) < 60_000);
    // Another tenant sees none of them (auth is off: every request is tenant "fake"; the list is per tenant in the file).
    assert.equal((await fetch(`${srv.url}/loki/api/v1/delete?request_id=nope`, { method: 'DELETE' })).status, 404);
    assert.equal((await fetch(`${srv.url}/loki/api/v1/delete?request_id=${a.request_id}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual((await list(srv.url)).map((r) => r.query), ['{app="b"}']);

    const bad: Array<[Record<string, string>, RegExp]> = [
      [{}, /query not set/],
      [{ query: '{app="a"' }, /parse error/],
      [{ query: '{app="a"} | json' }, /stream selector and line filters only/],
      [{ query: 'count_over_time({app="a"}[1m])' }, /only log selector/],
      [{ query: '{app="a"}', start: 'yesterday' }, /invalid start time/],
      [{ query: '{app="a"}', start: end, end: start }, /start time can't be greater than end time/],
      [{ query: '{app="a"}', end: String(Math.floor(Date.now() / 1000) + 3600) }, /greater than current time/],
    ];
    for (const [params, msg] of bad) {
      const res = await requestDelete(srv.url, params);
      assert.equal(res.status, 400, JSON.stringify(params));
      assert.match(await res.text(), msg);
    }
    assert.equal((await fetch(`${srv.url}/loki/api/v1/delete`, { method: 'DELETE' })).status, 400);
  } finally {
    await srv.close();
    removeDir(srv.dir);
  }
  // Requests are durable: the one left is there after a restart.
  const dir = tempDir();
  try {
    let srv2 = await startServer({ data: dir, deletion: { cancel_period: '1h' } });
    assert.equal((await requestDelete(srv2.url, { query: '{app="c"}', start: '0' })).status, 204);
    await srv2.close();
    srv2 = await startServer({ data: dir, deletion: { cancel_period: '1h' } });
    assert.deepEqual((await list(srv2.url)).map((r) => [r.query, r.status]), [['{app="c"}', 'received']]);
    await srv2.close();
  } finally {
    removeDir(dir);
  }
});

test('a processed request removes the selected lines from queries, stats and the files on disk, and nothing else', { timeout: 60_000 }, async () => {
  const dir = tempDir();
  const needle = `secret-${Math.random().toString(36).slice(2)}-token`;
  try {
    let srv = await startServer({ data: dir, deletion: { cancel_period: '0s' } });
    // Sealed blocks and an open head, two streams, the needle in both; the other app untouched.
    const values: [string, string][] = [];
    for (let i = 0; i < 400; i++) values.push([String(T0 + BigInt(i) * S), i % 10 === 3 ? `line ${i} password=${needle}` : `line ${i} ok`]);
    await push(srv.url, { app: 'api', pod: '1' }, values.slice(0, 300));
    await (srv.role.store as unknown as { flush(): Promise<void> }).flush();
    await push(srv.url, { app: 'api', pod: '1' }, values.slice(300));
    await push(srv.url, { app: 'api', pod: '2' }, values.slice(0, 100));
    await push(srv.url, { app: 'web' }, [[String(T0), `web ${needle}`]]);
    const before = await lines(srv.url, '{app="api"}');
    assert.equal(before.length, 500);
    assert.equal((await lines(srv.url, `{app="api"} |= "${needle}"`)).length, 40 + 10);
    assert.ok(filesHolding(dir, needle).length > 0, 'the needle is on disk before the delete (the scan can fail)');

    // Only part of the range: the needles after T0+200s stay.
    const res = await requestDelete(srv.url, { query: `{app="api"} |= "${needle}"`, start: secs(T0), end: secs(T0 + 199n * S) });
    assert.equal(res.status, 204);
    await waitFor('the request to be processed', async () => (await list(srv.url))[0]?.status === 'processed');
    // The needle is not kept in the request list either, once processed.
    const processed = (await list(srv.url))[0]!;
    assert.equal(processed.query, '{app="api"} |= "<deleted>"');
    // The audit log holds the request (an admin action) by id, without the query.
    const audit = await auditRecords(srv.url, { 'X-Scope-OrgID': 'logwharf-audit' });
    const rec = audit.find((r) => JSON.stringify(r.line).includes(processed.request_id));
    assert.ok(rec, `the audit log records the delete request: ${JSON.stringify(audit.map((r) => r.line)).slice(0, 500)}`);
    assert.ok(!JSON.stringify(audit).includes(needle), 'the audit log does not hold the needle');
    const after = await lines(srv.url, '{app="api"}');
    const gone = before.filter((l) => l.includes(needle) && Number(l.split(' ')[1]) < 200);
    assert.equal(gone.length, 20 + 10);
    assert.deepEqual(after, before.filter((l) => !gone.includes(l)));
    // Bloom-pruned and counted queries agree with what is left.
    assert.equal((await lines(srv.url, `{app="api"} |= "${needle}"`)).length, 20);
    assert.equal(await entriesStat(srv.url, '{app="api"}'), 500 - 30);
    assert.deepEqual(await lines(srv.url, '{app="web"}'), [`web ${needle}`]);

    // The rest of the needles, then the files: nothing left but the web app's line.
    assert.equal((await requestDelete(srv.url, { query: `{app="api"} |= "${needle}"`, start: '0' })).status, 204);
    await waitFor('both requests processed', async () => (await list(srv.url)).every((r) => r.status === 'processed'));
    assert.equal((await lines(srv.url, `{app="api"} |= "${needle}"`)).length, 0);
    assert.equal((await lines(srv.url, '{app="api"}')).length, 450);
    await srv.close();
    const holding = filesHolding(dir, needle);
    // The web app's line is still there, in its blocks or WAL; nothing of the api app is.
    assert.ok(holding.length > 0);
    const apiLeft = filesHolding(dir, `password=${needle}`);
    assert.deepEqual(apiLeft, [], 'deleted lines are gone from every file');

    srv = await startServer({ data: dir, deletion: { cancel_period: '0s' } });
    assert.equal((await lines(srv.url, `{app="api"} |= "${needle}"`)).length, 0, 'the deletion survives a restart');
    assert.equal((await lines(srv.url, '{app="api"}')).length, 450);
    assert.deepEqual((await list(srv.url)).map((r) => r.status), ['processed', 'processed']);
    await srv.close();
  } finally {
    removeDir(dir);
  }
});

test('kill -9 while a request is applied loses nothing else, and the request completes after the restart', { timeout: 180_000 }, async (t) => {
  const rnd = seededRandom(t);
  for (let round = 0; round < 3; round++) {
    const dir = tempDir();
    const cfg = join(dir, '..', `${dir.split('/').pop()}.yaml`);
    writeFileSync(cfg, 'deletion:\n  cancel_period: 0s\nlimits:\n  max_entries_limit_per_query: 1000000\n  ingestion_rate_mb: 1000\n  ingestion_burst_size_mb: 1000\nstorage:\n  block_target_bytes: 16384\n');
    let srv: Awaited<ReturnType<typeof startChildServer>> | undefined;
    try {
      srv = await startChildServer(dir, ['--config', cfg, '--log-level', 'warn']);
      const values: [string, string][] = [];
      for (let i = 0; i < 20_000; i++) values.push([String(T0 + BigInt(i) * 1_000_000n), `entry ${i} ${i % 7 === 0 ? 'DELETEME' : 'keep'} ${'x'.repeat(40)}`]);
      for (let i = 0; i < values.length; i += 2000) await push(srv.url, { app: 'crash', part: String(i % 3) }, values.slice(i, i + 2000));
      const keep = values.filter((v) => !v[1].includes('DELETEME')).length;
      await requestDelete(srv.url, { query: '{app="crash"} |= "DELETEME"', start: '0' });
      const delayMs = rnd.int(60);
      await new Promise((r) => setTimeout(r, delayMs)); // the kill's timing is the random choice, not a synchronisation
      srv.proc.kill('SIGKILL');
      await srv.exited;
      const killedWhile = (JSON.parse(readFileSync(join(dir, 'deletes', 'requests.json'), 'utf8')) as { requests: Array<{ status: string }> }).requests[0]!.status;
      t.diagnostic(`round ${round}: killed ${delayMs} ms after the request, which was ${killedWhile}`);
      const again = (srv = await startChildServer(dir, ['--config', cfg, '--log-level', 'warn']));
      await waitFor('the request to be processed after the restart', async () => (await list(again.url))[0]?.status === 'processed', { timeoutMs: 30_000 });
      const left = await lines(srv.url, '{app="crash"}', 100_000);
      assert.equal(left.filter((l) => l.includes('DELETEME')).length, 0, `round ${round} (kill after ${delayMs} ms)`);
      assert.equal(left.length, keep, `round ${round}: every other entry is there exactly once`);
      srv.proc.kill('SIGTERM');
      await srv.exited;
      srv = undefined;
      assert.deepEqual(filesHolding(dir, 'DELETEME'), [], `round ${round}: no file holds a deleted line`);
    } finally {
      // A failed assertion must not leave the child running (the runner would wait for it).
      if (srv) {
        srv.proc.kill('SIGKILL');
        await srv.exited;
      }
      removeDir(dir);
      removeDir(cfg);
    }
  }
});
