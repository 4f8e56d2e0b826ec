/**
 * The endpoints the ruler sends to, from its settings: a client of the one HTTP client
 * (src/api/client.ts) aimed at one full endpoint URL. Credentials written into a URL
 * (`http://user:pass@am:9093`) become basic auth, as Prometheus reads them, since fetch refuses
 * URLs that carry them; the URL shown in metrics and logs never carries them.
 */
import { LokiClient } from '../api/client.js';

export interface PeerEndpoint {
  client: LokiClient;
  /** Path (with query) under the client's base URL. */
  path: string;
  /** The endpoint URL without credentials: the `alertmanager` label, and what log lines name. */
  url: string;
}

const ALERTS_PATH = '/api/v2/alerts';

/** Parses a URL setting; throws naming the setting when it is not an http(s) URL. */
export function parsePeerUrl(text: string, setting: string): URL {
  let u: URL;
  try {
    u = new URL(text.trim());
  } catch {
    throw new Error(`invalid ${setting} "${text}": want a URL such as http://host:port`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`invalid ${setting} "${text}": the scheme must be http or https`);
  return u;
}

/** A client for the endpoint `u` (a full URL), with `timeoutMs` per request. */
export function peerEndpoint(u: URL, opts: { timeoutMs: number; userAgent: string }): PeerEndpoint {
  const username = u.username !== '' ? decodeURIComponent(u.username) : undefined;
  const password = u.password !== '' ? decodeURIComponent(u.password) : undefined;
  const clean = new URL(u.href);
  clean.username = '';
  clean.password = '';
  const cut = clean.pathname.lastIndexOf('/') + 1;
  const base = new URL(clean.href);
  base.pathname = clean.pathname.slice(0, cut);
  base.search = '';
  const client = new LokiClient({
    addr: base.href,
    timeoutMs: opts.timeoutMs,
    headers: { 'User-Agent': opts.userAgent },
    ...(username !== undefined && { username, password: password ?? '' }),
  });
  return { client, path: clean.pathname.slice(cut) + clean.search, url: clean.href };
}

/**
 * `ruler.alertmanager_url` as Loki reads it: comma-separated Alertmanager base URLs, each path a
 * prefix under which the v2 API lives (`http://gw/alertmanager` → `http://gw/alertmanager/api/v2/alerts`).
 * A trailing slash, or the full alerts path itself, is accepted too.
 */
export function alertmanagerAlertsUrls(setting: string): URL[] {
  const urls: URL[] = [];
  for (const part of setting.split(',')) {
    if (part.trim() === '') continue;
    const u = parsePeerUrl(part, 'ruler.alertmanager_url');
    let prefix = u.pathname.replace(/\/+$/, '');
    if (prefix.endsWith(ALERTS_PATH)) prefix = prefix.slice(0, -ALERTS_PATH.length);
    u.pathname = prefix + ALERTS_PATH;
    urls.push(u);
  }
  if (urls.length === 0) throw new Error('ruler.alertmanager_url is empty: want one or more Alertmanager URLs, comma-separated');
  return urls;
}
