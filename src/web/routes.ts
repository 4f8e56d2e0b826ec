/**
 * Serves the web UI: its pages (one index.html; the browser code routes), its hashed assets with a
 * year of caching, and `GET /api/v1/ui/settings`, what the UI needs to know before its first call.
 * All public: a browser loads them before it knows the tenant. Compression is chosen from
 * Accept-Encoding among the copies made at build time (brotli, then gzip).
 */
import type { IncomingMessage } from 'node:http';
import type { RequestContext } from '../http/context.js';
import { sendJson } from '../http/context.js';
import type { Router } from '../http/router.js';
import { LogwharfError } from '../api/errors.js';
import type { UiAsset } from './assets.js';

/** The UI's pages; each answers index.html so a deep link or a reload works. */
export const UI_PAGES = ['/', '/explore', '/overview', '/sources', '/alerts'];

export interface UiSettings {
  version: string;
  authEnabled: boolean;
  /** `auth.tokens_enabled`: every call needs an access token; the UI asks for one. */
  tokensEnabled: boolean;
  features: { ruler: boolean; notifier: boolean; alertmanagerUrl: string };
  /**
   * Who this browser already is without a token, per request: a trusted proxy's user (single
   * sign-on) or a client certificate bound to a token. The UI then asks for no token.
   */
  signedInAs?: string | null;
}

/**
 * `ruler.alertmanager_url` as the (public) settings may show it: each comma-separated URL without
 * its `user:pass@`, which the sender uses as basic auth and which must never reach a browser.
 */
export function withoutCredentials(urls: string): string {
  return urls
    .split(',')
    .map((raw) => {
      const t = raw.trim();
      try {
        const u = new URL(t);
        u.username = '';
        u.password = '';
        return u.toString();
      } catch {
        return t.replace(/\/\/[^/@]*@/, '//');
      }
    })
    .filter((t) => t !== '')
    .join(',');
}

// The UI loads nothing from elsewhere (issue #10: works offline); CodeMirror adds <style> elements.
const SECURITY_HEADERS = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

export function registerUiRoutes(router: Router, assets: Map<string, UiAsset> | undefined, settings: UiSettings, signedInAs?: (req: IncomingMessage) => string | undefined): void {
  // Public: the Alertmanager URL's credentials stay on the server.
  const shown: UiSettings = { ...settings, features: { ...settings.features, alertmanagerUrl: withoutCredentials(settings.features.alertmanagerUrl) } };
  // It tells the caller only who the caller's own connection proves.
  router.add('GET', '/api/v1/ui/settings', (ctx) => sendJson(ctx, 200, { ...shown, signedInAs: signedInAs?.(ctx.req) ?? null }), { public: true });
  const notBuilt = () => {
    throw new LogwharfError('not_found', '404 page not found: the web UI is not built in this installation (run npm run build)');
  };
  for (const page of UI_PAGES) {
    router.add('GET', page, (ctx) => (assets ? send(ctx, assets.get('index.html')!, 'no-cache') : notBuilt()), { public: true });
  }
  router.add('GET', '/assets/*path', (ctx) => {
    const asset = assets?.get(`assets/${ctx.params.path}`);
    if (!asset) throw new LogwharfError('not_found', `404 page not found: ${ctx.url.pathname}`);
    // Names carry a content hash: a new build has new names, so these never need revalidating.
    send(ctx, asset, 'public, max-age=31536000, immutable');
  }, { public: true });
}

function send(ctx: RequestContext, asset: UiAsset, cacheControl: string): void {
  const headers: Record<string, string | number> = {
    'Content-Type': asset.contentType,
    'Cache-Control': cacheControl,
    ETag: asset.etag,
    Vary: 'Accept-Encoding',
    ...SECURITY_HEADERS,
  };
  if (ctx.req.headers['if-none-match'] === asset.etag) {
    ctx.res.writeHead(304, headers).end();
    return;
  }
  const accept = String(ctx.req.headers['accept-encoding'] ?? '');
  let body = asset.body;
  if (asset.brotli && acceptsEncoding(accept, 'br')) {
    body = asset.brotli;
    headers['Content-Encoding'] = 'br';
  } else if (asset.gzip && acceptsEncoding(accept, 'gzip')) {
    body = asset.gzip;
    headers['Content-Encoding'] = 'gzip';
  }
  headers['Content-Length'] = body.length;
  ctx.res.writeHead(200, headers).end(body);
}

/** Whether Accept-Encoding allows a coding (named, or `*`, with a q-value above 0). */
export function acceptsEncoding(header: string, coding: string): boolean {
  let star: boolean | undefined;
  for (const part of header.split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const ok = q === undefined || Number(q.slice(2)) > 0;
    if (name === coding) return ok;
    if (name === '*') star = ok;
  }
  return star ?? false;
}
