/**
 * The kit's request metrics, on the kit's own prom-client registry (`registry`), named as the
 * Prometheus client libraries and most exporters name them so existing dashboards work. A service
 * exposes them with `registry.metrics()` (content type `registry.contentType`), or merges the
 * registry into its own with prom-client's `Registry.merge`.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();

export const requestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'Time from receiving a request to the end of its response, in seconds.',
  labelNames: ['method', 'route', 'status_code'] as const,
  registers: [registry],
});

export const requestsTotal = new Counter({
  name: 'http_requests_total',
  help: 'HTTP requests handled, by method, route and status code.',
  labelNames: ['method', 'route', 'status_code'] as const,
  registers: [registry],
});

export const requestErrors = new Counter({
  name: 'http_request_errors_total',
  help: 'HTTP requests answered with a 5xx status, by method and route.',
  labelNames: ['method', 'route'] as const,
  registers: [registry],
});

export const requestsInFlight = new Gauge({
  name: 'http_requests_in_flight',
  help: 'HTTP requests being handled now.',
  registers: [registry],
});
