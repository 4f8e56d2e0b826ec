/**
 * `logwharf rules` as a user runs it (the built binary in a child process) against the real server:
 * lint's exit codes; list/get/delete/sync through the server's ruler API (with auth on, so tenants
 * are kept apart, and a read-only ruler.rules_dir namespace); and the backtest over lines pushed with
 * known timestamps, asserting the transitions at their exact times.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, removeDir, runCli, type RunningServer } from './helpers/server.js';
import { parseRuleFile } from '../../src/rules/parse.js';
import { ERRORS_GROUP_YAML, VOLUME_GROUP_YAML } from '../helpers/rule-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'logwharf-rules-e2e-'));
let srv: RunningServer;
/** With auth on (tenants apart) and a read-only namespace "git" for team-a from ruler.rules_dir. */
let authSrv: RunningServer;
const rulesDir = join(dir, 'rules-dir');

const cli = runCli;

before(async () => {
  srv = await startServer();
  mkdirSync(join(rulesDir, 'team-a'), { recursive: true });
  writeFileSync(join(rulesDir, 'team-a', 'git.yaml'), 'groups:\n  - name: from-git\n    rules:\n      - alert: G\n        expr: vector(1) > 0\n');
  authSrv = await startServer({ auth_enabled: true, ruler: { rules_dir: rulesDir } });
});
after(async () => {
  await srv.close();
  removeDir(srv.dir);
  await authSrv.close();
  removeDir(authSrv.dir);
  rmSync(dir, { recursive: true, force: true });
});

test('rules lint: exit 1 with positions for a bad file, 0 with a count for good ones', async () => {
  const bad = join(dir, 'bad.yaml');
  writeFileSync(bad, 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(rate({job="x"}[5m])) by\n        labels:\n          s: "{{ humanise $value }}"\n');
  const r = await cli(['rules', 'lint', bad]);
  assert.equal(r.code, 1, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 2, r.stdout);
  assert.match(lines[0]!, new RegExp(`^${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:5:\\d+: group "g" rule "A": invalid rule expression: parse error at line 1, col \\d+`));
  assert.equal(lines[1], `${bad}:7:14: group "g" rule "A": label s: invalid template: function "humanise" not defined in "{{ humanise $value }}"`);
  const good = join(dir, 'good.yaml');
  writeFileSync(good, 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(rate({job="x"}[5m])) > 1\n      - record: job:x:rate5m\n        expr: sum(rate({job="x"}[5m]))\n');
  const ok = await cli(['rules', 'lint', good]);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.equal(ok.stdout, '1 group, 2 rules OK\n');
});

test('rules test: the backtest prints each transition at its exact time, with the alert labels', async () => {
  // An hour ago, on a minute boundary: 5 error lines in each of minutes 10..14 after T.
  const T = Math.floor(Date.now() / 60_000) * 60_000 - 60 * 60_000;
  const values: Array<[string, string]> = [];
  for (let m = 10; m <= 14; m++) for (const s of [5, 15, 25, 35, 45]) values.push([String(BigInt(T + m * 60_000 + s * 1000) * 1_000_000n), `level=error msg="boom ${m}/${s}"`]);
  values.push([String(BigInt(T + 20 * 60_000) * 1_000_000n), 'level=info msg="fine"']);
  const push = await fetch(srv.url + '/loki/api/v1/push', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ streams: [{ stream: { job: 'bt' }, values }] }),
  });
  assert.equal(push.status, 204, await push.text());

  const file = join(dir, 'backtest.yaml');
  writeFileSync(
    file,
    `groups:
  - name: bt
    interval: 1m
    rules:
      - alert: HighErrors
        expr: sum by (job) (count_over_time({job="bt"} |= "error" [1m])) > 2
        for: 2m
        labels:
          severity: page
          team: "{{ $labels.job }}-team"
        annotations:
          summary: "{{ $labels.job }}: {{ $value }} errors a minute"
      - alert: AnyError
        expr: sum by (job) (count_over_time({job="bt"} |= "error" [1m])) > 0
        keep_firing_for: 2m
      - record: job:bt:errors
        expr: sum(count_over_time({job="bt"}[1m]))
`,
  );
  const iso = (min: number) => new Date(T + min * 60_000).toISOString().replace('.000Z', 'Z');
  const r = await cli(['rules', 'test', file, '--addr', srv.url, '--from', String(T / 1000), '--to', iso(30)]);
  assert.equal(r.code, 0, r.stderr + r.stdout);
  // count_over_time over (t-1m, t] sees minute m-1's 5 lines: present at T+11m..T+15m.
  const hi = '{alertname="HighErrors", job="bt", severity="page", team="bt-team"}';
  const any = '{alertname="AnyError", job="bt"}';
  assert.equal(
    r.stdout,
    [
      `group "bt" rule "HighErrors" (for 2m, every 1m, ${iso(0)} to ${iso(30)}):`,
      `  ${iso(11)}  pending   ${hi}`,
      `  ${iso(13)}  firing    ${hi}`,
      `  ${iso(16)}  resolved  ${hi}`,
      '  HighErrors: would have fired 1 time (1 alert), 0 still firing at the end (31 evaluations)',
      '',
      `group "bt" rule "AnyError" (for 0s, keep_firing_for 2m, every 1m, ${iso(0)} to ${iso(30)}):`,
      `  ${iso(11)}  firing    ${any}`,
      `  ${iso(18)}  resolved  ${any}`,
      '  AnyError: would have fired 1 time (1 alert), 0 still firing at the end (31 evaluations)',
      '',
      '',
    ].join('\n'),
  );

  // --annotations: what the notification would have said
  const ann = await cli(['rules', 'test', file, '--addr', srv.url, '--from', String(T / 1000), '--to', iso(30), '--annotations']);
  assert.equal(ann.code, 0, ann.stderr);
  assert.ok(ann.stdout.includes(`  ${iso(13)}  firing    ${hi}\n      summary: "bt: 5 errors a minute"\n  ${iso(16)}  resolved`), ann.stdout);

  // --step overrides the interval; relative times as `logwharf query` takes them
  const coarse = await cli(['rules', 'test', file, '--addr', srv.url, '--from', 'now-2h', '--step', '5m']);
  assert.equal(coarse.code, 0, coarse.stderr);
  assert.match(coarse.stdout, /rule "HighErrors" \(for 2m, every 5m, /);
});

