/**
 * X-Scope-OrgID as a tenant list (Loki's multi-tenant queries, `a|b`): parsing, the gateway mode's
 * resolution with and without query.multi_tenant_queries_enabled, and authorisation with tokens,
 * where every tenant named must be held.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMultiTenantRoute, parseTenantList } from '../../../src/http/tenants.js';
import { resolveTenants } from '../../../src/http/server.js';
import { AccessDenied, authorize } from '../../../src/http/authorize.js';
import type { Authenticator, Identity } from '../../../src/http/identity.js';
import { isLogwharfError } from '../../../src/api/errors.js';

test('parseTenantList splits on |, keeps order, collapses duplicates, and refuses empty or invalid parts', () => {
  assert.deepEqual(parseTenantList('a'), { ok: true, tenants: ['a'] });
  assert.deepEqual(parseTenantList('team-b|team-a'), { ok: true, tenants: ['team-b', 'team-a'] });
  assert.deepEqual(parseTenantList('a|b|a|b'), { ok: true, tenants: ['a', 'b'] });
  for (const bad of ['a||b', '|a', 'a|', '|', '']) {
    const r = parseTenantList(bad);
    assert.equal(r.ok, false, bad);
    assert.equal(!r.ok && r.reason, 'empty_part', bad);
  }
  for (const bad of ['a|b c', 'a|..', 'a|' + 'x'.repeat(151), 'a|b/c', 'a|ü']) {
    const r = parseTenantList(bad);
    assert.equal(!r.ok && r.reason, 'invalid', bad);
    assert.match(!r.ok ? r.message : '', /invalid tenant id/);
  }
});

test('checkMultiTenantRoute refuses several tenants on a route that did not declare multiTenant, naming it', () => {
  checkMultiTenantRoute(['a'], '/loki/api/v1/push', undefined);
  checkMultiTenantRoute(['a', 'b'], '/loki/api/v1/query_range', true);
  assert.throws(
    () => checkMultiTenantRoute(['a', 'b'], '/loki/api/v1/push', undefined),
    (e) => isLogwharfError(e) && e.status === 400 && /\/loki\/api\/v1\/push does not support multi-tenant requests/.test(e.message),
  );
});

test('gateway mode (auth_enabled): a|b needs query.multi_tenant_queries_enabled; without auth it means nothing', () => {
  assert.deepEqual(resolveTenants('a|b', false, false), ['fake']);
  assert.deepEqual(resolveTenants('a|b', true, true), ['a', 'b']);
  assert.deepEqual(resolveTenants('a|a', true, false), ['a'], 'a duplicate is one tenant');
  assert.throws(() => resolveTenants('a|b', true, false), (e) => isLogwharfError(e) && e.status === 400 && /multi_tenant_queries_enabled/.test(e.message));
  assert.throws(() => resolveTenants('a||b', true, true), (e) => isLogwharfError(e) && e.status === 400 && /empty tenant/.test(e.message));
  assert.throws(() => resolveTenants('a|b c', true, true), (e) => isLogwharfError(e) && e.status === 401);
  assert.throws(() => resolveTenants(undefined, true, true), (e) => isLogwharfError(e) && e.status === 401);
});

test('with tokens, a|b is allowed only when the token holds every tenant named, with one answer for any missing one', () => {
  const identity: Identity = { name: 'reader', kind: 'token', role: 'read', tenants: ['a', 'b'] };
  const auth: Authenticator = { authenticate: (h) => (h === 'Bearer ok' ? { ok: true, identity } : { ok: false, reason: 'invalid' }) };
  const peer = { address: '127.0.0.1' };
  const access = authorize(auth, 'Bearer ok', peer, 'read', 'b|a');
  assert.deepEqual(access.tenants, ['b', 'a']);
  assert.equal(access.tenant, 'b|a');
  assert.deepEqual(authorize(auth, 'Bearer ok', peer, 'read', 'a').tenants, ['a']);
  const denied = (orgId: string) => {
    try {
      authorize(auth, 'Bearer ok', peer, 'read', orgId);
    } catch (e) {
      assert.ok(e instanceof AccessDenied);
      return `${e.status} ${e.reason} ${e.message}`;
    }
    assert.fail(`${orgId} was allowed`);
  };
  const missing = denied('a|c');
  assert.match(missing, /^403 tenant /);
  assert.equal(denied('c|a'), missing, 'the same answer whichever tenant is missing');
  assert.equal(denied('a|b|no-such-tenant-anywhere'), missing);
  assert.match(denied('a||b'), /^400 tenant_invalid .*empty tenant/);
  assert.match(denied('a|b c'), /^400 tenant_invalid .*invalid tenant id/);
});
