/**
 * Who a client says it is, in one place for every HTTP client we ship (the CLI's LokiClient and
 * the agent's shipper), so the same settings send the same headers from both.
 *
 * The order, documented in README.md and docs/agent.md:
 *   1. a bearer token: its value, else the first line of its file → `Authorization: Bearer …`;
 *   2. otherwise basic auth, when a username is set: the password's value, else the first line of
 *      its file (empty when neither) → `Authorization: Basic …`;
 *   3. otherwise no Authorization header.
 * A bearer token wins over basic auth, as in logcli. The tenant is independent of both: set, it is
 * always sent as `X-Scope-OrgID`.
 */
import { readFileSync } from 'node:fs';

export interface Credentials {
  /** Sent as `X-Scope-OrgID`. */
  tenant?: string | undefined;
  bearerToken?: string | undefined;
  /** Read on every call: Kubernetes rotates mounted tokens. */
  bearerTokenFile?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
  /** Read on every call, like bearerTokenFile. */
  passwordFile?: string | undefined;
}

/** The `Authorization` header the credentials call for, or undefined (see the order above). */
export function authorizationHeader(c: Credentials): string | undefined {
  if (c.bearerToken !== undefined) return `Bearer ${c.bearerToken}`;
  if (c.bearerTokenFile !== undefined) return `Bearer ${readSecret(c.bearerTokenFile)}`;
  if (c.username === undefined) return undefined;
  const password = c.password ?? (c.passwordFile !== undefined ? readSecret(c.passwordFile) : '');
  return 'Basic ' + Buffer.from(`${c.username}:${password}`).toString('base64');
}

/** Tenant and authorization headers for one request. */
export function credentialHeaders(c: Credentials): Record<string, string> {
  const h: Record<string, string> = {};
  if (c.tenant !== undefined && c.tenant !== '') h['X-Scope-OrgID'] = c.tenant;
  const auth = authorizationHeader(c);
  if (auth !== undefined) h['Authorization'] = auth;
  return h;
}

/** A secret file's content without the trailing newline editors and `kubectl create secret` add. */
function readSecret(file: string): string {
  return readFileSync(file, 'utf8').trim();
}
