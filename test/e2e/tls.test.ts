/**
 * The server over HTTPS and mTLS (issue #11), with CAs and certificates made by openssl: push,
 * query and live tail over TLS; what a client refuses (an untrusted CA, a wrong host name) and what
 * the server refuses (no client certificate, an expired one, one from another CA, TLS 1.1); and
 * certificate rotation on disk without a restart, refusing a half-written or mismatched set.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import WebSocket from 'ws';
import { startServer, startChildServer, removeDir, tempDir, type RunningServer } from './helpers/server.js';
import { issueCert, issueLocalServerCert, fingerprintOf, makeCa, type Ca, type CertFiles } from '../helpers/certs.js';
import { tlsRequest, type TlsClientFiles } from '../helpers/tls-request.js';
import { waitFor } from '../helpers/wait-for.js';
import { metricSum } from '../helpers/metrics.js';
import { captureLog } from '../helpers/log-capture.js';
import { serverConfigSchema } from '../../src/config/server.js';

let dir: string;
let ca: Ca;
let otherCa: Ca;
let serverCert: CertFiles;
let client: CertFiles;
let expiredClient: CertFiles;
let strangerClient: CertFiles;
let mtls: RunningServer;
const mtlsLog = captureLog('debug');
/** What a well-configured client of `mtls` presents. */
let good: TlsClientFiles;

before(async () => {
  dir = tempDir('tls-');
  ca = makeCa(dir, 'ca');
  otherCa = makeCa(dir, 'other-ca');
  serverCert = issueLocalServerCert(dir, ca);
  client = issueCert(dir, ca, 'agent-1', { usage: 'client', subject: '/O=ops/CN=agent-1' });
  expiredClient = issueCert(dir, ca, 'expired', { usage: 'client', days: -1 });
  strangerClient = issueCert(dir, otherCa, 'stranger', { usage: 'client' });
  mtls = await startServer({ tls: { cert_file: serverCert.cert, key_file: serverCert.key, client_ca_file: ca.cert, client_auth: 'require' } }, { log: mtlsLog.log });
  good = { ca: ca.cert, cert: client.cert, key: client.key };
});
after(async () => {
  await mtls.close();
  removeDir(mtls.dir);
  removeDir(dir);
});

function pushBody(job: string, line: string): string {
  return JSON.stringify({ streams: [{ stream: { job }, values: [[String(BigInt(Date.now()) * 1_000_000n), line]] }] });
}

async function queryLines(url: string, files: TlsClientFiles, selector: string): Promise<string[]> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const p = new URLSearchParams({ query: selector, start: String(now - 3_600_000_000_000n), end: String(now + 60_000_000_000n) });
  const res = await tlsRequest(`${url}/loki/api/v1/query_range?${p}`, files);
  assert.equal(res.status, 200, res.body);
  const body = JSON.parse(res.body) as { data: { result: Array<{ values: Array<[string, string]> }> } };
  return body.data.result.flatMap((s) => s.values.map((v) => v[1]));
}

