/**
 * The metrics token (issue #11): with `auth.metrics_token_file`, /metrics needs
 * `Authorization: Bearer <the file's content>` or an admin token — 401 otherwise, 403 for a token of
 * another role — whether or not `auth.tokens_enabled` is on; /ready stays public. The file is
 * re-read when it changes (rotation), an unusable file fails closed, guessing is
 * rate-limited like tokens, and a real Prometheus scrapes with `authorization.credentials_file`.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startServer, removeDir, runCli, tempDir, type RunningServer } from './helpers/server.js';
import { createTestTokens, type TestTokens } from './helpers/tokens.js';
import { captureLog } from '../helpers/log-capture.js';
import { waitFor } from '../helpers/wait-for.js';
import { startPrometheus } from '../helpers/prometheus.js';
import { parseExposition, samplesOf } from '../helpers/exposition.js';

const SCRAPE = 'scrape-token-6f1d2c9a8b7e4f30';
const ROTATED = 'scrape-token-rotated-a1b2c3d4e5f6';

let dir: string;
let tokenFile: string;
let server: RunningServer;
let tokens: TestTokens;
const log = captureLog('info');

before(async () => {
  dir = tempDir('metrics-token-');
  tokenFile = join(dir, 'metrics-token');
  // A trailing newline, as `echo` or `openssl rand -hex 32 >` leave it.
  writeFileSync(tokenFile, `${SCRAPE}\n`);
  const data = join(dir, 'data');
  tokens = createTestTokens(data, [{ role: 'admin', tenants: ['team-a'] }, { role: 'read', tenants: ['team-a'] }]);
  // Tokens are off for the API: the metrics token guards /metrics by itself.
  server = await startServer({ data, auth: { metrics_token_file: tokenFile } }, { log: log.log });
});
after(async () => {
  await server.close();
  removeDir(dir);
});

async function get(url: string, path: string, authorization?: string): Promise<{ status: number; text: string; challenge: string | null; retryAfter: string | null }> {
  const res = await fetch(url + path, { headers: authorization ? { Authorization: authorization } : {} });
  return { status: res.status, text: await res.text(), challenge: res.headers.get('www-authenticate'), retryAfter: res.headers.get('retry-after') };
}

test('/metrics needs the metrics token or an admin token; /ready and the rest of the API are as before', async () => {
  const none = await get(server.url, '/metrics');
  assert.equal(none.status, 401);
  assert.equal(none.challenge, 'Bearer realm="logwharf"');
  assert.match(none.text, /needs the metrics token/);
  assert.doesNotMatch(none.text, /logwharf_/, 'no metrics in the refusal');
  assert.equal((await get(server.url, '/metrics', `Bearer ${SCRAPE}x`)).status, 401);
  assert.equal((await get(server.url, '/metrics', `Bearer ${SCRAPE.slice(0, -1)}`)).status, 401);
  assert.equal((await get(server.url, '/metrics', `Basic ${Buffer.from(`${SCRAPE}:`).toString('base64')}`)).status, 401, 'the token as basic-auth user name is not the password');
  const ok = await get(server.url, '/metrics', `Bearer ${SCRAPE}`);
  assert.equal(ok.status, 200);
  assert.match(ok.text, /^logwharf_process_cpu_seconds_total /m);
  assert.equal((await get(server.url, '/metrics', `Basic ${Buffer.from(`prometheus:${SCRAPE}`).toString('base64')}`)).status, 200, 'as a basic-auth password too');
  assert.equal((await get(server.url, '/metrics', `Bearer ${tokens.secret('admin', 'team-a')}`)).status, 200);
  const reader = await get(server.url, '/metrics', `Bearer ${tokens.secret('read', 'team-a')}`);
  assert.equal(reader.status, 403);
  assert.match(reader.text, /needs the metrics token or the admin role, the token has read/);
  assert.equal((await get(server.url, '/ready')).status, 200);
  assert.equal((await get(server.url, '/loki/api/v1/status/buildinfo')).status, 200);
  assert.equal((await get(server.url, '/loki/api/v1/labels')).status, 200, 'tokens are off: the API is open as before');
  for (const line of log.texts) assert.equal(line.includes(SCRAPE), false, 'the metrics token is never logged');
});

test('a rotated token file acts from the next request on; an unusable file fails closed until it is fixed', async () => {
  const next = join(dir, 'metrics-token.next');
  writeFileSync(next, ROTATED);
  renameSync(next, tokenFile);
  const at = Date.now();
  await waitFor('the rotated token accepted', async () => (await get(server.url, '/metrics', `Bearer ${ROTATED}`)).status === 200, { timeoutMs: 2000 });
  assert.ok(Date.now() - at < 2000);
  assert.equal((await get(server.url, '/metrics', `Bearer ${SCRAPE}`)).status, 401, 'the old token is refused');

  rmSync(tokenFile);
  await waitFor('the token refused without its file', async () => (await get(server.url, '/metrics', `Bearer ${ROTATED}`)).status === 401, { timeoutMs: 2000 });
  const asAdmin = await get(server.url, '/metrics', `Bearer ${tokens.secret('admin', 'team-a')}`);
  assert.equal(asAdmin.status, 200, 'admins still scrape');
  assert.equal(samplesOf(parseExposition(asAdmin.text), 'logwharf_auth_metrics_token_file_usable')[0]?.value, 0);
  const errors = log.lines.filter((l) => l.msg === 'metrics token file unusable; only admin tokens may read /metrics until it is fixed');
  assert.equal(errors.length, 1, 'logged once, not per scrape');
  assert.match(String(errors[0]!.err), /ENOENT/);
  writeFileSync(tokenFile, 'short');
  assert.equal((await get(server.url, '/metrics', 'Bearer short')).status, 401);
  assert.ok(log.lines.some((l) => /at least 16 characters/.test(String(l.err))), 'the reason is logged');
  writeFileSync(tokenFile, ROTATED);
  const fixed = await get(server.url, '/metrics', `Bearer ${ROTATED}`);
  assert.equal(fixed.status, 200, 'the fixed file is read at the next request');
  assert.equal(samplesOf(parseExposition(fixed.text), 'logwharf_auth_metrics_token_file_usable')[0]?.value, 1);
});

test('guessing the metrics token is limited per address: after 10 misses even the right one gets 429', async (t) => {
  const own = join(dir, 'guess-token');
  writeFileSync(own, SCRAPE);
  const s = await startServer({ auth: { metrics_token_file: own } });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  for (let i = 0; i < 10; i++) assert.equal((await get(s.url, '/metrics', `Bearer guess-${i}-0000000000000000`)).status, 401);
  const blocked = await get(s.url, '/metrics', `Bearer ${SCRAPE}`);
  assert.equal(blocked.status, 429);
  assert.ok(Number(blocked.retryAfter) > 0, `Retry-After ${blocked.retryAfter}`);
  assert.equal((await get(s.url, '/ready')).status, 200);
});

test('a missing or too short token file stops the start with the file named', async (t) => {
  const cdir = tempDir('metrics-token-config-');
  t.after(() => removeDir(cdir));
  const short = join(cdir, 'short');
  writeFileSync(short, '0123456789\n');
  const cases: Array<[string, RegExp]> = [
    [join(cdir, 'absent'), /auth\.metrics_token_file .*absent: ENOENT/],
    [short, /auth\.metrics_token_file .*short: the token must be at least 16 characters/],
  ];
  for (const [i, [file, want]] of cases.entries()) {
    const config = join(cdir, `c${i}.yaml`);
    writeFileSync(config, stringify({ auth: { metrics_token_file: file } }));
    const r = await runCli(['server', '--config', config, '--data', join(cdir, `d${i}`), '--listen', '127.0.0.1:0']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, want);
  }
});

test('a real Prometheus scrapes with authorization.credentials_file; without it, or with a wrong one, the target is down with 401', async (t) => {
  const pdir = tempDir('metrics-token-prom-');
  t.after(() => removeDir(pdir));
  const good = join(pdir, 'good');
  const wrong = join(pdir, 'wrong');
  writeFileSync(good, `${SCRAPE}\n`);
  writeFileSync(wrong, 'not-the-scrape-token-at-all');
  const s = await startServer({ auth: { metrics_token_file: good } });
  t.after(async () => (await s.close(), removeDir(s.dir)));
  const target = new URL(s.url).host;
  const job = (name: string, credentials?: string) => ({
    job_name: name,
    scrape_interval: '1s',
    scrape_timeout: '1s',
    static_configs: [{ targets: [target] }],
    ...(credentials !== undefined && { authorization: { type: 'Bearer', credentials_file: credentials } }),
  });
  const prom = await startPrometheus(t, { scrapeConfigs: [job('with-token', good), job('no-token'), job('wrong-token', wrong)] });
  if (!prom) return;
  t.after(() => prom.close());
  const targets = await waitFor('all three targets scraped', async () => {
    const ts = await prom.targets();
    return ts.length === 3 && ts.every((x) => x.health !== 'unknown') ? ts : undefined;
  }, { timeoutMs: 30_000 });
  const byJob = Object.fromEntries(targets.map((x) => [x.scrapePool, x]));
  assert.equal(byJob['with-token']!.health, 'up', byJob['with-token']!.lastError);
  for (const j of ['no-token', 'wrong-token']) {
    assert.equal(byJob[j]!.health, 'down', j);
    assert.match(byJob[j]!.lastError, /401/, j);
  }
});
