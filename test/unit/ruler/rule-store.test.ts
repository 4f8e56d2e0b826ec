import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { RuleStore } from '../../../src/ruler/rule-store.js';
import { encodeName, namespaceFile, tenantRulesDir } from '../../../src/ruler/rule-paths.js';
import { createLogger } from '../../../src/util/logger.js';
import { isLogwharfError } from '../../../src/api/errors.js';
import type { RuleGroupSpec } from '../../../src/rules/model.js';

const T0 = Date.parse('2026-12-04T20:00:00Z');

function setup(t: { after(fn: () => void): void }, limits: { groups?: number; rules?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-rulestore-'));
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
  const registry = new Registry();
  const open = () => RuleStore.open({ dataDir: dir, maxGroupsPerTenant: limits.groups ?? 100, maxRulesPerGroup: limits.rules ?? 100, log, registry, now: () => T0 });
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return { dir, lines, registry, open };
}

function group(name: string, rules = 1): RuleGroupSpec {
  return {
    name,
    interval: '1m',
    rules: Array.from({ length: rules }, (_, i) => ({ alert: `A${i}`, expr: `sum(count_over_time({app="x"}[1m])) > ${i}`, for: '5m', labels: { severity: 'page' } })),
  };
}

function names(store: RuleStore, tenant: string, ns: string): string[] {
  return (store.namespaces(tenant).get(ns) ?? []).map((g) => g.name);
}

async function rejects400(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(isLogwharfError(e), String(e));
    assert.equal(e.status, 400);
    assert.match(e.message, re);
    return true;
  });
}

test('groups put, replaced and deleted are what a reopened store loads', async (t) => {
  const { open } = setup(t);
  const s = await open();
  await s.putGroup('team-a', 'ns1', group('g1'));
  await s.putGroup('team-a', 'ns1', group('g2', 2));
  await s.putGroup('team-a', 'ns2', group('g1'));
  await s.putGroup('team-b', 'ns1', group('other'));
  // Replacing keeps the group's place in the file.
  await s.putGroup('team-a', 'ns1', group('g1', 3));
  assert.deepEqual(names(s, 'team-a', 'ns1'), ['g1', 'g2']);
  assert.equal(s.namespaces('team-a').get('ns1')![0]!.rules.length, 3);
  assert.equal(await s.deleteGroup('team-a', 'ns1', 'g2'), true);
  assert.equal(await s.deleteGroup('team-a', 'ns1', 'g2'), false);
  assert.equal(await s.deleteNamespace('team-a', 'ns2'), true);
  assert.equal(await s.deleteNamespace('team-a', 'ns2'), false);

  const again = await open();
  assert.deepEqual(again.tenantIds().sort(), ['team-a', 'team-b']);
  assert.deepEqual([...again.namespaces('team-a').keys()], ['ns1']);
  assert.deepEqual(again.namespaces('team-a').get('ns1'), s.namespaces('team-a').get('ns1'));
  assert.deepEqual(names(again, 'team-b', 'ns1'), ['other']);
});

test('deleting the last group of a namespace removes its file', async (t) => {
  const { open, dir } = setup(t);
  const s = await open();
  await s.putGroup('fake', 'ns', group('g'));
  const file = namespaceFile(dir, 'fake', 'ns');
  assert.ok(existsSync(file));
  await s.deleteGroup('fake', 'ns', 'g');
  assert.ok(!existsSync(file));
  assert.deepEqual(s.tenantIds(), []);
});

test('a write interrupted by a crash (a leftover temp file) is discarded and the last acknowledged state loads', async (t) => {
  const { open, dir, lines } = setup(t);
  const s = await open();
  await s.putGroup('fake', 'ns', group('acknowledged'));
  const file = namespaceFile(dir, 'fake', 'ns');
  const before = readFileSync(file, 'utf8');
  // What a crash between writing the temp file and renaming it leaves: a half-written temp file.
  writeFileSync(file + '.tmp', 'groups:\n  - name: never-acknowledged\n    rules:\n      - alert: X\n        ex');
  const again = await open();
  assert.deepEqual(names(again, 'fake', 'ns'), ['acknowledged']);
  assert.equal(readFileSync(file, 'utf8'), before);
  assert.deepEqual(readdirSync(tenantRulesDir(dir, 'fake')), [encodeName('ns') + '.yaml']);
  assert.ok(lines.some((l) => l.includes('removed an unfinished rule file write')), lines.join(''));
});

