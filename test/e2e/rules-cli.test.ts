/**
 * `logwharf rules` as a user runs it (the built binary in a child process): lint's exit codes, and
 * the backtest against the real server, over lines pushed with known timestamps, asserting the
 * transitions at their exact times.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, removeDir, type RunningServer } from './helpers/server.js';

const BIN = join(new URL('../../', import.meta.url).pathname, 'dist/cli/main.js');
const dir = mkdtempSync(join(tmpdir(), 'logwharf-rules-e2e-'));
let srv: RunningServer;

function cli(args: string[], timeoutMs = 30_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c) => (stdout += c));
    p.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      p.kill('SIGKILL');
      reject(new Error(`logwharf ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

before(async () => {
  srv = await startServer();
});
after(async () => {
  await srv.close();
  removeDir(srv.dir);
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
