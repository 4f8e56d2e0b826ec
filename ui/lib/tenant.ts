/** The tenant the UI sends as X-Scope-OrgID, kept in localStorage; empty when the server needs none. */
const KEY = 'logwharf.tenant';

export function getTenant(): string {
  try {
    return localStorage.getItem(KEY) ?? '';
  } catch {
    return '';
  }
}

export function setTenant(tenant: string): void {
  localStorage.setItem(KEY, tenant.trim());
}

/**
 * The access token (issue #11, `auth.tokens_enabled`), sent as `Authorization: Bearer` and, on the
 * live tail's WebSocket (browsers cannot set headers there), as the `access_token` query parameter.
 * Kept in sessionStorage: it is a credential, so it lasts only as long as the browser tab.
 */
const TOKEN_KEY = 'logwharf.token';

export function getToken(): string {
  try {
    return sessionStorage.getItem(TOKEN_KEY) ?? '';
  } catch {
    return '';
  }
}

export function setToken(token: string): void {
  if (token.trim()) sessionStorage.setItem(TOKEN_KEY, token.trim());
  else sessionStorage.removeItem(TOKEN_KEY);
}
