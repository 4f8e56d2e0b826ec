/**
 * Tokens bound to a client-certificate CN (issue #11): the store keeps at most one active token per
 * CN, a tokens.db from before the binding existed opens and gains it, and the authenticator maps a
 * verified certificate's CN to its token's identity, refusing it within half a second of a
 * revocation by another process. (The end-to-end test with openssl certificates and the real agent
 * is test/e2e/authz-certificate.test.ts.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { tokenDbPath } from '../../../src/auth/token-store.js';
import { createTokenAuthenticator } from '../../../src/auth/token-authenticator.js';
import type { AuthResult, Peer } from '../../../src/http/identity.js';
import { T0, tokenStoreFixture } from './token-store-fixture.js';

/** Made by the release before certificate binding (schema version 1, no cert_cn column). */
const OLD_DB = new URL('../../fixtures/auth/tokens-v1.db', import.meta.url).pathname;
/** The text of the `promtail` token in OLD_DB (a test fixture's, valid nowhere else). */
const OLD_TOKEN = 'lwt_8e63a380773cd85f_Dws8YgeuHKQx2mmP0CAj4zcSrhfN2zi5nPdM33PsN3E';

const setup = (t: { after(fn: () => void): void }) => tokenStoreFixture(t, 'logwharf-cert-cn-');

const cert = (cn: string | undefined, subject = `O=ops,CN=${cn}`): Peer => ({ address: '192.0.2.7', certificate: { subject, fingerprint256: 'AB:CD', ...(cn !== undefined && { commonName: cn }) } });
const identityOf = (r: AuthResult) => (r.ok ? r.identity : r.reason);

test('a tokens.db made before certificate binding opens, keeps its tokens, and gains the binding', (t) => {
  const { dir, open, clock } = setup(t);
  mkdirSync(dirname(tokenDbPath(dir)), { recursive: true });
  copyFileSync(OLD_DB, tokenDbPath(dir));
  const store = open();
  assert.deepEqual(store.list().map((i) => [i.name, i.role, i.revokedAt !== undefined, i.certCn]), [['promtail', 'write', false, undefined], ['old-admin', 'admin', true, undefined]]);
  const auth = createTokenAuthenticator(store, { now: clock.now });
  assert.deepEqual(identityOf(auth.authenticate(`Bearer ${OLD_TOKEN}`, { address: '192.0.2.1' })), { name: 'promtail', kind: 'token', role: 'write', tenants: ['team-a'] });
  store.create({ name: 'agent-eu', role: 'write', tenants: ['team-a'], certCn: 'agent-eu-1' }, clock.now());
  assert.equal(auth.authenticate(undefined, cert('agent-eu-1')).ok, true, 'a token bound after the migration');
  store.close();
  // Opened again (the step is done once), and the column is there for any reader of the file.
  assert.equal(open().getByCertCn('agent-eu-1')?.name, 'agent-eu');
  const raw = new Database(tokenDbPath(dir), { readonly: true });
  t.after(() => raw.close());
  assert.deepEqual((raw.prepare('SELECT name, cert_cn FROM tokens ORDER BY rowid').all() as Array<{ name: string; cert_cn: string | null }>).map((r) => [r.name, r.cert_cn]), [['promtail', null], ['old-admin', null], ['agent-eu', 'agent-eu-1']]);
});

test('at most one active token per CN; revoking frees it for a replacement, an expired one must be revoked first', (t) => {
  const store = setup(t).open();
  store.create({ name: 'agent-eu', role: 'write', tenants: ['a'], certCn: 'agent-eu-1' }, T0);
  assert.throws(() => store.create({ name: 'other', role: 'admin', tenants: ['b'], certCn: 'agent-eu-1' }, T0), /a token bound to certificate CN "agent-eu-1" exists already: revoke it first/);
  store.revoke('agent-eu', T0);
  store.create({ name: 'agent-eu-2', role: 'write', tenants: ['a'], certCn: 'agent-eu-1', expiresAt: T0 + 1000 }, T0);
  assert.throws(() => store.create({ name: 'agent-eu-3', role: 'write', tenants: ['a'], certCn: 'agent-eu-1' }, T0 + 2000), /exists already: revoke it first/);
  // Many tokens without a CN are fine.
  store.create({ role: 'read', tenants: ['a'] }, T0);
  store.create({ role: 'read', tenants: ['a'] }, T0);
  assert.deepEqual(store.list().map((i) => i.certCn ?? null), ['agent-eu-1', 'agent-eu-1', null, null]);
});

