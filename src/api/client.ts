/**
 * An HTTP client that speaks only Loki's HTTP API, so the CLI (and anything else) works against
 * logwharf and against Loki alike. Times are nanoseconds (bigint) and go on the wire as integer
 * strings, which every Loki version reads. `post` also carries the ruler's sends to the peers Loki's
 * ruler talks to (an Alertmanager's v2 API, a Prometheus remote-write endpoint), so there is one
 * client with one credential order and one error shape.
 */
import { STATUS_PATH, type StatusResponse } from './status.js';
import { nsToSecondsString } from './time-units.js';
import { createRequire } from 'node:module';
import type WebSocket from 'ws';
import type { Labels, PushRequest } from './model.js';
import type { IndexStats, WireQueryResponse, WireTailFrame, BuildInfo } from './envelope.js';
import type { Direction } from './params.js';
import { encodeLokiPushJson, encodeLokiPushProtobuf } from './push/loki-push.js';
import { credentialHeaders } from './auth.js';
import { connectOptions, hasTlsOptions, tlsFailure, tlsFetch, type FetchLike } from './client-tls.js';

export interface ClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:3100` (a path prefix is kept: `https://gw/loki`). */
  addr: string;
  /** Sent as `X-Scope-OrgID`. */
  tenant?: string;
  /** HTTP basic auth. */
  username?: string;
  password?: string;
  /** `Authorization: Bearer <token>`; wins over basic auth (the order is in ./auth.ts). */
  bearerToken?: string;
  /** A file holding the bearer token, read on every request. */
  bearerTokenFile?: string;
  /** Extra request headers; tenant and authorization above replace theirs. */
  headers?: Record<string, string>;
  /** Per-request timeout; default 5 minutes (a long query is legitimate). */
  timeoutMs?: number;
  /** TLS towards an https address (./client-tls.ts); without it the system's CAs verify the server. */
  tls?: ClientTlsOptions;
}

/** PEM contents, not paths: the caller reads the files and says which one it could not read. */
export interface ClientTlsOptions {
  /** CA(s) that sign the server's certificate, instead of the system's. */
  ca?: Buffer;
  /** A client certificate and its key, for a server that asks for one (mTLS). */
  cert?: Buffer;
  key?: Buffer;
  /** The host name the server's certificate must name, when it is not the address's. */
  serverName?: string;
  /** Do not verify the server's certificate (testing only). */
  insecureSkipVerify?: boolean;
  /**
   * What to tell the user when TLS explains a failure, in the caller's words (the CLI names its
   * flags): the server's certificate did not verify; the server closed the connection, which is
   * how one that requires client certificates refuses a client without an acceptable one.
   */
  hints?: { untrusted?: string; refused?: string };
}

/** A failed request: `status` is the HTTP status, absent when the server could not be reached. */
export class LokiClientError extends Error {
  readonly status: number | undefined;
  readonly body: string | undefined;
  /** The response's Retry-After header, when it sent one (429 and 503 may). */
  readonly retryAfter: string | undefined;
  constructor(message: string, status?: number, body?: string, options?: { cause?: unknown; retryAfter?: string | undefined }) {
    super(message, options);
    this.name = 'LokiClientError';
    this.status = status;
    this.body = body;
    this.retryAfter = options?.retryAfter;
  }
}

/** Per-request options of `LokiClient.post`. */
export interface PostOptions {
  /** Sent as `X-Scope-OrgID` instead of the client's tenant (the ruler sends each tenant's data as that tenant). */
  tenant?: string;
  /** Extra headers for this request (the client's tenant and authorization still win). */
  headers?: Record<string, string>;
  /** Aborts the request early, on top of the client's timeout. */
  signal?: AbortSignal;
}

export interface RangeOptions {
  start?: bigint;
  end?: bigint;
}

export interface QueryRangeOptions extends RangeOptions {
  limit?: number;
  direction?: Direction;
  /** Step in nanoseconds; sent as float seconds. */
  step?: bigint;
  interval?: bigint;
  /** Extra request headers, e.g. `X-Loki-Response-Encoding-Flags: categorize-labels` (export asks for structured metadata apart). */
  headers?: Record<string, string>;
}

export interface InstantQueryOptions {
  time?: bigint;
  limit?: number;
  direction?: Direction;
}

export interface TailOptions {
  delayFor?: number;
  limit?: number;
  start?: bigint;
}

/** A push body encoder: given a request, the Content-Type and body to send. */
export type PushEncoder = (req: PushRequest) => { contentType: string; body: Buffer | string };

