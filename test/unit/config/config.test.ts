import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadServerConfig, parseListen, UP_SERVER_DEFAULTS } from '../../../src/config/server.js';
import { renderConfigDocs } from '../../../src/config/docs.js';

const dir = mkdtempSync(join(tmpdir(), 'logwharf-config-'));
function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

test('defaults are Loki-like and the embedded default address', () => {
  const c = loadServerConfig({});
  assert.equal(c.listen, '127.0.0.1:3100');
  assert.equal(c.auth_enabled, false);
  assert.equal(c.retention.period, '7d');
  assert.equal(c.storage.block_target_bytes, 256 * 1024);
});

test('flags override the file', () => {
  const p = file('a.yaml', 'listen: 0.0.0.0:9999\ndata: /tmp/x\nretention:\n  period: 30d\n');
  const c = loadServerConfig({ config: p, listen: '127.0.0.1:0' });
  assert.equal(c.listen, '127.0.0.1:0');
  assert.equal(c.data, '/tmp/x');
  assert.equal(c.retention.period, '30d');
});

test('unknown keys are rejected with their path', () => {
  const p = file('b.yaml', 'retention:\n  perod: 30d\n');
  assert.throws(() => loadServerConfig({ config: p }), /retention: Unrecognized key.*perod/s);
});

test('wrong types and bad durations name the key', () => {
  assert.throws(() => loadServerConfig({ config: file('c.yaml', 'auth_enabled: "yes"\n') }), /auth_enabled/);
  assert.throws(() => loadServerConfig({ config: file('d.yaml', 'retention:\n  period: forever\n') }), /retention\.period: a duration/);
  assert.throws(
    () => loadServerConfig({ config: file('e.yaml', 'retention:\n  streams:\n    - { selector: "{a=\\"b\\"}" }\n') }),
    /retention\.streams\.0\.period/,
  );
});

test('connection timeouts: documented defaults, and a header timeout beyond the request timeout names the key', () => {
  const c = loadServerConfig({});
  assert.deepEqual(c.http, { header_timeout: '10s', request_timeout: '2m', idle_timeout: '65s', socket_timeout: '2m' });
  assert.throws(
    () => loadServerConfig({ config: file('t.yaml', 'http:\n  header_timeout: 30s\n  request_timeout: 10s\n') }),
    /http\.request_timeout: must be 0s or at least http\.header_timeout \(30s\)/,
  );
  assert.equal(loadServerConfig({ config: file('t0.yaml', 'http:\n  request_timeout: 0s\n') }).http.request_timeout, '0s');
});

test('malformed YAML, non-mapping and missing files get clear errors', () => {
  assert.throws(() => loadServerConfig({ config: file('f.yaml', 'listen: [unclosed\n') }), /not valid YAML/);
  assert.throws(() => loadServerConfig({ config: file('g.yaml', '- a\n- b\n') }), /must be a YAML mapping/);
  assert.throws(() => loadServerConfig({ config: join(dir, 'missing.yaml') }), /cannot read config file/);
  // An empty file is an empty mapping: all defaults.
  assert.equal(loadServerConfig({ config: file('h.yaml', '') }).listen, '127.0.0.1:3100');
});

test('listen addresses', () => {
  assert.deepEqual(parseListen('127.0.0.1:3100'), { host: '127.0.0.1', port: 3100 });
  assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(parseListen(':3100'), { host: '0.0.0.0', port: 3100 });
  assert.throws(() => parseListen('localhost'), /invalid listen address/);
  assert.throws(() => parseListen('a:99999'), /invalid listen address/);
});

