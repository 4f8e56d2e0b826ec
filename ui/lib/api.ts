/**
 * The UI's one HTTP client: same origin only, the tenant (X-Scope-OrgID) on every call when the
 * server has auth_enabled, and every failure turned into an ApiError whose message is plain words.
 */
import { getTenant, getToken } from './tenant.js';

export class ApiError extends Error {
  constructor(
    message: string,
    /** HTTP status; 0 when the server did not answer. */
    readonly status: number,
    /** The server's own error text, as it sent it. */
    readonly detail: string,
  ) {
    super(message);
  }

  /** Where a LogQL parse error points (1-based line and column), when the server said. */
  get position(): { line: number; col: number } | undefined {
    const m = /line (\d+), col (\d+)/.exec(this.detail);
    return m ? { line: Number(m[1]), col: Number(m[2]) } : undefined;
  }
}

export type Params = Record<string, string | number | boolean | undefined>;

export function url(path: string, params: Params = {}): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) qs.set(k, String(v));
  const s = qs.toString();
  return s ? `${path}?${s}` : path;
}

export function headers(extra: Record<string, string> = {}): Record<string, string> {
  const tenant = getTenant();
  const token = getToken();
  return { ...(tenant ? { 'X-Scope-OrgID': tenant } : {}), ...(token ? { Authorization: `Bearer ${token}` } : {}), ...extra };
}

/**
 * The address of a WebSocket on this server (live tail). Browsers cannot set headers on a
 * WebSocket, so the tenant goes as the `orgId` query parameter and the token as `access_token`,
 * which the server reads on upgrades when no X-Scope-OrgID or Authorization header is present.
 */
export function socketUrl(path: string, params: Params = {}): string {
  const tenant = getTenant();
  const token = getToken();
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${url(path, { ...params, ...(tenant ? { orgId: tenant } : {}), ...(token ? { access_token: token } : {}) })}`;
}

/** GETs (or sends) JSON; throws ApiError. */
export async function api<T>(path: string, params: Params = {}, init: RequestInit = {}): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url(path, params), { ...init, headers: headers((init.headers as Record<string, string>) ?? {}) });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new ApiError('The server did not answer. Is logwharf still running?', 0, String(e));
  }
  const text = await res.text();
  if (!res.ok) throw new ApiError(plainWords(res.status, serverText(text)), res.status, serverText(text));
  // Some answers are rightly empty (Alertmanager's DELETE of a silence: 200 with no body).
  if (text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(`The server sent an answer that is not JSON (${path}).`, res.status, text.slice(0, 200));
  }
}

/** The error text inside whichever envelope the route uses: plain text, a JSON string, or Prometheus' `{"error":…}`. */
function serverText(body: string): string {
  const t = body.trim();
  try {
    const v = JSON.parse(t) as unknown;
    if (typeof v === 'string') return v;
    if (v && typeof v === 'object' && typeof (v as { error?: unknown }).error === 'string') return (v as { error: string }).error;
    if (v && typeof v === 'object' && typeof (v as { message?: unknown }).message === 'string') return (v as { message: string }).message;
  } catch {
    // plain text
  }
  return t;
}

/** A server error in words a user can act on; the server's own text follows. */
export function plainWords(status: number, detail: string): string {
  const said = detail ? ` The server said: ${detail}` : '';
  if (/parse error/i.test(detail)) return `The query is not valid LogQL: ${detail.replace(/^parse error\s*:?\s*/i, '')}`;
  switch (status) {
    case 400:
      return `The server refused the request.${said}`;
    case 401:
      return `The server wants credentials: with auth_enabled a tenant (the tenant button), with access tokens a valid token (sign out and in again).${said}`;
    case 403:
      return `You are not allowed to do this.${said}`;
    case 404:
      return `Not found.${said}`;
    case 413:
      return `The request is too large.${said}`;
    case 429:
      return `A limit was reached; narrow the query or the time range.${said}`;
    case 503:
      return `The server is busy or not ready; try again shortly.${said}`;
    case 504:
      return `The query took longer than the server's query timeout; narrow the time range or the selector.${said}`;
    default:
      return status >= 500 ? `The server failed to answer (HTTP ${status}).${said}` : `The request failed (HTTP ${status}).${said}`;
  }
}
