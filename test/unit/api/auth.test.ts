/**
 * One authentication order for both of our HTTP clients (src/api/auth.ts): the CLI's LokiClient
 * and the agent's shipper send the same headers for the same settings.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { credentialHeaders } from '../../../src/api/auth.js';
import { LokiClient } from '../../../src/api/client.js';
import { createHttpClient } from '../../../src/agent/ship/http-client.js';
import { agentConfigSchema } from '../../../src/config/agent.js';
import { removeDir, tempDir } from '../../e2e/helpers/server.js';

const basic = (u: string, p: string) => 'Basic ' + Buffer.from(`${u}:${p}`).toString('base64');
let dir: string;
let server: http.Server;
let url: string;
const seen: http.IncomingHttpHeaders[] = [];

before(async () => {
  dir = tempDir('logwharf-auth-');
  server = http.createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => {
  server.close();
  removeDir(dir);
});

test('the order: bearer token, then its file, then basic auth; the tenant always', () => {
  writeFileSync(join(dir, 'token'), 'from-file\n');
  writeFileSync(join(dir, 'password'), 's3cret\n');
  const token = join(dir, 'token');
  const password = join(dir, 'password');
  assert.deepEqual(credentialHeaders({}), {});
  assert.deepEqual(credentialHeaders({ tenant: 't1' }), { 'X-Scope-OrgID': 't1' });
  assert.equal(credentialHeaders({ username: 'u' }).Authorization, basic('u', ''));
  assert.equal(credentialHeaders({ username: 'u', password: 'p' }).Authorization, basic('u', 'p'));
  assert.equal(credentialHeaders({ username: 'u', passwordFile: password }).Authorization, basic('u', 's3cret'));
  assert.equal(credentialHeaders({ username: 'u', password: 'p', passwordFile: password }).Authorization, basic('u', 'p'));
  assert.equal(credentialHeaders({ username: 'u', password: 'p', bearerTokenFile: token }).Authorization, 'Bearer from-file');
  assert.equal(credentialHeaders({ bearerToken: 'inline', bearerTokenFile: token }).Authorization, 'Bearer inline');
  assert.deepEqual(credentialHeaders({ tenant: 't1', username: 'u', bearerToken: 'x' }), { 'X-Scope-OrgID': 't1', Authorization: 'Bearer x' });
});

test('secret files are read on every request (mounted tokens rotate)', () => {
  const token = join(dir, 'rotating');
  writeFileSync(token, 'one');
  assert.equal(credentialHeaders({ bearerTokenFile: token }).Authorization, 'Bearer one');
  writeFileSync(token, 'two');
  assert.equal(credentialHeaders({ bearerTokenFile: token }).Authorization, 'Bearer two');
});

test('the CLI client and the agent send the same headers for the same settings', async () => {
  // Both basic auth and a bearer token set: before the one order, the CLI sent Bearer and the
  // agent Basic.
  await new LokiClient({ addr: url, tenant: 'team-a', username: 'u', password: 'p', bearerToken: 'tok' }).push({ streams: [] });
  const cfg = agentConfigSchema.parse({
    client: { url, tenant_id: 'team-a', basic_auth: { username: 'u', password: 'p' }, bearer_token: 'tok' },
  });
  const agent = createHttpClient(cfg.client, { timeoutMs: 5000 });
  try {
    await agent.post('/loki/api/v1/push', Buffer.from('{"streams":[]}'));
  } finally {
    agent.close();
  }
  const [cli, shipper] = seen.slice(-2);
  assert.equal(cli!.authorization, 'Bearer tok');
  assert.equal(shipper!.authorization, 'Bearer tok');
  assert.equal(cli!['x-scope-orgid'], 'team-a');
  assert.equal(shipper!['x-scope-orgid'], 'team-a');
});

test('an extra header named like ours is replaced, not sent twice', async () => {
  await new LokiClient({ addr: url, tenant: 'mine', headers: { 'x-scope-orgid': 'other', 'X-Extra': '1' } }).push({ streams: [] });
  const h = seen.at(-1)!;
  assert.equal(h['x-scope-orgid'], 'mine');
  assert.equal(h['x-extra'], '1');
});