test('the server listens on https:// and push, query and live tail work over mTLS', async () => {
  assert.match(mtls.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  const push = await tlsRequest(`${mtls.url}/loki/api/v1/push`, good, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: pushBody('tls', 'over tls') });
  assert.equal(push.status, 204, push.body);
  assert.deepEqual(await waitFor('the line', async () => ((await queryLines(mtls.url, good, '{job="tls"}')).length ? queryLines(mtls.url, good, '{job="tls"}') : undefined)), ['over tls']);

  // The WebSocket upgrade of the live tail goes through the same TLS listener.
  const wsUrl = `${mtls.url.replace(/^https/, 'wss')}/loki/api/v1/tail?${new URLSearchParams({ query: '{job="tailed"}' })}`;
  const ws = new WebSocket(wsUrl, { ca: readFileSync(ca.cert), cert: readFileSync(client.cert), key: readFileSync(client.key) });
  const lines: string[] = [];
  ws.on('message', (m) => {
    for (const s of (JSON.parse(m.toString()) as { streams: Array<{ values: Array<[string, string]> }> }).streams) for (const v of s.values) lines.push(v[1]);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  await waitFor('the tailed line', async () => {
    if (lines.includes('live')) return true;
    await tlsRequest(`${mtls.url}/loki/api/v1/push`, good, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: pushBody('tailed', 'live') });
    return lines.includes('live');
  }, { intervalMs: 300 });
  ws.close();
});

test('a client refuses a server whose certificate its CA did not sign, or that is for another host name', async () => {
  await assert.rejects(tlsRequest(`${mtls.url}/ready`, { ...good, ca: otherCa.cert }), (e: NodeJS.ErrnoException) => /UNABLE_TO_VERIFY|SELF_SIGNED|CERT/.test(e.code ?? ''));
  await assert.rejects(tlsRequest(`${mtls.url}/ready`, { ...good, servername: 'logs.example.com' }), (e: NodeJS.ErrnoException) => e.code === 'ERR_TLS_CERT_ALTNAME_INVALID');
  // Control: the name in the certificate is accepted.
  assert.equal((await tlsRequest(`${mtls.url}/ready`, { ...good, servername: 'localhost' })).status, 200);
});

test('client_auth require: no certificate, an expired one, or one from another CA is refused at the handshake', async () => {
  // The client sees the connection end (in TLS 1.3 the server judges the client's certificate after
  // the client has finished its side); the server logs why.
  const refused = async (files: TlsClientFiles, why: RegExp) => {
    const before = mtlsLog.lines.length;
    await assert.rejects(tlsRequest(`${mtls.url}/ready`, files));
    const line = await waitFor(`the server's reason ${why}`, () => mtlsLog.lines.slice(before).find((l) => l.msg === 'tls client certificate refused'));
    assert.match(String(line.reason), why);
    return line;
  };
  await refused({ ca: ca.cert }, /^NO_CLIENT_CERTIFICATE$/);
  assert.equal((await refused({ ca: ca.cert, cert: expiredClient.cert, key: expiredClient.key }, /^CERT_HAS_EXPIRED$/)).subject, 'CN=expired');
  await refused({ ca: ca.cert, cert: strangerClient.cert, key: strangerClient.key }, /^UNABLE_TO_(VERIFY_LEAF_SIGNATURE|GET_ISSUER_CERT)/);
  assert.equal((await tlsRequest(`${mtls.url}/ready`, good)).status, 200);
});

test('client_auth request: clients with and without a certificate are served; one from another CA too (it proves nothing)', async () => {
  const server = await startServer({ tls: { cert_file: serverCert.cert, key_file: serverCert.key, client_ca_file: ca.cert, client_auth: 'request' } });
  try {
    for (const files of [{ ca: ca.cert }, good, { ca: ca.cert, cert: strangerClient.cert, key: strangerClient.key }]) {
      assert.equal((await tlsRequest(`${server.url}/ready`, files)).status, 200);
    }
    // An expired certificate is not refused under request either: it is simply not a verified peer.
    assert.equal((await tlsRequest(`${server.url}/ready`, { ca: ca.cert, cert: expiredClient.cert, key: expiredClient.key })).status, 200);
  } finally {
    await server.close();
    removeDir(server.dir);
  }
});

test('TLS 1.1 is refused, although the same client gets through to a server that allows it', async () => {
  const old = { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' } as const;
  const handshake = (port: number) =>
    new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ca: readFileSync(ca.cert), cert: readFileSync(client.cert), key: readFileSync(client.key), servername: 'localhost', ...old }, () => {
        resolve(s.getProtocol() ?? '');
        s.end();
      });
      s.on('error', reject);
    });
  const lax = tls.createServer({ cert: readFileSync(serverCert.cert), key: readFileSync(serverCert.key), minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' }, (s) => s.end());
  await new Promise<void>((r) => lax.listen(0, '127.0.0.1', r));
  try {
    assert.equal(await handshake((lax.address() as { port: number }).port), 'TLSv1.1', 'control: this client speaks TLS 1.1');
  } finally {
    lax.close();
  }
  await assert.rejects(handshake(Number(new URL(mtls.url).port)), (e: NodeJS.ErrnoException) => /VERSION|PROTOCOL/.test(`${e.code ?? ''} ${e.message}`));
});

