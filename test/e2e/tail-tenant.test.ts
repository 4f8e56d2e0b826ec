/**
 * The tenant of a live tail when a browser opens it: browsers cannot set X-Scope-OrgID on a
 * WebSocket, so with auth_enabled the upgrade takes the `orgId` query parameter when the header is
 * absent (the header wins when both are there). A tail sees its own tenant's lines only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, removeDir } from './helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

async function push(url: string, tenant: string, line: string) {
  const res = await fetch(url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-Scope-OrgID': tenant },
    body: JSON.stringify({ streams: [{ stream: { job: 'x' }, values: [[`${Date.now()}000000`, line]] }] }),
  });
  assert.equal(res.status, 204);
}

/** Opens a tail and collects the lines it receives. */
async function openTail(url: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  const u = new URL(url.replace('http', 'ws') + '/loki/api/v1/tail');
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
  const ws = new WebSocket(u, { headers });
  const lines: string[] = [];
  ws.on('message', (d) => {
    for (const s of (JSON.parse(String(d)) as { streams: { values: [string, string][] }[] }).streams) for (const [, l] of s.values) lines.push(l);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return { ws, lines };
}

test('with auth_enabled a tail names its tenant by orgId and sees only that tenant', async (t) => {
  const s = await startServer({ auth_enabled: true });
  t.after(async () => (await s.close(), removeDir(s.dir)));

  await assert.rejects(openTail(s.url, { query: '{job="x"}' }), /upgrade answered 401/, 'no header and no orgId: refused');
  await assert.rejects(openTail(s.url, { query: '{job="x"}', orgId: 'bad/tenant' }), /upgrade answered 401/, 'an invalid orgId is refused as the header would be');

  const a = await openTail(s.url, { query: '{job="x"}', orgId: 'team-a' });
  t.after(() => a.ws.close());
  // The header wins over the parameter: a proxy that sets X-Scope-OrgID still decides.
  const b = await openTail(s.url, { query: '{job="x"}', orgId: 'team-a' }, { 'X-Scope-OrgID': 'team-b' });
  t.after(() => b.ws.close());

  await push(s.url, 'team-b', 'secret of team b');
  await push(s.url, 'team-a', 'line of team a');
  await waitFor('team a line on the orgId tail', () => a.lines.includes('line of team a'));
  await waitFor('team b line on the header tail', () => b.lines.includes('secret of team b'));
  await push(s.url, 'team-a', 'second line of team a');
  await waitFor('second team a line', () => a.lines.includes('second line of team a'));
  assert.deepEqual(a.lines, ['line of team a', 'second line of team a']);
  assert.deepEqual(b.lines, ['secret of team b']);
});
