/** What the server tells the UI about itself (`GET /api/v1/ui/settings`, public): loaded once at start. */
export interface UiSettings {
  version: string;
  /** When true every call needs a tenant (X-Scope-OrgID). */
  authEnabled: boolean;
  /** When true every call needs an access token (`auth.tokens_enabled`); the UI asks for one. */
  tokensEnabled: boolean;
  /**
   * Who this browser already is without a token (a single sign-on proxy's user, or a client
   * certificate bound to a token); the UI then asks for no token.
   */
  signedInAs?: string | null;
  /**
   * Which optional APIs this server serves, so pages say what is missing instead of failing:
   * `ruler` (rules and alerts APIs), `notifier` (the built-in Alertmanager subset receives the
   * alerts; false when `alertmanagerUrl` names an external Alertmanager).
   */
  features: { ruler: boolean; notifier: boolean; alertmanagerUrl: string };
}

export async function loadSettings(): Promise<UiSettings> {
  const res = await fetch('/api/v1/ui/settings');
  if (!res.ok) throw new Error(`GET /api/v1/ui/settings answered ${res.status}`);
  return (await res.json()) as UiSettings;
}
