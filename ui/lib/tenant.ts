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
