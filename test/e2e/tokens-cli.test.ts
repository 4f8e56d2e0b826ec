/**
 * `logwharf token create|list|revoke` on the data directory of a running server (a child process
 * holding the store's lock): the token printed once works against the admin API, list never shows a
 * secret, and a revocation by the CLI is refused by the running server within a second.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { removeDir, runCli, startChildServer, tempDir } from './helpers/server.js';
import { waitFor } from '../helpers/wait-for.js';

const lastLine = (s: string) => s.trimEnd().split('\n').at(-1)!;

test('token create → list → revoke while the server runs; the revocation acts within a second', async (t) => {
  const dir = tempDir('logwharf-tokens-cli-');
  t.after(() => removeDir(dir));
  const srv = await startChildServer(dir, ['--log-level', 'warn']);
  t.after(async () => {
    srv.proc.kill('SIGTERM');
    await srv.exited;
  });

  const created = await runCli(['token', 'create', '--data', dir, '--tenant', 'team-a', '--tenant', 'team-b', '--role', 'admin', '--name', 'ops', '--expires', '90d']);
  assert.equal(created.code, 0, created.stderr);
  const token = lastLine(created.stdout);
  assert.match(token, /^lwt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
  assert.equal(created.stdout, token + '\n', 'stdout is the token alone');
  assert.match(created.stderr, /created token "ops" \(id [0-9a-f]{16}, role admin, tenants team-a, team-b, expires 20\d\d-.*shown once/);
  const secret = token.slice(21);

  // The running server knows the token the CLI made (Basic auth with any user name, as Grafana sends it).
  const basic = `Basic ${Buffer.from(`grafana:${token}`).toString('base64')}`;
  const res = await fetch(`${srv.url}/api/v1/tokens`, { headers: { Authorization: basic } });
  assert.equal(res.status, 200, await res.clone().text());
  const listed = ((await res.json()) as { data: Array<{ name: string; last_used_at: string | null }> }).data;
  assert.deepEqual(listed.map((x) => x.name), ['ops']);

  const table = await runCli(['token', 'list', '--data', dir]);
  assert.equal(table.code, 0, table.stderr);
  const [head, row] = table.stdout.trimEnd().split('\n');
  assert.match(head!, /^ID\s+NAME\s+ROLE\s+TENANTS\s+CERT CN\s+CREATED\s+EXPIRES\s+LAST USED\s+STATUS$/);
  assert.match(row!, /^[0-9a-f]{16}\s+ops\s+admin\s+team-a,team-b\s+-\s+\S+\s+\S+\s+20\d\d-\S+\s+active$/, 'the last use by the server shows');
  const json = await runCli(['token', 'list', '--data', dir, '--output', 'json']);
  const parsed = JSON.parse(json.stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(Object.keys(parsed[0]!).sort(), ['cert_cn', 'created_at', 'expires_at', 'id', 'last_used_at', 'name', 'revoked_at', 'role', 'tenants']);
  for (const out of [table.stdout, json.stdout, table.stderr, json.stderr]) assert.equal(out.includes(secret), false, 'list shows no secret');
  for (const f of readdirSync(join(dir, 'auth'))) assert.equal(readFileSync(join(dir, 'auth', f)).includes(secret), false, `${f} holds the secret`);

  const revoked = await runCli(['token', 'revoke', '--data', dir, 'ops']);
  assert.equal(revoked.code, 0, revoked.stderr);
  assert.match(revoked.stdout, /^revoked token "ops" \(id [0-9a-f]{16}\) at 20\d\d-/);
  const revokedAt = Date.now();
  await waitFor('the running server to refuse the revoked token', async () => (await fetch(`${srv.url}/api/v1/tokens`, { headers: { Authorization: basic } })).status === 401, { timeoutMs: 1000 });
  assert.ok(Date.now() - revokedAt < 1000);

  const again = await runCli(['token', 'revoke', '--data', dir, 'ops']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no token with id or name "ops" that is not revoked already/);
  const after = await runCli(['token', 'list', '--data', dir]);
  assert.match(after.stdout, /\srevoked\n$/);
});

test('token commands say what is wrong with their flags (exit 2)', async (t) => {
  const dir = tempDir('logwharf-tokens-cli-');
  t.after(() => removeDir(dir));
  const cases: Array<[string[], RegExp]> = [
    [['token', 'create', '--tenant', 'a', '--role', 'read'], /token create: --data DIR is required/],
    [['token', 'create', '--data', dir, '--role', 'read'], /--tenant T is required/],
    [['token', 'create', '--data', dir, '--tenant', 'a'], /--role is required: read, write or admin/],
    [['token', 'create', '--data', dir, '--tenant', 'a', '--role', 'owner'], /--role "owner" is not one of read, write, admin/],
    [['token', 'create', '--data', dir, '--tenant', 'a/b', '--role', 'read'], /--tenant "a\/b" is not a valid tenant id/],
    [['token', 'create', '--data', dir, '--tenant', 'a', '--role', 'read', '--expires', 'soon'], /--expires "soon" is not a positive duration/],
    [['token', 'create', '--data', dir, '--tenant', 'a', '--role', 'read', '--expires', '150y'], /--expires "150y" is longer than 100 years/],
    [['token', 'create', '--data', dir, '--tenant', 'a', '--role', 'read', '--colour'], /Unknown option '--colour'/],
    [['token', 'create', '--data', dir, '--tenant', 'a', '--role', 'write', '--cert-cn', 'x'.repeat(65)], /--cert-cn must be 1-64 printable characters/],
    [['token', 'list', '--data', join(dir, 'missing')], /no such directory/],
    [['token', 'revoke', '--data', dir], /give one token id or name/],
    [['token', 'rotate'], /unknown subcommand "rotate"/],
  ];
  for (const [args, want] of cases) {
    const r = await runCli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, want, args.join(' '));
    assert.equal(r.stdout, '', 'no token printed');
  }
});