/** Loki's two push encodings. Protobuf+snappy is what Promtail and Alloy send, and the default. */
export const PUSH_ENCODERS: Record<'protobuf' | 'json', PushEncoder> = {
  protobuf: encodeLokiPushProtobuf,
  json: encodeLokiPushJson,
};

/** A running tail: `done` settles when the socket closes (rejects if it closed in error). */
export interface TailHandle {
  close(): void;
  done: Promise<void>;
}

const DEFAULT_TIMEOUT_MS = 5 * 60_000;
// Beyond this URL length a GET may be refused by proxies; Loki's read endpoints accept the same
// parameters as a form-urlencoded POST.
const MAX_GET_URL = 8000;

function setRange(p: URLSearchParams, o: RangeOptions): void {
  if (o.start !== undefined) p.set('start', o.start.toString());
  if (o.end !== undefined) p.set('end', o.end.toString());
}

/** Pulls the human message out of an error body: Loki sends plain text, Prometheus-style servers JSON. */
export function errorMessageOf(body: string): string {
  const text = body.trim();
  if (text.startsWith('{')) {
    try {
      const j = JSON.parse(text) as { error?: unknown; message?: unknown };
      if (typeof j.error === 'string') return j.error;
      if (typeof j.message === 'string') return j.message;
    } catch {
      // not JSON after all; show it as text
    }
  }
  return text.length > 2000 ? text.slice(0, 2000) + '…' : text;
}

