/**
 * The server's certificate files (issue #11): read, checked and turned into the options of a TLS
 * secure context. Checking means building the context: node refuses a PEM it cannot parse (a file
 * half written by a rotation) and a key that does not belong to the certificate, so a bad set is
 * refused here, before it replaces a good one.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, type SecureContextOptions, type SecureVersion } from 'node:tls';
import { LogwharfError } from '../api/errors.js';

export interface TlsFilePaths {
  certFile: string;
  keyFile: string;
  /** CA(s) of client certificates (mTLS). */
  clientCaFile?: string | undefined;
  minVersion: SecureVersion;
}

export interface TlsMaterial {
  /** What `tls.createServer` and `setSecureContext` take. */
  context: SecureContextOptions;
  /** The server certificate's notAfter, in Unix seconds. */
  notAfter: number;
  /** The server certificate's SHA-256 fingerprint (`AB:CD:…`), for logs. */
  fingerprint256: string;
  /** A digest of all the files' bytes: a reload with the same bytes changes nothing. */
  digest: string;
}

/** Reads the files as they are now; throws a `bad_request` LogwharfError saying which file is wrong. */
export function loadTlsMaterial(p: TlsFilePaths): TlsMaterial {
  const cert = read(p.certFile, 'tls.cert_file');
  const key = read(p.keyFile, 'tls.key_file');
  const ca = p.clientCaFile !== undefined ? read(p.clientCaFile, 'tls.client_ca_file') : undefined;
  const context: SecureContextOptions = { cert, key, minVersion: p.minVersion, ...(ca && { ca }) };
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (e) {
    throw new LogwharfError('bad_request', `tls.cert_file ${p.certFile} holds no PEM certificate (${(e as Error).message})`);
  }
  try {
    createSecureContext(context);
  } catch (e) {
    const why = (e as Error).message;
    const which = /key values mismatch/i.test(why) ? `tls.key_file ${p.keyFile} is not the key of tls.cert_file ${p.certFile}` : `the TLS files are not usable`;
    throw new LogwharfError('bad_request', `${which} (${why})`);
  }
  const digest = createHash('sha256').update(cert).update('\0').update(key).update('\0').update(ca ?? '').digest('hex');
  return { context, notAfter: Math.floor(Date.parse(x509.validTo) / 1000), fingerprint256: x509.fingerprint256, digest };
}

function read(file: string, key: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new LogwharfError('bad_request', `${key} ${file} cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
