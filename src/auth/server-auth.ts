/**
 * The server's one Authenticator, composed from the `auth` section: tokens and certificates bound to
 * tokens (src/auth/token-authenticator.ts), with proxy mode in front when `auth.proxy` trusts an
 * address (src/auth/proxy-authenticator.ts); and the guard of /metrics when a metrics token is
 * configured (src/auth/metrics-token.ts), which accepts admins of that same authenticator.
 */
import type { ServerConfig } from '../config/server.js';
import type { Authenticator, Peer } from '../http/identity.js';
import type { Logger } from '../util/logger.js';
import { createMetricsGuard, type MetricsGuard } from './metrics-token.js';
import { withProxyAuth } from './proxy-authenticator.js';
import { createAuthMetrics } from './auth-metrics.js';
import type { Registry } from 'prom-client';

export interface ServerAuth {
  /** The request path's authenticator; undefined unless `auth.tokens_enabled`. */
  authenticator: Authenticator | undefined;
  /** Set when `auth.metrics_token_file` is. */
  metricsGuard: MetricsGuard | undefined;
  /**
   * Who a connection proves without any token (a trusted proxy's user with a grant, or a client
   * certificate bound to a token), for the web UI, which then asks for no token.
   */
  signedInAs(peer: Peer): string | undefined;
}

/** Throws with the key named when the configuration cannot be used (a bad tenant, an unreadable file). */
export function composeServerAuth(auth: ServerConfig['auth'], tokens: Authenticator, opts: { log?: Logger; registry?: Registry } = {}): ServerAuth {
  const metrics = opts.registry && (auth.proxy.trusted_proxies.length > 0 || auth.metrics_token_file !== undefined) ? createAuthMetrics(opts.registry) : undefined;
  const all = auth.proxy.trusted_proxies.length > 0 ? withProxyAuth(tokens, auth.proxy, opts.log, metrics?.proxyHeadersIgnored) : tokens;
  return {
    authenticator: auth.tokens_enabled ? all : undefined,
    metricsGuard: auth.metrics_token_file !== undefined ? createMetricsGuard({ file: auth.metrics_token_file, authenticator: all, log: opts.log, usable: metrics?.metricsTokenFileUsable }) : undefined,
    signedInAs(peer) {
      if (!auth.tokens_enabled) return undefined;
      // Without credentials nothing counts as a failure; only what the connection itself proves.
      const r = all.authenticate(undefined, peer);
      return r.ok ? r.identity.name : undefined;
    },
  };
}