test('rotation: new certificate files on disk serve new connections without a restart; a half-written or mismatched set is refused', async () => {
  const live = join(dir, 'live');
  mkdirSync(live);
  const first = issueLocalServerCert(dir, ca, 'rot-1');
  const second = issueLocalServerCert(dir, ca, 'rot-2');
  const third = issueLocalServerCert(dir, ca, 'rot-3');
  const certFile = join(live, 'tls.crt');
  const keyFile = join(live, 'tls.key');
  copyFileSync(first.cert, certFile);
  copyFileSync(first.key, keyFile);
  const captured = captureLog('info');
  const server = await startServer({ tls: { cert_file: certFile, key_file: keyFile } }, { log: captured.log });
  const trust = { ca: ca.cert };
  try {
    assert.equal((await tlsRequest(`${server.url}/ready`, trust)).serverFingerprint, fingerprintOf(first.cert));
    const notAfter = (file: string) => Math.floor(Date.parse(new X509Certificate(readFileSync(file)).validTo) / 1000);
    assert.equal(await metricSum(server.role.registry, 'logwharf_tls_certificate_expiry_seconds'), notAfter(first.cert));

    // cert-manager style: both files replaced.
    copyFileSync(second.key, keyFile);
    copyFileSync(second.cert, certFile);
    await waitFor('the new certificate on a new connection', async () => (await tlsRequest(`${server.url}/ready`, trust)).serverFingerprint === fingerprintOf(second.cert), { timeoutMs: 15_000 });
    assert.equal(await metricSum(server.role.registry, 'logwharf_tls_reloads_total', { result: 'success' }), 1);
    assert.equal(await metricSum(server.role.registry, 'logwharf_tls_certificate_expiry_seconds'), notAfter(second.cert));

    // Half written: the certificate file cut in the middle.
    const pem = readFileSync(third.cert, 'utf8');
    writeFileSync(certFile, pem.slice(0, pem.length / 2));
    await waitFor('a refused reload', async () => (await metricSum(server.role.registry, 'logwharf_tls_reloads_total', { result: 'failure' })) >= 1, { timeoutMs: 15_000 });
    // A certificate with another certificate's key.
    writeFileSync(certFile, pem);
    await waitFor('the mismatched pair refused', async () => captured.lines.some((l) => /not the key of/.test(String(l.err))), { timeoutMs: 15_000 });
    const refusal = captured.lines.find((l) => /not the key of/.test(String(l.err)))!;
    assert.equal(refusal.level, 'error');
    assert.equal(refusal.component, 'tls');
    assert.equal(refusal.fingerprint256, fingerprintOf(second.cert), 'the log names the certificate still in use');
    assert.equal((await tlsRequest(`${server.url}/ready`, trust)).serverFingerprint, fingerprintOf(second.cert), 'the old certificate stays');

    // The key arrives: the set is whole again.
    copyFileSync(third.key, keyFile);
    await waitFor('the third certificate', async () => (await tlsRequest(`${server.url}/ready`, trust)).serverFingerprint === fingerprintOf(third.cert), { timeoutMs: 15_000 });
    assert.equal(await metricSum(server.role.registry, 'logwharf_tls_reloads_total', { result: 'success' }), 2);
  } finally {
    await server.close();
    removeDir(server.dir);
  }
});

test('configuration: client_auth require without client_ca_file, or a certificate without its key, is a clear error', () => {
  const problems = (tlsCfg: Record<string, unknown>) => {
    const r = serverConfigSchema.safeParse({ tls: tlsCfg });
    assert.equal(r.success, false);
    return r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n');
  };
  assert.match(problems({ cert_file: 'c.pem', key_file: 'k.pem', client_auth: 'require' }), /tls\.client_ca_file: tls\.client_auth: require needs tls\.client_ca_file/);
  assert.match(problems({ cert_file: 'c.pem' }), /tls\.key_file: .*go together/);
  assert.match(problems({ min_version: 'TLS1.1' }), /tls\.min_version/);
  assert.equal(serverConfigSchema.safeParse({ tls: { cert_file: 'c.pem', key_file: 'k.pem', client_ca_file: 'ca.pem', client_auth: 'require' } }).success, true);
});

test('logwharf server with tls in its --config file prints an https:// address in its ready line', async () => {
  const config = join(dir, 'server.yaml');
  writeFileSync(config, `tls:\n  cert_file: ${serverCert.cert}\n  key_file: ${serverCert.key}\n`);
  const data = tempDir('tls-child-');
  const child = await startChildServer(data, ['--config', config]);
  try {
    assert.match(child.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await tlsRequest(`${child.url}/ready`, { ca: ca.cert })).body, 'ready\n');
  } finally {
    child.proc.kill('SIGTERM');
    await child.exited;
    removeDir(data);
  }
});

test('logwharf server refuses to start with client_auth require and no client_ca_file, saying so', async () => {
  const config = join(dir, 'bad.yaml');
  writeFileSync(config, `tls:\n  cert_file: ${serverCert.cert}\n  key_file: ${serverCert.key}\n  client_auth: require\n`);
  const data = tempDir('tls-bad-');
  try {
    await assert.rejects(startChildServer(data, ['--config', config]), /client_auth: require needs tls\.client_ca_file/);
  } finally {
    removeDir(data);
  }
});
