/**
 * The server serves the web UI (issue #10): pages at their deep links, hashed assets compressed and
 * cached for a year, the settings the UI reads first, no tenant needed, and a clear 404 when turned off.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import { request } from 'node:http';
import { startServer, removeDir } from '../helpers/server.js';

/** A raw GET (fetch would decompress and hide Content-Encoding). */
function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('every page answers the app shell without a tenant, even with auth_enabled; assets are compressed, hashed and cached', async (t) => {
  const s = await startServer({ auth_enabled: true });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  for (const page of ['/', '/explore', '/overview', '/sources', '/alerts']) {
    const res = await get(s.url + page + '?query=%7Bjob%3D%22x%22%7D');
    assert.equal(res.status, 200, page);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.equal(res.headers['cache-control'], 'no-cache');
    assert.match(String(res.headers['content-security-policy']), /default-src 'self'/);
    assert.match(res.body.toString(), /<div id="app">/);
  }
  const html = (await get(s.url + '/explore')).body.toString();
  const js = /src="(\/assets\/app-[A-Z0-9]+\.js)"/.exec(html)?.[1];
  assert.ok(js, 'index.html names a hashed script');
  const plain = await get(s.url + js);
  assert.equal(plain.status, 200);
  assert.equal(plain.headers['content-encoding'], undefined);
  assert.equal(plain.headers['cache-control'], 'public, max-age=31536000, immutable');
  const gz = await get(s.url + js, { 'Accept-Encoding': 'gzip' });
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.deepEqual(gunzipSync(gz.body), plain.body);
  const br = await get(s.url + js, { 'Accept-Encoding': 'gzip, deflate, br' });
  assert.equal(br.headers['content-encoding'], 'br');
  assert.deepEqual(brotliDecompressSync(br.body), plain.body);
  assert.equal((await get(s.url + js, { 'Accept-Encoding': 'br;q=0, gzip' })).headers['content-encoding'], 'gzip');
  const again = await get(s.url + js, { 'If-None-Match': String(plain.headers.etag) });
  assert.equal(again.status, 304);
  assert.equal(again.body.length, 0);
  assert.equal((await get(s.url + '/assets/nope.js')).status, 404);
  assert.equal((await get(s.url + '/assets/..%2F..%2Fpackage.json')).status, 404);
  const settings = JSON.parse((await get(s.url + '/api/v1/ui/settings')).body.toString()) as { authEnabled: boolean; version: string };
  assert.equal(settings.authEnabled, true);
  assert.match(settings.version, /^\d+\.\d+\.\d+/);
  // The Loki API still needs the tenant.
  assert.equal((await get(s.url + '/loki/api/v1/labels')).status, 401);
});

test('with ui.enabled false the pages and assets are 404 and the APIs still answer', async (t) => {
  const s = await startServer({ ui: { enabled: false } });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  assert.equal((await get(s.url + '/')).status, 404);
  assert.equal((await get(s.url + '/explore')).status, 404);
  assert.equal((await get(s.url + '/api/v1/ui/settings')).status, 404);
  assert.equal((await get(s.url + '/loki/api/v1/labels')).status, 200);
});
