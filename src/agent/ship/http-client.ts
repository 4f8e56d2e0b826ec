/**
 * The HTTP side of shipping: one keep-alive connection pool to the server, with the configured
 * tenant, authentication and TLS on every request, and a hard timeout per request (a server that
 * accepts the connection and then hangs must not stall shipping forever).
 */
import http from 'node:http';
import https from 'node:https';
import { credentialHeaders, type Credentials } from '../../api/auth.js';
import { clientUrl, type AgentConfig } from '../../config/agent.js';
import type { EncodedBody } from './push-body.js';
import { clientTlsFiles, type ClientTlsMaterial } from './client-tls.js';

type ClientConfig = AgentConfig['client'];

export interface HttpResponse {
  status: number;
  /** The body as text, at most MAX_ERROR_BODY characters (it is only read for error messages). */
  body: string;
  retryAfter?: string;
}

export interface HttpClient {
  /** The URL push requests go to. */
  readonly pushUrl: URL;
  /** Sends a request; rejects on network errors and timeouts (retryable), resolves on any HTTP status. */
  request(url: URL, body: EncodedBody, signal?: AbortSignal): Promise<HttpResponse>;
  /** POSTs a JSON body to a path under the server's base URL. */
  post(path: string, body: Buffer): Promise<{ status: number; body: string }>;
  /**
   * POSTs a body to a path under the server's base URL and returns the whole answer as bytes, up to
   * `maxBytes` (more is an error): the OpAMP client's protobuf exchange.
   */
  exchange(path: string, body: EncodedBody, maxBytes: number): Promise<{ status: number; body: Buffer; retryAfter?: string }>;
  close(): void;
}

const LOKI_PUSH_PATH = '/loki/api/v1/push';
const OTLP_LOGS_PATH = '/otlp/v1/logs';
const MAX_ERROR_BODY = 4096;
/** How often the TLS files are checked for a rotation while requests succeed. */
const CLIENT_TLS_CHECK_MS = 10_000;

/** Splits the configured URL into the server's base URL and the push URL for the output. */
export function resolveUrls(url: string, output: 'loki' | 'otlp'): { base: URL; push: URL } {
  const u = new URL(url);
  let path = u.pathname.replace(/\/+$/, '');
  const full = [LOKI_PUSH_PATH, OTLP_LOGS_PATH].find((p) => path.endsWith(p));
  if (full) {
    const push = new URL(u.href);
    path = path.slice(0, -full.length);
    const base = new URL(u.href);
    base.pathname = path + '/';
    return { base, push };
  }
  const base = new URL(u.href);
  base.pathname = path + '/';
  const push = new URL(u.href);
  push.pathname = path + (output === 'otlp' ? OTLP_LOGS_PATH : LOKI_PUSH_PATH);
  return { base, push };
}

