/**
 * A token as `logwharf token list --output json` prints it and `GET /api/v1/tokens` answers it:
 * never the secret nor its hash; times in RFC 3339, absent ones null.
 */
import type { Role } from '../http/identity.js';
import type { TokenInfo } from './token-store.js';

export interface WireToken {
  id: string;
  name: string;
  role: Role;
  tenants: string[];
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  /** The client-certificate subject CN bound to the token, if any. */
  cert_cn: string | null;
}

export function wireToken(t: TokenInfo): WireToken {
  const iso = (ms: number | undefined) => (ms !== undefined ? new Date(ms).toISOString() : null);
  return {
    id: t.id,
    name: t.name,
    role: t.role,
    tenants: t.tenants,
    created_at: iso(t.createdAt)!,
    expires_at: iso(t.expiresAt),
    revoked_at: iso(t.revokedAt),
    last_used_at: iso(t.lastUsedAt),
    cert_cn: t.certCn ?? null,
  };
}
