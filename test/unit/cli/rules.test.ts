/**
 * `logwharf rules`, run in-process through the dispatcher: lint offline, and list/get/delete/sync
 * against ruler-stand-in.ts (a STAND-IN for the server's ruler API, following Loki's documented
 * behaviour, until logwharf's own is on this branch).
 */
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run } from '../../../src/cli/dispatch.js';
import { parseRuleFile, parseRuleGroup } from '../../../src/rules/parse.js';
import { startRulerStandIn, type RulerStandIn } from './ruler-stand-in.js';

let ruler: RulerStandIn;
const dir = mkdtempSync(join(tmpdir(), 'logwharf-rules-cli-'));
before(async () => {
  ruler = await startRulerStandIn();
});
after(async () => {
  await ruler.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  ruler.rules.clear();
  ruler.requests.length = 0;
});

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

const GROUP_A1 = `  - name: errors
    interval: 30s
    rules:
      - alert: HighErrors
        expr: sum by (job) (count_over_time({job="api"} |= "error" [5m])) > 5
        for: 5m
        labels:
          severity: page
`;
const GROUP_A2 = `  - name: volume
    rules:
      - record: job:lines:rate1m
        expr: sum by (job) (rate({job="api"}[1m]))
`;

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
  const a = file('lint/a.yaml', 'groups:\n' + GROUP_A1 + GROUP_A2);
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

