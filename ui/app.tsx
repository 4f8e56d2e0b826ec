/** The shell: the navigation bar, the tenant chooser when the server needs one, and the current page. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { navigate, PAGES, useRoute, type PageName } from './lib/route.js';
import { loadSettings, type UiSettings } from './lib/settings.js';
import { getTenant, getToken, setTenant, setToken } from './lib/tenant.js';
import { ExplorePage } from './pages/explore/explore.js';
import { OverviewPage } from './pages/overview/overview.js';
import { SourcesPage } from './pages/sources/sources.js';
import { AlertsPage } from './pages/alerts/alerts.js';

const TITLES: Record<PageName, string> = { explore: 'Explore', overview: 'Overview', sources: 'Sources', alerts: 'Alerts' };

export function App() {
  const route = useRoute();
  const [settings, setSettings] = useState<UiSettings | undefined>();
  const [error, setError] = useState<string | undefined>();
  const [tenant, setTenantState] = useState(getTenant());
  const [token, setTokenState] = useState(getToken());
  useEffect(() => {
    loadSettings().then(setSettings, (e: Error) => setError(`Could not reach the server: ${e.message}`));
  }, []);
  useEffect(() => {
    document.title = route.page === 'not-found' ? 'logwharf' : `${TITLES[route.page]} · logwharf`;
  }, [route.page]);
  const chooseTenant = (t: string) => {
    setTenant(t);
    setTenantState(t);
  };
  const chooseToken = (t: string) => {
    setToken(t);
    setTokenState(t);
  };
  const needsToken = settings?.tokensEnabled === true && !settings.signedInAs && token === '';
  const needsTenant = !needsToken && settings?.authEnabled === true && settings.tokensEnabled !== true && tenant === '';
  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="/explore" onClick={(e) => (e.preventDefault(), navigate('explore'))}>
          logwharf
        </a>
        <nav>
          {PAGES.map((p) => (
            <a
              key={p}
              href={`/${p}`}
              class={route.page === p ? 'active' : ''}
              aria-current={route.page === p ? 'page' : undefined}
              onClick={(e) => {
                if (e.ctrlKey || e.metaKey || e.shiftKey) return;
                e.preventDefault();
                navigate(p);
              }}
            >
              {TITLES[p]}
            </a>
          ))}
        </nav>
        <span class="spacer" />
        {(settings?.authEnabled || settings?.tokensEnabled) && <TenantButton tenant={tenant} onChange={chooseTenant} />}
        {settings?.tokensEnabled && token !== '' && (
          <button class="sign-out" title="Forget the access token in this tab" onClick={() => chooseToken('')}>
            Sign out
          </button>
        )}
        {settings?.signedInAs && token === '' && (
          <span class="signed-in" title="Signed in by your single sign-on proxy or client certificate">
            {settings.signedInAs}
          </span>
        )}
        {settings && <span class="version">v{settings.version}</span>}
      </header>
      {/* Keyed by tenant: choosing another tenant remounts the page, so it loads that tenant's data. */}
      <main class="page" key={`${tenant}|${token}`}>
        {error && <div class="error-box" role="alert">{error}</div>}
        {needsToken ? (
          <TokenForm onChoose={chooseToken} />
        ) : needsTenant ? (
          <TenantForm onChoose={chooseTenant} />
        ) : !settings ? null : route.page === 'explore' ? (
          <ExplorePage params={route.params} settings={settings} />
        ) : route.page === 'overview' ? (
          <OverviewPage settings={settings} />
        ) : route.page === 'sources' ? (
          <SourcesPage settings={settings} />
        ) : route.page === 'alerts' ? (
          <AlertsPage settings={settings} />
        ) : (
          <div class="empty">
            This page does not exist. Go to <a href="/explore">Explore</a>.
          </div>
        )}
      </main>
    </div>
  );
}

/** The one form the shell asks a credential with: a tenant (auth_enabled) or an access token (auth.tokens_enabled). */
function CredentialForm(props: { title: string; intro: ComponentChildren; label: string; name: string; secret?: boolean; submit: string; onChoose: (v: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="tenant-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (value.trim()) props.onChoose(value.trim());
      }}
    >
      <h2>{props.title}</h2>
      <p>{props.intro}</p>
      <label>
        {/* Preact types `type` per input kind; both kinds here take the same attributes. */}
        {props.label}{' '}
        <input name={props.name} type={(props.secret ? 'password' : 'text') as 'text'} autoComplete={props.secret ? 'off' : undefined} value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} autoFocus />
      </label>
      <button type="submit">{props.submit}</button>
    </form>
  );
}

const TenantForm = ({ onChoose }: { onChoose: (t: string) => void }) => (
  <CredentialForm
    title="Choose a tenant"
    intro="This server has auth_enabled: every request names a tenant (the X-Scope-OrgID header). Which tenant's logs do you want to see?"
    label="Tenant"
    name="tenant"
    submit="Use this tenant"
    onChoose={onChoose}
  />
);

const TokenForm = ({ onChoose }: { onChoose: (t: string) => void }) => (
  <CredentialForm
    title="Sign in"
    intro={
      <>
        This server needs an access token (auth.tokens_enabled). An admin makes one with <code>logwharf token create</code>; it is kept only while this tab is open.
      </>
    }
    label="Access token"
    name="token"
    secret
    submit="Sign in"
    onChoose={onChoose}
  />
);

function TenantButton({ tenant, onChange }: { tenant: string; onChange: (t: string) => void }) {
  return (
    <button
      class="tenant-button"
      title="The tenant sent as X-Scope-OrgID"
      onClick={() => {
        const t = prompt('Tenant (X-Scope-OrgID)', tenant);
        if (t !== null && t.trim()) onChange(t.trim());
      }}
    >
      tenant: {tenant || '—'}
    </button>
  );
}
