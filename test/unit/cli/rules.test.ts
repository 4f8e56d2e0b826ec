/**
 * `logwharf rules`, run in-process through the dispatcher: lint (offline) and usage errors. The
 * commands that talk to the ruler API, and the backtest, are tested against the real server in
 * test/e2e/rules-cli.test.ts.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../src/cli/dispatch.js';
import { diffRules } from '../../../src/cli/rules.js';
import type { RuleGroupSpec } from '../../../src/rules/model.js';
import { ERRORS_GROUP_YAML, VOLUME_GROUP_YAML } from '../../helpers/rule-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'logwharf-rules-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
/** Usage errors are found before any request: nothing listens here. */
const NOWHERE = 'http://127.0.0.1:1';

async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
  stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
  const code = await run(argv, { stdout, stderr, stdin: Readable.from(['']), signal: new AbortController().signal });
  return { code, stdout: out, stderr: err };
}

function file(name: string, text: string): string {
  const p = join(dir, name);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, text);
  return p;
}


test('lint: every problem as FILE:LINE:COL: group "g" rule "r": reason, exit 1', async () => {
  const bad = file(
    'lint/bad.yaml',
    `groups:
  - name: g
    rules:
      - alert: HighErrors
        expr: sum(count_over_time({job="api"} |= [5m]))
        for: 5x
      - record: r
        expr: vector(1)
        annotations:
          a: b
        bogus: 1
`,
  );
  const r = await cli(['rules', 'lint', bad]);
  assert.equal(r.code, 1);
  assert.equal(
    r.stdout,
    [
      `${bad}:5:50: group "g" rule "HighErrors": invalid rule expression: parse error at line 1, col 36: syntax error: unexpected RANGE, expecting STRING or ip`,
      `${bad}:6:14: group "g" rule "HighErrors": for: unknown unit "x" in duration "5x"`,
      `${bad}:9:9: group "g" rule "r": invalid field 'annotations' in recording rule`,
      `${bad}:11:9: group "g" rule "r": field bogus not found in type rulefmt.Rule`,
      '',
    ].join('\n'),
  );
  assert.equal(r.stderr, '4 problems found\n');
});

test('lint: valid files print a count and exit 0; a missing file and bad YAML are problems', async () => {
  const a = file('lint/a.yaml', 'groups:\n' + ERRORS_GROUP_YAML + VOLUME_GROUP_YAML);
  const b = file('lint/b.yaml', 'groups:\n  - name: other\n    rules:\n      - alert: A\n        expr: vector(1)\n');
  const ok = await cli(['rules', 'lint', a, b]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.equal(ok.stdout, '3 groups, 3 rules OK\n');
  const missing = await cli(['rules', 'lint', join(dir, 'nope.yaml')]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, `${join(dir, 'nope.yaml')}: cannot read: ENOENT\n`);
  const yaml = file('lint/broken.yaml', 'groups:\n  - name: [\n');
  const broken = await cli(['rules', 'lint', yaml]);
  assert.equal(broken.code, 1);
  assert.match(broken.stdout, new RegExp(`^${yaml.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:1: yaml: `));
  const none = await cli(['rules', 'lint']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /want at least one rule file/);
});

test('usage errors exit 2', async () => {
  assert.equal((await cli(['rules'])).code, 2);
  const r = await cli(['rules', 'frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown subcommand "frobnicate"/);
  assert.equal((await cli(['rules', 'get', '--addr', NOWHERE])).code, 2);
  assert.equal((await cli(['rules', 'sync', '--addr', NOWHERE, join(dir, 'does-not-exist')])).code, 2);
  mkdirSync(join(dir, 'empty'), { recursive: true });
  const empty = await cli(['rules', 'sync', '--addr', NOWHERE, join(dir, 'empty')]);
  assert.equal(empty.code, 2);
  assert.match(empty.stderr, /has no <namespace>\.yaml rule files; refusing to delete every rule group/);
  assert.equal((await cli(['rules', 'test', join(dir, 'x.yaml'), '--from', 'yesterday'])).code, 2);
  const help = await cli(['rules', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /sync DIR \[--dry-run\]/);
});

test('diffRules: create, update (any field differs), delete across namespaces; equal groups untouched', () => {
  const g = (name: string, expr = 'vector(1) > 0', extra: Partial<RuleGroupSpec> = {}): RuleGroupSpec => ({ name, rules: [{ alert: 'A', expr }], ...extra });
  const local = { a: [g('same'), g('changed', 'vector(2) > 0'), g('new')], b: [g('interval', undefined, { interval: '2m' })] };
  const remote = { a: [g('same'), g('changed'), g('gone')], b: [g('interval')], c: [g('orphan')] };
  assert.deepEqual(
    diffRules(local, remote).map((c) => `${c.op} ${c.namespace}/${c.group}`),
    ['~ a/changed', '+ a/new', '~ b/interval', '- a/gone', '- c/orphan'],
  );
  assert.deepEqual(diffRules(remote, remote), []);
  assert.deepEqual(diffRules({}, remote).length, 5);
});
