/**
 * A client certificate mapped to a token's identity (issue #11): with `auth.tokens_enabled` and
 * `tls.client_auth: request`, a token made by `logwharf token create --cert-cn` lets a client whose
 * certificate `tls.client_ca_file` verified, with that subject CN, act as the token without sending
 * one. The real `logwharf agent` ships with only client.tls.cert_file/key_file; a reader's
 * certificate queries; an unbound certificate, or the same CN from another CA, is a 401 like no
 * credentials; a header wins over the certificate; revoking the token (the CLI, while the server
 * runs) stops the certificate within a second. Openssl-made certificates, port 0.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, removeDir, runCli, startCli, tempDir, type RunningServer } from './helpers/server.js';
import { issueCert, issueLocalServerCert, makeCa, type Ca, type CertFiles } from '../helpers/certs.js';
import { tlsRequest, type TlsClientFiles } from '../helpers/tls-request.js';
import { waitFor } from '../helpers/wait-for.js';
import { captureLog } from '../helpers/log-capture.js';
import { writeFileAgentYaml } from './agent/helpers.js';

let dir: string;
let data: string;
let ca: Ca;
let server: RunningServer;
const serverLog = captureLog('info');
let agent: CertFiles;
let reader: TlsClientFiles;
let stranger: TlsClientFiles;
let impostor: TlsClientFiles;
let writeToken: string;

const lastLine = (s: string) => s.trimEnd().split('\n').at(-1)!;

async function tokenCreate(args: string[]): Promise<string> {
  const r = await runCli(['token', 'create', '--data', data, ...args]);
  assert.equal(r.code, 0, r.stderr);
  return lastLine(r.stdout);
}

before(async () => {
  dir = tempDir('authz-cert-');
  data = join(dir, 'data');
  ca = makeCa(dir, 'ca');
  const serverCert = issueLocalServerCert(dir, ca);
  agent = issueCert(dir, ca, 'agent', { usage: 'client', subject: '/O=ops/CN=agent-eu-1' });
  const readerCert = issueCert(dir, ca, 'reader', { usage: 'client', subject: '/CN=dash-1' });
  reader = { ca: ca.cert, cert: readerCert.cert, key: readerCert.key };
  const strangerCert = issueCert(dir, ca, 'stranger', { usage: 'client', subject: '/CN=nobody' });
  stranger = { ca: ca.cert, cert: strangerCert.cert, key: strangerCert.key };
  // The agent's CN, signed by another CA: under client_auth request it connects unverified.
  const otherCa = makeCa(dir, 'other-ca');
  const impostorCert = issueCert(dir, otherCa, 'impostor', { usage: 'client', subject: '/O=ops/CN=agent-eu-1' });
  impostor = { ca: ca.cert, cert: impostorCert.cert, key: impostorCert.key };
  await tokenCreate(['--tenant', 'team-a', '--role', 'write', '--name', 'agent-eu', '--cert-cn', 'agent-eu-1']);
  await tokenCreate(['--tenant', 'team-a', '--role', 'read', '--name', 'dash', '--cert-cn', 'dash-1']);
  writeToken = await tokenCreate(['--tenant', 'team-b', '--role', 'write', '--name', 'b-writer']);
  server = await startServer(
    { data, auth: { tokens_enabled: true }, tls: { cert_file: serverCert.cert, key_file: serverCert.key, client_ca_file: ca.cert, client_auth: 'request' } },
    { log: serverLog.log },
  );
});
after(async () => {
  await server.close();
  removeDir(dir);
});

function push(files: TlsClientFiles, job: string, line: string, headers: Record<string, string> = {}) {
  const body = JSON.stringify({ streams: [{ stream: { job }, values: [[String(BigInt(Date.now()) * 1_000_000n), line]] }] });
  return tlsRequest(`${server.url}/loki/api/v1/push`, files, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body });
}

async function query(files: TlsClientFiles, selector: string, headers: Record<string, string> = {}): Promise<{ status: number; lines: string[]; body: string }> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const p = new URLSearchParams({ query: selector, start: String(now - 3_600_000_000_000n), end: String(now + 60_000_000_000n), direction: 'forward' });
  const res = await tlsRequest(`${server.url}/loki/api/v1/query_range?${p}`, files, { headers });
  const lines = res.status === 200 ? (JSON.parse(res.body) as { data: { result: Array<{ values: Array<[string, string]> }> } }).data.result.flatMap((s) => s.values.map((v) => v[1])) : [];
  return { status: res.status, lines, body: res.body };
}

test('the real agent ships with only its client certificate; the reader\'s certificate queries team-a', async () => {
  const logs = join(dir, 'logs');
  mkdirSync(logs);
  writeFileSync(join(logs, 'app.log'), 'first by certificate\n');
  const config = join(dir, 'agent.yaml');
  writeFileAgentYaml(config, { url: server.url, job: 'cert-agent', paths: [join(logs, '*.log')], tls: { ca_file: ca.cert, cert_file: agent.cert, key_file: agent.key } });
  const proc = await startCli(['agent', '--config', config, '--data', join(dir, 'agent-data'), '--metrics-listen', '', '--log-level', 'warn'], 'logwharf agent ready');
  try {
    appendFileSync(join(logs, 'app.log'), 'second by certificate\n');
    const lines = await waitFor('both lines in team-a', async () => {
      const q = await query(reader, '{job="cert-agent"}');
      return q.lines.length >= 2 ? q.lines : undefined;
    }, { timeoutMs: 15_000 });
    assert.deepEqual(lines, ['first by certificate', 'second by certificate']);
  } finally {
    proc.proc.kill('SIGTERM');
    assert.equal(await proc.exited, 0, proc.stderr());
  }
});

test('a certificate acts with its token\'s role and tenants, and is named in the denied-request log', async () => {
  assert.equal((await push({ ...reader }, 'by-reader', 'x')).status, 403, 'the reader certificate\'s token is read-only');
  assert.equal((await query({ ca: ca.cert, cert: agent.cert, key: agent.key }, '{job="cert-agent"}')).status, 403, 'the agent\'s token is write-only');
  assert.equal((await query(reader, '{job="cert-agent"}', { 'X-Scope-OrgID': 'team-b' })).status, 403, 'the reader holds team-a only');
  const denied = serverLog.lines.filter((l) => l.event === 'request_denied' && l.reason === 'role');
  assert.ok(denied.some((l) => l.who === 'dash (CN=dash-1)'), JSON.stringify(denied));
  assert.ok(denied.some((l) => l.who === 'agent-eu (O=ops,CN=agent-eu-1)'), JSON.stringify(denied));
});

test('an unbound certificate, or the bound CN from another CA, is a 401 like no credentials', async () => {
  for (const files of [stranger, impostor, { ca: ca.cert }]) {
    const res = await push(files, 'intruder', 'should not land');
    assert.equal(res.status, 401, res.body);
  }
  assert.deepEqual((await query(reader, '{job="intruder"}')).lines, []);
});

test('an Authorization header wins over the certificate', async () => {
  // The agent's certificate (team-a) with team-b's write token: the line lands in team-b.
  const res = await push({ ca: ca.cert, cert: agent.cert, key: agent.key }, 'header-wins', 'into team-b', { Authorization: `Bearer ${writeToken}` });
  assert.equal(res.status, 204, res.body);
  assert.deepEqual((await query(reader, '{job="header-wins"}')).lines, [], 'not in team-a');
  const wrong = await push({ ca: ca.cert, cert: agent.cert, key: agent.key }, 'header-wins', 'x', { Authorization: 'Bearer lwt_wrong' });
  assert.equal(wrong.status, 401, 'a wrong header is not rescued by a good certificate');
});

test('token list shows the binding; a second token for the same CN is refused; revoking stops the certificate within a second', async () => {
  const list = await runCli(['token', 'list', '--data', data]);
  assert.match(list.stdout, /\sagent-eu\s+write\s+team-a\s+agent-eu-1\s/);
  const dup = await runCli(['token', 'create', '--data', data, '--tenant', 'team-a', '--role', 'admin', '--cert-cn', 'agent-eu-1']);
  assert.equal(dup.code, 1);
  assert.match(dup.stderr, /a token bound to certificate CN "agent-eu-1" exists already: revoke it first/);
  assert.equal(dup.stdout, '', 'no token printed');

  const agentFiles = { ca: ca.cert, cert: agent.cert, key: agent.key };
  assert.equal((await push(agentFiles, 'before-revoke', 'ok')).status, 204);
  const revoked = await runCli(['token', 'revoke', '--data', data, 'agent-eu']);
  assert.equal(revoked.code, 0, revoked.stderr);
  const at = Date.now();
  await waitFor('the certificate refused', async () => (await push(agentFiles, 'after-revoke', 'no')).status === 401, { timeoutMs: 1500 });
  assert.ok(Date.now() - at < 1500, `refused after ${Date.now() - at} ms`);
  // A replacement token bound to the same CN (through the admin API) lets the same certificate in again.
  const admin = await tokenCreate(['--tenant', 'team-a', '--role', 'admin', '--name', 'ops']);
  const made = await tlsRequest(`${server.url}/api/v1/tokens`, { ca: ca.cert }, { method: 'POST', headers: { Authorization: `Bearer ${admin}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'agent-eu-2', role: 'write', tenants: ['team-a'], cert_cn: 'agent-eu-1' }) });
  assert.equal(made.status, 201, made.body);
  assert.equal((JSON.parse(made.body) as { data: { cert_cn: string } }).data.cert_cn, 'agent-eu-1');
  assert.equal((await push(agentFiles, 'replaced', 'back in')).status, 204);
  const listed = await tlsRequest(`${server.url}/api/v1/tokens`, { ca: ca.cert }, { headers: { Authorization: `Bearer ${admin}` } });
  assert.deepEqual((JSON.parse(listed.body) as { data: Array<{ name: string; cert_cn: string | null }> }).data.map((x) => [x.name, x.cert_cn]), [['agent-eu', 'agent-eu-1'], ['dash', 'dash-1'], ['ops', null], ['agent-eu-2', 'agent-eu-1']]);
});
