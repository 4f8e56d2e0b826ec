/**
 * Binding a token to a client certificate (issue #11: "an mTLS client certificate mapped to a
 * token's identity"). A token may name one certificate subject Common Name; a request that carries
 * no Authorization header, over a connection whose client certificate verified against
 * `tls.client_ca_file` and whose subject CN is exactly that name, acts as the token.
 *
 * Why the CN and not the fingerprint: cert-manager and similar tools renew certificates (new key,
 * new fingerprint) under the same CA and subject every few weeks; a binding by fingerprint would
 * break at every renewal, one by CN survives it. The CA is what makes the CN trustworthy, so only
 * certificates `client_ca_file` verified are ever mapped (src/http/peer.ts). The CN is global across
 * tenants: at most one active token per CN (a unique index), so one certificate never means two
 * identities.
 *
 * This file holds the CN's validation and its schema step. The step is a column check rather than a
 * schema-version bump, so it stays independent of other steps on the same file: a tokens.db made
 * before this existed (no `cert_cn` column) gains the column and its index when it is opened.
 */
import type Database from 'better-sqlite3';
import { LogwharfError } from '../api/errors.js';

/** X.509's upper bound for a Common Name (RFC 5280, ub-common-name). */
export const MAX_CERT_CN_CHARS = 64;

/** The CN to bind, or a `bad_request` naming what is wrong. */
export function checkCertCn(cn: string): string {
  if (cn.length === 0 || cn.length > MAX_CERT_CN_CHARS || /[\p{Cc}\p{Cf}]/u.test(cn) || cn.trim() !== cn) {
    throw new LogwharfError('bad_request', `certificate CN must be 1-${MAX_CERT_CN_CHARS} printable characters without leading or trailing spaces`);
  }
  return cn;
}

/** Adds `cert_cn` and its unique index to the tokens table when they are missing (idempotent). */
export function migrateCertCn(db: Database.Database): void {
  const has = () => (db.prepare('PRAGMA table_info(tokens)').all() as Array<{ name: string }>).some((c) => c.name === 'cert_cn');
  if (has()) return;
  // Checked again under the write lock: the server and `logwharf token` may open an old file at once.
  db.transaction(() => {
    if (has()) return;
    db.exec('ALTER TABLE tokens ADD COLUMN cert_cn TEXT');
    // Revoked tokens free their CN for a replacement, as they free their name.
    db.exec('CREATE UNIQUE INDEX tokens_active_cert_cn ON tokens (cert_cn) WHERE revoked_ms IS NULL AND cert_cn IS NOT NULL');
  }).immediate();
}

/** The error for a second active token on one CN (it does not say which token holds it). */
export function certCnTaken(cn: string): LogwharfError {
  return new LogwharfError('bad_request', `a token bound to certificate CN "${cn}" exists already: revoke it first (at most one active token per CN)`);
}
