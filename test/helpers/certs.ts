/**
 * Certificates for TLS tests, made by the openssl CLI in a directory: CAs, server certificates with
 * subjectAltNames, client certificates, expired ones (`days: -1` puts notAfter in the past). EC
 * P-256 keys: quick to make, and what cert-manager issues by default nowadays.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths of a certificate and its key. */
export interface CertFiles {
  cert: string;
  key: string;
}

export interface Ca extends CertFiles {
  name: string;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** A self-signed CA named `name` (files `<name>.pem`, `<name>.key` in `dir`). */
export function makeCa(dir: string, name: string): Ca {
  openssl(dir, ['req', '-x509', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { name, cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

export interface IssueOptions {
  /** serverAuth or clientAuth in extendedKeyUsage. */
  usage: 'server' | 'client';
  /** subjectAltName entries, e.g. ['IP:127.0.0.1', 'DNS:localhost']. */
  san?: string[];
  /** Validity from now; -1 makes a certificate that expired a day ago. Default 1. */
  days?: number;
  /** Subject, default `/CN=<name>`. */
  subject?: string;
}

/** A certificate `name` signed by `ca` (files `<name>.pem`, `<name>.key` in `dir`). */
export function issueCert(dir: string, ca: Ca, name: string, o: IssueOptions): CertFiles {
  openssl(dir, ['req', ...KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', o.subject ?? `/CN=${name}`]);
  const ext = [`extendedKeyUsage=${o.usage === 'server' ? 'serverAuth' : 'clientAuth'}`, ...(o.san?.length ? [`subjectAltName=${o.san.join(',')}`] : [])];
  writeFileSync(join(dir, `${name}.ext`), ext.join('\n') + '\n');
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', `${name}.pem`, '-days', String(o.days ?? 1), '-extfile', `${name}.ext`]);
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
}

/** A server certificate for this machine's loopback names. */
export function issueLocalServerCert(dir: string, ca: Ca, name = 'server'): CertFiles {
  return issueCert(dir, ca, name, { usage: 'server', san: ['IP:127.0.0.1', 'DNS:localhost'] });
}

/** The SHA-256 fingerprint of a PEM certificate file, as node prints it (`AB:CD:…`). */
export function fingerprintOf(certFile: string): string {
  return new X509Certificate(readFileSync(certFile)).fingerprint256;
}
