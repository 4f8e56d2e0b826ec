/**
 * The token authenticator answers every `Authorization` header value, never throws, and proves an
 * identity only for the real token: random strings, near-misses of a real token (one character
 * changed, cut, extended) in Bearer and Basic form, and Basic values of arbitrary bytes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { openTokenStore, tokenDbPath } from '../../../src/auth/token-store.js';
import { createTokenAuthenticator } from '../../../src/auth/token-authenticator.js';
import { presentedCredential } from '../../../src/auth/authorization-header.js';
import { fuzzParams } from '../../helpers/fuzz.js';

const dir = mkdtempSync(join(tmpdir(), 'logwharf-tokens-fuzz-'));
const store = openTokenStore(tokenDbPath(dir));
const { token } = store.create({ name: 'real', role: 'read', tenants: ['a'] }, Date.now());
// No failure limit here: the property is about the parser, each run from its own address anyway.
const auth = createTokenAuthenticator(store, { failures: { maxFailures: Number.MAX_SAFE_INTEGER, windowMs: 1, blockMs: 1 } });
test.after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

const TOKEN_CHARS = 'abcdef0123456789ABCXYZ_-lwt ';
const nearMiss = fc
  .tuple(fc.nat(token.length), fc.constantFrom('replace', 'delete', 'insert', 'cut'), fc.constantFrom(...TOKEN_CHARS))
  .map(([i, op, c]) => {
    if (op === 'replace') return token.slice(0, i) + c + token.slice(i + 1);
    if (op === 'delete') return token.slice(0, i) + token.slice(i + 1);
    if (op === 'insert') return token.slice(0, i) + c + token.slice(i);
    return token.slice(0, i);
  })
  // A space inserted before or after the token is white space around it (RFC 7235 allows several
  // spaces after the scheme), so that variant is the real token: FUZZ_SEED=1408419896 drew one.
  .filter((t) => t.trim() !== token);

const header = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  nearMiss.map((t) => `Bearer ${t}`),
  fc.tuple(fc.string({ maxLength: 20 }), nearMiss).map(([u, t]) => `Basic ${Buffer.from(`${u}:${t}`).toString('base64')}`),
  fc.uint8Array({ maxLength: 120 }).map((b) => `Basic ${Buffer.from(b).toString('base64')}`),
  fc.tuple(fc.constantFrom('Bearer', 'Basic', 'bearer', 'BASIC', 'Digest', ''), fc.string({ maxLength: 80 })).map(([s, v]) => `${s} ${v}`),
  // Surrounding white space is not part of the token, anything else is.
  fc.string({ maxLength: 5000 }).filter((s) => s.trim() !== '').map((s) => `Bearer ${token}${s}`),
);

test('any Authorization header gives an answer, never an exception, and none but the real token proves an identity', () => {
  let n = 0;
  fc.assert(
    fc.property(header, (h) => {
      const parsed = presentedCredential(h);
      assert.ok(['none', 'malformed', 'token'].includes(parsed.kind));
      const r = auth.authenticate(h, { address: `198.51.100.${n++ % 250}` });
      assert.equal(r.ok, false, `proved an identity for ${JSON.stringify(h)}`);
      if (!r.ok) assert.ok(r.reason === 'missing' || r.reason === 'invalid', r.reason);
    }),
    fuzzParams(2),
  );
  // The control: the property above can fail, the real token does prove its identity.
  assert.equal(auth.authenticate(`Bearer ${token}`, { address: '198.51.100.1' }).ok, true);
});
