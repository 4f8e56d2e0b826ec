/**
 * An agent authenticating by mTLS (issue #11): the real `logwharf agent` process, configured with
 * client.tls.ca_file, cert_file and key_file, ships a file's lines to a server with
 * `tls.client_auth: require`; a shipper without a client certificate is refused at the handshake,
 * delivers nothing, and its log says which settings to set.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { createShipper } from '../../../src/agent/ship/shipper.js';
import { startServer, removeDir, tempDir, type RunningServer } from '../helpers/server.js';
import { issueCert, issueLocalServerCert, makeCa, type Ca, type CertFiles } from '../../helpers/certs.js';
import { tlsRequest, type TlsClientFiles } from '../../helpers/tls-request.js';
import { waitFor } from '../../helpers/wait-for.js';
import { captureLog } from '../../helpers/log-capture.js';
import { startCli, writeFileAgentYaml } from './helpers.js';
import { item, metricValue, shipperConfig, shipperDeps } from './ship-helpers.js';

let dir: string;
let ca: Ca;
let agentCert: CertFiles;
let server: RunningServer;
const serverLog = captureLog('info');
let reader: TlsClientFiles;

before(async () => {
  dir = tempDir('agent-mtls-');
  ca = makeCa(dir, 'ca');
  const serverCert = issueLocalServerCert(dir, ca);
  agentCert = issueCert(dir, ca, 'agent', { usage: 'client', subject: '/O=logwharf/CN=node-1 agent' });
  const readerCert = issueCert(dir, ca, 'reader', { usage: 'client' });
  reader = { ca: ca.cert, cert: readerCert.cert, key: readerCert.key };
  server = await startServer({ tls: { cert_file: serverCert.cert, key_file: serverCert.key, client_ca_file: ca.cert, client_auth: 'require' } }, { log: serverLog.log });
});
after(async () => {
  await server.close();
  removeDir(server.dir);
  removeDir(dir);
});

async function linesOf(selector: string): Promise<string[]> {
  const now = BigInt(Date.now()) * 1_000_000n;
  const p = new URLSearchParams({ query: selector, start: String(now - 3_600_000_000_000n), end: String(now + 60_000_000_000n), direction: 'forward' });
  const res = await tlsRequest(`${server.url}/loki/api/v1/query_range?${p}`, reader);
  assert.equal(res.status, 200, res.body);
  return (JSON.parse(res.body) as { data: { result: Array<{ values: Array<[string, string]> }> } }).data.result.flatMap((s) => s.values.map((v) => v[1]));
}

test('the agent ships over mTLS with client.tls.cert_file and key_file', async () => {
  const logs = join(dir, 'logs');
  const data = join(dir, 'agent-data');
  mkdirSync(logs);
  writeFileSync(join(logs, 'app.log'), 'first over mtls\n');
  const config = join(dir, 'agent.yaml');
  writeFileAgentYaml(config, { url: server.url, job: 'mtls-agent', paths: [join(logs, '*.log')], tls: { ca_file: ca.cert, cert_file: agentCert.cert, key_file: agentCert.key } });
  const agent = await startCli(['agent', '--config', config, '--data', data, '--metrics-listen', '', '--log-level', 'warn'], 'logwharf agent ready');
  try {
    appendFileSync(join(logs, 'app.log'), 'second over mtls\n');
    const lines = await waitFor('both lines', async () => {
      const l = await linesOf('{job="mtls-agent"}');
      return l.length >= 2 ? l : undefined;
    }, { timeoutMs: 15_000 });
    assert.deepEqual(lines, ['first over mtls', 'second over mtls']);
    assert.equal(serverLog.lines.filter((l) => l.msg === 'tls client certificate refused').length, 0, 'no connection of the agent was refused');
  } finally {
    agent.proc.kill('SIGTERM');
    assert.equal(await agent.exited, 0, agent.stderr());
  }
});

test('without a client certificate the server refuses the agent; nothing is delivered and the log names the settings', async () => {
  const logs: string[] = [];
  const deps = { ...shipperDeps(), log: pino({ level: 'warn' }, { write: (s: string) => void logs.push(s) }) };
  const refusedBefore = serverLog.lines.filter((l) => l.msg === 'tls client certificate refused').length;
  const shipper = createShipper(shipperConfig(server.url, { tls: { ca_file: ca.cert } }), deps);
  const p = shipper.send(item({ job: 'no-cert' }, 'no-cert', 2));
  await waitFor('two retries', async () => (await metricValue(deps.registry, 'logwharf_agent_retries_total')) >= 2);
  await shipper.close({ flushTimeoutMs: 0 });
  await assert.rejects(p, /closed before/);
  const refused = serverLog.lines.filter((l) => l.msg === 'tls client certificate refused').slice(refusedBefore);
  assert.ok(refused.length >= 1 && refused.every((l) => l.reason === 'NO_CLIENT_CERTIFICATE'), JSON.stringify(refused));
  assert.deepEqual(await linesOf('{job="no-cert"}'), []);
  assert.match(logs.join('\n'), /"err":"[^"]*requires client certificates \(mTLS\)[^"]*client\.tls\.cert_file and client\.tls\.key_file[^"]*".*"msg":"push failed/);
});

test('a renewed client certificate on disk is used without restarting the agent', async () => {
  const live = join(dir, 'agent-live');
  mkdirSync(live);
  // Issued by another CA: the server refuses it until the right one replaces it.
  const otherCa = makeCa(dir, 'other-ca');
  const wrong = issueCert(dir, otherCa, 'wrong-agent', { usage: 'client' });
  const renewed = issueCert(dir, ca, 'renewed-agent', { usage: 'client' });
  const certFile = join(live, 'tls.crt');
  const keyFile = join(live, 'tls.key');
  copyFileSync(wrong.cert, certFile);
  copyFileSync(wrong.key, keyFile);
  const deps = shipperDeps();
  const refusedBefore = serverLog.lines.filter((l) => l.msg === 'tls client certificate refused').length;
  const shipper = createShipper(shipperConfig(server.url, { tls: { ca_file: ca.cert, cert_file: certFile, key_file: keyFile } }), deps);
  try {
    const sent = shipper.send(item({ job: 'renewed' }, 'renewed', 3));
    await waitFor('a refused attempt', () => serverLog.lines.slice(refusedBefore).some((l) => l.msg === 'tls client certificate refused' && /UNABLE_TO/.test(String(l.reason))));
    copyFileSync(renewed.key, keyFile);
    copyFileSync(renewed.cert, certFile);
    let result: unknown;
    void sent.then((r) => (result = r));
    assert.deepEqual(await waitFor('delivery with the renewed certificate', () => result, { timeoutMs: 15_000 }), { accepted: 3, dropped: 0 });
    assert.equal((await linesOf('{job="renewed"}')).length, 3);
  } finally {
    await shipper.close({ flushTimeoutMs: 0 });
  }
});
