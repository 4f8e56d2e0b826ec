/**
 * Configuration files fuzzed (issue #8): random YAML text, and mappings mixing the real keys of each
 * role's schema with random values and unknown keys, either load or fail with one config error that
 * names the file and, for every problem, the key it is about — never another exception.
 * FUZZ_SEED replays a run.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify } from 'yaml';
import type { z } from 'zod';
import { loadServerConfig, serverConfigSchema } from '../../../src/config/server.js';
import { loadAgentConfig, agentConfigSchema } from '../../../src/config/agent.js';
import { isLogwharfError } from '../../../src/api/errors.js';
import { fuzzParams } from '../../helpers/fuzz.js';

const dir = mkdtempSync(join(tmpdir(), 'logwharf-config-fuzz-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** Values a config key may be given: right types, wrong types, nested mappings and lists. */
const valueArb = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('30s', '1h', '0s', '-1s', '127.0.0.1:0', 'true', 'auto', '{job="x"}', '', 'info'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.anything({ maxDepth: 2, key: fc.stringMatching(/^[a-z_]{1,6}$/) }),
);

/** A mapping over the schema's own keys (recursively for nested mappings) plus some unknown keys (named as YAML keys are, so the "; "-joined message stays splittable here). */
function mappingArb(schema: z.ZodObject, depth: number): fc.Arbitrary<Record<string, unknown>> {
  const shape = schema.shape as Record<string, z.ZodType>;
  const entries: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, field] of Object.entries(shape)) {
    let inner: z.ZodType = field;
    // Through default/optional/prefault wrappers to the object, if it is one.
    for (let i = 0; i < 4 && inner && !('shape' in inner) && 'unwrap' in inner; i++) inner = (inner as unknown as { unwrap(): z.ZodType }).unwrap();
    entries[key] = depth > 0 && inner && 'shape' in inner ? fc.oneof(mappingArb(inner as z.ZodObject, depth - 1), valueArb) : valueArb;
  }
  return fc.tuple(fc.record(entries, { requiredKeys: [] }), fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_.-]{0,8}$/), valueArb, { maxKeys: 2 })).map(([known, unknown]) => ({ ...unknown, ...known }));
}

/** Loads `text` as the role's config file; checks the outcome is a config or a config error naming keys. */
function check(load: (file: string) => unknown, text: string): void {
  const file = join(dir, `c${++n}.yaml`);
  writeFileSync(file, text);
  try {
    load(file);
  } catch (e) {
    if (!isLogwharfError(e) || e.status !== 400) throw new Error(`not a config error: ${(e as Error)?.stack ?? String(e)}`);
    if (/^config file .* (is not valid YAML|must be a YAML mapping)/.test(e.message)) return;
    const m = /^invalid configuration in (.+?): (.+)$/s.exec(e.message);
    assert.ok(m, e.message);
    assert.equal(m[1], file);
    const raw: unknown = parseYaml(text);
    const keys = raw !== null && typeof raw === 'object' ? Object.keys(raw) : [];
    for (const issue of m[2]!.split('; ')) {
      const path = issue.slice(0, issue.indexOf(': '));
      assert.ok(path.length > 0, `an issue without a key: ${issue}`);
      // Top-level issues (an unknown key) name the key in their text; others start with it.
      if (path !== '(top level)') assert.ok(keys.includes(path.split('.')[0]!) || path.startsWith('client'), `${path} is not a key of ${JSON.stringify(keys)}: ${e.message}`);
    }
  }
}

test('server config: any file loads or fails naming the file and the keys', () => {
  fc.assert(
    fc.property(fc.oneof(mappingArb(serverConfigSchema, 2).map((o) => stringify(o)), fc.string({ maxLength: 200 })), (text) => {
      check((file) => loadServerConfig({ config: file }), text);
    }),
    fuzzParams(),
  );
});

test('agent config: any file loads or fails naming the file and the keys', () => {
  fc.assert(
    fc.property(fc.oneof(mappingArb(agentConfigSchema, 2).map((o) => stringify(o)), fc.string({ maxLength: 200 })), (text) => {
      check((file) => loadAgentConfig({ config: file, server: 'http://127.0.0.1:3100' }), text);
    }),
    fuzzParams(),
  );
});
