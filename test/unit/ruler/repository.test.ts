import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuleRepository, type RuleRepository } from '../../../src/ruler/repository.js';
import { createLogger } from '../../../src/util/logger.js';
import { isLogwharfError } from '../../../src/api/errors.js';
import type { RuleGroupSpec } from '../../../src/rules/model.js';
import { waitFor } from '../../helpers/wait-for.js';

const spec = (name: string, interval?: string): RuleGroupSpec => ({
  name,
  ...(interval ? { interval } : {}),
  rules: [{ alert: `${name}Alert`, expr: 'sum(count_over_time({app="x"}[1m])) > 5', for: '2m' }],
});

async function setup(t: { after(fn: () => Promise<void> | void): void }, rulesDirRescanMs = 0) {
  const base = mkdtempSync(join(tmpdir(), 'logwharf-repo-'));
  const dataDir = join(base, 'data');
  const rulesDir = join(base, 'rules');
  mkdirSync(dataDir);
  mkdirSync(join(rulesDir, 'team-a'), { recursive: true });
  const repos: RuleRepository[] = [];
  const open = async () => {
    const r = await createRuleRepository({
      dataDir,
      rulesDir,
      defaultIntervalMs: 60_000,
      maxGroupsPerTenant: 10,
      maxRulesPerGroup: 10,
      log: createLogger({ level: 'silent' }),
      rulesDirWatch: false,
      rulesDirRescanMs,
    });
    repos.push(r);
    return r;
  };
  t.after(async () => {
    for (const r of repos) await r.close();
    rmSync(base, { recursive: true, force: true });
  });
  return { dataDir, rulesDir, open };
}

test('list() gives every tenant\'s groups, normalised, from both the API and rules_dir', async (t) => {
  const { rulesDir, open } = await setup(t);
  writeFileSync(join(rulesDir, 'team-a', 'git.yaml'), 'groups:\n  - name: from-git\n    interval: 30s\n    rules:\n      - record: r:x\n        expr: sum(rate({app="x"}[1m]))\n');
  const repo = await open();
  await repo.put('team-a', 'api-ns', spec('from-api'));
  await repo.put('team-b', 'ns', spec('b-group', '2m'));

  const all = repo.list();
  assert.deepEqual(
    all.map((g) => [g.tenant, g.namespace, g.name, g.origin, g.intervalMs]),
    [
      ['team-a', 'api-ns', 'from-api', 'api', 60_000],
      ['team-a', 'git', 'from-git', 'dir', 30_000],
      ['team-b', 'ns', 'b-group', 'api', 120_000],
    ],
  );
  assert.deepEqual(repo.list('team-b').map((g) => g.name), ['b-group']);
  assert.deepEqual(repo.list('nobody'), []);
  const rule = all[0]!.rules[0]!;
  assert.equal(rule.kind, 'alerting');
  assert.deepEqual(repo.get('team-a', 'git').map((g) => g.name), ['from-git']);
  assert.equal(repo.get('team-a', 'git', 'from-git')?.spec.interval, '30s');
  assert.equal(repo.get('team-a', 'git', 'nope'), undefined);
});

test('a rules_dir namespace is read-only: put and delete answer 403 naming the file, and nothing changes', async (t) => {
  const { rulesDir, open } = await setup(t);
  writeFileSync(join(rulesDir, 'team-a', 'git.yaml'), 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(count_over_time({a="b"}[1m])) > 1\n');
  const repo = await open();
  for (const attempt of [() => repo.put('team-a', 'git', spec('new')), () => repo.delete('team-a', 'git', 'g'), () => repo.delete('team-a', 'git')]) {
    await assert.rejects(attempt(), (e: unknown) => {
      assert.ok(isLogwharfError(e));
      assert.equal(e.status, 403);
      assert.match(e.message, /namespace "git" is read-only: its rules come from ruler\.rules_dir \(.*team-a\/git\.yaml\)/);
      return true;
    });
  }
  assert.deepEqual(repo.get('team-a', 'git').map((g) => g.name), ['g']);
  // The same namespace name is writable for another tenant.
  await repo.put('team-b', 'git', spec('mine'));
  assert.equal(repo.get('team-b', 'git', 'mine')?.origin, 'api');
});

test('onChange fires after API writes and directory reloads, and stops after unsubscribing', async (t) => {
  const { rulesDir, open } = await setup(t, 30);
  const repo = await open();
  let calls = 0;
  const off = repo.onChange(() => calls++);
  await repo.put('fake', 'ns', spec('g'));
  assert.equal(calls, 1);
  assert.equal(repo.list().length, 1, 'list() reflects the write when the listener runs');
  assert.equal(await repo.delete('fake', 'ns', 'missing'), false);
  assert.equal(calls, 1, 'nothing deleted, no change');
  await repo.delete('fake', 'ns', 'g');
  assert.equal(calls, 2);
  writeFileSync(join(rulesDir, 'team-a', 'x.yaml'), 'groups:\n  - name: d\n    rules:\n      - alert: A\n        expr: sum(count_over_time({a="b"}[1m])) > 1\n');
  await waitFor('the directory rescan to report the new file', () => calls === 3);
  assert.deepEqual(repo.list().map((g) => g.name), ['d']);
  off();
  await repo.put('fake', 'ns', spec('again'));
  assert.equal(calls, 3);
});

test('API groups survive reopening; list() is the same', async (t) => {
  const { open } = await setup(t);
  const first = await open();
  await first.put('t1', 'a', spec('g1'));
  await first.put('t1', 'b', spec('g2', '15s'));
  await first.put('t2', 'a', spec('g3'));
  const expected = first.list();
  await first.close();
  const second = await open();
  assert.deepEqual(second.list(), expected);
});
