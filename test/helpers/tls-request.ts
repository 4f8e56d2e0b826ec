/**
 * One HTTPS request with explicit trust and client certificate (fetch cannot take either), telling
 * which certificate the server presented: what the TLS tests need from a client.
 */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface TlsClientFiles {
  /** CA file the client trusts for the server's certificate. */
  ca?: string;
  cert?: string;
  key?: string;
  /** Host name checked against the server certificate (SNI too); default the URL's host. */
  servername?: string;
  maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
  minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
}

export interface TlsResponse {
  status: number;
  body: string;
  /** SHA-256 fingerprint of the server's certificate on this connection. */
  serverFingerprint: string;
}

/** Rejects with the TLS error when the handshake fails. Each call is a new connection (no keep-alive). */
export function tlsRequest(url: string, files: TlsClientFiles, req: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<TlsResponse> {
  return new Promise((resolve, reject) => {
    const r = https.request(
      url,
      {
        method: req.method ?? 'GET',
        headers: req.headers,
        agent: false,
        ...(files.ca !== undefined && { ca: readFileSync(files.ca) }),
        ...(files.cert !== undefined && { cert: readFileSync(files.cert) }),
        ...(files.key !== undefined && { key: readFileSync(files.key) }),
        ...(files.servername !== undefined && { servername: files.servername }),
        ...(files.maxVersion !== undefined && { maxVersion: files.maxVersion }),
        ...(files.minVersion !== undefined && { minVersion: files.minVersion }),
      },
      (res) => {
        const serverFingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body, serverFingerprint }));
        res.on('error', reject);
      },
    );
    r.setTimeout(10_000, () => r.destroy(new Error('request timed out')));
    r.on('error', reject);
    r.end(req.body);
  });
}
