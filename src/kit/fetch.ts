/**
 * `fetch` that carries the current request context to the service it calls: `X-Request-ID` and a
 * `traceparent` in the same trace with this service's span as the parent, so the callee's lines
 * share the request id and trace id. Headers the caller set win; outside a request context it is
 * plain `fetch`.
 */
import { formatTraceparent, getContext } from './context.js';

export function fetchWithContext(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const ctx = getContext();
  if (!ctx) return fetch(input, init);
  // fetch sends init.headers instead of a Request's own headers when both are given; start from the same set.
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  if (!headers.has('x-request-id')) headers.set('x-request-id', ctx.request_id);
  if (!headers.has('traceparent')) headers.set('traceparent', formatTraceparent(ctx));
  return fetch(input, { ...init, headers });
}
