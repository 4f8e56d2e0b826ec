/**
 * Proxy mode never trusts headers it should not: for any user and groups header values, from an
 * address outside trusted_proxies nothing is proved (the inner authenticator answers, here "no
 * credentials"); from a trusted one the answer never throws, and an identity is granted only for a
 * mapped group that is really among the comma-separated groups, with the configured tenants and role.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { withProxyAuth } from '../../../src/auth/proxy-authenticator.js';
import type { AuthResult, Authenticator } from '../../../src/http/identity.js';
import { fuzzParams } from '../../helpers/fuzz.js';

const GROUPS = [
  { group: 'ops', tenants: ['a', 'b'], role: 'admin' as const },
  { group: 'dev', tenants: ['a'], role: 'read' as const },
];
// The inner authenticator stands for tokens and certificates: here the caller brings neither.
const inner: Authenticator = { authenticate: (): AuthResult => ({ ok: false, reason: 'missing' }) };
const auth = withProxyAuth(inner, { trusted_proxies: ['10.0.0.0/8'], user_header: 'X-Forwarded-User', groups_header: 'X-Forwarded-Groups', groups: GROUPS });

const text = fc.oneof(fc.string({ maxLength: 300 }), fc.string({ unit: 'grapheme', maxLength: 60 }), fc.constantFrom('ops', 'dev', ' ops ', 'ops,dev', 'OPS', 'op', 'ops2', ',,', ''));
const groupsHeader = fc.oneof(text, fc.array(text, { maxLength: 5 }).map((a) => a.join(',')));
const address = fc.oneof(fc.constantFrom('10.1.2.3', '::ffff:10.0.0.1'), fc.constantFrom('11.0.0.1', '127.0.0.1', '::1', '', 'not-an-ip', '::ffff:9.255.255.255'));

test('forged or odd proxy headers prove nothing they should not, and never throw', () => {
  fc.assert(
    fc.property(address, text, fc.option(groupsHeader), (addr, user, groups) => {
      const headers = { 'x-forwarded-user': user, ...(groups !== null && { 'x-forwarded-groups': groups }) };
      const r = auth.authenticate(undefined, { address: addr, headers });
      const trusted = addr.startsWith('10.') || addr === '::ffff:10.0.0.1';
      if (!trusted) return assert.deepEqual(r, { ok: false, reason: 'missing' }, `${addr} is not trusted`);
      const list = (groups ?? '').split(',').map((g) => g.trim());
      const grant = GROUPS.find((g) => list.includes(g.group));
      if (r.ok) {
        assert.ok(grant, `granted without a mapped group: ${JSON.stringify(groups)}`);
        assert.deepEqual(r.identity, { name: user.trim(), kind: 'proxy', role: grant.role, tenants: grant.tenants });
      } else if (user.trim() !== '' && !/[\p{Cc}\p{Cf}]/u.test(user) && user.trim().length <= 256) {
        assert.equal(grant, undefined, `refused with a mapped group: ${JSON.stringify(groups)}`);
        assert.equal(r.reason, 'forbidden');
      }
    }),
    fuzzParams(2),
  );
  // The control: the property above can fail; a trusted ops user is admin.
  assert.equal(auth.authenticate(undefined, { address: '10.9.9.9', headers: { 'x-forwarded-user': 'olga', 'x-forwarded-groups': 'dev,ops' } }).ok, true);
});
