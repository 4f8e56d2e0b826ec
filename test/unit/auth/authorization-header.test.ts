import { test } from 'node:test';
import assert from 'node:assert/strict';
import { presentedCredential } from '../../../src/auth/authorization-header.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

test('the token is read from Bearer, or from the password of Basic whatever the user name; schemes are case-insensitive', () => {
  assert.deepEqual(presentedCredential('Bearer abc'), { kind: 'token', text: 'abc' });
  assert.deepEqual(presentedCredential('bEaReR  abc '), { kind: 'token', text: 'abc' });
  assert.deepEqual(presentedCredential(`Basic ${b64('123456:abc')}`), { kind: 'token', text: 'abc' }, "Grafana Cloud style: the user is a number");
  assert.deepEqual(presentedCredential(`basic ${b64(':abc')}`), { kind: 'token', text: 'abc' });
  assert.deepEqual(presentedCredential(`Basic ${b64('u:a:b')}`), { kind: 'token', text: 'a:b' }, 'the password is everything after the first colon');
});

test('no header is "none"; what carries no token is "malformed"', () => {
  assert.deepEqual(presentedCredential(undefined), { kind: 'none' });
  assert.deepEqual(presentedCredential('   '), { kind: 'none' });
  for (const h of ['Bearer', 'Bearer a b', 'Digest abc', `Basic ${b64('no-colon')}`, 'Basic !!!', 'abc', `Bearer ${'x'.repeat(5000)}`]) {
    assert.deepEqual(presentedCredential(h), { kind: 'malformed' }, h.slice(0, 40));
  }
});