test('a verified certificate whose CN is bound acts as the token; a header wins; anything else is no credentials', (t) => {
  const { open, clock } = setup(t);
  const store = open();
  store.create({ name: 'agent-eu', role: 'write', tenants: ['team-a', 'team-b'], certCn: 'agent-eu-1' }, clock.now());
  const reader = store.create({ name: 'grafana', role: 'read', tenants: ['team-c'] }, clock.now());
  const auth = createTokenAuthenticator(store, { now: clock.now });
  assert.deepEqual(identityOf(auth.authenticate(undefined, cert('agent-eu-1'))), { name: 'agent-eu (O=ops,CN=agent-eu-1)', kind: 'certificate', role: 'write', tenants: ['team-a', 'team-b'] });
  assert.equal(store.list()[0]!.lastUsedAt, T0, 'the use is recorded');
  assert.deepEqual(identityOf(auth.authenticate(`Bearer ${reader.token}`, cert('agent-eu-1'))), { name: 'grafana', kind: 'token', role: 'read', tenants: ['team-c'] });
  assert.equal(identityOf(auth.authenticate('Bearer lwt_wrong', cert('agent-eu-1'))), 'invalid', 'a wrong header is not rescued by the certificate');
  // Exact match only: case, another CN, a CN only inside the subject, several CNs (no commonName).
  assert.equal(identityOf(auth.authenticate(undefined, cert('Agent-EU-1'))), 'missing');
  assert.equal(identityOf(auth.authenticate(undefined, cert('agent-eu-2'))), 'missing');
  assert.equal(identityOf(auth.authenticate(undefined, cert(undefined, 'CN=agent-eu-1,CN=x'))), 'missing');
  assert.equal(identityOf(auth.authenticate(undefined, { address: '192.0.2.7' })), 'missing');
  // Unbound certificates are not guesses: many of them never block the address.
  for (let i = 0; i < 30; i++) assert.equal(identityOf(auth.authenticate(undefined, cert(`stranger-${i}`))), 'missing');
  assert.equal(auth.authenticate(undefined, cert('agent-eu-1')).ok, true);
});

test('revoking the token (another process) stops its certificate within half a second; expiry stops it too', (t) => {
  const { open, clock } = setup(t);
  const server = open();
  const cli = open();
  cli.create({ name: 'agent-eu', role: 'write', tenants: ['a'], certCn: 'agent-eu-1' }, clock.now());
  cli.create({ name: 'agent-us', role: 'write', tenants: ['a'], certCn: 'agent-us-1', expiresAt: T0 + 60_000 }, clock.now());
  const auth = createTokenAuthenticator(server, { now: clock.now });
  assert.equal(auth.authenticate(undefined, cert('agent-eu-1')).ok, true);
  cli.revoke('agent-eu', clock.now());
  clock.advance(499);
  assert.equal(auth.authenticate(undefined, cert('agent-eu-1')).ok, true, 'the cached row is trusted within 500 ms');
  clock.advance(1);
  assert.equal(identityOf(auth.authenticate(undefined, cert('agent-eu-1'))), 'missing');
  assert.equal(auth.authenticate(undefined, cert('agent-us-1')).ok, true);
  clock.advance(60_000);
  assert.equal(identityOf(auth.authenticate(undefined, cert('agent-us-1'))), 'missing');
  // A replacement bound to the same CN works as soon as its row is read.
  cli.create({ name: 'agent-eu-new', role: 'read', tenants: ['b'], certCn: 'agent-eu-1' }, clock.now());
  clock.advance(500);
  assert.deepEqual(identityOf(auth.authenticate(undefined, cert('agent-eu-1'))), { name: 'agent-eu-new (O=ops,CN=agent-eu-1)', kind: 'certificate', role: 'read', tenants: ['b'] });
});
