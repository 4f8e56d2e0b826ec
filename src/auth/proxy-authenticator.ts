/**
 * Proxy mode for single sign-on (issue #11): an authenticating proxy in front (oauth2-proxy, or any
 * that sets a user and a groups header) has signed the user in; logwharf believes its headers, but
 * only on connections from the proxy's own addresses (`auth.proxy.trusted_proxies`), and maps the
 * user's groups to tenants and a role (`auth.proxy.groups`: the first entry, in configuration order,
 * naming one of the user's groups decides; a user in none gets 403).
 *
 * Decisions, where the issue is silent:
 * - Only the direct peer's address counts, never X-Forwarded-For: that header is as forgeable as
 *   the user header itself.
 * - The same headers from any other address are ignored (logged at debug), so a client that reaches
 *   the port directly cannot name itself a user; it is then judged by its token or certificate.
 * - A logwharf token in the Authorization header wins, also through the proxy (API clients behind the
 *   same proxy). Anything else there (oauth2-proxy passes `Basic <user>:` or the ID token by default)
 *   is the proxy's, not the user's, and is ignored when the user header is present.
 * - One user header, no fallback between X-Forwarded-User and X-Forwarded-Email: the operator names
 *   the one whose values the audit log should show.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { LogwharfError } from '../api/errors.js';
import type { AuthResult, Authenticator, Identity, Peer, Role } from '../http/identity.js';
import { isValidTenantId } from '../http/server.js';
import { addressRanges, type AddressRanges } from '../util/address-ranges.js';
import type { Logger } from '../util/logger.js';
import type { Counter } from 'prom-client';
import { presentedCredential } from './authorization-header.js';
import { parseToken } from './token-format.js';

export interface ProxyAuthConfig {
  trusted_proxies: string[];
  user_header: string;
  groups_header: string;
  groups: Array<{ group: string; tenants: string[]; role: Role }>;
}

/** Longer user names are not a proxy's; more groups than this are not read. */
const MAX_USER_CHARS = 256;
const MAX_GROUPS = 1000;

/**
 * `inner` (tokens and certificates) with proxy mode in front of it. Throws, naming the key, when a
 * group maps to an invalid tenant id (the schema checks the rest: src/config/auth.ts).
 */
export function withProxyAuth(inner: Authenticator, config: ProxyAuthConfig, log?: Logger, ignored?: Counter): Authenticator {
  config.groups.forEach((g, i) => {
    for (const t of g.tenants) {
      if (!isValidTenantId(t)) throw new LogwharfError('bad_request', `auth.proxy.groups[${i}].tenants: "${t.slice(0, 160)}" is not a valid tenant id: use 1-150 characters of [A-Za-z0-9!-_.*'()]`);
    }
  });
  const trusted: AddressRanges = addressRanges(config.trusted_proxies);
  const userHeader = config.user_header.toLowerCase();
  const groupsHeader = config.groups_header.toLowerCase();

  function fromProxy(user: string, headers: IncomingHttpHeaders): AuthResult {
    if (user.length > MAX_USER_CHARS || /[\p{Cc}\p{Cf}]/u.test(user)) {
      log?.warn({ header: config.user_header }, 'a trusted proxy sent a user header that is no user name; refused');
      return { ok: false, reason: 'invalid' };
    }
    const groups = new Set(headerText(headers[groupsHeader]).split(',').slice(0, MAX_GROUPS).map((g) => g.trim()).filter(Boolean));
    const grant = config.groups.find((g) => groups.has(g.group));
    if (!grant) return { ok: false, reason: 'forbidden', who: user, message: `forbidden: user "${user}" is in no group that auth.proxy.groups grants access` };
    const identity: Identity = { name: user, kind: 'proxy', role: grant.role, tenants: [...grant.tenants] };
    return { ok: true, identity };
  }

  return {
    authenticate(authorization: string | undefined, peer: Peer): AuthResult {
      const headers = peer.headers ?? {};
      const user = headerText(headers[userHeader]).trim();
      if (user === '' && headers[groupsHeader] === undefined) return inner.authenticate(authorization, peer);
      if (!trusted.has(peer.address)) {
        // Someone may be trying to forge a user; or a proxy is missing from trusted_proxies.
        log?.debug({ address: peer.address, header: config.user_header }, 'proxy headers from an untrusted address ignored');
        ignored?.inc();
        return inner.authenticate(authorization, peer);
      }
      if (user === '') return inner.authenticate(authorization, peer);
      const cred = presentedCredential(authorization);
      if (cred.kind === 'token' && parseToken(cred.text) !== undefined) return inner.authenticate(authorization, peer);
      return fromProxy(user, headers);
    },
  };
}

/** A header's text; node joins repeats of unknown headers with ", ", and arrays come from set-cookie-like ones. */
function headerText(v: string | string[] | undefined): string {
  return Array.isArray(v) ? v.join(',') : (v ?? '');
}
