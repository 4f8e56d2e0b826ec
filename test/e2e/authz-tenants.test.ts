/**
 * With `auth.tokens_enabled` the tenant comes from the token (issue #11): a one-tenant token needs
 * no X-Scope-OrgID and sees only its tenant's lines; the header only narrows among held tenants; a
 * token holding several tenants must name one; the live tail takes its token as `access_token`.
 * Every refusal is one JSON log line without the credentials. Without tokens, nothing changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startServer, removeDir, tempDir } from './helpers/server.js';
import { createTestTokens, type TestTokens } from './helpers/tokens.js';
import { captureLog } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait-for.js';

const GRANTS = [
  { role: 'write' as const, tenants: ['team-a'] },
  { role: 'write' as const, tenants: ['team-b'] },
  { role: 'read' as const, tenants: ['team-a'] },
  { role: 'read' as const, tenants: ['team-a', 'team-b'] },
];

/** The real server with `auth.tokens_enabled`, its own token store holding GRANTS. */
async function tokenServer(log?: ReturnType<typeof captureLog>['log']) {
  const dir = tempDir();
  const tokens: TestTokens = createTestTokens(dir, GRANTS);
  const s = await startServer({ data: dir, auth: { tokens_enabled: true } }, log ? { log } : {});
  return { s, tokens };
}

async function push(url: string, secret: string, line: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${secret}`, ...headers },
    body: JSON.stringify({ streams: [{ stream: { job: 'x' }, values: [[`${Date.now()}000000`, line]] }] }),
  });
}

async function lines(url: string, secret: string, headers: Record<string, string> = {}): Promise<{ status: number; lines: string[]; text: string }> {
  const q = new URLSearchParams({ query: '{job="x"}', start: String((Date.now() - 3_600_000) * 1e6), limit: '100' });
  const res = await fetch(`${url}/loki/api/v1/query_range?${q}`, { headers: { Authorization: `Bearer ${secret}`, ...headers } });
  const text = await res.text();
  if (res.status !== 200) return { status: res.status, lines: [], text };
  const body = JSON.parse(text) as { data: { result: { values: [string, string][] }[] } };
  return { status: 200, lines: body.data.result.flatMap((s) => s.values.map(([, l]) => l)).sort(), text };
}

test('the tenant comes from the token; X-Scope-OrgID only narrows; denied requests are logged without secrets', async (t) => {
  const cap = captureLog('info');
  const { s, tokens } = await tokenServer(cap.log);
  t.after(async () => (await s.close(), removeDir(s.dir)));

  assert.equal((await push(s.url, tokens.secret('write', 'team-a'), 'line of a')).status, 204);
  assert.equal((await push(s.url, tokens.secret('write', 'team-b'), 'secret of b')).status, 204);
  // A write token naming a tenant it does not hold writes nothing there.
  const forged = await push(s.url, tokens.secret('write', 'team-a'), 'forged into b', { 'X-Scope-OrgID': 'team-b' });
  assert.equal(forged.status, 403);
  assert.match(await forged.text(), /does not grant the tenant/);

  assert.deepEqual((await lines(s.url, tokens.secret('read', 'team-a'))).lines, ['line of a'], 'one tenant, no header: that tenant');
  assert.deepEqual((await lines(s.url, tokens.secret('read', 'team-a'), { 'X-Scope-OrgID': 'team-a' })).lines, ['line of a']);
  const nosy = await lines(s.url, tokens.secret('read', 'team-a'), { 'X-Scope-OrgID': 'team-b' });
  assert.equal(nosy.status, 403);
  assert.doesNotMatch(nosy.text, /secret of b/);

  const both = tokens.secret('read', 'team-a', 'team-b');
  const unnamed = await lines(s.url, both);
  assert.equal(unnamed.status, 400);
  assert.match(unnamed.text, /several tenants: name one with the X-Scope-OrgID header/);
  assert.deepEqual((await lines(s.url, both, { 'X-Scope-OrgID': 'team-b' })).lines, ['secret of b']);
  assert.deepEqual((await lines(s.url, both, { 'X-Scope-OrgID': 'team-a' })).lines, ['line of a']);
  // A multi-tenant query across tenants the token holds (test/e2e/multi-tenant.test.ts has the rest).
  assert.deepEqual((await lines(s.url, both, { 'X-Scope-OrgID': 'team-a|team-b' })).lines, ['line of a', 'secret of b']);
  assert.equal((await lines(s.url, tokens.secret('read', 'team-a'), { 'X-Scope-OrgID': 'team-a|team-b' })).status, 403);

  // Basic auth with the token as password (Grafana, Promtail), for a tenant named by the header.
  const basic = await fetch(`${s.url}/loki/api/v1/labels`, { headers: { Authorization: `Basic ${Buffer.from(`team-a:${both}`).toString('base64')}`, 'X-Scope-OrgID': 'team-a' } });
  assert.equal(basic.status, 200);

  const denied = cap.lines.filter((l) => l.event === 'request_denied');
  assert.ok(denied.length >= 3, 'each refusal is a log line');
  const forgedLine = denied.find((l) => l.route === '/loki/api/v1/push');
  assert.ok(forgedLine, 'the forged push is logged');
  assert.equal(forgedLine.who, 'write-team-a');
  assert.equal(forgedLine.reason, 'tenant');
  assert.equal(forgedLine.status, 403);
  assert.equal(forgedLine.client, '127.0.0.1');
  assert.equal(typeof forgedLine.request_id, 'string');
  for (const text of cap.texts) for (const secret of tokens.all()) assert.ok(!text.includes(secret), `no token in the logs: ${text}`);
});

test('the live tail takes its token as access_token (browsers cannot set headers on a WebSocket)', async (t) => {
  const cap = captureLog('info');
  const { s, tokens } = await tokenServer(cap.log);
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const open = (params: Record<string, string>, headers: Record<string, string> = {}) =>
    new Promise<{ ws: WebSocket; got: string[] }>((resolve, reject) => {
      const u = new URL(s.url.replace('http', 'ws') + '/loki/api/v1/tail');
      u.searchParams.set('query', '{job="x"}');
      for (const [k, v] of Object.entries(params)) u.searchParams.set(k, v);
      const ws = new WebSocket(u, { headers });
      const got: string[] = [];
      ws.on('message', (d) => {
        for (const st of (JSON.parse(String(d)) as { streams: { values: [string, string][] }[] }).streams) for (const [, l] of st.values) got.push(l);
      });
      ws.once('open', () => resolve({ ws, got }));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode} ${res.headers['www-authenticate'] ?? ''}`)));
      ws.once('error', reject);
    });
  await assert.rejects(open({}), /upgrade answered 401 Bearer realm="logwharf"/);
  await assert.rejects(open({ access_token: 'lwt_wrong' }), /upgrade answered 401/);
  await assert.rejects(open({ access_token: tokens.secret('write', 'team-a') }), /upgrade answered 403/, 'a write token cannot read');
  await assert.rejects(open({ access_token: tokens.secret('read', 'team-a'), orgId: 'team-b' }), /upgrade answered 403/);

  const tail = await open({ access_token: tokens.secret('read', 'team-a') });
  t.after(() => tail.ws.close());
  // Clients that can set headers (logcli, scripts) send the token as usual; the header wins.
  const byHeader = await open({}, { Authorization: `Bearer ${tokens.secret('read', 'team-a')}` });
  t.after(() => byHeader.ws.close());
  await assert.rejects(open({ access_token: tokens.secret('read', 'team-a') }, { Authorization: 'Bearer lwt_wrong' }), /upgrade answered 401/, 'the header wins over access_token');
  await push(s.url, tokens.secret('write', 'team-b'), 'secret of b');
  await push(s.url, tokens.secret('write', 'team-a'), 'live line of a');
  await waitFor('team a line on both tails', () => tail.got.includes('live line of a') && byHeader.got.includes('live line of a'));
  assert.deepEqual(tail.got, ['live line of a']);
  assert.deepEqual(byHeader.got, ['live line of a']);
  assert.ok(cap.lines.some((l) => l.event === 'request_denied' && l.route === '/loki/api/v1/tail' && l.reason === 'role' && l.who === 'write-team-a'));
  for (const text of cap.texts) for (const secret of tokens.all()) assert.ok(!text.includes(secret), `no token in the logs: ${text}`);
});

