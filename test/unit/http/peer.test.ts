/**
 * peerOf (issue #11): what the authenticator learns of a caller over mTLS, through the real server
 * factory with `client_auth: request` and openssl-made certificates. Only a certificate the
 * configured CA verified is reported; one from another CA, or none, leaves the peer certificate-less.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createHttpServer, type Server } from '../../../src/http/server.js';
import { Router } from '../../../src/http/router.js';
import { createMetrics } from '../../../src/http/metrics.js';
import { createLogger } from '../../../src/util/logger.js';
import { peerOf } from '../../../src/http/peer.js';
import { issueCert, issueLocalServerCert, fingerprintOf, makeCa, type Ca, type CertFiles } from '../../helpers/certs.js';
import { tlsRequest } from '../../helpers/tls-request.js';
import { removeDir, tempDir } from '../../e2e/helpers/server.js';

let dir: string;
let ca: Ca;
let client: CertFiles;
let stranger: CertFiles;
let twoNames: CertFiles;
let server: Server;
let url: string;

before(async () => {
  dir = tempDir('peer-');
  ca = makeCa(dir, 'ca');
  const otherCa = makeCa(dir, 'other-ca');
  const cert = issueLocalServerCert(dir, ca);
  client = issueCert(dir, ca, 'agent-1', { usage: 'client', subject: '/O=ops, Inc./CN=agent-1' });
  stranger = issueCert(dir, otherCa, 'stranger', { usage: 'client' });
  twoNames = issueCert(dir, ca, 'two-names', { usage: 'client', subject: '/CN=agent-1/CN=agent-2' });
  // The peer without its headers (the request's own, checked below).
  const router = new Router().add('GET', '/peer', (ctx) => {
    const { headers, ...peer } = peerOf(ctx.req);
    ctx.res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ...peer, forwardedUser: headers?.['x-forwarded-user'] }));
  }, { public: true });
  server = createHttpServer({
    router,
    log: createLogger({ level: 'silent' }),
    metrics: createMetrics(),
    authEnabled: false,
    maxBodyBytes: 1024,
    maxInflightBodyBytes: 1024,
    timeouts: { headerMs: 5000, requestMs: 5000, idleMs: 5000, socketMs: 5000 },
    tls: { context: { cert: readFileSync(cert.cert), key: readFileSync(cert.key), ca: readFileSync(ca.cert) }, requestCert: true, rejectUnauthorized: false },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/peer`;
});
after(() => {
  server.close();
  removeDir(dir);
});

test('a verified client certificate: its subject (RFC 4514 escaped), SHA-256 fingerprint and common name', async () => {
  const res = await tlsRequest(url, { ca: ca.cert, cert: client.cert, key: client.key });
  assert.deepEqual(JSON.parse(res.body), { address: '127.0.0.1', certificate: { subject: 'O=ops\\, Inc.,CN=agent-1', fingerprint256: fingerprintOf(client.cert), commonName: 'agent-1' } });
});

test('a subject with two CNs has no common name (it could map to two tokens); the headers are the request\'s', async () => {
  const res = await tlsRequest(url, { ca: ca.cert, cert: twoNames.cert, key: twoNames.key }, { headers: { 'X-Forwarded-User': 'alice' } });
  assert.deepEqual(JSON.parse(res.body), { address: '127.0.0.1', certificate: { subject: 'CN=agent-1,CN=agent-2', fingerprint256: fingerprintOf(twoNames.cert) }, forwardedUser: 'alice' });
});

test('no certificate, or one another CA signed: the peer has only its address', async () => {
  assert.deepEqual(JSON.parse((await tlsRequest(url, { ca: ca.cert })).body), { address: '127.0.0.1' });
  assert.deepEqual(JSON.parse((await tlsRequest(url, { ca: ca.cert, cert: stranger.cert, key: stranger.key })).body), { address: '127.0.0.1' });
});