test('sync: --dry-run prints the diff and changes nothing; sync applies it; a second sync has nothing to do', async () => {
  const d = join(dir, 'sync1');
  file('sync1/app.yaml', 'groups:\n' + GROUP_A1 + GROUP_A2);
  file('sync1/infra.yml', 'groups:\n  - name: disk\n    rules:\n      - alert: DiskErrors\n        expr: count_over_time({job="disk"} |= "I/O error" [5m]) > 0\n');
  file('sync1/README.txt', 'not a rule file');
  // The server has: app/errors differing (for: 10m), app/old (gone from DIR), legacy/x (namespace gone).
  const seed = (ns: string, y: string) => {
    const t = ruler.rules.get('team-a') ?? new Map();
    ruler.rules.set('team-a', t);
    t.set(ns, [...(t.get(ns) ?? []), parseRuleGroup(y)]);
  };
  seed('app', 'name: errors\ninterval: 30s\nrules:\n  - alert: HighErrors\n    expr: sum by (job) (count_over_time({job="api"} |= "error" [5m])) > 5\n    for: 10m\n    labels:\n      severity: page\n');
  seed('app', 'name: old\nrules:\n  - alert: Old\n    expr: vector(1)\n');
  seed('legacy', 'name: x\nrules:\n  - alert: X\n    expr: vector(1)\n');
  ruler.requests.length = 0;

  const dry = await cli(['rules', 'sync', '--addr', ruler.url, '--org-id', 'team-a', '--dry-run', d]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(dry.stdout, ['~ app/errors', '+ app/volume', '+ infra/disk', '- app/old', '- legacy/x', ''].join('\n'));
  assert.deepEqual(
    ruler.requests.map((r) => r.method),
    ['GET'],
  );
  assert.equal(ruler.requests[0]!.headers['x-scope-orgid'], 'team-a');

  const real = await cli(['rules', 'sync', '--addr', ruler.url, '--org-id', 'team-a', d]);
  assert.equal(real.code, 0, real.stderr);
  assert.equal(real.stdout, dry.stdout);
  assert.equal(real.stderr, '2 created, 1 updated, 2 deleted\n');
  const posts = ruler.requests.filter((r) => r.method === 'POST');
  assert.deepEqual(posts.map((r) => r.path), ['/loki/api/v1/rules/app', '/loki/api/v1/rules/app', '/loki/api/v1/rules/infra']);
  for (const p of posts) assert.equal(p.headers['content-type'], 'application/yaml');
  assert.deepEqual(
    ruler.requests.filter((r) => r.method === 'DELETE').map((r) => r.path),
    ['/loki/api/v1/rules/app/old', '/loki/api/v1/rules/legacy/x'],
  );
  // The server now holds exactly DIR's groups.
  const mine = ruler.rules.get('team-a')!;
  assert.deepEqual([...mine.keys()].sort(), ['app', 'infra']);
  assert.deepEqual(mine.get('app'), parseRuleFile('groups:\n' + GROUP_A1 + GROUP_A2));
  // Other tenants are untouched by team-a's sync.
  assert.equal(ruler.rules.get('team-b'), undefined);

  const again = await cli(['rules', 'sync', '--addr', ruler.url, '--org-id', 'team-a', d]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, 'no changes (3 groups, 3 rules in 2 namespaces)\n');
});

test('sync: a problem in any file changes nothing and exits 1', async () => {
  file('sync2/good.yaml', 'groups:\n' + GROUP_A1);
  const bad = file('sync2/bad.yaml', 'groups:\n  - name: b\n    rules:\n      - alert: B\n        expr: \'{job="x"}\'\n');
  const r = await cli(['rules', 'sync', '--addr', ruler.url, join(dir, 'sync2')]);
  assert.equal(r.code, 1);
  assert.match(r.stdout, new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:15: group "b" rule "B": invalid rule expression: a log query cannot be a rule`));
  assert.match(r.stderr, /nothing changed/);
  assert.equal(ruler.requests.length, 0);
});

test('list, get and delete through the ruler API', async () => {
  file('sync3/app.yaml', 'groups:\n' + GROUP_A1 + GROUP_A2);
  file('sync3/infra.yaml', 'groups:\n  - name: disk\n    rules:\n      - alert: DiskErrors\n        expr: count_over_time({job="disk"} [5m]) > 0\n');
  assert.equal((await cli(['rules', 'sync', '--addr', ruler.url, join(dir, 'sync3')])).code, 0);

  const list = await cli(['rules', 'list', '--addr', ruler.url]);
  assert.equal(list.code, 0, list.stderr);
  assert.equal(list.stdout, ['app    errors  1 rule', 'app    volume  1 rule', 'infra  disk    1 rule', ''].join('\n'));
  const yaml = await cli(['rules', 'list', '--addr', ruler.url, '--output', 'yaml']);
  assert.match(yaml.stdout, /^app:\n {4}- name: errors\n/);

  // get NAMESPACE prints a rule file that lint and sync read back as the same groups
  const ns = await cli(['rules', 'get', '--addr', ruler.url, 'app']);
  assert.equal(ns.code, 0, ns.stderr);
  assert.deepEqual(parseRuleFile(ns.stdout), parseRuleFile('groups:\n' + GROUP_A1 + GROUP_A2));
  const g = await cli(['rules', 'get', '--addr', ruler.url, 'app', 'volume']);
  assert.equal(g.stdout, 'name: volume\nrules:\n    - record: job:lines:rate1m\n      expr: sum by (job) (rate({job="api"}[1m]))\n');

  const missing = await cli(['rules', 'get', '--addr', ruler.url, 'app', 'nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /^error: GET \/loki\/api\/v1\/rules\/app\/nope: 404 Not Found: group does not exist\n$/);

  const del = await cli(['rules', 'delete', '--addr', ruler.url, 'app', 'volume']);
  assert.equal(del.code, 0, del.stderr);
  assert.equal(del.stdout, 'deleted group app/volume\n');
  const delNs = await cli(['rules', 'delete', '--addr', ruler.url, 'infra']);
  assert.equal(delNs.stdout, 'deleted namespace infra\n');
  assert.equal((await cli(['rules', 'list', '--addr', ruler.url])).stdout, 'app  errors  1 rule\n');
  const delMissing = await cli(['rules', 'delete', '--addr', ruler.url, 'infra']);
  assert.equal(delMissing.code, 1);
  assert.match(delMissing.stderr, /404/);

  // nothing at all: Loki's 404 "no rule groups found" is an empty list, not an error
  await cli(['rules', 'delete', '--addr', ruler.url, 'app']);
  const empty = await cli(['rules', 'list', '--addr', ruler.url]);
  assert.equal(empty.code, 0, empty.stderr);
  assert.equal(empty.stdout, '');
});

test('usage errors exit 2', async () => {
  assert.equal((await cli(['rules'])).code, 2);
  const r = await cli(['rules', 'frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown subcommand "frobnicate"/);
  assert.equal((await cli(['rules', 'get', '--addr', ruler.url])).code, 2);
  assert.equal((await cli(['rules', 'sync', '--addr', ruler.url, join(dir, 'does-not-exist')])).code, 2);
  assert.equal((await cli(['rules', 'test', join(dir, 'x.yaml'), '--from', 'yesterday'])).code, 2);
  const help = await cli(['rules', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /sync DIR \[--dry-run\]/);
});
