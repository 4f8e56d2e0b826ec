/**
 * The test harness for real peers: a port lost to another process between picking and binding is
 * retried on another port, and a peer that cannot start reports its own output.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ALERTMANAGER_BIN, webhookConfig } from '../../helpers/alertmanager.js';
import { freePort, requireBinary, startPeer } from '../../helpers/peer-process.js';

const amArgs = (dir: string) => (port: number) => [`--config.file=${join(dir, 'am.yml')}`, `--storage.path=${dir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='];

test('a peer whose port was taken meanwhile is started on another one', async (t) => {
  if (!requireBinary(t, ALERTMANAGER_BIN, 'prometheus-alertmanager')) return;
  const squatter = createServer();
  await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
  t.after(() => squatter.close());
  const taken = (squatter.address() as { port: number }).port;
  const ports = [taken];
  const dir = mkdtempSync(join(tmpdir(), 'logwharf-am-port-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'am.yml'), webhookConfig('http://127.0.0.1:9/'));
  const am = await startPeer({ name: 'Alertmanager', bin: ALERTMANAGER_BIN, args: amArgs(dir), pickPort: async () => ports.shift() ?? freePort() });
  t.after(() => am.stop());
  assert.notEqual(am.port, taken);
  assert.match(am.output(), new RegExp(`\\[port ${taken} was taken; retrying on another\\]`));
  assert.equal((await fetch(`${am.url}/-/ready`)).status, 200);
});

test('a peer that exits instead of getting ready fails with its output', async (t) => {
  if (!requireBinary(t, ALERTMANAGER_BIN, 'prometheus-alertmanager')) return;
  await assert.rejects(
    startPeer({ name: 'Alertmanager', bin: ALERTMANAGER_BIN, args: (port) => ['--config.file=/nonexistent/am.yml', `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], readyTimeoutMs: 10_000 }),
    /Alertmanager did not become ready \(.*\); its output:\n[\s\S]*nonexistent\/am\.yml/,
  );
});
