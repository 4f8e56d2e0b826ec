/**
 * Identities for the authorisation tests: one token per role and tenant, and an `Authenticator`
 * over them that reads credentials as the token store does (Bearer, or Basic with the token as
 * password). It stands in for the token store only in the route-table matrix; the real clients'
 * tests use the store itself.
 */
import type { Authenticator, AuthResult, Identity, Role } from '../../../src/http/identity.js';

export interface TestTokens {
  /** The secret of the token of `role` for `tenants` (joined by `+` in its name). */
  secret(role: Role, ...tenants: string[]): string;
  authenticator: Authenticator;
}

export function testTokens(grants: Array<{ role: Role; tenants: string[] }>): TestTokens {
  const bySecret = new Map<string, Identity>();
  const secrets = new Map<string, string>();
  for (const g of grants) {
    const name = `${g.role}-${g.tenants.join('+')}`;
    const secret = `lwt_test_${name.replace(/[^a-z0-9]/g, '_')}_secret`;
    bySecret.set(secret, { name, kind: 'token', role: g.role, tenants: g.tenants });
    secrets.set(name, secret);
  }
  return {
    secret(role, ...tenants) {
      const s = secrets.get(`${role}-${tenants.join('+')}`);
      if (!s) throw new Error(`no test token ${role} for ${tenants.join('+')}`);
      return s;
    },
    authenticator: {
      authenticate(authorization): AuthResult {
        if (!authorization) return { ok: false, reason: 'missing' };
        const [scheme, rest = ''] = authorization.split(' ', 2);
        let secret = rest;
        if (scheme?.toLowerCase() === 'basic') secret = Buffer.from(rest, 'base64').toString('utf8').split(':').slice(1).join(':');
        else if (scheme?.toLowerCase() !== 'bearer') return { ok: false, reason: 'invalid' };
        const identity = bySecret.get(secret);
        return identity ? { ok: true, identity } : { ok: false, reason: 'invalid' };
      },
    },
  };
}
