/**
 * Tenant and namespace names become file names of the rule storage. For any name: the encoding is
 * one safe path component (no `/`, no NUL, never `.`, `..` or hidden, only a small alphabet), and it
 * decodes back to the same name; decoding arbitrary text never throws and accepts only canonical
 * encodings. One property also goes through the real store and filesystem. FUZZ_SEED replays a run.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeName, encodeName, MAX_ENCODED_NAME } from '../../../src/ruler/rule-paths.js';
import { RuleStore } from '../../../src/ruler/rule-store.js';
import { createLogger } from '../../../src/util/logger.js';
import { fuzzParams } from '../../helpers/fuzz.js';

const SAFE = /^[A-Za-z0-9_\-!*'()%][A-Za-z0-9_.\-!*'()%]*$/;

/** Names with the characters that matter here: path separators, dots, escapes, any Unicode. */
const nameArb = fc.oneof(
  fc.string({ unit: 'binary', minLength: 1, maxLength: 40 }),
  fc.string({ unit: fc.constantFrom('.', '/', '%', '\\', '\u0000', 'a', '2', 'F', ' ', 'é', '😀'), minLength: 1, maxLength: 12 }),
);

test('encodeName gives one safe path component that decodeName turns back into the name', () => {
  fc.assert(
    fc.property(nameArb, (name) => {
      const enc = encodeName(name);
      assert.match(enc, SAFE);
      assert.notEqual(enc, '.');
      assert.notEqual(enc, '..');
      assert.equal(decodeName(enc), name);
    }),
    fuzzParams(5),
  );
});

test('decodeName never throws and accepts only canonical encodings', () => {
  fc.assert(
    fc.property(fc.string({ unit: fc.constantFrom('%', 'A', 'f', '0', '9', '.', 'z', '/', 'é'), maxLength: 12 }), (text) => {
      const name = decodeName(text);
      if (name !== undefined) assert.equal(encodeName(name), text);
    }),
    fuzzParams(5),
  );
});

const dir = mkdtempSync(join(tmpdir(), 'logwharf-rulepaths-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

test('any tenant and namespace name round-trips through the store and stays inside its directory', async () => {
  const log = createLogger({ level: 'silent' });
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(nameArb, nameArb), { minLength: 1, maxLength: 4 }), async (pairs) => {
      const dataDir = join(dir, String(n++));
      const store = await RuleStore.open({ dataDir, maxGroupsPerTenant: 100, maxRulesPerGroup: 10, log });
      const want = new Map<string, Set<string>>();
      for (const [tenant, ns] of pairs) {
        if (ns === '.' || ns === '..' || encodeName(ns).length > MAX_ENCODED_NAME) continue;
        await store.putGroup(tenant, ns, { name: 'g', rules: [{ record: 'r', expr: 'vector(1)' }] });
        if (!want.has(tenant)) want.set(tenant, new Set());
        want.get(tenant)!.add(ns);
      }
      assert.deepEqual(existsSync(dataDir) ? readdirSync(dataDir) : [], want.size > 0 ? ['rules'] : []);
      const again = await RuleStore.open({ dataDir, maxGroupsPerTenant: 100, maxRulesPerGroup: 10, log });
      assert.deepEqual(new Set(again.tenantIds()), new Set(want.keys()));
      for (const [tenant, nss] of want) assert.deepEqual(new Set(again.namespaces(tenant).keys()), nss);
    }),
    fuzzParams(0.25),
  );
});
