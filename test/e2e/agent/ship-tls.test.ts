/**
 * TLS with a custom CA: a CA and a server certificate for 127.0.0.1 made with the openssl CLI, an
 * HTTPS front on the real server. With tls.ca_file the shipper delivers; without it every attempt
 * fails certificate verification (retried, with the reason logged), and insecure_skip_verify gets
 * through.
 */
import { test, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { createShipper } from '../../../src/agent/ship/shipper.js';
import { startServer, removeDir, tempDir, type RunningServer } from '../helpers/server.js';
import { waitFor } from '../../helpers/wait-for.js';
import { item, metricValue, queryAll, shipperConfig, shipperDeps, startFront, type Front } from './ship-helpers.js';

let server: RunningServer;
let front: Front;
let dir: string;

before(async () => {
  dir = tempDir('ship-tls-');
  const ssl = (...args: string[]): void => void execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=logwharf test CA');
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '1', '-extfile', 'ext.cnf');
  server = await startServer();
  front = await startFront(server.url, { key: readFileSync(join(dir, 'server.key')), cert: readFileSync(join(dir, 'server.pem')) });
});
after(async () => {
  await front.close();
  await server.close();
  removeDir(server.dir);
  removeDir(dir);
});

test('https with tls.ca_file delivers', async () => {
  const shipper = createShipper(shipperConfig(front.url, { tls: { ca_file: join(dir, 'ca.pem') } }), shipperDeps());
  assert.deepEqual(await shipper.send(item({ job: 'tls' }, 'tls', 5)), { accepted: 5, dropped: 0 });
  await shipper.close();
  assert.equal((await queryAll(server.url, '{job="tls"}')).length, 5);
});

test('without the CA every attempt fails verification, clearly logged; nothing is acknowledged', async () => {
  const logs: string[] = [];
  const deps = { ...shipperDeps(), log: pino({ level: 'warn' }, { write: (s: string) => void logs.push(s) }) };
  const shipper = createShipper(shipperConfig(front.url), deps);
  const p = shipper.send(item({ job: 'notls' }, 'notls', 2));
  await waitFor('two retries', async () => (await metricValue(deps.registry, 'logwharf_agent_retries_total')) >= 2);
  await shipper.close({ flushTimeoutMs: 0 });
  await assert.rejects(p, /closed before/);
  assert.match(logs.join('\n'), /certificate.*client\.tls\.ca_file/i, 'the log says what is wrong and what to set');
  assert.equal((await queryAll(server.url, '{job="notls"}')).length, 0);
});

test('insecure_skip_verify gets through without the CA', async () => {
  const shipper = createShipper(shipperConfig(front.url, { tls: { insecure_skip_verify: true } }), shipperDeps());
  assert.deepEqual(await shipper.send(item({ job: 'insecure' }, 'insecure', 3)), { accepted: 3, dropped: 0 });
  await shipper.close();
});