test('rules test: a failing query is reported under its rule, and the exit code is 1', async () => {
  const file = join(dir, 'unreachable.yaml');
  writeFileSync(file, 'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: sum(count_over_time({job="bt"}[1m])) > 0\n');
  // port 1: nothing listens there
  const r = await cli(['rules', 'test', file, '--addr', 'http://127.0.0.1:1', '--since', '1h']);
  assert.equal(r.code, 1);
  assert.match(r.stdout, /^group "g" rule "A" .*:\n {2}error: GET http:\/\/127\.0\.0\.1:1\/loki\/api\/v1\/query_range failed/);
});


async function post(tenant: string, namespace: string, body: string): Promise<void> {
  const res = await fetch(`${authSrv.url}/loki/api/v1/rules/${namespace}`, { method: 'POST', headers: { 'X-Scope-OrgID': tenant, 'Content-Type': 'application/yaml' }, body });
  assert.equal(res.status, 202, await res.text());
}

test('rules sync, list, get and delete against the server\'s ruler API', async () => {
  // The server has, for team-a: app/errors differing (for: 10m), app/old and legacy/x (gone from DIR),
  // and git/from-git from ruler.rules_dir (read-only); team-b has its own app/errors.
  await post('team-a', 'app', 'name: errors\ninterval: 30s\nrules:\n  - alert: HighErrors\n    expr: sum by (job) (count_over_time({job="api"} |= "error" [5m])) > 5\n    for: 10m\n    labels:\n      severity: page\n');
  await post('team-a', 'app', 'name: old\nrules:\n  - alert: Old\n    expr: vector(1) > 0\n');
  await post('team-a', 'legacy', 'name: x\nrules:\n  - alert: X\n    expr: vector(1) > 0\n');
  await post('team-b', 'app', 'name: errors\nrules:\n  - alert: B\n    expr: vector(1) > 0\n');
  const d = join(dir, 'sync');
  mkdirSync(d, { recursive: true });
  writeFileSync(join(d, 'app.yaml'), 'groups:\n' + ERRORS_GROUP_YAML + VOLUME_GROUP_YAML);
  writeFileSync(join(d, 'infra.yml'), 'groups:\n  - name: disk\n    rules:\n      - alert: DiskErrors\n        expr: count_over_time({job="disk"} |= "I/O error" [5m]) > 0\n');
  writeFileSync(join(d, 'README.txt'), 'not a rule file');
  const a = ['--addr', authSrv.url, '--org-id', 'team-a'];

  const dry = await cli(['rules', 'sync', d, '--dry-run', ...a]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.equal(dry.stdout, ['~ app/errors', '+ app/volume', '+ infra/disk', '- app/old', '- git/from-git', '- legacy/x', ''].join('\n'));
  const before = await cli(['rules', 'list', ...a]);
  assert.equal(before.stdout, ['app     errors    1 rule', 'app     old       1 rule', 'git     from-git  1 rule', 'legacy  x         1 rule', ''].join('\n'));

  const real = await cli(['rules', 'sync', d, ...a]);
  assert.equal(real.code, 0, real.stderr);
  assert.equal(real.stdout, ['~ app/errors', '+ app/volume', '+ infra/disk', '- app/old', '- legacy/x', ''].join('\n'));
  assert.match(real.stderr, /^warning: git\/from-git left alone: namespace "git" is read-only: its rules come from ruler\.rules_dir/);
  assert.match(real.stderr, /\n2 created, 1 updated, 2 deleted, 1 left alone \(read-only on the server\)\n$/);

  const after = await cli(['rules', 'list', ...a]);
  assert.equal(after.stdout, ['app    errors    1 rule', 'app    volume    1 rule', 'git    from-git  1 rule', 'infra  disk      1 rule', ''].join('\n'));
  // team-b's rules are its own
  const b = await cli(['rules', 'list', '--addr', authSrv.url, '--tenant', 'team-b']);
  assert.equal(b.stdout, 'app  errors  1 rule\n');

  // Nothing left to do but the read-only group.
  const again = await cli(['rules', 'sync', d, ...a]);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, '');
  assert.match(again.stderr, /0 created, 0 updated, 0 deleted, 1 left alone/);

  // get NAMESPACE prints a rule file that reads back as DIR's groups; get GROUP one group
  const ns = await cli(['rules', 'get', 'app', ...a]);
  assert.equal(ns.code, 0, ns.stderr);
  assert.deepEqual(parseRuleFile(ns.stdout), parseRuleFile('groups:\n' + ERRORS_GROUP_YAML + VOLUME_GROUP_YAML));
  const g = await cli(['rules', 'get', 'app', 'volume', ...a]);
  assert.equal(g.stdout, 'name: volume\nrules:\n    - record: job:lines:rate1m\n      expr: sum by (job) (rate({job="api"}[1m]))\n');
  const missing = await cli(['rules', 'get', 'app', 'nope', ...a]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stderr, 'error: GET /loki/api/v1/rules/app/nope: 404 Not Found: group does not exist\n');

  const del = await cli(['rules', 'delete', 'app', 'volume', ...a]);
  assert.equal(del.code, 0, del.stderr);
  assert.equal(del.stdout, 'deleted group app/volume\n');
  assert.equal((await cli(['rules', 'delete', 'infra', ...a])).stdout, 'deleted namespace infra\n');
  const gone = await cli(['rules', 'delete', 'infra', ...a]);
  assert.equal(gone.code, 1);
  assert.match(gone.stderr, /404 Not Found: group namespace does not exist/);
  assert.equal((await cli(['rules', 'list', ...a])).stdout, 'app  errors    1 rule\ngit  from-git  1 rule\n');

  // A problem in any file: nothing changes.
  writeFileSync(join(d, 'bad.yaml'), 'groups:\n  - name: b\n    rules:\n      - alert: B\n        expr: \'{job="x"}\'\n');
  const bad = await cli(['rules', 'sync', d, ...a]);
  assert.equal(bad.code, 1);
  assert.equal(bad.stdout, `${join(d, 'bad.yaml')}:5:15: group "b" rule "B": invalid rule expression: a log query cannot be a rule, the expression must be a metric query (e.g. count_over_time(... [5m]))\n`);
  assert.equal((await cli(['rules', 'list', ...a])).stdout, 'app  errors    1 rule\ngit  from-git  1 rule\n');
});

test('rules list with no rules at all is empty, not an error', async () => {
  const r = await cli(['rules', 'list', '--addr', authSrv.url, '--org-id', 'nobody']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
});
