/**
 * The token admin API over HTTP against the real server: only an admin token may use it (401 without
 * or with a wrong one, 403 for another role), an admin sees and grants only its own tenants, the
 * secret is answered once by POST and never listed, DELETE revokes, and repeated failures from one
 * address are answered 429 with Retry-After even with the right token.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTokenStore, tokenDbPath } from '../../src/auth/token-store.js';
import { removeDir, startServer } from './helpers/server.js';

interface Wire {
  id: string;
  name: string;
  role: string;
  tenants: string[];
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  token?: string;
}

async function setup(t: { after(fn: () => Promise<void> | void): void }, overrides: Record<string, unknown> = {}) {
  const srv = await startServer(overrides);
  t.after(async () => {
    await srv.close();
    removeDir(srv.dir);
  });
  // The first admin token comes from outside the API, as `logwharf token create` makes it.
  const side = openTokenStore(tokenDbPath(srv.dir));
  const admin = side.create({ name: 'ops', role: 'admin', tenants: ['team-a', 'team-b'] }, Date.now()).token;
  const reader = side.create({ name: 'dash', role: 'read', tenants: ['team-a'] }, Date.now()).token;
  const otherAdmin = side.create({ name: 'c-ops', role: 'admin', tenants: ['team-c'] }, Date.now()).token;
  side.close();
  const call = async (method: string, path: string, token: string | undefined, body?: unknown, orgId?: string) => {
    const headers: Record<string, string> = {};
    if (orgId !== undefined) headers['X-Scope-OrgID'] = orgId;
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(srv.url + path, { method, headers, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) as { data: Wire & Wire[] } };
  };
  return { srv, admin, reader, otherAdmin, call };
}

test('only an admin token may manage tokens: 401 without one or with a wrong one, 403 for another role', async (t) => {
  const { admin, reader, call } = await setup(t);
  const none = await call('GET', '/api/v1/tokens', undefined);
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="logwharf"');
  const wrong = await call('GET', '/api/v1/tokens', admin.slice(0, -2) + (admin.endsWith('AA') ? 'BB' : 'AA'));
  assert.equal(wrong.status, 401);
  assert.match(wrong.text, /invalid token/);
  const read = await call('POST', '/api/v1/tokens', reader, { role: 'admin', tenants: ['team-a'] });
  assert.equal(read.status, 403);
  assert.match(read.text, /token "dash" has role read; managing tokens needs role admin/);
  assert.equal((await call('DELETE', '/api/v1/tokens/0123456789abcdef', reader)).status, 403);
});

test('POST answers the new token once; it works at once; GET lists without secrets; DELETE revokes it', async (t) => {
  const { admin, call } = await setup(t);
  const made = await call('POST', '/api/v1/tokens', admin, { name: 'promtail', role: 'write', tenants: ['team-b'], expires_in: '30d' });
  assert.equal(made.status, 201, made.text);
  const w = made.json().data;
  assert.match(w.token!, /^lwt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual({ ...w, token: undefined, id: undefined, created_at: undefined, expires_at: undefined }, { name: 'promtail', role: 'write', tenants: ['team-b'], revoked_at: null, last_used_at: null, cert_cn: null, token: undefined, id: undefined, created_at: undefined, expires_at: undefined });
  const days = (Date.parse(w.expires_at!) - Date.parse(w.created_at)) / 86_400_000;
  assert.equal(days, 30);
  // The new token authenticates right away (its role is write, so the admin API says 403, not 401).
  assert.equal((await call('GET', '/api/v1/tokens', w.token)).status, 403);

  const list = await call('GET', '/api/v1/tokens', admin);
  assert.equal(list.status, 200);
  assert.deepEqual(list.json().data.map((x) => x.name), ['ops', 'dash', 'promtail'], 'c-ops (team-c) is outside this admin\'s tenants');
  assert.equal(list.text.includes(w.token!.slice(21)), false, 'no secret listed');
  assert.equal(list.text.includes('secret'), false);

  const del = await call('DELETE', `/api/v1/tokens/${w.id}`, admin);
  assert.equal(del.status, 200, del.text);
  assert.ok(del.json().data.revoked_at);
  assert.equal((await call('GET', '/api/v1/tokens', w.token)).status, 401, 'revoked at once on this server');
  assert.equal((await call('DELETE', '/api/v1/tokens/0123456789abcdef', admin)).status, 404);
});

test('an admin grants, sees and revokes only within its own tenants', async (t) => {
  const { admin, otherAdmin, call } = await setup(t);
  const beyond = await call('POST', '/api/v1/tokens', admin, { role: 'read', tenants: ['team-a', 'team-c'] });
  assert.equal(beyond.status, 403);
  assert.match(beyond.text, /may not grant tenants it does not hold: team-c/);
  const mine = (await call('GET', '/api/v1/tokens', admin)).json().data;
  const ops = mine.find((x) => x.name === 'ops')!;
  // Another tenant's admin cannot revoke it, nor learn that it exists.
  const del = await call('DELETE', `/api/v1/tokens/${ops.id}`, otherAdmin);
  assert.equal(del.status, 404);
  assert.deepEqual((await call('GET', '/api/v1/tokens', otherAdmin)).json().data.map((x) => x.name), ['c-ops']);
  assert.equal((await call('GET', '/api/v1/tokens', admin)).status, 200, 'still valid');
});

test('bad token requests are 400 with what is wrong', async (t) => {
  const { admin, call } = await setup(t);
  const cases: Array<[unknown, RegExp]> = [
    ['{', /not JSON/],
    [[1], /must be a JSON object/],
    [{ role: 'read' }, /at least one tenant is required/],
    [{ role: 'root', tenants: ['team-a'] }, /role "root" is not one of read, write, admin/],
    [{ role: 'read', tenants: 'team-a' }, /tenants must be an array of strings/],
    [{ role: 'read', tenants: ['team-a'], expires_in: 'tomorrow' }, /expiry "tomorrow" is not a positive duration/],
    [{ role: 'read', tenants: ['team-a'], scope: 'x' }, /unknown field "scope"/],
    [{ name: 'ops', role: 'read', tenants: ['team-a'] }, /a token named "ops" exists already/],
    [{ role: 'read', tenants: ['team-a'], cert_cn: '' }, /certificate CN must be 1-64 printable characters/],
    [{ role: 'read', tenants: ['team-a'], cert_cn: 'a\u0000b' }, /certificate CN must be 1-64 printable characters/],
    [{ role: 'read', tenants: ['team-a'], cert_cn: 7 }, /cert_cn must be a string/],
  ];
  for (const [body, want] of cases) {
    const r = await call('POST', '/api/v1/tokens', admin, body);
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.match(r.text, want);
  }
});

test('10 failed attempts from one address: the next ones are 429 with Retry-After, even with the right token', async (t) => {
  const { admin, call } = await setup(t);
  for (let i = 0; i < 10; i++) assert.equal((await call('GET', '/api/v1/tokens', `lwt_0123456789abcdef_${'x'.repeat(43)}`)).status, 401);
  const r = await call('GET', '/api/v1/tokens', admin);
  assert.equal(r.status, 429);
  assert.equal(r.headers.get('retry-after'), '60');
});

test('with auth.tokens_enabled the request path authenticates, and the token API follows the same rules', async (t) => {
  const { admin, reader, call } = await setup(t, { auth: { tokens_enabled: true } });
  assert.equal((await call('GET', '/api/v1/tokens', undefined)).status, 401);
  assert.equal((await call('GET', '/api/v1/tokens', reader)).status, 403);
  // This API acts for all the caller's tenants (a `tenantless` route): a token of several tenants
  // names none here, unlike on tenant routes.
  assert.equal((await call('GET', '/api/v1/tokens', admin)).status, 200);
  const made = await call('POST', '/api/v1/tokens', admin, { name: 'alloy', role: 'write', tenants: ['team-a'] }, 'team-a');
  assert.equal(made.status, 201, made.text);
  const w = made.json().data;
  assert.equal((await call('POST', '/api/v1/tokens', admin, { role: 'read', tenants: ['team-c'] }, 'team-a')).status, 403);
  assert.equal((await call('DELETE', `/api/v1/tokens/${w.id}`, admin, undefined, 'team-a')).status, 200);
  assert.equal((await call('GET', '/api/v1/tokens', w.token)).status, 401, 'revoked at once');
});
