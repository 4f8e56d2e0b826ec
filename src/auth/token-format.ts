/**
 * The token's text: `lwt_<id>_<secret>`. The recognisable prefix lets secret scanners find leaked
 * tokens; the id (16 hex digits, fixed length, so the `_` inside a base64url secret never confuses
 * the split) finds the stored row without scanning; the secret is 256 random bits in base64url.
 * Only SHA-256 of the secret is stored: with 256 bits of entropy a fast hash is enough (no
 * dictionary to try), and it keeps every request's check to microseconds.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const TOKEN_PREFIX = 'lwt_';
const ID_BYTES = 8;
const SECRET_BYTES = 32;
const TOKEN_RE = /^lwt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;

export interface ParsedToken {
  id: string;
  secret: string;
}

/** A fresh token id (not secret: it is listed, logged and used to revoke). */
export function newTokenId(): string {
  return randomBytes(ID_BYTES).toString('hex');
}

/** A fresh secret and the token text that carries it. */
export function newTokenText(id: string): { token: string; secretHash: Buffer } {
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  return { token: `${TOKEN_PREFIX}${id}_${secret}`, secretHash: hashSecret(secret) };
}

/** The id and secret of a token's text, or undefined when it is not one of ours. */
export function parseToken(text: string): ParsedToken | undefined {
  const m = TOKEN_RE.exec(text);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

export function hashSecret(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Constant-time comparison of a presented secret with the stored hash (both are 32 bytes). */
export function secretMatches(secret: string, storedHash: Buffer): boolean {
  const h = hashSecret(secret);
  return h.length === storedHash.length && timingSafeEqual(h, storedHash);
}
