/** A small method + path router: static segments and `:param` segments, nothing else. */
import type { RequestContext } from './context.js';

export type Handler = (ctx: RequestContext) => Promise<void> | void;

interface Route {
  methods: Set<string>;
  segments: string[];
  handler: Handler;
  /** Route name for metrics (the pattern, never the concrete path). */
  name: string;
}

export class Router {
  private readonly routes: Route[] = [];

  add(methods: string | string[], pattern: string, handler: Handler): this {
    const list = Array.isArray(methods) ? methods : [methods];
    this.routes.push({ methods: new Set(list), segments: split(pattern), handler, name: pattern });
    return this;
  }

  /** Finds the route; `methodMismatch` tells 405 from 404. */
  match(method: string, path: string): { route?: { handler: Handler; name: string; params: Record<string, string> }; methodMismatch: boolean } {
    const parts = split(path);
    let methodMismatch = false;
    for (const r of this.routes) {
      const params = matchSegments(r.segments, parts);
      if (!params) continue;
      if (!r.methods.has(method)) {
        methodMismatch = true;
        continue;
      }
      return { route: { handler: r.handler, name: r.name, params }, methodMismatch: false };
    }
    return { methodMismatch };
  }
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | null {
  if (pattern.length !== parts.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p.startsWith(':')) {
      try {
        params[p.slice(1)] = decodeURIComponent(parts[i]!);
      } catch {
        return null;
      }
    } else if (p !== parts[i]) return null;
  }
  return params;
}
