/**
 * The parts of the server's `auth` section beyond `tokens_enabled` (issue #11): proxy mode for single
 * sign-on and the metrics token. Kept apart from src/config/server.ts, which only includes them.
 */
import { z } from 'zod';
import { addressRangeProblem } from '../util/address-ranges.js';

/** An HTTP header name (RFC 9110 token characters). */
const headerName = z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'an HTTP header name, e.g. X-Forwarded-User');

export const proxyAuthSchema = z
  .object({
    trusted_proxies: z
      .array(z.string())
      .default([])
      .describe('Addresses (IPs or CIDR ranges, e.g. 10.0.0.5, 10.1.0.0/16) of the authenticating proxies (e.g. oauth2-proxy) whose user and groups headers are believed; the headers from any other address are ignored. Empty = proxy mode off. Needs auth.tokens_enabled'),
    user_header: headerName.default('X-Forwarded-User').describe('The header carrying the signed-in user (oauth2-proxy sets X-Forwarded-User, and X-Forwarded-Email: name that one here to see e-mail addresses)'),
    groups_header: headerName.default('X-Forwarded-Groups').describe('The header carrying the user\'s groups, comma-separated (oauth2-proxy\'s X-Forwarded-Groups)'),
    groups: z
      .array(
        z
          .object({
            group: z.string().min(1).describe('A group name as the proxy sends it'),
            tenants: z.array(z.string()).min(1).describe('The tenants its members act for'),
            role: z.enum(['read', 'write', 'admin']).describe('Their role: read, write or admin'),
          })
          .strict(),
      )
      .default([])
      .describe('Which group grants which tenants and role. The first entry, in this order, naming one of the user\'s groups decides (list the most privileged first); a user in none of them gets 403'),
  })
  .strict()
  .superRefine((p, ctx) => {
    p.trusted_proxies.forEach((entry, i) => {
      const problem = addressRangeProblem(entry);
      if (problem) ctx.addIssue({ code: 'custom', path: ['trusted_proxies', i], message: problem });
    });
    if (p.trusted_proxies.length > 0 && p.groups.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['groups'], message: 'proxy mode (trusted_proxies) needs at least one group mapping: without one every user would get 403' });
    }
  })
  .prefault({})
  .describe('Proxy mode for single sign-on (docs/security.md): trust a user and groups header set by an authenticating proxy, from its addresses only');

export const metricsTokenFileSchema = z
  .string()
  .optional()
  .describe('A file holding the token /metrics then needs (Authorization: Bearer <its content>, as Prometheus sends from authorization.credentials_file), besides admin tokens; at least 16 characters, surrounding white space ignored, re-read when it changes (rotation needs no restart). Unset = /metrics is public');

/** Checks across the auth section: proxy mode authenticates, so it needs authentication on. */
export function checkAuthSection(a: { tokens_enabled: boolean; proxy: { trusted_proxies: string[] } }, ctx: z.RefinementCtx): void {
  // Rather than turning authentication on by itself: proxy mode switched on by one key while every
  // other route quietly stayed open would be a surprise; the operator says both.
  if (a.proxy.trusted_proxies.length > 0 && !a.tokens_enabled) {
    ctx.addIssue({ code: 'custom', path: ['proxy', 'trusted_proxies'], message: 'proxy mode needs auth.tokens_enabled: true (every request is then authenticated, by the proxy\'s headers or a token)' });
  }
}
