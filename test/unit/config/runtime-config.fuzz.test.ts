/**
 * The runtime-config file fuzzed: random text, and mappings mixing the real per-tenant keys with
 * random values, unknown keys, odd tenant names and random selectors, either parse (and then hold
 * only known keys of valid tenants) or fail with one config error naming the file and, for every
 * problem, a line of the file that holds the key it is about — never another exception. The server
 * reads this file while running, so nothing in it may crash a reload. FUZZ_SEED replays a run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseRuntimeConfig, RETENTION_KEYS } from '../../../src/config/runtime-config.js';
import { serverConfigSchema } from '../../../src/config/server.js';
import { isValidTenantId } from '../../../src/http/server.js';
import { isLogwharfError } from '../../../src/api/errors.js';
import { fuzzParams } from '../../helpers/fuzz.js';

const FILE = '/run/overrides.yaml';
const LIMIT_KEYS = Object.keys((serverConfigSchema.shape.limits as unknown as { unwrap(): { shape: object } }).unwrap().shape);
const KNOWN = new Set([...LIMIT_KEYS, ...RETENTION_KEYS]);

const valueArb = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.constantFrom('30s', '1d', '0s', '-1s', '10 days', '1h30m', '', 'true', '{a="b"}'),
  fc.integer({ min: -10, max: 100_000 }),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }),
  fc.anything({ maxDepth: 2, key: fc.stringMatching(/^[a-z_]{1,6}$/) }),
);

const selectorArb = fc.oneof(fc.constantFrom('{a="b"}', '{namespace=~"dev|test"}', '{a="b"} |= "x"', '{}', '{a=b}', '{a="b"', 'a="b"', ''), fc.string({ maxLength: 16 }));
const ruleArb = fc.record(
  { selector: fc.oneof(selectorArb, valueArb), period: fc.oneof(fc.constantFrom('1d', '12h', 'soon'), valueArb), priority: fc.oneof(fc.integer({ min: -3, max: 3 }), valueArb), extra: valueArb },
  { requiredKeys: [] },
);

const tenantArb = fc.dictionary(
  fc.oneof(fc.constantFrom(...LIMIT_KEYS, ...RETENTION_KEYS), fc.stringMatching(/^[a-z_][a-z0-9_]{0,12}$/)),
  fc.oneof(valueArb, fc.array(ruleArb, { maxLength: 3 })),
  { maxKeys: 5 },
);
const tenantNameArb = fc.oneof(fc.constantFrom('team-a', 'logwharf-audit', 'fake', 'team a', '..', 'x|y', '__proto__', 'constructor'), fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/));
const fileArb = fc.oneof(
  fc.record({ overrides: fc.oneof(fc.dictionary(tenantNameArb, fc.oneof(tenantArb, valueArb), { maxKeys: 3 }), valueArb) }, { requiredKeys: [] }).map((o) => stringify(o)),
  fc.tuple(fc.dictionary(fc.stringMatching(/^[a-z_]{1,8}$/), valueArb, { maxKeys: 2 }), fc.dictionary(tenantNameArb, tenantArb, { maxKeys: 2 })).map(([top, overrides]) => stringify({ ...top, overrides })),
  fc.string({ maxLength: 200 }),
);

function check(text: string): void {
  let parsed;
  try {
    parsed = parseRuntimeConfig(text, FILE, isValidTenantId);
  } catch (e) {
    if (!isLogwharfError(e) || e.status !== 400) throw new Error(`not a config error: ${(e as Error)?.stack ?? String(e)}`);
    if (/^config file \/run\/overrides\.yaml (is not valid YAML|must be a YAML mapping)/.test(e.message)) return;
    const prefix = `invalid configuration in ${FILE}: `;
    assert.ok(e.message.startsWith(prefix), e.message);
    const lines = text.split(/\r\n|\r|\n/);
    for (const issue of e.message.slice(prefix.length).split(/; (?=line \d+: |\(top level\): )/)) {
      const m = /^(?:line (\d+): )?(.+?): /.exec(issue);
      assert.ok(m, `an issue without a key: ${issue}`);
      if (m[2] === '(top level)') continue;
      assert.ok(m[1] !== undefined, `an issue without a line: ${issue}`);
      const line = lines[Number(m[1]) - 1];
      assert.ok(line !== undefined, `line ${m[1]} is past the end of the file: ${issue}`);
      // The line holds the key the issue is about (its path's last segment), or the list item.
      const last = m[2].split('.').at(-1)!;
      const holds = issue.endsWith(': missing (required)') || line.includes(last) || line.includes(JSON.stringify(last).slice(1, -1)) || (/^\d+$/.test(last) && line.trimStart().startsWith('-'));
      assert.ok(holds, `line ${m[1]} (${JSON.stringify(line)}) does not hold "${last}": ${issue}`);
    }
    return;
  }
  for (const [tenant, o] of Object.entries(parsed.overrides)) {
    assert.ok(isValidTenantId(tenant), `accepted tenant ${JSON.stringify(tenant)}`);
    for (const k of Object.keys(o)) assert.ok(KNOWN.has(k), `accepted unknown key ${k}`);
  }
}

test('runtime config: any file parses into known keys of valid tenants, or fails naming the file, and each problem\'s line and key', () => {
  fc.assert(fc.property(fileArb, check), fuzzParams());
});
