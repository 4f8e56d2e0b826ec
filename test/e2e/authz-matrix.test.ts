/**
 * The endpoint × role × tenant matrix of issue #11, generated from the real server's own route table
 * (so a route added without a role fails here): with `auth.tokens_enabled`, every non-public route
 * answers 401 without a token, 403 to a role it does not allow, 403 to a token of another tenant
 * naming this one (or, on routes that act for all the caller's tenants, shows it nothing of this one),
 * and serves the right token; a multi-tenant request (`team-a|team-b`) is 403 to a token lacking one
 * of them and, with both, served by the routes declaring `multiTenant` and 400 everywhere else. Public routes stay open. Over HTTP, port 0.
 */
import { test } from 'node:test';
import { writeFileSync } from 'node:fs';
import assert from 'node:assert/strict';
import { startServer, removeDir, tempDir } from './helpers/server.js';
import { createTestTokens } from './helpers/tokens.js';
import { openTokenStore, tokenDbPath } from '../../src/auth/token-store.js';
import { createTokenAuthenticator } from '../../src/auth/token-authenticator.js';
import { ROLES, type Role } from '../../src/http/identity.js';
import type { RouteInfo } from '../../src/http/router.js';

/** A concrete path for a route pattern: every parameter becomes `x`. */
function concrete(pattern: string): string {
  return pattern.replace(/\/[:*][^/]+/g, '/x');
}

async function call(url: string, method: string, path: string, headers: Record<string, string> = {}): Promise<Response> {
  const withBody = method === 'POST' || method === 'PUT';
  const res = await fetch(url + path, { method, headers: { ...(withBody ? { 'Content-Type': 'application/json' } : {}), ...headers }, body: withBody ? '{}' : undefined });
  await res.arrayBuffer();
  return res;
}

const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });

