import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { tokenDbPath } from '../../../src/auth/token-store.js';
import { createTokenAuthenticator } from '../../../src/auth/token-authenticator.js';
import { parseToken } from '../../../src/auth/token-format.js';
import type { AuthResult } from '../../../src/http/identity.js';
import { T0, tokenStoreFixture } from './token-store-fixture.js';

const PEER = { address: '192.0.2.1' };

const setup = (t: { after(fn: () => void): void }) => tokenStoreFixture(t, 'logwharf-tokens-');

const bearer = (token: string) => `Bearer ${token}`;
const basic = (user: string, token: string) => `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
const identityOf = (r: AuthResult) => (r.ok ? r.identity : r.reason);

test('a created token has the lwt_<id>_<secret> form; only the SHA-256 of its secret is on disk', (t) => {
  const { dir, open, clock } = setup(t);
  const store = open();
  const { info, token } = store.create({ name: 'grafana', role: 'read', tenants: ['team-a', 'team-b'] }, clock.now());
  assert.match(token, /^lwt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  const parsed = parseToken(token)!;
  assert.equal(parsed.id, info.id);
  assert.equal(Buffer.from(parsed.secret, 'base64url').length, 32, '256 random bits');
  assert.deepEqual(store.list(), [{ id: info.id, name: 'grafana', role: 'read', tenants: ['team-a', 'team-b'], createdAt: T0 }]);
  store.close();
  // Neither the secret nor the token text is anywhere in the files; its hash is.
  const raw = new Database(tokenDbPath(dir), { readonly: true });
  const row = raw.prepare('SELECT secret_sha256 FROM tokens').get() as { secret_sha256: Buffer };
  raw.close();
  assert.deepEqual(row.secret_sha256, createHash('sha256').update(parsed.secret).digest());
  for (const f of readdirSync(join(dir, 'auth'))) {
    const bytes = readFileSync(join(dir, 'auth', f));
    assert.equal(bytes.includes(parsed.secret), false, `${f} holds the secret`);
  }
});

test('two tokens never share a secret or an id', (t) => {
  const store = setup(t).open();
  const a = store.create({ role: 'write', tenants: ['x'] }, T0);
  const b = store.create({ role: 'write', tenants: ['x'] }, T0);
  assert.notEqual(a.info.id, b.info.id);
  assert.notEqual(parseToken(a.token)!.secret, parseToken(b.token)!.secret);
  assert.equal(a.info.name, `token-${a.info.id}`);
});

test('Bearer and Basic (any user name, token as password) prove the token\'s identity; anything else is invalid or missing', (t) => {
  const { open, clock } = setup(t);
  const store = open();
  const { token } = store.create({ name: 'promtail', role: 'write', tenants: ['team-a'] }, clock.now());
  const auth = createTokenAuthenticator(store, { now: clock.now });
  const want = { name: 'promtail', kind: 'token', role: 'write', tenants: ['team-a'] };
  assert.deepEqual(identityOf(auth.authenticate(bearer(token), PEER)), want);
  assert.deepEqual(identityOf(auth.authenticate(`bearer   ${token}`, PEER)), want);
  assert.deepEqual(identityOf(auth.authenticate(basic('admin', token), PEER)), want);
  assert.deepEqual(identityOf(auth.authenticate(basic('', token), PEER)), want);
  assert.equal(identityOf(auth.authenticate(undefined, PEER)), 'missing');
  assert.equal(identityOf(auth.authenticate('', PEER)), 'missing');
  // One wrong character of the secret, or of the id.
  const last = token.at(-1) === 'A' ? 'B' : 'A';
  assert.equal(identityOf(auth.authenticate(bearer(token.slice(0, -1) + last), PEER)), 'invalid');
  assert.equal(identityOf(auth.authenticate(bearer(token.replace(/^lwt_./, (m) => (m.endsWith('0') ? 'lwt_1' : 'lwt_0'))), PEER)), 'invalid');
  assert.equal(identityOf(auth.authenticate(basic(token, 'x'), PEER)), 'invalid', 'the token as the user name is not the password');
  assert.equal(identityOf(auth.authenticate(`Token ${token}`, PEER)), 'invalid');
});

test('an expired token is refused from its expiry on', (t) => {
  const { open, clock } = setup(t);
  const store = open();
  const { token } = store.create({ role: 'read', tenants: ['a'], expiresAt: T0 + 90 * 86_400_000 }, clock.now());
  const auth = createTokenAuthenticator(store, { now: clock.now });
  clock.advance(90 * 86_400_000 - 1);
  assert.equal(auth.authenticate(bearer(token), PEER).ok, true);
  clock.advance(1);
  assert.equal(identityOf(auth.authenticate(bearer(token), PEER)), 'invalid');
});

test('a revocation by another store instance on the same file (another process) acts within half a second', (t) => {
  const { open, clock } = setup(t);
  const server = open();
  const cli = open();
  const { info, token } = cli.create({ name: 'ci', role: 'admin', tenants: ['a'] }, clock.now());
  const auth = createTokenAuthenticator(server, { now: clock.now });
  assert.equal(auth.authenticate(bearer(token), PEER).ok, true);
  assert.equal(cli.revoke('ci', clock.now())?.id, info.id, 'revoked by name');
  clock.advance(499);
  assert.equal(auth.authenticate(bearer(token), PEER).ok, true, 'the cached row is still trusted within 500 ms');
  clock.advance(1);
  assert.equal(identityOf(auth.authenticate(bearer(token), PEER)), 'invalid');
  assert.equal(server.list()[0]!.revokedAt, T0);
  assert.equal(cli.revoke('ci', clock.now()), undefined, 'no unrevoked token of that name is left');
  assert.equal(cli.revoke(info.id, clock.now())?.revokedAt, T0, 'revoking again by id keeps the first time');
});

test('a revoked token\'s name can be given to its replacement; two live tokens cannot share one', (t) => {
  const store = setup(t).open();
  store.create({ name: 'agent', role: 'write', tenants: ['a'] }, T0);
  assert.throws(() => store.create({ name: 'agent', role: 'write', tenants: ['a'] }, T0), /a token named "agent" exists already/);
  store.revoke('agent', T0);
  store.create({ name: 'agent', role: 'write', tenants: ['a'] }, T0);
  assert.deepEqual(store.list().map((i) => [i.name, i.revokedAt !== undefined]), [['agent', true], ['agent', false]]);
});

test('the last use is recorded, at most once a minute per token', (t) => {
  const { open, clock } = setup(t);
  const store = open();
  const { token } = store.create({ role: 'read', tenants: ['a'] }, clock.now());
  const auth = createTokenAuthenticator(store, { now: clock.now });
  clock.advance(1000);
  auth.authenticate(bearer(token), PEER);
  assert.equal(store.list()[0]!.lastUsedAt, T0 + 1000);
  clock.advance(30_000);
  auth.authenticate(bearer(token), PEER);
  assert.equal(store.list()[0]!.lastUsedAt, T0 + 1000);
  clock.advance(30_000);
  auth.authenticate(bearer(token), PEER);
  assert.equal(store.list()[0]!.lastUsedAt, T0 + 61_000);
});

test('10 failures in a minute from one address block it for a minute, even with the right token; other addresses are unaffected', (t) => {
  const { open, clock } = setup(t);
  const store = open();
  const { token } = store.create({ role: 'read', tenants: ['a'] }, clock.now());
  const auth = createTokenAuthenticator(store, { now: clock.now });
  const wrong = bearer(token.slice(0, -4) + 'AAAA');
  for (let i = 0; i < 9; i++) {
    assert.equal(identityOf(auth.authenticate(wrong, PEER)), 'invalid');
    clock.advance(1000);
  }
  assert.equal(auth.authenticate(bearer(token), PEER).ok, true, '9 failures are not enough');
  assert.equal(identityOf(auth.authenticate('Basic !!!', PEER)), 'invalid', 'a malformed header is a failure too');
  const blocked = auth.authenticate(bearer(token), PEER);
  assert.deepEqual(blocked, { ok: false, reason: 'rate_limited', retryAfterSeconds: 60 });
  assert.equal(auth.authenticate(bearer(token), { address: '192.0.2.2' }).ok, true);
  clock.advance(59_500);
  assert.deepEqual(auth.authenticate(bearer(token), PEER), { ok: false, reason: 'rate_limited', retryAfterSeconds: 1 });
  clock.advance(500);
  assert.equal(auth.authenticate(bearer(token), PEER).ok, true);
  // No credentials at all is not a guess.
  for (let i = 0; i < 20; i++) assert.equal(identityOf(auth.authenticate(undefined, { address: '192.0.2.3' })), 'missing');
  assert.equal(auth.authenticate(bearer(token), { address: '192.0.2.3' }).ok, true);
});

test('failures spread over more than a minute do not block', (t) => {
  const { open, clock } = setup(t);
  const store = open();
  const { token } = store.create({ role: 'read', tenants: ['a'] }, clock.now());
  const auth = createTokenAuthenticator(store, { now: clock.now });
  for (let i = 0; i < 30; i++) {
    assert.equal(identityOf(auth.authenticate('Bearer nope', PEER)), 'invalid');
    clock.advance(7_000);
  }
  assert.equal(auth.authenticate(bearer(token), PEER).ok, true);
});

test('a damaged token file stops the open with its name, and is left in place (never replaced by an empty one)', (t) => {
  const { dir, open } = setup(t);
  open().close();
  const path = tokenDbPath(dir);
  const bytes = readFileSync(path);
  bytes.fill(0x5a, 100, 4096);
  writeFileSync(path, bytes);
  assert.throws(() => open(), (e: Error) => e.message.includes(path) && /Restore it from a backup/.test(e.message));
  assert.deepEqual(readFileSync(path), bytes);
});

test('the token files are readable by their owner only', (t) => {
  const { dir, open } = setup(t);
  const store = open();
  store.create({ role: 'read', tenants: ['a'] }, T0);
  for (const f of readdirSync(join(dir, 'auth'))) assert.equal(statSync(join(dir, 'auth', f)).mode & 0o077, 0, `${f} is private`);
  assert.equal(statSync(join(dir, 'auth')).mode & 0o077, 0);
});