test('a damaged file is moved aside, logged and counted, and the other namespaces still load', async (t) => {
  const { open, dir, lines, registry } = setup(t);
  const s = await open();
  await s.putGroup('fake', 'good', group('g'));
  await s.putGroup('fake', 'bad', group('g'));
  const bad = namespaceFile(dir, 'fake', 'bad');
  const garbage = 'groups:\n  - name: g\n    rules: [\u0000\u0001 not yaml';
  writeFileSync(bad, garbage);

  const again = await open();
  assert.deepEqual([...again.namespaces('fake').keys()], ['good']);
  const aside = `${bad}.damaged-2026-12-04T20-00-00-000Z`;
  assert.equal(readFileSync(aside, 'utf8'), garbage, 'the damaged bytes are kept for the operator');
  assert.ok(!existsSync(bad));
  const warn = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => String(l.msg).includes('damaged'));
  assert.ok(warn, lines.join(''));
  assert.equal(warn.level, 'warn');
  assert.equal(warn.namespace, 'bad');
  assert.equal(warn.moved_to, aside);
  assert.match(await registry.metrics(), /logwharf_ruler_damaged_rule_files_total 1\b/);

  // The namespace can be written again, and the next start neither reports nor loads the old file.
  await again.putGroup('fake', 'bad', group('fresh'));
  const third = await open();
  assert.deepEqual(names(third, 'fake', 'bad'), ['fresh']);
  assert.match(await registry.metrics(), /logwharf_ruler_damaged_rule_files_total 1\b/);
});

test('files the store did not write are ignored, not loaded and not moved', async (t) => {
  const { open, dir, lines } = setup(t);
  const tenantDir = tenantRulesDir(dir, 'fake');
  mkdirSync(tenantDir, { recursive: true });
  writeFileSync(join(tenantDir, 'README'), 'notes');
  writeFileSync(join(tenantDir, '%zz.yaml'), 'groups: []');
  const s = await open();
  assert.deepEqual(s.tenantIds(), []);
  assert.ok(existsSync(join(tenantDir, 'README')));
  assert.ok(lines.some((l) => l.includes('ignoring a file')));
});

test('max_groups_per_tenant counts new groups only, per tenant, with Loki\'s wording', async (t) => {
  const { open } = setup(t, { groups: 2 });
  const s = await open();
  await s.putGroup('a', 'ns1', group('g1'));
  await s.putGroup('a', 'ns2', group('g2'));
  await rejects400(s.putGroup('a', 'ns3', group('g3')), /^per-user rule groups limit \(limit: 2 actual: 3\) exceeded$/);
  // Replacing a group is no new group; another tenant has its own budget.
  await s.putGroup('a', 'ns1', group('g1', 2));
  await s.putGroup('b', 'ns1', group('g1'));
  await s.putGroup('b', 'ns1', group('g2'));
  assert.deepEqual(names(s, 'a', 'ns3'), []);
});

test('max_rules_per_group refuses a bigger group and leaves the stored one alone', async (t) => {
  const { open } = setup(t, { rules: 3 });
  const s = await open();
  await s.putGroup('a', 'ns', group('g', 3));
  await rejects400(s.putGroup('a', 'ns', group('g', 4)), /^per-user rules per rule group limit \(limit: 3 actual: 4\) exceeded$/);
  assert.equal(s.namespaces('a').get('ns')![0]!.rules.length, 3);
});

test('empty, dot and over-long names are refused; any other name is stored under a safe file name', async (t) => {
  const { open, dir } = setup(t);
  const s = await open();
  await rejects400(s.putGroup('a', '', group('g')), /namespace name must not be empty/);
  await rejects400(s.putGroup('a', '..', group('g')), /invalid namespace name "\.\."/);
  await rejects400(s.putGroup('a', '.', group('g')), /invalid namespace name/);
  await rejects400(s.putGroup('a', 'ns', group('..')), /invalid group name/);
  await rejects400(s.putGroup('a', 'x'.repeat(201), group('g')), /namespace name too long/);
  const weird = ['../../etc/passwd', 'a/b', '.hidden', 'name with spaces', 'ünïcødé 名前', 'nul\u0000byte', '%2F', '__proto__'];
  for (const ns of weird) await s.putGroup('we/ird..', ns, group('g'));
  const tenantDir = tenantRulesDir(dir, 'we/ird..');
  assert.equal(readdirSync(join(dir, 'rules')).length, 1, 'one tenant directory, inside the rules directory');
  for (const f of readdirSync(tenantDir)) {
    assert.match(f, /^[A-Za-z0-9_\-!*'()%][A-Za-z0-9_.\-!*'()%]*\.yaml$/);
  }
  const again = await open();
  assert.deepEqual([...again.namespaces('we/ird..').keys()].sort(), [...weird].sort());
});

test('concurrent writes to one namespace are all kept', async (t) => {
  const { open } = setup(t);
  const s = await open();
  await Promise.all(Array.from({ length: 20 }, (_, i) => s.putGroup('fake', 'ns', group(`g${i}`))));
  const again = await open();
  assert.deepEqual(names(again, 'fake', 'ns').sort(), Array.from({ length: 20 }, (_, i) => `g${i}`).sort());
});
