/**
 * The UI's location: the page is the path, and the page's whole state lives in the query string, so
 * a link reproduces the view (`/explore?query=…&from=now-1h&to=now`). One store, read with `useRoute`.
 */
import { useEffect, useState } from 'preact/hooks';

export type PageName = 'explore' | 'overview' | 'sources' | 'alerts';
export const PAGES: PageName[] = ['explore', 'overview', 'sources', 'alerts'];

export interface Route {
  page: PageName | 'not-found';
  params: URLSearchParams;
}

function current(): Route {
  const path = location.pathname.replace(/\/+$/, '');
  const name = path === '' ? 'explore' : path.slice(1);
  const page = (PAGES as string[]).includes(name) ? (name as PageName) : 'not-found';
  return { page, params: new URLSearchParams(location.search) };
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

/** Goes to a page with the given state; `replace` rewrites the current history entry (typing, zoom steps). */
export function navigate(page: PageName, params: Record<string, string | undefined> | URLSearchParams = {}, replace = false): void {
  const search = params instanceof URLSearchParams ? params : new URLSearchParams(Object.entries(params).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
  const qs = search.toString();
  const url = `/${page}${qs ? `?${qs}` : ''}`;
  if (url === location.pathname + location.search) return;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  listeners.forEach((l) => l());
}

/** The current route; re-renders the caller when it changes. */
export function useRoute(): Route {
  const [route, setRoute] = useState(current);
  useEffect(() => {
    const l = () => setRoute(current());
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return route;
}
