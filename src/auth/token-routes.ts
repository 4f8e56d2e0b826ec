/**
 * The admin API for tokens (issue #11): `GET /api/v1/tokens`, `POST /api/v1/tokens` (JSON
 * `{name, role, tenants, expires_in, cert_cn}`, answers the token's text once), `DELETE /api/v1/tokens/:id`.
 *
 * These routes authenticate the caller themselves (besides declaring `role: 'admin'` for the request
 * path's check), whether or not `auth.tokens_enabled` guards the
 * rest of the API: minting tokens must never be open to whoever reaches the port, or tokens made
 * while the switch was off would be valid once it is on. The first admin token therefore comes
 * from `logwharf token create` on the server's data directory. An admin acts only within its own
 * tenants: it sees, creates and revokes only tokens whose tenants it holds all of, so a tenant's
 * admin cannot mint itself access to another tenant. A token of another scope is "not found".
 */
import { LogwharfError } from '../api/errors.js';
import { sendJson, type RequestContext } from '../http/context.js';
import type { Identity } from '../http/identity.js';
import { AccessDenied } from '../http/authorize.js';
import { peerOf } from '../http/peer.js';
import type { RouteOptions, Router } from '../http/router.js';
import type { Logger } from '../util/logger.js';
import { tokenSpec } from './token-spec.js';
import type { TokenInfo } from './token-store.js';
import { wireToken } from './token-wire.js';
import type { Tokens } from './tokens.js';

export const TOKENS_PATH = '/api/v1/tokens';
const MAX_BODY_BYTES = 64 * 1024;

/** Admin only, and scoped by all of the caller's tenants rather than one X-Scope-OrgID. */
const ADMIN_ANY_TENANT: RouteOptions = { role: 'admin', tenantless: true };

export function registerTokenRoutes(router: Router, tokens: Tokens, opts: { now?: () => number; log?: Logger } = {}): void {
  const now = opts.now ?? Date.now;

  // Refusals are AccessDenied, as on the request path, so the audit log records them as denied.
  function admin(ctx: RequestContext): Identity {
    // With auth.tokens_enabled the request path has authenticated the caller and checked its role.
    if (ctx.identity) {
      if (ctx.identity.role !== 'admin') throw new AccessDenied('role', ctx.identity.name, 'forbidden', `"${ctx.identity.name}" has role ${ctx.identity.role}; managing tokens needs role admin`);
      return ctx.identity;
    }
    const r = tokens.authenticator.authenticate(ctx.req.headers.authorization, peerOf(ctx.req));
    if (r.ok) {
      // Who acted (or was refused), for the audit record: the request path set none with tokens off.
      ctx.identity = r.identity;
      if (r.identity.role !== 'admin') throw new AccessDenied('role', r.identity.name, 'forbidden', `token "${r.identity.name}" has role ${r.identity.role}; managing tokens needs role admin`);
      return r.identity;
    }
    if (r.reason === 'forbidden') throw new AccessDenied('no_grant', r.who, 'forbidden', r.message);
    if (r.reason === 'rate_limited') {
      throw new AccessDenied('rate_limited', undefined, 'rate_limited', 'too many failed authentication attempts from this address', { retryAfterSeconds: r.retryAfterSeconds });
    }
    throw new AccessDenied(r.reason === 'missing' ? 'no_credentials' : 'bad_credentials', undefined, 'unauthorized', r.reason === 'missing' ? 'authentication required: send an admin token' : 'invalid token');
  }

  const within = (caller: Identity, t: { tenants: string[] }) => t.tenants.every((x) => caller.tenants.includes(x));

  router.add('GET', TOKENS_PATH, (ctx) => {
    const caller = admin(ctx);
    sendJson(ctx, 200, { status: 'success', data: tokens.store().list().filter((t) => within(caller, t)).map(wireToken) });
  }, ADMIN_ANY_TENANT);

  router.add('POST', TOKENS_PATH, async (ctx) => {
    const caller = admin(ctx);
    const body = parseBody(await ctx.body());
    // One instant for the creation time and the expiry computed from it.
    const at = now();
    const spec = tokenSpec({ name: body.name, role: body.role, tenants: body.tenants, expiresIn: body.expires_in, certCn: body.cert_cn }, at);
    const outside = spec.tenants.filter((t) => !caller.tenants.includes(t));
    if (outside.length > 0) throw new LogwharfError('forbidden', `token "${caller.name}" may not grant tenants it does not hold: ${outside.join(', ')}`);
    const { info, token } = tokens.store().create(spec, at);
    ctx.auditDetails = auditTarget(info);
    opts.log?.info({ token_id: info.id, token_name: info.name, role: info.role, tenants: info.tenants, cert_cn: info.certCn, by: caller.name }, 'token created');
    sendJson(ctx, 201, { status: 'success', data: { ...wireToken(info), token } });
  }, ADMIN_ANY_TENANT);

  router.add('DELETE', `${TOKENS_PATH}/:id`, (ctx) => {
    const caller = admin(ctx);
    const id = ctx.params.id!;
    const found: TokenInfo | undefined = tokens.store().list().find((t) => t.id === id);
    if (!found || !within(caller, found)) throw new LogwharfError('not_found', `no token with id "${id.slice(0, 40)}"`);
    const revoked = tokens.store().revoke(id, now()) ?? found;
    ctx.auditDetails = auditTarget(revoked);
    opts.log?.info({ token_id: id, token_name: found.name, by: caller.name }, 'token revoked');
    sendJson(ctx, 200, { status: 'success', data: wireToken(revoked) });
  }, ADMIN_ANY_TENANT);
}

/** The token an admin action changed, for its audit record: never its secret. */
function auditTarget(t: TokenInfo): Record<string, unknown> {
  return { token_id: t.id, token_name: t.name, token_role: t.role, token_tenants: t.tenants, ...(t.expiresAt !== undefined ? { token_expires_at: new Date(t.expiresAt).toISOString() } : {}) };
}

interface Body {
  name?: string;
  role?: string;
  tenants?: string[];
  expires_in?: string;
  cert_cn?: string;
}

function parseBody(raw: Buffer): Body {
  if (raw.length > MAX_BODY_BYTES) throw new LogwharfError('payload_too_large', `token request larger than ${MAX_BODY_BYTES} bytes`);
  let v: unknown;
  try {
    v = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new LogwharfError('bad_request', 'the body is not JSON: want {"name", "role", "tenants", "expires_in", "cert_cn"}');
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new LogwharfError('bad_request', 'the body must be a JSON object');
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (!['name', 'role', 'tenants', 'expires_in', 'cert_cn'].includes(k)) throw new LogwharfError('bad_request', `unknown field "${k.slice(0, 40)}"`);
  }
  const str = (k: string) => {
    if (o[k] === undefined || o[k] === null) return undefined;
    if (typeof o[k] !== 'string') throw new LogwharfError('bad_request', `${k} must be a string`);
    return o[k] as string;
  };
  if (o.tenants !== undefined && (!Array.isArray(o.tenants) || !o.tenants.every((t) => typeof t === 'string'))) {
    throw new LogwharfError('bad_request', 'tenants must be an array of strings');
  }
  return { name: str('name'), role: str('role'), tenants: o.tenants as string[] | undefined, expires_in: str('expires_in'), cert_cn: str('cert_cn') };
}
