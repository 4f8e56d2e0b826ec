/**
 * What a new token may be, checked once for the CLI (`logwharf token create`) and the admin API
 * (`POST /api/v1/tokens`): a name, one role, one or more valid tenant ids, an optional lifetime,
 * an optional client-certificate CN.
 */
import { LogwharfError } from '../api/errors.js';
import { parseGoDuration, parsePromDuration } from '../api/duration.js';
import { NS_PER_MS } from '../api/time-units.js';
import { ROLES, type Role } from '../http/identity.js';
import { isValidTenantId } from '../http/server.js';
import type { NewToken } from './token-store.js';
import { checkCertCn } from './token-cert-cn.js';

export const MAX_TOKEN_NAME_CHARS = 100;
/** Longer lifetimes are refused rather than overflowing dates: a century is "never" in practice. */
const MAX_LIFETIME_MS = 100 * 365 * 86_400_000;
const MAX_TENANTS = 1000;

export interface TokenSpecInput {
  name?: string | undefined;
  role?: string | undefined;
  tenants?: string[] | undefined;
  /** A duration from now: `90d`, `12h`, `1h30m`. */
  expiresIn?: string | undefined;
  /** A client-certificate subject CN the token answers for (src/auth/token-cert-cn.ts). */
  certCn?: string | undefined;
}

/** The token to create, or a `bad_request` naming what is wrong (the CLI prints it as a usage error). */
export function tokenSpec(input: TokenSpecInput, now: number): NewToken {
  const role = input.role;
  if (role === undefined) throw bad(`role is required: one of ${ROLES.join(', ')}`);
  if (!(ROLES as readonly string[]).includes(role)) throw bad(`role "${role}" is not one of ${ROLES.join(', ')}`);
  const tenants = input.tenants ?? [];
  if (tenants.length === 0) throw bad('at least one tenant is required');
  if (tenants.length > MAX_TENANTS) throw bad(`at most ${MAX_TENANTS} tenants per token`);
  for (const t of tenants) {
    if (!isValidTenantId(t)) throw bad(`tenant "${t.slice(0, 160)}" is not a valid tenant id: use 1-150 characters of [A-Za-z0-9!-_.*'()]`);
  }
  const name = input.name;
  if (name !== undefined) {
    if (name.length === 0 || name.length > MAX_TOKEN_NAME_CHARS || /[\p{Cc}\p{Cf}]/u.test(name)) {
      throw bad(`name must be 1-${MAX_TOKEN_NAME_CHARS} printable characters`);
    }
    // `token revoke <id|name>` tries ids first; a name shaped like an id would be unreachable.
    if (/^[0-9a-f]{16}$/.test(name)) throw bad(`name "${name}" looks like a token id; choose another`);
  }
  let expiresAt: number | undefined;
  if (input.expiresIn !== undefined) {
    const ns = parsePromDuration(input.expiresIn) ?? parseGoDuration(input.expiresIn);
    if (ns === undefined || ns <= 0n) throw bad(`expiry "${input.expiresIn}" is not a positive duration (e.g. 90d, 12h, 30m)`);
    if (ns / NS_PER_MS > BigInt(MAX_LIFETIME_MS)) throw bad(`expiry "${input.expiresIn}" is longer than 100 years; leave it out for a token that never expires`);
    expiresAt = now + Number(ns / NS_PER_MS);
  }
  const certCn = input.certCn !== undefined ? checkCertCn(input.certCn) : undefined;
  return { name, role: role as Role, tenants: [...new Set(tenants)], expiresAt, certCn };
}

function bad(message: string): LogwharfError {
  return new LogwharfError('bad_request', message);
}
