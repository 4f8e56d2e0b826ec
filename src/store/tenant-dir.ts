/**
 * Tenant names come from the `X-Scope-OrgID` header, so they are never used as paths directly.
 * Letters, digits, `_` and `-` are kept; every other byte of the UTF-8 name becomes `%HH` (so the
 * mapping is reversible and `.`, `..`, `/` or NUL cannot escape the data directory); very long
 * names are replaced by a hash. The real name is also written inside the directory.
 */
import { createHash } from 'node:crypto';

const MAX_NAME = 120;

export function tenantDirName(tenant: string): string {
  let out = 't-';
  for (const b of Buffer.from(tenant, 'utf8')) {
    const safe = (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b === 95 || b === 45;
    out += safe ? String.fromCharCode(b) : '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  if (out.length > MAX_NAME) out = 'h-' + createHash('sha256').update(tenant, 'utf8').digest('hex');
  return out;
}
