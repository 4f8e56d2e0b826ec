/**
 * The web UI's built files (dist/ui, made by scripts/build-ui.mjs), read into memory once: a few
 * hundred kilobytes, each with its gzip and brotli copy made at build time and a strong ETag.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface UiAsset {
  body: Buffer;
  gzip?: Buffer;
  brotli?: Buffer;
  contentType: string;
  etag: string;
}

/** dist/ui of this package, whether this module runs from src/web (tests) or dist/web (installed). */
export const DEFAULT_UI_DIR = fileURLToPath(new URL('../../dist/ui', import.meta.url));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** Path under the UI dir (with `/`) → asset; undefined when the UI is not built. */
export function loadUiAssets(dir = DEFAULT_UI_DIR): Map<string, UiAsset> | undefined {
  if (!existsSync(join(dir, 'index.html'))) return undefined;
  const out = new Map<string, UiAsset>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) {
        walk(p);
        continue;
      }
      if (name.endsWith('.gz') || name.endsWith('.br')) continue;
      const body = readFileSync(p);
      const asset: UiAsset = {
        body,
        contentType: TYPES[extname(name)] ?? 'application/octet-stream',
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      };
      if (existsSync(p + '.gz')) asset.gzip = readFileSync(p + '.gz');
      if (existsSync(p + '.br')) asset.brotli = readFileSync(p + '.br');
      out.set(relative(dir, p).split(sep).join('/'), asset);
    }
  };
  walk(dir);
  return out;
}
