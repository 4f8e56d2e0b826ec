/**
 * Where `logwharf up`'s embedded agent ships and how it trusts the server (issue #11): loopback for
 * a wildcard listen address, the server's own certificate as the CA, and a name the certificate
 * holds as server_name, with openssl-made certificates of every shape.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { certificateNames, embeddedAgentClient } from '../../../src/app/up.js';
import { serverConfigSchema, type ServerConfig } from '../../../src/config/server.js';
import { agentConfigSchema, type AgentConfig } from '../../../src/config/agent.js';
import { issueCert, makeCa, type Ca } from '../../helpers/certs.js';
import { removeDir, tempDir } from '../../e2e/helpers/server.js';

let dir: string;
let ca: Ca;
before(() => {
  dir = tempDir('up-client-');
  ca = makeCa(dir, 'ca');
});
after(() => removeDir(dir));

function serverWith(name: string, san: string[] | undefined): ServerConfig {
  const c = issueCert(dir, ca, name, { usage: 'server', ...(san && { san }) });
  return serverConfigSchema.parse({ data: dir, tls: { cert_file: c.cert, key_file: c.key } });
}
const agentClient = (tls: Record<string, unknown> = {}): AgentConfig['client'] => agentConfigSchema.parse({ client: { tls } }).client;

test('certificateNames reads DNS and IP subjectAltNames, IPv6 shortened, and the CN without them', () => {
  const names = (n: string, san?: string[]) => certificateNames(readFileSync(serverWith(n, san).tls.cert_file!));
  assert.deepEqual(names('both', ['DNS:logs.example.test', 'IP:127.0.0.1', 'IP:::1', 'DNS:*.example.test']), { dns: ['logs.example.test', '*.example.test'], ips: ['127.0.0.1', '::1'] });
  assert.deepEqual(names('cn-only'), { dns: ['cn-only'], ips: [] });
});

test('without TLS: a wildcard listen address ships to loopback of its family; a real address is kept', () => {
  const plain = serverConfigSchema.parse({ data: dir });
  assert.equal(embeddedAgentClient('http://0.0.0.0:4100', '0.0.0.0', plain, agentClient()).url, 'http://127.0.0.1:4100');
  assert.equal(embeddedAgentClient('http://[::]:4100', '::', plain, agentClient()).url, 'http://[::1]:4100');
  const kept = embeddedAgentClient('http://10.0.0.5:4100', '10.0.0.5', plain, agentClient());
  assert.equal(kept.url, 'http://10.0.0.5:4100');
  assert.equal(kept.tls.ca_file, undefined);
});

test('with TLS: the server certificate is the CA, and server_name is a name it holds unless it names the address', () => {
  const dnsOnly = serverWith('dns-only', ['DNS:logs.example.test', 'DNS:other.example.test']);
  const c = embeddedAgentClient('https://0.0.0.0:4100', '0.0.0.0', dnsOnly, agentClient());
  assert.equal(c.url, 'https://127.0.0.1:4100');
  assert.equal(c.tls.ca_file, dnsOnly.tls.cert_file);
  assert.equal(c.tls.server_name, 'logs.example.test');

  const loopback = serverWith('loopback', ['IP:127.0.0.1', 'DNS:logs.example.test']);
  const l = embeddedAgentClient('https://0.0.0.0:4100', '0.0.0.0', loopback, agentClient());
  assert.equal(l.tls.server_name, undefined, 'the certificate names 127.0.0.1 itself');
  const v6 = serverWith('loopback6', ['IP:::1']);
  assert.equal(embeddedAgentClient('https://[::]:4100', '::', v6, agentClient()).tls.server_name, undefined);

  const wildcardName = serverWith('wild', ['DNS:*.example.test']);
  assert.equal(embeddedAgentClient('https://0.0.0.0:4100', '0.0.0.0', wildcardName, agentClient()).tls.server_name, 'up.example.test');

  const ipOnly = serverWith('ip-only', ['IP:10.1.2.3']);
  const ip = embeddedAgentClient('https://0.0.0.0:4100', '0.0.0.0', ipOnly, agentClient());
  assert.equal(ip.url, 'https://10.1.2.3:4100', 'reached at the address its certificate names');
  assert.equal(ip.tls.server_name, undefined);

  // What the agent configuration sets wins.
  const own = embeddedAgentClient('https://0.0.0.0:4100', '0.0.0.0', dnsOnly, agentClient({ ca_file: '/etc/ca.pem', server_name: 'mine.example' }));
  assert.deepEqual([own.tls.ca_file, own.tls.server_name], ['/etc/ca.pem', 'mine.example']);
});
