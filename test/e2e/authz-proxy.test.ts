/**
 * Proxy mode for single sign-on (issue #11): an authenticating proxy such as oauth2-proxy signs the
 * user in and sets X-Forwarded-User and X-Forwarded-Groups; logwharf believes them only from
 * `auth.proxy.trusted_proxies` and maps the first configured group the user is in to tenants and a
 * role. The test client is on 127.0.0.1: one server trusts that address (it plays the proxy), another
 * trusts only 10.9.9.9, where the same headers are forged and must be ignored. Port 0, real server.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import WebSocket from 'ws';
import { startServer, removeDir, runCli, tempDir, type RunningServer } from './helpers/server.js';
import { createTestTokens, type TestTokens } from './helpers/tokens.js';
import { captureLog } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait-for.js';
import { metricSum } from '../helpers/metrics.js';

const GROUPS = [
  { group: 'ops', tenants: ['team-a', 'team-b'], role: 'admin' },
  { group: 'dev-a', tenants: ['team-a'], role: 'read' },
  { group: 'shippers', tenants: ['team-a'], role: 'write' },
];

let trusting: RunningServer;
let distrusting: RunningServer;
let tokens: TestTokens;
const trustingLog = captureLog('info');
const distrustingLog = captureLog('debug');

before(async () => {
  const dir = tempDir('authz-proxy-');
  tokens = createTestTokens(dir, [{ role: 'read', tenants: ['team-b'] }, { role: 'write', tenants: ['team-a'] }]);
  trusting = await startServer({ data: dir, auth: { tokens_enabled: true, proxy: { trusted_proxies: ['10.0.0.0/8', '127.0.0.1'], groups: GROUPS } } }, { log: trustingLog.log });
  distrusting = await startServer({ auth: { tokens_enabled: true, proxy: { trusted_proxies: ['10.9.9.9', '::1'], groups: GROUPS } } }, { log: distrustingLog.log });
});
after(async () => {
  await trusting.close();
  await distrusting.close();
  removeDir(trusting.dir);
  removeDir(distrusting.dir);
});

const as = (user: string, groups?: string) => ({ 'X-Forwarded-User': user, ...(groups !== undefined && { 'X-Forwarded-Groups': groups }) });

async function push(url: string, headers: Record<string, string>, job: string): Promise<Response> {
  const body = JSON.stringify({ streams: [{ stream: { job }, values: [[String(BigInt(Date.now()) * 1_000_000n), `line of ${job}`]] }] });
  return fetch(`${url}/loki/api/v1/push`, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
}

async function lines(url: string, headers: Record<string, string>, job: string): Promise<{ status: number; lines: string[]; text: string }> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const p = new URLSearchParams({ query: `{job="${job}"}`, start: String(now - 3_600_000_000_000n), end: String(now + 60_000_000_000n) });
  const res = await fetch(`${url}/loki/api/v1/query_range?${p}`, { headers });
  const text = await res.text();
  const found = res.status === 200 ? (JSON.parse(text) as { data: { result: Array<{ values: Array<[string, string]> }> } }).data.result.flatMap((s) => s.values.map((v) => v[1])) : [];
  return { status: res.status, lines: found, text };
}

test('from a trusted address, the user\'s group decides tenants and role', async () => {
  // A shipper pushes into team-a, a developer of team-a reads it and may not push.
  assert.equal((await push(trusting.url, as('ci-bot', 'shippers'), 'sso')).status, 204);
  assert.deepEqual((await lines(trusting.url, as('alice', 'dev-a'), 'sso')).lines, ['line of sso']);
  assert.equal((await push(trusting.url, as('alice', 'dev-a'), 'sso')).status, 403);
  assert.equal((await lines(trusting.url, { ...as('alice', 'dev-a'), 'X-Scope-OrgID': 'team-b' }, 'sso')).status, 403, 'dev-a holds team-a only');
  // ops holds two tenants: the header picks one, as with a token of several tenants.
  assert.equal((await lines(trusting.url, as('olga', 'ops'), 'sso')).status, 400);
  assert.deepEqual((await lines(trusting.url, { ...as('olga', 'ops'), 'X-Scope-OrgID': 'team-a' }, 'sso')).lines, ['line of sso']);
  assert.equal((await push(trusting.url, { ...as('olga', 'ops'), 'X-Scope-OrgID': 'team-b' }, 'sso-b')).status, 204);
  // The admin API sees an ops user as an admin of team-a and team-b.
  assert.equal((await fetch(`${trusting.url}/api/v1/tokens`, { headers: as('olga', 'ops') })).status, 200);
  assert.equal((await fetch(`${trusting.url}/api/v1/tokens`, { headers: as('alice', 'dev-a') })).status, 403);
});

test('several groups: the first configured entry the user is in wins, whatever the header\'s order', async () => {
  // dev-a (read) listed first by the proxy, ops (admin) first in the configuration: admin.
  const headers = { ...as('olga', ' dev-a , ops '), 'X-Scope-OrgID': 'team-a' };
  assert.equal((await push(trusting.url, headers, 'order')).status, 204);
  assert.equal((await push(trusting.url, { ...as('dora', 'shippers,dev-a'), 'X-Scope-OrgID': 'team-a' }, 'order')).status, 403, 'dev-a (read) is listed before shippers (write)');
});

test('a user in no mapped group, or with no groups, gets 403 and is named in the denied-request log', async () => {
  for (const headers of [as('mallory', 'marketing,sales'), as('mallory'), as('mallory', '')]) {
    const res = await lines(trusting.url, headers, 'sso');
    assert.equal(res.status, 403, res.text);
    assert.match(res.text, /user "mallory" is in no group that auth.proxy.groups grants access/);
  }
  assert.ok(trustingLog.lines.some((l) => l.event === 'request_denied' && l.who === 'mallory' && l.reason === 'no_grant'));
});

test('oauth2-proxy\'s own Authorization header (basic auth with an empty password, or an ID token) is ignored; a logwharf token wins', async () => {
  const proxyBasic = { Authorization: `Basic ${Buffer.from('alice:').toString('base64')}` };
  assert.deepEqual((await lines(trusting.url, { ...as('alice', 'dev-a'), ...proxyBasic }, 'sso')).lines, ['line of sso']);
  const idToken = { Authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2ln' };
  assert.deepEqual((await lines(trusting.url, { ...as('alice', 'dev-a'), ...idToken }, 'sso')).lines, ['line of sso']);
  // A token through the proxy: the token's identity (read on team-b), not the user's (admin on both).
  const token = { Authorization: `Bearer ${tokens.secret('read', 'team-b')}` };
  assert.equal((await push(trusting.url, { ...as('olga', 'ops'), ...token, 'X-Scope-OrgID': 'team-b' }, 'x')).status, 403);
  assert.deepEqual((await lines(trusting.url, { ...as('olga', 'ops'), ...token }, 'sso-b')).lines, ['line of sso-b']);
  // And without proxy headers a token works as ever.
  assert.equal((await push(trusting.url, { Authorization: `Bearer ${tokens.secret('write', 'team-a')}` }, 'plain-token')).status, 204);
});

test('from an address not in trusted_proxies the headers are forged: ignored (logged at debug), a 401 without a token', async () => {
  for (const headers of [as('olga', 'ops'), { ...as('olga', 'ops'), 'X-Scope-OrgID': 'team-a' }]) {
    const res = await lines(distrusting.url, headers, 'sso');
    assert.equal(res.status, 401, res.text);
    assert.equal((await push(distrusting.url, headers, 'forged')).status, 401);
  }
  const ignored = distrustingLog.lines.filter((l) => l.msg === 'proxy headers from an untrusted address ignored');
  assert.ok(ignored.length >= 4 && ignored.every((l) => l.address === '127.0.0.1' && l.level === 'debug'), JSON.stringify(ignored.slice(0, 2)));
  assert.ok(distrustingLog.lines.some((l) => l.event === 'request_denied' && l.reason === 'no_credentials' && l.who === undefined));
  assert.equal(await metricSum(distrusting.role.registry, 'logwharf_auth_proxy_headers_ignored_total'), ignored.length, 'counted on /metrics');
  assert.equal(await metricSum(trusting.role.registry, 'logwharf_auth_proxy_headers_ignored_total'), 0);
});

/** Opens a live tail with these headers; resolves with its received lines, or rejects with the upgrade's status. */
async function openTail(url: string, query: string, headers: Record<string, string>): Promise<{ ws: WebSocket; lines: string[] }> {
  const u = new URL(url.replace('http', 'ws') + '/loki/api/v1/tail');
  u.searchParams.set('query', query);
  const ws = new WebSocket(u, { headers });
  const lines: string[] = [];
  ws.on('message', (d) => {
    for (const st of (JSON.parse(String(d)) as { streams: Array<{ values: Array<[string, string]> }> }).streams) for (const [, l] of st.values) lines.push(l);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade answered ${res.statusCode}`)));
    ws.once('error', reject);
  });
  return { ws, lines };
}

test('the live tail\'s WebSocket follows the same rules: a trusted user tails, forged headers get 401, an unmapped user 403', async (t) => {
  const tail = await openTail(trusting.url, '{job="tail-sso"}', as('alice', 'dev-a'));
  t.after(() => tail.ws.close());
  assert.equal((await push(trusting.url, as('ci-bot', 'shippers'), 'tail-sso')).status, 204);
  assert.deepEqual(await waitFor('the tailed line', () => (tail.lines.length > 0 ? tail.lines : undefined)), ['line of tail-sso']);
  await assert.rejects(openTail(distrusting.url, '{job="tail-sso"}', as('olga', 'ops')), /upgrade answered 401/);
  await assert.rejects(openTail(trusting.url, '{job="tail-sso"}', as('mallory', 'marketing')), /upgrade answered 403/);
});

test('bad proxy configuration stops the start with the key named', async (t) => {
  const dir = tempDir('authz-proxy-config-');
  t.after(() => removeDir(dir));
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ tokens_enabled: true, proxy: { trusted_proxies: ['10.0.0.0/33'], groups: GROUPS } }, /auth\.proxy\.trusted_proxies\.0: "10\.0\.0\.0\/33": the prefix length of an IPv4 range is 0-32/],
    [{ tokens_enabled: true, proxy: { trusted_proxies: ['proxy.internal'], groups: GROUPS } }, /auth\.proxy\.trusted_proxies\.0: "proxy\.internal" is not an IP address or CIDR range/],
    [{ tokens_enabled: true, proxy: { trusted_proxies: ['10.0.0.1'], groups: [{ group: 'ops', tenants: ['a'], role: 'owner' }] } }, /auth\.proxy\.groups\.0\.role: .*read.*write.*admin/],
    [{ tokens_enabled: true, proxy: { trusted_proxies: ['10.0.0.1'], groups: [{ group: 'ops', tenants: ['a/b'], role: 'read' }] } }, /auth\.proxy\.groups\[0\]\.tenants: "a\/b" is not a valid tenant id/],
    [{ tokens_enabled: true, proxy: { trusted_proxies: ['10.0.0.1'] } }, /auth\.proxy\.groups: proxy mode \(trusted_proxies\) needs at least one group mapping/],
    [{ proxy: { trusted_proxies: ['10.0.0.1'], groups: GROUPS } }, /auth\.proxy\.trusted_proxies: proxy mode needs auth\.tokens_enabled: true/],
    [{ tokens_enabled: true, proxy: { trusted_proxies: ['10.0.0.1'], groups: GROUPS, user_header: 'X User' } }, /auth\.proxy\.user_header: an HTTP header name/],
  ];
  for (const [i, [auth, want]] of cases.entries()) {
    const file = join(dir, `bad-${i}.yaml`);
    writeFileSync(file, stringify({ auth }));
    const r = await runCli(['server', '--config', file, '--data', join(dir, `data-${i}`), '--listen', '127.0.0.1:0']);
    assert.notEqual(r.code, 0, JSON.stringify(auth));
    assert.match(r.stderr, want, JSON.stringify(auth));
  }
});