export function createHttpClient(cfg: ClientConfig, opts: { timeoutMs: number; version?: string | undefined }): HttpClient {
  const { base, push } = resolveUrls(clientUrl(cfg), cfg.output);
  const secure = base.protocol === 'https:';
  const tlsFiles = secure ? clientTlsFiles(cfg.tls) : undefined;
  // allowPartialTrustChain: any certificate of ca_file is an anchor, as in Go's (Promtail's) CA pool,
  // so ca_file may hold an intermediate or the server's own certificate (`logwharf up` pins its
  // server's certificate this way). servername: the name checked and sent as SNI (server_name).
  const tlsOptions = { rejectUnauthorized: !cfg.tls.insecure_skip_verify, allowPartialTrustChain: true, ...(cfg.tls.server_name !== undefined && { servername: cfg.tls.server_name }) };
  const makeAgent = (m: ClientTlsMaterial | undefined): http.Agent =>
    secure ? new https.Agent({ keepAlive: true, maxSockets: 4, ...m, ...tlsOptions } as https.AgentOptions) : new http.Agent({ keepAlive: true, maxSockets: 4 });
  let agent = makeAgent(tlsFiles?.initial);
  const retired = new Set<http.Agent>();
  let checkedAt = Date.now();
  // A failed request re-reads the files at once: a refused certificate may just have been renewed.
  let failedSinceCheck = false;
  /** The connection pool, replaced when the TLS files change; the old one serves its requests out. */
  function currentAgent(): http.Agent {
    if (!tlsFiles || (!failedSinceCheck && Date.now() - checkedAt < CLIENT_TLS_CHECK_MS)) return agent;
    checkedAt = Date.now();
    failedSinceCheck = false;
    const next = tlsFiles.refresh();
    if (next) {
      const old = agent;
      retired.add(old);
      agent = makeAgent(next);
      setTimeout(() => {
        retired.delete(old);
        old.destroy();
      }, opts.timeoutMs).unref();
    }
    return agent;
  }
  const hasClientCert = cfg.tls.cert_file !== undefined;
  const userAgent = `logwharf-agent/${opts.version ?? 'dev'}`;

  const credentials: Credentials = {
    tenant: cfg.tenant_id,
    bearerToken: cfg.bearer_token,
    bearerTokenFile: cfg.bearer_token_file,
    username: cfg.basic_auth?.username,
    password: cfg.basic_auth?.password,
    passwordFile: cfg.basic_auth?.password_file,
  };

  function request(url: URL, req: EncodedBody, signal?: AbortSignal): Promise<HttpResponse>;
  function request(url: URL, req: EncodedBody, signal: AbortSignal | undefined, whole: number): Promise<HttpResponse & { bytes: Buffer }>;
  function request(url: URL, req: EncodedBody, signal?: AbortSignal, whole?: number): Promise<HttpResponse & { bytes?: Buffer }> {
    const headers: http.OutgoingHttpHeaders = {
      'content-type': req.contentType,
      'content-length': req.body.length,
      'user-agent': userAgent,
    };
    if (req.contentEncoding) headers['content-encoding'] = req.contentEncoding;
    // Secret files are read per request (./auth.ts): Kubernetes rotates mounted tokens.
    for (const [k, v] of Object.entries(credentialHeaders(credentials))) headers[k.toLowerCase()] = v;
    return new Promise((resolve, reject) => {
      const send = secure ? https.request : http.request;
      const r = send(url, { method: 'POST', agent: currentAgent(), headers, ...(signal && { signal }) }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (whole !== undefined && size > whole) return void r.destroy(new Error(`the answer from ${url.href} is larger than ${whole} bytes`));
          if (whole !== undefined || size - c.length < MAX_ERROR_BODY) chunks.push(c);
        });
        res.on('end', () => {
          clearTimeout(timer);
          const retryAfter = res.headers['retry-after'];
          const bytes = Buffer.concat(chunks);
          const body = (whole === undefined ? bytes : bytes.subarray(0, MAX_ERROR_BODY)).toString('utf8').slice(0, MAX_ERROR_BODY);
          resolve({ status: res.statusCode ?? 0, body, ...(retryAfter !== undefined && { retryAfter }), ...(whole !== undefined && { bytes }) });
        });
        res.on('error', (e) => {
          clearTimeout(timer);
          reject(e);
        });
      });
      const timer = setTimeout(() => r.destroy(new Error(`push request timed out after ${opts.timeoutMs} ms`)), opts.timeoutMs);
      r.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        failedSinceCheck = true;
        // Under TLS 1.3 a server refuses a missing or bad client certificate after the client's
        // side of the handshake is done: the client only sees the connection reset.
        if (secure && !hasClientCert && e.code === 'ECONNRESET') e.message += '; a server that requires client certificates (mTLS) closes the connection like this: set client.tls.cert_file and client.tls.key_file';
        reject(e);
      });
      r.end(req.body);
    });
  }

  return {
    pushUrl: push,
    request,
    async post(path, body) {
      const url = new URL(path.replace(/^\/+/, ''), base);
      const res = await request(url, { contentType: 'application/json', body });
      return { status: res.status, body: res.body };
    },
    async exchange(path, body, maxBytes) {
      const url = new URL(path.replace(/^\/+/, ''), base);
      const res = await request(url, body, undefined, maxBytes);
      return { status: res.status, body: res.bytes, ...(res.retryAfter !== undefined && { retryAfter: res.retryAfter }) };
    },
    close() {
      agent.destroy();
      for (const a of retired) a.destroy();
    },
  };
}