test('docs/configuration.md is generated from the schema and up to date', () => {
  const onDisk = readFileSync(new URL('../../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(onDisk, renderConfigDocs(), 'run `npm run docs:config` and commit the result');
  assert.match(onDisk, /\| `retention\.period` \| duration \| `"7d"` \|/);
});

test('role defaults (logwharf up) replace schema defaults but never what the user set', () => {
  const up = loadServerConfig({}, UP_SERVER_DEFAULTS);
  assert.equal(up.ruler.evaluation_interval, '10s');
  assert.equal(up.notify.route.group_wait, '5s');
  assert.equal(up.notify.route.group_interval, '5m', 'keys the role does not change keep the schema default');
  const plain = loadServerConfig({});
  assert.equal(plain.ruler.evaluation_interval, '1m', "a server keeps Loki's 1m");
  assert.equal(plain.notify.route.group_wait, '30s', "and Alertmanager's 30s");
  const p = file('up.yaml', 'ruler:\n  evaluation_interval: 30s\nnotify:\n  route:\n    group_by: [alertname]\n');
  const user = loadServerConfig({ config: p }, UP_SERVER_DEFAULTS);
  assert.equal(user.ruler.evaluation_interval, '30s', 'the user wins over the role default');
  assert.equal(user.notify.route.group_wait, '5s', 'a sibling key the user did not set keeps the role default');
});

test('audit: the reserved tenant must be a tenant id other than "fake"; the denied window at least 1s', () => {
  assert.equal(loadServerConfig({ config: file('a0.yaml', '') }).audit.tenant, 'logwharf-audit');
  assert.throws(() => loadServerConfig({ config: file('a1.yaml', 'audit:\n  tenant: fake\n') }), /audit\.tenant: must not be "\.", "\.\." or "fake"/);
  assert.throws(() => loadServerConfig({ config: file('a2.yaml', 'audit:\n  tenant: "a/b"\n') }), /audit\.tenant: a tenant id/);
  assert.throws(() => loadServerConfig({ config: file('a3.yaml', 'audit:\n  denied_interval: 10ms\n') }), /audit\.denied_interval: at least 1s/);
  assert.throws(() => loadServerConfig({ config: file('a4.yaml', 'audit:\n  denied_burst: 0\n') }), /audit\.denied_burst/);
});

test('query.worker_young_generation_mb: 12 by default, a whole number of at least 3', () => {
  assert.equal(loadServerConfig({ config: file('y0.yaml', '') }).query.worker_young_generation_mb, 12);
  assert.equal(loadServerConfig({ config: file('y1.yaml', 'query:\n  worker_young_generation_mb: 24\n') }).query.worker_young_generation_mb, 24);
  assert.throws(() => loadServerConfig({ config: file('y2.yaml', 'query:\n  worker_young_generation_mb: 2\n') }), /query\.worker_young_generation_mb/);
  assert.throws(() => loadServerConfig({ config: file('y3.yaml', 'query:\n  worker_young_generation_mb: 4.5\n') }), /query\.worker_young_generation_mb/);
  assert.throws(() => loadServerConfig({ config: file('y4.yaml', 'query:\n  worker_young_generation_mb: lots\n') }), /query\.worker_young_generation_mb/);
});

test('memory_soft_limit_mb: 200 by default, 0 turns it off, else a whole number of at least 64 with a clear error', () => {
  assert.equal(loadServerConfig({ config: file('m0.yaml', '') }).memory_soft_limit_mb, 200);
  assert.equal(loadServerConfig({ config: file('m1.yaml', 'memory_soft_limit_mb: 0\n') }).memory_soft_limit_mb, 0);
  assert.equal(loadServerConfig({ config: file('m2.yaml', 'memory_soft_limit_mb: 512\n') }).memory_soft_limit_mb, 512);
  assert.throws(() => loadServerConfig({ config: file('m3.yaml', 'memory_soft_limit_mb: 32\n') }), /memory_soft_limit_mb: must be 0 \(off\) or at least 64/);
  assert.throws(() => loadServerConfig({ config: file('m4.yaml', 'memory_soft_limit_mb: -1\n') }), /memory_soft_limit_mb: must be 0 \(off\) or at least 64/);
  assert.throws(() => loadServerConfig({ config: file('m5.yaml', 'memory_soft_limit_mb: 200.5\n') }), /memory_soft_limit_mb: .*expected int/);
  assert.throws(() => loadServerConfig({ config: file('m6.yaml', 'memory_soft_limit_mb: 256MB\n') }), /memory_soft_limit_mb: .*expected number, received string/);
});
