/**
 * The CLI against a server with `tls.client_auth: require` (issue #11), with openssl-made CAs:
 * push, query and tail with logcli's `--ca-cert`, `--cert`, `--key` (and their LOKI_* variables);
 * without a client certificate, with the wrong CA, and with bad files, each a clear error naming
 * the flags that fix it.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { startServer, removeDir, runCli, tempDir, type RunningServer } from './helpers/server.js';
import { issueCert, issueLocalServerCert, makeCa, type Ca, type CertFiles } from '../helpers/certs.js';
import { waitFor } from '../helpers/wait-for.js';

const BIN = join(new URL('../../', import.meta.url).pathname, 'dist/cli/main.js');

let dir: string;
let ca: Ca;
let otherCa: Ca;
let client: CertFiles;
let srv: RunningServer;
/** The flags of a well-configured client. */
let tlsFlags: string[];

before(async () => {
  dir = tempDir('cli-tls-');
  ca = makeCa(dir, 'ca');
  otherCa = makeCa(dir, 'other-ca');
  const server = issueLocalServerCert(dir, ca);
  client = issueCert(dir, ca, 'cli', { usage: 'client' });
  srv = await startServer({ tls: { cert_file: server.cert, key_file: server.key, client_ca_file: ca.cert, client_auth: 'require' } });
  assert.match(srv.url, /^https:/);
  tlsFlags = ['--addr', srv.url, '--ca-cert', ca.cert, '--cert', client.cert, '--key', client.key];
});
after(async () => {
  await srv.close();
  removeDir(srv.dir);
  removeDir(dir);
});

test('push, query and tail over mTLS with --ca-cert, --cert and --key', async () => {
  const pushed = await runCli(['push', ...tlsFlags, '--labels', '{job="cli-tls"}'], 'first over mtls\n');
  assert.equal(pushed.code, 0, pushed.stderr);

  const tail = spawn(process.execPath, [BIN, 'tail', ...tlsFlags, '{job="cli-tls"}', '--since', '1h', '--output', 'raw'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  tail.stdout.on('data', (c) => (out += c));
  tail.stderr.on('data', (c) => (err += c));
  const exited = new Promise((r) => tail.on('exit', r));
  await waitFor('the tail prints the pushed line', () => out.includes('first over mtls') || tail.exitCode !== null);
  assert.match(out, /first over mtls/, err);
  const live = await runCli(['push', ...tlsFlags, '--labels', '{job="cli-tls"}'], 'live over wss\n');
  assert.equal(live.code, 0, live.stderr);
  await waitFor('the live line over wss://', () => out.includes('live over wss') || tail.exitCode !== null);
  tail.kill('SIGINT');
  assert.equal(await exited, 0, err);
  assert.match(out, /first over mtls\nlive over wss/);

  const q = await runCli(['query', ...tlsFlags, '{job="cli-tls"}', '--since', '1h', '--output', 'raw']);
  assert.equal(q.code, 0, q.stderr);
  assert.deepEqual(q.stdout.trim().split('\n').sort(), ['first over mtls', 'live over wss']);

  // logcli's environment variables do the same.
  const env = { LOKI_ADDR: srv.url, LOKI_CA_CERT_PATH: ca.cert, LOKI_CLIENT_CERT_PATH: client.cert, LOKI_CLIENT_KEY_PATH: client.key };
  const viaEnv = await runCli(['labels'], '', 30_000, env);
  assert.equal(viaEnv.code, 0, viaEnv.stderr);
  assert.match(viaEnv.stdout, /job/);
});

test('without a client certificate, with the wrong CA or bad files: clear errors naming the flags', async () => {
  for (const cmd of [['query', '{job="cli-tls"}', '--since', '1h'], ['push', '--labels', '{job="cli-tls"}']]) {
    const noCert = await runCli([...cmd, '--addr', srv.url, '--ca-cert', ca.cert], 'never sent\n');
    assert.equal(noCert.code, 1, noCert.stderr);
    assert.match(noCert.stderr, /client certificate \(mTLS\).*--cert FILE --key FILE/, `${cmd[0]}: ${noCert.stderr}`);
  }
  const tailNoCert = await runCli(['tail', '--addr', srv.url, '--ca-cert', ca.cert, '{job="cli-tls"}']);
  assert.equal(tailNoCert.code, 1);
  assert.match(tailNoCert.stderr, /--cert FILE --key FILE/);

  const wrongCa = await runCli(['query', '--addr', srv.url, '--ca-cert', otherCa.cert, '--cert', client.cert, '--key', client.key, '{job="cli-tls"}', '--since', '1h']);
  assert.equal(wrongCa.code, 1);
  assert.match(wrongCa.stderr, /certificate is not signed by a trusted CA.*--ca-cert FILE/);
  const noCa = await runCli(['labels', '--addr', srv.url, '--cert', client.cert, '--key', client.key]);
  assert.match(noCa.stderr, /--ca-cert FILE/, 'the system CAs do not know a private CA');

  // --tls-skip-verify trusts any server certificate; the client certificate is still needed.
  const skip = await runCli(['labels', '--addr', srv.url, '--tls-skip-verify', '--cert', client.cert, '--key', client.key]);
  assert.equal(skip.code, 0, skip.stderr);

  const skipEnv = await runCli(['labels', '--addr', srv.url, '--cert', client.cert, '--key', client.key], '', 30_000, { LOKI_TLS_SKIP_VERIFY: 'true' });
  assert.equal(skipEnv.code, 0, skipEnv.stderr);
  const badEnv = await runCli(['labels', '--addr', srv.url], '', 30_000, { LOKI_TLS_SKIP_VERIFY: 'yes' });
  assert.equal(badEnv.code, 2);
  assert.match(badEnv.stderr, /LOKI_TLS_SKIP_VERIFY: "yes" is not true or false/);

  const onlyCert = await runCli(['labels', '--addr', srv.url, '--cert', client.cert]);
  assert.equal(onlyCert.code, 2);
  assert.match(onlyCert.stderr, /--cert and --key go together/);
  const missing = await runCli(['labels', '--addr', srv.url, '--ca-cert', join(dir, 'nope.pem')]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /--ca-cert: cannot read .*nope\.pem \(ENOENT\)/);
  writeFileSync(join(dir, 'garbage.pem'), 'not a certificate\n');
  const garbage = await runCli(['labels', '--addr', srv.url, '--cert', join(dir, 'garbage.pem'), '--key', client.key]);
  assert.equal(garbage.code, 2);
  assert.match(garbage.stderr, /the TLS files do not load/);
  const mismatched = await runCli(['labels', '--addr', srv.url, '--cert', client.cert, '--key', ca.key]);
  assert.equal(mismatched.code, 2);
  assert.match(mismatched.stderr, /the TLS files do not load/);
});
