/**
 * The server's one Authenticator, composed from the `auth` section: tokens and certificates bound to
 * tokens (src/auth/token-authenticator.ts), with proxy mode in front when `auth.proxy` trusts an
 * address (src/auth/proxy-authenticator.ts); and the guard of /metrics when a metrics token is
 * configured (src/auth/metrics-token.ts), which accepts admins of that same authenticator.
 */
import type { ServerConfig } from '../config/server.js';
import type { Authenticator } from '../http/identity.js';
import type { Logger } from '../util/logger.js';
import { createMetricsGuard, type MetricsGuard } from './metrics-token.js';
import { withProxyAuth } from './proxy-authenticator.js';

export interface ServerAuth {
  /** The request path's authenticator; undefined unless `auth.tokens_enabled`. */
  authenticator: Authenticator | undefined;
  /** Set when `auth.metrics_token_file` is. */
  metricsGuard: MetricsGuard | undefined;
}

/** Throws with the key named when the configuration cannot be used (a bad tenant, an unreadable file). */
export function composeServerAuth(auth: ServerConfig['auth'], tokens: Authenticator, opts: { log?: Logger } = {}): ServerAuth {
  const all = auth.proxy.trusted_proxies.length > 0 ? withProxyAuth(tokens, auth.proxy, opts.log) : tokens;
  return {
    authenticator: auth.tokens_enabled ? all : undefined,
    metricsGuard: auth.metrics_token_file !== undefined ? createMetricsGuard({ file: auth.metrics_token_file, authenticator: all, log: opts.log }) : undefined,
  };
}
