/**
 * Loki's `GET /config` (issue #12) against the real server on port 0: the running configuration as
 * YAML (file, defaults and overrides merged), `mode=diff` and `mode=defaults` as in Loki, admin
 * only, and no secret in any mode — the notifier's Slack and webhook URLs, passwords in URLs, and
 * the metrics token file's content (only its path is configuration).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { startServer, removeDir, tempDir } from './helpers/server.js';
import { createTestTokens } from './helpers/tokens.js';

const SECRETS = {
  slack: 'https://hooks.slack.com/services/T0/B0/slack-secret-7f3a9c',
  webhook: 'http://127.0.0.1:9/hooks/webhook-secret-51be',
  amPassword: 'am-password-c0ffee',
  rwPassword: 'rw-password-beef42',
  metricsToken: 'metrics-token-secret-0123456789',
};

test('GET /config: the running config as YAML, diff and defaults modes, admins only, secrets never shown', async (t) => {
  const dir = tempDir('logwharf-config-api-');
  const tokens = createTestTokens(dir, [
    { role: 'admin', tenants: ['team-a'] },
    { role: 'admin', tenants: ['team-b'] },
    { role: 'read', tenants: ['team-a'] },
  ]);
  const metricsTokenFile = join(dir, 'metrics-token');
  writeFileSync(metricsTokenFile, SECRETS.metricsToken);
  const s = await startServer({
    data: dir,
    auth: {
      tokens_enabled: true,
      metrics_token_file: metricsTokenFile,
      proxy: { trusted_proxies: ['10.9.9.9'], groups: [{ group: 'ops-a', tenants: ['team-a'], role: 'admin' }] },
    },
    limits: { max_query_series: 50 },
    retention: { period: '30d', streams: [] },
    ruler: { alertmanager_url: `http://am:${SECRETS.amPassword}@127.0.0.1:9`, remote_write: { url: `http://rw:${SECRETS.rwPassword}@127.0.0.1:9/api/v1/write` } },
    notify: {
      route: { receiver: 'chat' },
      receivers: [{ name: 'chat', slack_configs: [{ api_url: SECRETS.slack, channel: '#alerts' }], webhook_configs: [{ url: SECRETS.webhook }] }],
    },
  });
  t.after(async () => (await s.close(), removeDir(dir)));
  const get = async (path: string, role: 'admin' | 'read' | null = 'admin', tenant = 'team-a') => {
    const res = await fetch(s.url + path, { headers: role ? { Authorization: `Bearer ${tokens.secret(role, tenant)}` } : {} });
    return { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
  };
  const noSecrets = (text: string, mode: string) => {
    for (const [name, secret] of Object.entries(SECRETS)) assert.ok(!text.includes(secret), `${mode}: the ${name} secret is not shown`);
  };

  const full = await get('/config');
  assert.equal(full.status, 200, full.text);
  assert.match(full.type, /^text\/plain/);
  noSecrets(full.text, 'full');
  const c = parseYaml(full.text);
  // What this server runs with: the test's settings and the defaults beside them.
  assert.equal(c.data, dir);
  assert.equal(c.limits.max_query_series, 50);
  assert.equal(c.limits.max_entries_limit_per_query, 5000);
  assert.equal(c.retention.period, '30d');
  assert.equal(c.storage.cold_after, '2h');
  assert.equal(c.auth.metrics_token_file, metricsTokenFile, 'a token file shows as its path');
  assert.equal(c.ruler.alertmanager_url, 'http://am:********@127.0.0.1:9', 'a password in a URL is masked, the rest kept');
  assert.equal(c.ruler.remote_write.url, 'http://rw:********@127.0.0.1:9/api/v1/write');
  assert.equal(c.notify.receivers[0].slack_configs[0].api_url, '********');
  assert.equal(c.notify.receivers[0].slack_configs[0].channel, '#alerts');
  assert.equal(c.notify.receivers[0].webhook_configs[0].url, '********');
  assert.deepEqual(c.auth.proxy.groups, [{ group: 'ops-a', tenants: ['team-a'], role: 'admin' }]);

  const diff = await get('/config?mode=diff');
  assert.equal(diff.status, 200, diff.text);
  noSecrets(diff.text, 'diff');
  const d = parseYaml(diff.text);
  assert.deepEqual(d.limits, { max_query_series: 50 }, 'only the changed limit');
  assert.deepEqual(d.retention, { period: '30d' });
  assert.equal(d.storage, undefined, 'an untouched section is left out');
  assert.equal(d.data, dir);

  const defaults = await get('/config?mode=defaults');
  assert.equal(defaults.status, 200, defaults.text);
  const def = parseYaml(defaults.text);
  assert.equal(def.limits.max_query_series, 500);
  assert.equal(def.retention.period, '7d');
  assert.equal(def.listen, '127.0.0.1:3100');
  assert.deepEqual(def.notify.receivers, []);

  const bad = await get('/config?mode=yaml');
  assert.equal(bad.status, 400);
  assert.match(bad.text, /invalid parameter "mode": "yaml" is not a mode; use mode=diff, mode=defaults or leave it out/);

  assert.equal((await get('/config', null)).status, 401, 'no token');
  assert.equal((await get('/config', 'read')).status, 403, 'a read token');
  // Another tenant's admin sees the server's settings but not a mapping naming team-a.
  const other = await get('/config', 'admin', 'team-b');
  assert.equal(other.status, 200);
  assert.ok(!other.text.includes('team-a'), other.text);
  assert.deepEqual(parseYaml(other.text).auth.proxy.groups, []);
});
