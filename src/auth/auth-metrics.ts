/**
 * Metrics of proxy mode and the metrics token, on /metrics: what an operator needs to see that a
 * proxy is missing from `trusted_proxies` (or someone is forging its headers), and that the metrics
 * token file has become unusable, without reading debug logs.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export interface AuthMetrics {
  proxyHeadersIgnored: Counter;
  metricsTokenFileUsable: Gauge;
}

export function createAuthMetrics(registry: Registry): AuthMetrics {
  return {
    proxyHeadersIgnored: new Counter({
      name: 'logwharf_auth_proxy_headers_ignored_total',
      help: 'Requests carrying proxy mode\'s user or groups header from an address not in auth.proxy.trusted_proxies (ignored).',
      registers: [registry],
    }),
    metricsTokenFileUsable: new Gauge({
      name: 'logwharf_auth_metrics_token_file_usable',
      help: '1 while auth.metrics_token_file holds a usable token, 0 when it is unreadable or too short (only admin tokens may then read /metrics).',
      registers: [registry],
    }),
  };
}