test('with tokens off (the default) a request is served as today: tenant "fake", no token asked', async (t) => {
  const s = await startServer({});
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const res = await fetch(`${s.url}/loki/api/v1/labels`);
  assert.equal(res.status, 200);
  const a = await startServer({ auth_enabled: true });
  t.after(async () => (await a.close(), removeDir(a.dir)));
  assert.equal((await fetch(`${a.url}/loki/api/v1/labels`)).status, 401, 'auth_enabled keeps its Loki meaning: no org id');
  assert.equal((await fetch(`${a.url}/loki/api/v1/labels`, { headers: { 'X-Scope-OrgID': 'anyone' } })).status, 200);
});

test('an address that keeps failing is refused for a while (429 with Retry-After), even with a right token', async (t) => {
  const { s, tokens } = await tokenServer();
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const labels = (authorization: string) => fetch(`${s.url}/loki/api/v1/labels`, { headers: { Authorization: authorization } });
  assert.equal((await labels(`Bearer ${tokens.secret('read', 'team-a')}`)).status, 200);
  let status = 401;
  let guesses = 0;
  while (status === 401 && guesses < 100) {
    status = (await labels(`Bearer lwt_guess${guesses}_x`)).status;
    guesses++;
  }
  assert.equal(status, 429, `guessing is cut off (after ${guesses} guesses)`);
  const blocked = await labels(`Bearer ${tokens.secret('read', 'team-a')}`);
  assert.equal(blocked.status, 429);
  assert.ok(Number(blocked.headers.get('retry-after')) >= 1, 'Retry-After says when');
});
