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

/**
 * The tenant name a directory name stands for, when it can be told from it (`t-` names are
 * reversible; hashed `h-` names are not). Used to check and repair a damaged `tenant` file.
 */
export function tenantFromDirName(dir: string): string | undefined {
  if (!dir.startsWith('t-')) return undefined;
  const bytes: number[] = [];
  for (let i = 2; i < dir.length; i++) {
    if (dir[i] === '%') {
      const b = Number.parseInt(dir.slice(i + 1, i + 3), 16);
      if (Number.isNaN(b)) return undefined;
      bytes.push(b);
      i += 2;
    } else bytes.push(dir.charCodeAt(i));
  }
  const name = Buffer.from(bytes).toString('utf8');
  return tenantDirName(name) === dir ? name : undefined;
}