test('every route of the real server: no token 401, wrong role 403, other tenant 403, right token served', async (t) => {
  const dir = tempDir();
  const tokens = createTestTokens(dir, ROLES.flatMap((role) => [{ role, tenants: ['team-a'] }, { role, tenants: ['team-b'] }, { role, tenants: ['team-a', 'team-b'] }]));
  // The real token store and authenticator; only the per-address failure limit is raised, since
  // this one client sends an unknown token to every route on purpose.
  const store = openTokenStore(tokenDbPath(dir));
  const authenticator = createTokenAuthenticator(store, { failures: { maxFailures: 1_000_000, windowMs: 60_000, blockMs: 60_000 } });
  const s = await startServer({ data: dir, auth: { tokens_enabled: true } }, { authenticator });
  t.after(async () => (await s.close(), store.close(), removeDir(s.dir)));
  const routes: RouteInfo[] = s.role.routes();
  assert.ok(routes.length > 40, `the route table holds the whole server (${routes.length} routes)`);

  const undeclared = routes.filter((r) => !r.options.public && !r.options.role).map((r) => `${r.methods.join(',')} ${r.pattern}`);
  assert.deepEqual(undeclared, [], 'every non-public route declares the role it needs');

  // Multi-tenant requests (X-Scope-OrgID a|b) are served only where Loki's multi-tenant querier serves them.
  const multi = routes.filter((r) => r.options.multiTenant).map((r) => r.pattern).sort();
  assert.deepEqual(multi, [
    '/api/prom/label',
    '/api/prom/label/:name/values',
    '/api/prom/series',
    '/loki/api/v1/label',
    '/loki/api/v1/label/:name/values',
    '/loki/api/v1/labels',
    '/loki/api/v1/query',
    '/loki/api/v1/query_range',
    '/loki/api/v1/series',
  ]);

  let cells = 0;
  for (const r of routes) {
    const path = concrete(r.pattern);
    for (const method of r.methods) {
      const where = `${method} ${r.pattern}`;
      if (r.options.public) {
        const res = await call(s.url, method, path);
        assert.ok(res.status !== 401 && res.status !== 403, `${where} is public: ${res.status}`);
        cells++;
        continue;
      }
      const need = r.options.role as Role;
      const none = await call(s.url, method, path);
      assert.equal(none.status, 401, `${where} without a token`);
      assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="logwharf"', `${where} challenges`);
      const wrongSecret = await call(s.url, method, path, bearer('lwt_not_a_token'));
      assert.equal(wrongSecret.status, 401, `${where} with an unknown token`);
      for (const role of ROLES.filter((x) => x !== 'admin' && x !== need)) {
        const res = await call(s.url, method, path, bearer(tokens.secret(role, 'team-a')));
        assert.equal(res.status, 403, `${where} with a ${role} token (needs ${need})`);
      }
      if (r.options.tenantless) {
        // Scoped by the caller's tenants, not by the header: team-b's token sees nothing of team-a.
        const other = await fetch(s.url + path, { method, headers: { ...bearer(tokens.secret(need, 'team-b')), 'X-Scope-OrgID': 'team-a' } });
        const text = await other.text();
        // A route naming one object (`:id`) that the caller cannot see answers 404, as for one that does not exist.
        const served = other.status === 200 || (other.status === 404 && r.pattern.includes('/:'));
        if (method === 'GET') assert.ok(served && !text.includes('team-a'), `${where} with team-b's ${need} token: ${other.status} ${text.slice(0, 200)}`);
        else assert.notEqual(other.status, 401, where);
      } else {
        const other = await call(s.url, method, path, { ...bearer(tokens.secret(need, 'team-b')), 'X-Scope-OrgID': 'team-a' });
        assert.equal(other.status, 403, `${where} with team-b's ${need} token naming team-a`);
        // a|b: 403 unless the token holds both; then served where declared, 400 elsewhere.
        const half = await call(s.url, method, path, { ...bearer(tokens.secret(need, 'team-a')), 'X-Scope-OrgID': 'team-a|team-b' });
        assert.equal(half.status, 403, `${where} with team-a's ${need} token naming team-a|team-b`);
        const both = await fetch(s.url + path, { method, headers: { ...bearer(tokens.secret(need, 'team-a', 'team-b')), 'X-Scope-OrgID': 'team-a|team-b' } });
        const said = `${both.status} ${await both.text()}`;
        // The request here has no parameters: a served route may still answer 400 for those.
        if (r.options.multiTenant) assert.ok(both.status !== 401 && both.status !== 403 && !said.includes('multi-tenant'), `${where} serves team-a|team-b: ${said}`);
        else assert.match(said, /^400 .* does not support multi-tenant requests/, `${where} refuses team-a|team-b`);
        cells += 2;
      }
      for (const role of need === 'admin' ? ['admin' as const] : [need, 'admin' as const]) {
        const ok = await call(s.url, method, path, bearer(tokens.secret(role, 'team-a')));
        assert.ok(ok.status !== 401 && ok.status !== 403, `${where} with team-a's ${role} token: ${ok.status}`);
      }
      cells += 3 + (need === 'admin' ? 2 : 1) + (need === 'admin' ? 1 : 2);
    }
  }
  t.diagnostic(`${routes.length} routes, ${cells} cells`);
  if (process.env.LOGWHARF_PRINT_ROLES) {
    // The route → role table of docs/security.md, printed from the table itself.
    const rows = routes.map((r) => `| ${r.methods.join(', ')} | \`${r.pattern}\` | ${r.options.public ? 'public' : r.options.role} |`);
    process.stdout.write(['| Method | Route | Role |', '|---|---|---|', ...rows].join('\n') + '\n');
  }
});

test('with auth.metrics_token_file, /metrics alone of the public routes needs the metrics token or an admin token', async (t) => {
  const dir = tempDir();
  const tokens = createTestTokens(dir, ROLES.map((role) => ({ role, tenants: ['team-a'] })));
  const file = `${dir}/metrics-token`;
  writeFileSync(file, 'matrix-metrics-token-0123456789');
  const s = await startServer({ data: dir, auth: { tokens_enabled: true, metrics_token_file: file } });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  for (const r of s.role.routes().filter((x) => x.options.public)) {
    for (const method of r.methods) {
      const where = `${method} ${r.pattern}`;
      const none = await call(s.url, method, concrete(r.pattern));
      if (r.pattern !== '/metrics') {
        assert.ok(none.status !== 401 && none.status !== 403, `${where} stays public: ${none.status}`);
        continue;
      }
      assert.equal(none.status, 401, where);
      assert.equal((await call(s.url, method, r.pattern, bearer('matrix-metrics-token-0123456789'))).status, 200, `${where} with the metrics token`);
      for (const role of ROLES) {
        const res = await call(s.url, method, r.pattern, bearer(tokens.secret(role, 'team-a')));
        assert.equal(res.status, role === 'admin' ? 200 : 403, `${where} with a ${role} token`);
      }
    }
  }
});
