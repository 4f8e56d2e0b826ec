/**
 * TLS of the one HTTP client (./client.ts) towards an https:// server: a private CA, a client
 * certificate for mTLS, or no verification. Node 20's global fetch takes none of these without a
 * dispatcher from undici, and a dispatcher from the npm package must go with the same package's
 * fetch (Node's bundled copy is another version with another dispatcher contract), so a client
 * with TLS options sends through the npm undici's fetch and Agent, loaded only then. The live
 * tail's WebSocket (`ws`) takes the same options directly.
 */
import type { ClientTlsOptions } from './client.js';

export type FetchLike = (url: URL, init: RequestInit) => Promise<Response>;

/** A fetch whose connections use `tls`; one connection pool per client. */
export async function tlsFetch(tls: ClientTlsOptions): Promise<FetchLike> {
  const undici = await import('undici');
  const dispatcher = new undici.Agent({ connect: connectOptions(tls) });
  return (url, init) => unlessLost(undici.fetch(url, { ...(init as object), dispatcher } as Parameters<typeof undici.fetch>[1]) as unknown as Promise<Response>);
}

/** Rejecters of the requests in flight through `tlsFetch`, for the one 'beforeExit' listener below. */
const inFlight = new Set<(e: Error) => void>();

/**
 * A request whose connection a server closes right after a TLS 1.3 handshake (how a server that
 * requires client certificates refuses a client without one) can be left pending by undici with no
 * socket or timer keeping the process alive (our timeout is AbortSignal.timeout's, which does not):
 * the CLI then ended with Node's exit code 13 and no word, about one run in ten under load. When the
 * event loop empties with such a request still pending, it is failed as the closed connection it
 * is, so the caller explains it (`tlsFailure`: refused).
 */
function unlessLost(request: Promise<Response>): Promise<Response> {
  if (inFlight.size === 0) process.once('beforeExit', failLost);
  let reject!: (e: Error) => void;
  const lost = new Promise<never>((_, r) => (reject = r));
  inFlight.add(reject);
  return Promise.race([request, lost]).finally(() => {
    inFlight.delete(reject);
    if (inFlight.size === 0) process.off('beforeExit', failLost);
  });
}

function failLost(): void {
  const closed = Object.assign(new Error('the server closed the connection without an answer'), { code: 'UND_ERR_SOCKET' });
  for (const reject of inFlight) reject(new TypeError('fetch failed', { cause: closed }));
}

/** Whether `tls` changes the connection (hints alone do not: the client keeps Node's own fetch). */
export function hasTlsOptions(tls: ClientTlsOptions): boolean {
  return tls.ca !== undefined || tls.cert !== undefined || tls.key !== undefined || tls.serverName !== undefined || tls.insecureSkipVerify === true;
}

/** What node:tls.connect takes (undici's `connect`, ws's options). */
export function connectOptions(tls: ClientTlsOptions): { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean; servername?: string } {
  return {
    ...(tls.ca !== undefined && { ca: tls.ca }),
    ...(tls.cert !== undefined && { cert: tls.cert }),
    ...(tls.key !== undefined && { key: tls.key }),
    ...(tls.serverName !== undefined && { servername: tls.serverName }),
    rejectUnauthorized: !tls.insecureSkipVerify,
  };
}

/** OpenSSL's and node's codes for a server certificate the client does not trust. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
]);

/** Codes of a connection closed under the client: what a server requiring client certificates does to one without (TLS 1.3). */
const CLOSED = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE']);

/**
 * Why an https request failed, in words, when TLS explains it: `untrusted` (the server's
 * certificate does not verify against the CA given), `refused` (the connection was closed, which
 * is how a server that requires client certificates answers a client without an acceptable one).
 */
export function tlsFailure(code: string | undefined): 'untrusted' | 'refused' | 'hostname' | 'expired' | undefined {
  if (code === undefined) return undefined;
  if (UNTRUSTED.has(code)) return 'untrusted';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'hostname';
  if (code === 'CERT_HAS_EXPIRED') return 'expired';
  if (CLOSED.has(code)) return 'refused';
  return undefined;
}