function isLabels(v: unknown): v is Labels {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** `data` of a label response as a list; Loki omits it when empty. */
function stringList(res: unknown, path: string): string[] {
  const data = (res as { data?: unknown } | null)?.data ?? [];
  if (!Array.isArray(data) || !data.every((x) => typeof x === 'string')) throw new LokiClientError(`GET /${path}: unexpected response: data is not a list of strings`);
  return data;
}

const NS_STRING = /^-?\d{1,19}$/;

/**
 * Checks a query response's shape before anyone walks it, so a proxy's or another product's odd
 * answer is reported as such instead of failing somewhere inside the printing.
 */
export function queryResponseProblem(res: unknown): string | undefined {
  const r = res as { status?: unknown; data?: { resultType?: unknown; result?: unknown } } | null;
  if (typeof r !== 'object' || r === null) return 'not a JSON object';
  if (r.status !== 'success') return `status is ${JSON.stringify(r.status)}, not "success"`;
  const data = r.data;
  if (typeof data !== 'object' || data === null) return 'no data';
  const result = data.result;
  switch (data.resultType) {
    case 'streams':
      if (!Array.isArray(result)) return 'result is not a list';
      for (const s of result as Array<{ stream?: unknown; values?: unknown }>) {
        if (!isLabels(s?.stream) || !Array.isArray(s.values)) return 'a stream lacks its labels or values';
        for (const v of s.values as unknown[]) {
          if (!Array.isArray(v) || typeof v[0] !== 'string' || !NS_STRING.test(v[0]) || typeof v[1] !== 'string') return `an entry is not ["<ns>", "<line>"]: ${JSON.stringify(v).slice(0, 100)}`;
        }
      }
      return undefined;
    case 'vector':
    case 'matrix':
      if (!Array.isArray(result)) return 'result is not a list';
      for (const s of result as Array<{ metric?: unknown; value?: unknown; values?: unknown }>) {
        if (!isLabels(s?.metric)) return 'a series lacks its metric';
        const points = data.resultType === 'vector' ? [s.value] : s.values;
        if (!Array.isArray(points) || !points.every(isPoint)) return 'a sample is not [<seconds>, "<value>"]';
      }
      return undefined;
    case 'scalar':
      return isPoint(result) ? undefined : 'the scalar is not [<seconds>, "<value>"]';
    default:
      return `unknown resultType ${JSON.stringify(data.resultType)}`;
  }
}

function isPoint(p: unknown): boolean {
  return Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'string';
}

/** `base` with `own` on top; header names are case-insensitive, so one of `base` named like one of `own` is replaced, not doubled. */
function withHeaders(base: Record<string, string>, own: Record<string, string>): Record<string, string> {
  const ownNames = new Set(Object.keys(own).map((k) => k.toLowerCase()));
  const h: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (!ownNames.has(k.toLowerCase())) h[k] = v;
  return { ...h, ...own };
}

export class LokiClient {
  private readonly base: URL;
  private readonly opts: ClientOptions;
  /** The fetch with the client's TLS options, made at the first request (undici is loaded then). */
  private fetchTls: Promise<FetchLike> | undefined;

  constructor(opts: ClientOptions) {
    let base: URL;
    try {
      base = new URL(opts.addr);
    } catch {
      throw new LokiClientError(`invalid address "${opts.addr}": want a URL such as http://127.0.0.1:3100`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') {
      throw new LokiClientError(`invalid address "${opts.addr}": the scheme must be http or https`);
    }
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    this.base = base;
    this.opts = opts;
  }

  /** Words on a failed https connection that TLS explains, '' otherwise. */
  private tlsHint(url: URL, code: string | undefined): string {
    if (url.protocol !== 'https:' && url.protocol !== 'wss:') return '';
    const tls = this.opts.tls;
    switch (tlsFailure(code)) {
      case 'untrusted':
        return `: the server's certificate is not signed by a trusted CA${tls?.hints?.untrusted ? `; ${tls.hints.untrusted}` : ''}`;
      case 'hostname':
        return `: the server's certificate does not name ${url.hostname}`;
      case 'expired':
        return ": the server's certificate has expired";
      case 'refused':
        // With a certificate of our own, the server may still have refused it (another CA, expired).
        return `: the server closed the connection, as one that requires a client certificate (mTLS) does to a client without an acceptable one${tls?.hints?.refused ? `; ${tls.hints.refused}` : ''}`;
      default:
        return '';
    }
  }

  /** The headers every request carries: tenant and authorization. */
  headers(): Record<string, string> {
    return withHeaders(this.opts.headers ?? {}, credentialHeaders(this.opts));
  }

  url(path: string, params?: URLSearchParams): URL {
    const u = new URL(path.replace(/^\//, ''), this.base);
    if (params) u.search = params.toString();
    return u;
  }

  private async request(method: 'GET' | 'POST' | 'DELETE', path: string, params: URLSearchParams | undefined, body?: { contentType: string; body: Buffer | string }, opts: PostOptions = {}): Promise<Response> {
    let url = this.url(path, params);
    let headers = withHeaders(opts.headers ?? {}, this.headers());
    if (opts.tenant !== undefined && opts.tenant !== '') headers = withHeaders(headers, { 'X-Scope-OrgID': opts.tenant });
    let payload: Buffer | string | undefined = body?.body;
    if (body) headers['Content-Type'] = body.contentType;
    else if (params && url.href.length > MAX_GET_URL) {
      method = 'POST';
      url = this.url(path);
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      payload = params.toString();
    }
    let res: Response;
    const timeout = AbortSignal.timeout(this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const tls = this.opts.tls;
    const send: FetchLike = tls && hasTlsOptions(tls) && url.protocol === 'https:' ? await (this.fetchTls ??= tlsFetch(tls)) : fetch;
    try {
      res = await send(url, { method, headers, body: payload ?? null, signal: opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout });
    } catch (e) {
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e as Error).message;
      const what = (e as Error).name === 'TimeoutError' ? 'timed out' : (e as Error).name === 'AbortError' ? 'aborted' : `failed (${why})`;
      throw new LokiClientError(`${method} ${url.origin}${url.pathname} ${what}${this.tlsHint(url, cause?.code)}`, undefined, undefined, { cause: e });
    }
    if (!res.ok) {
      const text = await res.text().catch(() => '');
      const msg = errorMessageOf(text);
      throw new LokiClientError(`${method} ${url.pathname}: ${res.status} ${res.statusText}${msg ? ': ' + msg : ''}`, res.status, text, { retryAfter: res.headers.get('retry-after') ?? undefined });
    }
    return res;
  }

  /**
   * POSTs a body to `path` under the base URL and resolves on 2xx. Rejects with LokiClientError:
   * `status` set when the server answered otherwise, absent when it could not be reached, timed out
   * or the request was aborted.
   */
  async post(path: string, body: { contentType: string; body: Buffer | string }, opts: PostOptions = {}): Promise<void> {
    const res = await this.request('POST', path, undefined, body, opts);
    await res.arrayBuffer();
  }

  /** A request to one of logwharf's own APIs (the backup snapshots, the fleet API): the 2xx Response, errors as for `post`. */
  send(method: 'GET' | 'POST' | 'DELETE', path: string, params?: URLSearchParams, body?: { contentType: string; body: Buffer | string }): Promise<Response> {
    return this.request(method, path, params, body);
  }

  private async getJson<T>(path: string, params?: URLSearchParams, opts: PostOptions = {}): Promise<T> {
    const res = await this.request('GET', path, params, undefined, opts);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new LokiClientError(`GET ${new URL(res.url).pathname}: the server answered ${res.status} with a body that is not JSON: ${errorMessageOf(text).slice(0, 200)}`, res.status, text);
    }
  }

  private async getQuery(path: string, p: URLSearchParams, opts: PostOptions = {}): Promise<WireQueryResponse> {
    const res = await this.getJson<unknown>(path, p, opts);
    const why = queryResponseProblem(res);
    if (why) throw new LokiClientError(`GET /${path}: unexpected response: ${why}`);
    return res as WireQueryResponse;
  }

  /** `/loki/api/v1/query_range`. */
  queryRange(query: string, o: QueryRangeOptions = {}): Promise<WireQueryResponse> {
    const p = new URLSearchParams({ query });
    setRange(p, o);
    if (o.limit !== undefined) p.set('limit', String(o.limit));
    if (o.direction) p.set('direction', o.direction);
    if (o.step !== undefined) p.set('step', nsToSecondsString(o.step));
    if (o.interval !== undefined) p.set('interval', nsToSecondsString(o.interval));
    return this.getQuery('loki/api/v1/query_range', p, o.headers ? { headers: o.headers } : {});
  }

  /** `/loki/api/v1/query` (instant). */
  query(query: string, o: InstantQueryOptions = {}): Promise<WireQueryResponse> {
    const p = new URLSearchParams({ query });
    if (o.time !== undefined) p.set('time', o.time.toString());
    if (o.limit !== undefined) p.set('limit', String(o.limit));
    if (o.direction) p.set('direction', o.direction);
    return this.getQuery('loki/api/v1/query', p);
  }

  /** `/loki/api/v1/labels`. Loki omits `data` when there are none; that is an empty list. */
  async labels(o: RangeOptions & { query?: string } = {}): Promise<string[]> {
    const p = new URLSearchParams();
    setRange(p, o);
    if (o.query) p.set('query', o.query);
    return stringList(await this.getJson('loki/api/v1/labels', p), 'loki/api/v1/labels');
  }

  /** `/loki/api/v1/label/<name>/values`. */
  async labelValues(name: string, o: RangeOptions & { query?: string } = {}): Promise<string[]> {
    const p = new URLSearchParams();
    setRange(p, o);
    if (o.query) p.set('query', o.query);
    const path = `loki/api/v1/label/${encodeURIComponent(name)}/values`;
    return stringList(await this.getJson(path, p), path);
  }

  /** `/loki/api/v1/series` with one `match[]` per selector. */
  async series(match: string[], o: RangeOptions = {}): Promise<Labels[]> {
    const p = new URLSearchParams();
    for (const m of match) p.append('match[]', m);
    setRange(p, o);
    const res = await this.getJson<{ data?: unknown }>('loki/api/v1/series', p);
    const data = res?.data ?? [];
    if (!Array.isArray(data) || !data.every(isLabels)) throw new LokiClientError('GET /loki/api/v1/series: unexpected response: data is not a list of label sets');
    return data;
  }

  /** `/loki/api/v1/index/stats`. */
  indexStats(query: string, o: RangeOptions = {}): Promise<IndexStats> {
    const p = new URLSearchParams({ query });
    setRange(p, o);
    return this.getJson('loki/api/v1/index/stats', p);
  }

  /**
   * logwharf's health monitor, `GET /api/v1/status` (all components, or those named). Loki has no
   * such endpoint: against it this rejects with status 404.
   */
  async status(components?: readonly string[]): Promise<StatusResponse> {
    const p = components && components.length > 0 ? new URLSearchParams({ component: components.join(',') }) : undefined;
    const body = await this.getJson<StatusResponse>(STATUS_PATH, p);
    if (typeof body !== 'object' || body === null || !Array.isArray(body.components) || typeof body.status !== 'string') {
      throw new LokiClientError(`GET ${STATUS_PATH}: the answer is not a logwharf status (no "status" and "components")`, 200, JSON.stringify(body).slice(0, 200));
    }
    return body;
  }

  /** `/loki/api/v1/status/buildinfo`. */
  buildInfo(): Promise<BuildInfo> {
    return this.getJson('loki/api/v1/status/buildinfo');
  }

  /**
   * The ruler's rules as YAML (Loki's ruler API): every namespace (`namespace` absent), one namespace
   * (`{ns: [groups]}`), or one group. Listing everything when there is nothing answers 404 "no rule
   * groups found" on Loki: that is an empty map (`{}`), not an error.
   */
  async rulesYaml(namespace?: string, group?: string): Promise<string> {
    let path = 'loki/api/v1/rules';
    if (namespace !== undefined) path += '/' + encodeURIComponent(namespace);
    if (group !== undefined) path += '/' + encodeURIComponent(group);
    try {
      const res = await this.request('GET', path, undefined);
      return await res.text();
    } catch (e) {
      if (namespace === undefined && e instanceof LokiClientError && e.status === 404 && /no rule groups found/i.test(e.body ?? '')) return '{}\n';
      throw e;
    }
  }

  /** `POST /loki/api/v1/rules/{namespace}` with one group's YAML: creates or replaces that group (Loki answers 202). */
  async setRuleGroup(namespace: string, groupYaml: string): Promise<void> {
    const res = await this.request('POST', 'loki/api/v1/rules/' + encodeURIComponent(namespace), undefined, { contentType: 'application/yaml', body: groupYaml });
    await res.arrayBuffer();
  }

  /** `DELETE /loki/api/v1/rules/{namespace}[/{group}]`: one group, or the whole namespace (Loki answers 202). */
  async deleteRules(namespace: string, group?: string): Promise<void> {
    let path = 'loki/api/v1/rules/' + encodeURIComponent(namespace);
    if (group !== undefined) path += '/' + encodeURIComponent(group);
    const res = await this.request('DELETE', path, undefined);
    await res.arrayBuffer();
  }

  /** `POST /loki/api/v1/push`; resolves on 2xx (Loki answers 204). */
  async push(req: PushRequest, encode: PushEncoder = PUSH_ENCODERS.protobuf): Promise<void> {
    const res = await this.request('POST', 'loki/api/v1/push', undefined, encode(req));
    await res.arrayBuffer();
  }

  /**
   * Opens `/loki/api/v1/tail` over WebSocket and calls `onFrame` for every message. The handle's
   * `done` resolves when the socket closes normally (or by `close()`), and rejects with the
   * server's reason otherwise.
   */
  tail(query: string, o: TailOptions, onFrame: (frame: WireTailFrame) => void): TailHandle {
    const p = new URLSearchParams({ query });
    if (o.delayFor !== undefined) p.set('delay_for', String(o.delayFor));
    if (o.limit !== undefined) p.set('limit', String(o.limit));
    if (o.start !== undefined) p.set('start', o.start.toString());
    const url = this.url('loki/api/v1/tail', p);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const tls = this.opts.tls;
    const ws = new (loadWebSocket())(url, { headers: this.headers(), ...(tls && url.protocol === 'wss:' && connectOptions(tls)) });
    let closedByUs = false;
    const done = new Promise<void>((resolve, reject) => {
      let failed: Error | undefined;
      ws.on('unexpected-response', (_req, res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          const msg = errorMessageOf(text);
          reject(new LokiClientError(`GET ${url.pathname}: ${res.statusCode} ${res.statusMessage ?? ''}${msg ? ': ' + msg : ''}`.replace(/ :/, ':'), res.statusCode, text));
          ws.terminate();
        });
      });
      ws.on('message', (data) => {
        let frame: WireTailFrame;
        try {
          frame = JSON.parse(data.toString()) as WireTailFrame;
        } catch {
          failed = new LokiClientError(`tail: the server sent a message that is not JSON: ${data.toString().slice(0, 200)}`);
          ws.close();
          return;
        }
        try {
          onFrame(frame);
        } catch (e) {
          failed = e as Error;
          ws.close();
        }
      });
      ws.on('error', (e) => {
        const code = (e as NodeJS.ErrnoException).code;
        failed ??= new LokiClientError(`tail: cannot connect to ${url.origin} (${code ?? e.message})${this.tlsHint(url, code)}`, undefined, undefined, { cause: e });
      });
      ws.on('close', (code, reason) => {
        if (failed) return reject(failed);
        // 1000 normal, 1005 no status: an orderly end. Anything else carries the server's reason.
        if (closedByUs || code === 1000 || code === 1005) return resolve();
        reject(new LokiClientError(`tail closed by the server (code ${code})${reason.length ? ': ' + reason.toString() : ''}`));
      });
    });
    return {
      done,
      close() {
        closedByUs = true;
        if (ws.readyState === ws.CONNECTING) ws.terminate();
        else ws.close(1000);
      },
    };
  }
}

/**
 * ws, loaded on the first tail: every command loads this client, and the agent, which never tails,
 * is about 10 MB of RSS smaller without it (issue #17).
 */
function loadWebSocket(): typeof WebSocket {
  return createRequire(import.meta.url)('ws') as typeof WebSocket;
}
