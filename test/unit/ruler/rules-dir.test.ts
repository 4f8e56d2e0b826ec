import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, renameSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { RulesDir, type RulesDirOptions } from '../../../src/ruler/rules-dir.js';
import { createLogger } from '../../../src/util/logger.js';
import { waitFor } from '../../helpers/wait-for.js';

function ruleFile(...groups: string[]): string {
  return 'groups:\n' + groups.map((g) => `  - name: ${g}\n    rules:\n      - alert: ${g}Alert\n        expr: sum(count_over_time({app="${g}"}[1m])) > 5\n`).join('');
}

async function setup(t: { after(fn: () => Promise<void> | void): void }, over: Partial<RulesDirOptions> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-rulesdir-'));
  const lines: string[] = [];
  const log = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (lines.push(String(c)), cb()) }) });
  const registry = new Registry();
  let changes = 0;
  const opened: RulesDir[] = [];
  const open = async () => {
    const d = await RulesDir.open({ dir, log, maxRulesPerGroup: 100, onChange: () => changes++, registry, ...over });
    opened.push(d);
    return d;
  };
  t.after(async () => {
    for (const d of opened) await d.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { dir, lines, registry, open, changes: () => changes };
}

function groupNames(d: RulesDir, tenant: string, ns: string): string[] | undefined {
  return d.namespaces(tenant).get(ns)?.map((g) => g.name);
}

/** Writes a file the way editors and git do: a new file renamed over the old one. */
function replaceFile(path: string, text: string): void {
  writeFileSync(path + '.new', text);
  renameSync(path + '.new', path);
}

test('loads <dir>/<tenant>/<namespace>.yaml and .yml, skipping hidden files and other names', async (t) => {
  const { dir, open } = await setup(t, { watch: false, rescanMs: 0 });
  mkdirSync(join(dir, 'team-a'));
  mkdirSync(join(dir, 'team-b'));
  mkdirSync(join(dir, '.git'));
  writeFileSync(join(dir, 'team-a', 'web.yaml'), ruleFile('errors', 'latency'));
  writeFileSync(join(dir, 'team-b', 'db.yml'), ruleFile('slow'));
  writeFileSync(join(dir, 'team-a', '.web.yaml.swp'), 'garbage');
  writeFileSync(join(dir, 'team-a', 'README.md'), '# rules');
  writeFileSync(join(dir, '.git', 'x.yaml'), ruleFile('git'));
  writeFileSync(join(dir, 'top-level.yaml'), ruleFile('ignored'));
  const d = await open();
  assert.deepEqual(d.tenantIds().sort(), ['team-a', 'team-b']);
  assert.deepEqual(groupNames(d, 'team-a', 'web'), ['errors', 'latency']);
  assert.deepEqual(groupNames(d, 'team-b', 'db'), ['slow']);
  assert.deepEqual([...d.namespaces('team-a').keys()], ['web']);
  assert.equal(d.owns('team-a', 'web'), true);
  assert.equal(d.owns('team-a', 'other'), false);
});

test('a change is picked up by fs.watch without waiting for the periodic rescan', async (t) => {
  // No periodic rescan at all: only the watcher can see the change.
  const { dir, open, changes } = await setup(t, { watch: true, rescanMs: 0 });
  mkdirSync(join(dir, 'fake'));
  writeFileSync(join(dir, 'fake', 'ns.yaml'), ruleFile('first'));
  const d = await open();
  assert.deepEqual(groupNames(d, 'fake', 'ns'), ['first']);
  replaceFile(join(dir, 'fake', 'ns.yaml'), ruleFile('first', 'second'));
  await waitFor('the watcher to reload the edited file', () => groupNames(d, 'fake', 'ns')?.length === 2);
  assert.ok(changes() >= 1);
  // A new tenant directory and file are seen too (the watch is recursive).
  mkdirSync(join(dir, 'other'));
  writeFileSync(join(dir, 'other', 'x.yaml'), ruleFile('new'));
  await waitFor('the watcher to load a new tenant', () => groupNames(d, 'other', 'x')?.[0] === 'new');
});

test('without watch events the periodic rescan picks changes up, and a removed file takes its groups with it', async (t) => {
  const { dir, open, changes } = await setup(t, { watch: false, rescanMs: 50 });
  mkdirSync(join(dir, 'fake'));
  writeFileSync(join(dir, 'fake', 'ns.yaml'), ruleFile('first'));
  const d = await open();
  const before = changes();
  writeFileSync(join(dir, 'fake', 'ns.yaml'), ruleFile('replaced'));
  await waitFor('the rescan to reload the file', () => groupNames(d, 'fake', 'ns')?.[0] === 'replaced');
  assert.equal(changes(), before + 1);
  unlinkSync(join(dir, 'fake', 'ns.yaml'));
  await waitFor('the rescan to drop the removed file', () => d.tenantIds().length === 0);
  assert.equal(d.owns('fake', 'ns'), false);
  assert.equal(changes(), before + 2);
});

test('a broken file keeps its last good groups, is reported once with its problem, and a fix is loaded', async (t) => {
  const { dir, open, lines, registry, changes } = await setup(t, { watch: false, rescanMs: 0 });
  mkdirSync(join(dir, 'fake'));
  const file = join(dir, 'fake', 'ns.yaml');
  writeFileSync(file, ruleFile('good'));
  const d = await open();
  const before = changes();
  writeFileSync(file, 'groups:\n  - name: good\n    rules:\n      - alert: X\n');
  await d.rescan();
  await d.rescan();
  assert.deepEqual(groupNames(d, 'fake', 'ns'), ['good'], 'last good groups kept');
  assert.equal(changes(), before, 'no change reported for a file that did not load');
  const warns = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'warn');
  assert.equal(warns.length, 1, 'reported once, not on every rescan');
  assert.equal(warns[0]!.file, file);
  assert.equal(warns[0]!.namespace, 'ns');
  assert.match(String(warns[0]!.err), /expr/);
  assert.match(String(warns[0]!.msg), /keeping its last good groups/);
  assert.match(await registry.metrics(), /logwharf_ruler_rules_dir_errors_total 1\b/);
  writeFileSync(file, ruleFile('fixed'));
  await d.rescan();
  assert.deepEqual(groupNames(d, 'fake', 'ns'), ['fixed']);
  assert.equal(changes(), before + 1);
});

test('a file broken from the start loads no groups but its namespace still belongs to the directory', async (t) => {
  const { dir, open } = await setup(t, { watch: false, rescanMs: 0 });
  mkdirSync(join(dir, 'fake'));
  writeFileSync(join(dir, 'fake', 'ns.yaml'), 'groups: [ {');
  const d = await open();
  assert.deepEqual(groupNames(d, 'fake', 'ns'), []);
  assert.equal(d.owns('fake', 'ns'), true);
});

test('a rules_dir that does not exist yet is empty, and is picked up once created', async (t) => {
  const { dir, open } = await setup(t, { watch: false, rescanMs: 50 });
  rmSync(dir, { recursive: true });
  const d = await open();
  assert.deepEqual(d.tenantIds(), []);
  mkdirSync(join(dir, 'fake'), { recursive: true });
  writeFileSync(join(dir, 'fake', 'ns.yaml'), ruleFile('late'));
  await waitFor('the rescan to find the new directory', () => groupNames(d, 'fake', 'ns')?.[0] === 'late');
});
