/**
 * What `GET /config` prints (src/app/config-route.ts): secrets masked wherever they sit, and the
 * diff against the defaults. The route itself is tested end to end in test/e2e/config-api.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configDiff, redactSecrets, SECRET_MASK } from '../../../src/app/config-route.js';

test('secrets are masked: receiver URLs by path, passwords inside any URL, nothing else', () => {
  const got = redactSecrets({
    listen: '127.0.0.1:3100',
    tls: { key_file: '/etc/tls/key.pem' },
    ruler: { alertmanager_url: 'http://a:p1@am1:9093,https://b:p2@am2:9093/x, http://am3:9093', external_url: 'http://user@host/' },
    notify: { receivers: [{ name: 'r', slack_configs: [{ api_url: 'https://hooks/s', channel: '#c' }], webhook_configs: [{ url: 'http://w/secret' }, { url: '' }] }] },
    other: { url: 'http://plain/' },
  }) as any;
  assert.equal(got.listen, '127.0.0.1:3100');
  assert.equal(got.tls.key_file, '/etc/tls/key.pem', 'a key path is not a secret');
  assert.equal(got.ruler.alertmanager_url, `http://a:${SECRET_MASK}@am1:9093,https://b:${SECRET_MASK}@am2:9093/x, http://am3:9093`);
  assert.equal(got.ruler.external_url, 'http://user@host/', 'a user without a password stays');
  assert.equal(got.notify.receivers[0].slack_configs[0].api_url, SECRET_MASK);
  assert.equal(got.notify.receivers[0].slack_configs[0].channel, '#c');
  assert.equal(got.notify.receivers[0].webhook_configs[0].url, SECRET_MASK);
  assert.equal(got.notify.receivers[0].webhook_configs[1].url, '', 'an unset one stays visibly unset');
  assert.equal(got.other.url, 'http://plain/');
});

test('diff keeps only the leaves that differ from the defaults; lists compare whole', () => {
  const defaults = { a: 1, b: { c: 2, d: [1, 2] }, e: { f: 'x' } };
  assert.deepEqual(configDiff({ a: 1, b: { c: 3, d: [1, 2] }, e: { f: 'x' } }, defaults), { b: { c: 3 } });
  assert.deepEqual(configDiff({ a: 1, b: { c: 2, d: [2] }, e: { f: 'x' } }, defaults), { b: { d: [2] } });
  assert.equal(configDiff(defaults, defaults), undefined);
});
