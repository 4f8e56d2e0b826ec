/**
 * The runtime-config file of per-tenant overrides (src/config/runtime-config.ts): what it accepts,
 * how every kind of mistake is reported (file, line, key), and how a tenant's overrides merge with
 * the server's limits and retention. The owner that loads and reloads it
 * (src/app/runtime-config.ts) is driven through `check()` on a real file.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { parseRuntimeConfig, RUNTIME_CONFIG_EXAMPLE, tenantLimits, tenantRetention, type TenantOverrides } from '../../../src/config/runtime-config.js';
import { serverConfigSchema } from '../../../src/config/server.js';
import { isValidTenantId } from '../../../src/http/server.js';
import { createRuntimeConfig } from '../../../src/app/runtime-config.js';
import { metricSum } from '../../helpers/metrics.js';
import { captureLog } from '../../helpers/log-capture.js';

const FILE = '/etc/logwharf/overrides.yaml';
const parse = (text: string) => parseRuntimeConfig(text, FILE, isValidTenantId);
const fails = (text: string, ...res: RegExp[]) =>
  assert.throws(
    () => parse(text),
    (e: Error) => {
      for (const re of res) assert.match(e.message, re);
      return true;
    },
  );

test('Loki\'s format: limits by their names, retention_period and retention_stream; nulls mean no overrides', () => {
  const c = parse(`
overrides:
  team-a:
    ingestion_rate_mb: 0.5
    ingestion_burst_size_mb: 1
    max_global_streams_per_user: 100
    reject_old_samples_max_age: 72h
    discover_service_name: []
    max_query_series: 20
    retention_period: 30d
    retention_stream:
      - selector: '{namespace="dev"}'
        priority: 1
        period: 1d
  logwharf-audit:
    retention_period: 400d
  quiet:
`);
  assert.deepEqual(c.overrides['team-a'], {
    ingestion_rate_mb: 0.5,
    ingestion_burst_size_mb: 1,
    max_global_streams_per_user: 100,
    reject_old_samples_max_age: '72h',
    discover_service_name: [],
    max_query_series: 20,
    retention_period: '30d',
    retention_stream: [{ selector: '{namespace="dev"}', priority: 1, period: '1d' }],
  });
  assert.deepEqual(c.overrides['logwharf-audit'], { retention_period: '400d' });
  assert.deepEqual(c.overrides.quiet, {});
  assert.deepEqual(parse('').overrides, {});
  assert.deepEqual(parse('overrides:\n').overrides, {});
});

test('the documented example parses', () => {
  const c = parse(RUNTIME_CONFIG_EXAMPLE);
  assert.deepEqual(Object.keys(c.overrides), ['team-noisy', 'team-compliance', 'logwharf-audit']);
  assert.equal(c.overrides['logwharf-audit']!.retention_period, '365d');
});

test('every key of the server\'s limits section is a per-tenant key, and nothing sets a default the tenant did not ask for', () => {
  const limits = (serverConfigSchema.shape.limits as unknown as { unwrap(): { shape: Record<string, unknown> } }).unwrap();
  for (const key of Object.keys(limits.shape)) {
    const value = key.startsWith('discover_service') ? ['app'] : /truncate|reject_old_samples$|discover_log/.test(key) ? true : /age|period|window/.test(key) ? '1h' : 1;
    assert.deepEqual(parse(`overrides:\n  t:\n    ${key}: ${JSON.stringify(value)}\n`).overrides.t, { [key]: value }, key);
  }
  // max_query_series has a schema default (500) in the server's section: a tenant without it must not get it.
  assert.deepEqual(parse('overrides:\n  t:\n    max_line_size: 5\n').overrides.t, { max_line_size: 5 });
});

test('malformed YAML: the file and YAML\'s line and column', () => {
  fails('overrides:\n  team-a:\n    max_line_size: [1,\n', /^config file \/etc\/logwharf\/overrides\.yaml is not valid YAML: .*line \d+, column \d+/);
  fails('overrides:\n  a: 1\n  a: 2\n', /not valid YAML: Map keys must be unique at line 3/);
  fails('- overrides\n', /must be a YAML mapping at the top level/);
});

test('an unknown key: file, line and the key\'s path, each on its own', () => {
  fails(
    'overrides:\n  team-a:\n    ingestion_rate_mb: 1\n    ingestion_rate: 2\n    max_lines_size: 3\n',
    /^invalid configuration in \/etc\/logwharf\/overrides\.yaml: /,
    /line 4: overrides\.team-a\.ingestion_rate: unknown key; line 5: overrides\.team-a\.max_lines_size: unknown key$/,
  );
  // Loki's other runtime sections configure parts logwharf does not have.
  fails('overrides: {}\nconfigs:\n  team-a: {}\n', /line 2: configs: unknown key/);
  fails('overrides:\n  t:\n    retention_stream:\n      - selector: \'{a="b"}\'\n        period: 1d\n        weight: 2\n', /line 6: overrides\.t\.retention_stream\.0\.weight: unknown key/);
});

test('bad values: negative rates, wrong types, bad durations, bad selectors, bad tenant names', () => {
  fails('overrides:\n  team-a:\n    ingestion_rate_mb: -1\n', /line 3: overrides\.team-a\.ingestion_rate_mb: Too small/);
  fails('overrides:\n  team-a:\n    max_line_size: 1.5\n', /line 3: overrides\.team-a\.max_line_size: Invalid input: expected int/);
  fails('overrides:\n  team-a:\n    reject_old_samples: "yes"\n', /line 3: overrides\.team-a\.reject_old_samples: .*boolean/);
  fails('overrides:\n  team-a:\n    retention_period: 30 days\n', /line 3: overrides\.team-a\.retention_period: a duration such as 30s, 15m, 7d/);
  fails('overrides:\n  team-a:\n    creation_grace_period: -5m\n', /line 3: overrides\.team-a\.creation_grace_period: a duration/);
  fails('overrides:\n  team-a:\n    retention_stream:\n      - selector: \'{namespace=dev}\'\n        period: 1d\n', /line 4: overrides\.team-a\.retention_stream\.0\.selector: not a stream selector \(.*\), e\.g\. \{namespace="prod"\}/);
  fails('overrides:\n  team-a:\n    retention_stream:\n      - selector: \'{a="b"} |= "x"\'\n        period: 1d\n', /retention_stream\.0\.selector: not a stream selector \(only label matchers/);
  fails('overrides:\n  team-a:\n    retention_stream:\n      - selector: \'{a="b"}\'\n', /line 4: overrides\.team-a\.retention_stream\.0\.period: /);
  fails('overrides:\n  "team a":\n    max_line_size: 1\n', /line 2: overrides\.team a: not a tenant id/);
  fails('overrides:\n  __proto__:\n    max_line_size: 1\n', /line 2: overrides\.__proto__: overrides cannot be given/);
  fails('overrides:\n  team-a: 5\n', /line 2: overrides\.team-a: /);
  fails('overrides: [a, b]\n', /line 1: overrides: /);
  // Several problems at once: all of them, in one message.
  fails('overrides:\n  a:\n    max_line_size: -1\n  b:\n    foo: 1\n', /line 3: overrides\.a\.max_line_size: .*; line 5: overrides\.b\.foo: unknown key/);
});

test('merging: a tenant\'s key beats the server\'s limits; keys it does not set fall back to them; lists are replaced whole', () => {
  const server = serverConfigSchema.parse({ limits: { ingestion_rate_mb: 8, max_line_size: 1000, discover_service_name: ['app', 'job'] }, retention: { period: '7d', streams: [{ selector: '{a="b"}', period: '30d' }] } });
  const o: TenantOverrides = { ingestion_rate_mb: 1, discover_service_name: [], max_query_series: 7, retention_period: '1d' };
  const l = tenantLimits(server.limits, o);
  assert.equal(l.ingestion_rate_mb, 1, 'the override wins');
  assert.equal(l.max_line_size, 1000, 'the server\'s value where the tenant says nothing');
  assert.equal(l.max_entries_limit_per_query, 5000, 'the schema default where neither does');
  assert.equal(l.max_query_series, 7);
  assert.deepEqual(l.discover_service_name, [], 'a list is replaced, not merged');
  assert.equal(l.ingestion_burst_size_mb, undefined, 'unset everywhere: the enforcing code applies Loki\'s default');
  assert.deepEqual(tenantRetention(server.retention, o), { period: '1d', streams: [{ selector: '{a="b"}', period: '30d', priority: 0 }] });
  assert.deepEqual(tenantRetention(server.retention, { retention_stream: [] }), { period: '7d', streams: [] });
  assert.deepEqual(tenantLimits(server.limits, undefined), server.limits);
});

test('the owner: a good rewrite applies and is published; a bad one is refused once, counted and logged, and the overrides in force stay', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-runtime-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'o.yaml');
  writeFileSync(file, 'overrides:\n  a:\n    max_line_size: 10\n');
  const registry = new Registry();
  const captured = captureLog('info');
  const server = serverConfigSchema.parse({ limits: { max_line_size: 99 } });
  const rc = createRuntimeConfig({ file, periodMs: 3_600_000, limits: server.limits, log: captured.log, registry });
  const published: Array<Record<string, TenantOverrides>> = [];
  rc.subscribe((o) => published.push({ ...o }));
  assert.deepEqual(published, [{ a: { max_line_size: 10 } }], 'a subscriber gets the overrides in force at once');
  assert.equal(rc.limitsFor('a').max_line_size, 10);
  assert.equal(rc.limitsFor('b').max_line_size, 99);
  const count = (result: string) => metricSum(registry, 'logwharf_runtime_config_reloads_total', { result });

  writeFileSync(file, 'overrides:\n  b:\n    max_line_size: 20\n');
  rc.check();
  assert.deepEqual(published.at(-1), { b: { max_line_size: 20 } });
  assert.equal(rc.limitsFor('a').max_line_size, 99, 'a tenant no longer in the file is back to the server\'s limits');
  assert.equal(await count('success'), 2);

  writeFileSync(file, 'overrides:\n  b:\n    max_line_size: -20\n');
  rc.check();
  rc.check();
  assert.equal(await count('failure'), 1, 'the same bad bytes are judged once');
  assert.equal(await metricSum(registry, 'logwharf_runtime_config_last_reload_successful'), 0);
  assert.equal(rc.limitsFor('b').max_line_size, 20, 'the overrides in force stay');
  assert.equal(published.length, 2, 'nothing is published');
  const errors = captured.lines.filter((l) => l.level === 'error');
  assert.equal(errors.length, 1);
  assert.match(String(errors[0]!.err), /line 3: overrides\.b\.max_line_size: Too small/);

  unlinkSync(file);
  rc.check();
  assert.equal(await count('failure'), 2, 'a missing file is refused too');
  assert.equal(rc.limitsFor('b').max_line_size, 20);

  writeFileSync(file, 'overrides:\n  b:\n    max_line_size: 20\n');
  rc.check();
  assert.equal(await metricSum(registry, 'logwharf_runtime_config_last_reload_successful'), 1, 'the good version again: successful');
  assert.equal(await count('success'), 3);
  rc.close();
});

test('the owner: no file configured means no overrides and nothing read', () => {
  const server = serverConfigSchema.parse({});
  const rc = createRuntimeConfig({ file: '', periodMs: 1000, limits: server.limits, log: captureLog('silent').log, registry: new Registry() });
  assert.deepEqual(rc.overrides(), {});
  assert.equal(rc.limitsFor('x'), server.limits);
  rc.start();
  rc.close();
});

test('the owner: a bad file at start throws, naming file, line and key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-runtime-'));
  try {
    const file = join(dir, 'o.yaml');
    writeFileSync(file, 'overrides:\n  a:\n    max_lin_size: 10\n');
    const server = serverConfigSchema.parse({});
    assert.throws(() => createRuntimeConfig({ file, periodMs: 1000, limits: server.limits, log: captureLog('silent').log, registry: new Registry() }), new RegExp(`invalid configuration in ${file}: line 3: overrides\\.a\\.max_lin_size: unknown key`));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
